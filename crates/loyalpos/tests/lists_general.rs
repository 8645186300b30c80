//! The General lists (api.md §5, §14): Merchants (only the token's own) and Stores keep the list
//! contract.

mod common;
mod lists_support;

use common::*;
use lists_support::*;
use serde_json::json;

on_both_backends! {
    async fn the_merchant_list_holds_only_the_tokens_merchant_and_pages_like_any_list(app: TestApp) {
        let path = "/General/Merchants";
        let all = list(&app, path, PINNED, "").await;
        assert_eq!(count(&all), 1);
        assert_eq!(ids(&all), [MERCHANT]);
        assert_eq!(list(&app, path, PINNED, "offset=1").await, json!({"count": 1, "data": []}));
        assert_eq!(list(&app, path, PINNED, "count=0").await, json!({"count": 1, "data": []}));
        assert_eq!(list(&app, path, PINNED, "count=1001&offset=0").await, all);
        assert_eq!(list(&app, path, PINNED, "sort=id:desc").await, all);
        assert_eq!(list(&app, path, PINNED, "sort[user.companyname]=asc").await, all);
        assert_eq!(list(&app, path, PINNED, "fields=id,status").await,
            json!({"count": 1, "data": [{"object": "general.merchants", "id": MERCHANT}]}));
        assert_eq!(list(&app, path, PINNED, "fields=user.companyname").await["data"][0]["user"], json!({"companyname": "John's Bakery"}));
        selects(&app, path, PINNED, &format!("id:{MERCHANT}"), &[MERCHANT]).await;
        selects(&app, path, PINNED, "user.companyname:\"john's bakery\"", &[MERCHANT]).await;
        selects(&app, path, PINNED, "bakery", &[MERCHANT]).await;
        selects(&app, path, PINNED, "NOT bakery", &[]).await;
        selects(&app, path, PINNED, "testnr", &[]).await;
        selects(&app, path, PINNED, "id_old:[100000 TO 100001] AND type:46", &[MERCHANT]).await;
        app.get(&format!("{path}?q={}", enc("user.companyname:")), PINNED).await.assert_error(400, 4001);
    }

    async fn stores_keep_the_list_contract(app: TestApp) {
        let token = app.merchant_token().await;
        for name in ["Filiale Nord", "Filiale Süd"] {
            app.post("/General/Stores", &token, json!({"name": name})).await.ok();
        }
        check_list_contract(&app, &Route { path: "/General/Stores", token: PINNED, nested: Some(("merchant.id", MERCHANT)), created: false }).await;
        assert_eq!(count(&same_both_ways(&app, "/General/Stores", PINNED, "filiale").await), 2);
        assert_eq!(count(&same_both_ways(&app, "/General/Stores", PINNED, "name:\"filiale s*\"").await), 1);
        selects(&app, "/General/Stores", PINNED, &format!("id:{STORE}"), &[STORE]).await;
    }
}
