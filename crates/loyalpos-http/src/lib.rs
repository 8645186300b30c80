//! The secuconnect API v2 over HTTP: routes, wire types with the exact JSON keys, authentication,
//! the error envelope and the list/query engine. Handlers turn requests into domain values, run a
//! unit of work on the store, call the domain and render the result.
//!
//! Layers, each using only those below it: the answer and the error envelope ([`answer`]) beside
//! `json`, `limits`, `list` and `wire`; [`idempotency`]; what a handler gets ([`app`]); [`auth`];
//! the handlers and the API description's builder ([`openapi`]); the route table ([`routes`]), the
//! one source of dispatch and of the API description; the dispatcher ([`server`]).

pub mod answer;
pub mod app;
/// The public error of every command, re-exported for the handlers.
pub mod error {
    pub use loyalpos_app::error::*;
}
pub mod auth;
pub mod cors;
pub mod devices;
pub mod events;
pub mod general;
pub mod health;
pub mod idempotency;
pub mod json;
pub mod limits;
pub mod list;
pub mod loyalty;
pub mod metrics;
pub mod oauth;
pub mod openapi;
pub mod proxy;
pub mod routes;
pub mod serve;
pub mod server;
pub mod smart;
pub mod stomp;
pub mod token_limits;
pub mod wire;

pub use app::{App, Config};
pub use server::router;
