//! The smart transaction as returned (models.md §2.1): every field present, `null` when empty; the
//! merchant card inside an ident is shown with its balances after the command.

use loyalpos_app::clock::Clock;
use loyalpos_app::smart::doc::{BasketLine, Ident, StxDoc};
use loyalpos_app::smart::{IdentCard, SmartTransaction};
use loyalpos_domain::money::Cents;
use loyalpos_domain::plan::Plan;
use loyalpos_domain::status::StxStatus;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::loyalty::views::{
    CompactCustomer, MerchantcardParts, MerchantcardView, compact_customer, merchantcard_view,
};
use crate::wire::ObjRef;

pub fn render<'a>(clock: &Clock, stx: &'a SmartTransaction) -> StxView<'a> {
    let (row, doc) = (&stx.row, &stx.doc);
    let echo = |k: &str| doc.echo.get(k);
    StxView {
        object: "smart.transactions",
        id: &row.id,
        merchant: MerchantRef {
            object: "general.merchants",
            id: &row.merchant_id,
            companyname: &stx.merchant_name,
        },
        contract: ObjRef::opt("general.contracts", doc.contract_id.as_deref()),
        provider_contract: echo("provider_contract"),
        customer: echo("customer"),
        shipping_address: echo("shipping_address"),
        container: echo("container"),
        checkin: echo("checkin"),
        device_source: ObjRef::opt("smart.devices", row.device_id.as_deref()),
        device_destination: ObjRef::opt("smart.devices", doc.device_destination_id.as_deref()),
        store: ObjRef::opt("general.stores", doc.store_id.as_deref()),
        transactions: doc
            .transactions
            .iter()
            .map(|id| ObjRef::new("loyalty.transactions", id))
            .collect(),
        created: clock.render(row.created),
        updated: clock.render_opt(row.updated),
        status: row.status.as_str(),
        merchant_ref: doc.merchant_ref.as_deref(),
        transaction_ref: doc.transaction_ref.as_deref(),
        intent: doc.intent.as_deref(),
        is_demo: doc.is_demo,
        basket: BasketView {
            products: doc.shown_lines(),
            texts: [],
            kind: &doc.basket_type,
        },
        receipt: &doc.receipt,
        receipt_merchant: [],
        receipt_merchant_print: false,
        receipt_number: row.receipt_number,
        basket_info: BasketInfo {
            sum: shown_sum(doc),
            gratuity: doc.gratuity.map(Cents::value),
            currency: &doc.currency,
            missing_sum: doc.plan.as_ref().map(|p| p.missing_sum.value()),
        },
        idents: doc
            .idents
            .iter()
            .zip(&stx.idents)
            .enumerate()
            .map(|(i, (ident, card))| render_ident(clock, i, ident, card))
            .collect(),
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
    }
}

/// The view as a JSON value (a list item, which the list engine filters and projects).
pub fn to_value(clock: &Clock, stx: &SmartTransaction) -> ApiResult<Value> {
    serde_json::to_value(render(clock, stx)).map_err(|e| ApiError::internal(e.to_string()))
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "SmartTransaction")]
pub struct StxView<'a> {
    #[schemars(extend("const" = "smart.transactions"))]
    object: &'static str,
    id: &'a str,
    merchant: MerchantRef<'a>,
    contract: Option<ObjRef>,
    provider_contract: Option<&'a Value>,
    customer: Option<&'a Value>,
    shipping_address: Option<&'a Value>,
    container: Option<&'a Value>,
    checkin: Option<&'a Value>,
    device_source: Option<ObjRef>,
    device_destination: Option<ObjRef>,
    store: Option<ObjRef>,
    transactions: Vec<ObjRef>,
    created: String,
    updated: Option<String>,
    #[schemars(extend("enum" = StxStatus::NAMES))]
    status: &'a str,
    #[serde(rename = "merchantRef")]
    merchant_ref: Option<&'a str>,
    #[serde(rename = "transactionRef")]
    transaction_ref: Option<&'a str>,
    intent: Option<&'a str>,
    is_demo: bool,
    basket: BasketView<'a>,
    #[schemars(with = "Vec<crate::openapi::schemas::ReceiptLine>")]
    receipt: &'a Value,
    receipt_merchant: [Value; 0],
    receipt_merchant_print: bool,
    receipt_number: Option<i64>,
    basket_info: BasketInfo<'a>,
    idents: Vec<IdentView<'a>>,
    payment_method: Option<&'a str>,
    trans_id: Option<&'a str>,
    tax_rate: Option<&'a Value>,
    tax_amount: Option<&'a Value>,
    cashier: Option<&'a Value>,
    market: Option<&'a Value>,
    product: Option<&'a Value>,
    last_visited_page: Option<&'a Value>,
    delivery_options: Option<&'a Value>,
    checkout_links: Option<&'a Value>,
    communications: Option<&'a Value>,
    application_context: Option<&'a Value>,
    payment_context: Option<&'a Value>,
    #[schemars(with = "()")]
    iframe_url: Option<Value>,
    #[schemars(with = "()")]
    prepaid_sales: Option<Value>,
    #[schemars(with = "()")]
    payment_links: Option<Value>,
    #[schemars(with = "()")]
    payment_instructions: Option<Value>,
    #[schemars(with = "()")]
    subscription: Option<Value>,
}

