//! The streaming digester: bytes from the modem in, [`Event`]s out.
//!
//! Framing follows V.250 §5.7.1 (`<CR><LF>text<CR><LF>`), but any run of CR
//! and LF is accepted as a line end because echo ends with a bare CR, V0
//! results have no leading CR LF, and some firmware doubles the CR. The
//! `> ` prompt (TS 27.005 §3.5.1) has no line end; it is recognised — as
//! soon as its `>` arrives, with or without the space — only while the
//! command in flight expects a prompt that has not been seen yet. At any
//! other time a line starting with `>` is an ordinary line.

use super::event::{Event, FinalResult, Response};
use super::expect::Expect;
use super::frame::{Token, next_token};
use super::registration::{self, RegKind};
use super::urc::{self, Urc, UrcLine};

/// Default maximum line length in bytes.
///
/// The longest legitimate lines are: a PDU line (SMSC address 12 octets +
/// SMS-SUBMIT/DELIVER TPDU ≤ 164 octets = 352 hex digits), a `+CMGL` header
/// with a UCS2-hex phonebook alpha (a few hundred), `+COPS=?` operator lists
/// (about 1 KiB with many networks in range) and Huawei's one-line `+CLAC`
/// answer (about 1.3 KiB, recorded in python-gsmmodem's K3715 profile).
/// 4 KiB leaves headroom for all of these while bounding memory per port.
pub const DEFAULT_MAX_LINE: usize = 4096;

/// State of the command in flight.
#[derive(Debug)]
struct InFlight {
    expect: Expect,
    lines: Vec<String>,
    /// A prefixed line was seen and its PDU line has not arrived yet.
    awaiting_pdu: bool,
    /// The prompt has been delivered.
    prompted: bool,
}

/// Sans-IO parser of a modem's output stream.
///
/// Feed bytes with [`feed`](Self::feed), announce commands with
/// [`expect`](Self::expect), and drain [`next_event`](Self::next_event) until
/// it returns `None` ("need more bytes"). Never panics; every call to
/// `next_event` either consumes input or returns `None`.
#[derive(Debug)]
pub struct Digester {
    buf: Vec<u8>,
    pos: usize,
    max_line: usize,
    numeric: bool,
    /// Bytes discarded so far of an over-long line, while skipping to its end.
    discarding: Option<usize>,
    inflight: Option<InFlight>,
    /// Header of a two-line URC waiting for its body line.
    urc_header: Option<String>,
    /// A line to classify again (after a two-line URC header turned out bodiless).
    requeue: Option<String>,
}

impl Default for Digester {
    fn default() -> Self {
        Digester::new(DEFAULT_MAX_LINE)
    }
}

impl Digester {
    /// A digester that discards lines longer than `max_line` bytes (minimum 64).
    pub fn new(max_line: usize) -> Self {
        Digester {
            buf: Vec::with_capacity(512),
            pos: 0,
            max_line: max_line.max(64),
            numeric: false,
            discarding: None,
            inflight: None,
            urc_header: None,
            requeue: None,
        }
    }

    /// Also accept numeric (V0) final result codes `0`, `3`, `4`, `6`, `7`, `8` (V.250 §6.2.6).
    pub fn set_numeric_results(&mut self, numeric: bool) {
        self.numeric = numeric;
    }

    /// Announce the command just written to the modem. Replaces any previous
    /// in-flight command (its partial answer is dropped; use [`abandon`](Self::abandon) to keep it).
    pub fn expect(&mut self, cmd: &Expect) {
        self.inflight = Some(InFlight {
            expect: cmd.clone(),
            lines: Vec::new(),
            awaiting_pdu: false,
            prompted: false,
        });
    }

    /// Whether a command is in flight (no final result yet).
    pub fn is_busy(&self) -> bool {
        self.inflight.is_some()
    }

    /// Give up on the command in flight (driver timeout), returning what was
    /// collected with [`FinalResult::Abandoned`]. Needed for modems that answer
    /// `AT+CPIN?` without a final `OK`.
    pub fn abandon(&mut self) -> Option<Response> {
        self.inflight.take().map(|f| Response {
            lines: f.lines,
            result: FinalResult::Abandoned,
        })
    }

