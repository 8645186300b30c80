//! `components/schemas`: derived (schemars, JSON Schema 2020-12, OpenAPI 3.1's dialect) from the
//! types the answers are serialised from and the request bodies deserialised into, so the document
//! and the wire cannot drift apart.
//!
//! Written out here is only what has no Rust type of its own in this crate:
//! - the health checks' `{status}`, written as fixed bytes;
//! - request bodies read field by field (the OAuth token request, form or JSON) or parsed by the
//!   application (the card group and the customer);
//! - what the views embed from the app crate or as stored JSON (a basket line, a receipt line, a
//!   contact and its address, opening hours), named by the marker types below.

use loyalpos_domain::card::LOCK_REASONS;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};
use std::borrow::Cow;

use crate::answer::ErrorEnvelope;
use crate::devices::{DeviceDto, DevicePinConfig, DevicePinDto, DeviceView, UserPinDto};
use crate::general::{MerchantView, PublicDataDto, PublicDataView, StoreDto, StoreView};
use crate::loyalty::cardgroups::CheckPasscodeEnabledDto;
use crate::loyalty::cards::CardPinDto;
use crate::loyalty::direct::{DirectDto, WithReceipt};
use crate::loyalty::merchantcards::{
    BalanceReceipt, BalanceReceiptDto, CreateDto, Created, LockReason, MerchantcardDto,
    ValidateDto, ValidateResult, VirtualTerminalData,
};
use crate::loyalty::security::{
    CheckCscDto, CheckPasscodeDto, LockDto, LockStatusView, NewPasscodeDto, ResetPasscodeDto,
};
use crate::loyalty::views::{CardView, CardgroupView, CustomerView, LtxView, MerchantcardView};
use crate::oauth::{DeviceRegistration, OAuthError, TokenBody};
use crate::smart::DeliveryDto;
use crate::smart::dto::StxDto;
use crate::smart::view::{PlanView, StxView};
use crate::wire::{IdRef, ResultBool};

/// Every schema of the document, by component name.
pub(super) fn schemas() -> Value {
    let mut s = answers();
    s.extend(requests());
    s.extend(written());
    project_list_items(&mut s);
    Value::Object(s)
}

fn settings() -> SchemaSettings {
    SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = "/components/schemas".into();
        s.meta_schema = None;
    })
}

/// The answers' schemas, strict (see [`strict`]).
fn answers() -> Map<String, Value> {
    let mut generator = settings().for_serialize().into_generator();
    generator.subschema_for::<StxView>();
    generator.subschema_for::<MerchantView>();
    generator.subschema_for::<StoreView>();
    generator.subschema_for::<DeviceView>();
    generator.subschema_for::<CardView>();
    generator.subschema_for::<CustomerView>();
    generator.subschema_for::<MerchantcardView>();
    generator.subschema_for::<Created>();
    generator.subschema_for::<WithReceipt>();
    generator.subschema_for::<BalanceReceipt>();
    generator.subschema_for::<TokenBody>();
    generator.subschema_for::<CardgroupView>();
    generator.subschema_for::<LtxView>();
    generator.subschema_for::<PlanView>();
    generator.subschema_for::<LockStatusView>();
    generator.subschema_for::<LockReason>();
    generator.subschema_for::<ValidateResult>();
    generator.subschema_for::<VirtualTerminalData>();
    generator.subschema_for::<DevicePinConfig>();
    generator.subschema_for::<PublicDataView>();
    generator.subschema_for::<DeviceRegistration>();
    generator.subschema_for::<ResultBool>();
    generator.subschema_for::<ErrorEnvelope>();
    generator.subschema_for::<OAuthError>();
    let mut definitions = generator.take_definitions(true);
    definitions.values_mut().for_each(strict);
    definitions
}

/// Response objects are exact (api.md §1.3 "null, not omitted"): schemars already lists in
/// `required` every field serde always writes (all but `skip_serializing_if` ones) and lets an
/// `Option` be null; this pass closes every object that has properties with
/// `additionalProperties: false`. Left open, deliberately: arbitrary JSON echoed or stored as sent
/// (`serde_json::Value` fields: schemas without properties), and any object whose type states
/// `additionalProperties` itself (`#[schemars(extend("additionalProperties" = true))]`).
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") {
                map.entry("additionalProperties").or_insert(json!(false));
            }
            map.values_mut().for_each(strict);
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

