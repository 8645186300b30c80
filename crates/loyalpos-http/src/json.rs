//! Request JSON as registers send it: annotated JSON (`//`, `/* */` comments and trailing commas
//! outside strings, so the docs' examples work verbatim), empty bodies as `{}`, duplicate keys
//! refused, and typed decoding whose errors name the JSON path of the offending field.

use std::fmt;

use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Parses a request body. A missing, empty or all-whitespace body is `{}`.
pub fn parse_body(bytes: &[u8]) -> Result<Value, ApiError> {
    let text =
        std::str::from_utf8(bytes).map_err(|_| ApiError::bad_request("body is not valid UTF-8"))?;
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let cleaned = strip_annotations(text);
    let mut de = serde_json::Deserializer::from_str(&cleaned);
    let value = NoDuplicates::deserialize(&mut de)
        .and_then(|v| de.end().map(|_| v))
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    Ok(value.0)
}

/// Decodes a parsed body into a wire type; errors carry the JSON path (`basket.products[2].priceOne`).
pub fn decode<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::bad_request(inner.to_string())
        } else {
            ApiError::bad_request(format!("{path}: {inner}"))
        }
    })
}

/// Parses and decodes in one step.
pub fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value = parse_body(bytes)?;
    if !value.is_object() {
        return Err(ApiError::bad_request("body must be a JSON object"));
    }
    decode(value)
}

/// Removes `//` and `/* */` comments and trailing commas that stand outside strings.
fn strip_annotations(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let c = bytes[i];
        if in_string {
            let ch_len = utf8_len(c);
            out.push_str(&text[i..i + ch_len]);
            if c == b'\\' && i + 1 < bytes.len() {
                // The escaped character may be several bytes long (an invalid escape, which the
                // JSON parser then refuses): copy it whole.
                let escaped_len = utf8_len(bytes[i + 1]);
                out.push_str(&text[i + 1..i + 1 + escaped_len]);
                i += 1 + escaped_len;
                continue;
            }
            if c == b'"' {
                in_string = false;
            }
            i += ch_len;
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                out.push('"');
                i += 1;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i = (i + 2).min(bytes.len());
                out.push(' ');
            }
            b',' if next_significant(bytes, i + 1).is_some_and(|n| n == b'}' || n == b']') => {
                i += 1;
            }
            _ => {
                let ch_len = utf8_len(c);
                out.push_str(&text[i..i + ch_len]);
                i += ch_len;
            }
        }
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// The next byte that is neither white space nor inside a comment.
fn next_significant(bytes: &[u8], mut i: usize) -> Option<u8> {
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b => return Some(b),
        }
    }
    None
}

/// A JSON value that refuses an object with the same key twice.
struct NoDuplicates(Value);

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_any(NoDuplicatesVisitor)
            .map(NoDuplicates)
    }
}

struct NoDuplicatesVisitor;

impl<'de> Visitor<'de> for NoDuplicatesVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(NoDuplicates(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            let NoDuplicates(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backslash_before_a_multi_byte_character_is_a_format_error_not_a_panic() {
        // Found by the json_body fuzz target (fuzz/): `"\ܣ\u{4}"` used to slice inside `ܣ`.
        for body in [
            "\"\\\u{723}\u{4}\"",
            "{\"a\": \"\\é\"}",
            "{\"a\": \"x\\\u{1F600}\"}",
        ] {
            assert!(parse_body(body.as_bytes()).is_err(), "{body}");
        }
        assert_eq!(
            parse_body(br#"{"a": "\u00e9\"\\"}"#).unwrap()["a"],
            "\u{e9}\"\\"
        );
    }

    #[test]
    fn docs_annotations_and_trailing_commas_are_tolerated() {
        let body = r#"{"priceOne": 5900, // €59
            "additional_data": { /* ... */ }, "url": "http://x//y", "s": "a,}"
            ,}"#;
        let v = parse_body(body.as_bytes()).unwrap();
        assert_eq!(v["priceOne"], 5900);
        assert_eq!(v["url"], "http://x//y");
        assert_eq!(v["s"], "a,}");
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        assert_eq!(parse_body(b"").unwrap(), serde_json::json!({}));
        assert_eq!(parse_body(b"  \n").unwrap(), serde_json::json!({}));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = parse_body(br#"{"a": 1, "b": {"c": 1, "c": 2}}"#).unwrap_err();
        assert_eq!(err.code, crate::error::Code::BadRequest);
        assert!(err.details.contains("duplicate key `c`"));
    }

    #[test]
    fn decode_errors_name_the_json_path() {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Line {
            #[serde(rename = "priceOne")]
            price_one: i64,
        }
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Basket {
            products: Vec<Line>,
        }
        let v = parse_body(br#"{"products": [{"priceOne": 1}, {"priceOne": 1.5}]}"#).unwrap();
        let err = decode::<Basket>(v).err().unwrap();
        assert!(
            err.details.starts_with("products[1].priceOne:"),
            "{}",
            err.details
        );
    }

    #[test]
    fn escaped_quotes_inside_strings_do_not_end_the_string() {
        let v = parse_body(br#"{"a": "x\" // not a comment", "b": 2}"#).unwrap();
        assert_eq!(v["a"], "x\" // not a comment");
        assert_eq!(v["b"], 2);
    }
}
