//! The operator's commands (`loyalpos merchant|store|client|user create`, `cards issue`): what
//! secuconnect's back office does, done on this installation's database. No API route reaches them.

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::ContractId;
use loyalpos_store::{CardgroupRow, ClientRow, ContractRow, MerchantRow, StoreError, Tx, UserRow};

use crate::error::ApiError;
use crate::general::new_store;
use crate::loyalty::cardgroups::{self, CardgroupPatch};
use crate::loyalty::issue::{IssueRequest, Issued, issue_card};
use crate::oauth::GRANTS;
use crate::office::Role;
use crate::secret::{hash_password, hash_secret, new_client_id, new_client_secret, new_id};

/// Upper bound of cards per `issue_cards`, so that a typo cannot fill the database.
pub const MAX_CARDS: u32 = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("malformed merchant id {0}")]
    MalformedMerchantId(String),
    #[error("unknown merchant {0}")]
    UnknownMerchant(String),
    #[error("unknown card group {0}")]
    UnknownCardgroup(String),
    #[error("unknown grant {0} (known: {known})", known = GRANTS.join(", "))]
    UnknownGrant(String),
    #[error("between 1 and {MAX_CARDS} cards can be issued at once, not {0}")]
    CardCount(u32),
    #[error("{0} is already taken")]
    Taken(String),
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A rule of the API's own commands refused it.
    #[error("{} (code {})", .0.internal.as_deref().unwrap_or(&.0.details), .0.code as u16)]
    Refused(ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ApiError> for OperatorError {
    fn from(e: ApiError) -> Self {
        OperatorError::Refused(e)
    }
}

/// A new merchant with its default store and default contract.
#[derive(Debug, Clone)]
pub struct CreatedMerchant {
    pub merchant_id: MerchantId,
    pub store_id: String,
    pub contract_id: String,
}

/// Creates a merchant named `name`, keeping an existing secuconnect id if given, with a default
/// store of the same name and a default contract.
pub fn create_merchant(
    tx: &mut dyn Tx,
    name: &str,
    id: Option<String>,
    now: i64,
) -> Result<CreatedMerchant, OperatorError> {
    let name = required("--name", name)?;
    let id = id.unwrap_or_else(|| new_id("MRC"));
    if !MerchantId::is_valid(&id) {
        return Err(OperatorError::MalformedMerchantId(id));
    }
    let id = MerchantId::new(id);
    let mut merchant = MerchantRow {
        id: id.clone(),
        id_old: 100_000 + (now % 900_000),
        companyname: name.to_owned(),
        user_type: "46".into(),
        project_name: None,
        legal_details: "[]".into(),
        urls: "[]".into(),
        categories: "[]".into(),
        default_store_id: None,
        default_contract_id: None,
        is_demo: false,
        created: now,
    };
    tx.insert_merchant(&merchant)
        .map_err(taken(format!("merchant id {id}")))?;
    let contract_id: ContractId = new_id("GCR").into();
    tx.insert_contract(&ContractRow {
        id: contract_id.clone(),
        merchant_id: id.clone(),
        created: now,
    })?;
    let store = new_store(tx, &id, name, now)?;
    tx.insert_store(&store)?;
    // The defaults can only point at rows that exist.
    merchant.default_store_id = Some(store.id.clone());
    merchant.default_contract_id = Some(contract_id.clone());
    tx.update_merchant(&merchant)?;
    Ok(CreatedMerchant {
        merchant_id: id,
        store_id: store.id.into(),
        contract_id: contract_id.into(),
    })
}

/// Creates a store of a merchant, its default store if `make_default`; returns the store id.
pub fn create_store(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    name: &str,
    make_default: bool,
    now: i64,
) -> Result<String, OperatorError> {
    let name = required("--name", name)?;
    let mut merchant = existing_merchant(tx, merchant_id)?;
    let store = new_store(tx, merchant_id, name, now)?;
    tx.insert_store(&store)?;
    if make_default {
        merchant.default_store_id = Some(store.id.clone());
        tx.update_merchant(&merchant)?;
    }
    Ok(store.id.into())
}

/// An API client to register: bound to a merchant or installation-wide, with the given grants
/// (default: all) and credentials (default: new random ones).
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub merchant_id: Option<MerchantId>,
    pub grants: Option<Vec<String>>,
    pub credentials: Option<ClientCredentials>,
}

/// Shown to the operator once; only the secret's hash is stored.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

pub fn create_client(
    tx: &mut dyn Tx,
    client: NewClient,
    now: i64,
) -> Result<ClientCredentials, OperatorError> {
    let grants = client
        .grants
        .unwrap_or_else(|| GRANTS.iter().map(|g| g.to_string()).collect());
    if let Some(unknown) = grants.iter().find(|g| !GRANTS.contains(&g.as_str())) {
        return Err(OperatorError::UnknownGrant(unknown.clone()));
    }
    let merchant_id = client.merchant_id;
    if let Some(merchant_id) = &merchant_id {
        existing_merchant(tx, merchant_id)?;
    }
    let credentials = client.credentials.unwrap_or_else(|| ClientCredentials {
        client_id: new_client_id(),
        client_secret: new_client_secret(),
    });
    tx.insert_client(&ClientRow {
        client_id: credentials.client_id.clone(),
        secret_hash: hash_secret(&credentials.client_secret),
        merchant_id,
        grants: grants.join(","),
        created: now,
    })
    .map_err(taken(format!("client id {}", credentials.client_id)))?;
    Ok(credentials)
}

