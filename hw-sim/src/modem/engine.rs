//! The simulated modem's brain: a sans-IO state machine that takes the bytes a DTE writes and
//! the timers it asked for, and produces the bytes a modem would answer (V.250 result codes,
//! TS 27.005/27.007 responses and URCs).
//!
//! The engine never sleeps or reads a clock for scheduling: it returns [`Output::timers`] and
//! the task that owns the PTY calls [`Engine::fire`] when they are due. Command handlers live in
//! `cmd_general` (V.250 and TS 27.007) and `cmd_sms` (TS 27.005); the network side (incoming
//! messages, status reports, registration) in `network`.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use smsgw::at::cme_error::CmeError;
use smsgw::at::cms_error::CmsError;

use super::config::ModemConfig;
use super::faults::{Fault, FaultState};
use super::frontend::{Command, LineAssembler, LineEvent, split_commands};
use super::sent::SentPart;
use super::sim_storage::Storage;

/// Why a command failed, as the final result code will say it (TS 27.007 §9.2, TS 27.005 §3.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fail {
    /// Plain `ERROR` (V.250 §5.7.1): syntax errors and unknown commands.
    Plain,
    /// `+CME ERROR: <n>` (TS 27.007 §9.2).
    Cme(u16),
    /// `+CMS ERROR: <n>` (TS 27.005 §3.2.5).
    Cms(u16),
}

/// What the line executor does after a command.
#[derive(Debug)]
pub(super) enum Flow {
    /// Go on with the next command of the line.
    Next,
    /// Show the `> ` prompt and collect a PDU of this TPDU length (AT+CMGS, TS 27.005 §3.5.1),
    /// to store it with this `<stat>` when given (AT+CMGW, §3.5.3).
    Prompt(usize, Option<u8>),
    /// End the line with this final result (e.g. `NO CARRIER`).
    Final(&'static str),
    /// End the line without any final result (the modem hung or rebooted).
    Silent,
}

/// Something the engine wants to happen later.
#[derive(Debug, Clone, PartialEq)]
pub enum Timer {
    /// The network answered a submission: `Ok(mr)` prints `+CMGS: <mr>`, `Err(code)` a CMS error.
    SendDone {
        /// The result.
        result: Result<u8, u16>,
        /// Recipient and submission time, when a status report was requested.
        report: Option<(String, time::OffsetDateTime)>,
    },
    /// A status report for TP-MR `mr` arrives from the network.
    StatusReport {
        /// TP-MR of the submission.
        mr: u8,
        /// TP-DA of the submission.
        recipient: String,
        /// When it was submitted (TP-SCTS of the report).
        submitted: time::OffsetDateTime,
    },
    /// The SIM finished its start-up after unlocking.
    SimReady,
    /// The modem registered on the network.
    Registered,
    /// Time for the next vendor noise URC.
    Noise,
    /// The network answers a USSD request.
    UssdReply,
    /// A routed `+CMT` was not acknowledged in time.
    CnmaTimeout(u64),
}

/// A timer stamped with the power cycle it belongs to: timers of an earlier cycle are ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct Timed {
    /// The engine's power-cycle counter when the timer was set.
    pub epoch: u64,
    /// What to do.
    pub timer: Timer,
}

/// Everything one engine step produced.
#[derive(Debug, Default)]
pub struct Output {
    /// Bytes for the DTE.
    pub bytes: Vec<u8>,
    /// Timers to set: fire `Timed` after the delay.
    pub timers: Vec<(Duration, Timed)>,
    /// Message parts the network accepted in this step.
    pub sent: Vec<SentPart>,
    /// The port must vanish for this long and come back (USB re-enumeration after a reset).
    pub reenumerate: Option<Duration>,
}

/// Where the dialogue is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mode {
    /// Waiting for command lines.
    Command,
    /// After `> `: collecting hex digits for a TPDU of `length` octets.
    Prompt {
        /// TPDU length from `AT+CMGS=<length>` or `AT+CMGW=<length>`.
        length: usize,
        /// `AT+CMGW`: store with this `<stat>` instead of sending.
        store: Option<u8>,
        /// Hex digits so far.
        hex: Vec<u8>,
    },
    /// A command is executing (the network has the message); input waits.
    Busy,
}

