//! The smart transaction DTO of POST and PUT (models.md §2.2), parsed into a stored document.

use loyalpos_app::secret::is_id;
use loyalpos_app::smart::NewStx;
use loyalpos_app::smart::doc::{BasketLine, Ident, StxDoc};
use loyalpos_domain::basket::validate_format;
use loyalpos_domain::card::CardNumber;
use loyalpos_domain::money::Cents;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};
use crate::wire::IdRef;

const ITEM_TYPES: [&str; 6] = [
    "article",
    "coupon",
    "sub_transaction",
    "stakeholder_payment",
    "shipping",
    "subscription",
];

/// Client objects stored and echoed as sent (each must be an object).
pub const ECHO_OBJECTS: [&str; 9] = [
    "provider_contract",
    "shipping_address",
    "container",
    "checkin",
    "checkout_links",
    "delivery_options",
    "communications",
    "application_context",
    "payment_context",
];

#[derive(Deserialize, JsonSchema)]
#[schemars(rename = "SmartTransactionDto")]
pub struct StxDto {
    pub contract: Option<IdRef>,
    pub device_source: Option<IdRef>,
    pub customer: Option<Map<String, Value>>,
    #[serde(rename = "merchantRef")]
    pub merchant_ref: Option<String>,
    #[serde(rename = "transactionRef")]
    pub transaction_ref: Option<String>,
    pub basket: Option<BasketDto>,
    pub basket_info: Option<BasketInfoDto>,
    #[schemars(length(max = 1))]
    pub idents: Option<Vec<IdentDto>>,
    pub tax_amount: Option<i64>,
    pub tax_rate: Option<i64>,
    pub market: Option<String>,
    pub cashier: Option<String>,
    pub product: Option<String>,
    pub last_visited_page: Option<String>,
    pub payment_method: Option<String>,
    pub is_demo: Option<bool>,
    #[schemars(extend("enum" = ["sale", "order", null]))]
    pub intent: Option<String>,
    #[serde(flatten)]
    pub rest: Map<String, Value>,
}

