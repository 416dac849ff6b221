//! Test peers for the driver: a hand-driven [`Peer`], a line [`script`], and a small
//! state-machine [`FakeModem`] that answers the commands the driver uses. Test-only.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;

/// A peer driven by the test: it reads what the driver wrote and writes what the test says.
pub struct Peer {
    rx: tokio::sync::Mutex<(mpsc::UnboundedReceiver<u8>, Vec<u8>)>,
    tx: tokio::sync::Mutex<tokio::io::WriteHalf<DuplexStream>>,
}

impl Peer {
    /// Starts reading `io` in the background.
    pub fn start(io: DuplexStream) -> Peer {
        let (mut r, w) = tokio::io::split(io);
        let (btx, brx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok(n) = r.read(&mut buf).await {
                if n == 0 {
                    return;
                }
                for b in &buf[..n] {
                    let _ = btx.send(*b);
                }
            }
        });
        Peer {
            rx: tokio::sync::Mutex::new((brx, Vec::new())),
            tx: tokio::sync::Mutex::new(w),
        }
    }

    /// The next command line the driver wrote (up to CR).
    pub async fn next_line(&self) -> String {
        self.next_until(b'\r').await
    }

    /// Bytes up to (not including) `end`.
    pub async fn next_until(&self, end: u8) -> String {
        let mut g = self.rx.lock().await;
        let mut out = Vec::new();
        loop {
            let Some(b) = g.0.recv().await else { break };
            if b == end {
                break;
            }
            out.push(b);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// Writes to the driver.
    pub async fn write(&self, bytes: &[u8]) {
        let mut w = self.tx.lock().await;
        let _ = w.write_all(bytes).await;
        let _ = w.flush().await;
    }
}

/// A peer that answers each command line with what `answer` returns (nothing for `None`).
pub fn script<F>(io: DuplexStream, mut answer: F) -> tokio::task::JoinHandle<()>
where
    F: FnMut(&str) -> Option<Vec<u8>> + Send + 'static,
{
    tokio::spawn(async move {
        let (mut r, mut w) = tokio::io::split(io);
        let mut line = Vec::new();
        let mut buf = [0u8; 256];
        loop {
            let Ok(n) = r.read(&mut buf).await else {
                return;
            };
            if n == 0 {
                return;
            }
            for &b in &buf[..n] {
                if b == b'\r' {
                    let l = String::from_utf8_lossy(&line).into_owned();
                    line.clear();
                    if let Some(out) = answer(l.trim()) {
                        let _ = w.write_all(&out).await;
                    }
                } else if b != b'\n' {
                    line.push(b);
                }
            }
        }
    })
}

/// What the fake modem does with the next `AT+CMGS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendBehaviour {
    /// Prompt, then `+CMGS: <mr>` after the PDU.
    Accept,
    /// Never show the prompt.
    NoPrompt,
    /// Prompt, swallow the PDU, never answer.
    NoResult,
    /// Answer `+CMS ERROR: <code>` after the PDU.
    Error(u16),
}

/// Shared state of a [`FakeModem`], inspected and changed by tests.
#[derive(Debug)]
pub struct FakeState {
    /// Whether the SIM still wants its PIN.
    pub pin_locked: bool,
    /// The PIN it wants.
    pub pin: String,
    /// `+CNMI` combinations it accepts.
    pub cnmi_ok: Vec<String>,
    /// Storages: name → index → (stat, pdu hex).
    pub storages: BTreeMap<String, BTreeMap<u32, (u8, String)>>,
    /// The storage `+CPMS` selected for reading.
    pub mem1: String,
    /// Next TP-MR.
    pub next_mr: u8,
    /// What to do with the next sends (front first; `Accept` when empty).
    pub send_plan: Vec<SendBehaviour>,
    /// PDUs received by `AT+CMGS`, in order.
    pub sent: Vec<String>,
    /// Every command line received.
    pub log: Vec<String>,
    /// Stop answering anything.
    pub hung: bool,
    /// Registration `<stat>`.
    pub creg: u8,
    /// Answers `+CPIN: READY` without the final OK (old Wavecom).
    pub cpin_without_ok: bool,
    /// Answer `+CME ERROR: 14` this many times to `AT+CPIN?` after the PIN is entered.
    pub sim_busy: u32,
}

impl Default for FakeState {
    fn default() -> Self {
        let mut storages = BTreeMap::new();
        for s in ["SM", "ME", "MT", "SR"] {
            storages.insert(s.to_string(), BTreeMap::new());
        }
        FakeState {
            pin_locked: false,
            pin: "1234".into(),
            cnmi_ok: vec!["2,1,0,2,0".into(), "2,1,0,1,0".into(), "1,1,0,2,0".into()],
            storages,
            mem1: "SM".into(),
            next_mr: 1,
            send_plan: Vec::new(),
            sent: Vec::new(),
            log: Vec::new(),
            hung: false,
            creg: 1,
            cpin_without_ok: false,
            sim_busy: 0,
        }
    }
}