    /// Forget all buffered bytes and state (port reopened, modem power-cycled).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.pos = 0;
        self.discarding = None;
        self.inflight = None;
        self.urc_header = None;
        self.requeue = None;
    }

    /// Append bytes read from the port.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        } else if self.pos >= 4096 && self.pos * 2 >= self.buf.len() {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Number of buffered, not yet consumed bytes.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The next event, or `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(line) = self.requeue.take() {
                if let Some(ev) = self.classify(line) {
                    return Some(ev);
                }
                continue;
            }
            let input = self.buf.get(self.pos..).unwrap_or(&[]);
            if let Some(done) = self.discarding {
                match input.iter().position(|&b| b == b'\r' || b == b'\n') {
                    Some(i) => {
                        self.pos += i;
                        self.discarding = None;
                        return Some(Event::LineTooLong {
                            discarded: done + i,
                        });
                    }
                    None => {
                        self.discarding = Some(done + input.len());
                        self.pos = self.buf.len();
                        return None;
                    }
                }
            }
            let prompt = self
                .inflight
                .as_ref()
                .is_some_and(|f| f.expect.prompt && !f.prompted);
            match next_token(input, prompt, self.max_line) {
                Token::Incomplete => return None,
                Token::Skip(n) => self.pos += n,
                Token::TooLong(n) => {
                    self.pos += n;
                    self.discarding = Some(n);
                }
                Token::Prompt(n) => {
                    self.pos += n;
                    if let Some(f) = self.inflight.as_mut() {
                        f.prompted = true;
                    }
                    return Some(Event::Prompt);
                }
                Token::Line { len, garbage } => {
                    let raw = input.get(..len).unwrap_or(&[]);
                    let text = super::frame::clean(raw);
                    self.pos += len;
                    if text.trim().is_empty() {
                        if garbage > 0 {
                            return Some(Event::Garbage { bytes: garbage });
                        }
                        continue;
                    }
                    if let Some(ev) = self.classify(text) {
                        return Some(ev);
                    }
                }
            }
        }
    }

    /// Decide what a complete, non-empty line is.
    fn classify(&mut self, line: String) -> Option<Event> {
        if let Some(header) = self.urc_header.take() {
            if is_hex(&line) || !urc::header_wants_pdu(&header) {
                return Some(Event::Urc(urc::two_line(&header, &line)));
            }
            // No PDU after the header: keep the header, then look at this line afresh.
            self.requeue = Some(line);
            return Some(Event::Urc(Urc::Other(header)));
        }
        let numeric = self.numeric;
        if let Some(f) = self.inflight.as_mut() {
            if f.expect.is_echo(&line) {
                return None;
            }
            if f.awaiting_pdu && is_hex(&line) {
                f.awaiting_pdu = false;
                f.lines.push(line);
                return None;
            }
            if let Some(result) = FinalResult::parse(&line, numeric) {
                let lines = std::mem::take(&mut f.lines);
                self.inflight = None;
                return Some(Event::Response(Response { lines, result }));
            }
            if let Some(p) = f.expect.matching_prefix(&line) {
                if is_ours(p, &line) {
                    f.awaiting_pdu = f.expect.pdu_follows;
                    f.lines.push(line);
                    return None;
                }
            }
            return match urc::recognise(&line) {
                Some(UrcLine::Single(u)) => Some(Event::Urc(u)),
                Some(UrcLine::Header) => {
                    self.urc_header = Some(line);
                    None
                }
                None if looks_unsolicited(&line) => Some(Event::Urc(Urc::Other(line))),
                None => {
                    f.lines.push(line);
                    None
                }
            };
        }
        match urc::recognise(&line) {
            Some(UrcLine::Single(u)) => Some(Event::Urc(u)),
            Some(UrcLine::Header) => {
                self.urc_header = Some(line);
                None
            }
            None if FinalResult::parse(&line, numeric).is_some() => Some(Event::Stray(line)),
            None => Some(Event::Urc(Urc::Other(line))),
        }
    }
}

