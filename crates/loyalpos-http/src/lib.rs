//! The secuconnect API v2 over HTTP: routes, wire types with the exact JSON keys, authentication,
//! the error envelope and the list/query engine. Handlers turn requests into domain values, run a
//! unit of work on the store, call the domain and render the result.

pub mod app;
/// The public error of every command, re-exported for the handlers.
pub mod error {
    pub use loyalpos_app::error::*;
}
pub mod auth;
pub mod devices;
pub mod general;
pub mod health;
pub mod idempotency;
pub mod json;
pub mod limits;
pub mod list;
pub mod loyalty;
pub mod oauth;
pub mod openapi;
pub mod routes;
pub mod smart;
pub mod wire;

pub use app::{App, Config, router};
