//! The import document (spec import.md): one JSON object whose keys hold arrays of objects in the
//! wire shapes of models.md, with their ids.

use loyalpos_domain::ids::MerchantId;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// An import document read into its items. What could not be read stays as problems (with their
/// JSON paths), so that the import lists them together with every other problem.
pub struct Document {
    pub(super) merchants: Vec<MerchantItem>,
    pub(super) contracts: Vec<ContractItem>,
    pub(super) stores: Vec<StoreItem>,
    pub(super) devices: Vec<DeviceItem>,
    pub(super) cardgroups: Vec<CardgroupItem>,
    pub(super) customers: Vec<CustomerItem>,
    pub(super) cards: Vec<CardItem>,
    pub(super) merchantcards: Vec<MerchantcardItem>,
    pub(super) clients: Vec<ClientItem>,
    pub(super) users: Vec<UserItem>,
    pub(super) problems: Vec<String>,
}

const KEYS: [&str; 10] = [
    "general.merchants",
    "general.contracts",
    "general.stores",
    "smart.devices",
    "loyalty.cardgroups",
    "loyalty.customers",
    "loyalty.cards",
    "loyalty.merchantcards",
    "clients",
    "users",
];

impl Document {
    pub fn parse(doc: &Value) -> Document {
        let mut problems = Vec::new();
        match doc.as_object() {
            None => problems.push("the document must be a JSON object".into()),
            Some(obj) => problems.extend(
                obj.keys()
                    .filter(|key| !KEYS.contains(&key.as_str()))
                    .map(|key| format!("{key}: unknown key")),
            ),
        }
        Document {
            merchants: items(doc, "general.merchants", &mut problems),
            contracts: items(doc, "general.contracts", &mut problems),
            stores: items(doc, "general.stores", &mut problems),
            devices: items(doc, "smart.devices", &mut problems),
            cardgroups: items(doc, "loyalty.cardgroups", &mut problems),
            customers: items(doc, "loyalty.customers", &mut problems),
            cards: items(doc, "loyalty.cards", &mut problems),
            merchantcards: items(doc, "loyalty.merchantcards", &mut problems),
            clients: items(doc, "clients", &mut problems),
            users: items(doc, "users", &mut problems),
            problems,
        }
    }

    /// The default store a merchant of the document names (`is_default: true`).
    pub(super) fn default_store(&self, merchant_id: &MerchantId) -> Option<&StoreItem> {
        self.stores
            .iter()
            .find(|s| *merchant_id == s.merchant.0 && s.is_default == Some(true))
    }

    /// A merchant's first contract in the document, its default contract.
    pub(super) fn first_contract(&self, merchant_id: &MerchantId) -> Option<&ContractItem> {
        self.contracts.iter().find(|c| *merchant_id == c.merchant.0)
    }
}