/// A prefixed line belongs to the command unless it is a registration URC
/// arriving during the matching read command (TS 27.007 §7.2: the read answer
/// has `<n>` first, the URC does not).
fn is_ours(prefix: &str, line: &str) -> bool {
    match RegKind::from_line(prefix) {
        Some((kind, _)) => {
            let params = super::fields::strip_prefix(line, kind.prefix()).unwrap_or("");
            registration::is_solicited_form(params)
        }
        None => true,
    }
}

/// Lines starting with `+`, `^`, `*` or `#` that are not ours are unsolicited;
/// plain lines during a command are its answer (IMEI digits, manufacturer …).
fn looks_unsolicited(line: &str) -> bool {
    matches!(line.as_bytes().first(), Some(b'+' | b'^' | b'*' | b'#'))
}

/// A PDU line: non-empty, even-length hexadecimal (TS 27.005 §3.1 `<pdu>`).
pub(crate) fn is_hex(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.len() % 2 == 0 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(d: &mut Digester) -> Vec<Event> {
        std::iter::from_fn(|| d.next_event()).collect()
    }

    #[test]
    fn csq_with_echo_should_yield_one_response() {
        let mut d = Digester::default();
        d.expect(&Expect::new("AT+CSQ").prefix("+CSQ:"));
        d.feed(b"AT+CSQ\r\r\n+CSQ: 21,0\r\n\r\nOK\r\n");
        assert_eq!(
            drain(&mut d),
            vec![Event::Response(Response {
                lines: vec!["+CSQ: 21,0".into()],
                result: FinalResult::Ok
            })]
        );
        assert!(!d.is_busy());
    }

    #[test]
    fn prompt_should_be_recognised_without_line_end() {
        let mut d = Digester::default();
        d.expect(&Expect::new("AT+CMGS=20").prefix("+CMGS:").prompt("0011"));
        d.feed(b"\r\n>");
        assert_eq!(d.next_event(), Some(Event::Prompt));
        d.feed(b" 0011\x1a\r\n");
        assert_eq!(d.next_event(), None);
        assert!(d.is_busy());
    }

    #[test]
    fn line_starting_with_gt_should_not_be_prompt_when_not_expected() {
        let mut d = Digester::default();
        d.feed(b"> hello\r\n");
        assert_eq!(
            d.next_event(),
            Some(Event::Urc(Urc::Other("> hello".into())))
        );
    }

    #[test]
    fn over_long_line_should_be_discarded_and_reported() {
        let mut d = Digester::new(64);
        d.feed(&[b'A'; 100]);
        assert_eq!(d.next_event(), None);
        d.feed(b"BB\r\nRING\r\n");
        assert_eq!(d.next_event(), Some(Event::LineTooLong { discarded: 102 }));
        assert_eq!(d.next_event(), Some(Event::Urc(Urc::Ring)));
    }

    #[test]
    fn creg_urc_during_creg_read_should_stay_unsolicited() {
        let mut d = Digester::default();
        d.expect(&Expect::new("AT+CREG?").prefix("+CREG:"));
        d.feed(b"\r\n+CREG: 1\r\n\r\n+CREG: 0,1\r\n\r\nOK\r\n");
        let ev = drain(&mut d);
        assert!(matches!(ev[0], Event::Urc(Urc::Registration(_))));
        assert!(matches!(&ev[1], Event::Response(r) if r.lines == ["+CREG: 0,1"]));
    }

    #[test]
    fn reset_should_drop_partial_input_and_command() {
        let mut d = Digester::default();
        d.expect(&Expect::new("AT+CSQ").prefix("+CSQ:"));
        d.feed(b"+CSQ: 1");
        d.reset();
        assert!(!d.is_busy());
        assert_eq!(d.buffered(), 0);
        d.feed(b"0\r\nRING\r\n");
        assert_eq!(d.next_event(), Some(Event::Urc(Urc::Other("0".into()))));
        assert_eq!(d.next_event(), Some(Event::Urc(Urc::Ring)));
    }
}
