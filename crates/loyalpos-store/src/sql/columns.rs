// Column lists shared by SELECTs and INSERTs (macros so that `concat!` can splice them).

macro_rules! merchant_cols {
    () => {
        "id, id_old, companyname, user_type, project_name, legal_details, urls, categories, \
         default_store_id, default_contract_id, is_demo, created"
    };
}
macro_rules! store_cols {
    () => {
        "id, merchant_id, id_old, name, address, facebook_id, phone, url_website, photo_main, photo, \
         open_hours, created"
    };
}
macro_rules! device_cols {
    () => {
        "id, merchant_id, store_id, contract_id, vendor, vendor_uid, device_type, description, tid, \
         products, terminal_type, base_version, status, device, user_pin, pin_hash, \
         next_receipt_number, end_of_day_receipt, created, updated"
    };
}
macro_rules! authorization_cols {
    () => {
        "id, kind, merchant_id, client_id, device_id, store_id, user_id, refresh_hash, revoked, created"
    };
}
macro_rules! token_cols {
    () => {
        "token_hash, kind, merchant_id, client_id, device_id, store_id, user_id, authorization_id, \
         expires_at, demo_only, revoked, created"
    };
}
macro_rules! registration_cols {
    () => {
        "device_code_hash, user_code, client_id, uuid, state, merchant_id, device_id, store_id, \
         authorization_id, expires_at, reusable, created"
    };
}
macro_rules! cardgroup_cols {
    () => {
        "id, merchant_id, display_name, picture, stock_warn_limit, description, cancel_selected, \
         currency, bonus_rate, bonus_base, filter_mode, filter_codes, bonus_products, \
         overdraft_allowed, overdraft_limit, passcode_policy, card_creation_via_stx, created"
    };
}
macro_rules! customer_cols {
    () => {
        "id, merchant_id, merchant_contact, customernumber, note, consent, additional_data, created"
    };
}
macro_rules! merchantcard_cols {
    () => {
        "id, merchant_id, card_id, cardgroup_id, created_for_merchant_id, created_for_store_id, \
         customer_id, customer_assignment_date, is_base_card, cash_balance, bonus_balance, points, \
         last_usage, last_charge, stock_status, lock_status, lock_reason, lock_note, expiry_date, \
         csc_hash, passcode_hash, created"
    };
}
macro_rules! ltx_cols {
    () => {
        "id, merchant_id, merchantcard_id, cardgroup_id, store_id, trans_id, tid, status, amount, \
         currency, balance, description, purpose, additional_data, receipt, figures, is_cancelling, \
         revenue, smart_transaction_id, parent_id, child_id, created, last_change"
    };
}
macro_rules! stx_cols {
    () => {
        "id, merchant_id, status, device_id, receipt_number, trans_id, merchant_ref, transaction_ref, cardnumber, doc, created, updated"
    };
}

/// The merchant card of a card number (`$1` the merchant, `$2` the number), found by its card alone
/// through the unique (card, merchant) key: a card has one row per merchant that holds it. The
/// merchant is checked as `(…) IS TRUE` (the same rows: the column is never NULL) so that it cannot be
/// an index condition. Otherwise a PostgreSQL planner without statistics (new tables, autovacuum off
/// or not yet run) may pick one of the merchant's list indexes and read all of the merchant's cards
/// on every lookup, and a pooled connection keeps that plan while the tables grow: in a 10 s
/// benchmark it read 14–25 million index entries (BENCHMARKS.md).
macro_rules! merchantcard_of_number {
    ($mc:literal) => {
        concat!(
            $mc,
            ".card_id = (SELECT id FROM cards WHERE cardnumber = $2) AND (",
            $mc,
            ".merchant_id = $1) IS TRUE"
        )
    };
}

/// The merchant card of a smart transaction's `cardnumber` at the transaction's merchant (`$1` the
/// transaction), found as [`merchantcard_of_number`] finds it: the number and the merchant are read
/// from the transaction's row in SQL, so this statement can go out together with the one that locks
/// that row. Each read is a scalar subquery of one key (the row's, then the card's), the shape of
/// [`merchantcard_of_number`]; `tests/plans.rs` holds both to probes with plans made on tables
/// that were nearly empty.
macro_rules! merchantcard_of_stx {
    ($mc:literal) => {
        concat!(
            $mc,
            ".card_id = (SELECT id FROM cards WHERE cardnumber = \
             (SELECT cardnumber FROM smart_transactions WHERE id = $1)) AND (",
            $mc,
            ".merchant_id = (SELECT merchant_id FROM smart_transactions WHERE id = $1)) IS TRUE"
        )
    };
}

/// A merchant card with its card and customer in one row: the card's columns as `c_…`, the
/// customer's as `cu_…` (NULL when there is none), the merchant card found by `$which`.
macro_rules! full_merchantcard_query {
    ($which:expr, $lock:expr) => {
        concat!(
            "SELECT mc.*, c.id AS c_id, c.cardnumber AS c_cardnumber, \
             c.created AS c_created, cu.id AS cu_id, cu.merchant_id AS cu_merchant_id, \
             cu.merchant_contact AS cu_merchant_contact, cu.customernumber AS cu_customernumber, \
             cu.note AS cu_note, cu.consent AS cu_consent, cu.additional_data AS cu_additional_data, \
             cu.created AS cu_created \
             FROM merchantcards mc JOIN cards c ON c.id = mc.card_id \
             LEFT JOIN customers cu ON cu.id = mc.customer_id \
             WHERE ",
            $which,
            $lock
        )
    };
}

/// The live-token lookup every authenticated request makes. A token of a revoked client or device
/// or of a disabled user is dead even if a grant that raced with the revocation wrote it (one
/// statement still: primary-key probes, and only on a cache miss).
macro_rules! live_token_query {
    () => {
        concat!(
            "SELECT ",
            token_cols!(),
            " FROM access_tokens WHERE token_hash = $1 AND revoked = $2 \
             AND NOT EXISTS (SELECT 1 FROM api_clients c \
                 WHERE c.client_id = access_tokens.client_id AND c.revoked_at IS NOT NULL) \
             AND NOT EXISTS (SELECT 1 FROM devices d \
                 WHERE d.id = access_tokens.device_id AND d.revoked_at IS NOT NULL) \
             AND NOT EXISTS (SELECT 1 FROM users u \
                 WHERE u.id = access_tokens.user_id AND u.disabled_at IS NOT NULL)"
        )
    };
}
