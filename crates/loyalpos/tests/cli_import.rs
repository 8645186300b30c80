//! `loyalpos import` as import.md says: references to objects the operator created with the CLI
//! (their `object` key checked), merchant cards imported again with another opening balance or CSC
//! (refused, all or nothing, naming the masked card and the field), re-imports after bookings, and
//! a file that starts with a UTF-8 byte-order mark.
mod common;

use common::*;
use serde_json::{Value, json};

const CRD: &str = "CRD_CLIIMPORT000000000000000000001";
const MCD: &str = "MCD_CLIIMPORT000000000000000000001";
const NUMBER: &str = "9276000055550001";
const MASKED: &str = "927600******0001";
const SDV: &str = "SDV_CLIIMPORT000000000000000000001";
/// A card group only the refused documents carry: it must never appear.
const NEW_CRG: &str = "CRG_CLIIMPORTREFUSED00000000000001";
/// The demo merchant's default contract.
const DEMO_CONTRACT: &str = "GCR_9OIH9JOL8KIV5PFJBEOS2NN8TCM1DF";

/// A card of the demo merchant in its Punkte group with opening balances and a CSC.
fn card_document() -> Value {
    json!({
        "loyalty.cards": [{"id": CRD, "cardnumber": NUMBER}],
        "loyalty.merchantcards": [{"id": MCD, "merchant": {"id": MERCHANT}, "card": {"id": CRD},
            "cardgroup": {"id": "CRG_2BESGJNETJJRZVVYS8R7JWGVWK4PRZ"},
            "cash_balance": 500, "bonus_balance": 20, "csc": "4711"}]
    })
}

/// `card_document` changed by `change`, plus a new card group.
fn changed(change: impl FnOnce(&mut Value)) -> Value {
    let mut doc = card_document();
    change(&mut doc["loyalty.merchantcards"][0]);
    doc["loyalty.cardgroups"] =
        json!([{"id": NEW_CRG, "merchant": {"id": MERCHANT}, "display_name": "Nie"}]);
    doc
}

fn import_ok(app: &TestApp, doc: &Value) -> String {
    let (ok, out, err) = import(app, doc);
    assert!(ok, "import failed: {err}");
    out
}

/// Refused: non-zero exit, every `expected` in stderr, the full card number nowhere, nothing
/// of the document written, the card's balances unchanged.
async fn refused(app: &TestApp, doc: &Value, expected: &[&str], balances: (i64, i64, i64)) {
    let (ok, out, err) = import(app, doc);
    assert!(!ok, "the import must fail; stdout: {out}");
    for e in expected {
        assert!(err.contains(e), "{e:?} missing in {err}");
    }
    assert!(!err.contains(NUMBER), "the card number is masked: {err}");
    app.get(&format!("/Loyalty/Cardgroups/{NEW_CRG}"), PINNED)
        .await
        .assert_error(404, 3001);
    assert_eq!(app.balances(MCD).await, balances);
}

