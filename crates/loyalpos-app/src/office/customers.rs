//! The customers pages (office.md §2 "Customers"): search, create, edit, anonymise, and the
//! customer's cards — through the API's customer commands (`loyalty::customers`), with an audit
//! entry for every change.

use loyalpos_store::{CustomerRow, Field, Filter, ListQuery, Page, Scalar, Tx};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::loyalty::customers::{self, CustomerPatch};
use crate::loyalty::merchantcards::page_with_parts;
use crate::loyalty::{Merchantcard, own_customer};
use crate::office::{OfficeUser, audit};

/// Customers on one page.
pub const CUSTOMERS_PAGE: i64 = 25;

/// Cards listed on a customer's page.
pub const CARDS_OF_CUSTOMER: u64 = 50;

/// Page `page` (from 0) of the merchant's customers matching `text` (all when empty), newest
/// first; `true` when another page follows.
pub fn search(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    text: &str,
    page: u32,
) -> ApiResult<(Vec<CustomerRow>, bool)> {
    let text = Some(text.trim()).filter(|t| !t.is_empty());
    let offset = i64::from(page) * CUSTOMERS_PAGE;
    let mut rows = tx.search_customers(&user.merchant_id, text, offset, CUSTOMERS_PAGE + 1)?;
    let more = rows.len() as i64 > CUSTOMERS_PAGE;
    rows.truncate(CUSTOMERS_PAGE as usize);
    Ok((rows, more))
}

/// A customer's page: the customer and their cards (newest first).
pub struct CustomerDetail {
    pub customer: CustomerRow,
    pub cards: Vec<Merchantcard>,
}

pub fn customer(tx: &mut dyn Tx, user: &OfficeUser, id: &str) -> ApiResult<CustomerDetail> {
    let customer = own_customer(tx, &user.principal(), id)?;
    let of_customer = Filter::Eq(Field::CustomerId, Scalar::Text(customer.id.to_string()));
    let query = ListQuery {
        filter: Some(&of_customer),
        page: Some(Page {
            offset: 0,
            count: CARDS_OF_CUSTOMER,
            total: false,
        }),
    };
    let rows = tx.list_merchantcards(&user.merchant_id, query)?.rows;
    Ok(CustomerDetail {
        customer,
        cards: page_with_parts(tx, rows)?,
    })
}

/// The contact fields the page edits (keys of `merchant_contact` as the API names them); the
/// address fields go into its `address` object.
pub const CONTACT_FIELDS: [&str; 5] = ["forename", "surname", "companyname", "email", "phone"];
pub const ADDRESS_FIELDS: [&str; 4] = ["street", "street_number", "postal_code", "city"];

/// What the customer form sends: contact and address fields by key, the customer number and the
/// note. An empty field removes its key; keys the form does not show (salutation, birthday, …)
/// are kept as they are.
#[derive(Debug, Clone, Default)]
pub struct CustomerForm {
    pub fields: Vec<(String, String)>,
}

impl CustomerForm {
    fn value(&self, key: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
    }

    /// The form's contact merged into `contact` (the stored one, or empty for a new customer).
    fn merged_contact(&self, mut contact: Map<String, Value>) -> Map<String, Value> {
        set_fields(&mut contact, &CONTACT_FIELDS, |key| self.value(key));
        let mut address = match contact.remove("address") {
            Some(Value::Object(address)) => address,
            _ => Map::new(),
        };
        set_fields(&mut address, &ADDRESS_FIELDS, |key| self.value(key));
        if !address.is_empty() {
            contact.insert("address".into(), Value::Object(address));
        }
        contact
    }

