//! The audit trail's vocabulary: who changed what through the API.

use serde::{Deserialize, Serialize};

use super::{MessageId, Timestamp};

/// Who made a request: the name of the token (never its secret), the Kannel user, or the
/// open loopback API when no tokens are configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor(pub String);

/// One write made through the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Time-ordered id (the message id scheme), also the listing cursor.
    pub id: MessageId,
    /// When the request was answered.
    pub at: Timestamp,
    /// Who made it.
    pub actor: String,
    /// The client's address as the server saw it (a reverse proxy's, behind one).
    pub client: String,
    /// `POST`, `PUT`, `DELETE`, …
    pub method: String,
    /// The path, with the query only where it names what was changed (cancel by reference);
    /// never a Kannel password.
    pub path: String,
    /// The HTTP status of the answer: refused writes are recorded too.
    pub status: u16,
    /// What was created or changed, where the path does not say (new message ids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}
