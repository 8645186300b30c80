//! examples.md V1–V17 end to end through the pure domain: plan → settle → receipt → reverse → STORNO.
//! TA codes are the ones the vectors show; the store allocates them in reality.

use crate::DomainError;
use crate::basket::{Line, totals};
use crate::booking::{BalanceKind, Booking, BookingType};
use crate::direct::{DirectAction, direct};
use crate::money::{Cents, Currency};
use crate::plan::{Balances, plan};
use crate::program::{CardRules, FilterMode};
use crate::receipt::shorthand::*;
use crate::receipt::{ReceiptLine, booking_receipt, storno_receipt};
use crate::reversal::{LtxState, check_cancellable, reverse};
use crate::settle::{LtxDescription, Settlement, settle};
use crate::status::{StxStatus, check_loyalty_method};
use crate::testutil::*;

const A: &str = "9276004429942845";
const B: &str = "9276004428481652";
const C: &str = "9276004424644352";
const D: &str = "9276004400000071";
const E: &str = "9276004429999952";

fn eur() -> Currency {
    Currency::eur()
}

fn receipt(s: &Settlement, card: &str, ta: i64) -> Vec<ReceiptLine> {
    booking_receipt(&s.receipt_figures(card, ta, &eur()).unwrap())
}

/// SEP caption, NV card, NV TA, then the rest.
fn expect(caption: &str, card: &str, ta: &str, rest: &[ReceiptLine]) -> Vec<ReceiptLine> {
    let mut out = vec![
        sep(caption),
        nv("Kartennummer: ", card),
        nv("TA Code: ", ta),
    ];
    out.extend_from_slice(rest);
    out
}

fn prepaid(lines: &[Line], card: &Balances, rules: &CardRules) -> Settlement {
    let p = plan(lines, card, rules).unwrap();
    settle(lines, Some(&p), card, rules).unwrap()
}

fn bk(kind: BookingType, balance: BalanceKind, amount: i64) -> Booking {
    Booking::new(kind, balance, amount)
}

fn v9_basket() -> Vec<Line> {
    vec![goods(1, 1, 5900, 19).with_article("30200"), load(2, 2000)]
}

