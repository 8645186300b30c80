//! The pure loyalty domain of loyalpos: money, baskets, preTransaction plans, bookings, receipts and the
//! smart-transaction status machine.
//!
//! Everything here is a pure function over plain data: no async, no I/O, no clock, no randomness. The HTTP
//! layer parses requests into these types, the store persists them, and the rules of `api.md` §8–§13 live
//! only here.

pub mod basket;
pub mod booking;
pub mod card;
pub mod direct;
pub mod error;
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