/// A scripted modem answering the driver's commands from [`FakeState`].
#[derive(Debug, Clone)]
pub struct FakeModem {
    /// The state, shared with the peer task.
    pub state: Arc<Mutex<FakeState>>,
    urc: mpsc::UnboundedSender<Vec<u8>>,
}

impl FakeModem {
    /// Starts the fake on `io`.
    pub fn start(io: DuplexStream, state: FakeState) -> FakeModem {
        Self::start_shared(io, Arc::new(Mutex::new(state)))
    }

    /// Starts the fake on `io` with state shared with earlier fakes (a modem replugged).
    pub fn start_shared(io: DuplexStream, state: Arc<Mutex<FakeState>>) -> FakeModem {
        let (urc, mut urc_rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let st = state.clone();
        tokio::spawn(async move {
            let (mut r, mut w) = tokio::io::split(io);
            let mut line = Vec::new();
            let mut body: Option<Vec<u8>> = None;
            let mut buf = [0u8; 512];
            loop {
                tokio::select! {
                    u = urc_rx.recv() => {
                        let Some(u) = u else { return };
                        let _ = w.write_all(&u).await;
                    }
                    n = r.read(&mut buf) => {
                        let Ok(n) = n else { return };
                        if n == 0 { return; }
                        for &b in &buf[..n] {
                            if let Some(pdu) = body.as_mut() {
                                if b == 0x1A {
                                    let pdu = String::from_utf8_lossy(pdu).into_owned();
                                    body = None;
                                    let out = st.lock().after_pdu(pdu);
                                    if let Some((delay, out)) = out {
                                        tokio::time::sleep(delay).await;
                                        let _ = w.write_all(&out).await;
                                    }
                                } else if b == 0x1B {
                                    body = None;
                                    let _ = w.write_all(b"\r\nOK\r\n").await;
                                } else {
                                    pdu.push(b);
                                }
                                continue;
                            }
                            if b == b'\r' {
                                let l = String::from_utf8_lossy(&line).trim().to_string();
                                line.clear();
                                if l.is_empty() { continue; }
                                let (out, prompt) = st.lock().answer(&l);
                                if prompt { body = Some(Vec::new()); }
                                let _ = w.write_all(&out).await;
                            } else if b != b'\n' && b != 0x1B {
                                line.push(b);
                            }
                        }
                    }
                }
            }
        });
        FakeModem { state, urc }
    }

    /// Sends an unsolicited line (framed with CR LF).
    pub fn urc(&self, text: &str) {
        let _ = self.urc.send(format!("\r\n{text}\r\n").into_bytes());
    }

    /// Stores a PDU in `storage` at the first free index from `first`, returning the index.
    pub fn store(&self, storage: &str, first: u32, pdu: &str) -> u32 {
        let mut s = self.state.lock();
        let st = s.storages.entry(storage.to_string()).or_default();
        let mut i = first;
        while st.contains_key(&i) {
            i += 1;
        }
        st.insert(i, (0, pdu.to_string()));
        i
    }
}

const OK: &[u8] = b"\r\nOK\r\n";

impl FakeState {
    fn after_pdu(&mut self, pdu: String) -> Option<(Duration, Vec<u8>)> {
        let plan = if self.send_plan.is_empty() {
            SendBehaviour::Accept
        } else {
            self.send_plan.remove(0)
        };
        match plan {
            SendBehaviour::Accept => {
                self.sent.push(pdu);
                let mr = self.next_mr;
                self.next_mr = self.next_mr.wrapping_add(1);
                Some((
                    Duration::from_millis(100),
                    format!("\r\n+CMGS: {mr}\r\n\r\nOK\r\n").into_bytes(),
                ))
            }
            SendBehaviour::NoResult => {
                self.sent.push(pdu);
                None
            }
            SendBehaviour::Error(code) => Some((
                Duration::from_millis(100),
                format!("\r\n+CMS ERROR: {code}\r\n").into_bytes(),
            )),
            SendBehaviour::NoPrompt => None,
        }
    }

