//! `loyalpos check`: the ledger invariant holds after real flows, and a planted violation is found.
mod common;
use common::*;

on_both_backends! {
    async fn check_passes_after_flows_and_finds_a_planted_violation(app: TestApp) {
        app.pre("STX_WHCJCB3SD2NSZZ73E33NP3TJJ4RKA2").await.ok();
        app.start("STX_WHCJCB3SD2NSZZ73E33NP3TJJ4RKA2", "cash").await.ok();
        app.start(SEED_STX, "cash").await.ok();
        app.cancel(SEED_STX).await.ok();
        let (ok, out) = cli_status(&app.db.url, &["check"]);
        assert!(ok, "{out}");
        assert!(out.contains("5 merchant cards"), "{out}");
        assert!(out.trim_end().ends_with(": 0 violations"), "{out}");

        raw_sql(&app.db.url, &format!("UPDATE merchantcards SET cash_balance = cash_balance + 1 WHERE id = '{MCD_C}'")).await;
        let (ok, out) = cli_status(&app.db.url, &["check"]);
        assert!(!ok, "a planted violation must fail the check");
        assert!(out.contains(&format!("violation: {MCD_C}: cash balance 1 but its bookings sum to 0")), "{out}");
    }
}
