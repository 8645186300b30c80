mod common;
mod loyalty_support;

use common::*;
use loyalty_support::*;
use serde_json::{Value, json};

/// The loyalty transaction with this TA code.
async fn ltx(app: &TestApp, trans_id: i64) -> Value {
    let r = app
        .get(
            &format!("/Loyalty/Transactions?q=trans_id:{trans_id}"),
            PINNED,
        )
        .await;
    assert_eq!(r.ok()["count"], 1, "{}", r.text);
    r.body["data"][0].clone()
}

/// The merchant-card part of a direct transaction's answer.
fn card_part(answer: &Value) -> Value {
    let mut card = answer.clone();
    for key in ["receipt_header", "receipt", "trans_id", "amount"] {
        card.as_object_mut().unwrap().remove(key);
    }
    card
}

fn header(caption: &str, number: &str, ta: &str) -> Vec<Value> {
    vec![
        sep(caption),
        nv("Kartennummer: ", number),
        nv("TA Code: ", ta),
    ]
}

on_both_backends! {
    async fn a_direct_charge_books_cash_and_prints_the_load_receipt(app: TestApp) {
        let r = direct(&app, A.mcd, json!({"action": "charge", "amount": 1500, "tid": "KASSE-7", "additional_data": {"order": 17}})).await;
        let answer = r.ok().clone();
        let mut receipt = header("Kundenkarte Aufladung", A.number, "29187330");
        receipt.extend([sp(), tl("Folgender Betrag"), tl("wurde aufgeladen:"), tl_("15,00 EUR"), sp(), tl("Aktuelles Guthaben"), tl_("25,00 EUR")]);
        assert_eq!(answer["receipt"], Value::Array(receipt.clone()));
        assert_eq!((answer["receipt_header"].clone(), answer["trans_id"].clone(), answer["amount"].clone()), (json!([]), json!(29187330), json!(1500)));
        assert_eq!((answer["cash_balance"].as_i64(), answer["balance"].as_i64()), (Some(2500), Some(2500)));
        assert_eq!(answer["last_usage"], answer["last_charge"]);
        assert_ne!(answer["last_charge"], "2020-09-24T14:40:57+02:00");
        assert_eq!(card_part(&answer), merchantcard(&app, A.mcd).await, "the answer is the merchant card plus the receipt");
        let keys: Vec<&str> = answer.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(&keys[keys.len() - 4..], ["receipt_header", "receipt", "trans_id", "amount"]);

        let l = ltx(&app, 29187330).await;
        assert_eq!((l["description"].as_str(), l["amount"].as_i64(), l["balance"].as_i64()), (Some("Aufladung"), Some(1500), Some(2500)));
        assert_eq!(l["bookings"], json!([{"type": "charge", "balance": "cash", "amount": 1500}]));
        assert_eq!((l["tid"].as_str(), l["store"]["id"].as_str()), (Some("KASSE-7"), Some(STORE)));
        assert_eq!(l["additional_data"], json!({"order": 17}));
        assert_eq!(l["receipt"], Value::Array(receipt));
        assert_eq!((l["status"].as_str(), l["is_cancelling"].as_i64(), l["revenue"].as_i64()), (Some("ok"), Some(0), Some(0)));
        assert_eq!((l["smart_transaction"].clone(), l["purpose"].clone()), (Value::Null, Value::Null));
        assert_eq!(l["merchantcard"], json!({"object": "loyalty.merchantcards", "id": A.mcd}));
        // without tid the device's terminal id is recorded
        direct(&app, A.mcd, json!({"action": "charge", "amount": 1})).await.ok();
        assert_eq!(ltx(&app, 29187331).await["tid"], "VT000124");
    }

    async fn a_discharge_needs_cover_unless_a_split_is_allowed(app: TestApp) {
        direct(&app, A.mcd, json!({"action": "discharge", "amount": 1200})).await.assert_error(400, 4203);
        let r = direct(&app, A.mcd, json!({"action": "discharge", "amount": 600, "terminal_id": "T-1"})).await;
        let mut receipt = header("Kundenkarte", A.number, "29187330");
        receipt.extend([sp(), tl("Zahlung über:"), tl_("6,00 EUR"), sp(), tl("Aktuelles Guthaben"), tl_("4,00 EUR")]);
        assert_eq!(r.ok()["receipt"], Value::Array(receipt), "the refused discharge used no TA code");
        assert_eq!((r.body["amount"].as_i64(), r.body["cash_balance"].as_i64()), (Some(600), Some(400)));
        assert_eq!(ltx(&app, 29187330).await["description"], "Entladung");
        assert_eq!(ltx(&app, 29187330).await["tid"], "T-1");

        let r = direct(&app, A.mcd, json!({"action": "discharge", "amount": 1000, "amount_split_allowed": "1"})).await;
        assert_eq!((r.ok()["amount"].as_i64(), r.body["cash_balance"].as_i64()), (Some(400), Some(0)));
        assert_eq!(r.body["receipt"][5], tl_("4,00 EUR"), "the receipt shows what was booked");
        direct(&app, A.mcd, json!({"action": "discharge", "amount": 1, "amount_split_allowed": "true"})).await.assert_error(400, 4203);
        // bonus is not cash: card D holds only bonus
        direct(&app, D.mcd, json!({"action": "discharge", "amount": 10, "amount_split_allowed": "1"})).await.assert_error(400, 4203);
        // an overdraft limit extends the cover
        let token = app.merchant_token().await;
        app.put(&format!("/Loyalty/Cardgroups/{PUNKTE}"), &token, json!({"overdraft_allowed": true, "overdraft_limit": 500})).await.ok();
        let r = direct(&app, A.mcd, json!({"action": "discharge", "amount": 900, "amount_split_allowed": "1"})).await;
        assert_eq!((r.ok()["amount"].as_i64(), r.body["cash_balance"].as_i64()), (Some(500), Some(-500)));
        assert_eq!(balances(&app, A.mcd).await, (-500, 0, 0));
    }

    async fn sale_revenue_credits_the_bonus_of_the_programme(app: TestApp) {
        let r = direct(&app, C.mcd, json!({"action": "sale_revenue", "amount": 725, "bonus_amount": 999})).await;
        let mut receipt = header("Kundenkarte", C.number, "29187330");
        receipt.extend([sp(), tl("Umsatz erfasst:"), tl_("7,25 EUR"), sp(), tl("Bonus:"), tl_("0,73 EUR"), sp(), tl("Aktuelles Guthaben"), tl_("2,93 EUR")]);
        assert_eq!(r.ok()["receipt"], Value::Array(receipt));
        assert_eq!((r.body["amount"].as_i64(), r.body["bonus_balance"].as_i64()), (Some(725), Some(93)));
        let l = ltx(&app, 29187330).await;
        assert_eq!((l["description"].as_str(), l["amount"].as_i64(), l["revenue"].as_i64()), (Some("Umsatz"), Some(73), Some(725)));
        assert_eq!(l["bookings"], json!([{"type": "bonus_collected", "balance": "bonus", "amount": 73}]));
        // without a bonus programme the revenue is recorded and nothing is booked
        let r = direct(&app, A.mcd, json!({"action": "sale_revenue", "amount": 796})).await;
        let mut receipt = header("Kundenkarte", A.number, "29187331");
        receipt.extend([sp(), tl("Umsatz erfasst:"), tl_("7,96 EUR"), sp(), tl("Aktuelles Guthaben"), tl_("10,00 EUR")]);
        assert_eq!(r.ok()["receipt"], Value::Array(receipt));
        let l = ltx(&app, 29187331).await;
        assert_eq!((l["bookings"].clone(), l["amount"].as_i64(), l["revenue"].as_i64()), (json!([]), Some(0), Some(796)));
    }

    async fn points_are_charged_and_discharged_as_whole_numbers(app: TestApp) {
        let r = direct(&app, A.mcd, json!({"action": "charge_points", "amount": 50})).await;
        let mut receipt = header("Kundenkarte", A.number, "29187330");
        receipt.extend([sp(), tl("Punkte gutgeschrieben:"), tl_("50"), sp(), tl("Aktuelle Punkte"), tl_("50")]);
        assert_eq!(r.ok()["receipt"], Value::Array(receipt));
        assert_eq!((r.body["points"].as_i64(), r.body["balance"].as_i64(), r.body["amount"].as_i64()), (Some(50), Some(1000), Some(50)));
        direct(&app, A.mcd, json!({"action": "discharge_points", "amount": 60, "amount_split_allowed": "1"})).await.assert_error(400, 4203);
        let r = direct(&app, A.mcd, json!({"action": "discharge_points", "amount": 20})).await;
        let mut receipt = header("Kundenkarte", A.number, "29187331");
        receipt.extend([sp(), tl("Punkte eingelöst:"), tl_("20"), sp(), tl("Aktuelle Punkte"), tl_("30")]);
        assert_eq!(r.ok()["receipt"], Value::Array(receipt));
        let charged = ltx(&app, 29187330).await;
        assert_eq!((charged["description"].as_str(), charged["amount"].as_i64(), charged["balance"].as_i64()), (Some("Punkte Aufladung"), Some(0), Some(1000)));
        assert_eq!(charged["bookings"], json!([{"type": "points_charge", "balance": "points", "amount": 50}]));
        let spent = ltx(&app, 29187331).await;
        assert_eq!(spent["description"], "Punkte Entladung");
        assert_eq!(spent["bookings"], json!([{"type": "points_discharge", "balance": "points", "amount": -20}]));
        assert_eq!(balances(&app, A.mcd).await, (1000, 0, 30));
    }

    async fn cancel_last_reverses_the_most_recent_booking_with_a_storno_receipt(app: TestApp) {
        direct(&app, A.mcd, json!({"action": "cancel_last"})).await.assert_error(400, 4205);
        direct(&app, A.mcd, json!({"action": "charge", "amount": 1500})).await.ok();
        direct(&app, A.mcd, json!({"action": "discharge", "amount": 200})).await.ok();
        let r = direct(&app, A.mcd, json!({"action": "cancel_last"})).await;
        let mut receipt = vec![storno()];
        receipt.extend(header("Kundenkarte", A.number, "29187332"));
        receipt.extend([sp(), tl("Zahlung über:"), tl_("-2,00 EUR"), sp(), tl("Aktuelles Guthaben"), tl_("25,00 EUR")]);
        assert_eq!(r.ok()["receipt"], Value::Array(receipt.clone()));
        assert_eq!((r.body["trans_id"].as_i64(), r.body["amount"].as_i64(), r.body["balance"].as_i64()), (Some(29187332), Some(200), Some(2500)));
        let original = ltx(&app, 29187331).await;
        let cancelling = ltx(&app, 29187332).await;
        assert_eq!(original["status"], "cancelled");
        assert_eq!(original["children"], json!([{"object": "loyalty.transactions", "id": cancelling["id"], "trans_id": 29187332, "ref_type_id": null, "relation_type": "cancellation"}]));
        assert_eq!(cancelling["parents"], json!([{"object": "loyalty.transactions", "id": original["id"], "trans_id": 29187331, "ref_type_id": null, "relation_type": "cancellation"}]));
        assert_eq!((cancelling["description"].as_str(), cancelling["is_cancelling"].as_i64(), cancelling["amount"].as_i64()), (Some("Storno"), Some(1), Some(200)));
        assert_eq!(cancelling["bookings"], json!([{"type": "discharge", "balance": "cash", "amount": 200}]));
        assert_eq!(cancelling["receipt"], Value::Array(receipt));
        // the next cancel_last skips the cancelled pair and reverses the charge
        let r = direct(&app, A.mcd, json!({"action": "cancel_last"})).await;
        assert_eq!(r.ok()["receipt"][1], sep("Kundenkarte Aufladung"));
        assert_eq!(r.body["receipt"][7], tl_("-15,00 EUR"));
        assert_eq!((r.body["amount"].as_i64(), r.body["balance"].as_i64()), (Some(1500), Some(1000)));
        // the opening balance is never cancelled
        direct(&app, A.mcd, json!({"action": "cancel_last"})).await.assert_error(400, 4205);
        // points bookings are cancelled in points
        direct(&app, A.mcd, json!({"action": "charge_points", "amount": 7})).await.ok();
        let r = direct(&app, A.mcd, json!({"action": "cancel_last"})).await;
        assert_eq!((r.ok()["points"].as_i64(), r.body["amount"].as_i64()), (Some(0), Some(7)));
        assert_eq!(r.body["receipt"][5], tl("Punkte gutgeschrieben:"));
        assert_eq!(r.body["receipt"][6], tl_("-7"));
        // cancellations and new bookings interleave; each cancel_last takes the newest open one
        direct(&app, C.mcd, json!({"action": "charge", "amount": 100})).await.ok();
        direct(&app, C.mcd, json!({"action": "discharge", "amount": 250})).await.ok();
        let r = direct(&app, C.mcd, json!({"action": "cancel_last"})).await;
        assert_eq!(r.ok()["cash_balance"], 300);
        direct(&app, C.mcd, json!({"action": "discharge", "amount": 300})).await.ok();
        direct(&app, C.mcd, json!({"action": "cancel_last"})).await.ok();
        direct(&app, C.mcd, json!({"action": "cancel_last"})).await.ok();
        assert_eq!(balances(&app, C.mcd).await, (200, 20, 0));
    }

    async fn a_lock_stops_new_spending_but_not_reversals_on_either_cancel_path(app: TestApp) {
        // api.md §8.10 (cancel_last cancels "exactly as §8.10"): a locked card may be cancelled.
        let lock = format!("/Loyalty/MerchantCards/{}/lock", C.mcd);
        // direct: charge, lock, cancel_last goes through; a new charge is refused
        direct(&app, C.mcd, json!({"action": "charge", "amount": 100})).await.ok();
        let before = balances(&app, C.mcd).await;
        app.post(&lock, PINNED, json!({"reason": 1})).await.ok();
        direct(&app, C.mcd, json!({"action": "charge", "amount": 100})).await.assert_error(400, 4202);
        let r = direct(&app, C.mcd, json!({"action": "cancel_last"})).await;
        assert_eq!((r.ok()["amount"].as_i64(), r.body["lock_status"].as_str()), (Some(100), Some("locked")));
        assert_eq!(balances(&app, C.mcd).await, (before.0 - 100, before.1, before.2));
        direct(&app, C.mcd, json!({"action": "discharge", "amount": 1})).await.assert_error(400, 4202);
        app.post(&format!("/Loyalty/MerchantCards/{}/unlock", C.mcd), PINNED, json!({"reason": 1})).await.ok();

        // smart transaction: paid with the card, card locked, the cancel reverses the booking
        let unbooked = balances(&app, C.mcd).await;
        let stx = app.create_stx(card_body(CARD_C, one_line("4001", "Brot", 250, 7), 250)).await;
        assert_eq!(app.start(&stx, "cash").await.ok()["status"], "ok");
        assert_ne!(balances(&app, C.mcd).await, unbooked, "the sale collected bonus");
        app.post(&lock, PINNED, json!({"reason": 1})).await.ok();
        let other = app.create_stx(card_body(CARD_C, one_line("4001", "Brot", 250, 7), 250)).await;
        app.start(&other, "cash").await.assert_error(400, 4202);
        let cancelled = app.cancel(&stx).await;
        assert_eq!(cancelled.ok()["status"], "cancelled", "{}", cancelled.text);
        assert_eq!(cancelled.body["transactions"].as_array().unwrap().len(), 2);
        assert_eq!(balances(&app, C.mcd).await, unbooked);
        assert_eq!(merchantcard(&app, C.mcd).await["lock_status"], "locked");
    }

    async fn cancel_last_of_a_smart_transaction_booking_cancels_that_transaction(app: TestApp) {
        // the seed: STX_KJXJ… paid at the register books LTX_YBYP… on card A (TA 29187330)
        let stx = "STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2";
        let paid = app.post(&format!("/Smart/Transactions/{stx}/start/cash"), PINNED, json!({})).await;
        assert_eq!(paid.ok()["status"], "ok");
        let r = direct(&app, A.mcd, json!({"action": "cancel_last"})).await;
        let mut receipt = vec![storno()];
        receipt.extend(header("Kundenkarte", A.number, "29187331"));
        receipt.extend([sp(), tl("Umsatz erfasst:"), tl_("-7,96 EUR"), sp(), tl("Aktuelles Guthaben"), tl_("10,00 EUR")]);
        assert_eq!(r.ok()["receipt"], Value::Array(receipt.clone()));
        assert_eq!((r.body["trans_id"].as_i64(), r.body["amount"].as_i64()), (Some(29187331), Some(0)));
        let original = ltx(&app, 29187330).await;
        let cancelling = ltx(&app, 29187331).await;
        assert_eq!((original["status"].as_str(), original["id"].as_str()), (Some("cancelled"), Some("LTX_YBYPUETZ2HQXURG9XU0M5H4KGWW0NH")));
        assert_eq!(cancelling["smart_transaction"], json!({"object": "smart.transactions", "id": stx}));
        let s = app.get(&format!("/Smart/Transactions/{stx}"), PINNED).await;
        assert_eq!(s.ok()["status"], "cancelled");
        assert_eq!(s.body["transactions"], json!([
            {"object": "loyalty.transactions", "id": original["id"]},
            {"object": "loyalty.transactions", "id": cancelling["id"]}]));
        assert_eq!(s.body["receipt"], Value::Array(receipt));
    }

    async fn concurrent_discharges_never_overdraw_the_card(app: TestApp) {
        // api.md §7: twenty registers discharge 1,00 EUR from card A (10,00 EUR) at the same moment
        let url = app.url(&format!("/Loyalty/MerchantCards/{}/transaction/me", A.mcd));
        let mut requests = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (http, url) = (app.http.clone(), url.clone());
            requests.spawn(async move {
                let r = http.post(url).header("Authorization", format!("Bearer {PINNED}"))
                    .body(json!({"action": "discharge", "amount": 100}).to_string()).send().await.unwrap();
                r.status().as_u16()
            });
        }
        let mut statuses = requests.join_all().await;
        statuses.sort_unstable();
        assert_eq!(statuses, [[200; 10], [400; 10]].concat());
        assert_eq!(balances(&app, A.mcd).await, (0, 0, 0));
        assert_eq!(ledger_sums(&app, A.mcd).await, (0, 0, 0));
        let r = app.get("/Loyalty/Transactions?q=description:Entladung&sort=trans_id:asc", PINNED).await;
        let codes: Vec<i64> = r.ok()["data"].as_array().unwrap().iter().map(|l| l["trans_id"].as_i64().unwrap()).collect();
        assert_eq!(codes.len(), 10);
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "{codes:?}");
    }

    async fn the_ledger_matches_the_balances_after_every_booking(app: TestApp) {
        let steps = [
            json!({"action": "charge", "amount": 5000}),
            json!({"action": "discharge", "amount": 9000, "amount_split_allowed": "1"}),
            json!({"action": "sale_revenue", "amount": 12345}),
            json!({"action": "charge_points", "amount": 40}),
            json!({"action": "discharge_points", "amount": 15}),
            json!({"action": "cancel_last"}),
            json!({"action": "charge", "amount": 999}),
            json!({"action": "discharge", "amount": 333}),
            json!({"action": "cancel_last"}),
            json!({"action": "cancel_last"}),
            json!({"action": "sale_revenue", "amount": 5}),
        ];
        for step in steps {
            direct(&app, C.mcd, step.clone()).await.ok();
            assert_eq!(ledger_sums(&app, C.mcd).await, balances(&app, C.mcd).await, "after {step}");
        }
        assert_eq!(balances(&app, C.mcd).await, (0, 20 + 1235 + 1, 40));
        // every loyalty transaction moves the balance by its amount, in TA code order
        let r = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{}&sort=trans_id:asc", C.mcd), PINNED).await;
        let ltxs = r.ok()["data"].as_array().unwrap().clone();
        assert_eq!(ltxs.len(), 12);
        let mut balance = 0;
        for l in &ltxs {
            balance += l["amount"].as_i64().unwrap();
            assert_eq!(l["balance"].as_i64().unwrap(), balance, "{l}");
        }
        assert_eq!(ltxs[0]["description"], "Saldovortrag");
        let codes: Vec<i64> = ltxs[1..].iter().map(|l| l["trans_id"].as_i64().unwrap()).collect();
        assert_eq!(codes, (29187330..29187341).collect::<Vec<_>>());
    }

    async fn a_card_addressed_by_number_books_on_that_card(app: TestApp) {
        let r = app.post("/Loyalty/MerchantCards/me/transaction/me", PINNED,
            json!({"action": "charge", "amount": 100, "cardnumber": C.number, "store": STORE, "merchant_id": "MRC_BCSPDJBAT5QXBHUSBPGHY2Q8X8U8ON"})).await;
        assert_eq!((r.ok()["id"].as_str(), r.body["cash_balance"].as_i64()), (Some(C.mcd), Some(300)));
        let r = app.post(&format!("/Loyalty/MerchantCards/me/transaction/{}", C.mcd), PINNED,
            json!({"action": "charge", "amount": 100, "cardnumber": C.number, "store": {"id": STORE}})).await;
        assert_eq!(r.ok()["cash_balance"], 400);
        let r = app.post(&format!("/Loyalty/MerchantCards/{}/transaction/{}", C.mcd, C.mcd), PINNED,
            json!({"action": "charge", "amount": 100, "cardnumber": C.number})).await;
        assert_eq!(r.ok()["cash_balance"], 500);
        let token = app.merchant_token().await;
        let r = app.post(&format!("/Loyalty/MerchantCards/{}/transaction/me", C.mcd), &token, json!({"action": "charge", "amount": 1})).await;
        assert_eq!(r.ok()["trans_id"], 29187333);
        assert_eq!(ltx(&app, 29187333).await["tid"], Value::Null, "merchant tokens have no terminal");
    }

    async fn direct_transactions_refuse_what_they_cannot_book(app: TestApp) {
        let a = A.mcd;
        for body in [
            json!({"amount": 100}),
            json!({"action": "immediate_bonus", "amount": 100}),
            json!({"action": "balance_check", "amount": 100}),
            json!({"action": "charge"}),
            json!({"action": "charge", "amount": 0}),
            json!({"action": "charge", "amount": -5}),
            json!({"action": "charge", "amount": 1.5}),
            json!({"action": "charge", "amount": "100"}),
            json!({"action": "charge", "amount": 9007199254740992_i64}),
            json!({"action": "charge", "amount": 100, "amount_split_allowed": []}),
        ] {
            direct(&app, a, body.clone()).await.assert_error(400, 4001);
        }
        app.post(&format!("/Loyalty/MerchantCards/{a}/transaction/{}", C.mcd), PINNED, json!({"action": "charge", "amount": 1})).await.assert_error(400, 4001);
        app.post(&format!("/Loyalty/MerchantCards/me/transaction/{}", C.mcd), PINNED, json!({"action": "charge", "amount": 1, "cardnumber": A.number})).await.assert_error(400, 4001);
        app.post("/Loyalty/MerchantCards/me/transaction/me", PINNED, json!({"action": "charge", "amount": 1})).await.assert_error(400, 4001);
        app.post("/Loyalty/MerchantCards/me/transaction/me", PINNED, json!({"action": "charge", "amount": 1, "cardnumber": "927600442994284"})).await.assert_error(400, 4003);
        app.post("/Loyalty/MerchantCards/MCD_abc/transaction/me", PINNED, json!({"action": "charge", "amount": 1})).await.assert_error(400, 4003);
        app.post("/Loyalty/MerchantCards/me/transaction/me", PINNED, json!({"action": "charge", "amount": 1, "cardnumber": "9276001234567890"})).await.assert_error(400, 4201);
        direct(&app, a, json!({"action": "charge", "amount": 1, "cardnumber": B.number})).await.assert_error(400, 4201);
        direct(&app, "MCD_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", json!({"action": "charge", "amount": 1})).await.assert_error(404, 3001);
        direct(&app, a, json!({"action": "charge", "amount": 1, "store": "STO_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"})).await.assert_error(404, 3001);
        direct(&app, a, json!({"action": "charge", "amount": 1, "merchant_id": "MRC_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"})).await.assert_error(404, 3001);
        // V11: the locked card E
        direct(&app, E.mcd, json!({"action": "charge", "amount": 1})).await.assert_error(400, 4202);
        direct(&app, E.mcd, json!({"action": "discharge", "amount": 100000})).await.assert_error(400, 4202);
        // failures leave no trace: no booking, no TA code
        assert_eq!(balances(&app, A.mcd).await, (1000, 0, 0));
        assert_eq!(ledger_sums(&app, A.mcd).await, (1000, 0, 0));
        let r = direct(&app, a, json!({"action": "charge", "amount": 1})).await;
        assert_eq!(r.ok()["trans_id"], 29187330);
    }
}
