//! The smart transaction as returned (models.md §2.1): every field present, `null` when empty; the
//! merchant card inside an ident is rendered live with the current balances.

use loyalpos_store::{StxRow, Tx};
use serde::Serialize;
use serde_json::{Value, json};

use super::doc::{Ident, StxDoc};
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::loyalty::ledger::is_valid;
use crate::loyalty::views::{compact_customer, merchantcard_parts, merchantcard_view};
use crate::wire::ObjRef;

pub async fn render(
    tx: &mut dyn Tx,
    clock: &Clock,
    row: &StxRow,
    doc: &StxDoc,
) -> ApiResult<Value> {
    let merchant = tx
        .merchant(&row.merchant_id)
        .await?
        .ok_or_else(|| ApiError::internal("smart transaction without merchant"))?;
    let mut idents = Vec::with_capacity(doc.idents.len());
    for (i, ident) in doc.idents.iter().enumerate() {
        idents.push(render_ident(tx, clock, &row.merchant_id, i, ident).await?);
    }
    let mut basket_info =
        json!({"sum": shown_sum(doc), "gratuity": doc.gratuity, "currency": doc.currency});
    if let Some(plan) = &doc.plan {
        basket_info["missing_sum"] = plan.missing_sum.into();
    }
    let echo = |k: &str| doc.echo.get(k).cloned().unwrap_or(Value::Null);
    let transactions: Vec<ObjRef> = doc
        .transactions
        .iter()
        .map(|id| ObjRef::new("loyalty.transactions", id))
        .collect();
    let view = StxView {
        object: "smart.transactions",
        id: &row.id,
        merchant: json!({"object": "general.merchants", "id": merchant.id, "companyname": merchant.companyname}),
        contract: ObjRef::opt("general.contracts", doc.contract_id.as_deref()),
        provider_contract: echo("provider_contract"),
        customer: echo("customer"),
        shipping_address: echo("shipping_address"),
        container: echo("container"),
        checkin: echo("checkin"),
        device_source: ObjRef::opt("smart.devices", row.device_id.as_deref()),
        device_destination: ObjRef::opt("smart.devices", doc.device_destination_id.as_deref()),
        store: ObjRef::opt("general.stores", doc.store_id.as_deref()),
        transactions,
        created: clock.render(row.created),
        updated: clock.render_opt(row.updated),
        status: &row.status,
        merchant_ref: doc.merchant_ref.as_deref(),
        transaction_ref: doc.transaction_ref.as_deref(),
        intent: doc.intent.as_deref(),
        is_demo: doc.is_demo,
        basket: json!({"products": doc.shown_lines(), "texts": [], "type": doc.basket_type}),
        receipt: &doc.receipt,
        receipt_merchant: [],
        receipt_merchant_print: false,
        receipt_number: row.receipt_number,
        basket_info,
        idents,
        payment_method: doc.payment_method.as_deref(),
        trans_id: row.trans_id.as_deref(),
        tax_rate: echo("tax_rate"),
        tax_amount: echo("tax_amount"),
        cashier: echo("cashier"),
        market: echo("market"),
        product: echo("product"),
        last_visited_page: echo("last_visited_page"),
        delivery_options: echo("delivery_options"),
        checkout_links: echo("checkout_links"),
        communications: echo("communications"),
        application_context: echo("application_context"),
        payment_context: echo("payment_context"),
        iframe_url: None,
        prepaid_sales: None,
        payment_links: None,
        payment_instructions: None,
        subscription: None,
    };
    serde_json::to_value(&view).map_err(|e| ApiError::internal(e.to_string()))
}

#[derive(Serialize)]
struct StxView<'a> {
    object: &'static str,
    id: &'a str,
    merchant: Value,
    contract: Option<ObjRef>,
    provider_contract: Value,
    customer: Value,
    shipping_address: Value,
    container: Value,
    checkin: Value,
    device_source: Option<ObjRef>,
    device_destination: Option<ObjRef>,
    store: Option<ObjRef>,
    transactions: Vec<ObjRef>,
    created: String,
    updated: Option<String>,
    status: &'a str,
    #[serde(rename = "merchantRef")]
    merchant_ref: Option<&'a str>,
    #[serde(rename = "transactionRef")]
    transaction_ref: Option<&'a str>,
    intent: Option<&'a str>,
    is_demo: bool,
    basket: Value,
    receipt: &'a Value,
    receipt_merchant: [Value; 0],
    receipt_merchant_print: bool,
    receipt_number: Option<i64>,
    basket_info: Value,
    idents: Vec<Value>,
    payment_method: Option<&'a str>,
    trans_id: Option<&'a str>,
    tax_rate: Value,
    tax_amount: Value,
    cashier: Value,
    market: Value,
    product: Value,
    last_visited_page: Value,
    delivery_options: Value,
    checkout_links: Value,
    communications: Value,
    application_context: Value,
    payment_context: Value,
    iframe_url: Option<Value>,
    prepaid_sales: Option<Value>,
    payment_links: Option<Value>,
    payment_instructions: Option<Value>,
    subscription: Option<Value>,
}

/// `basket_info.sum` always equals the shown lines: after preTransaction, T − bonus spent.
pub fn shown_sum(doc: &StxDoc) -> i64 {
    doc.sum - doc.plan.as_ref().map_or(0, |p| p.bonus_spent)
}

async fn render_ident(
    tx: &mut dyn Tx,
    clock: &Clock,
    merchant_id: &str,
    i: usize,
    ident: &Ident,
) -> ApiResult<Value> {
    let number = match ident.kind.as_str() {
        "card" => Some(ident.value.as_str()),
        _ => ident.issued_cardnumber.as_deref(),
    };
    let (valid, merchantcard, customer) = match number {
        Some(number) => match tx.merchantcard_by_number(merchant_id, number).await? {
            Some(mc) => {
                let parts = merchantcard_parts(tx, &mc).await?;
                let customer = parts.customer.as_ref().map(|c| compact_customer(clock, c));
                let view = merchantcard_view(clock, &mc, &parts);
                (
                    is_valid(&mc, clock.now()),
                    serde_json::to_value(view).ok(),
                    serde_json::to_value(customer).ok(),
                )
            }
            None => (false, None, None),
        },
        None => {
            let group = tx.cardgroup(&ident.value).await?;
            let valid =
                group.is_some_and(|g| g.merchant_id == merchant_id && g.card_creation_via_stx);
            (valid, None, None)
        }
    };
    Ok(json!({
        "object": "smart.idents",
        "id": format!("smi_{}", i + 1),
        "prefix": number.map(|n| &n[..4.min(n.len())]),
        "name": "secucard Kundenkarte",
        "type": ident.kind,
        "value": ident.value,
        "valid": valid,
        "merchantcard": merchantcard.unwrap_or(Value::Null),
        "customer": customer.unwrap_or(Value::Null),
    }))
}
