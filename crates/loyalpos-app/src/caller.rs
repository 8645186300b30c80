//! Who runs a command: the authenticated caller (api.md §2.8). Every query is scoped to its merchant.

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::{DeviceId, StoreId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Device,
    Client,
    User,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Device => "device",
            TokenKind::Client => "client",
            TokenKind::User => "user",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "device" => Some(TokenKind::Device),
            "client" => Some(TokenKind::Client),
            "user" => Some(TokenKind::User),
            _ => None,
        }
    }
}

/// The authenticated caller. Every query is scoped to `merchant_id`.
#[derive(Debug, Clone)]
pub struct Principal {
    pub kind: TokenKind,
    pub merchant_id: MerchantId,
    pub client_id: String,
    pub device_id: Option<DeviceId>,
    pub store_id: Option<StoreId>,
    pub user_id: Option<String>,
}
