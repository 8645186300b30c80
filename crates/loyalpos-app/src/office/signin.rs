//! Signing in to the office (office.md §1): Argon2id passwords (older hashes upgraded at sign-in),
//! a lockout after failures, server-side sessions with idle and absolute timeouts, CSRF tokens
//! bound to the session.
//!
//! A sign-in is two units of work around the password check: [`begin`] reads the lockout and the
//! user, the edge verifies the password off the store's threads (Argon2id takes tens of
//! milliseconds of CPU that must not hold the SQLite writer), and [`finish`] records the verdict.

use loyalpos_domain::ids::MerchantId;
use loyalpos_store::{OfficeSessionRow, OfficeUserRow, StoreError, Tx};

use crate::demo_ids::DEMO_USER_ID;
use crate::office::{OfficeUser, Role, audit};
use crate::secret::{
    PasswordCheck, constant_time_eq, hash_password, lookup_hash, new_session_secret,
};

/// Failures within [`LOCKOUT_SECONDS`] that lock a username…
pub const MAX_FAILURES: i64 = 5;
/// …for this long after the one that locked it.
pub const LOCKOUT_SECONDS: i64 = 15 * 60;
/// A session ends after this long without a request…
pub const IDLE_SECONDS: i64 = 30 * 60;
/// …and this long after sign-in in any case.
pub const ABSOLUTE_SECONDS: i64 = 12 * 60 * 60;
/// A session's last request time is written at most this often (a page view is a read).
const TOUCH_SECONDS: i64 = 60;

/// What [`begin`] found.
#[derive(Debug, Clone)]
pub enum Attempt {
    /// The username is locked: no password is checked.
    LockedOut,
    /// Check the password against this user (`None`: no such user; the edge still spends the time
    /// of a check, so that the answer does not tell whether the username exists).
    Check(Option<OfficeUserRow>),
}

/// Reads the lockout and the user. The demo user's public password signs in only on a demo
/// installation (`demo`), as for the appuser grant: elsewhere it is no user.
pub fn begin(tx: &mut dyn Tx, username: &str, demo: bool, now: i64) -> Result<Attempt, StoreError> {
    if locked_out(&latest_failures(tx, username)?, now) {
        return Ok(Attempt::LockedOut);
    }
    let user = tx.office_user(username)?;
    Ok(Attempt::Check(
        user.filter(|u| demo || u.id != DEMO_USER_ID),
    ))
}

fn latest_failures(tx: &mut dyn Tx, username: &str) -> Result<Vec<i64>, StoreError> {
    tx.latest_sign_in_failures(username, MAX_FAILURES)
}

/// Locked: the newest failure made [`MAX_FAILURES`] within [`LOCKOUT_SECONDS`], and it is less than
/// [`LOCKOUT_SECONDS`] old. (Attempts while locked are not recorded, so the newest failure is the
/// one that locked.) `failures` are the latest failure times, newest first.
fn locked_out(failures: &[i64], now: i64) -> bool {
    let max = MAX_FAILURES as usize;
    match (failures.first(), failures.get(max - 1)) {
        (Some(newest), Some(oldest)) => {
            newest - oldest < LOCKOUT_SECONDS && now - newest < LOCKOUT_SECONDS
        }
        _ => false,
    }
}

/// The password check of an [`Attempt::Check`], made by the edge.
#[derive(Debug, Clone)]
pub enum Verdict {
    Wrong,
    /// The password matches; a stored hash of an older form comes with its Argon2id replacement.
    Right {
        upgraded_hash: Option<String>,
    },
}

