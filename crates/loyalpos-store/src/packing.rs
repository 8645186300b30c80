//! Text as the store packs it: an event's data (migration `0015_events_packed`) and, on SQLite, a
//! smart transaction's document. A packed value is a 4-byte little-endian length prefix, then an
//! LZ4 block.
//!
//! Since the dictionary, the prefix's top bit says the block was compressed against
//! [`DICTIONARY`]: a few of the API's own renderings (a merchant card, a loyalty transaction, a
//! smart transaction's stored document and its views), so that a new value's keys, nulls and
//! nested objects are matches into the dictionary instead of literals. The flow's events compress
//! 5–9× instead of 1.8× (BENCHMARKS.md, "Events packed against a dictionary"). Values packed before
//! have the bit clear (no value is 2 GiB long) and read as they always did.
//!
//! The dictionary is part of the stored format: a row packed against it reads back only with the
//! same bytes. So the file never changes; a better dictionary would be a second file with its own
//! marker, beside this one.

use crate::{Result, StoreError};

/// What values are compressed against. Frozen: stored rows depend on it byte for byte (the test
/// `the_dictionary_is_the_one_stored_rows_were_packed_with` pins it).
const DICTIONARY: &[u8] = include_bytes!("pack_dictionary_1.txt");

/// The length prefix's top bit: the block was compressed against [`DICTIONARY`].
const AGAINST_DICTIONARY: u32 = 1 << 31;

/// An LZ4 block never unpacks to more than 255 bytes per byte it holds (a match's length grows by
/// at most 255 per byte that encodes it), with or without a dictionary.
const LZ4_MAX_RATIO: usize = 255;

pub(crate) fn pack_text(data: &str) -> Vec<u8> {
    let block = lz4_flex::block::compress_with_dict(data.as_bytes(), DICTIONARY);
    let prefix = u32::try_from(data.len())
        .ok()
        .filter(|len| len & AGAINST_DICTIONARY == 0)
        .expect("a packed value is shorter than 2 GiB");
    let mut packed = Vec::with_capacity(4 + block.len());
    packed.extend_from_slice(&(prefix | AGAINST_DICTIONARY).to_le_bytes());
    packed.extend_from_slice(&block);
    packed
}

pub(crate) fn unpack_text(packed: &[u8]) -> Result<String> {
    let damaged =
        |what: &str| StoreError::Internal(format!("packed data cannot be unpacked: {what}"));
    let (prefix, block) = packed
        .split_first_chunk::<4>()
        .ok_or_else(|| damaged("it has no length prefix"))?;
    let prefix = u32::from_le_bytes(*prefix);
    let len = (prefix & !AGAINST_DICTIONARY) as usize;
    // Checked before unpacking: a damaged length prefix is an error, not a request for gigabytes.
    if len > (block.len() + 1) * LZ4_MAX_RATIO {
        return Err(damaged("its length prefix is damaged"));
    }
    let dictionary: &[u8] = if prefix & AGAINST_DICTIONARY != 0 {
        DICTIONARY
    } else {
        b""
    };
    let mut bytes = vec![0; len];
    let unpacked = lz4_flex::block::decompress_into_with_dict(block, &mut bytes, dictionary)
        .map_err(|e| damaged(&e.to_string()))?;
    if unpacked != len {
        return Err(damaged("it is shorter than its length prefix says"));
    }
    String::from_utf8(bytes)
        .map_err(|e| StoreError::Internal(format!("packed data is not UTF-8: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A merchant card's view unlike the dictionary's: another card, other ids and balances.
    const MERCHANT_CARD: &str = r#"{"object":"loyalty.merchantcards","id":"MCD_7QK2WZ4N1B8TR3Y6PL0DXH5MCA9EFS","merchant":{"object":"general.merchants","id":"MRC_K8D2NW7Q1ZB4YH6TR3LM0XPC5AV9JE"},"created_for_merchant":{"object":"general.merchants","id":"MRC_K8D2NW7Q1ZB4YH6TR3LM0XPC5AV9JE"},"card":{"object":"loyalty.cards","id":"CRD_5HT8ZQ2MW1N7XK4BRD0LP3CY6AVE9J","cardnumber":"9276551200347718","created":"2025-03-14T09:26:53+01:00"},"cardgroup":{"object":"loyalty.cardgroups","id":"CRG_2WM8QH4ZR1T7NK5YB0XL3DPC6AVJE9","display_name":"Stammkunden 5 %","display_name_raw":"Stammkunden 5 %","stock_warn_limit":10,"picture":null},"created_for_store":{"object":"general.stores","id":"STO_9RK4ZW1QM7H2TN8YB5XL0DPC3AVE6J"},"customer":null,"is_base_card":true,"points":0,"cash_balance":1250,"bonus_balance":385,"balance":1635,"last_usage":"2026-11-30T17:02:11+01:00","last_charge":null,"stock_status":"active","lock_status":"unlocked","passcode":0,"expiry_date":null,"payment_container":null,"customer_assignment_date":null}"#;

    #[test]
    fn packed_text_reads_back_as_written() {
        for data in [
            "",
            "null",
            r#"{"object":"smart.transactions","desc":"Käse, 7 % MwSt","lines":[1,2,3]}"#,
            MERCHANT_CARD,
        ] {
            assert_eq!(unpack_text(&pack_text(data)).unwrap(), data);
        }
    }

    #[test]
    fn a_view_of_another_tenant_packs_smaller_against_the_dictionary() {
        let without = lz4_flex::block::compress(MERCHANT_CARD.as_bytes()).len();
        let with = pack_text(MERCHANT_CARD).len();
        assert!(
            // Its ids are all unlike the dictionary's; the demo tenant's own views shrink ~5×.
            with * 3 < without * 2,
            "{with} bytes against the dictionary, {without} without"
        );
    }

    #[test]
    fn text_packed_before_the_dictionary_still_reads_back() {
        let before = lz4_flex::compress_prepend_size(MERCHANT_CARD.as_bytes());
        assert_eq!(before[3] & 0x80, 0);
        assert_eq!(unpack_text(&before).unwrap(), MERCHANT_CARD);
    }

    #[test]
    fn the_most_compressible_text_passes_the_length_check() {
        for size in [0, 1, 300, 16 << 20] {
            let data = "a".repeat(size);
            assert_eq!(unpack_text(&pack_text(&data)).unwrap().len(), size);
        }
    }

    #[test]
    fn damaged_packed_text_is_an_error_not_a_panic() {
        let mut truncated = pack_text(MERCHANT_CARD);
        truncated.truncate(truncated.len() / 2);
        let mut longer_prefix = pack_text(MERCHANT_CARD);
        longer_prefix[0] = longer_prefix[0].wrapping_add(1);
        let mut without_marker = pack_text(MERCHANT_CARD);
        without_marker[3] &= 0x7f;
        for damaged in [
            truncated,
            longer_prefix,
            without_marker,
            vec![200, 0, 0, 0, 1, 2],
            vec![255, 255, 255, 255, 0],
            vec![1, 0],
        ] {
            assert!(unpack_text(&damaged).is_err(), "{damaged:?}");
        }
    }

    /// FNV-1a: enough to notice an edit, and needs no crate.
    fn fingerprint(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
            (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    #[test]
    fn the_dictionary_is_the_one_stored_rows_were_packed_with() {
        assert_eq!(
            (DICTIONARY.len(), fingerprint(DICTIONARY)),
            (16_721, 1_638_247_270_242_854_066),
            "pack_dictionary_1.txt changed: rows packed against it no longer read back"
        );
    }
}
