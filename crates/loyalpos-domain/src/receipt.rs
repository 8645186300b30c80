//! Receipt layouts (api.md §8.9, §8.12, §9): booking, STORNO, points, balance, diagnosis and end-of-day.
//! The seed's receipt is the reference; amounts use the German format of §1.6.

use crate::money::{Cents, Currency, format_amount};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decoration {
    Important,
    AlignLeft,
    AlignCenter,
    AlignRight,
}

impl Decoration {
    pub fn as_str(self) -> &'static str {
        match self {
            Decoration::Important => "important",
            Decoration::AlignLeft => "align-left",
            Decoration::AlignCenter => "align-center",
            Decoration::AlignRight => "align-right",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptLine {
    Separator {
        caption: String,
    },
    NameValue {
        name: String,
        value: String,
        decoration: Vec<Decoration>,
    },
    TextLine {
        text: String,
        decoration: Vec<Decoration>,
    },
    Space,
}

impl ReceiptLine {
    /// The wire `type` of the line.
    pub fn type_str(&self) -> &'static str {
        match self {
            ReceiptLine::Separator { .. } => "separator",
            ReceiptLine::NameValue { .. } => "name-value",
            ReceiptLine::TextLine { .. } => "textline",
            ReceiptLine::Space => "space",
        }
    }

    pub fn separator(caption: &str) -> ReceiptLine {
        ReceiptLine::Separator {
            caption: caption.to_owned(),
        }
    }

    pub fn name_value(name: &str, value: &str) -> ReceiptLine {
        ReceiptLine::NameValue {
            name: name.to_owned(),
            value: value.to_owned(),
            decoration: Vec::new(),
        }
    }

    pub fn text(text: &str) -> ReceiptLine {
        ReceiptLine::TextLine {
            text: text.to_owned(),
            decoration: Vec::new(),
        }
    }

    pub fn important(text: &str) -> ReceiptLine {
        ReceiptLine::TextLine {
            text: text.to_owned(),
            decoration: vec![Decoration::Important],
        }
    }
}

/// The figures a booking receipt prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFigures {
    /// Every basket line is a load (or a direct charge): caption "Kundenkarte Aufladung".
    pub load_only: bool,
    pub card_number: String,
    pub ta_code: i64,
    pub paid_by_card: Cents,
    pub load: Cents,
    pub revenue: Cents,
    pub bonus_collected: Cents,
    pub balance_after: Cents,
    pub currency: Currency,
}

/// Which blocks a receipt shows; decided once from the original figures so a STORNO receipt mirrors it.
struct Blocks {
    payment: bool,
    load: bool,
    revenue: bool,
    bonus: bool,
}

impl Blocks {
    fn of(f: &ReceiptFigures) -> Blocks {
        let payment = f.paid_by_card.is_positive();
        let load = f.load.is_positive();
        Blocks {
            payment,
            load,
            // A receipt always says something about the sale, even when nothing moved (the seed case).
            revenue: f.revenue != Cents::ZERO || (!payment && !load),
            bonus: f.bonus_collected.is_positive(),
        }
    }
}

const STORNO: &str = "STORNO";
const BALANCE: &str = "Aktuelles Guthaben";

pub fn booking_receipt(f: &ReceiptFigures) -> Vec<ReceiptLine> {
    layout(f, f.ta_code, f.balance_after, false)
}

/// STORNO line first; block presence decided by `original`, amounts negated; new TA code and the balance
/// after reversal.
pub fn storno_receipt(
    original: &ReceiptFigures,
    cancel_ta_code: i64,
    balance_after: Cents,
) -> Vec<ReceiptLine> {
    let mut out = vec![storno_line()];
    out.extend(layout(original, cancel_ta_code, balance_after, true));
    out
}

fn storno_line() -> ReceiptLine {
    ReceiptLine::TextLine {
        text: STORNO.to_owned(),
        decoration: vec![Decoration::Important, Decoration::AlignCenter],
    }
}

