//! The list engine: the shared query parameters of every `GET /{Product}/{Resource}` list
//! (api.md §5): `count`, `offset`, `sort`, `fields` and the `q` query language.
//!
//! The parser, evaluator and `apply` only refer to each other through `super::`; [`pushdown`] and
//! [`Plan`] connect them to the store (types only: the module does no I/O).
//!
//! * [`parse_params`] turns the raw query string of a request into [`ListParams`].
//! * [`parse_query`] is the pure `q` parser (a hand-written recursive descent, §5.1); its
//!   [`Query`] tree is public so that a SQL translator can be built on it later, and its
//!   [`Display`](std::fmt::Display) prints a canonical query that parses back to the same tree.
//! * [`matches`] evaluates a [`Query`] against an object's JSON view (§5.2).
//! * [`apply`] filters, sorts, counts, pages and projects a list of JSON objects into the
//!   `{"count": total, "data": [...]}` answer.
//! * [`pushdown`] translates what it can of a `q` into a store filter (a superset, sometimes
//!   exact), and [`Plan`] runs one list request: store query, then the exact answer.
//!
//! Every error is a [`ListError`], which the HTTP layer maps to 400/4001; its message says what is
//! wrong and where (`q: expected ')' at position 16 (end of query) to close the '(' at position 0`).
//! Positions in `q` messages are 0-based character indices into the decoded `q` value.

mod apply;
mod eval;
mod params;
mod plan;
pub mod pushdown;
mod query;

#[cfg(test)]
mod superset_tests;
#[cfg(test)]
mod v18_tests;

pub use apply::{answer_page, apply};
pub use eval::matches;
pub use params::parse_params;
pub use plan::Plan;
pub use query::{Bound, Query, Value, parse_query};

/// Default page size (`count` absent).
pub const DEFAULT_COUNT: usize = 100;
/// Largest page size; larger `count` values are treated as this.
pub const MAX_COUNT: usize = 1000;

/// The list parameters of one request (api.md §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    /// Page size, `0..=MAX_COUNT`.
    pub count: usize,
    /// Zero-based start in the whole (filtered, sorted) result.
    pub offset: usize,
    /// Sort keys, most significant first; empty = keep the caller's default order.
    pub sort: Vec<SortKey>,
    /// Projection (dotted paths); `None` = whole objects. `object` and `id` are always kept.
    pub fields: Option<Vec<String>>,
    /// The filter; `None` = every item.
    pub q: Option<Query>,
}

impl Default for ListParams {
    fn default() -> Self {
        ListParams {
            count: DEFAULT_COUNT,
            offset: 0,
            sort: Vec::new(),
            fields: None,
            q: None,
        }
    }
}

/// One sort key: a dotted path and its direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub path: String,
    pub descending: bool,
}

/// A bad list parameter; maps to 400 `ProductFormatException` 4001 upstream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ListError(pub String);

/// `name ( "." name )*` with `name = [A-Za-z_][A-Za-z0-9_]*` (api.md §5.1).
pub fn is_valid_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('.').all(|name| {
            let mut chars = name.chars();
            matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}
