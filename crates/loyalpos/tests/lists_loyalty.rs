//! The Loyalty lists (api.md §5, examples.md V18): MerchantCards, Cards, Cardgroups, Customers and
//! Transactions keep the list contract, and the lookups pushed down to SQL answer exactly what the
//! in-memory evaluation answers.

mod common;
mod lists_support;
mod loyalty_support;

use common::*;
use lists_support::*;
use loyalty_support::*;
use serde_json::json;

const MCD: &str = "/Loyalty/MerchantCards";
const LTX: &str = "/Loyalty/Transactions";

fn route(
    path: &'static str,
    nested: Option<(&'static str, &'static str)>,
    created: bool,
) -> Route<'static> {
    Route {
        path,
        token: PINNED,
        nested,
        created,
    }
}

/// Three more merchant cards (and cards) in BONUS10, and a sale booked on card A.
async fn more_cards_and_a_sale(app: &TestApp) -> serde_json::Value {
    let r = app
        .post(
            &format!("{MCD}/me/createMerchantcards/{BONUS10}"),
            PINNED,
            json!({"cards_amount": 3}),
        )
        .await;
    r.ok();
    let stx = app
        .create_stx(card_body(A.number, docs_basket(), 796))
        .await;
    app.start(&stx, "cash").await.ok().clone()
}

