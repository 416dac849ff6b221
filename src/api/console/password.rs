//! Console users' passwords: Argon2id hashes as PHC strings. Only hashes are configured
//! (`[[console.users]] password_hash`, made by `smsgw hash-password`); checking one costs tens
//! of milliseconds of CPU on purpose, so callers run it off the async runtime.

use std::sync::OnceLock;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use crate::config::ConsoleUser;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The system's random source failed (no salt).
    #[error("the system's random source failed: {0}")]
    Random(String),
    /// Argon2 refused (a password over its length limit).
    #[error("cannot hash this password: {0}")]
    Hash(String),
}

/// The PHC string of `password`, with a fresh random salt and Argon2id's default costs.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| PasswordError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc` (with the costs written in it).
pub fn matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .and_then(|h| Argon2::default().verify_password(password.as_bytes(), &h))
        .is_ok()
}

/// A hash no password is known for, checked when the name is unknown, so a wrong name takes as
/// long as a wrong password and does not tell which names exist.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash("no user has this password").unwrap_or_default())
}

/// The user `name` signs in as, if `password` is theirs. Blocking (Argon2): call off the
/// runtime.
pub fn sign_in<'a>(
    users: &'a [ConsoleUser],
    name: &str,
    password: &str,
) -> Option<&'a ConsoleUser> {
    match users.iter().find(|u| u.name == name) {
        Some(u) => matches(password, &u.password_hash.0).then_some(u),
        None => {
            let _ = matches(password, decoy());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Scope, TokenSecret};

    #[test]
    fn a_hash_should_take_its_password_and_no_other() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(matches("correct horse", &h));
        assert!(!matches("correct hors", &h));
        assert_ne!(h, hash("correct horse").unwrap(), "salted");
        assert!(!matches("x", "not a hash"));
    }

    #[test]
    fn signing_in_should_need_the_right_name_and_password() {
        let users = vec![ConsoleUser {
            name: "reception".into(),
            password_hash: TokenSecret(hash("s3cret-desk").unwrap()),
            scopes: vec![Scope::Read],
        }];
        assert_eq!(
            sign_in(&users, "reception", "s3cret-desk").map(|u| u.name.as_str()),
            Some("reception")
        );
        assert!(sign_in(&users, "reception", "wrong").is_none());
        assert!(sign_in(&users, "nobody", "s3cret-desk").is_none());
    }
}
