//! Wire views of the loyalty objects (models.md §3), rendered from rows. A list item equals the
//! single-object view, and the merchant card inside a smart-transaction ident is this same view.

use loyalpos_app::clock::Clock;
use loyalpos_app::loyalty::Merchantcard;
/// What a merchant card view is rendered from besides the row (a smart ident's card too).
pub use loyalpos_app::loyalty::MerchantcardParts;
use loyalpos_app::loyalty::rules::{bonus_products, filter_codes};
use loyalpos_app::loyalty::transactions::Ltx;
use loyalpos_domain::booking::{BalanceKind, BookingType, LtxStatus};
use loyalpos_domain::card::{LockStatus, StockStatus};
use loyalpos_store::{
    AssignedCardRow, CardRow, CardgroupRow, CustomerRow, LtxRow, MerchantcardRow,
};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};

use crate::wire::{ObjRef, stored_array_raw, stored_json};

pub const CONTACT_KEYS: [&str; 17] = [
    "name",
    "forename",
    "surname",
    "companyname",
    "salutation",
    "gender",
    "title",
    "email",
    "phone",
    "mobile",
    "fax",
    "dob",
    "picture",
    "url_website",
    "birthplace",
    "nationality",
    "address",
];

/// The full Contact: every key present, `name` derived from forename and surname unless sent.
pub fn full_contact(stored: Option<&str>) -> Value {
    let source = stored_json(stored);
    let Some(obj) = source.as_object() else {
        return Value::Null;
    };
    let mut out = Map::new();
    for key in CONTACT_KEYS {
        out.insert(key.into(), obj.get(key).cloned().unwrap_or(Value::Null));
    }
    if out["name"].is_null() {
        let parts: Vec<&str> = ["forename", "surname"]
            .iter()
            .filter_map(|k| obj.get(*k)?.as_str())
            .collect();
        if !parts.is_empty() {
            out.insert("name".into(), Value::String(parts.join(" ")));
        }
    }
    Value::Object(out)
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "CustomerRef")]
pub struct CompactCustomer {
    #[schemars(extend("const" = "loyalty.customers"))]
    object: &'static str,
    id: String,
    #[schemars(with = "Option<crate::openapi::schemas::CompactContact>")]
    contact: Value,
    created: String,
    consent_for_communication: Option<bool>,
}

