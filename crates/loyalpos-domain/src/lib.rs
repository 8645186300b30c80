//! The pure loyalty domain of loyalpos: money, baskets, preTransaction plans, bookings, receipts and the
//! smart-transaction status machine.
//!
//! Everything here is a pure function over plain data: no async, no I/O, no clock, no randomness. The HTTP
//! layer parses requests into these types, the store persists them, and the rules of `api.md` §8–§13 live
//! only here. Money and ids derive serde's traits (as the bare number and string), so stored documents and
//! wire types hold them as they are.

/// An enum stored and sent as one of a fixed set of names: `as_str` for the row and the wire, `parse`
/// at the boundary where a name comes in (a stored row, an import document), `ALL` for descriptions.
macro_rules! named_enum {
    ($(#[$meta:meta])* pub enum $name:ident ($what:literal) { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The names, in the order of `ALL`.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> ::core::result::Result<$name, $crate::DomainError> {
                match s {
                    $($text => ::core::result::Result::Ok($name::$variant),)+
                    _ => ::core::result::Result::Err($crate::DomainError::InvalidRequest(format!(concat!("unknown ", $what, " {:?}"), s))),
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod basket;
pub mod booking;
pub mod card;
pub mod direct;
pub mod error;
pub mod ids;
pub mod money;
pub mod plan;
pub mod program;
pub mod receipt;
pub mod reversal;
pub mod settle;
pub mod status;
pub mod vat;

pub use error::DomainError;

#[cfg(test)]
mod ledger_tests;
#[cfg(test)]
mod testutil;
#[cfg(test)]
mod vectors_tests;
