mod common;
mod loyalty_support;

use common::*;
use loyalty_support::*;
use serde_json::{Value, json};

const OPENING_B: &str = "LTX_DEMOOPENING0000000000000000002";

fn opening_b() -> Value {
    json!({
        "object": "loyalty.transactions", "id": OPENING_B, "created": "2020-09-01T08:00:00+02:00",
        "merchant": {"object": "general.merchants", "id": MERCHANT},
        "cardgroup": {"object": "loyalty.cardgroups", "id": GESCHENKGUTSCHEIN, "display_name": "Geschenkgutschein",
                      "display_name_raw": "Geschenkgutschein", "stock_warn_limit": 0, "picture": CARD_PICTURE},
        "store": {"object": "general.stores", "id": STORE},
        "merchantcard": {"object": "loyalty.merchantcards", "id": B.mcd},
        "card": {"object": "loyalty.cards", "id": B.crd, "cardnumber": B.number, "created": "2015-02-20T08:54:07+01:00"},
        "parents": [], "children": [], "cleared": false, "clearing_information": [],
        "trans_id": 29187326, "tid": null, "status": "ok", "amount": 352, "currency": "EUR", "balance": 352,
        "description": "Saldovortrag", "purpose": null, "additional_data": null,
        "last_change": "2020-09-01T08:00:00+02:00", "receipt": [], "is_cancelling": 0,
        "bookings": [{"type": "opening", "balance": "cash", "amount": 300}, {"type": "opening", "balance": "bonus", "amount": 52}],
        "revenue": 0, "smart_transaction": null})
}

async fn count(app: &TestApp, query: &str) -> i64 {
    let r = app
        .get(&format!("/Loyalty/Transactions?{query}"), PINNED)
        .await;
    r.ok()["count"].as_i64().unwrap()
}

on_both_backends! {
    async fn the_opening_transactions_list_and_get_in_the_exact_wire_shape(app: TestApp) {
        assert_eq!(app.get(&format!("/Loyalty/Transactions/{OPENING_B}"), PINNED).await.ok(), &opening_b());
        let list = app.get("/Loyalty/Transactions", PINNED).await;
        assert_eq!(list.ok()["count"], 5);
        let codes: Vec<i64> = list.body["data"].as_array().unwrap().iter().map(|l| l["trans_id"].as_i64().unwrap()).collect();
        assert_eq!(codes, [29187329, 29187328, 29187327, 29187326, 29187325], "newest first");
        assert_eq!(list.body["data"][3], opening_b());
        // every opening transaction equals its card's balances (api.md §7)
        for card in [A, B, C, D, E] {
            assert_eq!(ledger_sums(&app, card.mcd).await, balances(&app, card.mcd).await, "{}", card.number);
        }
        app.get("/Loyalty/Transactions/LTX_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", PINNED).await.assert_error(404, 3001);
        app.get("/Loyalty/Transactions/29187326", PINNED).await.assert_error(400, 4003);
    }

    async fn queries_find_transactions_by_card_ta_code_and_description(app: TestApp) {
        direct(&app, A.mcd, json!({"action": "charge", "amount": 500})).await.ok();
        assert_eq!(count(&app, "").await, 6);
        assert_eq!(count(&app, &format!("q=merchantcard.id:{}", A.mcd)).await, 2);
        assert_eq!(count(&app, &format!("q=card.cardnumber:{}", A.number)).await, 2);
        assert_eq!(count(&app, "q=trans_id:29187330").await, 1);
        assert_eq!(count(&app, "q=description:Aufladung").await, 1);
        assert_eq!(count(&app, "q=smart_transaction.id:STX_*").await, 0);
        assert_eq!(count(&app, "q=status:ok%20AND%20amount:[400%20TO%20*]").await, 3);
        // bare terms search id, trans_id, card number and description
        assert_eq!(count(&app, "q=saldovortrag").await, 5);
        assert_eq!(count(&app, "q=29187328").await, 1);
        assert_eq!(count(&app, &format!("q={}", C.number)).await, 1);
        assert_eq!(count(&app, &format!("q={OPENING_B}")).await, 1);
        let newest = app.get("/Loyalty/Transactions?count=1", PINNED).await;
        assert_eq!(newest.ok()["data"][0]["trans_id"], 29187330);
        let page = app.get("/Loyalty/Transactions?sort=trans_id:asc&offset=1&count=2&fields=trans_id,bookings.type", PINNED).await;
        assert_eq!(page.ok()["data"], json!([
            {"object": "loyalty.transactions", "id": OPENING_B, "trans_id": 29187326, "bookings": [{"type": "opening"}, {"type": "opening"}]},
            {"object": "loyalty.transactions", "id": "LTX_DEMOOPENING0000000000000000003", "trans_id": 29187327, "bookings": [{"type": "opening"}, {"type": "opening"}]}]));
        app.get("/Loyalty/Transactions?count=-1", PINNED).await.assert_error(400, 4001);
    }

    async fn another_merchants_transactions_answer_404(app: TestApp) {
        let other = other_merchant(&app).await;
        assert_eq!(app.get("/Loyalty/Transactions", &other.token).await.ok(), &json!({"count": 0, "data": []}));
        app.get(&format!("/Loyalty/Transactions/{OPENING_B}"), &other.token).await.assert_error(404, 3001);
    }
}