on_both_backends! {
    async fn merchant_cards_keep_the_list_contract(app: TestApp) {
        more_cards_and_a_sale(&app).await;
        check_list_contract(&app, &route(MCD, Some(("merchant.id", MERCHANT)), false)).await;
    }

    async fn cards_keep_the_list_contract(app: TestApp) {
        more_cards_and_a_sale(&app).await;
        check_list_contract(&app, &route("/Loyalty/Cards", None, true)).await;
    }

    async fn cardgroups_keep_the_list_contract(app: TestApp) {
        check_list_contract(&app, &route("/Loyalty/Cardgroups", Some(("merchant.id", MERCHANT)), false)).await;
    }

    async fn customers_keep_the_list_contract(app: TestApp) {
        for (name, number) in [("Erika", "K-1"), ("Hans", "K-2")] {
            app.post("/Loyalty/Customers", PINNED, json!({"merchant_contact": {"forename": name, "surname": "Muster"}, "customernumber": number})).await.ok();
        }
        check_list_contract(&app, &route("/Loyalty/Customers", Some(("merchant.id", MERCHANT)), true)).await;
    }

    async fn loyalty_transactions_keep_the_list_contract(app: TestApp) {
        more_cards_and_a_sale(&app).await;
        check_list_contract(&app, &route(LTX, Some(("merchant.id", MERCHANT)), true)).await;
    }

    async fn the_docs_card_number_lookups_find_card_b_quoted_or_not(app: TestApp) {
        selects(&app, MCD, PINNED, "card.cardnumber:9276004428481652", &[B.mcd]).await;
        selects(&app, MCD, PINNED, "card.cardnumber:\"9276004428481652\"", &[B.mcd]).await;
        selects(&app, MCD, PINNED, "card.cardnumber:9276004428481653", &[]).await;
        selects(&app, MCD, PINNED, "card.cardnumber:927600442848165", &[]).await;
        selects(&app, MCD, PINNED, "card.cardnumber:abc", &[]).await;
        selects(&app, MCD, PINNED, &format!("card.cardnumber:{} OR card.cardnumber:{}", B.number, D.number), &[D.mcd, B.mcd]).await;
        // the same lookups on the ledger and on cards
        selects(&app, LTX, PINNED, "card.cardnumber:9276004428481652", &["LTX_DEMOOPENING0000000000000000002"]).await;
        selects(&app, "/Loyalty/Cards", PINNED, "cardnumber:\"9276004428481652\"", &[B.crd]).await;
    }

    async fn v18_queries_answer_the_same_on_both_paths(app: TestApp) {
        let all = [A.mcd, B.mcd, C.mcd, D.mcd, E.mcd];
        let both = same_both_ways(&app, MCD, PINNED, "card.cardnumber:9276004428481652").await;
        assert_eq!(both["data"][0]["balance"], 352);
        assert_eq!(both["data"][0]["passcode"], 1);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "passcode:1").await), 1);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "passcode:2").await), 0);
        let without_customer = same_both_ways(&app, MCD, PINNED, "!customer.object:loyalty.customers").await;
        assert_eq!(count(&without_customer), 4);
        assert!(!ids(&without_customer).contains(&A.mcd.to_owned()));
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "lock_status:locked").await), 1);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "bonus_balance:[50 TO 100]").await), 2);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "cash_balance:[200 TO 500]").await), 3);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "cash_balance:[200 TO *] AND bonus_balance:0").await), 2);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "points:0").await), 5);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "card.cardnumber:92760044*").await), 5);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "card.cardnumber:9276004429*").await), 2);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "card.cardnumber:92760044?9942845").await), 1);
        // The cards of group "Bonus 10 %" by id and by name: the same cards, and exactly the ones the
        // unfiltered list shows in that group.
        let in_bonus10: Vec<String> = list(&app, MCD, PINNED, "count=1000").await["data"].as_array().unwrap().iter()
            .filter(|c| c["cardgroup"]["id"] == BONUS10).map(|c| c["id"].as_str().unwrap().to_owned()).collect();
        assert_eq!(in_bonus10, [C.mcd, D.mcd]);
        assert_eq!(ids(&same_both_ways(&app, MCD, PINNED, &format!("cardgroup.id:{BONUS10}")).await), in_bonus10);
        assert_eq!(ids(&same_both_ways(&app, MCD, PINNED, "cardgroup.display_name:\"Bonus 10*\"").await), in_bonus10);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, &format!("customer.id:{CUSTOMER}")).await), 1);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, &format!("card.id:{}", B.crd)).await), 1);
        assert_eq!(count(&same_both_ways(&app, MCD, PINNED, "mustermann").await), 1);
        let top = list(&app, MCD, PINNED, "sort=balance:desc&count=2").await;
        assert_eq!(count(&top), 5);
        assert_eq!(ids(&top), [A.mcd, E.mcd]);
        let projected = list(&app, MCD, PINNED, &format!("q={}&sort=card.cardnumber:asc&fields=card.cardnumber", enc("card.cardnumber:92760044*"))).await;
        assert_eq!(projected["data"][0], json!({"object": "loyalty.merchantcards", "id": D.mcd, "card": {"cardnumber": D.number}}));
        assert_eq!(count(&projected), 5);
        let everything = list(&app, MCD, PINNED, "").await;
        let mut every = ids(&everything);
        every.sort();
        let mut want: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(every, want);
        app.get(&format!("{MCD}?q=(card.cardnumber"), PINNED).await.assert_error(400, 4001);
    }

    async fn ledger_lookups_by_card_code_status_and_time_answer_the_same_on_both_paths(app: TestApp) {
        let started = more_cards_and_a_sale(&app).await;
        let ltx = started["transactions"][0]["id"].as_str().unwrap().to_owned();
        let ta = started["trans_id"].as_str().unwrap().to_owned();
        let year = app.ltx(&ltx).await["created"].as_str().unwrap()[..4].to_owned();
        selects(&app, LTX, PINNED, &format!("trans_id:{ta}"), &[&ltx]).await;
        selects(&app, LTX, PINNED, &format!("trans_id:0{ta}"), &[]).await;
        selects(&app, LTX, PINNED, "trans_id:29187326", &["LTX_DEMOOPENING0000000000000000002"]).await;
        selects(&app, LTX, PINNED, "trans_id:[29187328 TO 29187329]", &["LTX_DEMOOPENING0000000000000000005", "LTX_DEMOOPENING0000000000000000004"]).await;
        selects(&app, LTX, PINNED, &format!("merchantcard.id:{} AND status:ok", A.mcd), &[&ltx, "LTX_DEMOOPENING0000000000000000001"]).await;
        selects(&app, LTX, PINNED, &format!("smart_transaction.id:{}", started["id"].as_str().unwrap()), &[&ltx]).await;
        selects(&app, LTX, PINNED, &format!("card.cardnumber:{} AND created:[{year}-01-01 TO {year}-12-31]", A.number), &[&ltx]).await;
        selects(&app, LTX, PINNED, "status:ok AND created:[2020-09-01T08:00:00+02:00 TO 2020-09-01T08:00:00+02:00]", &[
            "LTX_DEMOOPENING0000000000000000005", "LTX_DEMOOPENING0000000000000000004", "LTX_DEMOOPENING0000000000000000003",
            "LTX_DEMOOPENING0000000000000000002", "LTX_DEMOOPENING0000000000000000001"]).await;
        selects(&app, LTX, PINNED, "created:[2020-09-01 TO 2020-09-01]", &[
            "LTX_DEMOOPENING0000000000000000005", "LTX_DEMOOPENING0000000000000000004", "LTX_DEMOOPENING0000000000000000003",
            "LTX_DEMOOPENING0000000000000000002", "LTX_DEMOOPENING0000000000000000001"]).await;
        selects(&app, LTX, PINNED, "created:[2020-09-02 TO 2020-12-31]", &[]).await;
        let all = list(&app, LTX, PINNED, "count=1000").await;
        for (lo, hi) in [(-1_000_000, 0), (300, 1000), (0, 0), (-5, 71)] {
            let want: Vec<String> = all["data"].as_array().unwrap().iter()
                .filter(|l| (lo..=hi).contains(&l["amount"].as_i64().unwrap()))
                .map(|l| l["id"].as_str().unwrap().to_owned()).collect();
            let got = same_both_ways(&app, LTX, PINNED, &format!("amount:[{lo} TO {hi}]")).await;
            assert_eq!(ids(&got), want, "amount:[{lo} TO {hi}]");
        }
        assert_eq!(count(&same_both_ways(&app, LTX, PINNED, "description:Umsatz OR description:Saldovortrag").await), 6);
        assert_eq!(count(&same_both_ways(&app, LTX, PINNED, "status:cancelled").await), 0);
        assert_eq!(count(&same_both_ways(&app, LTX, PINNED, "status:OK").await), 6);
        let projected = list(&app, LTX, PINNED, &format!("q={}&fields=id,status", enc("status:ok"))).await;
        assert_eq!(projected["data"][0], json!({"object": "loyalty.transactions", "id": ltx, "status": "ok"}));
        let newest = list(&app, LTX, PINNED, "sort=created:desc&count=1").await;
        assert_eq!(ids(&newest), [ltx]);
    }

    async fn a_cancelled_sale_shows_its_related_transactions_on_both_paths(app: TestApp) {
        let stx = app.create_stx(card_body(A.number, docs_basket(), 796)).await;
        app.start(&stx, "cash").await.ok();
        let cancelled = app.cancel(&stx).await.ok().clone();
        let storno = cancelled["transactions"][1]["id"].as_str().unwrap().to_owned();
        // The cancellation alone: its parent is outside the candidates and still rendered.
        let answer = same_both_ways(&app, LTX, PINNED, &format!("id:{storno}")).await;
        assert_eq!(answer["data"][0]["parents"].as_array().unwrap().len(), 1);
        let answer = same_both_ways(&app, LTX, PINNED, &format!("id:{storno} AND description:Storno")).await;
        assert_eq!(answer["data"][0]["parents"].as_array().unwrap().len(), 1);
        assert_eq!(count(&same_both_ways(&app, LTX, PINNED, "status:cancelled").await), 1);
    }

    async fn customers_and_card_groups_answer_bare_terms_and_created_ranges(app: TestApp) {
        let made = app.post("/Loyalty/Customers", PINNED, json!({"merchant_contact": {"forename": "Erika", "surname": "Muster", "email": "erika@example.com"}, "customernumber": "testnr"})).await;
        let erika = made.ok()["id"].as_str().unwrap().to_owned();
        selects(&app, "/Loyalty/Customers", PINNED, "testnr", &[&erika]).await;
        selects(&app, "/Loyalty/Customers", PINNED, "erika@example.com", &[&erika]).await;
        let year = made.body["created"].as_str().unwrap()[..4].to_owned();
        selects(&app, "/Loyalty/Customers", PINNED, &format!("created:[{year}-01-01 TO {year}-12-31]"), &[&erika]).await;
        selects(&app, "/Loyalty/Customers", PINNED, &format!("created:[{year}-01-01 TO *] OR id:{CUSTOMER}"), &[&erika, CUSTOMER]).await;
        selects(&app, "/Loyalty/Cardgroups", PINNED, &format!("id:{BONUS10}"), &[BONUS10]).await;
        assert_eq!(count(&same_both_ways(&app, "/Loyalty/Cardgroups", PINNED, "geschenk*").await), 1);
    }
}
