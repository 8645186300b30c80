//! The users page (office.md §2 "Users", admin): the merchant's users — create, set role, disable,
//! reset password. An admin cannot change their own role or disable themselves, so a merchant
//! always keeps the admin who is acting. Passwords are hashed (Argon2id, tens of milliseconds) by
//! [`hashed`] before the unit of work, never inside it.

use loyalpos_store::{OfficeUserListRow, Tx, UserEntry};

use crate::admin::disable_user;
use crate::error::{ApiError, ApiResult};
use crate::office::{OfficeUser, Role, audit};
use crate::operator::{OperatorError, insert_user};
use crate::secret::hash_password;

/// The shortest password the office sets (a loyalpos rule).
pub const MIN_PASSWORD: usize = 10;

/// The merchant's users (admin).
pub fn users(tx: &mut dyn Tx, user: &OfficeUser) -> ApiResult<Vec<OfficeUserListRow>> {
    user.require_admin()?;
    Ok(tx.merchant_users(&user.merchant_id)?)
}

/// A password the office may set, hashed; too short answers 400.
pub fn hashed(password: &str) -> ApiResult<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(ApiError::bad_request(format!(
            "password: at least {MIN_PASSWORD} characters"
        )));
    }
    Ok(hash_password(password))
}

/// A new user of the merchant with `role`; returns its account id.
pub fn create(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    username: &str,
    password_hash: &str,
    role: &str,
    now: i64,
) -> ApiResult<String> {
    user.require_admin()?;
    let role = parse_role(role)?;
    let username = username.trim();
    if username.is_empty() {
        return Err(ApiError::bad_request("username: must not be empty"));
    }
    let id = insert_user(tx, &user.merchant_id, username, password_hash, role, now).map_err(
        |e| match e {
            OperatorError::Taken(what) => ApiError::bad_request(format!("{what} is already taken")),
            e => ApiError::internal(e.to_string()),
        },
    )?;
    audit(tx, user, "user_create", username, role.as_str(), now)?;
    Ok(id)
}

pub fn set_role(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    role: &str,
    now: i64,
) -> ApiResult<()> {
    let target = other_user(tx, user, id)?;
    let role = parse_role(role)?;
    tx.set_user_role(&target.id, role.as_str())?;
    audit(tx, user, "user_role", &target.username, role.as_str(), now)?;
    Ok(())
}

/// Disables the user: no sign-in (office or appuser grant), tokens and office sessions end.
pub fn disable(tx: &mut dyn Tx, user: &OfficeUser, id: &str, now: i64) -> ApiResult<()> {
    let target = other_user(tx, user, id)?;
    disable_user(tx, &target.id, now).map_err(|e| ApiError::internal(e.to_string()))?;
    audit(tx, user, "user_disable", &target.username, "", now)?;
    Ok(())
}

/// Sets a new password (hashed by [`hashed`]); the user's office sessions end.
pub fn reset_password(
    tx: &mut dyn Tx,
    user: &OfficeUser,
    id: &str,
    password_hash: &str,
    now: i64,
) -> ApiResult<()> {
    let target = other_user(tx, user, id)?;
    tx.update_user_password(&target.id, password_hash)?;
    tx.end_office_sessions_of(&target.id)?;
    audit(tx, user, "user_password", &target.username, "", now)?;
    Ok(())
}

fn parse_role(role: &str) -> ApiResult<Role> {
    Role::parse(role).ok_or_else(|| ApiError::bad_request("role: must be admin or staff"))
}

/// Another user of the admin's merchant (404 for any other merchant's; 400 for oneself).
fn other_user(tx: &mut dyn Tx, user: &OfficeUser, id: &str) -> ApiResult<UserEntry> {
    user.require_admin()?;
    let target = tx
        .user_entry(id)?
        .filter(|u| u.id == id && u.merchant_id == user.merchant_id)
        .ok_or_else(|| ApiError::not_found("users", id))?;
    if target.id == user.user_id {
        return Err(ApiError::bad_request(
            "you cannot change your own role, password or access here",
        ));
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_office_sets_no_password_shorter_than_ten_characters() {
        assert!(hashed("kurz").is_err());
        assert!(hashed("123456789").is_err());
        assert!(hashed("zehn-zeichen").unwrap().starts_with("$argon2id$"));
    }
}