/// SIM state (TS 27.007 §8.3 `+CPIN` codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sim {
    /// Waiting for the PIN; wrong attempts so far.
    PinLocked(u8),
    /// Three wrong PINs: waiting for the PUK.
    PukLocked,
    /// Unlocked, still reading its files (`+CME ERROR: 14`).
    Busy,
    /// Ready.
    Ready,
}

/// The state of one simulated modem.
#[derive(Debug)]
pub struct Engine {
    pub(super) cfg: ModemConfig,
    pub(super) line: LineAssembler,
    pub(super) last_line: String,
    pub(super) mode: Mode,
    pending: VecDeque<u8>,
    held_urcs: Vec<Vec<u8>>,
    pub(super) epoch: u64,
    pub(super) echo: bool,
    pub(super) verbose: bool,
    pub(super) quiet: bool,
    pub(super) cmee: u8,
    pub(super) sregs: BTreeMap<u16, u8>,
    pub(super) cmgf: u8,
    pub(super) csms: u8,
    pub(super) cnmi: [u8; 5],
    pub(super) cpms: [String; 3],
    pub(super) csca: String,
    pub(super) cscs: String,
    pub(super) cmms: u8,
    pub(super) reg_n: [u8; 3],
    pub(super) curc: bool,
    pub(super) portsel: u8,
    pub(super) clip: u8,
    pub(super) crc: u8,
    pub(super) cpbs: String,
    pub(super) cusd: u8,
    pub(super) sim: Sim,
    pub(super) cfun: u8,
    pub(super) reg_stat: u8,
    pub(super) storages: BTreeMap<String, Storage>,
    pub(super) next_mr: u8,
    pub(super) sent_today: (time::Date, u32),
    pub(super) network_queue: VecDeque<Vec<u8>>,
    /// Status reports the network holds because their storage was full (TS 23.040 §10.3:
    /// the SC retries once the mobile reports free memory, as for SMS-DELIVERs).
    pub(super) held_reports: VecDeque<Vec<u8>>,
    pub(super) awaiting_cnma: Option<(u64, Vec<u8>)>,
    pub(super) cnma_seq: u64,
    pub(super) concat_ref: u8,
    pub(super) faults: FaultState,
    pub(super) executing: bool,
    pub(super) retry_network: bool,
    pub(super) ind_buffer: Vec<Vec<String>>,
}

impl Engine {
    /// A modem that has just been powered on, with the port already open (no boot URCs).
    pub fn new(cfg: ModemConfig, out: &mut Output) -> Engine {
        let storages = ["SM", "ME", "SR"]
            .into_iter()
            .map(|m| {
                let cap = cfg.profile.capacity_of(m);
                (m.to_owned(), Storage::new(m, cap, cfg.first_index))
            })
            .collect();
        let mut engine = Engine {
            line: LineAssembler::default(),
            last_line: String::new(),
            mode: Mode::Command,
            pending: VecDeque::new(),
            held_urcs: Vec::new(),
            epoch: 0,
            echo: cfg.profile.echo_default,
            verbose: true,
            quiet: false,
            cmee: 0,
            sregs: BTreeMap::new(),
            cmgf: 0,
            csms: 0,
            cnmi: [1, 0, 0, 0, 0],
            cpms: ["SM".into(), "SM".into(), "SM".into()],
            csca: cfg.smsc.clone(),
            cscs: "IRA".into(),
            cmms: 0,
            reg_n: [0; 3],
            curc: true,
            portsel: 0,
            clip: 0,
            crc: 0,
            cpbs: "SM".into(),
            cusd: 0,
            sim: Sim::Ready,
            cfun: 1,
            reg_stat: 0,
            storages,
            next_mr: 0,
            sent_today: (time::OffsetDateTime::now_utc().date(), 0),
            network_queue: VecDeque::new(),
            held_reports: VecDeque::new(),
            awaiting_cnma: None,
            cnma_seq: 0,
            concat_ref: 0,
            faults: FaultState::new(cfg.seed),
            executing: false,
            retry_network: false,
            ind_buffer: Vec::new(),
            cfg,
        };
        engine.power_on(false, out);
        engine
    }

