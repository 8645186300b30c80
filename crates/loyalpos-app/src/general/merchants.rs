//! The caller's merchant and the public data it shows (legal texts, links).

use loyalpos_store::{MerchantRow, StoreRow, Tx};
use serde::Serialize;
use serde_json::{Value, json};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult};
use crate::tenancy::{own_contract, own_merchant};

/// The merchant with its default store (whose name and address the merchant's views show).
#[derive(Debug, Clone)]
pub struct MerchantProfile {
    pub merchant: MerchantRow,
    pub default_store: Option<StoreRow>,
}

/// A legal text of the merchant (imprint, terms …), linked by `content`.
#[derive(Debug, Clone, Default)]
pub struct LegalDetail {
    pub content: Option<String>,
    pub kind: Option<String>,
    pub language: Option<String>,
}

/// A link of the merchant (website, shop …); stored as given.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MerchantUrl {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub url: Option<String>,
}

/// What `PUT /General/Merchants/…` replaces; an absent list stays as it is.
#[derive(Debug, Clone, Default)]
pub struct PublicData {
    pub legal_details: Option<Vec<LegalDetail>>,
    pub urls: Option<Vec<MerchantUrl>>,
}

pub fn merchant(tx: &mut dyn Tx, caller: &Principal) -> ApiResult<MerchantProfile> {
    let merchant = own_merchant(tx, caller)?;
    profile(tx, merchant)
}

/// The merchant's public data as shown under one of its contracts.
pub fn public_data(
    tx: &mut dyn Tx,
    caller: &Principal,
    contract_id: &str,
) -> ApiResult<MerchantProfile> {
    own_contract(tx, caller, contract_id)?;
    merchant(tx, caller)
}

pub fn update_public_data(
    tx: &mut dyn Tx,
    caller: &Principal,
    data: PublicData,
) -> ApiResult<MerchantProfile> {
    let mut merchant = own_merchant(tx, caller)?;
    if let Some(details) = data.legal_details {
        merchant.legal_details = stored_legal_details(details);
    }
    if let Some(urls) = data.urls {
        merchant.urls =
            serde_json::to_string(&urls).map_err(|e| ApiError::internal(e.to_string()))?;
    }
    tx.update_merchant(&merchant)?;
    profile(tx, merchant)
}

/// Legal texts are stored as secuconnect serves them: the content is the HTML page's URL.
fn stored_legal_details(details: Vec<LegalDetail>) -> String {
    let stored: Vec<Value> = details
        .into_iter()
        .map(|d| {
            json!({"url": d.content, "type": d.kind, "content_type": "text/html", "language": d.language})
        })
        .collect();
    Value::Array(stored).to_string()
}

fn profile(tx: &mut dyn Tx, merchant: MerchantRow) -> ApiResult<MerchantProfile> {
    let default_store = match &merchant.default_store_id {
        Some(id) => tx.store(id)?,
        None => None,
    };
    Ok(MerchantProfile {
        merchant,
        default_store,
    })
}
