//! What the loyalty tests share: the demo cards (demo-tenant.md §5–7), the receipt shorthand of
//! examples.md §0, and helpers named after register and back-office actions.
#![allow(dead_code)]

use serde_json::{Value, json};

use crate::common::*;

/// A demo merchant card: number and `MCD_` id.
pub struct DemoCard {
    pub number: &'static str,
    pub mcd: &'static str,
    pub crd: &'static str,
}

pub const A: DemoCard = DemoCard {
    number: "9276004429942845",
    mcd: "MCD_2RXTNXPRM2YG9922UMBHHAEWEGN6AJ",
    crd: "CRD_2U7MTNAMM3PMBPAB50C9G2AEHA9GPJ",
};
pub const B: DemoCard = DemoCard {
    number: "9276004428481652",
    mcd: "MCD_W5ZVSRG8U2MN358FD2MRDCMPYM06AU",
    crd: "CRD_3CVJTETZ3MHPR034C9BYGEKDH6XRP4",
};
pub const C: DemoCard = DemoCard {
    number: "9276004424644352",
    mcd: "MCD_DEMO92760044246443520000000000",
    crd: "CRD_DEMO92760044246443520000000000",
};
pub const D: DemoCard = DemoCard {
    number: "9276004400000071",
    mcd: "MCD_DEMO92760044000000710000000000",
    crd: "CRD_DEMO92760044000000710000000000",
};
pub const E: DemoCard = DemoCard {
    number: "9276004429999952",
    mcd: "MCD_DEMO92760044299999520000000000",
    crd: "CRD_DEMO92760044299999520000000000",
};

pub const PUNKTE: &str = "CRG_2BESGJNETJJRZVVYS8R7JWGVWK4PRZ";
pub const GESCHENKGUTSCHEIN: &str = "CRG_IT1FQXHQ88O0YWZCZYPVE2N4FWP32C";
pub const BONUS10: &str = "CRG_442AC7B8XCVU3XG2NX9E5XHJWH4CRK";
pub const CUSTOMER: &str = "CUS_2YBREKK0A2MNAXJ752TSDD9DH3PKAJ";
pub const DEMO_USER: &str = "ACC_DEMOJOHNSBAKERY000000000000000";
pub const CARD_PICTURE: &str =
    "https://connect.secucard.com/ds_g/8e79737df1e2513db48908b342c3cc436edf501a";

// Receipt shorthand (examples.md §0).
pub fn sep(caption: &str) -> Value {
    json!({"type": "separator", "value": {"caption": caption}})
}
pub fn nv(name: &str, value: &str) -> Value {
    json!({"type": "name-value", "value": {"name": name, "value": value, "decoration": []}})
}
pub fn tl(text: &str) -> Value {
    json!({"type": "textline", "value": {"text": text, "decoration": []}})
}
pub fn tl_(text: &str) -> Value {
    json!({"type": "textline", "value": {"text": text, "decoration": ["important"]}})
}
pub fn sp() -> Value {
    json!({"type": "space"})
}
pub fn storno() -> Value {
    json!({"type": "textline", "value": {"text": "STORNO", "decoration": ["important", "align-center"]}})
}

/// The first word after `label ` on the line starting with `label` of a CLI output.
pub fn cli_value(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{label} ")))
        .unwrap_or_else(|| panic!("no `{label}` line in {out:?}"))
        .split(' ')
        .next()
        .unwrap()
        .to_owned()
}

/// A second merchant created by the operator, with a merchant client token of its own.
pub struct OtherMerchant {
    pub id: String,
    pub token: String,
}

pub async fn other_merchant(app: &TestApp) -> OtherMerchant {
    let out = app.cli(&["merchant", "create", "--name", "Other Bakery"]);
    let id = cli_value(&out, "merchant");
    let creds = app.cli(&[
        "client",
        "create",
        "--merchant",
        &id,
        "--grants",
        "client_credentials",
    ]);
    let client_id = cli_value(&creds, "client_id");
    let secret = cli_value(&creds, "client_secret");
    let r = app
        .token_request(json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}))
        .await;
    let token = r.ok()["access_token"].as_str().unwrap().to_owned();
    OtherMerchant { id, token }
}

/// A merchant user token (appuser grant) for `username`/`password` of the demo merchant.
pub async fn user_token(app: &TestApp, username: &str, password: &str) -> String {
    let r = app
        .token_request(
            json!({"grant_type": "appuser", "client_id": MERCHANT_CLIENT.0,
            "client_secret": MERCHANT_CLIENT.1, "username": username, "password": password}),
        )
        .await;
    r.ok()["access_token"].as_str().unwrap().to_owned()
}

/// `POST /Loyalty/MerchantCards/{mcd}/transaction/me`.
pub async fn direct(app: &TestApp, mcd: &str, body: Value) -> Reply {
    app.post(
        &format!("/Loyalty/MerchantCards/{mcd}/transaction/me"),
        PINNED,
        body,
    )
    .await
}

pub async fn merchantcard(app: &TestApp, mcd: &str) -> Value {
    app.get(&format!("/Loyalty/MerchantCards/{mcd}"), PINNED)
        .await
        .ok()
        .clone()
}

/// `(cash, bonus, points)` of a merchant card.
pub async fn balances(app: &TestApp, mcd: &str) -> (i64, i64, i64) {
    let c = merchantcard(app, mcd).await;
    assert_eq!(
        c["balance"].as_i64().unwrap(),
        c["cash_balance"].as_i64().unwrap() + c["bonus_balance"].as_i64().unwrap()
    );
    (
        c["cash_balance"].as_i64().unwrap(),
        c["bonus_balance"].as_i64().unwrap(),
        c["points"].as_i64().unwrap(),
    )
}

/// `(cash, bonus, points)` summed over the card's bookings as the ledger shows them.
pub async fn ledger_sums(app: &TestApp, mcd: &str) -> (i64, i64, i64) {
    let r = app
        .get(
            &format!("/Loyalty/Transactions?q=merchantcard.id:{mcd}&count=1000"),
            PINNED,
        )
        .await;
    let mut sums = (0, 0, 0);
    for ltx in r.ok()["data"].as_array().unwrap() {
        let mut money = 0;
        for b in ltx["bookings"].as_array().unwrap() {
            let amount = b["amount"].as_i64().unwrap();
            match b["balance"].as_str().unwrap() {
                "cash" => {
                    sums.0 += amount;
                    money += amount;
                }
                "bonus" => {
                    sums.1 += amount;
                    money += amount;
                }
                "points" => sums.2 += amount,
                other => panic!("unknown balance {other}"),
            }
        }
        assert_eq!(
            ltx["amount"], money,
            "LTX amount = its money bookings: {ltx}"
        );
    }
    sums
}
