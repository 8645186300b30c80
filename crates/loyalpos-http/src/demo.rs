//! The demo tenant (spec demo-tenant.md): an import document plus the demo-only extras — the
//! pinned token, the docs' reusable device registration, merchant-id aliases and the reserved
//! loyalty transaction id. Created only with `--demo`, only once per database.

use loyalpos_store::{AuthorizationRow, RegistrationRow, TokenRow, Tx};
use serde_json::Value;

use crate::clock::Clock;
use crate::import::{ImportError, import};
use crate::secret::lookup_hash;

pub const MERCHANT_ID: &str = "MRC_35SZ3R5GGQQP4T0U2T5GFAN9P6C4PG";
pub const MERCHANT_ALIASES: [&str; 2] = [
    "MRC_BCSPDJBAT5QXBHUSBPGHY2Q8X8U8ON",
    "MRC_GQBZSHFLXSOLI4A4OVP7Z22RELXSJY",
];
pub const STORE_ID: &str = "STO_2ZCZRU9V6U8QA7B49K94667UP6C4PJ";
pub const CASH_REGISTER_ID: &str = "SDV_2YJDXYESB2YBHECVB5GQGSYPNM8UA6";
pub const VENDOR_CLIENT_ID: &str = "611c00ec6b2be6c77c2338774f50040b";
pub const PINNED_TOKEN: &str = "qb56tjj1bcvo9n2nj4u38k84lo";
pub const DOCS_DEVICE_CODE: &str = "2429e1d92f2f76cc3bbdc0333457ef25";
pub const DOCS_USER_CODE: &str = "aa63q9k9";
pub const DEMO_REFRESH_TOKEN: &str = "d3aece0996cee981609cab15653db0e9bc9ef804";
const DOCS_AUTHORIZATION_ID: &str = "AUT_DEMODOCSDEVICEREGISTRATION0";

const TENANT: &str = include_str!("demo/tenant.json");

/// Seeds the demo tenant unless the database already holds it. Returns whether it was created.
pub async fn seed(tx: &mut dyn Tx, clock: &Clock) -> Result<bool, ImportError> {
    if tx.demo_merchant_exists().await? {
        return Ok(false);
    }
    let doc: Value =
        serde_json::from_str(TENANT).expect("the built-in demo document is valid JSON");
    import(tx, clock, &doc).await?;
    let mut merchant = tx
        .merchant(MERCHANT_ID)
        .await?
        .expect("the demo merchant was just imported");
    merchant.is_demo = true;
    tx.update_merchant(&merchant).await?;
    seed_credentials(tx, clock.now()).await?;
    Ok(true)
}

async fn seed_credentials(tx: &mut dyn Tx, now: i64) -> Result<(), ImportError> {
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
    })
    .await?;
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
    })
    .await?;
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
    })
    .await?;
    Ok(())
}