fn header(caption: &str, card_number: &str, ta_code: i64) -> Vec<ReceiptLine> {
    vec![
        ReceiptLine::separator(caption),
        // The trailing spaces of the names are in the seed's receipt.
        ReceiptLine::name_value("Kartennummer: ", card_number),
        ReceiptLine::name_value("TA Code: ", &ta_code.to_string()),
    ]
}

fn layout(
    f: &ReceiptFigures,
    ta_code: i64,
    balance_after: Cents,
    negate: bool,
) -> Vec<ReceiptLine> {
    let amount = |c: Cents| format_amount(if negate { c.neg() } else { c }, &f.currency);
    let caption = if f.load_only {
        "Kundenkarte Aufladung"
    } else {
        "Kundenkarte"
    };
    let blocks = Blocks::of(f);
    let mut out = header(caption, &f.card_number, ta_code);
    if blocks.payment {
        out.extend([
            ReceiptLine::Space,
            ReceiptLine::text("Zahlung über:"),
            ReceiptLine::important(&amount(f.paid_by_card)),
        ]);
    }
    if blocks.load {
        out.extend([
            ReceiptLine::Space,
            ReceiptLine::text("Folgender Betrag"),
            ReceiptLine::text("wurde aufgeladen:"),
            ReceiptLine::important(&amount(f.load)),
        ]);
    }
    if blocks.revenue {
        out.extend([
            ReceiptLine::Space,
            ReceiptLine::text("Umsatz erfasst:"),
            ReceiptLine::important(&amount(f.revenue)),
        ]);
    }
    if blocks.bonus {
        out.extend([
            ReceiptLine::Space,
            ReceiptLine::text("Bonus:"),
            ReceiptLine::important(&amount(f.bonus_collected)),
        ]);
    }
    out.extend([
        ReceiptLine::Space,
        ReceiptLine::text(BALANCE),
        ReceiptLine::important(&format_amount(balance_after, &f.currency)),
    ]);
    out
}

/// Receipt of a bonus correction (a loyalpos rule): the signed change of the bonus balance and
/// the balance after it.
pub fn bonus_correction_receipt(
    card_number: &str,
    ta_code: i64,
    change: Cents,
    balance_after: Cents,
    currency: &Currency,
) -> Vec<ReceiptLine> {
    let mut out = header("Kundenkarte", card_number, ta_code);
    out.extend([
        ReceiptLine::Space,
        ReceiptLine::text("Bonuskorrektur:"),
        ReceiptLine::important(&format_amount(change, currency)),
        ReceiptLine::Space,
        ReceiptLine::text(BALANCE),
        ReceiptLine::important(&format_amount(balance_after, currency)),
    ]);
    out
}

/// STORNO receipt of a cancelled bonus correction: the change negated, the new TA code and the
/// balance after the reversal.
pub fn bonus_correction_storno_receipt(
    card_number: &str,
    cancel_ta_code: i64,
    change: Cents,
    balance_after: Cents,
    currency: &Currency,
) -> Vec<ReceiptLine> {
    let mut out = vec![storno_line()];
    out.extend(bonus_correction_receipt(
        card_number,
        cancel_ta_code,
        change.neg(),
        balance_after,
        currency,
    ));
    out
}

/// Receipt of a direct points booking (§9); points are printed as plain integers.
pub fn points_receipt(
    card_number: &str,
    ta_code: i64,
    charged: bool,
    amount: i64,
    points_after: i64,
) -> Vec<ReceiptLine> {
    points_layout(card_number, ta_code, charged, amount, points_after)
}

/// STORNO receipt of a cancelled points booking: the points layout with the amount negated.
pub fn points_storno_receipt(
    card_number: &str,
    cancel_ta_code: i64,
    charged: bool,
    amount: i64,
    points_after: i64,
) -> Vec<ReceiptLine> {
    let mut out = vec![storno_line()];
    out.extend(points_layout(
        card_number,
        cancel_ta_code,
        charged,
        amount.saturating_neg(),
        points_after,
    ));
    out
}

