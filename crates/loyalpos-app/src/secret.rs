//! Identifiers, tokens and secret hashing. Everything random comes from the thread-local CSPRNG
//! (ChaCha, seeded by the operating system).

use rand::Rng;
use sha2::{Digest, Sha256};

/// Also the base-36 digits of [`base36`]: in ASCII order, so numeric order is string order.
const UPPER_ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    hex::encode(buf)
}

/// `STX_` + 30 chars `[A-Z0-9]`: the milliseconds since 1970 in 9 base-36 digits, then 21 random
/// characters (108 bits). Time first because ids are primary keys: ids made one after another sort
/// next to each other, so an insert lands on the right edge of the key's index, a page every commit
/// of a batch shares, instead of on a random page of its own.
pub fn new_id(prefix: &str) -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    format!(
        "{prefix}_{}{}",
        base36(millis, 9),
        random_from(UPPER_ALNUM, 21)
    )
}

/// `value` in `width` base-36 digits `[0-9A-Z]`, most significant first; the digits ascend in ASCII,
/// so numeric order is string order. Wider values keep their low digits.
fn base36(mut value: u128, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = UPPER_ALNUM[(value % 36) as usize];
        value /= 36;
    }
    String::from_utf8(out).expect("base-36 digits are ASCII")
}

pub use loyalpos_domain::ids::is_id;

pub fn new_access_token() -> String {
    random_from(LOWER_ALNUM, 26)
}
pub fn new_refresh_token() -> String {
    random_hex(20)
}
pub fn new_device_code() -> String {
    random_hex(16)
}
pub fn new_user_code() -> String {
    random_from(LOWER_ALNUM, 8)
}
pub fn new_support_id() -> String {
    random_hex(16)
}
pub fn new_client_secret() -> String {
    random_hex(32)
}
pub fn new_client_id() -> String {
    random_hex(16)
}
/// A back-office session id (the cookie's value) or CSRF token: 256 random bits.
pub fn new_session_secret() -> String {
    random_hex(32)
}
pub fn random_digits(len: usize) -> String {
    random_from(b"0123456789", len)
}

/// Lookup hash of a high-entropy bearer secret (access/refresh token, device code): unsalted so the
/// row can be found by it; the secret's entropy is what protects it.
pub fn lookup_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Salted hash of a secret that is verified, never looked up (client secrets, device PINs,
/// passcodes, CSCs; user passwords use [`hash_password`]). Format `s256$<salt>$<hex>`. A client
/// secret is 256 random bits, so one round suffices; a PIN, passcode or CSC is checked inside the
/// booking's unit of work, where a slow hash would hold the card's lock (README "Security").
pub fn hash_secret(secret: &str) -> String {
    let salt = random_hex(16);
    format!("s256${salt}${}", salted(&salt, secret))
}

pub fn verify_secret(secret: &str, stored: &str) -> bool {
    let mut parts = stored.splitn(3, '$');
    let (Some("s256"), Some(salt), Some(expected)) = (parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    constant_time_eq(salted(salt, secret).as_bytes(), expected.as_bytes())
}

fn salted(salt: &str, secret: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b"\0");
    h.update(secret.as_bytes());
    hex::encode(h.finalize())
}

/// Argon2id cost of a user password (README "Security"): 19 MiB, 2 passes, 1 lane — the OWASP
/// minimum for Argon2id, about 50 ms on one core of a release build.
const PASSWORD_MEMORY_KIB: u32 = 19 * 1024;
const PASSWORD_PASSES: u32 = 2;
const PASSWORD_LANES: u32 = 1;

fn password_hasher() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(PASSWORD_MEMORY_KIB, PASSWORD_PASSES, PASSWORD_LANES, None)
        .expect("constant Argon2 parameters are valid");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// A user password as an Argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`).
pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt[..]);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes are a valid salt");
    password_hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2id of a password with a fresh salt")
        .to_string()
}

/// How a password compared with its stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Wrong,
    Right,
    /// Right, but stored in an older or weaker form: store [`hash_password`] of it now.
    RightButOutdated,
}

/// Verifies a password against an Argon2id PHC string or a hash of the older `s256$` scheme.
pub fn verify_password(password: &str, stored: &str) -> PasswordCheck {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    if stored.starts_with("s256$") {
        return match verify_secret(password, stored) {
            true => PasswordCheck::RightButOutdated,
            false => PasswordCheck::Wrong,
        };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return PasswordCheck::Wrong;
    };
    if password_hasher()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return PasswordCheck::Wrong;
    }
    let current = parsed.algorithm.as_str() == "argon2id"
        && argon2::Params::try_from(&parsed).is_ok_and(|p| {
            p.m_cost() >= PASSWORD_MEMORY_KIB
                && p.t_cost() >= PASSWORD_PASSES
                && p.p_cost() >= PASSWORD_LANES
        });
    if current {
        PasswordCheck::Right
    } else {
        PasswordCheck::RightButOutdated
    }
}

/// Compares without an early exit, so timing does not reveal how much of a secret matched.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_thirty_upper_alphanumerics() {
        let id = new_id("STX");
        assert!(is_id(&id, "STX"), "{id}");
        assert!(!is_id("STX_abc", "STX"));
        assert!(!is_id(&id, "LTX"));
    }

    #[test]
    fn ids_made_later_sort_after_earlier_ones() {
        let earlier = new_id("LTX");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = new_id("LTX");
        assert!(earlier < later, "{earlier} !< {later}");
        assert_ne!(earlier[13..], later[13..], "the random part differs");
    }

    #[test]
    fn base36_digits_keep_numeric_order_as_string_order() {
        assert_eq!(base36(0, 3), "000");
        assert_eq!(base36(35, 3), "00Z");
        assert_eq!(base36(36, 3), "010");
        assert_eq!(
            base36(36u128.pow(3), 3),
            "000",
            "wider values keep their low digits"
        );
        assert!(base36(1_799_999_999_999, 9) < base36(1_800_000_000_000, 9));
    }

    #[test]
    fn token_formats_match_the_contract() {
        let t = new_access_token();
        assert_eq!(t.len(), 26);
        assert!(
            t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_eq!(new_refresh_token().len(), 40);
        assert_eq!(new_device_code().len(), 32);
        assert_eq!(new_user_code().len(), 8);
        assert_eq!(new_support_id().len(), 32);
    }

    #[test]
    fn passwords_are_argon2id_and_old_hashes_ask_for_an_upgrade() {
        let stored = hash_password("demo");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert_eq!(verify_password("demo", &stored), PasswordCheck::Right);
        assert_eq!(verify_password("dem0", &stored), PasswordCheck::Wrong);
        let old = hash_secret("demo");
        assert_eq!(
            verify_password("demo", &old),
            PasswordCheck::RightButOutdated
        );
        assert_eq!(verify_password("dem0", &old), PasswordCheck::Wrong);
        assert_eq!(verify_password("demo", "garbage"), PasswordCheck::Wrong);
    }

    #[test]
    fn hashed_secrets_verify_only_the_original() {
        let stored = hash_secret("CxajtF94uLi4s7d3");
        assert!(verify_secret("CxajtF94uLi4s7d3", &stored));
        assert!(!verify_secret("CxajtF94uLi4s7d4", &stored));
        assert_ne!(hash_secret("x"), hash_secret("x"), "salted");
        assert!(!verify_secret("x", "garbage"));
    }
}
