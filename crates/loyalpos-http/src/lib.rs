//! The secuconnect API v2 over HTTP: routes, wire types with the exact JSON keys, authentication,
//! the error envelope and the list/query engine. Handlers turn requests into domain values, run a
//! unit of work on the store, call the domain and render the result.

pub mod app;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod demo;
pub mod devices;
pub mod error;
pub mod general;
pub mod health;
pub mod idempotency;
pub mod import;
pub mod json;
pub mod limits;
pub mod list;
pub mod loyalty;
pub mod loyalty_rules;
pub mod oauth;
pub mod openapi;
pub mod routes;
pub mod secret;
pub mod smart;
pub mod tenancy;
pub mod wire;

pub use app::{App, Config, router};
