//! `server.tokens`: bearer tokens with scopes.
//!
//! A token is either a plain string (every scope, as in earlier configurations) or a table
//! `{ name = "crm", token = "…", scopes = ["send", "read"] }`. The secret's `Debug` output is
//! redacted, so a configuration printed to a log never shows a token.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Submit and cancel messages (`POST /v1/messages`, batch, `DELETE`, Kannel `sendsms`).
    Send,
    /// Read messages, the inbox (and acknowledge it), metrics and the console.
    Read,
    /// Everything, including webhook dead-letter replay.
    Admin,
}

/// Every scope: what a plain-string token gets.
pub const ALL_SCOPES: [Scope; 3] = [Scope::Send, Scope::Read, Scope::Admin];

/// A secret (API token, webhook signing key); never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct TokenSecret(pub String);

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(<redacted>)")
    }
}

/// One accepted bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// A label for people (which application holds it); never the secret.
    pub name: Option<String>,
    /// The secret presented as `Authorization: Bearer <token>`.
    pub secret: TokenSecret,
    /// What it may do.
    pub scopes: Vec<Scope>,
}

impl ApiToken {
    /// A token with every scope.
    pub fn full(secret: &str) -> Self {
        Self {
            name: None,
            secret: TokenSecret(secret.to_string()),
            scopes: ALL_SCOPES.to_vec(),
        }
    }

    /// Whether it may do what `scope` covers (`admin` covers everything).
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&Scope::Admin) || self.scopes.contains(&scope)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopedToken {
    #[serde(default)]
    name: Option<String>,
    token: TokenSecret,
    scopes: Vec<Scope>,
}

impl<'de> Deserialize<'de> for ApiToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ApiToken;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a token string or a table { name, token, scopes }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ApiToken, E> {
                Ok(ApiToken::full(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ApiToken, A::Error> {
                let t = ScopedToken::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(ApiToken {
                    name: t.name,
                    secret: t.token,
                    scopes: t.scopes,
                })
            }
        }
        d.deserialize_any(V)
    }
}
