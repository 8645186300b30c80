//! Wire helpers shared by every product: compact references, lenient id references in requests.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

/// `{"object": "general.stores", "id": "STO_…"}`
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, PartialEq, Eq)]
pub struct ObjRef {
    pub object: &'static str,
    pub id: String,
}

impl ObjRef {
    pub fn new(object: &'static str, id: impl Into<String>) -> Self {
        ObjRef {
            object,
            id: id.into(),
        }
    }
    pub fn opt(object: &'static str, id: Option<&str>) -> Option<Self> {
        id.map(|id| ObjRef::new(object, id))
    }
}

/// `{"result": …}`: the answer of a check, or of an action that has no object to show.
#[derive(Debug, Clone, Copy, Serialize, schemars::JsonSchema, PartialEq, Eq)]
#[schemars(rename = "ResultBoolean")]
pub struct ResultBool {
    pub result: bool,
}

/// A reference in a request: a bare id string, `{id}` or `{object, id}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRef(pub String);

impl<'de> Deserialize<'de> for IdRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(IdRef(s)),
            Value::Object(map) => match map.get("id") {
                Some(Value::String(s)) => Ok(IdRef(s.clone())),
                _ => Err(serde::de::Error::custom(
                    "expected a reference with a string `id`",
                )),
            },
            _ => Err(serde::de::Error::custom(
                "expected an id string or a reference object",
            )),
        }
    }
}

/// `null` → `[]`-friendly parse of a stored JSON column.
pub fn stored_json(text: Option<&str>) -> Value {
    text.and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null)
}

pub fn stored_array(text: &str) -> Value {
    match serde_json::from_str(text) {
        Ok(v @ Value::Array(_)) => v,
        _ => Value::Array(Vec::new()),
    }
}

/// A stored JSON array (a receipt, a merchant's URLs) for a view that only passes it on: checked
/// and then written into the answer as stored, instead of built into a `Value` and rendered again
/// (the booking's view is rendered in the writer's unit of work for its event). Anything but an
/// array reads as `[]`, as with [`stored_array`].
pub fn stored_array_raw(text: &str) -> Box<RawValue> {
    let text = text.trim();
    let raw = text
        .starts_with('[')
        .then(|| RawValue::from_string(text.to_owned()).ok())
        .flatten();
    raw.unwrap_or_else(|| RawValue::from_string("[]".to_owned()).expect("[] is JSON"))
}

/// Decodes a field that may be present with a value, present as `null`, or absent.
/// (`Option<Option<T>>` with `#[serde(default, deserialize_with = "present")]`.)
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::{stored_array, stored_array_raw};

    #[test]
    fn a_stored_array_is_passed_on_as_stored_and_anything_else_reads_as_empty() {
        let receipt = r#"[{"type":"space"},{"type":"textline","value":{"text":"7,96 EUR","decoration":["important"]}}]"#;
        assert_eq!(stored_array_raw(receipt).get(), receipt);
        assert_eq!(
            serde_json::to_string(&stored_array_raw(receipt)).unwrap(),
            serde_json::to_string(&stored_array(receipt)).unwrap()
        );
        assert_eq!(stored_array_raw(" [1] ").get(), "[1]");
        for not_an_array in ["", "{}", "null", "[1,", "7", "[1] x"] {
            assert_eq!(
                stored_array_raw(not_an_array).get(),
                "[]",
                "{not_an_array:?}"
            );
        }
    }
}
