//! The ledger invariant checker behind `loyalpos check` (api.md §7): recomputes every balance from
//! the append-only bookings and verifies floors, LTX amounts and running balances, reversals, TA
//! code uniqueness and the one-LTX-per-paid-smart-transaction rule.

use std::collections::{HashMap, HashSet};

use loyalpos_domain::booking::{BalanceKind, BookingType, LtxStatus};
use loyalpos_domain::money::Cents;
use loyalpos_domain::status::StxStatus;

use loyalpos_store::{BookingRow, CardgroupRow, LtxRow, MerchantcardRow, StoreError, StxRow, Tx};

use crate::smart::doc::StxDoc;

#[derive(Debug, Default)]
pub struct Report {
    pub merchantcards: usize,
    pub loyalty_transactions: usize,
    pub bookings: usize,
    pub smart_transactions: usize,
    pub violations: Vec<String>,
}

pub fn check(tx: &mut dyn Tx) -> Result<Report, StoreError> {
    let cards = tx.all_merchantcards()?;
    let groups = tx.all_cardgroups()?;
    let ltxs = tx.all_ltxs()?;
    let bookings = tx.all_bookings()?;
    let stxs = tx.all_stxs()?;
    let mut report = Report {
        merchantcards: cards.len(),
        loyalty_transactions: ltxs.len(),
        bookings: bookings.len(),
        smart_transactions: stxs.len(),
        violations: Vec::new(),
    };
    let by_ltx = group_bookings(&bookings);
    check_balances(&cards, &groups, &bookings, &mut report.violations);
    check_ltxs(&ltxs, &by_ltx, &mut report.violations);
    check_reversals(&ltxs, &by_ltx, &mut report.violations);
    check_smart_transactions(&stxs, &ltxs, &mut report.violations);
    Ok(report)
}

fn group_bookings(bookings: &[BookingRow]) -> HashMap<&str, Vec<&BookingRow>> {
    let mut map: HashMap<&str, Vec<&BookingRow>> = HashMap::new();
    for b in bookings {
        map.entry(b.ltx_id.as_str()).or_default().push(b);
    }
    map
}

/// Σ bookings per balance kind, in i128 so that even corrupt data cannot overflow the check.
fn sums<'a>(bookings: impl IntoIterator<Item = &'a BookingRow>) -> HashMap<BalanceKind, i128> {
    let mut out = HashMap::new();
    for b in bookings {
        *out.entry(b.balance_kind).or_insert(0) += i128::from(b.amount);
    }
    out
}

fn check_balances(
    cards: &[MerchantcardRow],
    groups: &[CardgroupRow],
    bookings: &[BookingRow],
    v: &mut Vec<String>,
) {
    let groups: HashMap<&str, &CardgroupRow> = groups.iter().map(|g| (g.id.as_str(), g)).collect();
    let mut per_card: HashMap<&str, Vec<&BookingRow>> = HashMap::new();
    for b in bookings {
        per_card
            .entry(b.merchantcard_id.as_str())
            .or_default()
            .push(b);
    }
    for card in cards {
        let s = sums(
            per_card
                .get(card.id.as_str())
                .into_iter()
                .flatten()
                .copied(),
        );
        for (kind, cached) in [
            (BalanceKind::Cash, card.cash_balance.0),
            (BalanceKind::Bonus, card.bonus_balance.0),
            (BalanceKind::Points, card.points),
        ] {
            let booked = s.get(&kind).copied().unwrap_or(0);
            if booked != i128::from(cached) {
                v.push(format!(
                    "{}: {kind} balance {cached} but its bookings sum to {booked}",
                    card.id
                ));
            }
        }
        let floor = match groups.get(card.cardgroup_id.as_str()) {
            Some(g) if g.overdraft_allowed => -g.overdraft_limit,
            _ => Cents::ZERO,
        };
        if card.cash_balance < floor {
            v.push(format!(
                "{}: cash balance {} below its floor {floor}",
                card.id, card.cash_balance
            ));
        }
        if card.bonus_balance.is_negative() || card.points < 0 {
            v.push(format!("{}: negative bonus or points balance", card.id));
        }
    }
}