/// Checks `password` against the user's stored hash (or a dummy one, for an unknown user).
/// Blocking: Argon2id on purpose takes time.
pub fn verify(user: Option<&OfficeUserRow>, password: &str) -> Verdict {
    let Some(user) = user else {
        let _ = crate::secret::verify_password(password, dummy_hash());
        return Verdict::Wrong;
    };
    match crate::secret::verify_password(password, &user.password_hash) {
        PasswordCheck::Wrong => Verdict::Wrong,
        PasswordCheck::Right => Verdict::Right {
            upgraded_hash: None,
        },
        PasswordCheck::RightButOutdated => Verdict::Right {
            upgraded_hash: Some(hash_password(password)),
        },
    }
}

fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("no user has this password"))
}

/// The role of the installation's operator (a user without a merchant).
pub const OPERATOR_ROLE: &str = "operator";

/// Who signed in.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: String,
    pub username: String,
    /// The installation's operator: no merchant of its own, sees every merchant and works in the
    /// one it switched into.
    pub operator: bool,
}

impl Account {
    /// The operator acting for `merchant_id`, as its admin.
    pub fn acting_for(&self, merchant_id: MerchantId) -> OfficeUser {
        OfficeUser {
            user_id: self.user_id.clone(),
            username: self.username.clone(),
            role: Role::Admin,
            merchant_id,
            operator: true,
        }
    }
}

/// Who a user is, and whom its pages act as: a merchant user acts as itself at its merchant; the
/// operator acts for the merchant its session switched into, if any. A user without a merchant
/// that is not the operator acts for none.
fn seat(
    user_id: &str,
    username: &str,
    role: &str,
    merchant_id: Option<MerchantId>,
    switched: Option<MerchantId>,
) -> (Account, Option<OfficeUser>) {
    let account = Account {
        user_id: user_id.to_owned(),
        username: username.to_owned(),
        operator: merchant_id.is_none() && role == OPERATOR_ROLE,
    };
    let user = match merchant_id {
        Some(merchant_id) => Some(OfficeUser {
            user_id: user_id.to_owned(),
            username: username.to_owned(),
            role: role_of(role),
            merchant_id,
            operator: false,
        }),
        None if account.operator => switched.map(|m| account.acting_for(m)),
        None => None,
    };
    (account, user)
}

/// A new session: the cookie's value (only its hash is stored) and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub session_id: String,
    pub csrf: String,
    pub account: Account,
}

#[derive(Debug, Clone)]
pub enum SignIn {
    SignedIn(NewSession),
    /// Wrong username or password (which of them is not told).
    Refused,
    /// Too many failures: the username is locked for [`LOCKOUT_SECONDS`].
    LockedOut,
}

/// Records the verdict on `user` (as [`begin`] read it): a failure counts towards the lockout; a
/// success forgets the failures, upgrades an old password hash and starts a session.
pub fn finish(
    tx: &mut dyn Tx,
    username: &str,
    user: Option<&OfficeUserRow>,
    verdict: Verdict,
    lang: Option<&str>,
    now: i64,
) -> Result<SignIn, StoreError> {
    let mut failures = latest_failures(tx, username)?;
    if locked_out(&failures, now) {
        return Ok(SignIn::LockedOut);
    }
    let (user, upgraded_hash) = match (user, verdict) {
        (Some(user), Verdict::Right { upgraded_hash }) => (user, upgraded_hash),
        _ => {
            tx.record_sign_in_failure(username, now)?;
            failures.insert(0, now);
            return Ok(if locked_out(&failures, now) {
                SignIn::LockedOut
            } else {
                SignIn::Refused
            });
        }
    };
    // A lock can rest on failures up to twice the window old: older ones never count again.
    tx.clear_sign_in_failures(username, now - 2 * LOCKOUT_SECONDS)?;
    tx.purge_office_sessions(now - IDLE_SECONDS, now - ABSOLUTE_SECONDS)?;
    if let Some(hash) = upgraded_hash {
        tx.update_user_password(&user.id, &hash)?;
    }
    let session_id = new_session_secret();
    let csrf = new_session_secret();
    tx.insert_office_session(&lookup_hash(&session_id), &user.id, &csrf, lang, now)?;
    let (account, office_user) = seat(
        &user.id,
        &user.username,
        &user.role,
        user.merchant_id.clone(),
        None,
    );
    // The operator belongs to no merchant's trail until it switches into one.
    if let Some(office_user) = &office_user {
        audit(tx, office_user, "sign_in", &user.id, "", now)?;
    }
    Ok(SignIn::SignedIn(NewSession {
        session_id,
        csrf,
        account,
    }))
}