#[test]
fn v1_the_seed_pays_at_the_register_and_prints_the_seed_receipt() {
    let s = settle(&docs_basket(), None, &bal(1000, 0), &punkte_rules()).unwrap();
    assert_eq!(s.description, LtxDescription::Revenue);
    assert_eq!((s.ltx_amount(), s.revenue), (Ok(Cents(0)), Cents(796)));
    assert!(s.bookings.is_empty());
    assert_eq!(
        receipt(&s, A, 29187330),
        expect(
            "Kundenkarte",
            A,
            "29187330",
            &[
                SP,
                tl("Umsatz erfasst:"),
                tl_("7,96 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("10,00 EUR")
            ]
        )
    );
}

#[test]
fn v2_missing_sum_0_lets_the_card_pay_everything() {
    let t = totals(&docs_basket()).unwrap();
    let p = plan(&docs_basket(), &bal(1000, 0), &punkte_rules()).unwrap();
    assert_eq!(p.missing_sum, Cents(0));
    assert_eq!(
        check_loyalty_method(StxStatus::Processing, &t, Some(&p)),
        Ok(())
    );
    let s = settle(&docs_basket(), Some(&p), &bal(1000, 0), &punkte_rules()).unwrap();
    assert_eq!(s.balances_after, bal(204, 0));
    assert_eq!(
        receipt(&s, A, 29187330),
        expect(
            "Kundenkarte",
            A,
            "29187330",
            &[
                SP,
                tl("Zahlung über:"),
                tl_("7,96 EUR"),
                SP,
                tl("Umsatz erfasst:"),
                tl_("7,96 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("2,04 EUR")
            ]
        )
    );
    // Negative: start/loyalty without preTransaction.
    assert!(matches!(
        check_loyalty_method(StxStatus::Created, &t, None),
        Err(DomainError::StateConflict(_))
    ));
}

#[test]
fn v3_discharging_5_euros_prints_the_payment_only() {
    let lines = [discharge(1, 500)];
    let t = totals(&lines).unwrap();
    assert_eq!(check_loyalty_method(StxStatus::Created, &t, None), Ok(()));
    let s = settle(&lines, None, &bal(1000, 0), &punkte_rules()).unwrap();
    assert_eq!(
        (s.description.as_str(), s.ltx_amount(), s.revenue),
        ("Entladung", Ok(Cents(-500)), Cents(0))
    );
    assert_eq!(
        receipt(&s, A, 29187330),
        expect(
            "Kundenkarte",
            A,
            "29187330",
            &[
                SP,
                tl("Zahlung über:"),
                tl_("5,00 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("5,00 EUR")
            ]
        )
    );
    let err = settle(&[discharge(1, 1500)], None, &bal(1000, 0), &punkte_rules()).unwrap_err();
    assert!(matches!(err, DomainError::InsufficientBalance(_)));
}

#[test]
fn v4_a_card_with_500_leaves_296_for_the_cash_drawer() {
    let p = plan(&docs_basket(), &bal(500, 0), &punkte_rules()).unwrap();
    assert_eq!(p.missing_sum, Cents(296));
    let s = settle(&docs_basket(), Some(&p), &bal(500, 0), &punkte_rules()).unwrap();
    assert_eq!(
        s.bookings,
        [bk(BookingType::CashSpent, BalanceKind::Cash, -500)]
    );
    assert_eq!((s.balances_after, s.revenue), (bal(0, 0), Cents(796)));
    assert_eq!(
        receipt(&s, A, 29187331),
        expect(
            "Kundenkarte",
            A,
            "29187331",
            &[
                SP,
                tl("Zahlung über:"),
                tl_("5,00 EUR"),
                SP,
                tl("Umsatz erfasst:"),
                tl_("7,96 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("0,00 EUR")
            ]
        )
    );
}

#[test]
fn v5_spending_bonus_71_collects_73_on_the_reduced_base() {
    let s = prepaid(&docs_basket(), &bal(0, 71), &bonus10_rules());
    assert_eq!(
        (s.balances_after, s.ltx_amount(), s.revenue),
        (bal(0, 73), Ok(Cents(2)), Cents(725))
    );
    assert_eq!(
        receipt(&s, D, 29187330),
        expect(
            "Kundenkarte",
            D,
            "29187330",
            &[
                SP,
                tl("Zahlung über:"),
                tl_("0,71 EUR"),
                SP,
                tl("Umsatz erfasst:"),
                tl_("7,25 EUR"),
                SP,
                tl("Bonus:"),
                tl_("0,73 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("0,73 EUR"),
            ]
        )
    );
}

#[test]
fn v6_spending_bonus_20_and_cash_200_collects_78() {
    let s = prepaid(&docs_basket(), &bal(200, 20), &bonus10_rules());
    assert_eq!(
        (s.balances_after, s.ltx_amount(), s.revenue),
        (bal(0, 78), Ok(Cents(-142)), Cents(776))
    );
    assert_eq!(
        receipt(&s, C, 29187330),
        expect(
            "Kundenkarte",
            C,
            "29187330",
            &[
                SP,
                tl("Zahlung über:"),
                tl_("2,20 EUR"),
                SP,
                tl("Umsatz erfasst:"),
                tl_("7,76 EUR"),
                SP,
                tl("Bonus:"),
                tl_("0,78 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("0,78 EUR"),
            ]
        )
    );
}

fn v7_load() -> Settlement {
    settle(
        &[load(1, 1500).with_ean("4260447149502")],
        None,
        &bal(1000, 0),
        &punkte_rules(),
    )
    .unwrap()
}

#[test]
fn v7_loading_15_euros_prints_the_aufladung_receipt() {
    let s = v7_load();
    assert_eq!(
        s.bookings,
        [bk(BookingType::Charge, BalanceKind::Cash, 1500)]
    );
    assert_eq!(
        (s.description.as_str(), s.balances_after, s.revenue),
        ("Aufladung", bal(2500, 0), Cents(0))
    );
    assert_eq!(
        receipt(&s, A, 29187330),
        expect(
            "Kundenkarte Aufladung",
            A,
            "29187330",
            &[
                SP,
                tl("Folgender Betrag"),
                tl("wurde aufgeladen:"),
                tl_("15,00 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("25,00 EUR")
            ]
        )
    );
}

#[test]
fn v8a_cancelling_the_last_load_prints_a_storno_receipt() {
    let s = v7_load();
    let history = [
        LtxState {
            is_opening: true,
            ..LtxState::default()
        },
        LtxState::default(),
    ];
    assert_eq!(check_cancellable(&history, 1, false), Ok(()));
    let (bookings, after) = reverse(&s.bookings, &s.balances_after, &punkte_rules()).unwrap();
    assert_eq!(
        bookings,
        [bk(BookingType::Charge, BalanceKind::Cash, -1500)]
    );
    assert_eq!(after, bal(1000, 0));
    let original = s.receipt_figures(A, 29187330, &eur()).unwrap();
    let mut expected = vec![storno()];
    expected.extend(expect(
        "Kundenkarte Aufladung",
        A,
        "29187331",
        &[
            SP,
            tl("Folgender Betrag"),
            tl("wurde aufgeladen:"),
            tl_("-15,00 EUR"),
            SP,
            tl("Aktuelles Guthaben"),
            tl_("10,00 EUR"),
        ],
    ));
    assert_eq!(
        storno_receipt(&original, 29187331, after.balance().unwrap()),
        expected
    );
}

#[test]
fn v8b_only_the_most_recent_transaction_is_cancelled_first() {
    let rules = punkte_rules();
    let load = v7_load();
    let sale = settle(&docs_basket(), None, &load.balances_after, &rules).unwrap();
    assert_eq!(receipt(&sale, A, 29187331).last(), Some(&tl_("25,00 EUR")));
    let mut history = vec![
        LtxState {
            is_opening: true,
            ..LtxState::default()
        },
        LtxState::default(),
        LtxState::default(),
    ];

    // 1. The load is not the last one.
    assert!(matches!(
        check_cancellable(&history, 1, rules.cancel_selected),
        Err(DomainError::CancelNotAllowed(_))
    ));

    // 2. Cancel the sale: no bookings, revenue −796.
    assert_eq!(check_cancellable(&history, 2, false), Ok(()));
    let (bookings, after) = reverse(&sale.bookings, &sale.balances_after, &rules).unwrap();
    assert!(bookings.is_empty());
    assert_eq!(after, bal(2500, 0));
    let mut expected = vec![storno()];
    expected.extend(expect(
        "Kundenkarte",
        A,
        "29187332",
        &[
            SP,
            tl("Umsatz erfasst:"),
            tl_("-7,96 EUR"),
            SP,
            tl("Aktuelles Guthaben"),
            tl_("25,00 EUR"),
        ],
    ));
    let figures = sale.receipt_figures(A, 29187331, &eur()).unwrap();
    assert_eq!(
        storno_receipt(&figures, 29187332, after.balance().unwrap()),
        expected
    );
    history[2].cancelled = true;
    history.push(LtxState {
        is_cancelling: true,
        ..LtxState::default()
    });

    // 3. Now the load is the most recent uncancelled one.
    assert_eq!(check_cancellable(&history, 1, false), Ok(()));
    let (_, after) = reverse(&load.bookings, &after, &rules).unwrap();
    assert_eq!(after, bal(1000, 0));
}

#[test]
fn v8c_a_reversal_must_not_overdraw_the_gift_card() {
    let rules = gift_rules();
    let sl = settle(&[load(1, 1000)], None, &bal(300, 52), &rules).unwrap();
    assert_eq!(sl.balances_after, bal(1300, 52));
    let sd_lines = [discharge(1, 1200)];
    assert_eq!(
        check_loyalty_method(StxStatus::Created, &totals(&sd_lines).unwrap(), None),
        Ok(())
    );
    let sd = settle(&sd_lines, None, &sl.balances_after, &rules).unwrap();
    assert_eq!(sd.balances_after, bal(100, 52));

    let err = reverse(&sl.bookings, &sd.balances_after, &rules).unwrap_err();
    assert!(matches!(err, DomainError::CancelNotAllowed(_)));
    let (_, after) = reverse(&sd.bookings, &sd.balances_after, &rules).unwrap();
    assert_eq!(after, bal(1300, 52));
    let (_, after) = reverse(&sl.bookings, &after, &rules).unwrap();
    assert_eq!(after, bal(300, 52));
}

#[test]
fn v9_goods_and_a_load_without_pre_transaction_collect_790() {
    let s = settle(&v9_basket(), None, &bal(200, 20), &bonus10_rules()).unwrap();
    assert_eq!(
        s.bookings,
        [
            bk(BookingType::Charge, BalanceKind::Cash, 2000),
            bk(BookingType::BonusCollected, BalanceKind::Bonus, 790)
        ]
    );
    assert_eq!(
        (s.balances_after, s.ltx_amount(), s.revenue),
        (bal(2200, 810), Ok(Cents(2790)), Cents(5900))
    );
    assert_eq!(s.description, LtxDescription::Revenue);
    assert!(!s.all_lines_load);
    assert_eq!(
        receipt(&s, C, 29187330),
        expect(
            "Kundenkarte",
            C,
            "29187330",
            &[
                SP,
                tl("Folgender Betrag"),
                tl("wurde aufgeladen:"),
                tl_("20,00 EUR"),
                SP,
                tl("Umsatz erfasst:"),
                tl_("59,00 EUR"),
                SP,
                tl("Bonus:"),
                tl_("7,90 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("30,10 EUR"),
            ]
        )
    );
}

#[test]
fn v9b_with_pre_transaction_spends_220_and_collects_788() {
    let s = prepaid(&v9_basket(), &bal(200, 20), &bonus10_rules());
    assert_eq!(s.balances_after, bal(2000, 788));
    assert_eq!(
        receipt(&s, C, 29187330),
        expect(
            "Kundenkarte",
            C,
            "29187330",
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
            ]
        )
    );
}

#[test]
fn v9c_blacklisting_the_load_ean_collects_590() {
    let mut rules = bonus10_rules();
    rules.bonus.filter_mode = FilterMode::Blacklist;
    rules.bonus.filter_codes = vec!["4260447149502".into()];
    let s = settle(&v9_basket(), None, &bal(200, 20), &rules).unwrap();
    assert_eq!(
        (s.bonus_collected, s.balances_after),
        (Cents(590), bal(2200, 610))
    );
    let r = receipt(&s, C, 29187330);
    assert_eq!(
        &r[r.len() - 5..],
        [
            tl("Bonus:"),
            tl_("5,90 EUR"),
            SP,
            tl("Aktuelles Guthaben"),
            tl_("28,10 EUR")
        ]
    );
}

#[test]
fn v10_after_put_start_spends_nothing_and_collects_80() {
    let s = settle(&docs_basket(), None, &bal(200, 20), &bonus10_rules()).unwrap();
    assert_eq!(
        (s.bonus_collected, s.balances_after),
        (Cents(80), bal(200, 100))
    );
    assert_eq!(
        receipt(&s, C, 29187330),
        expect(
            "Kundenkarte",
            C,
            "29187330",
            &[
                SP,
                tl("Umsatz erfasst:"),
                tl_("7,96 EUR"),
                SP,
                tl("Bonus:"),
                tl_("0,80 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("3,00 EUR")
            ]
        )
    );
    // The variant: a fresh preTransaction gives V6's result.
    assert_eq!(
        prepaid(&docs_basket(), &bal(200, 20), &bonus10_rules()).balances_after,
        bal(0, 78)
    );
}

#[test]
fn v11_the_unlocked_card_e_pays_500_of_796() {
    let p = plan(&docs_basket(), &bal(500, 0), &punkte_rules()).unwrap();
    assert_eq!((p.missing_sum, p.bonus_lines.len()), (Cents(296), 0));
    let s = settle(&docs_basket(), Some(&p), &bal(500, 0), &punkte_rules()).unwrap();
    assert_eq!(s.balances_after, bal(0, 0));
    let r = receipt(&s, E, 29187330);
    assert_eq!(&r[4..6], [tl("Zahlung über:"), tl_("5,00 EUR")]);
    assert_eq!(&r[7..9], [tl("Umsatz erfasst:"), tl_("7,96 EUR")]);
    assert_eq!(r.last(), Some(&tl_("0,00 EUR")));
}

#[test]
fn v13_the_loser_of_a_race_gets_4204_and_recomputes_592() {
    let rules = punkte_rules();
    let card = bal(1000, 0);
    let p1 = plan(&docs_basket(), &card, &rules).unwrap();
    let p2 = plan(&docs_basket(), &card, &rules).unwrap();
    assert_eq!((p1.missing_sum, p2.missing_sum), (Cents(0), Cents(0)));

    let winner = settle(&docs_basket(), Some(&p1), &card, &rules).unwrap();
    assert_eq!(winner.balances_after, bal(204, 0));
    let err = settle(&docs_basket(), Some(&p2), &winner.balances_after, &rules).unwrap_err();
    assert!(matches!(err, DomainError::BalanceChanged(_)));

    let again = plan(&docs_basket(), &winner.balances_after, &rules).unwrap();
    assert_eq!(again.missing_sum, Cents(592));
    let loser = settle(&docs_basket(), Some(&again), &winner.balances_after, &rules).unwrap();
    assert_eq!(loser.balances_after, bal(0, 0));
    let r = receipt(&loser, A, 29187331);
    assert_eq!(&r[4..6], [tl("Zahlung über:"), tl_("2,04 EUR")]);
    assert_eq!(r.last(), Some(&tl_("0,00 EUR")));

    // Ledger: opening +1000, cash_spent −796, cash_spent −204 → 0.
    let cash: i64 = [1000]
        .into_iter()
        .chain(
            winner
                .bookings
                .iter()
                .chain(&loser.bookings)
                .map(|b| b.amount),
        )
        .sum();
    assert_eq!(cash, 0);
}

#[test]
fn v13b_two_discharges_of_600_cannot_both_succeed() {
    let rules = punkte_rules();
    let first = settle(&[discharge(1, 600)], None, &bal(1000, 0), &rules).unwrap();
    assert_eq!(first.balances_after, bal(400, 0));
    let err = settle(&[discharge(1, 600)], None, &first.balances_after, &rules).unwrap_err();
    assert!(matches!(err, DomainError::InsufficientBalance(_)));
}

#[test]
fn v17_a_card_created_on_the_fly_collects_590() {
    let s = settle(&[goods(1, 1, 5900, 19)], None, &bal(0, 0), &bonus10_rules()).unwrap();
    assert_eq!(s.balances_after, bal(0, 590));
    let r = receipt(&s, "9276123456789012", 29187330);
    assert_eq!(
        &r[3..],
        [
            SP,
            tl("Umsatz erfasst:"),
            tl_("59,00 EUR"),
            SP,
            tl("Bonus:"),
            tl_("5,90 EUR"),
            SP,
            tl("Aktuelles Guthaben"),
            tl_("5,90 EUR")
        ]
    );
}

#[test]
fn direct_charge_prints_the_aufladung_receipt() {
    let o = direct(
        DirectAction::Charge,
        1500,
        false,
        &bal(1000, 0),
        &punkte_rules(),
    )
    .unwrap();
    assert_eq!(
        o.receipt(A, 29187330, &eur()).unwrap(),
        expect(
            "Kundenkarte Aufladung",
            A,
            "29187330",
            &[
                SP,
                tl("Folgender Betrag"),
                tl("wurde aufgeladen:"),
                tl_("15,00 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("25,00 EUR")
            ]
        )
    );
}

#[test]
fn direct_split_discharge_prints_the_amount_actually_paid() {
    let o = direct(
        DirectAction::Discharge,
        5000,
        true,
        &bal(300, 52),
        &gift_rules(),
    )
    .unwrap();
    assert_eq!(
        o.receipt(B, 29187330, &eur()).unwrap(),
        expect(
            "Kundenkarte",
            B,
            "29187330",
            &[
                SP,
                tl("Zahlung über:"),
                tl_("3,00 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("0,52 EUR")
            ]
        )
    );
}

#[test]
fn direct_sale_revenue_prints_revenue_and_bonus() {
    let o = direct(
        DirectAction::SaleRevenue,
        5900,
        false,
        &bal(200, 20),
        &bonus10_rules(),
    )
    .unwrap();
    assert_eq!(
        o.receipt(C, 29187330, &eur()).unwrap(),
        expect(
            "Kundenkarte",
            C,
            "29187330",
            &[
                SP,
                tl("Umsatz erfasst:"),
                tl_("59,00 EUR"),
                SP,
                tl("Bonus:"),
                tl_("5,90 EUR"),
                SP,
                tl("Aktuelles Guthaben"),
                tl_("8,10 EUR")
            ]
        )
    );
}

#[test]
fn direct_points_bookings_print_the_points_layout() {
    let card = Balances {
        points: 10,
        ..bal(1000, 0)
    };
    let o = direct(
        DirectAction::ChargePoints,
        50,
        false,
        &card,
        &punkte_rules(),
    )
    .unwrap();
    let r = o.receipt(A, 29187330, &eur()).unwrap();
    assert_eq!(
        r,
        expect(
            "Kundenkarte",
            A,
            "29187330",
            &[
                SP,
                tl("Punkte gutgeschrieben:"),
                tl_("50"),
                SP,
                tl("Aktuelle Punkte"),
                tl_("60")
            ]
        )
    );
    let o = direct(
        DirectAction::DischargePoints,
        60,
        false,
        &o.balances_after,
        &punkte_rules(),
    )
    .unwrap();
    let r = o.receipt(A, 29187331, &eur()).unwrap();
    assert_eq!(
        &r[4..],
        [
            tl("Punkte eingelöst:"),
            tl_("60"),
            SP,
            tl("Aktuelle Punkte"),
            tl_("0")
        ]
    );
}