/// Per LTX: amount = Σ money bookings; per card, in TA-code order, the running balance equals each LTX's `balance`.
fn check_ltxs(ltxs: &[LtxRow], by_ltx: &HashMap<&str, Vec<&BookingRow>>, v: &mut Vec<String>) {
    let mut seen_ta = HashSet::new();
    let mut running: HashMap<&str, i128> = HashMap::new();
    for l in ltxs {
        if !seen_ta.insert(l.trans_id) {
            v.push(format!("{}: TA code {} used twice", l.id, l.trans_id));
        }
        let s = sums(by_ltx.get(l.id.as_str()).into_iter().flatten().copied());
        let booked = |kind| s.get(&kind).copied().unwrap_or(0);
        let money = booked(BalanceKind::Cash) + booked(BalanceKind::Bonus);
        if money != i128::from(l.amount.0) {
            v.push(format!(
                "{}: amount {} but its money bookings sum to {money}",
                l.id, l.amount
            ));
        }
        let balance = running.entry(l.merchantcard_id.as_str()).or_insert(0);
        *balance += money;
        if *balance != i128::from(l.balance.0) {
            v.push(format!(
                "{}: balance after {} but the ledger gives {balance}",
                l.id, l.balance
            ));
        }
    }
}

fn check_reversals(ltxs: &[LtxRow], by_ltx: &HashMap<&str, Vec<&BookingRow>>, v: &mut Vec<String>) {
    let by_id: HashMap<&str, &LtxRow> = ltxs.iter().map(|l| (l.id.as_str(), l)).collect();
    let shape = |id: &str| -> Vec<(BookingType, BalanceKind, i64)> {
        by_ltx
            .get(id)
            .into_iter()
            .flatten()
            .map(|b| (b.kind, b.balance_kind, b.amount))
            .collect()
    };
    for y in ltxs.iter().filter(|l| l.is_cancelling) {
        let Some(x) = y.parent_id.as_deref().and_then(|p| by_id.get(p)) else {
            v.push(format!("{}: cancellation without its original", y.id));
            continue;
        };
        if x.status != LtxStatus::Cancelled || x.child_id.as_deref() != Some(y.id.as_str()) {
            v.push(format!(
                "{}: original {} is not marked as cancelled by it",
                y.id, x.id
            ));
        }
        let mirrored: Vec<_> = shape(&x.id)
            .into_iter()
            .map(|(k, b, a)| (k, b, -a))
            .collect();
        if shape(&y.id) != mirrored {
            v.push(format!(
                "{}: bookings do not mirror those of {}",
                y.id, x.id
            ));
        }
    }
    for x in ltxs.iter().filter(|l| l.status == LtxStatus::Cancelled) {
        let child_ok = x
            .child_id
            .as_deref()
            .and_then(|c| by_id.get(c))
            .is_some_and(|c| c.is_cancelling);
        if !child_ok {
            v.push(format!("{}: cancelled without a cancellation", x.id));
        }
    }
}

