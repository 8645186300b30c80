//! Conversions between stored card-group rows and the domain's card rules (wire ≠ domain ≠ row).

use loyalpos_domain::DomainError;
use loyalpos_domain::money::{Cents, Currency};
use loyalpos_domain::program::{BonusBase, BonusProduct, BonusProgram, CardRules, FilterMode};
use loyalpos_store::CardgroupRow;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A bonus product as stored and as on the wire (`{tax, desc, articleNumber, ean}`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BonusProductJson {
    pub tax: i64,
    pub desc: String,
    #[serde(rename = "articleNumber", default, deserialize_with = "article_number")]
    pub article_number: Option<String>,
    #[serde(default)]
    pub ean: Option<String>,
}

/// `articleNumber` arrives as a string or an integer (api.md §1.2) and is kept as a string.
fn article_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        Some(_) => Err(serde::de::Error::custom("expected a string or an integer")),
    }
}

pub fn bonus_products(row: &CardgroupRow) -> Vec<BonusProductJson> {
    serde_json::from_str(&row.bonus_products).unwrap_or_default()
}

pub fn filter_codes(row: &CardgroupRow) -> Vec<String> {
    serde_json::from_str(&row.filter_codes).unwrap_or_default()
}

/// The card group's bonus programme as the API and the operator show it (`bonus` of a card group).
pub fn bonus_programme(row: &CardgroupRow) -> Value {
    serde_json::json!({
        "rate": row.bonus_rate,
        "base": row.bonus_base,
        "filter": {"mode": row.filter_mode, "codes": filter_codes(row)},
        "products": bonus_products(row),
    })
}

/// The domain rules of a card group; fails if the stored configuration is invalid.
pub fn card_rules(row: &CardgroupRow) -> Result<CardRules, DomainError> {
    let products: Vec<BonusProductJson> = serde_json::from_str(&row.bonus_products)
        .map_err(|e| DomainError::InvalidRequest(format!("bonus.products: {e}")))?;
    let codes: Vec<String> = serde_json::from_str(&row.filter_codes)
        .map_err(|e| DomainError::InvalidRequest(format!("bonus.filter.codes: {e}")))?;
    let rules = CardRules {
        currency: Currency::parse(&row.currency)?,
        overdraft_allowed: row.overdraft_allowed,
        overdraft_limit: Cents::safe(row.overdraft_limit.0)?,
        cancel_selected: row.cancel_selected,
        passcode_policy: row.passcode_policy,
        card_creation_via_stx: row.card_creation_via_stx,
        bonus: BonusProgram {
            rate: row.bonus_rate,
            base: BonusBase::parse(&row.bonus_base)?,
            filter_mode: FilterMode::parse(&row.filter_mode)?,
            filter_codes: codes,
            products: products
                .into_iter()
                .map(|p| BonusProduct {
                    tax: p.tax,
                    desc: p.desc,
                    article_number: p.article_number,
                    ean: p.ean,
                })
                .collect(),
        },
    };
    rules.validate()?;
    Ok(rules)
}

/// `consent_for_communication`: `"accepted"`/`"declined"`/`"not_set"` or a boolean (api.md §12).
pub fn consent(value: Option<&Value>) -> Result<Option<bool>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) => match s.as_str() {
            "accepted" => Ok(Some(true)),
            "declined" => Ok(Some(false)),
            "not_set" => Ok(None),
            other => Err(format!("unknown value {other}")),
        },
        Some(_) => Err("expected accepted, declined, not_set or a boolean".into()),
    }
}