    /// Power-cycle state: settings back to defaults, SIM locked again if it has a PIN, radio
    /// on and searching. Stored messages survive (they are on the SIM). `announce` prints the
    /// profile's boot URCs (a reset seen by an open port).
    pub(super) fn power_on(&mut self, announce: bool, out: &mut Output) {
        self.epoch += 1;
        self.line.clear();
        self.mode = Mode::Command;
        self.pending.clear();
        self.held_urcs.clear();
        self.reset_settings();
        self.cfun = 1;
        self.reg_stat = 0;
        self.awaiting_cnma = None;
        self.faults.send = super::faults::SendFault::None;
        if announce {
            for urc in self.cfg.profile.boot_urcs {
                self.urc(out, &[urc.to_string()]);
            }
        }
        self.sim = match self.cfg.pin {
            Some(_) => Sim::PinLocked(0),
            None => Sim::Busy,
        };
        if self.sim == Sim::Busy {
            self.sim_ready(announce, out);
        }
        if self.cfg.profile.vendor_noise {
            self.timer(out, self.cfg.noise_interval, Timer::Noise);
        }
    }

    /// Settings that `ATZ`, `AT&F` and a power cycle restore.
    pub(super) fn reset_settings(&mut self) {
        self.echo = self.cfg.profile.echo_default;
        self.verbose = true;
        self.quiet = false;
        self.cmee = 0;
        self.sregs = [(0, 0), (3, 13), (4, 10), (5, 8), (7, 60)].into();
        self.line.s3 = b'\r';
        self.line.s5 = 8;
        self.cmgf = 0;
        self.csms = 0;
        self.cnmi = [1, 0, 0, 0, 0];
        self.reg_n = [0; 3];
        self.curc = true;
        self.clip = 0;
        self.crc = 0;
        self.cusd = 0;
        self.cmms = 0;
    }

    /// Feed bytes the DTE wrote.
    pub fn input(&mut self, bytes: &[u8], out: &mut Output) {
        if self.faults.hung {
            return;
        }
        self.pending.extend(bytes);
        self.drain(out);
    }

    /// Process pending input until it runs out or a command starts executing.
    fn drain(&mut self, out: &mut Output) {
        while self.mode != Mode::Busy && !self.faults.hung {
            let Some(b) = self.pending.pop_front() else {
                break;
            };
            match self.mode {
                Mode::Busy => {}
                Mode::Prompt { .. } => self.prompt_byte(b, out),
                Mode::Command => {
                    if self.echo {
                        out.bytes.push(b);
                    }
                    match self.line.push(b) {
                        Some(LineEvent::Commands(body)) => {
                            self.last_line = body.clone();
                            self.run_line(&body, out);
                        }
                        Some(LineEvent::Repeat) => {
                            let body = self.last_line.clone();
                            self.run_line(&body, out);
                        }
                        Some(LineEvent::Overflow) => self.fail(out, Fail::Plain),
                        None => {}
                    }
                }
            }
        }
    }

    /// Execute the commands of one line, stopping at the first error (V.250 §5.2.1). URCs
    /// raised while the line runs go out after its final result.
    fn run_line(&mut self, body: &str, out: &mut Output) {
        let Ok(cmds) = split_commands(body) else {
            return self.fail(out, Fail::Plain);
        };
        self.executing = true;
        let mut lines = Vec::new();
        let mut end = Ok(Flow::Next);
        for cmd in cmds {
            let flow = self.exec(&cmd, &mut lines, out);
            self.info(out, &mut lines);
            if !matches!(flow, Ok(Flow::Next)) {
                end = flow;
                break;
            }
        }
        self.executing = false;
        match end {
            Ok(Flow::Next) => self.final_text(out, "OK", 0),
            Ok(Flow::Prompt(length, store)) => {
                out.bytes.extend_from_slice(b"\r\n> ");
                self.mode = Mode::Prompt {
                    length,
                    store,
                    hex: Vec::new(),
                };
            }
            Ok(Flow::Final(text)) => self.final_text(out, text, 3),
            Ok(Flow::Silent) => self.flush_held(out),
            Err(fail) => self.fail(out, fail),
        }
        if std::mem::take(&mut self.retry_network) {
            self.flush_network(out);
        }
    }