/// The request bodies' schemas: every key optional unless the handler needs it, unknown keys
/// ignored (api.md §1.2).
fn requests() -> Map<String, Value> {
    let mut generator = settings().for_deserialize().into_generator();
    generator.subschema_for::<StxDto>();
    generator.subschema_for::<DeliveryDto>();
    generator.subschema_for::<StoreDto>();
    generator.subschema_for::<PublicDataDto>();
    generator.subschema_for::<DeviceDto>();
    generator.subschema_for::<DevicePinDto>();
    generator.subschema_for::<UserPinDto>();
    generator.subschema_for::<CheckPasscodeEnabledDto>();
    generator.subschema_for::<CardPinDto>();
    generator.subschema_for::<MerchantcardDto>();
    generator.subschema_for::<CreateDto>();
    generator.subschema_for::<ValidateDto>();
    generator.subschema_for::<BalanceReceiptDto>();
    generator.subschema_for::<CheckCscDto>();
    generator.subschema_for::<CheckPasscodeDto>();
    generator.subschema_for::<NewPasscodeDto>();
    generator.subschema_for::<ResetPasscodeDto>();
    generator.subschema_for::<LockDto>();
    generator.subschema_for::<DirectDto>();
    generator.subschema_for::<CustomerDto>();
    generator.take_definitions(true)
}

// ---- what views embed without a type of this crate: named for `#[schemars(with = "…")]` ----

/// A type whose schema is written out here, registered under its component name.
macro_rules! written_schema {
    ($(#[$doc:meta])* $name:ident, $generator:ident => $schema:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }
            fn json_schema($generator: &mut SchemaGenerator) -> Schema {
                schema_of($schema)
            }
        }
    };
}

written_schema!(
    /// A line of a receipt (models.md §1.5), stored as JSON by the app crate.
    ReceiptLine, _g => obj_optional(
        &[
            ("type", one_of(&["separator", "name-value", "textline", "space"])),
            (
                "value",
                json!({"type": "object", "additionalProperties": false, "properties": {
                    "caption": string(), "name": string(), "value": string(), "text": string(),
                    "decoration": arr(one_of(&["important", "align-left", "align-center", "align-right"]))}}),
            ),
        ],
        &["value"],
    )
);

written_schema!(
    /// A basket line as shown (the app crate's `BasketLine`, models.md §2.1).
    BasketProduct, _g => obj(&[
        ("id", int()),
        ("parent", nullable(int())),
        ("articleNumber", nullable(string())),
        ("ean", string()),
        ("desc", string()),
        ("quantity", int()),
        ("priceOne", int()),
        ("tax", int()),
        ("group", arr(any_object())),
        ("serialNumber", nullable(string())),
        ("item_type", string()),
        ("reference_id", nullable(string())),
        ("contract_id", nullable(string())),
        ("sum", nullable(int())),
        ("sub_basket", nullable(arr(any_object()))),
        ("plan_id", nullable(string())),
        ("start_at", nullable(string())),
    ])
);

const ADDRESS_FIELDS: [&str; 7] = [
    "type",
    "street",
    "street_number",
    "city",
    "postal_code",
    "country",
    "additional_address_data",
];

written_schema!(
    /// An address, echoed as sent (models.md §1.4): keys the client left out stay out.
    Address, _g => obj_optional(&ADDRESS_FIELDS.map(|k| (k, nullable(string()))), &ADDRESS_FIELDS)
);

written_schema!(
    /// The full contact (`views::full_contact`: every key of `CONTACT_KEYS` present).
    Contact, generator => {
        let address = generator.subschema_for::<Address>();
        let fields: Vec<(&str, Value)> = crate::loyalty::views::CONTACT_KEYS
            .iter()
            .map(|&k| match k {
                "address" => (k, nullable(address.clone().to_value())),
                _ => (k, nullable(string())),
            })
            .collect();
        obj(&fields)
    }
);

written_schema!(
    /// The contact of a compact customer (`views::compact_customer`).
    CompactContact, _g => obj(&[
        ("name", nullable(string())),
        ("forename", nullable(string())),
        ("surname", nullable(string())),
        ("dob", nullable(string())),
    ])
);

written_schema!(
    /// An opening-hours entry a request may send (stores::check_open_hours): Sunday = 0, "HHMM"
    /// up to "2400".
    OpenHours, _g => {
        let day_time = obj(&[
            ("day", json!({"type": "integer", "minimum": 0, "maximum": 6})),
            ("time", json!({"type": "string", "pattern": "^(([01][0-9]|2[0-3])[0-5][0-9]|2400)$"})),
        ]);
        obj(&[("open", day_time.clone()), ("close", day_time)])
    }
);

