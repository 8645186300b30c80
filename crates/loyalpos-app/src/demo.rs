//! The demo tenant (spec demo-tenant.md): an import document plus the demo-only extras — the
//! pinned token, the docs' reusable device registration, merchant-id aliases and the reserved
//! loyalty transaction id. Created only with `--demo`, only once per database.

use loyalpos_domain::money::Cents;
use loyalpos_domain::status::StxStatus;
use loyalpos_store::{AuthorizationRow, RegistrationRow, StxRow, TokenRow, Tx};
use serde_json::Value;

use crate::clock::Clock;
use crate::demo_ids::{
    CASH_REGISTER_ID, DEMO_REFRESH_TOKEN, DOCS_DEVICE_CODE, DOCS_USER_CODE, MERCHANT_ID,
    PINNED_TOKEN, STORE_ID, VENDOR_CLIENT_ID,
};
use crate::import::{Document, ImportError, import};
use crate::secret::lookup_hash;
use crate::smart::doc::{BasketLine, Ident, StxDoc};

const SHOP_DEVICE_ID: &str = "SDV_WPX6NU09Q2NDF0KJD3H584EXJR3XA2";
const CONTRACT_ID: &str = "GCR_9OIH9JOL8KIV5PFJBEOS2NN8TCM1DF";
/// The seed's smart transaction and the loyalty transaction id the seed shows for it.
const SEED_STX_ID: &str = "STX_KJXJDUN542NR3WMRHRVU5WWM6ZQEA2";
const SEED_LTX_ID: &str = "LTX_YBYPUETZ2HQXURG9XU0M5H4KGWW0NH";
const DOCS_AUTHORIZATION_ID: &str = "AUT_DEMODOCSDEVICEREGISTRATION0";

const TENANT: &str = include_str!("demo/tenant.json");

/// Seeds the demo tenant unless the database already holds it. Returns whether it was created.
pub fn seed(tx: &mut dyn Tx, clock: &Clock, now: i64) -> Result<bool, ImportError> {
    if tx.demo_merchant_exists()? {
        return Ok(false);
    }
    let tenant: Value = serde_json::from_str(TENANT)
        .map_err(|e| built_in(format!("the demo document is not JSON: {e}")))?;
    import(tx, clock, &Document::parse(&tenant), now)?;
    let mut merchant = tx
        .merchant(&MERCHANT_ID.into())?
        .ok_or_else(|| built_in("the demo document has no demo merchant".into()))?;
    merchant.is_demo = true;
    tx.update_merchant(&merchant)?;
    seed_credentials(tx, now)?;
    seed_smart_transactions(tx, clock)?;
    Ok(true)
}

/// A mistake in the built-in demo data (never in anything a user sent).
fn built_in(problem: String) -> ImportError {
    ImportError::Invalid(vec![problem])
}

/// The docs' basket (demo-tenant.md §8): 7 % = 598, 19 % = 198, total 796.
fn docs_basket() -> Vec<BasketLine> {
    let line =
        |id: i64, article: &str, ean: &str, desc: &str, quantity: i64, price: i64, tax: i64| {
            BasketLine {
                article_number: Some(article.into()),
                ean: ean.into(),
                ..BasketLine::article(id, desc, quantity, Cents(price), tax)
            }
        };
    vec![
        line(1, "30037", "", "Sandwich Romano", 1, 349, 7),
        line(2, "30200", "", "Fruit salad, small bowl", 1, 249, 7),
        line(
            3,
            "51",
            "4999012345678",
            "Water, mildly sprinkling, 0.25 ltr.",
            2,
            99,
            19,
        ),
    ]
}

struct DemoStx {
    id: &'static str,
    card: &'static str,
    device: &'static str,
    created: &'static str,
    intent: Option<&'static str>,
}