    /// Route one command to its handler.
    fn exec(
        &mut self,
        cmd: &Command,
        lines: &mut Vec<String>,
        out: &mut Output,
    ) -> Result<Flow, Fail> {
        match cmd {
            Command::Basic { name, value } => self.exec_basic(name, value, lines, out),
            Command::SReg { number, set } => self.exec_sreg(*number, set.as_deref(), lines),
            Command::Extended { name, form } => {
                if let Some(flow) = self.exec_sms(name, form, lines, out) {
                    return flow;
                }
                self.exec_general(name, form, lines, out)
            }
        }
    }

    /// Write the information lines a command produced, as one block.
    pub(super) fn info(&self, out: &mut Output, lines: &mut Vec<String>) {
        if lines.is_empty() {
            return;
        }
        if self.verbose {
            out.bytes.extend_from_slice(b"\r\n");
        }
        for l in lines.drain(..) {
            out.bytes.extend_from_slice(l.as_bytes());
            out.bytes.extend_from_slice(b"\r\n");
        }
    }

    /// A final result code: verbose text or its V.250 §5.7.1 number.
    pub(super) fn final_text(&mut self, out: &mut Output, text: &str, code: u8) {
        if !self.quiet {
            if self.verbose {
                out.bytes
                    .extend_from_slice(format!("\r\n{text}\r\n").as_bytes());
            } else {
                out.bytes.extend_from_slice(format!("{code}\r").as_bytes());
            }
        }
        self.flush_held(out);
    }

    /// A failure as `+CME/+CMS ERROR` in the format `AT+CMEE` selects (0: plain `ERROR`).
    pub(super) fn fail(&mut self, out: &mut Output, fail: Fail) {
        let vendor = self.cfg.profile.vendor;
        let text = match (fail, self.cmee) {
            (Fail::Plain, _) | (_, 0) => None,
            (Fail::Cme(n), 1) => Some(format!("+CME ERROR: {n}")),
            (Fail::Cms(n), 1) => Some(format!("+CMS ERROR: {n}")),
            (Fail::Cme(n), _) => Some(match CmeError::from_code(n).name(vendor) {
                Some(name) => format!("+CME ERROR: {name}"),
                None => format!("+CME ERROR: {n}"),
            }),
            (Fail::Cms(n), _) => Some(match CmsError::from_code(n).name(vendor) {
                Some(name) => format!("+CMS ERROR: {name}"),
                None => format!("+CMS ERROR: {n}"),
            }),
        };
        match text {
            Some(t) if self.verbose => out
                .bytes
                .extend_from_slice(format!("\r\n{t}\r\n").as_bytes()),
            Some(t) => out.bytes.extend_from_slice(format!("{t}\r").as_bytes()),
            None => return self.final_text(out, "ERROR", 4),
        }
        self.flush_held(out);
    }