pub fn compact_customer(clock: &Clock, c: &CustomerRow) -> CompactCustomer {
    let full = full_contact(c.merchant_contact.as_deref());
    let contact = if full.is_null() {
        Value::Null
    } else {
        json!({"name": full["name"], "forename": full["forename"], "surname": full["surname"], "dob": full["dob"]})
    };
    CompactCustomer {
        object: "loyalty.customers",
        id: c.id.clone().into(),
        contact,
        created: clock.render(c.created),
        consent_for_communication: c.consent,
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Customer")]
pub struct CustomerView {
    #[schemars(extend("const" = "loyalty.customers"))]
    object: &'static str,
    id: String,
    created: String,
    merchant: ObjRef,
    #[schemars(with = "Option<crate::openapi::schemas::Contact>")]
    contact: Value,
    #[schemars(with = "Option<crate::openapi::schemas::Contact>")]
    merchant_contact: Value,
    #[schemars(with = "()")]
    account_contact: Option<Value>,
    payment_container: Vec<Value>,
    customernumber: Option<String>,
    note: Option<String>,
    consent_for_communication: Option<bool>,
    additional_data: Value,
}

pub fn customer_view(clock: &Clock, c: &CustomerRow) -> CustomerView {
    let contact = full_contact(c.merchant_contact.as_deref());
    CustomerView {
        object: "loyalty.customers",
        id: c.id.clone().into(),
        created: clock.render(c.created),
        merchant: ObjRef::new("general.merchants", &c.merchant_id),
        merchant_contact: contact.clone(),
        contact,
        account_contact: None,
        payment_container: Vec::new(),
        customernumber: c.customernumber.clone(),
        note: c.note.clone(),
        consent_for_communication: c.consent,
        additional_data: stored_json(c.additional_data.as_deref()),
    }
}

#[derive(Serialize, JsonSchema)]
pub struct CardRef {
    #[schemars(extend("const" = "loyalty.cards"))]
    object: &'static str,
    id: String,
    cardnumber: String,
    created: String,
}

pub fn card_ref(clock: &Clock, c: &CardRow) -> CardRef {
    CardRef {
        object: "loyalty.cards",
        id: c.id.clone().into(),
        cardnumber: c.cardnumber.clone(),
        created: clock.render(c.created),
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Card")]
pub struct CardView {
    #[schemars(extend("const" = "loyalty.cards"))]
    object: &'static str,
    id: String,
    created: String,
    account: Option<ObjRef>,
    cardnumber: String,
}

pub fn card_view(clock: &Clock, seen: &AssignedCardRow) -> CardView {
    let c = &seen.card;
    CardView {
        object: "loyalty.cards",
        id: c.id.clone().into(),
        created: clock.render(c.created),
        account: ObjRef::opt("general.accounts", seen.account_id.as_deref()),
        cardnumber: c.cardnumber.clone(),
    }
}

#[derive(Serialize, JsonSchema)]
pub struct CardgroupRef {
    #[schemars(extend("const" = "loyalty.cardgroups"))]
    object: &'static str,
    id: String,
    display_name: String,
    display_name_raw: String,
    stock_warn_limit: i64,
    picture: Option<String>,
}

pub fn cardgroup_ref(g: &CardgroupRow) -> CardgroupRef {
    CardgroupRef {
        object: "loyalty.cardgroups",
        id: g.id.clone().into(),
        display_name: g.display_name.clone(),
        display_name_raw: g.display_name.clone(),
        stock_warn_limit: g.stock_warn_limit,
        picture: g.picture.clone(),
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Cardgroup")]
pub struct CardgroupView {
    #[schemars(extend("const" = "loyalty.cardgroups"))]
    object: &'static str,
    id: String,
    merchant: ObjRef,
    display_name: String,
    display_name_raw: String,
    stock_warn_limit: i64,
    picture: Option<String>,
    #[schemars(with = "()")]
    balance_limit: Option<i64>,
    balance_expiry: bool,
    cancel_selected: bool,
    description: Option<String>,
    currency: String,
    bonus: BonusView,
    overdraft_allowed: bool,
    overdraft_limit: i64,
    passcode_policy: i64,
    card_creation_via_stx: bool,
}

/// A card group's bonus programme (`bonus`), as stored.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "BonusProgramme")]
struct BonusView {
    rate: i64,
    #[schemars(extend("enum" = ["full", "reduced"]))]
    base: String,
    filter: BonusFilterView,
    products: Vec<BonusProductView>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "BonusFilter")]
struct BonusFilterView {
    #[schemars(extend("enum" = ["none", "blacklist", "whitelist"]))]
    mode: String,
    codes: Vec<String>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "BonusProduct")]
struct BonusProductView {
    tax: i64,
    desc: String,
    #[serde(rename = "articleNumber")]
    article_number: Option<String>,
    ean: Option<String>,
}

pub fn cardgroup_view(g: &CardgroupRow) -> CardgroupView {
    let products = bonus_products(g)
        .into_iter()
        .map(|p| BonusProductView {
            tax: p.tax,
            desc: p.desc,
            article_number: p.article_number,
            ean: p.ean,
        })
        .collect();
    CardgroupView {
        object: "loyalty.cardgroups",
        id: g.id.clone().into(),
        merchant: ObjRef::new("general.merchants", &g.merchant_id),
        display_name: g.display_name.clone(),
        display_name_raw: g.display_name.clone(),
        stock_warn_limit: g.stock_warn_limit,
        picture: g.picture.clone(),
        balance_limit: None,
        balance_expiry: false,
        cancel_selected: g.cancel_selected,
        description: g.description.clone(),
        currency: g.currency.clone(),
        bonus: BonusView {
            rate: g.bonus_rate,
            base: g.bonus_base.clone(),
            filter: BonusFilterView {
                mode: g.filter_mode.clone(),
                codes: filter_codes(g),
            },
            products,
        },
        overdraft_allowed: g.overdraft_allowed,
        overdraft_limit: g.overdraft_limit.0,
        passcode_policy: g.passcode_policy,
        card_creation_via_stx: g.card_creation_via_stx,
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "MerchantCard")]
pub struct MerchantcardView {
    #[schemars(extend("const" = "loyalty.merchantcards"))]
    object: &'static str,
    id: String,
    merchant: ObjRef,
    created_for_merchant: ObjRef,
    card: CardRef,
    cardgroup: CardgroupRef,
    created_for_store: Option<ObjRef>,
    customer: Option<CompactCustomer>,
    is_base_card: bool,
    points: i64,
    cash_balance: i64,
    bonus_balance: i64,
    balance: i64,
    last_usage: Option<String>,
    last_charge: Option<String>,
    #[schemars(extend("enum" = StockStatus::NAMES))]
    stock_status: &'static str,
    #[schemars(extend("enum" = LockStatus::NAMES))]
    lock_status: &'static str,
    passcode: i64,
    expiry_date: Option<String>,
    #[schemars(with = "()")]
    payment_container: Option<Value>,
    customer_assignment_date: Option<String>,
}

impl MerchantcardView {
    pub fn customer(&self) -> Option<&CompactCustomer> {
        self.customer.as_ref()
    }
}

pub fn merchantcard_view(
    clock: &Clock,
    m: &MerchantcardRow,
    parts: &MerchantcardParts,
) -> MerchantcardView {
    MerchantcardView {
        object: "loyalty.merchantcards",
        id: m.id.clone().into(),
        merchant: ObjRef::new("general.merchants", &m.merchant_id),
        created_for_merchant: ObjRef::new("general.merchants", &m.created_for_merchant_id),
        card: card_ref(clock, &parts.card),
        cardgroup: cardgroup_ref(&parts.group),
        created_for_store: ObjRef::opt("general.stores", m.created_for_store_id.as_deref()),
        customer: parts.customer.as_ref().map(|c| compact_customer(clock, c)),
        is_base_card: m.is_base_card,
        points: m.points,
        cash_balance: m.cash_balance.0,
        bonus_balance: m.bonus_balance.0,
        balance: m.cash_balance.0 + m.bonus_balance.0,
        last_usage: clock.render_opt(m.last_usage),
        last_charge: clock.render_opt(m.last_charge),
        stock_status: m.stock_status.as_str(),
        lock_status: m.lock_status.as_str(),
        passcode: parts.group.passcode_policy,
        expiry_date: clock.render_opt(m.expiry_date),
        payment_container: None,
        customer_assignment_date: clock.render_opt(m.customer_assignment_date),
    }
}

/// The view of a merchant card as a command left it.
pub fn render_merchantcard(clock: &Clock, m: &Merchantcard) -> MerchantcardView {
    merchantcard_view(clock, &m.row, &m.parts)
}

/// The other half of a cancellation (`parents` of a cancelling transaction, `children` of the
/// cancelled one).
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Related")]
struct RelatedView {
    #[schemars(extend("const" = "loyalty.transactions"))]
    object: &'static str,
    id: String,
    trans_id: i64,
    #[schemars(with = "()")]
    ref_type_id: Option<i64>,
    #[schemars(extend("const" = "cancellation"))]
    relation_type: &'static str,
}

fn related(ltx: &LtxRow) -> RelatedView {
    RelatedView {
        object: "loyalty.transactions",
        id: ltx.id.clone().into(),
        trans_id: ltx.trans_id,
        ref_type_id: None,
        relation_type: "cancellation",
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Booking")]
struct BookingView {
    #[serde(rename = "type")]
    #[schemars(extend("enum" = BookingType::NAMES))]
    kind: &'static str,
    #[schemars(extend("enum" = BalanceKind::NAMES))]
    balance: &'static str,
    amount: i64,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "LoyaltyTransaction")]
pub struct LtxView {
    #[schemars(extend("const" = "loyalty.transactions"))]
    object: &'static str,
    id: String,
    created: String,
    merchant: ObjRef,
    cardgroup: CardgroupRef,
    store: Option<ObjRef>,
    merchantcard: ObjRef,
    card: CardRef,
    parents: Vec<RelatedView>,
    children: Vec<RelatedView>,
    cleared: bool,
    clearing_information: Vec<Value>,
    trans_id: i64,
    tid: Option<String>,
    #[schemars(extend("enum" = LtxStatus::NAMES))]
    status: &'static str,
    amount: i64,
    currency: String,
    balance: i64,
    description: String,
    purpose: Option<String>,
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    additional_data: Value,
    last_change: String,
    #[schemars(with = "Vec<crate::openapi::schemas::ReceiptLine>")]
    receipt: Box<RawValue>,
    is_cancelling: i64,
    bookings: Vec<BookingView>,
    revenue: i64,
    smart_transaction: Option<ObjRef>,
}

/// The loyalty transaction view (models.md §3.5).
pub fn ltx_view(clock: &Clock, ltx: &Ltx) -> LtxView {
    let l = &ltx.row;
    let bookings = ltx
        .bookings
        .iter()
        .map(|b| BookingView {
            kind: b.kind.as_str(),
            balance: b.balance_kind.as_str(),
            amount: b.amount,
        })
        .collect();
    LtxView {
        object: "loyalty.transactions",
        id: l.id.clone().into(),
        created: clock.render(l.created),
        merchant: ObjRef::new("general.merchants", &l.merchant_id),
        cardgroup: cardgroup_ref(&ltx.group),
        store: ObjRef::opt("general.stores", l.store_id.as_deref()),
        merchantcard: ObjRef::new("loyalty.merchantcards", &l.merchantcard_id),
        card: card_ref(clock, &ltx.card),
        parents: ltx.parent.as_ref().map(related).into_iter().collect(),
        children: ltx.child.as_ref().map(related).into_iter().collect(),
        cleared: false,
        clearing_information: Vec::new(),
        trans_id: l.trans_id,
        tid: l.tid.clone(),
        status: l.status.as_str(),
        amount: l.amount.0,
        currency: l.currency.clone(),
        balance: l.balance.0,
        description: l.description.clone(),
        purpose: l.purpose.clone(),
        additional_data: stored_json(l.additional_data.as_deref()),
        last_change: clock.render(l.last_change),
        receipt: stored_array_raw(&l.receipt),
        is_cancelling: i64::from(l.is_cancelling),
        bookings,
        revenue: l.revenue.0,
        smart_transaction: ObjRef::opt("smart.transactions", l.smart_transaction_id.as_deref()),
    }
}