/// The pre-created smart transactions of the docs (demo-tenant.md §8).
fn seed_smart_transactions(tx: &mut dyn Tx, clock: &Clock) -> Result<(), ImportError> {
    let pending = [
        DemoStx {
            id: SEED_STX_ID,
            card: "9276004429942845",
            device: CASH_REGISTER_ID,
            created: "2020-09-17T09:18:14+02:00",
            intent: None,
        },
        DemoStx {
            id: "STX_3QPGBB72F2NSPDS95JZPWA772DUMAZ",
            card: "9276004400000071",
            device: SHOP_DEVICE_ID,
            created: "2020-12-03T10:00:00+01:00",
            intent: Some("sale"),
        },
        DemoStx {
            id: "STX_WHCJCB3SD2NSZZ73E33NP3TJJ4RKA2",
            card: "9276004424644352",
            device: SHOP_DEVICE_ID,
            created: "2020-12-03T10:05:00+01:00",
            intent: Some("sale"),
        },
    ];
    for p in pending {
        // Marked `is_demo`: in demo mode only such transactions look for a reserved LTX id at start.
        let doc = demo_doc(docs_basket(), Cents(796), Some(p.card), p.intent, true);
        let row = StxRow {
            id: p.id.into(),
            merchant_id: MERCHANT_ID.into(),
            status: StxStatus::Created,
            device_id: Some(p.device.into()),
            receipt_number: None,
            trans_id: None,
            merchant_ref: doc.merchant_ref.clone(),
            transaction_ref: doc.transaction_ref.clone(),
            cardnumber: doc.cardnumber().map(str::to_owned),
            doc: doc.to_json(),
            created: demo_time(clock, p.created)?,
            updated: None,
        };
        tx.insert_stx(&row)?;
    }
    tx.insert_reserved_ltx_id(&SEED_STX_ID.into(), &SEED_LTX_ID.into())?;
    // The docs' terminal payment with receipt number 3 (cancelTrx example).
    let test_payment = BasketLine::article(1, "Testzahlung", 1, Cents(10), 19);
    let mut doc = demo_doc(vec![test_payment], Cents(10), None, None, false);
    doc.payment_method = Some("cashless".into());
    doc.device_destination_id = Some(CASH_REGISTER_ID.into());
    doc.terminal_amount = Some(Cents(10));
    let row = StxRow {
        id: "STX_3HXQQBSVK2XWNAX7ESCZH9NZY3YZAZ".into(),
        merchant_id: MERCHANT_ID.into(),
        status: StxStatus::Ok,
        device_id: Some(CASH_REGISTER_ID.into()),
        receipt_number: Some(3),
        trans_id: None,
        merchant_ref: doc.merchant_ref.clone(),
        transaction_ref: doc.transaction_ref.clone(),
        cardnumber: doc.cardnumber().map(str::to_owned),
        doc: doc.to_json(),
        created: demo_time(clock, "2021-02-25T08:47:25+01:00")?,
        updated: Some(demo_time(clock, "2021-02-25T08:47:40+01:00")?),
    };
    tx.insert_stx(&row)?;
    Ok(())
}

fn demo_time(clock: &Clock, text: &str) -> Result<i64, ImportError> {
    clock
        .parse(text)
        .ok_or_else(|| built_in(format!("the demo timestamp {text} is not ISO 8601")))
}

fn demo_doc(
    lines: Vec<BasketLine>,
    sum: Cents,
    card: Option<&str>,
    intent: Option<&str>,
    is_demo: bool,
) -> StxDoc {
    StxDoc {
        contract_id: Some(CONTRACT_ID.into()),
        store_id: Some(STORE_ID.into()),
        device_destination_id: None,
        lines,
        basket_type: "default".into(),
        sum,
        gratuity: None,
        currency: "EUR".into(),
        idents: card
            .map(|c| Ident {
                kind: "card".into(),
                value: c.into(),
                issued_cardnumber: None,
            })
            .into_iter()
            .collect(),
        merchant_ref: None,
        transaction_ref: None,
        intent: intent.map(Into::into),
        is_demo,
        payment_method: None,
        echo: serde_json::Map::new(),
        plan: None,
        transactions: Vec::new(),
        receipt: Value::Array(Vec::new()),
        terminal_amount: None,
    }
}

fn seed_credentials(tx: &mut dyn Tx, now: i64) -> Result<(), ImportError> {
    tx.insert_token(&TokenRow {
        token_hash: lookup_hash(PINNED_TOKEN),
        kind: "device".into(),
        merchant_id: MERCHANT_ID.into(),
        client_id: VENDOR_CLIENT_ID.into(),
        device_id: Some(CASH_REGISTER_ID.into()),
        store_id: Some(STORE_ID.into()),
        user_id: None,
        authorization_id: None,
        expires_at: None,
        demo_only: true,
        revoked: false,
        created: now,
    })?;
    tx.insert_authorization(&AuthorizationRow {
        id: DOCS_AUTHORIZATION_ID.into(),
        kind: "device".into(),
        merchant_id: MERCHANT_ID.into(),
        client_id: VENDOR_CLIENT_ID.into(),
        device_id: Some(CASH_REGISTER_ID.into()),
        store_id: Some(STORE_ID.into()),
        user_id: None,
        refresh_hash: Some(lookup_hash(DEMO_REFRESH_TOKEN)),
        revoked: false,
        created: now,
    })?;
    tx.insert_registration(&RegistrationRow {
        device_code_hash: lookup_hash(DOCS_DEVICE_CODE),
        user_code: DOCS_USER_CODE.into(),
        client_id: VENDOR_CLIENT_ID.into(),
        uuid: "/vendor/unknown/cashier/dotnettest1".into(),
        state: "confirmed".into(),
        merchant_id: Some(MERCHANT_ID.into()),
        device_id: Some(CASH_REGISTER_ID.into()),
        store_id: Some(STORE_ID.into()),
        authorization_id: Some(DOCS_AUTHORIZATION_ID.into()),
        expires_at: None,
        reusable: true,
        created: now,
    })?;
    Ok(())
}