    fn patch(&self, stored_contact: Map<String, Value>) -> ApiResult<CustomerPatch> {
        let contact = self.merged_contact(stored_contact);
        let named = ["surname", "companyname", "email"].iter().any(|key| {
            contact
                .get(*key)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
        });
        if !named {
            return Err(ApiError::bad_request(
                "surname: a customer needs a surname, a company name or an e-mail",
            ));
        }
        Ok(CustomerPatch {
            merchant_contact: Some(contact),
            // An empty number or note leaves the stored one (the API's patch cannot clear them).
            customernumber: self.value("customernumber").filter(|v| !v.is_empty()),
            note: self.value("note").filter(|v| !v.is_empty()),
            ..CustomerPatch::default()
        })
    }
}

fn set_fields(map: &mut Map<String, Value>, keys: &[&str], value: impl Fn(&str) -> Option<String>) {
    for key in keys {
        match value(key) {
            Some(v) if !v.is_empty() => {
                map.insert((*key).to_owned(), Value::String(v));
            }
            Some(_) => {
                map.remove(*key);
            }
            // Not sent: left as it is.
            None => {}
        }
    }
}

/// The stored contact as a JSON object (none, or not an object: empty).
pub fn contact_of(customer: &CustomerRow) -> Map<String, Value> {
    match customer
        .merchant_contact
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
    {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// A new customer of the user's merchant, as `POST /Loyalty/Customers` makes it.
pub fn create(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    form: &CustomerForm,
    now: i64,
) -> ApiResult<CustomerRow> {
    let patch = form.patch(Map::new())?;
    let row = customers::create(tx, &user.principal(), patch, now)?;
    audit(tx, user, "customer_create", &row.id.to_string(), "", now)?;
    Ok(row)
}

/// Changes a customer's contact, number and note, as `PUT /Loyalty/Customers/{id}` does.
pub fn update(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    form: &CustomerForm,
    now: i64,
) -> ApiResult<()> {
    let stored = own_customer(tx, &user.principal(), id)?;
    let patch = form.patch(contact_of(&stored))?;
    let row = customers::update(tx, &user.principal(), id, patch)?;
    audit(tx, user, "customer_update", &row.id.to_string(), "", now)?;
    Ok(())
}

/// Clears every personal field of the customer, irreversibly (`anonymize: true` of the API); the
/// cards stay with their balances and ledger. The page asks twice; `confirmed` is the second
/// answer, without which nothing changes.
pub fn anonymise(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    confirmed: bool,
    now: i64,
) -> ApiResult<()> {
    if !confirmed {
        return Err(ApiError::bad_request(
            "confirmed: anonymising cannot be undone and must be confirmed",
        ));
    }
    let patch = CustomerPatch {
        anonymize: Some(true),
        ..CustomerPatch::default()
    };
    let row = customers::update(tx, &user.principal(), id, patch)?;
    audit(tx, user, "customer_anonymise", &row.id.to_string(), "", now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(fields: &[(&str, &str)]) -> CustomerForm {
        CustomerForm {
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn an_edit_keeps_the_contact_keys_the_form_does_not_show_and_empties_remove_keys() {
        let Value::Object(stored) = json!({"salutation": "Frau", "forename": "Erika",
            "surname": "Muster", "phone": "0301234", "address": {"country": "DE", "city": "Berlin"}})
        else {
            unreachable!()
        };
        let edited = form(&[
            ("forename", "Erika"),
            ("surname", "Mustermann"),
            ("phone", ""),
            ("city", "Hamburg"),
        ]);
        let merged = edited.merged_contact(stored);
        assert_eq!(
            Value::Object(merged),
            json!({"salutation": "Frau", "forename": "Erika", "surname": "Mustermann",
                "address": {"country": "DE", "city": "Hamburg"}})
        );
    }

    #[test]
    fn a_customer_needs_a_surname_a_company_or_an_e_mail() {
        assert!(form(&[("forename", "Erika")]).patch(Map::new()).is_err());
        for (key, value) in [
            ("surname", "Muster"),
            ("companyname", "Bäckerei"),
            ("email", "e@example.com"),
        ] {
            assert!(form(&[(key, value)]).patch(Map::new()).is_ok(), "{key}");
        }
    }
}