/// Creates a merchant user for the appuser grant and the back office (with its office role);
/// returns its account id.
pub fn create_user(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    username: &str,
    password: &str,
    role: Role,
    now: i64,
) -> Result<String, OperatorError> {
    let username = required("--username", username)?;
    if password.is_empty() {
        return Err(OperatorError::Empty("--password"));
    }
    insert_user(
        tx,
        merchant_id,
        username,
        &hash_password(password),
        role,
        now,
    )
}

/// Creates the installation's back-office operator (`user create --operator`): a user of no
/// merchant that sees every merchant and works in the one it switches into (office.md §1); it is
/// no user of the API's appuser grant. Returns its account id.
pub fn create_operator(
    tx: &mut dyn Tx,
    username: &str,
    password: &str,
    now: i64,
) -> Result<String, OperatorError> {
    let username = required("--username", username)?;
    if password.is_empty() {
        return Err(OperatorError::Empty("--password"));
    }
    let id = new_id("ACC");
    // The username is unique among all users: the index tells a taken one.
    tx.insert_operator(&id, username, &hash_password(password), now)
        .map_err(taken(format!("username {username}")))?;
    Ok(id)
}

/// Writes a new user of an existing merchant with an already hashed password (hashing takes tens
/// of milliseconds: the back office does it before its unit of work); returns its account id.
pub fn insert_user(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    username: &str,
    password_hash: &str,
    role: Role,
    now: i64,
) -> Result<String, OperatorError> {
    existing_merchant(tx, merchant_id)?;
    // Asked first so the operator reads which name is taken, not the database's UNIQUE error;
    // the index still decides between two commands at the same moment.
    if tx.user_by_username(username)?.is_some() {
        return Err(OperatorError::Taken(format!("username {username}")));
    }
    let id = new_id("ACC");
    tx.insert_user(&UserRow {
        id: id.clone(),
        merchant_id: merchant_id.into(),
        username: username.into(),
        password_hash: password_hash.into(),
        created: now,
    })
    .map_err(taken(format!("username {username}")))?;
    tx.set_user_role(&id, role.as_str())?;
    Ok(id)
}

/// Issues `count` new cards in a card group, created for its merchant's default store.
pub fn issue_cards(
    tx: &mut dyn Tx,
    cardgroup_id: &str,
    count: u32,
    prefix: &str,
    now: i64,
) -> Result<Vec<Issued>, OperatorError> {
    if !(1..=MAX_CARDS).contains(&count) {
        return Err(OperatorError::CardCount(count));
    }
    let group = tx
        .cardgroup(&cardgroup_id.into())?
        .ok_or_else(|| OperatorError::UnknownCardgroup(cardgroup_id.into()))?;
    let store_id = tx
        .merchant(&group.merchant_id)?
        .and_then(|m| m.default_store_id);
    (0..count)
        .map(|_| {
            let request = IssueRequest {
                group: &group,
                store_id: store_id.as_deref(),
                customer_id: None,
                prefix,
                now,
            };
            Ok(issue_card(tx, request)?)
        })
        .collect()
}

/// Creates a card group of a merchant (`loyalpos cardgroup create`): the API's command, with a
/// display name the operator must give.
pub fn create_cardgroup(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
    mut patch: CardgroupPatch,
    now: i64,
) -> Result<CardgroupRow, OperatorError> {
    let name = required("--name", patch.display_name.as_deref().unwrap_or_default())?;
    patch.display_name = Some(name.to_owned());
    Ok(cardgroups::create(tx, merchant_id, patch, now)?)
}

/// Changes the given settings of a card group (`loyalpos cardgroup update`); a new display name
/// must not be blank.
pub fn update_cardgroup(
    tx: &mut dyn Tx,
    cardgroup_id: &str,
    mut patch: CardgroupPatch,
) -> Result<CardgroupRow, OperatorError> {
    if let Some(name) = &patch.display_name {
        patch.display_name = Some(required("--name", name)?.to_owned());
    }
    let row = tx
        .cardgroup(&cardgroup_id.into())?
        .ok_or_else(|| OperatorError::UnknownCardgroup(cardgroup_id.into()))?;
    Ok(cardgroups::reconfigure(tx, row, patch)?)
}

/// A name the operator typed, trimmed; blank is refused.
fn required<'a>(what: &'static str, value: &'a str) -> Result<&'a str, OperatorError> {
    match value.trim() {
        "" => Err(OperatorError::Empty(what)),
        trimmed => Ok(trimmed),
    }
}

fn existing_merchant(
    tx: &mut dyn Tx,
    merchant_id: &MerchantId,
) -> Result<MerchantRow, OperatorError> {
    tx.merchant(merchant_id)?
        .ok_or_else(|| OperatorError::UnknownMerchant(merchant_id.into()))
}

/// A unique index refusing the row means the operator chose an id or name already in use.
fn taken(what: String) -> impl FnOnce(StoreError) -> OperatorError {
    move |e| match e {
        StoreError::Duplicate(_) => OperatorError::Taken(what),
        other => other.into(),
    }
}
