//! Ids of the stored objects, one type per kind: a store method that takes a [`MerchantId`] cannot be
//! handed a card's id, and a row's `merchant_id` cannot be compared with a store's id by mistake.
//!
//! An id is `PREFIX_` + 30 characters (`STX_…`, api.md §1.1). The types do not check that format:
//! ids come from the store (already valid), from the id source of the application layer (valid by
//! construction) or from a request, where an unknown id is simply not found (api.md: 404/3001).
//! [`is_id`] is the check for the places that refuse a malformed id outright.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_types {
    ($($(#[$doc:meta])* $name:ident = $prefix:literal;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether `value` has this kind's prefix and the id format.
            pub fn is_valid(value: &str) -> bool {
                is_id(value, $prefix)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// An id reads as its text wherever text is taken (a log line, a message, a parameter
        /// that is not typed yet); the other way round needs `new` or `from`.
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl PartialEq<&$name> for $name {
            fn eq(&self, other: &&$name) -> bool {
                self == *other
            }
        }

        /// Any text reads as an id (see the module's doc); for command-line arguments.
        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok($name(s.to_owned()))
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    )+};
}

id_types! {
    /// A merchant (`MRC_`): the tenant every other object belongs to.
    MerchantId = "MRC";
    /// A merchant's contract (`GCR_`).
    ContractId = "GCR";
    /// A store (`STO_`).
    StoreId = "STO";
    /// A smart device, a register or terminal (`SDV_`).
    DeviceId = "SDV";
    /// A card group with its bonus programme (`CRG_`).
    CardgroupId = "CRG";
    /// A physical card, shared by merchants (`CRD_`).
    CardId = "CRD";
    /// A customer (`CUS_`).
    CustomerId = "CUS";
    /// A card as one merchant runs it, with its balances (`MCD_`).
    MerchantcardId = "MCD";
    /// A smart transaction (`STX_`).
    StxId = "STX";
    /// A loyalty transaction (`LTX_`).
    LtxId = "LTX";
}

/// Whether `value` is `prefix` + `_` + 30 characters `[A-Z0-9]`.
pub fn is_id(value: &str, prefix: &str) -> bool {
    value.len() == prefix.len() + 31
        && value.starts_with(prefix)
        && value.as_bytes()[prefix.len()] == b'_'
        && value[prefix.len() + 1..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_compares_with_its_text_and_shows_as_it() {
        let id = MerchantId::new("MRC_0123456789ABCDEFGHIJKLMNOPQRST");
        assert_eq!(id, "MRC_0123456789ABCDEFGHIJKLMNOPQRST");
        assert_eq!(id.to_string(), id.as_str());
        assert_eq!(String::from(&id), "MRC_0123456789ABCDEFGHIJKLMNOPQRST");
    }

    #[test]
    fn the_format_check_wants_the_kinds_prefix_and_thirty_upper_alphanumerics() {
        assert!(MerchantId::is_valid("MRC_0123456789ABCDEFGHIJKLMNOPQRST"));
        assert!(!MerchantId::is_valid("STO_0123456789ABCDEFGHIJKLMNOPQRST"));
        assert!(!MerchantId::is_valid("MRC_0123456789abcdefghijklmnopqrst"));
        assert!(!MerchantId::is_valid("MRC_0123456789ABCDEFGHIJKLMNOPQRS"));
        assert!(!MerchantId::is_valid("MRC-0123456789ABCDEFGHIJKLMNOPQRST"));
    }
}