    /// Send an unsolicited result code now, or hold it while a command or prompt is active.
    pub(super) fn urc(&mut self, out: &mut Output, lines: &[String]) {
        let mut bytes = Vec::new();
        if self.verbose {
            bytes.extend_from_slice(b"\r\n");
        }
        for l in lines {
            bytes.extend_from_slice(l.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
        if self.mode == Mode::Command && !self.executing {
            if !self.faults.hung {
                out.bytes.extend_from_slice(&bytes);
            }
        } else {
            self.held_urcs.push(bytes);
        }
    }

    /// After a final result: held URCs go out.
    fn flush_held(&mut self, out: &mut Output) {
        if self.mode == Mode::Command && !self.executing && !self.faults.hung {
            for u in self.held_urcs.drain(..) {
                out.bytes.extend_from_slice(&u);
            }
        }
    }

    /// Ask for a timer in this power cycle.
    pub(super) fn timer(&self, out: &mut Output, after: Duration, timer: Timer) {
        out.timers.push((
            after,
            Timed {
                epoch: self.epoch,
                timer,
            },
        ));
    }

    /// A timer is due.
    pub fn fire(&mut self, timed: Timed, out: &mut Output) {
        if timed.epoch != self.epoch {
            return;
        }
        match timed.timer {
            Timer::SendDone { result, report } => self.send_done(result, report, out),
            Timer::StatusReport {
                mr,
                recipient,
                submitted,
            } => self.status_report(mr, &recipient, submitted, out),
            Timer::SimReady => self.sim_ready(true, out),
            Timer::Registered => self.registered(out),
            Timer::Noise => self.noise(out),
            Timer::UssdReply => self.ussd_reply(out),
            Timer::CnmaTimeout(id) => self.cnma_timeout(id, out),
        }
    }

    /// Finish a submission: print its result and let waiting input in.
    fn send_done(
        &mut self,
        result: Result<u8, u16>,
        report: Option<(String, time::OffsetDateTime)>,
        out: &mut Output,
    ) {
        if self.mode != Mode::Busy {
            return;
        }
        self.mode = Mode::Command;
        match result {
            Ok(mr) => {
                let mut lines = vec![format!("+CMGS: {mr}")];
                if !self.faults.hung {
                    self.info(out, &mut lines);
                    self.final_text(out, "OK", 0);
                }
                if let Some((recipient, submitted)) = report {
                    let delay = self.cfg.status_report_delay;
                    self.timer(
                        out,
                        delay,
                        Timer::StatusReport {
                            mr,
                            recipient,
                            submitted,
                        },
                    );
                }
            }
            Err(code) if !self.faults.hung => self.fail(out, Fail::Cms(code)),
            Err(_) => {}
        }
        self.drain(out);
    }

    /// Apply a fault; vanish is the caller's job (it owns the PTY), garbage goes out now.
    pub fn fault(&mut self, fault: &Fault, out: &mut Output) {
        self.faults.arm(fault);
        if let Fault::StorageFull { storage } = fault {
            self.storage_full_notice(&storage.to_ascii_uppercase(), out);
        }
        if let Fault::Garbage { bytes, len } = fault {
            let bytes = if bytes.is_empty() {
                self.faults.random_bytes(*len)
            } else {
                bytes.clone()
            };
            out.bytes.extend_from_slice(&bytes);
        }
    }

    /// The profile's notice that `mem` is full, if it has one.
    pub(super) fn storage_full_notice(&mut self, mem: &str, out: &mut Output) {
        if let Some(urc) = self.cfg.profile.storage_full_urc {
            self.urc(out, &[urc.replace("{mem}", mem)]);
        }
    }

    /// Clear all faults; a hung modem answers again (its half-typed line is forgotten), and a
    /// storage that was full takes the messages the network held.
    pub fn clear_faults(&mut self, out: &mut Output) {
        if self.faults.hung {
            self.line.clear();
            self.pending.clear();
            if matches!(self.mode, Mode::Prompt { .. }) {
                self.mode = Mode::Command;
            }
        }
        let had_full = !self.faults.full.is_empty();
        self.faults.clear();
        if had_full && self.mode == Mode::Command && !self.executing {
            // Room again: the network delivers what it held.
            self.flush_network(out);
        }
    }

    /// Count a successful send against today's total (UTC day) and return the new total.
    pub(super) fn count_sent_today(&mut self) -> u32 {
        let today = time::OffsetDateTime::now_utc().date();
        if self.sent_today.0 != today {
            self.sent_today = (today, 0);
        }
        self.sent_today.1 += 1;
        self.sent_today.1
    }

    /// Messages sent today (UTC).
    pub(super) fn sent_today(&self) -> u32 {
        if self.sent_today.0 == time::OffsetDateTime::now_utc().date() {
            self.sent_today.1
        } else {
            0
        }
    }
}
