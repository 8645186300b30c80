//! Loyalty/Customers (api.md §12): the card holder as known to the merchant.

use std::sync::Arc;

use axum::response::Response;
use loyalpos_store::CustomerRow;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::app::{App, Req, ok_json};
use crate::error::{ApiError, ApiResult};
use crate::json;
use crate::list;
use crate::loyalty::views::customer_view;
use crate::loyalty::{list_plan, own_customer, to_value};
use crate::loyalty_rules::consent;
use crate::secret::new_id;
use crate::tenancy::own_merchant;

const MAIN_FIELDS: &[&str] = &["id", "customernumber", "contact.name", "contact.email"];

/// The customer DTO of `POST`/`PUT /Loyalty/Customers`, `registerCustomer` and
/// `createMerchantcards.customer`. `merchant` is ignored (the token decides); `anonymize` is read
/// on update only.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CustomerDto {
    merchant_contact: Option<Map<String, Value>>,
    customernumber: Option<String>,
    note: Option<String>,
    consent_for_communication: Option<Value>,
    additional_data: Option<Map<String, Value>>,
    anonymize: Option<bool>,
}

impl CustomerDto {
    /// Writes the present fields into `row`.
    fn apply(self, row: &mut CustomerRow) -> ApiResult<()> {
        if self.consent_for_communication.is_some() {
            row.consent = consent(self.consent_for_communication.as_ref())
                .map_err(|e| ApiError::bad_request(format!("consent_for_communication: {e}")))?;
        }
        if let Some(contact) = self.merchant_contact {
            row.merchant_contact = Some(Value::Object(contact).to_string());
        }
        if let Some(number) = self.customernumber {
            row.customernumber = Some(number);
        }
        if let Some(note) = self.note {
            row.note = Some(note);
        }
        if let Some(data) = self.additional_data {
            row.additional_data = Some(Value::Object(data).to_string());
        }
        Ok(())
    }

    /// A new customer of `merchant_id` (`anonymize` has nothing to act on yet).
    pub fn into_new(self, merchant_id: &str, now: i64) -> ApiResult<CustomerRow> {
        let mut row = CustomerRow {
            id: new_id("CUS"),
            merchant_id: merchant_id.to_owned(),
            merchant_contact: None,
            customernumber: None,
            note: None,
            consent: None,
            additional_data: None,
            created: now,
        };
        self.apply(&mut row)?;
        Ok(row)
    }

    /// An update: the fields present, then `anonymize: true` irreversibly clears every personal field.
    fn update(self, row: &mut CustomerRow) -> ApiResult<()> {
        let anonymize = self.anonymize == Some(true);
        self.apply(row)?;
        if anonymize {
            row.merchant_contact = None;
            row.customernumber = None;
            row.note = None;
            row.additional_data = None;
            row.consent = None;
        }
        Ok(())
    }
}

pub async fn list(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let plan = list_plan(&req, list::pushdown::CUSTOMERS)?;
    let mut tx = app.store.read().await?;
    let found = tx
        .list_customers(&req.caller().merchant_id, plan.query())
        .await?;
    let items = found
        .rows
        .iter()
        .map(|c| to_value(&customer_view(&app.clock, c)))
        .collect::<ApiResult<Vec<_>>>()?;
    ok_json(&plan.answer(items, found.total, MAIN_FIELDS))
}

pub async fn get(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    let row = own_customer(&mut *tx, req.caller(), req.param(0)).await?;
    ok_json(&customer_view(&app.clock, &row))
}

pub async fn create(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CustomerDto = json::body(&req.body)?;
    let mut tx = app.store.write().await?;
    let merchant = own_merchant(&mut *tx, req.caller()).await?;
    let row = dto.into_new(&merchant.id, app.clock.now())?;
    tx.insert_customer(&row).await?;
    tx.commit().await?;
    ok_json(&customer_view(&app.clock, &row))
}

pub async fn update(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let dto: CustomerDto = json::body(&req.body)?;
    let mut tx = app.store.write().await?;
    let mut row = own_customer(&mut *tx, req.caller(), req.param(0)).await?;
    dto.update(&mut row)?;
    tx.update_customer(&row).await?;
    tx.commit().await?;
    ok_json(&customer_view(&app.clock, &row))
}

/// Loyalty payment containers are not served: 404/3001 for any container of a known customer.
pub async fn payment_container(app: Arc<App>, req: Req) -> ApiResult<Response> {
    let mut tx = app.store.read().await?;
    own_customer(&mut *tx, req.caller(), req.param(0)).await?;
    Err(ApiError::not_found(
        "loyalty payment container",
        req.param(1),
    ))
}