/// An unknown role grants the least.
fn role_of(role: &str) -> Role {
    Role::parse(role).unwrap_or(Role::Staff)
}

/// A live session as a page sees it.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    /// Who signed in.
    pub account: Account,
    /// Whom the pages act as; `None`: the operator has not switched into a merchant.
    pub user: Option<OfficeUser>,
    /// The name of the merchant the operator switched into.
    pub merchant_name: Option<String>,
    pub csrf: String,
    pub lang: Option<String>,
    last_seen: i64,
}

impl Session {
    /// True when the form's token is the session's (compared in constant time).
    pub fn csrf_matches(&self, token: &str) -> bool {
        constant_time_eq(self.csrf.as_bytes(), token.as_bytes())
    }

    /// True when this request should write the session's last request time or language.
    pub fn needs_touch(&self, now: i64, lang: Option<&str>) -> bool {
        now - self.last_seen >= TOUCH_SECONDS || (lang.is_some() && lang != self.lang.as_deref())
    }
}

/// The session of this cookie value, unless unknown, idle for [`IDLE_SECONDS`], older than
/// [`ABSOLUTE_SECONDS`], or its user was disabled.
pub fn session(tx: &mut dyn Tx, session_id: &str, now: i64) -> Result<Option<Session>, StoreError> {
    let Some(row) = tx.office_session(&lookup_hash(session_id))? else {
        return Ok(None);
    };
    if now - row.last_seen >= IDLE_SECONDS || now - row.created >= ABSOLUTE_SECONDS {
        return Ok(None);
    }
    Ok(Some(session_of(row)))
}

fn session_of(row: OfficeSessionRow) -> Session {
    let (account, user) = seat(
        &row.user_id,
        &row.username,
        &row.role,
        row.merchant_id,
        row.switched_merchant_id,
    );
    Session {
        merchant_name: user
            .as_ref()
            .filter(|u| u.operator)
            .and(row.switched_merchant_name),
        account,
        user,
        id_hash: row.id_hash,
        csrf: row.csrf,
        lang: row.lang,
        last_seen: row.last_seen,
    }
}

/// Keeps the session alive (and its language choice).
pub fn touch(
    tx: &mut dyn Tx,
    session: &Session,
    lang: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    let lang = lang.or(session.lang.as_deref());
    tx.touch_office_session(&session.id_hash, now, lang)
}

/// "Sign out": the session ends at once.
pub fn sign_out(tx: &mut dyn Tx, session: &Session, now: i64) -> Result<(), StoreError> {
    tx.delete_office_session(&session.id_hash)?;
    match &session.user {
        Some(user) => audit(tx, user, "sign_out", &user.user_id, "", now),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60;

    #[test]
    fn five_failures_within_15_minutes_lock_for_15_minutes_after_the_fifth() {
        let failures = [14 * MIN, 3 * MIN, 2 * MIN, MIN, 0];
        assert!(locked_out(&failures, 14 * MIN));
        assert!(
            locked_out(&failures, 28 * MIN + 59),
            "15 minutes after the fifth, not the first"
        );
        assert!(!locked_out(&failures, 29 * MIN));
    }

    #[test]
    fn four_failures_or_five_spread_over_more_than_15_minutes_do_not_lock() {
        assert!(!locked_out(&[3 * MIN, 2 * MIN, MIN, 0], 3 * MIN));
        assert!(!locked_out(&[15 * MIN, 3 * MIN, 2 * MIN, MIN, 0], 15 * MIN));
    }
}
