//! Identifiers, tokens and secret hashing. Everything random comes from the thread-local CSPRNG
//! (ChaCha, seeded by the operating system).

use rand::Rng;
use sha2::{Digest, Sha256};

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
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

/// `STX_` + 30 chars `[A-Z0-9]`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_from(UPPER_ALNUM, 30))
}

pub fn is_id(value: &str, prefix: &str) -> bool {
    value.len() == prefix.len() + 31
        && value.starts_with(prefix)
        && value.as_bytes()[prefix.len()] == b'_'
        && value[prefix.len() + 1..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

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
pub fn random_digits(len: usize) -> String {
    random_from(b"0123456789", len)
}

/// Lookup hash of a high-entropy bearer secret (access/refresh token, device code): unsalted so the
/// row can be found by it; the secret's entropy is what protects it.
pub fn lookup_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Salted hash of a secret that is verified, never looked up (client secrets, passwords, PINs,
/// passcodes, CSCs). Format `s256$<salt>$<hex>`.
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
    fn hashed_secrets_verify_only_the_original() {
        let stored = hash_secret("CxajtF94uLi4s7d3");
        assert!(verify_secret("CxajtF94uLi4s7d3", &stored));
        assert!(!verify_secret("CxajtF94uLi4s7d4", &stored));
        assert_ne!(hash_secret("x"), hash_secret("x"), "salted");
        assert!(!verify_secret("x", "garbage"));
    }
}