/// Every `ok` smart transaction with a card has exactly one (original) loyalty transaction, and it points back.
fn check_smart_transactions(stxs: &[StxRow], ltxs: &[LtxRow], v: &mut Vec<String>) {
    let by_id: HashMap<&str, &LtxRow> = ltxs.iter().map(|l| (l.id.as_str(), l)).collect();
    for s in stxs {
        let doc = match StxDoc::parse(&s.doc) {
            Ok(d) => d,
            Err(e) => {
                v.push(format!("{}: unreadable document: {e}", s.id));
                continue;
            }
        };
        let originals: Vec<&&LtxRow> = doc
            .transactions
            .iter()
            .filter_map(|id| by_id.get(id.as_str()))
            .filter(|l| !l.is_cancelling)
            .collect();
        if doc
            .transactions
            .iter()
            .any(|id| !by_id.contains_key(id.as_str()))
        {
            v.push(format!(
                "{}: refers to a loyalty transaction that does not exist",
                s.id
            ));
        }
        if s.status == StxStatus::Ok && doc.card_ident().is_some() && originals.len() != 1 {
            v.push(format!(
                "{}: ok with a card but {} loyalty transactions",
                s.id,
                originals.len()
            ));
        }
        for l in originals {
            if l.smart_transaction_id.as_deref() != Some(s.id.as_str()) {
                v.push(format!(
                    "{}: its loyalty transaction {} points elsewhere",
                    s.id, l.id
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use loyalpos_domain::card::{LockStatus, StockStatus};

    fn card(id: &str, cash: i64, bonus: i64) -> MerchantcardRow {
        MerchantcardRow {
            id: id.into(),
            merchant_id: "MRC_A".into(),
            card_id: "CRD_A".into(),
            cardgroup_id: "CRG_A".into(),
            created_for_merchant_id: "MRC_A".into(),
            created_for_store_id: None,
            customer_id: None,
            customer_assignment_date: None,
            is_base_card: true,
            cash_balance: Cents(cash),
            bonus_balance: Cents(bonus),
            points: 0,
            last_usage: None,
            last_charge: None,
            stock_status: StockStatus::Active,
            lock_status: LockStatus::Unlocked,
            lock_reason: None,
            lock_note: None,
            expiry_date: None,
            csc_hash: None,
            passcode_hash: None,
            created: 0,
        }
    }

    fn ltx(id: &str, trans_id: i64, amount: i64, balance: i64) -> LtxRow {
        LtxRow {
            id: id.into(),
            merchant_id: "MRC_A".into(),
            merchantcard_id: "MCD_A".into(),
            cardgroup_id: "CRG_A".into(),
            store_id: None,
            trans_id,
            tid: None,
            status: LtxStatus::Ok,
            amount: Cents(amount),
            currency: "EUR".into(),
            balance: Cents(balance),
            description: String::new(),
            purpose: None,
            additional_data: None,
            receipt: "[]".into(),
            figures: None,
            is_cancelling: false,
            revenue: Cents::ZERO,
            smart_transaction_id: None,
            parent_id: None,
            child_id: None,
            created: 0,
            last_change: 0,
        }
    }

    fn booking(ltx_id: &str, balance_kind: BalanceKind, amount: i64) -> BookingRow {
        BookingRow {
            ltx_id: ltx_id.into(),
            seq: 0,
            merchantcard_id: "MCD_A".into(),
            kind: BookingType::Charge,
            balance_kind,
            amount,
        }
    }

    #[test]
    fn a_cached_balance_must_equal_the_sum_of_its_bookings() {
        let bookings = [
            booking("LTX_1", BalanceKind::Cash, 1000),
            booking("LTX_2", BalanceKind::Cash, -300),
        ];
        let mut violations = Vec::new();
        check_balances(&[card("MCD_A", 700, 0)], &[], &bookings, &mut violations);
        assert_eq!(violations, Vec::<String>::new());
        check_balances(&[card("MCD_A", 701, 0)], &[], &bookings, &mut violations);
        assert_eq!(
            violations,
            ["MCD_A: cash balance 701 but its bookings sum to 700"]
        );
    }

    #[test]
    fn a_balance_below_the_floor_is_a_violation() {
        let mut violations = Vec::new();
        let bookings = [booking("LTX_1", BalanceKind::Bonus, -5)];
        check_balances(&[card("MCD_A", 0, -5)], &[], &bookings, &mut violations);
        assert_eq!(violations, ["MCD_A: negative bonus or points balance"]);
    }

    #[test]
    fn running_balances_and_ta_codes_are_checked_in_order() {
        let ltxs = [ltx("LTX_1", 7, 1000, 1000), ltx("LTX_2", 7, -300, 600)];
        let bookings = [
            booking("LTX_1", BalanceKind::Cash, 1000),
            booking("LTX_2", BalanceKind::Cash, -300),
        ];
        let mut violations = Vec::new();
        check_ltxs(&ltxs, &group_bookings(&bookings), &mut violations);
        assert_eq!(
            violations,
            [
                "LTX_2: TA code 7 used twice",
                "LTX_2: balance after 600 but the ledger gives 700"
            ]
        );
    }
}
