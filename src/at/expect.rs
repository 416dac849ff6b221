//! What the driver tells the digester about the command in flight.

/// Description of the command in flight, used to separate its echo and answer
/// lines from unsolicited result codes (V.250 §5.2.3 echo, §5.7 responses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Expect {
    /// The command line as sent, without the terminating CR (compared to echo).
    pub command: String,
    /// Text sent after the `> ` prompt (the PDU hex), also compared to echo.
    pub body: Option<String>,
    /// Information-line prefixes belonging to this command, such as `+CMGL:`.
    pub prefixes: Vec<String>,
    /// Whether a `> ` prompt is expected (TS 27.005 §3.5.1 `+CMGS`).
    pub prompt: bool,
    /// Whether each prefixed line is followed by a PDU line (TS 27.005 §3.4.2/§3.4.3).
    pub pdu_follows: bool,
}

impl Expect {
    /// Expect the answer to `command` (no prefixes, no prompt).
    pub fn new(command: impl Into<String>) -> Self {
        Expect {
            command: command.into(),
            ..Expect::default()
        }
    }

    /// Add an information-line prefix such as `+CSQ:`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefixes.push(prefix.into());
        self
    }

    /// Expect a `> ` prompt, after which `body` will be sent.
    #[must_use]
    pub fn prompt(mut self, body: impl Into<String>) -> Self {
        self.prompt = true;
        self.body = Some(body.into());
        self
    }

    /// Each prefixed line is followed by one PDU line.
    #[must_use]
    pub fn pdu_follows(mut self) -> Self {
        self.pdu_follows = true;
        self
    }

    /// The prefix of `line`, if it is one of ours.
    pub(crate) fn matching_prefix(&self, line: &str) -> Option<&str> {
        self.prefixes
            .iter()
            .find(|p| {
                line.get(..p.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(p))
            })
            .map(String::as_str)
    }

    /// Whether `line` is the echo of the command line or of the body.
    pub(crate) fn is_echo(&self, line: &str) -> bool {
        let l = line.trim_end();
        (!self.command.is_empty() && l.eq_ignore_ascii_case(self.command.trim_end()))
            || self
                .body
                .as_deref()
                .is_some_and(|b| !b.is_empty() && l.eq_ignore_ascii_case(b.trim_end()))
    }
}