fn points_layout(
    card_number: &str,
    ta_code: i64,
    charged: bool,
    amount: i64,
    points_after: i64,
) -> Vec<ReceiptLine> {
    let label = if charged {
        "Punkte gutgeschrieben:"
    } else {
        "Punkte eingelöst:"
    };
    let mut out = header("Kundenkarte", card_number, ta_code);
    out.extend([
        ReceiptLine::Space,
        ReceiptLine::text(label),
        ReceiptLine::important(&amount.to_string()),
        ReceiptLine::Space,
        ReceiptLine::text("Aktuelle Punkte"),
        ReceiptLine::important(&points_after.to_string()),
    ]);
    out
}

/// `getCardBalanceReceipt` (§9 #9).
pub fn balance_receipt(card_number: &str, balance: Cents, currency: &Currency) -> Vec<ReceiptLine> {
    vec![
        ReceiptLine::separator("Kundenkarte"),
        ReceiptLine::name_value("Kartennummer: ", card_number),
        ReceiptLine::Space,
        ReceiptLine::text(BALANCE),
        ReceiptLine::important(&format_amount(balance, currency)),
    ]
}

/// `diagnosis` (§8.12); a device without terminal id prints an empty value.
pub fn diagnosis_receipt(tid: Option<&str>) -> Vec<ReceiptLine> {
    vec![
        ReceiptLine::separator("Diagnose"),
        ReceiptLine::name_value("Terminal-ID: ", tid.unwrap_or("")),
        ReceiptLine::text("Diagnose erfolgreich"),
    ]
}

/// `endOfDay` (§8.12): count and sum of the device's cashless payments since the previous end-of-day.
pub fn end_of_day_receipt(
    tid: Option<&str>,
    count: i64,
    sum: Cents,
    currency: &Currency,
) -> Vec<ReceiptLine> {
    vec![
        ReceiptLine::separator("Kassenschnitt"),
        ReceiptLine::name_value("Terminal-ID: ", tid.unwrap_or("")),
        ReceiptLine::name_value("Anzahl: ", &count.to_string()),
        ReceiptLine::name_value("Summe: ", &format_amount(sum, currency)),
    ]
}

/// The shorthand of examples.md §0 (`SEP`, `NV`, `TL`, `TL!`, `SP`, `STORNO`), for tests across the crate.
#[cfg(test)]
pub(crate) mod shorthand {
    use super::*;

    pub fn sep(c: &str) -> ReceiptLine {
        ReceiptLine::separator(c)
    }
    pub fn nv(n: &str, v: &str) -> ReceiptLine {
        ReceiptLine::name_value(n, v)
    }
    pub fn tl(t: &str) -> ReceiptLine {
        ReceiptLine::text(t)
    }
    pub fn tl_(t: &str) -> ReceiptLine {
        ReceiptLine::important(t)
    }
    pub const SP: ReceiptLine = ReceiptLine::Space;
    pub fn storno() -> ReceiptLine {
        storno_line()
    }
}

#[cfg(test)]
mod tests {
    use super::shorthand::*;
    use super::*;

    fn figures(paid: i64, load: i64, revenue: i64, bonus: i64, after: i64) -> ReceiptFigures {
        ReceiptFigures {
            load_only: false,
            card_number: "9276004429942845".into(),
            ta_code: 29187330,
            paid_by_card: Cents(paid),
            load: Cents(load),
            revenue: Cents(revenue),
            bonus_collected: Cents(bonus),
            balance_after: Cents(after),
            currency: Currency::eur(),
        }
    }

    fn head(caption: &str, ta: &str) -> Vec<ReceiptLine> {
        vec![
            sep(caption),
            nv("Kartennummer: ", "9276004429942845"),
            nv("TA Code: ", ta),
        ]
    }

    fn with(mut head: Vec<ReceiptLine>, rest: &[ReceiptLine]) -> Vec<ReceiptLine> {
        head.extend_from_slice(rest);
        head
    }

    #[test]
    fn decorations_and_line_types_have_their_wire_names() {
        let names: Vec<&str> = [
            Decoration::Important,
            Decoration::AlignLeft,
            Decoration::AlignCenter,
            Decoration::AlignRight,
        ]
        .map(Decoration::as_str)
        .to_vec();
        assert_eq!(
            names,
            ["important", "align-left", "align-center", "align-right"]
        );
        let types: Vec<&str> = [sep("x"), nv("n", "v"), tl("t"), SP]
            .iter()
            .map(ReceiptLine::type_str)
            .collect();
        assert_eq!(types, ["separator", "name-value", "textline", "space"]);
    }