    /// The answer to one command line, and whether a prompt was shown.
    fn answer(&mut self, l: &str) -> (Vec<u8>, bool) {
        self.log.push(l.to_string());
        if self.hung {
            return (Vec::new(), false);
        }
        let ok = |s: String| (format!("\r\n{s}\r\n\r\nOK\r\n").into_bytes(), false);
        let upper = l.to_ascii_uppercase();
        if upper.starts_with("AT+CMGS=") {
            if self.send_plan.first() == Some(&SendBehaviour::NoPrompt) {
                self.send_plan.remove(0);
                return (Vec::new(), false);
            }
            if self.pin_locked {
                return (b"\r\n+CMS ERROR: 311\r\n".to_vec(), false);
            }
            return (b"\r\n> ".to_vec(), true);
        }
        match upper.as_str() {
            "AT" | "ATE0" | "AT+CMEE=1" | "AT+CMEE=2" | "AT+CMGF=0" | "AT+CMMS=1" => {
                return (OK.to_vec(), false);
            }
            "AT+CGMI" => return ok("FAKE".into()),
            "AT+CGMM" => return ok("FM1".into()),
            "AT+CGMR" => return ok("1.0".into()),
            "AT+CGSN" => return ok("356938035643809".into()),
            "AT+CIMI" => return ok("244911234567890".into()),
            "AT+ICCID" => return ok("+ICCID: 89358001234567890123".into()),
            "AT+CNUM" => return ok("+CNUM: ,\"+358401112222\",145".into()),
            "AT+CSQ" => return ok("+CSQ: 21,0".into()),
            "AT+COPS?" => return ok("+COPS: 0,0,\"Fake Net\",2".into()),
            "AT+CREG?" => return ok(format!("+CREG: 0,{}", self.creg)),
            "AT+CNMI=?" => return ok("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)".into()),
            "AT+CPIN?" => {
                if self.pin_locked {
                    return ok("+CPIN: SIM PIN".into());
                }
                if self.sim_busy > 0 {
                    self.sim_busy -= 1;
                    return (b"\r\n+CME ERROR: 14\r\n".to_vec(), false);
                }
                if self.cpin_without_ok {
                    return (b"\r\n+CPIN: READY\r\n".to_vec(), false);
                }
                return ok("+CPIN: READY".into());
            }
            "AT+CMGL=4" => {
                let mut out = Vec::new();
                if let Some(st) = self.storages.get(&self.mem1) {
                    for (i, (stat, pdu)) in st {
                        out.extend_from_slice(
                            format!("\r\n+CMGL: {i},{stat},,{}\r\n{pdu}", pdu.len() / 2 - 1)
                                .as_bytes(),
                        );
                    }
                }
                out.extend_from_slice(b"\r\n\r\nOK\r\n");
                return (out, false);
            }
            _ => {}
        }
        if let Some(pin) = l.strip_prefix("AT+CPIN=") {
            return if pin.trim_matches('"') == self.pin {
                self.pin_locked = false;
                (OK.to_vec(), false)
            } else {
                (b"\r\n+CME ERROR: 16\r\n".to_vec(), false)
            };
        }
        if let Some(v) = l.strip_prefix("AT+CNMI=") {
            return if self.cnmi_ok.iter().any(|c| c == v) {
                (OK.to_vec(), false)
            } else {
                (b"\r\n+CMS ERROR: 303\r\n".to_vec(), false)
            };
        }
        if let Some(v) = l.strip_prefix("AT+CPMS=") {
            let mems: Vec<String> = v
                .split(',')
                .map(|m| m.trim_matches('"').to_string())
                .collect();
            if mems.iter().any(|m| !self.storages.contains_key(m)) {
                return (b"\r\n+CMS ERROR: 302\r\n".to_vec(), false);
            }
            if let Some(m) = mems.first() {
                self.mem1 = m.clone();
            }
            let n = self.storages.get(&self.mem1).map_or(0, BTreeMap::len);
            return ok(format!("+CPMS: {n},30,{n},30,{n},30"));
        }
        if let Some(v) = l.strip_prefix("AT+CMGR=") {
            let i: u32 = v.parse().unwrap_or(u32::MAX);
            let found = self
                .storages
                .get_mut(&self.mem1)
                .and_then(|s| s.get_mut(&i));
            return match found {
                Some((stat, pdu)) => {
                    let r = ok(format!("+CMGR: {stat},,{}\r\n{pdu}", pdu.len() / 2 - 1));
                    *stat = 1;
                    r
                }
                None => (OK.to_vec(), false),
            };
        }
        if let Some(v) = l.strip_prefix("AT+CMGD=") {
            let i: u32 = v
                .split(',')
                .next()
                .and_then(|x| x.parse().ok())
                .unwrap_or(u32::MAX);
            if let Some(s) = self.storages.get_mut(&self.mem1) {
                s.remove(&i);
            }
            return (OK.to_vec(), false);
        }
        if l == "AT+CNMA" {
            return (OK.to_vec(), false);
        }
        (b"\r\nERROR\r\n".to_vec(), false)
    }
}

/// A codec double over readable "PDUs": the hex of `D|from|ref|total|seq|text` (deliver),
/// `R|mr|recipient|st` (status report) and, for submits, `S|to|index|ref`. It lets driver
/// tests run without the GSM codec; it is not a TPDU codec.
#[derive(Debug)]
pub struct TextCodec;

impl TextCodec {
    /// A deliver "PDU" in hex.
    pub fn deliver(from: &str, reference: u16, total: u8, seq: u8, text: &str) -> String {
        hex::encode(format!("D|{from}|{reference}|{total}|{seq}|{text}"))
    }