/// The merchant of a smart transaction: a reference with the company name.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "StxMerchant")]
struct MerchantRef<'a> {
    #[schemars(extend("const" = "general.merchants"))]
    object: &'static str,
    id: &'a str,
    companyname: &'a str,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Basket")]
struct BasketView<'a> {
    #[schemars(with = "Vec<crate::openapi::schemas::BasketProduct>")]
    products: Vec<&'a BasketLine>,
    texts: [Value; 0],
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize, JsonSchema)]
struct BasketInfo<'a> {
    sum: i64,
    gratuity: Option<i64>,
    currency: &'a str,
    /// Only after preTransaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    missing_sum: Option<i64>,
}

/// `basket_info.sum` always equals the shown lines: after preTransaction, T − bonus spent.
fn shown_sum(doc: &StxDoc) -> i64 {
    doc.sum.value() - doc.plan.as_ref().map_or(0, |p| p.bonus_spent.value())
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Ident")]
struct IdentView<'a> {
    #[schemars(extend("const" = "smart.idents"))]
    object: &'static str,
    id: String,
    prefix: Option<&'a str>,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'a str,
    value: &'a str,
    valid: bool,
    merchantcard: Option<MerchantcardView>,
    customer: Option<CompactCustomer>,
}

fn render_ident<'a>(clock: &Clock, i: usize, ident: &'a Ident, card: &IdentCard) -> IdentView<'a> {
    let merchantcard = card.merchantcard.as_ref().map(|full| {
        let parts = MerchantcardParts {
            card: full.card.clone(),
            group: full.group.clone(),
            customer: full.customer.clone(),
        };
        merchantcard_view(clock, &full.merchantcard, &parts)
    });
    let customer = card
        .merchantcard
        .as_ref()
        .and_then(|full| full.customer.as_ref())
        .map(|c| compact_customer(clock, c));
    IdentView {
        object: "smart.idents",
        id: format!("smi_{}", i + 1),
        prefix: ident.cardnumber().map(|n| &n[..4.min(n.len())]),
        name: "secucard Kundenkarte",
        kind: &ident.kind,
        value: &ident.value,
        valid: card.valid,
        merchantcard,
        customer,
    }
}

/// The answer of preTransaction: what is left to pay and the bonus lines the card pays with.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "PreTransactionResult")]
pub struct PlanView {
    missing_sum: i64,
    bonus_products: Vec<BonusLineView>,
}

/// A bonus line as preTransaction offers it. Without EAN it shows `null` here (in the basket line
/// it is `""`).
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "PreTransactionBonusLine")]
struct BonusLineView {
    id: i64,
    #[serde(rename = "articleNumber")]
    article_number: Option<String>,
    ean: Option<String>,
    quantity: i64,
    #[serde(rename = "priceOne")]
    price_one: i64,
    tax: i64,
    desc: String,
    #[serde(rename = "serialNumber")]
    #[schemars(with = "()")]
    serial_number: Option<String>,
}

pub fn render_plan(plan: &Plan) -> PlanView {
    let bonus_products = plan
        .bonus_lines
        .iter()
        .map(|l| BonusLineView {
            id: l.id,
            article_number: l.article_number.clone(),
            ean: l.ean.clone(),
            quantity: 1,
            price_one: l.price_one.value(),
            tax: l.tax,
            desc: l.desc.clone(),
            serial_number: None,
        })
        .collect();
    PlanView {
        missing_sum: plan.missing_sum.value(),
        bonus_products,
    }
}
