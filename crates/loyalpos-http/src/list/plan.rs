//! One list request from parameters to answer: what the store is asked for, and how its rows
//! become `{"count", "data"}`.
//!
//! * `q` is translated as far as it goes ([`super::pushdown`]) and the store returns only the
//!   candidates. The exact semantics are then applied in memory to the rendered views, so the
//!   answer is always that of [`super::apply`] over every object.
//! * When the translation is exact and no `sort` is asked for, the store also counts and cuts the
//!   page in the default order, and only that page is rendered.

use loyalpos_store::{Filter, ListQuery, Page};
use serde_json::Value as Json;

use super::pushdown::{Pushable, pushdown};
use super::{ListError, ListParams, answer_page, apply, parse_params};

/// A parsed list request and what it asks of the store.
#[derive(Debug, Clone)]
pub struct Plan {
    pub params: ListParams,
    filter: Option<Filter>,
    paged: bool,
}

impl Plan {
    /// Parses the raw query string for a resource with these pushable paths.
    pub fn new(raw_query: &str, pushable: &[Pushable]) -> Result<Plan, ListError> {
        Ok(Plan::from_params(parse_params(raw_query)?, pushable))
    }

    pub fn from_params(params: ListParams, pushable: &[Pushable]) -> Plan {
        let (filter, exact) = match &params.q {
            None => (None, true),
            Some(q) => match pushdown(q, pushable) {
                Some(pushed) => (Some(pushed.filter), pushed.exact),
                None => (None, false),
            },
        };
        let paged = exact && params.sort.is_empty();
        Plan {
            params,
            filter,
            paged,
        }
    }

    /// Whether the store cuts the page (so only the page's rows are rendered).
    pub fn is_paged(&self) -> bool {
        self.paged
    }

    /// What to ask the store for.
    pub fn query(&self) -> ListQuery<'_> {
        let as_u64 = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        ListQuery {
            filter: self.filter.as_ref(),
            page: self.paged.then(|| Page {
                offset: as_u64(self.params.offset),
                count: as_u64(self.params.count),
                total: true,
            }),
        }
    }

    /// The answer from the rendered views of the rows the store returned (in its order) and the
    /// store's total. `main_fields` are the resource's bare-term fields.
    pub fn answer(&self, items: Vec<Json>, total: u64, main_fields: &[&str]) -> Json {
        if self.paged {
            answer_page(items, total, &self.params)
        } else {
            apply(items, &self.params, main_fields)
        }
    }
}
