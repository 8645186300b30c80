//! General/Merchants and General/Stores (api.md §14): the merchant's public data and its stores.

mod merchants;
mod stores;

pub use merchants::{
    LegalDetail, MerchantProfile, MerchantUrl, PublicData, merchant, public_data,
    update_public_data,
};
pub(crate) use stores::new_store;
pub use stores::{
    StoreChanges, create_store, open_at, set_default_store, store, stores, update_store,
};
