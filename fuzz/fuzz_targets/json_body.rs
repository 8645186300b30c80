//! Request bodies (api.md §1.2): annotated JSON parsing and decoding a smart transaction DTO never
//! panic, whatever the bytes; what parses as strict JSON parses the same way annotated.
#![no_main]

use libfuzzer_sys::fuzz_target;
use loyalpos_http::json;
use loyalpos_http::smart::dto::{self, StxDto};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = json::parse_body(data) else {
        return;
    };
    if let Ok(strict) = serde_json::from_slice::<serde_json::Value>(data) {
        assert_eq!(strict, value, "strict JSON read differently");
    }
    if value.is_object()
        && let Ok(stx) = json::decode::<StxDto>(value)
    {
        let _ = dto::parse(stx);
    }
});