written_schema!(
    /// The customer of a request, parsed by the app crate (`CustomerPatch`).
    CustomerDto, _g => obj_loose(&[
        ("merchant", any()),
        // null, like a missing field, leaves the stored value as it is
        ("merchant_contact", nullable(any_object())),
        ("customernumber", nullable(string())),
        ("note", nullable(string())),
        (
            "consent_for_communication",
            json!({"anyOf": [{"type": "boolean"}, {"enum": ["accepted", "declined", "not_set"]}, {"type": "null"}]}),
        ),
        ("additional_data", nullable(any_object())),
        ("anonymize", boolean()),
    ])
);

/// A schema written here as JSON; were it no object, it would accept nothing (and the tests that
/// validate answers against the document would say so).
fn schema_of(value: Value) -> Schema {
    Schema::try_from(value).unwrap_or_else(|_| Schema::from(false))
}

/// A reference in a request (its `Deserialize` is written by hand): an id or `{id}`.
impl JsonSchema for IdRef {
    fn schema_name() -> Cow<'static, str> {
        "IdRef".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schema_of(json!({"anyOf": [
            string(),
            {"type": "object", "properties": {"id": string()}, "required": ["id"]},
        ]}))
    }
}

/// The issued card's CSC is never stored in clear text: a replay of the request with its
/// Idempotency-Key answers the same cards without `csc`.
pub fn csc_shown_once(schema: &mut Schema) {
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.retain(|k| k != "csc");
    }
    if let Some(csc) = schema
        .get_mut("properties")
        .and_then(|p| p.get_mut("csc"))
        .and_then(Value::as_object_mut)
    {
        csc.insert(
            "description".into(),
            json!("Shown once; absent when the answer is replayed for an Idempotency-Key."),
        );
    }
}

/// The schemas written out (see the module's doc for why each has no derived one).
fn written() -> Vec<(String, Value)> {
    let mut s: Vec<(String, Value)> = [
        ("ServiceStatus", obj(&[("status", string())])),
        ("TokenRequest", token_request()),
        ("CardgroupDto", cardgroup_dto()),
    ]
    .map(|(name, schema)| (name.to_owned(), schema))
    .into();
    for item in [
        "Merchant",
        "Store",
        "Device",
        "Cardgroup",
        "Card",
        "Customer",
        "LoyaltyTransaction",
        "MerchantCard",
        "SmartTransaction",
    ] {
        let list = obj(&[
            ("count", int()),
            ("data", arr(r(&format!("{item}Projected")))),
        ]);
        s.push((format!("{item}List"), list));
    }
    s
}

fn token_request() -> Value {
    let grants = [
        "client_credentials",
        "device",
        "refresh_token",
        "device_pin",
        "appuser",
    ];
    loose_requiring(
        &[
            ("grant_type", one_of(&grants)),
            ("client_id", json!({"type": "string", "minLength": 1})),
            ("client_secret", string()),
            ("uuid", string()),
            ("code", string()),
            ("refresh_token", string()),
            ("device_pin", string()),
            ("username", string()),
            ("password", string()),
            ("device", string()),
            ("deviceinfo[name]", string()),
        ],
        &["grant_type", "client_id"],
    )
}

fn cardgroup_dto() -> Value {
    obj_loose(&[
        ("display_name", string()),
        ("picture", nullable(string())),
        ("merchant", any()),
        ("cancel_selected", boolean()),
        ("stock_warn_limit", int()),
        ("description", nullable(string())),
        ("currency", string()),
        (
            "bonus",
            obj_loose(&[
                ("rate", int()),
                ("base", one_of(&["full", "reduced"])),
                ("filter", any_object()),
                ("products", arr(any_object())),
            ]),
        ),
        ("overdraft_allowed", boolean()),
        ("overdraft_limit", int()),
        ("passcode_policy", int()),
        ("card_creation_via_stx", boolean()),
    ])
}

/// The lock request: `LockDto` (shared with unlock) with the reason the lock needs.
pub(super) fn lock_request() -> Value {
    json!({"allOf": [r("LockDto"), {
        "required": ["reason"],
        "properties": {"reason": {"type": "integer", "enum": LOCK_REASONS.map(|(id, _)| id)}},
    }]})
}

