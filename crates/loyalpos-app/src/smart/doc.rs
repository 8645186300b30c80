//! The stored form of a smart transaction (`smart_transactions.doc`): what the register sent,
//! normalised, plus what loyalpos decided (plan, bookings, receipt). Typed columns of the row hold
//! status, device, receipt number and TA code.

use loyalpos_domain::basket::Line;
use loyalpos_domain::ids::{ContractId, DeviceId, LtxId, StoreId};
use loyalpos_domain::money::Cents;
use loyalpos_domain::plan::{BonusLine, Plan};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A basket line as stored and echoed (response key order follows models.md §2.3).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BasketLine {
    pub id: i64,
    pub parent: Option<i64>,
    #[serde(rename = "articleNumber")]
    pub article_number: Option<String>,
    /// `""` when unset.
    pub ean: String,
    pub desc: String,
    pub quantity: i64,
    #[serde(rename = "priceOne")]
    pub price_one: Cents,
    pub tax: i64,
    pub group: Vec<Value>,
    #[serde(rename = "serialNumber")]
    pub serial_number: Option<String>,
    pub item_type: String,
    pub reference_id: Option<String>,
    pub contract_id: Option<String>,
    pub sum: Option<Cents>,
    pub sub_basket: Option<Vec<Value>>,
    pub plan_id: Option<String>,
    pub start_at: Option<String>,
}

impl BasketLine {
    pub fn domain(&self, is_bonus: bool) -> Line {
        Line {
            id: self.id,
            quantity: self.quantity,
            price_one: self.price_one,
            tax: self.tax,
            ean: (!self.ean.is_empty()).then(|| self.ean.clone()),
            article_number: self.article_number.clone(),
            is_bonus,
        }
    }

    /// A plain article line; every optional field unset.
    pub fn article(id: i64, desc: &str, quantity: i64, price_one: Cents, tax: i64) -> BasketLine {
        BasketLine {
            id,
            parent: None,
            article_number: None,
            ean: String::new(),
            desc: desc.into(),
            quantity,
            price_one,
            tax,
            group: Vec::new(),
            serial_number: None,
            item_type: "article".into(),
            reference_id: None,
            contract_id: None,
            sum: None,
            sub_basket: None,
            plan_id: None,
            start_at: None,
        }
    }

    pub fn from_bonus(b: &BonusLine) -> BasketLine {
        BasketLine {
            article_number: b.article_number.clone(),
            ean: b.ean.clone().unwrap_or_default(),
            ..BasketLine::article(b.id, &b.desc, 1, b.price_one, b.tax)
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Ident {
    /// `card` or `create_card`.
    pub kind: String,
    pub value: String,
    /// For `create_card`: the number of the card issued at start.
    pub issued_cardnumber: Option<String>,
}

impl Ident {
    /// The card number the ident names: its value for `card`, the issued card's for `create_card`
    /// (none before start issued it).
    pub fn cardnumber(&self) -> Option<&str> {
        match self.kind.as_str() {
            "card" => Some(self.value.as_str()),
            _ => self.issued_cardnumber.as_deref(),
        }
    }
}

/// The preTransaction plan, kept until start (or dropped by PUT/cancel).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredPlan {
    pub bonus_spent: Cents,
    pub cash_spent: Cents,
    pub discharge: Cents,
    pub load: Cents,
    pub missing_sum: Cents,
    pub bonus_lines: Vec<BasketLine>,
}

impl StoredPlan {
    pub fn from_plan(p: &Plan) -> StoredPlan {
        StoredPlan {
            bonus_spent: p.bonus_spent,
            cash_spent: p.cash_spent,
            discharge: p.discharge,
            load: p.load,
            missing_sum: p.missing_sum,
            bonus_lines: p.bonus_lines.iter().map(BasketLine::from_bonus).collect(),
        }
    }

    pub fn domain(&self) -> Plan {
        Plan {
            bonus_spent: self.bonus_spent,
            cash_spent: self.cash_spent,
            discharge: self.discharge,
            load: self.load,
            missing_sum: self.missing_sum,
            bonus_lines: self
                .bonus_lines
                .iter()
                .map(|l| BonusLine {
                    id: l.id,
                    tax: l.tax,
                    desc: l.desc.clone(),
                    article_number: l.article_number.clone(),
                    ean: (!l.ean.is_empty()).then(|| l.ean.clone()),
                    price_one: l.price_one,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StxDoc {
    pub contract_id: Option<ContractId>,
    pub store_id: Option<StoreId>,
    pub device_destination_id: Option<DeviceId>,
    pub lines: Vec<BasketLine>,
    pub basket_type: String,
    pub sum: Cents,
    pub gratuity: Option<Cents>,
    pub currency: String,
    pub idents: Vec<Ident>,
    pub merchant_ref: Option<String>,
    pub transaction_ref: Option<String>,
    pub intent: Option<String>,
    pub is_demo: bool,
    pub payment_method: Option<String>,
    /// Echoed client fields (`customer`, `container`, `payment_context`, …) by their JSON key.
    pub echo: Map<String, Value>,
    pub plan: Option<StoredPlan>,
    /// Loyalty transaction ids, oldest first.
    pub transactions: Vec<LtxId>,
    pub receipt: Value,
    /// What the simulated terminal charged (`start/cashless`).
    pub terminal_amount: Option<Cents>,
}

impl StxDoc {
    pub fn client_lines(&self) -> Vec<Line> {
        self.lines.iter().map(|l| l.domain(false)).collect()
    }

    /// The basket as shown: client lines plus the plan's bonus lines.
    pub fn shown_lines(&self) -> Vec<&BasketLine> {
        let bonus = self.plan.iter().flat_map(|p| p.bonus_lines.iter());
        self.lines.iter().chain(bonus).collect()
    }

    pub fn card_ident(&self) -> Option<&Ident> {
        self.idents.first()
    }

    /// The number of the card the card ident names (the row's `cardnumber`).
    pub fn cardnumber(&self) -> Option<&str> {
        self.card_ident().and_then(Ident::cardnumber)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a stored document always serialises")
    }

    pub fn parse(text: &str) -> Result<StxDoc, serde_json::Error> {
        serde_json::from_str(text)
    }
}
