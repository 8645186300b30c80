//! Customers (api.md §12): the card holder as known to the merchant.

use loyalpos_domain::ids::MerchantId;
use std::convert::Infallible;

use loyalpos_store::{CustomerRow, Tx};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::caller::Principal;
use crate::error::{ApiError, ApiResult};
use crate::loyalty::own_customer;
use crate::loyalty::rules::consent;
use crate::secret::new_id;
use crate::tenancy::own_merchant;

/// A customer's fields as sent to `POST`/`PUT /Loyalty/Customers`, `registerCustomer` and
/// `createMerchantcards.customer`; the contact and additional data are stored as sent.
/// `merchant` is ignored (the caller's merchant decides); `anonymize` is read on update only.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CustomerPatch {
    pub merchant_contact: Option<Map<String, Value>>,
    pub customernumber: Option<String>,
    pub note: Option<String>,
    pub consent_for_communication: Option<Value>,
    pub additional_data: Option<Map<String, Value>>,
    pub anonymize: Option<bool>,
}

impl CustomerPatch {
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
    fn into_new(self, merchant_id: &MerchantId, now: i64) -> ApiResult<CustomerRow> {
        let mut row = CustomerRow {
            id: new_id("CUS").into(),
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

/// A new customer of the caller's merchant.
pub fn create(
    tx: &mut dyn Tx,
    caller: &Principal,
    patch: CustomerPatch,
    now: i64,
) -> ApiResult<CustomerRow> {
    let merchant = own_merchant(tx, caller)?;
    insert_new(tx, &merchant.id, patch, now)
}

/// Writes a new customer of `merchant_id` (the merchant is known to exist).
pub(crate) fn insert_new(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    patch: CustomerPatch,
    now: i64,
) -> ApiResult<CustomerRow> {
    let row = patch.into_new(merchant_id, now)?;
    tx.insert_customer(&row)?;
    Ok(row)
}

/// Updates a customer of the caller's merchant.
pub fn update(
    tx: &mut dyn Tx,
    caller: &Principal,
    id: &str,
    patch: CustomerPatch,
) -> ApiResult<CustomerRow> {
    let mut row = own_customer(tx, caller, id)?;
    patch.update(&mut row)?;
    tx.update_customer(&row)?;
    Ok(row)
}

/// Loyalty payment containers are not served: 404/3001 for any container of a known customer.
pub fn assign_payment_container(
    tx: &mut dyn Tx,
    caller: &Principal,
    customer_id: &str,
    container: &str,
) -> ApiResult<Infallible> {
    own_customer(tx, caller, customer_id)?;
    Err(ApiError::not_found("loyalty payment container", container))
}
