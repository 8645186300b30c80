//! Issue 11 item 1: a register that GETs a transaction after preTransaction and PUTs it back must
//! not turn the card's bonus lines into a free discount (api.md §8.6, "Bonus lines sent back").
mod common;
use common::*;
use serde_json::json;

on_both_backends! {
    async fn bonus_lines_sent_back_by_put_are_dropped_and_the_card_is_debited_at_start(app: TestApp) {
        app.pre(BONUS71_STX).await.ok();
        let shown = app.stx(BONUS71_STX).await;
        assert_eq!(shown["basket"]["products"].as_array().unwrap().len(), 5);
        assert_eq!(shown["basket_info"]["sum"], 725);

        let put = app.put(&format!("/Smart/Transactions/{BONUS71_STX}"), PINNED, shown).await;
        let after = put.ok();
        assert_eq!(after["status"], "created");
        let lines = after["basket"]["products"].as_array().unwrap();
        assert_eq!(lines.len(), 3, "the bonus lines are gone: {lines:?}");
        assert!(lines.iter().all(|l| l["priceOne"].as_i64().unwrap() > 0));
        assert_eq!(after["basket_info"]["sum"], 796);
        assert_eq!(app.balances(MCD_D).await, (0, 71, 71), "PUT does not touch the card");

        app.pre(BONUS71_STX).await.ok();
        let started = app.start(BONUS71_STX, "cash").await;
        let ltx = app.ltx_of(started.ok()).await;
        assert_eq!(bookings(&ltx), vec![("bonus_spent".into(), -71), ("bonus_collected".into(), 73)]);
        assert_eq!(app.balances(MCD_D).await, (0, 73, 73));
    }

    async fn starting_without_a_new_pre_transaction_never_gives_the_discount_for_free(app: TestApp) {
        app.pre(BONUS71_STX).await.ok();
        let shown = app.stx(BONUS71_STX).await;
        app.put(&format!("/Smart/Transactions/{BONUS71_STX}"), PINNED, shown).await.ok();
        let started = app.start(BONUS71_STX, "cash").await;
        let b = started.ok();
        assert_eq!(b["basket_info"]["sum"], 796, "the customer pays the whole basket");
        assert!(b["basket"]["products"].as_array().unwrap().iter().all(|l| l["priceOne"].as_i64().unwrap() > 0));
    }

    async fn a_negative_line_naming_a_bonus_product_is_refused_at_create_and_put(app: TestApp) {
        let mut basket = docs_basket();
        basket["products"].as_array_mut().unwrap().push(
            json!({"id": 4, "articleNumber": 111111117, "desc": "Rabatt", "quantity": 1, "priceOne": -53, "tax": 7}));
        let body = card_body(CARD_D, basket.clone(), 743);
        let r = app.post("/Smart/Transactions", PINNED, body).await;
        r.assert_error(400, 4002);
        assert!(r.text.contains("bonus lines are added by preTransaction only"), "{}", r.text);

        let mut by_ean = docs_basket();
        by_ean["products"].as_array_mut().unwrap().push(
            json!({"id": 9, "ean": "1111111119", "desc": "x", "quantity": 1, "priceOne": -18, "tax": 19}));
        let stx = app.create_stx(card_body(CARD_D, docs_basket(), 796)).await;
        app.put(&format!("/Smart/Transactions/{stx}"), PINNED, card_body(CARD_D, by_ean, 778))
            .await
            .assert_error(400, 4002);
        // a bonus line sent back after the plan was dropped is no longer a current bonus line
        app.put(&format!("/Smart/Transactions/{BONUS71_STX}"), PINNED, card_body(CARD_D, basket, 743))
            .await
            .assert_error(400, 4002);
    }

    async fn ordinary_coupons_stay_allowed(app: TestApp) {
        let mut basket = docs_basket();
        basket["products"].as_array_mut().unwrap().push(
            json!({"id": 4, "articleNumber": "COUPON-1", "ean": "4000000000017", "desc": "Gutschein", "quantity": 1, "priceOne": -100, "tax": 19, "item_type": "coupon"}));
        let stx = app.create_stx(card_body(CARD_D, basket.clone(), 696)).await;
        let r = app.put(&format!("/Smart/Transactions/{stx}"), PINNED, card_body(CARD_D, basket, 696)).await;
        assert_eq!(r.ok()["basket"]["products"].as_array().unwrap().len(), 4);
        // a positive line with a bonus product's number is an article like any other
        let body = card_body(CARD_D, one_line("111111117", "Brot", 300, 7), 300);
        app.create_stx(body).await;
    }
}