/// A list item as `fields=` may project it: the object's properties, of which only `object` and
/// `id` are always there (api.md §5).
fn project_list_items(s: &mut Map<String, Value>) {
    let items: Vec<String> = s
        .keys()
        .filter_map(|k| k.strip_suffix("List").map(str::to_owned))
        .collect();
    for item in items {
        let mut projected = s[&item].clone();
        projected["required"] = json!(["object", "id"]);
        s.insert(format!("{item}Projected"), projected);
    }
}

// ---- schema helpers ----

pub(super) fn r(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}
pub(super) fn string() -> Value {
    json!({"type": "string"})
}
pub(super) fn int() -> Value {
    json!({"type": "integer"})
}
pub(super) fn boolean() -> Value {
    json!({"type": "boolean"})
}
pub(super) fn none() -> Value {
    json!({"type": "null"})
}

pub(super) fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}
pub(super) fn arr(items: Value) -> Value {
    json!({"type": "array", "items": items})
}
pub(super) fn any_object() -> Value {
    json!({"type": "object"})
}
/// Any JSON value (echoed fields: stored and returned as received).
pub(super) fn any() -> Value {
    json!({})
}
pub(super) fn nullable(schema: Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some(t) if schema.as_object().is_some_and(|o| o.len() == 1) => json!({"type": [t, "null"]}),
        _ => json!({"anyOf": [schema, none()]}),
    }
}
/// A response object: exactly these keys, every one present.
pub(super) fn obj(fields: &[(&str, Value)]) -> Value {
    let required: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
    let properties: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}
/// A request object: these keys are read, all optional; unknown keys are ignored (api.md §1.2).
pub(super) fn obj_loose(fields: &[(&str, Value)]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    json!({"type": "object", "properties": properties})
}
/// `obj` with some keys optional.
/// An open object (extra keys are ignored) with these keys required.
pub(super) fn loose_requiring(fields: &[(&str, Value)], required: &[&str]) -> Value {
    let mut schema = obj_loose(fields);
    schema["required"] = json!(required);
    schema
}
/// `me`, the token's merchant or (demo) an alias; anything else well-formed is 404.
pub(super) fn merchant_id() -> Value {
    json!({"type": "string", "pattern": "^([Mm][Ee]|MRC_[A-Z0-9]{30})$"})
}
pub(super) fn obj_optional(fields: &[(&str, Value)], optional: &[&str]) -> Value {
    let mut schema = obj(fields);
    schema["required"] = json!(
        fields
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| !optional.contains(k))
            .collect::<Vec<_>>()
    );
    schema
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name both contracts derive must be one schema (a marker type, used by answers and
    /// requests alike); a written schema must not take a derived one's name.
    #[test]
    fn derived_and_written_schemas_do_not_clash() {
        let (answers, requests) = (answers(), requests());
        for (name, schema) in &requests {
            assert!(answers.get(name).is_none_or(|a| a == schema), "{name}");
        }
        for (name, _) in written() {
            assert!(
                !answers.contains_key(&name) && !requests.contains_key(&name),
                "{name}"
            );
        }
    }

    #[test]
    fn answers_are_closed_objects_with_every_field_required() {
        let answers = answers();
        let card = &answers["MerchantCard"];
        assert_eq!(card["additionalProperties"], json!(false));
        let fields = card["properties"].as_object().map(Map::len);
        assert_eq!(card["required"].as_array().map(Vec::len), fields);
        // Nested objects are closed too, and a field serde may leave out is not required.
        let info = &answers["BasketInfo"];
        assert_eq!(info["additionalProperties"], json!(false));
        assert_eq!(info["required"], json!(["sum", "gratuity", "currency"]));
        assert!(
            answers["TokenResponse"]["required"]
                .as_array()
                .is_some_and(|r| !r.contains(&json!("refresh_token")))
        );
    }

    #[test]
    fn always_null_fields_allow_only_null_and_options_allow_null() {
        let answers = answers();
        let stx = &answers["SmartTransaction"]["properties"];
        assert_eq!(stx["iframe_url"], json!({"type": "null"}));
        assert_eq!(stx["payment_method"], json!({"type": ["string", "null"]}));
    }

    #[test]
    fn the_issued_csc_is_optional_and_described() {
        let created = &answers()["CreatedMerchantCard"];
        assert!(created["properties"]["csc"]["description"].is_string());
        let required = created["required"].as_array().cloned().unwrap_or_default();
        assert!(!required.contains(&json!("csc")));
        assert!(required.contains(&json!("cash_balance")));
    }
}