    /// A status report "PDU" in hex.
    pub fn report(mr: u8, recipient: &str, st: u8) -> String {
        hex::encode(format!("R|{mr}|{recipient}|{st}"))
    }
}

impl super::codec::TpduCodec for TextCodec {
    fn encode_submit(
        &self,
        message: &crate::model::OutboundMessage,
        parts: &[u8],
        reference: u16,
    ) -> Result<Vec<super::codec::OutgoingPart>, super::codec::CodecError> {
        Ok(parts
            .iter()
            .map(|&i| {
                let body = format!("00S|{}|{i}|{reference}", message.to.as_str());
                super::codec::OutgoingPart {
                    index: i,
                    tpdu_len: body.len() - 1,
                    pdu_hex: hex::encode(body),
                }
            })
            .collect())
    }

    fn decode(&self, pdu_hex: &str) -> Result<super::codec::Decoded, super::codec::CodecError> {
        use super::codec::{CodecError, Concat, Decoded, IncomingSms, StatusReportPdu};
        let bytes = hex::decode(pdu_hex).map_err(|e| CodecError(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| CodecError(e.to_string()))?;
        let f: Vec<&str> = text.split('|').collect();
        let num = |i: usize| {
            f.get(i)
                .and_then(|v| v.parse::<u16>().ok())
                .ok_or(CodecError("bad".into()))
        };
        match f.first() {
            Some(&"D") => {
                let (r, t, s) = (num(2)?, num(3)? as u8, num(4)? as u8);
                Ok(Decoded::Deliver(IncomingSms {
                    from: f.get(1).unwrap_or(&"").to_string(),
                    from_type: crate::model::NumberType::Unknown,
                    sent_at: None,
                    concat: (t > 1).then_some(Concat {
                        reference: r,
                        total: t,
                        seq: s,
                        sixteen_bit: false,
                    }),
                    text: f.get(5).unwrap_or(&"").to_string(),
                }))
            }
            Some(&"R") => Ok(Decoded::StatusReport(StatusReportPdu {
                mr: num(1)? as u8,
                recipient: f.get(2).unwrap_or(&"").to_string(),
                sent_at: None,
                discharged_at: None,
                status: num(3)? as u8,
            })),
            _ => Err(CodecError("unknown".into())),
        }
    }
}

/// An opener that starts a [`FakeModem`] over a fresh duplex on every open, sharing state;
/// `unplugged` makes opens fail.
#[derive(Debug, Clone)]
pub struct FakeOpener {
    /// The modem's state, kept across opens.
    pub state: Arc<Mutex<FakeState>>,
    /// Opens fail while set.
    pub unplugged: Arc<std::sync::atomic::AtomicBool>,
    /// The current fake (to push URCs or drop the link).
    pub current: Arc<Mutex<Option<FakeModem>>>,
    /// Dropping this sender closes the current link (the "USB unplug").
    pub links: Arc<Mutex<Vec<tokio::sync::oneshot::Sender<()>>>>,
}

impl FakeOpener {
    /// An opener over a fake with `state`.
    pub fn new(state: FakeState) -> Self {
        FakeOpener {
            state: Arc::new(Mutex::new(state)),
            unplugged: Arc::default(),
            current: Arc::default(),
            links: Arc::default(),
        }
    }

    /// Unplugs: the current link closes and opens fail until [`FakeOpener::plug`].
    pub fn unplug(&self) {
        self.unplugged
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.links.lock().clear();
    }

    /// Plugs back in.
    pub fn plug(&self) {
        self.unplugged
            .store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

impl super::open::Opener for FakeOpener {
    fn open(&self) -> crate::dispatch::BoxFuture<Result<super::open::BoxTransport, String>> {
        let me = self.clone();
        Box::pin(async move {
            if me.unplugged.load(std::sync::atomic::Ordering::SeqCst) {
                return Err("unplugged".into());
            }
            let (io, peer) = tokio::io::duplex(8192);
            let (ours, theirs) = tokio::io::duplex(8192);
            // A relay that dies when the link's sender is dropped: models the device vanishing.
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            me.links.lock().push(tx);
            tokio::spawn(async move {
                let (mut a, mut b) = (peer, ours);
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut a, &mut b) => {}
                    _ = rx => {}
                }
            });
            let fake = FakeModem::start_shared(theirs, me.state.clone());
            *me.current.lock() = Some(fake);
            Ok(Box::new(io) as super::open::BoxTransport)
        })
    }
}