    #[test]
    fn the_seed_receipt_shows_only_the_revenue_and_the_balance() {
        // V1, value for value.
        let r = booking_receipt(&figures(0, 0, 796, 0, 1000));
        assert_eq!(
            r,
            [
                ReceiptLine::Separator {
                    caption: "Kundenkarte".into()
                },
                ReceiptLine::NameValue {
                    name: "Kartennummer: ".into(),
                    value: "9276004429942845".into(),
                    decoration: vec![]
                },
                ReceiptLine::NameValue {
                    name: "TA Code: ".into(),
                    value: "29187330".into(),
                    decoration: vec![]
                },
                ReceiptLine::Space,
                ReceiptLine::TextLine {
                    text: "Umsatz erfasst:".into(),
                    decoration: vec![]
                },
                ReceiptLine::TextLine {
                    text: "7,96 EUR".into(),
                    decoration: vec![Decoration::Important]
                },
                ReceiptLine::Space,
                ReceiptLine::TextLine {
                    text: "Aktuelles Guthaben".into(),
                    decoration: vec![]
                },
                ReceiptLine::TextLine {
                    text: "10,00 EUR".into(),
                    decoration: vec![Decoration::Important]
                },
            ]
        );
    }

    #[test]
    fn blocks_appear_in_the_order_payment_load_revenue_bonus() {
        // V9b's figures: all four blocks.
        let r = booking_receipt(&figures(220, 2000, 5880, 788, 2788));
        let expected = with(
            head("Kundenkarte", "29187330"),
            &[
                SP,
                tl("Zahlung über:"),
                tl_("2,20 EUR"),
                SP,
                tl("Folgender Betrag"),
                tl("wurde aufgeladen:"),
                tl_("20,00 EUR"),
                SP,
                tl("Umsatz erfasst:"),
                tl_("58,80 EUR"),
                SP,
                tl("Bonus:"),
                tl_("7,88 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("27,88 EUR"),
            ],
        );
        assert_eq!(r, expected);
    }

    #[test]
    fn a_pure_discharge_shows_payment_but_no_revenue() {
        // V3.
        let r = booking_receipt(&figures(500, 0, 0, 0, 500));
        let expected = with(
            head("Kundenkarte", "29187330"),
            &[
                SP,
                tl("Zahlung über:"),
                tl_("5,00 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("5,00 EUR"),
            ],
        );
        assert_eq!(r, expected);
    }

    #[test]
    fn a_load_only_receipt_has_the_aufladung_caption() {
        // V7.
        let mut f = figures(0, 1500, 0, 0, 2500);
        f.load_only = true;
        let expected = with(
            head("Kundenkarte Aufladung", "29187330"),
            &[
                SP,
                tl("Folgender Betrag"),
                tl("wurde aufgeladen:"),
                tl_("15,00 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("25,00 EUR"),
            ],
        );
        assert_eq!(booking_receipt(&f), expected);
    }

    #[test]
    fn the_storno_of_a_load_negates_it_and_shows_the_new_ta_code() {
        // V8a.
        let mut f = figures(0, 1500, 0, 0, 2500);
        f.load_only = true;
        let expected = with(
            vec![storno()],
            &with(
                head("Kundenkarte Aufladung", "29187331"),
                &[
                    SP,
                    tl("Folgender Betrag"),
                    tl("wurde aufgeladen:"),
                    tl_("-15,00 EUR"),
                    SP,
                    tl("Aktuelles Guthaben"),
                    tl_("10,00 EUR"),
                ],
            ),
        );
        assert_eq!(storno_receipt(&f, 29187331, Cents(1000)), expected);
        assert_eq!(
            storno(),
            ReceiptLine::TextLine {
                text: "STORNO".into(),
                decoration: vec![Decoration::Important, Decoration::AlignCenter]
            }
        );
    }

    #[test]
    fn the_storno_of_a_register_payment_negates_the_revenue() {
        // V8b step 2.
        let f = figures(0, 0, 796, 0, 2500);
        let expected = with(
            vec![storno()],
            &with(
                head("Kundenkarte", "29187332"),
                &[
                    SP,
                    tl("Umsatz erfasst:"),
                    tl_("-7,96 EUR"),
                    SP,
                    tl("Aktuelles Guthaben"),
                    tl_("25,00 EUR"),
                ],
            ),
        );
        assert_eq!(storno_receipt(&f, 29187332, Cents(2500)), expected);
    }

    #[test]
    fn the_storno_of_a_purchase_with_bonus_negates_every_block() {
        // V6's purchase cancelled: C back to 200/20.
        let f = figures(220, 0, 776, 78, 78);
        let r = storno_receipt(&f, 29187331, Cents(220));
        let texts: Vec<&ReceiptLine> = r.iter().filter(|l| matches!(l, ReceiptLine::TextLine { decoration, .. } if decoration == &[Decoration::Important])).collect();
        assert_eq!(
            texts,
            [
                &tl_("-2,20 EUR"),
                &tl_("-7,76 EUR"),
                &tl_("-0,78 EUR"),
                &tl_("2,20 EUR")
            ]
        );
    }

    #[test]
    fn a_zero_receipt_still_shows_the_revenue_block() {
        let r = booking_receipt(&figures(0, 0, 0, 0, 0));
        assert_eq!(&r[3..6], [SP, tl("Umsatz erfasst:"), tl_("0,00 EUR")]);
    }

    #[test]
    fn a_negative_revenue_is_shown() {
        let r = booking_receipt(&figures(0, 1000, -300, 0, 1000));
        assert_eq!(&r[7..10], [SP, tl("Umsatz erfasst:"), tl_("-3,00 EUR")]);
    }

    #[test]
    fn points_receipts_print_plain_integers() {
        let expected = with(
            head("Kundenkarte", "29187330"),
            &[
                SP,
                tl("Punkte gutgeschrieben:"),
                tl_("50"),
                SP,
                tl("Aktuelle Punkte"),
                tl_("60"),
            ],
        );
        assert_eq!(
            points_receipt("9276004429942845", 29187330, true, 50, 60),
            expected
        );
        let expected = with(
            head("Kundenkarte", "29187331"),
            &[
                SP,
                tl("Punkte eingelöst:"),
                tl_("60"),
                SP,
                tl("Aktuelle Punkte"),
                tl_("0"),
            ],
        );
        assert_eq!(
            points_receipt("9276004429942845", 29187331, false, 60, 0),
            expected
        );
    }

    #[test]
    fn a_points_storno_negates_the_points() {
        let r = points_storno_receipt("9276004429942845", 29187332, true, 50, 10);
        assert_eq!(r[0], storno());
        assert_eq!(&r[5..7], [tl("Punkte gutgeschrieben:"), tl_("-50")]);
        assert_eq!(r[9], tl_("10"));
    }

    #[test]
    fn the_balance_receipt_has_no_ta_code() {
        let r = balance_receipt("9276004428481652", Cents(352), &Currency::eur());
        assert_eq!(
            r,
            [
                sep("Kundenkarte"),
                nv("Kartennummer: ", "9276004428481652"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("3,52 EUR")
            ]
        );
    }

    #[test]
    fn the_diagnosis_receipt_names_the_terminal() {
        assert_eq!(
            diagnosis_receipt(Some("VT000124")),
            [
                sep("Diagnose"),
                nv("Terminal-ID: ", "VT000124"),
                tl("Diagnose erfolgreich")
            ]
        );
        assert_eq!(diagnosis_receipt(None)[1], nv("Terminal-ID: ", ""));
    }

    #[test]
    fn the_end_of_day_receipt_counts_one_payment_of_12_euros() {
        // V16 step 5.
        assert_eq!(
            end_of_day_receipt(Some("VT000124"), 1, Cents(1200), &Currency::eur()),
            [
                sep("Kassenschnitt"),
                nv("Terminal-ID: ", "VT000124"),
                nv("Anzahl: ", "1"),
                nv("Summe: ", "12,00 EUR")
            ]
        );
    }
}
