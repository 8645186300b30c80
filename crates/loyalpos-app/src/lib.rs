//! The application layer: one synchronous function per command (create, start, cancel, charge,
//! issue cards, import, check …). A command takes its parsed input, the caller, `now` and runs on
//! one unit of work ([`loyalpos_store::Tx`]) inside a store job; it returns an outcome that holds
//! everything an edge (HTTP, CLI) renders. Every business rule that is not pure domain lives here.
//!
//! Modules only use those below them: errors, caller, clock, secrets and the demo ids; tenancy;
//! general, devices and loyalty; oauth and smart; the direct transaction (above loyalty and smart),
//! import, operator and audit; the demo seed on top.

pub mod admin;
pub mod audit;
pub mod caller;
pub mod clock;
pub mod demo;
pub mod demo_ids;
pub mod devices;
pub mod direct;
pub mod error;
pub mod event_objects;
pub mod events;
pub mod general;
pub mod import;
pub mod loyalty;
pub mod oauth;
pub mod office;
pub mod operator;
pub mod secret;
pub mod smart;
pub mod tenancy;

pub use caller::{Principal, TokenKind};
pub use error::{ApiError, ApiResult, Code};
