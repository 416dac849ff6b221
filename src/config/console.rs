//! `[console]`: people who sign in to the operator console with a name and a password,
//! besides the API's tokens.

use serde::Deserialize;

use super::{Scope, TokenSecret};

/// `[console]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// `[[console.users]]`: sign-ins by name and password.
    #[serde(default)]
    pub users: Vec<ConsoleUser>,
}

/// One person (or desk) who signs in by name and password.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleUser {
    /// The name typed at sign-in; shown in audit trails as `console:<name>`.
    pub name: String,
    /// The password's Argon2 hash as a PHC string (`smsgw hash-password` makes one); the
    /// password itself is never configured.
    pub password_hash: TokenSecret,
    /// What the user may do; `read` and `send` (look, reply, cancel) when absent.
    #[serde(default = "front_desk")]
    pub scopes: Vec<Scope>,
}

fn front_desk() -> Vec<Scope> {
    vec![Scope::Read, Scope::Send]
}

/// Longest user name.
pub const MAX_USER_NAME: usize = 64;

#[cfg(test)]
mod tests {
    use super::super::Config;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$J+FBeJxgu8VKVcbJAz1FnA$5/xKPI1Bxc8Y25t5XDxB10w9oTVgwlMKF9EFmuRNOT8";

    fn load(users: &str, tokens: bool) -> Result<Config, String> {
        let tokens = if tokens {
            "[server]\ntokens = [\"api-token-0123456789\"]\n"
        } else {
            ""
        };
        Config::from_toml(&format!("{tokens}{users}")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_console_user_should_default_to_the_front_desk_scopes() {
        let c = load(
            &format!("[[console.users]]\nname = \"reception\"\npassword_hash = \"{HASH}\"\n"),
            true,
        )
        .unwrap();
        assert_eq!(
            c.console.users[0].scopes,
            [super::Scope::Read, super::Scope::Send]
        );
    }

    #[test]
    fn a_plain_password_a_duplicate_name_or_users_without_tokens_should_be_refused() {
        let e = load(
            "[[console.users]]\nname = \"reception\"\npassword_hash = \"hunter22\"\n",
            true,
        )
        .unwrap_err();
        assert!(
            e.contains("console.users[0].password_hash") && e.contains("hash-password"),
            "{e}"
        );
        let twice = format!(
            "[[console.users]]\nname = \"a\"\npassword_hash = \"{HASH}\"\n[[console.users]]\nname = \"a\"\npassword_hash = \"{HASH}\"\n"
        );
        let e = load(&twice, true).unwrap_err();
        assert!(e.contains("console.users[1].name"), "{e}");
        let e = load(
            &format!("[[console.users]]\nname = \"a\"\npassword_hash = \"{HASH}\"\n"),
            false,
        )
        .unwrap_err();
        assert!(e.contains("server.tokens"), "{e}");
    }
}