#[derive(Deserialize, JsonSchema)]
pub struct BasketDto {
    pub products: Option<Vec<LineDto>>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct BasketInfoDto {
    #[schemars(with = "i64")]
    pub sum: Cents,
    pub currency: Option<String>,
    #[schemars(with = "Option<i64>")]
    pub gratuity: Option<Cents>,
}

#[derive(Deserialize, JsonSchema)]
pub struct IdentDto {
    #[schemars(extend("enum" = ["card", "create_card"]))]
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct LineDto {
    pub id: i64,
    pub desc: String,
    pub quantity: i64,
    #[serde(rename = "priceOne")]
    #[schemars(with = "i64")]
    pub price_one: Cents,
    pub tax: i64,
    #[serde(rename = "articleNumber", default, deserialize_with = "article_number")]
    #[schemars(extend("type" = ["string", "integer", "null"]))]
    pub article_number: Option<String>,
    pub ean: Option<String>,
    pub item_type: Option<String>,
    pub parent: Option<i64>,
    pub group: Option<Vec<GroupDto>>,
    #[serde(rename = "serialNumber")]
    pub serial_number: Option<String>,
    pub reference_id: Option<String>,
    pub contract_id: Option<String>,
    #[schemars(with = "Option<i64>")]
    pub sum: Option<Cents>,
    pub sub_basket: Option<Vec<Map<String, Value>>>,
    pub plan_id: Option<String>,
    pub start_at: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
pub struct GroupDto {
    pub id: Option<String>,
    pub desc: Option<String>,
    pub level: Option<i64>,
}

/// `articleNumber` arrives as a number or a string and is kept as a string (`30037` → `"30037"`).
fn article_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        _ => Err(serde::de::Error::custom("expected a string or an integer")),
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

impl LineDto {
    fn into_line(self, index: usize) -> ApiResult<BasketLine> {
        let item_type = self.item_type.unwrap_or_else(|| "article".into());
        if !ITEM_TYPES.contains(&item_type.as_str()) {
            return Err(ApiError::bad_request(format!(
                "basket.products[{index}].item_type: unknown item type {item_type}"
            )));
        }
        let group = self
            .group
            .unwrap_or_default()
            .into_iter()
            .map(|g| serde_json::json!({"id": g.id, "desc": g.desc, "level": g.level}))
            .collect();
        Ok(BasketLine {
            id: self.id,
            parent: self.parent,
            article_number: self.article_number,
            ean: self.ean.unwrap_or_default(),
            desc: self.desc,
            quantity: self.quantity,
            price_one: self.price_one,
            tax: self.tax,
            group,
            serial_number: self.serial_number,
            item_type,
            reference_id: self.reference_id,
            contract_id: self.contract_id,
            sum: self.sum,
            sub_basket: self
                .sub_basket
                .map(|items| items.into_iter().map(Value::Object).collect()),
            plan_id: self.plan_id,
            start_at: self.start_at,
        })
    }
}

/// The client part of a smart transaction, validated (api.md §8.2–8.4). Everything that needs the
/// database (contract, device, card) is resolved by the command.
pub fn parse(dto: StxDto) -> ApiResult<NewStx> {
    let intent = match dto.intent.as_deref() {
        None => None,
        Some(i @ ("sale" | "order")) => Some(i.to_owned()),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "intent: unknown intent {other}"
            )));
        }
    };
    let idents = parse_idents(dto.idents.unwrap_or_default())?;
    let basket = dto.basket.unwrap_or(BasketDto {
        products: None,
        kind: None,
    });
    let lines = basket
        .products
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, l)| l.into_line(i))
        .collect::<ApiResult<Vec<_>>>()?;
    let (sum, currency_sent, gratuity) = match dto.basket_info {
        Some(info) => (info.sum, info.currency, info.gratuity),
        None if lines.is_empty() => (Cents(0), None, None),
        None => {
            return Err(ApiError::bad_request(
                "basket_info: required when the basket has lines",
            ));
        }
    };
    let domain_lines: Vec<_> = lines.iter().map(|l| l.domain(false)).collect();
    validate_format(&domain_lines, sum)?;
    let mut echo = Map::new();
    for key in ECHO_OBJECTS {
        match dto.rest.get(key) {
            None | Some(Value::Null) => {}
            Some(v @ Value::Object(_)) => {
                echo.insert(key.into(), v.clone());
            }
            Some(_) => return Err(ApiError::bad_request(format!("{key}: expected an object"))),
        }
    }
    if let Some(customer) = dto.customer {
        echo.insert("customer".into(), payment_customer(customer));
    }
    for (key, value) in [("tax_amount", dto.tax_amount), ("tax_rate", dto.tax_rate)] {
        if let Some(v) = value {
            echo.insert(key.into(), v.into());
        }
    }
    for (key, value) in [
        ("market", dto.market),
        ("cashier", dto.cashier),
        ("product", dto.product),
        ("last_visited_page", dto.last_visited_page),
    ] {
        if let Some(v) = value {
            echo.insert(key.into(), v.into());
        }
    }
    let doc = StxDoc {
        contract_id: None,
        store_id: None,
        device_destination_id: None,
        lines,
        basket_type: basket.kind.unwrap_or_else(|| "default".into()),
        sum,
        gratuity,
        currency: String::new(),
        idents,
        merchant_ref: non_empty(dto.merchant_ref),
        transaction_ref: non_empty(dto.transaction_ref),
        intent,
        is_demo: dto.is_demo.unwrap_or(false),
        payment_method: dto.payment_method,
        echo,
        plan: None,
        transactions: Vec::new(),
        receipt: Value::Array(Vec::new()),
        terminal_amount: None,
    };
    Ok(NewStx {
        doc,
        currency: currency_sent,
        contract: dto.contract.map(|c| c.0),
        device_source: dto.device_source.map(|d| d.0),
    })
}

fn parse_idents(idents: Vec<IdentDto>) -> ApiResult<Vec<Ident>> {
    if idents.len() > 1 {
        return Err(ApiError::bad_request("idents: at most one ident"));
    }
    idents
        .into_iter()
        .map(|i| {
            match i.kind.as_str() {
                "card" => {
                    CardNumber::parse(&i.value)?;
                }
                "create_card" => {
                    if !is_id(&i.value, "CRG") {
                        return Err(ApiError::bad_id(format!(
                            "idents[0].value: malformed card group id {}",
                            i.value
                        )));
                    }
                }
                other => {
                    return Err(ApiError::bad_request(format!(
                        "idents[0].type: unknown ident type {other}"
                    )));
                }
            }
            Ok(Ident {
                kind: i.kind,
                value: i.value,
                issued_cardnumber: None,
            })
        })
        .collect()
}

/// The payment customer is echoed in a fixed shape (models.md §2.10).
fn payment_customer(sent: Map<String, Value>) -> Value {
    let field = |k: &str| sent.get(k).cloned().unwrap_or(Value::Null);
    let object = match sent.get("object") {
        Some(Value::String(s)) => Value::String(s.clone()),
        _ => Value::String("payment.customers".into()),
    };
    serde_json::json!({
        "object": object, "id": field("id"), "created": field("created"), "updated": field("updated"),
        "contract": field("contract"), "contact": field("contact"),
    })
}