/// The id a CLI command printed after `prefix` on its first line.
fn printed_id(out: &str, prefix: &str) -> String {
    out.lines()
        .next()
        .and_then(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in {out}"))
        .trim()
        .to_owned()
}

/// Runs `loyalpos import` on a file holding exactly `bytes`.
fn import_bytes(app: &TestApp, bytes: &[u8]) -> (bool, String) {
    // One file per call: the SQLite and PostgreSQL variants run at the same time in this process.
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("loyalpos-bom-{}-{call}.json", std::process::id());
    let path = std::env::temp_dir().join(name);
    std::fs::write(&path, bytes).unwrap();
    let (ok, stdout, stderr) = run(&["import", path.to_str().unwrap(), "--database", &app.db.url]);
    let _ = std::fs::remove_file(&path);
    (ok, stdout + &stderr)
}

on_both_backends! {
    async fn an_import_references_a_card_group_and_store_the_operator_created_and_its_device_gets_the_default_contract(app: TestApp) {
        let store = printed_id(&app.cli(&["store", "create", "--merchant", MERCHANT, "--name", "Filiale Süd"]), "store ");
        let group = printed_id(&app.cli(&["cardgroup", "create", "--merchant", MERCHANT, "--name", "Stammkunden"]), "cardgroup ");
        let doc = json!({
            "smart.devices": [{"id": SDV, "merchant": {"id": MERCHANT}, "store": {"id": store}, "type": "cashier",
                "vendor_uid": "/vendor/acme/cashier/cli-import-1"}],
            "loyalty.cards": [{"id": CRD, "cardnumber": NUMBER}],
            "loyalty.merchantcards": [{"id": MCD, "merchant": {"id": MERCHANT}, "card": {"id": CRD},
                "cardgroup": {"object": "loyalty.cardgroups", "id": group},
                "created_for_store": {"object": "general.stores", "id": store}, "cash_balance": 300}]
        });
        // a reference's `object` must name the kind it references
        let mut wrong = doc.clone();
        wrong["loyalty.merchantcards"][0]["cardgroup"]["object"] = json!("general.stores");
        let (ok, _, err) = import(&app, &wrong);
        assert!(!ok && err.contains("loyalty.merchantcards[0].cardgroup: the reference's object must be loyalty.cardgroups"), "{err}");
        app.get(&format!("/Smart/Devices/{SDV}"), PINNED).await.assert_error(404, 3001);
        let out = import_ok(&app, &doc);
        assert!(out.contains("loyalty.merchantcards: 1 created, 0 already present"), "{out}");
        assert!(!out.contains("loyalty.cardgroups") && !out.contains("general.stores"), "only referenced: {out}");
        let card = app.get(&format!("/Loyalty/MerchantCards/{MCD}"), PINNED).await;
        let card = card.ok().clone();
        assert_eq!(card["cardgroup"]["id"], group.as_str());
        assert_eq!(card["cardgroup"]["display_name"], "Stammkunden");
        assert_eq!(card["created_for_store"]["id"], store.as_str());
        assert_eq!(card["cash_balance"], 300);
        let device = app.get(&format!("/Smart/Devices/{SDV}"), PINNED).await;
        let device = device.ok().clone();
        assert_eq!(device["store"]["id"], store.as_str());
        assert_eq!(device["contract"]["id"], DEMO_CONTRACT);
        let again = import_ok(&app, &doc);
        assert!(again.contains("loyalty.merchantcards: 0 created, 1 already present"), "{again}");
    }

    async fn a_changed_opening_balance_of_an_existing_merchant_card_refuses_the_whole_import_naming_the_masked_card_and_field(app: TestApp) {
        import_ok(&app, &card_document());
        assert_eq!(app.balances(MCD).await, (500, 20, 520));
        // a booking since the import is no change of the opening balance: the same document is
        // still "already present"
        let charge = app.post(&format!("/Loyalty/MerchantCards/{MCD}/transaction/me"), PINNED, json!({"action": "charge", "amount": 250})).await;
        charge.ok();
        let again = import_ok(&app, &card_document());
        assert!(again.contains("loyalty.merchantcards: 0 created, 1 already present"), "{again}");
        assert_eq!(app.balances(MCD).await, (750, 20, 770));

        let doc = changed(|mc| mc["cash_balance"] = json!(750));
        refused(&app, &doc, &["loyalty.merchantcards[0].cash_balance", MCD, MASKED, "500", "750"], (750, 20, 770)).await;
        let doc = changed(|mc| mc["bonus_balance"] = json!(0));
        refused(&app, &doc, &["loyalty.merchantcards[0].bonus_balance", MASKED], (750, 20, 770)).await;
        let doc = changed(|mc| mc["points"] = json!(5));
        refused(&app, &doc, &["loyalty.merchantcards[0].points", MASKED], (750, 20, 770)).await;
        let ledger = app.get(&format!("/Loyalty/Transactions?q=merchantcard.id:{MCD}"), PINNED).await;
        assert_eq!(ledger.ok()["count"], 2, "the opening and the charge, nothing else: {}", ledger.text);
    }

    async fn an_unknown_lock_or_stock_status_refuses_the_whole_import_naming_the_field(app: TestApp) {
        let mut doc = changed(|mc| {
            mc["lock_status"] = json!("maybe");
            mc["stock_status"] = json!("lost");
        });
        doc["loyalty.merchantcards"][0]["id"] = json!(MCD);
        let (ok, _, err) = import(&app, &doc);
        assert!(!ok, "the import must fail");
        for said in ["loyalty.merchantcards[0].lock_status: unknown lock status \"maybe\"", "loyalty.merchantcards[0].stock_status: unknown stock status \"lost\""] {
            assert!(err.contains(said), "{said:?} missing in {err}");
        }
        app.get(&format!("/Loyalty/MerchantCards/{MCD}"), PINNED).await.assert_error(404, 3001);
        let locked = changed(|mc| mc["lock_status"] = json!("locked"));
        import_ok(&app, &locked);
        assert_eq!(app.get(&format!("/Loyalty/MerchantCards/{MCD}"), PINNED).await.ok()["lock_status"], "locked");
    }

    async fn a_changed_or_dropped_csc_of_an_existing_merchant_card_refuses_the_whole_import(app: TestApp) {
        import_ok(&app, &card_document());
        let doc = changed(|mc| mc["csc"] = json!("4712"));
        refused(&app, &doc, &["loyalty.merchantcards[0].csc", MASKED, "another CSC"], (500, 20, 520)).await;
        let (_, _, err) = import(&app, &doc);
        // The progress line names the document's temporary file, whose random name may hold the digits.
        let said = err.split_once("error:").map_or(err.as_str(), |(_, said)| said);
        assert!(!said.contains("4712") && !said.contains("4711"), "no CSC in the message: {err}");
        let doc = changed(|mc| {
            mc.as_object_mut().unwrap().remove("csc");
        });
        refused(&app, &doc, &["loyalty.merchantcards[0].csc", MASKED], (500, 20, 520)).await;
        // the CSC still checks as imported
        let check = app.post("/Loyalty/MerchantCards/me/checkCsc", PINNED, json!({"cardnumber": NUMBER, "csc": "4711"})).await;
        assert_eq!(check.ok()["result"], true, "{}", check.text);
        let out = import_ok(&app, &card_document());
        assert!(out.contains("loyalty.merchantcards: 0 created, 1 already present"), "{out}");
    }

    async fn a_card_number_in_an_import_problem_is_masked(app: TestApp) {
        let mut doc = card_document();
        doc["loyalty.cards"][0]["cardnumber"] = json!(9276000055550001_u64);
        let (ok, _, err) = import(&app, &doc);
        assert!(!ok);
        assert!(err.contains(&format!("loyalty.cards[0].cardnumber: invalid type: integer `{MASKED}`")), "{err}");
        assert!(!err.contains(NUMBER), "{err}");
    }

    async fn an_import_file_with_one_utf8_byte_order_mark_imports_and_two_are_refused(app: TestApp) {
        let text = card_document().to_string();
        let twice = [b"\xEF\xBB\xBF\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let (ok, out) = import_bytes(&app, &twice);
        assert!(!ok, "{out}");
        assert!(out.contains("not valid JSON"), "{out}");
        app.get(&format!("/Loyalty/MerchantCards/{MCD}"), PINNED).await.assert_error(404, 3001);
        let once = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        let (ok, out) = import_bytes(&app, &once);
        assert!(ok, "{out}");
        assert!(out.contains("loyalty.merchantcards: 1 created, 0 already present"), "{out}");
        assert_eq!(app.balances(MCD).await, (500, 20, 520));
    }
}
