//! The demo tenant's well-known ids and credentials (demo-tenant.md): what the demo seed writes and
//! what the demo-only behaviour (merchant aliases, the docs' reusable device registration)
//! recognises.

pub const MERCHANT_ID: &str = "MRC_35SZ3R5GGQQP4T0U2T5GFAN9P6C4PG";
pub const MERCHANT_ALIASES: [&str; 2] = [
    "MRC_BCSPDJBAT5QXBHUSBPGHY2Q8X8U8ON",
    "MRC_GQBZSHFLXSOLI4A4OVP7Z22RELXSJY",
];
pub const STORE_ID: &str = "STO_2ZCZRU9V6U8QA7B49K94667UP6C4PJ";
pub const CASH_REGISTER_ID: &str = "SDV_2YJDXYESB2YBHECVB5GQGSYPNM8UA6";
pub const VENDOR_CLIENT_ID: &str = "611c00ec6b2be6c77c2338774f50040b";
pub const PINNED_TOKEN: &str = "qb56tjj1bcvo9n2nj4u38k84lo";
pub const DOCS_DEVICE_CODE: &str = "2429e1d92f2f76cc3bbdc0333457ef25";
pub const DOCS_USER_CODE: &str = "aa63q9k9";
pub const DEMO_REFRESH_TOKEN: &str = "d3aece0996cee981609cab15653db0e9bc9ef804";

/// The docs' API clients (merchant, cash-register vendor, terminal vendor): their secrets are
/// public, so they authenticate only on a demo installation.
pub const DEMO_CLIENT_IDS: [&str; 3] = [
    "00563697073442633035025909838580",
    VENDOR_CLIENT_ID,
    "e3323efa4fb2c4e8562adcdbfe9acf41",
];
/// The demo merchant user (its password `demo` is public).
pub const DEMO_USER_ID: &str = "ACC_DEMOJOHNSBAKERY000000000000000";

/// Whether a credential of the public docs is named: such credentials work only under `--demo`.
pub fn is_demo_client(client_id: &str) -> bool {
    DEMO_CLIENT_IDS.contains(&client_id)
}