#[derive(Deserialize)]
pub(super) struct MerchantItem {
    pub(super) id: String,
    pub(super) companyname: String,
    pub(super) id_old: Option<i64>,
    #[serde(rename = "type")]
    pub(super) user_type: Option<String>,
    pub(super) project_name: Option<String>,
    pub(super) categories: Option<Value>,
    pub(super) created: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ContractItem {
    pub(super) id: String,
    pub(super) merchant: Ref<ToMerchant>,
}

#[derive(Deserialize)]
pub(super) struct StoreItem {
    pub(super) id: String,
    pub(super) merchant: Ref<ToMerchant>,
    pub(super) name: String,
    pub(super) id_old: Option<String>,
    pub(super) is_default: Option<bool>,
    pub(super) address: Option<Value>,
    pub(super) facebook_id: Option<String>,
    pub(super) phone: Option<String>,
    pub(super) url_website: Option<String>,
    pub(super) photo_main: Option<String>,
    pub(super) photo: Option<Vec<String>>,
    pub(super) open_hours: Option<Vec<Value>>,
    pub(super) created: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct DeviceItem {
    pub(super) id: String,
    pub(super) merchant: Ref<ToMerchant>,
    pub(super) store: Ref<ToStore>,
    #[serde(rename = "type")]
    pub(super) device_type: String,
    pub(super) contract: Option<Ref<ToContract>>,
    pub(super) vendor: Option<String>,
    pub(super) vendor_uid: Option<String>,
    pub(super) description: Option<String>,
    pub(super) tid: Option<String>,
    pub(super) products: Option<Value>,
    pub(super) device_pin: Option<String>,
    /// loyalpos extension: the device's next receipt number (default 1).
    pub(super) next_receipt_number: Option<i64>,
    pub(super) created: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct BonusItem {
    pub(super) rate: Option<i64>,
    pub(super) base: Option<String>,
    pub(super) filter: Option<FilterItem>,
    pub(super) products: Option<Vec<Value>>,
}

#[derive(Deserialize)]
pub(super) struct FilterItem {
    pub(super) mode: Option<String>,
    pub(super) codes: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub(super) struct CardgroupItem {
    pub(super) id: String,
    pub(super) merchant: Ref<ToMerchant>,
    pub(super) display_name: String,
    pub(super) picture: Option<String>,
    pub(super) stock_warn_limit: Option<i64>,
    pub(super) description: Option<String>,
    pub(super) cancel_selected: Option<bool>,
    pub(super) currency: Option<String>,
    pub(super) bonus: Option<BonusItem>,
    pub(super) overdraft_allowed: Option<bool>,
    pub(super) overdraft_limit: Option<i64>,
    pub(super) passcode_policy: Option<i64>,
    pub(super) card_creation_via_stx: Option<bool>,
    pub(super) created: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CustomerItem {
    pub(super) id: String,
    pub(super) merchant: Ref<ToMerchant>,
    pub(super) merchant_contact: Option<Value>,
    pub(super) contact: Option<Value>,
    pub(super) customernumber: Option<String>,
    pub(super) note: Option<String>,
    pub(super) consent_for_communication: Option<Value>,
    pub(super) additional_data: Option<Value>,
    pub(super) created: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CardItem {
    pub(super) id: String,
    pub(super) cardnumber: String,
    pub(super) created: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct MerchantcardItem {
    pub(super) id: String,
    pub(super) merchant: Ref<ToMerchant>,
    pub(super) card: Ref<ToCard>,
    pub(super) cardgroup: Ref<ToCardgroup>,
    pub(super) created_for_store: Option<Ref<ToStore>>,
    pub(super) customer: Option<Ref<ToCustomer>>,
    pub(super) customer_assignment_date: Option<String>,
    pub(super) is_base_card: Option<bool>,
    pub(super) cash_balance: Option<i64>,
    pub(super) bonus_balance: Option<i64>,
    pub(super) points: Option<i64>,
    pub(super) last_usage: Option<String>,
    pub(super) last_charge: Option<String>,
    pub(super) stock_status: Option<String>,
    pub(super) lock_status: Option<String>,
    pub(super) lock_reason: Option<i64>,
    pub(super) lock_note: Option<String>,
    pub(super) expiry_date: Option<String>,
    pub(super) csc: Option<String>,
    pub(super) passcode_pin: Option<i64>,
    pub(super) created: Option<String>,
    /// loyalpos extension: id, TA code and time of the opening loyalty transaction.
    pub(super) opening_transaction: Option<OpeningItem>,
}

#[derive(Deserialize)]
pub(super) struct OpeningItem {
    pub(super) id: Option<String>,
    pub(super) trans_id: Option<i64>,
    pub(super) created: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct ClientItem {
    pub(super) client_id: String,
    pub(super) client_secret: String,
    pub(super) merchant: Option<Ref<ToMerchant>>,
    pub(super) grants: Option<Vec<String>>,
}

#[derive(Deserialize)]
pub(super) struct UserItem {
    /// loyalpos extension: keep an account id (`ACC_…`).
    pub(super) id: Option<String>,
    pub(super) username: String,
    pub(super) password: String,
    pub(super) merchant: Ref<ToMerchant>,
}

/// Reads the items of one key, collecting decode problems with their paths.
fn items<T: DeserializeOwned>(doc: &Value, key: &str, problems: &mut Vec<String>) -> Vec<T> {
    let Some(value) = doc.get(key) else {
        return Vec::new();
    };
    let Some(array) = value.as_array() else {
        problems.push(format!("{key}: expected an array"));
        return Vec::new();
    };
    array
        .iter()
        .enumerate()
        .filter_map(
            |(i, item)| match serde_path_to_error::deserialize::<_, T>(item.clone()) {
                Ok(v) => Some(v),
                Err(e) => {
                    let field = match e.path().to_string().as_str() {
                        "." => String::new(),
                        path => format!(".{path}"),
                    };
                    // serde quotes the value it refused: a card number sent as a number must
                    // not reach the operator's terminal whole.
                    let why = masked(&e.inner().to_string());
                    problems.push(format!("{key}[{i}]{field}: {why}"));
                    None
                }
            },
        )
        .collect()
}

/// `text` with every run of 16 or more digits cut to its first 6 and last 4 (`927600******2845`).
fn masked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 16 {
            let n = digits.len();
            out.push_str(&digits[..6]);
            out.extend(std::iter::repeat_n('*', n - 10));
            out.push_str(&digits[n - 4..]);
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// What a reference points at: the `object` name a reference may carry (and that is checked).
pub(super) trait Target {
    const OBJECT: &'static str;
}

macro_rules! target {
    ($name:ident, $object:literal) => {
        pub(super) enum $name {}
        impl Target for $name {
            const OBJECT: &'static str = $object;
        }
    };
}
target!(ToMerchant, "general.merchants");
target!(ToStore, "general.stores");
target!(ToContract, "general.contracts");
target!(ToCardgroup, "loyalty.cardgroups");
target!(ToCustomer, "loyalty.customers");
target!(ToCard, "loyalty.cards");

/// A reference to another object: `{"id": …}` (an `object` key may be present and must name the
/// referenced kind, import.md) or a bare id.
pub(super) struct Ref<T>(pub(super) String, PhantomData<T>);

impl Ref<ToMerchant> {
    pub(super) fn merchant_id(&self) -> MerchantId {
        MerchantId::new(self.0.clone())
    }
}

impl<'de, T: Target> Deserialize<'de> for Ref<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = match Value::deserialize(d)? {
            Value::String(s) => s,
            Value::Object(map) => {
                match map.get("object") {
                    None => {}
                    Some(Value::String(o)) if o == T::OBJECT => {}
                    Some(_) => {
                        return Err(serde::de::Error::custom(format!(
                            "the reference's object must be {}",
                            T::OBJECT
                        )));
                    }
                }
                match map.get("id") {
                    Some(Value::String(s)) => s.clone(),
                    _ => {
                        return Err(serde::de::Error::custom(
                            "expected a reference with a string `id`",
                        ));
                    }
                }
            }
            _ => {
                return Err(serde::de::Error::custom(
                    "expected an id string or a reference object",
                ));
            }
        };
        Ok(Ref(id, PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unreadable_items_become_problems_with_their_json_paths() {
        let doc = Document::parse(&json!({
            "general.merchants": [{"id": "MRC_X"}],
            "loyalty.cards": {"id": "CRD_X"},
            "loyalty.customers": [{"id": "CUS_X", "merchant": 7}],
            "loyalty.points": [],
        }));
        assert_eq!(
            doc.problems,
            [
                "loyalty.points: unknown key",
                "general.merchants[0]: missing field `companyname`",
                "loyalty.customers[0].merchant: expected an id string or a reference object",
                "loyalty.cards: expected an array",
            ]
        );
    }

    #[test]
    fn a_reference_is_an_id_or_an_object_with_one() {
        let doc = Document::parse(&json!({
            "general.contracts": [
                {"id": "GCR_A", "merchant": "MRC_A"},
                {"id": "GCR_B", "merchant": {"object": "general.merchants", "id": "MRC_B"}},
            ],
        }));
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        let merchants: Vec<&str> = doc
            .contracts
            .iter()
            .map(|c| c.merchant.0.as_str())
            .collect();
        assert_eq!(merchants, ["MRC_A", "MRC_B"]);
    }

    #[test]
    fn a_reference_naming_another_kind_of_object_is_a_problem() {
        let doc = Document::parse(&json!({
            "loyalty.merchantcards": [{"id": "MCD_A", "merchant": "MRC_A", "card": {"id": "CRD_A"},
                "cardgroup": {"object": "general.stores", "id": "STO_A"}}],
        }));
        assert_eq!(
            doc.problems,
            [
                "loyalty.merchantcards[0].cardgroup: the reference's object must be loyalty.cardgroups"
            ]
        );
    }

    #[test]
    fn a_card_number_in_a_problem_is_masked() {
        let doc = Document::parse(&json!({
            "loyalty.cards": [{"id": "CRD_A", "cardnumber": 9276004429942845_u64}],
        }));
        assert_eq!(
            doc.problems,
            [
                "loyalty.cards[0].cardnumber: invalid type: integer `927600******2845`, expected a string"
            ]
        );
        assert_eq!(masked("id 123456789012345 x"), "id 123456789012345 x");
    }

    #[test]
    fn a_document_must_be_an_object() {
        let doc = Document::parse(&json!([]));
        assert_eq!(doc.problems, ["the document must be a JSON object"]);
    }
}
