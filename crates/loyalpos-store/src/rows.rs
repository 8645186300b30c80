//! Rows as stored. Statuses, lock states, booking kinds and amounts carry the domain's types, parsed
//! where the row is read (a name the domain does not know is a corrupt row). JSON-valued columns are
//! plain `String`s here and are owned (parsed and rendered) by the layer above; the store never
//! interprets them.

use crate::{
    CardId, CardgroupId, ContractId, CustomerId, DeviceId, LtxId, MerchantId, MerchantcardId,
    StoreId, StxId,
};
use loyalpos_domain::booking::{BalanceKind, BookingType, LtxStatus};
use loyalpos_domain::card::{LockStatus, StockStatus};
use loyalpos_domain::money::Cents;
use loyalpos_domain::status::StxStatus;

use crate::driver::{FromRecord, Record, Val, from_record};
use crate::packing::unpack_text;
use crate::{Result, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRow {
    pub id: MerchantId,
    pub id_old: i64,
    pub companyname: String,
    pub user_type: String,
    pub project_name: Option<String>,
    pub legal_details: String,
    pub urls: String,
    pub categories: String,
    pub default_store_id: Option<StoreId>,
    pub default_contract_id: Option<ContractId>,
    pub is_demo: bool,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractRow {
    pub id: ContractId,
    pub merchant_id: MerchantId,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreRow {
    pub id: StoreId,
    pub merchant_id: MerchantId,
    pub id_old: String,
    pub name: String,
    pub address: Option<String>,
    pub facebook_id: Option<String>,
    pub phone: Option<String>,
    pub url_website: Option<String>,
    pub photo_main: Option<String>,
    pub photo: String,
    pub open_hours: String,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: DeviceId,
    pub merchant_id: MerchantId,
    pub store_id: StoreId,
    pub contract_id: Option<ContractId>,
    pub vendor: Option<String>,
    pub vendor_uid: Option<String>,
    pub device_type: String,
    pub description: Option<String>,
    pub tid: Option<String>,
    pub products: String,
    pub terminal_type: Option<String>,
    pub base_version: Option<String>,
    pub status: Option<String>,
    pub device: Option<String>,
    pub user_pin: Option<String>,
    pub pin_hash: Option<String>,
    pub next_receipt_number: i64,
    /// Highest receipt number covered by the last end-of-day (0 = none yet).
    pub end_of_day_receipt: i64,
    pub created: i64,
    pub updated: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRow {
    pub client_id: String,
    pub secret_hash: String,
    pub merchant_id: Option<MerchantId>,
    /// Comma-separated grant types.
    pub grants: String,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub merchant_id: MerchantId,
    pub username: String,
    pub password_hash: String,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRow {
    pub id: String,
    /// `device` or `user`.
    pub kind: String,
    pub merchant_id: MerchantId,
    pub client_id: String,
    pub device_id: Option<DeviceId>,
    pub store_id: Option<StoreId>,
    pub user_id: Option<String>,
    pub refresh_hash: Option<String>,
    pub revoked: bool,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub token_hash: String,
    /// `device`, `client` or `user`.
    pub kind: String,
    pub merchant_id: MerchantId,
    pub client_id: String,
    pub device_id: Option<DeviceId>,
    pub store_id: Option<StoreId>,
    pub user_id: Option<String>,
    pub authorization_id: Option<String>,
    /// None = never expires (the demo's pinned token).
    pub expires_at: Option<i64>,
    pub demo_only: bool,
    pub revoked: bool,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRow {
    pub device_code_hash: String,
    pub user_code: String,
    pub client_id: String,
    pub uuid: String,
    /// `pending`, `confirmed` or `consumed`.
    pub state: String,
    pub merchant_id: Option<MerchantId>,
    pub device_id: Option<DeviceId>,
    pub store_id: Option<StoreId>,
    pub authorization_id: Option<String>,
    pub expires_at: Option<i64>,
    /// Demo only: the docs' confirmed registration answers every poll.
    pub reusable: bool,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardgroupRow {
    pub id: CardgroupId,
    pub merchant_id: MerchantId,
    pub display_name: String,
    pub picture: Option<String>,
    pub stock_warn_limit: i64,
    pub description: Option<String>,
    pub cancel_selected: bool,
    pub currency: String,
    pub bonus_rate: i64,
    pub bonus_base: String,
    pub filter_mode: String,
    /// JSON array of strings.
    pub filter_codes: String,
    /// JSON array of `{tax, desc, articleNumber, ean}`.
    pub bonus_products: String,
    pub overdraft_allowed: bool,
    pub overdraft_limit: Cents,
    pub passcode_policy: i64,
    pub card_creation_via_stx: bool,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRow {
    pub id: CardId,
    pub cardnumber: String,
    pub created: i64,
}

/// A card as one merchant sees it: with that merchant's assignment to one of its user accounts
/// (assignments are per merchant, `card_assignments`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedCardRow {
    pub card: CardRow,
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    pub id: CustomerId,
    pub merchant_id: MerchantId,
    pub merchant_contact: Option<String>,
    pub customernumber: Option<String>,
    pub note: Option<String>,
    pub consent: Option<bool>,
    pub additional_data: Option<String>,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantcardRow {
    pub id: MerchantcardId,
    pub merchant_id: MerchantId,
    pub card_id: CardId,
    pub cardgroup_id: CardgroupId,
    pub created_for_merchant_id: MerchantId,
    pub created_for_store_id: Option<StoreId>,
    pub customer_id: Option<CustomerId>,
    pub customer_assignment_date: Option<i64>,
    pub is_base_card: bool,
    pub cash_balance: Cents,
    pub bonus_balance: Cents,
    pub points: i64,
    pub last_usage: Option<i64>,
    pub last_charge: Option<i64>,
    pub stock_status: StockStatus,
    pub lock_status: LockStatus,
    pub lock_reason: Option<i64>,
    pub lock_note: Option<String>,
    pub expiry_date: Option<i64>,
    pub csc_hash: Option<String>,
    pub passcode_hash: Option<String>,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LtxRow {
    pub id: LtxId,
    pub merchant_id: MerchantId,
    pub merchantcard_id: MerchantcardId,
    pub cardgroup_id: CardgroupId,
    pub store_id: Option<StoreId>,
    pub trans_id: i64,
    pub tid: Option<String>,
    pub status: LtxStatus,
    pub amount: Cents,
    pub currency: String,
    pub balance: Cents,
    pub description: String,
    pub purpose: Option<String>,
    pub additional_data: Option<String>,
    /// JSON array of receipt lines.
    pub receipt: String,
    /// JSON of the receipt figures, kept so a cancellation can print the mirrored receipt.
    pub figures: Option<String>,
    pub is_cancelling: bool,
    pub revenue: Cents,
    pub smart_transaction_id: Option<StxId>,
    pub parent_id: Option<LtxId>,
    pub child_id: Option<LtxId>,
    pub created: i64,
    pub last_change: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRow {
    pub ltx_id: LtxId,
    pub seq: i64,
    pub merchantcard_id: MerchantcardId,
    pub kind: BookingType,
    pub balance_kind: BalanceKind,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StxRow {
    pub id: StxId,
    pub merchant_id: MerchantId,
    pub status: StxStatus,
    pub device_id: Option<DeviceId>,
    pub receipt_number: Option<i64>,
    pub trans_id: Option<String>,
    /// The document's `merchantRef` and `transactionRef`, kept as columns for the list filters.
    pub merchant_ref: Option<String>,
    pub transaction_ref: Option<String>,
    /// The number of the card the document's card ident names (written with the document's
    /// keys), so that a start finds the card in the round trip that locks the transaction.
    pub cardnumber: Option<String>,
    /// JSON document with everything else (owned by the layer above).
    pub doc: String,
    pub created: i64,
    pub updated: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRow {
    pub client_id: String,
    pub key: String,
    pub method: String,
    pub path: String,
    pub fingerprint: String,
    /// None while the first request is still running (claimed in its unit of work, answer not yet recorded).
    pub status: Option<i64>,
    pub headers: Option<String>,
    pub body: Option<String>,
    pub created: i64,
    /// Random id of the request that wrote the row.
    pub claim_id: Option<String>,
}

from_record!(MerchantRow {
    id,
    id_old,
    companyname,
    user_type,
    project_name,
    legal_details,
    urls,
    categories,
    default_store_id,
    default_contract_id,
    is_demo,
    created
});
from_record!(ContractRow {
    id,
    merchant_id,
    created
});
from_record!(StoreRow {
    id,
    merchant_id,
    id_old,
    name,
    address,
    facebook_id,
    phone,
    url_website,
    photo_main,
    photo,
    open_hours,
    created
});
from_record!(DeviceRow {
    id,
    merchant_id,
    store_id,
    contract_id,
    vendor,
    vendor_uid,
    device_type,
    description,
    tid,
    products,
    terminal_type,
    base_version,
    status,
    device,
    user_pin,
    pin_hash,
    next_receipt_number,
    end_of_day_receipt,
    created,
    updated
});
from_record!(ClientRow {
    client_id,
    secret_hash,
    merchant_id,
    grants,
    created
});
from_record!(UserRow {
    id,
    merchant_id,
    username,
    password_hash,
    created
});
from_record!(AuthorizationRow {
    id,
    kind,
    merchant_id,
    client_id,
    device_id,
    store_id,
    user_id,
    refresh_hash,
    revoked,
    created
});
from_record!(TokenRow {
    token_hash,
    kind,
    merchant_id,
    client_id,
    device_id,
    store_id,
    user_id,
    authorization_id,
    expires_at,
    demo_only,
    revoked,
    created
});
from_record!(RegistrationRow {
    device_code_hash,
    user_code,
    client_id,
    uuid,
    state,
    merchant_id,
    device_id,
    store_id,
    authorization_id,
    expires_at,
    reusable,
    created
});
from_record!(CardgroupRow {
    id,
    merchant_id,
    display_name,
    picture,
    stock_warn_limit,
    description,
    cancel_selected,
    currency,
    bonus_rate,
    bonus_base,
    filter_mode,
    filter_codes,
    bonus_products,
    overdraft_allowed,
    overdraft_limit,
    passcode_policy,
    card_creation_via_stx,
    created
});
from_record!(CardRow {
    id,
    cardnumber,
    created
});

impl FromRecord for AssignedCardRow {
    fn from_record(mut r: Record) -> Result<Self> {
        let account_id = r.take("account_id")?;
        Ok(AssignedCardRow {
            card: CardRow::from_record(r)?,
            account_id,
        })
    }
}
from_record!(CustomerRow {
    id,
    merchant_id,
    merchant_contact,
    customernumber,
    note,
    consent,
    additional_data,
    created
});
from_record!(MerchantcardRow {
    id,
    merchant_id,
    card_id,
    cardgroup_id,
    created_for_merchant_id,
    created_for_store_id,
    customer_id,
    customer_assignment_date,
    is_base_card,
    cash_balance,
    bonus_balance,
    points,
    last_usage,
    last_charge,
    stock_status,
    lock_status,
    lock_reason,
    lock_note,
    expiry_date,
    csc_hash,
    passcode_hash,
    created
});
from_record!(LtxRow {
    id,
    merchant_id,
    merchantcard_id,
    cardgroup_id,
    store_id,
    trans_id,
    tid,
    status,
    amount,
    currency,
    balance,
    description,
    purpose,
    additional_data,
    receipt,
    figures,
    is_cancelling,
    revenue,
    smart_transaction_id,
    parent_id,
    child_id,
    created,
    last_change
});
from_record!(BookingRow {
    ltx_id,
    seq,
    merchantcard_id,
    kind,
    balance_kind,
    amount
});
impl FromRecord for StxRow {
    fn from_record(mut r: Record) -> Result<Self> {
        Ok(StxRow {
            id: r.take("id")?,
            merchant_id: r.take("merchant_id")?,
            status: r.take("status")?,
            device_id: r.take("device_id")?,
            receipt_number: r.take("receipt_number")?,
            trans_id: r.take("trans_id")?,
            merchant_ref: r.take("merchant_ref")?,
            transaction_ref: r.take("transaction_ref")?,
            cardnumber: r.take("cardnumber")?,
            doc: take_document(&mut r)?,
            created: r.take("created")?,
            updated: r.take("updated")?,
        })
    }
}

/// A smart transaction's document: packed (SQLite writes it so) or plain text (PostgreSQL, and
/// rows SQLite wrote before it packed them).
fn take_document(r: &mut Record) -> Result<String> {
    match r.take::<Val>("doc")? {
        Val::Text(doc) => Ok(doc),
        Val::Bytes(packed) => unpack_text(&packed),
        other => Err(StoreError::Internal(format!(
            "column doc: expected a document, got {other:?}"
        ))),
    }
}
from_record!(IdempotencyRow {
    client_id,
    key,
    method,
    path,
    fingerprint,
    status,
    headers,
    body,
    created,
    claim_id
});

/// The object of an event as the command that changed it shows it, carried to the renderer of the
/// event's data (the store does not look inside; the layer above knows its type).
#[derive(Clone)]
pub struct Carried(pub std::sync::Arc<dyn std::any::Any + Send + Sync>);

impl std::fmt::Debug for Carried {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Carried(..)")
    }
}

/// A change to be published as an event (push.md §1), noted by a command during its unit of work
/// ([`crate::EventTx::record_event`]) and written to the outbox when the unit ends.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// `EAC_` + 30 characters.
    pub id: String,
    pub merchant_id: MerchantId,
    /// The device the object names (a transaction's device, the device itself): device-bound
    /// tokens see only their device's events of such objects.
    pub device_id: Option<DeviceId>,
    pub target: &'static str,
    pub kind: &'static str,
    pub object_id: String,
    pub created: i64,
    /// The event's data when the command has it; otherwise the object's view, rendered at the end
    /// of the unit ([`crate::EventRenderer`]) from `object`, or from the object read again.
    pub data: Option<String>,
    pub object: Option<Carried>,
}

impl NewEvent {
    /// An event whose data is its object's view, and whose object was not handed over yet.
    pub fn wants_object(&self) -> bool {
        self.data.is_none() && self.object.is_none()
    }
}

/// An event as delivered: numbered per merchant (`seq`) and installation-wide (`relay_pos`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub relay_pos: i64,
    pub seq: i64,
    pub id: String,
    pub merchant_id: MerchantId,
    pub device_id: Option<DeviceId>,
    pub target: String,
    pub kind: String,
    pub object_id: String,
    pub created: i64,
    /// The object's view as JSON (`null` when no renderer was installed, e.g. an offline tool).
    pub data: String,
}
impl FromRecord for EventRow {
    fn from_record(mut r: Record) -> Result<Self> {
        let data: Option<String> = r.take("data")?;
        let packed: Option<Vec<u8>> = r.take("packed")?;
        let data = match (packed, data) {
            (Some(packed), _) => unpack_text(&packed)?,
            (None, Some(data)) => data,
            (None, None) => "null".to_owned(),
        };
        Ok(EventRow {
            relay_pos: r.take("relay_pos")?,
            seq: r.take("seq")?,
            id: r.take("id")?,
            merchant_id: r.take("merchant_id")?,
            device_id: r.take("device_id")?,
            target: r.take("target")?,
            kind: r.take("kind")?,
            object_id: r.take("object_id")?,
            created: r.take("created")?,
            data,
        })
    }
}

/// An outbox row the relay has yet to number (PostgreSQL).
#[derive(Debug)]
pub(crate) struct UnnumberedEvent {
    pub pos: i64,
    pub merchant_id: MerchantId,
}
from_record!(UnnumberedEvent { pos, merchant_id });

/// A counter of `event_counters` after the relay took numbers from it.
pub(crate) struct TakenNumbers {
    pub merchant_id: String,
    pub last_seq: i64,
}
from_record!(TakenNumbers {
    merchant_id,
    last_seq
});

#[cfg(test)]
mod event_data_tests {
    use super::*;
    use crate::driver::Val;
    use crate::packing::pack_text;

    fn event_record(data: Val, packed: Val) -> Record {
        let names = [
            "relay_pos",
            "seq",
            "id",
            "merchant_id",
            "device_id",
            "target",
            "kind",
            "object_id",
            "created",
            "data",
            "packed",
        ];
        Record {
            names: names.iter().map(|n| n.to_string()).collect(),
            vals: vec![
                Val::Int(7),
                Val::Int(3),
                Val::Text("EAC_1".into()),
                Val::Text("MRC_1".into()),
                Val::Null,
                Val::Text("smart.transactions".into()),
                Val::Text("changed".into()),
                Val::Text("STX_1".into()),
                Val::Int(1_700_000_000),
                data,
                packed,
            ],
        }
    }

    #[test]
    fn packed_event_data_reads_back_as_written() {
        let data = r#"{"object":"smart.transactions","desc":"Käse, 7 % MwSt","lines":[1,2,3]}"#;
        let packed = pack_text(data);
        let row = EventRow::from_record(event_record(Val::Null, Val::Bytes(packed))).unwrap();
        assert_eq!(row.data, data);
        assert_eq!((row.relay_pos, row.seq), (7, 3));
    }

    #[test]
    fn an_event_written_before_packing_reads_its_plain_data() {
        let row =
            EventRow::from_record(event_record(Val::Text("{\"a\":1}".into()), Val::Null)).unwrap();
        assert_eq!(row.data, "{\"a\":1}");
        let empty = EventRow::from_record(event_record(Val::Null, Val::Null)).unwrap();
        assert_eq!(empty.data, "null");
    }
}
