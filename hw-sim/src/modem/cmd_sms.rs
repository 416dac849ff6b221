//! TS 27.005 SMS commands in PDU mode: message format (§3.2.3), service centre (§3.3.1),
//! message service (§3.2.1), storages (§3.2.2), indications (§3.4.1), acknowledgement
//! (§3.4.4), more-messages-to-send (§3.5.6), list/read/delete (§3.4.2, §3.4.3, §3.5.4) and send
//! with the `> ` prompt (§3.5.1).

use super::cmd_general::{num_arg, text_arg};
use super::engine::{Engine, Fail, Flow, Mode, Output, Sim, Timer};
use super::frontend::Form;
use super::pdu;
use super::sent::SentPart;
use super::sim_storage::{DelFlag, Kind, ListFilter, Slot};

/// Longest TPDU `AT+CMGS` takes (TS 23.040 SMS-SUBMIT with maximal TP-DA and TP-VP).
const MAX_TPDU: usize = 164;

impl Engine {
    /// SMS commands; `None` when `name` is not one of them.
    pub(super) fn exec_sms(
        &mut self,
        name: &str,
        form: &Form,
        lines: &mut Vec<String>,
        out: &mut Output,
    ) -> Option<Result<Flow, Fail>> {
        let r = match name {
            "+CMGF" => self.cmgf(form, lines),
            "+CSCA" => self.csca(form, lines),
            "+CSMS" => self.csms(form, lines),
            "+CPMS" => self.cpms(form, lines),
            "+CNMI" => self.cnmi_cmd(form, lines, out),
            "+CNMA" => self.cnma(form, out),
            "+CMMS" => self.cmms(form, lines),
            "+CSMP" => match form {
                Form::Read => {
                    lines.push("+CSMP: 17,167,0,0".into());
                    Ok(Flow::Next)
                }
                _ => Ok(Flow::Next),
            },
            "+CSDH" | "+CSAS" | "+CRES" => Ok(Flow::Next),
            "+CMGL" => self.cmgl(form, lines),
            "+CMGR" => self.cmgr(form, lines),
            "+CMGD" => self.cmgd(form, lines),
            "+CMGS" => self.cmgs(form),
            "+CMGW" => self.cmgw(form),
            _ => return None,
        };
        Some(r)
    }

    /// SMS commands need an unlocked, ready SIM (CMS 311/316/314 otherwise).
    fn sim_cms(&self) -> Result<(), Fail> {
        match self.sim {
            Sim::Ready => Ok(()),
            Sim::Busy => Err(Fail::Cms(314)),
            Sim::PinLocked(_) => Err(Fail::Cms(311)),
            Sim::PukLocked => Err(Fail::Cms(316)),
        }
    }

    fn cmgf(&mut self, form: &Form, lines: &mut Vec<String>) -> Result<Flow, Fail> {
        match form {
            Form::Set(a) => match num_arg(a, 0) {
                Some(m @ 0..=1) => self.cmgf = m as u8,
                _ => return Err(Fail::Cms(302)),
            },
            Form::Action => self.cmgf = 0,
            Form::Read => lines.push(format!("+CMGF: {}", self.cmgf)),
            Form::Test => lines.push("+CMGF: (0,1)".into()),
        }
        Ok(Flow::Next)
    }

    fn csca(&mut self, form: &Form, lines: &mut Vec<String>) -> Result<Flow, Fail> {
        self.sim_cms()?;
        match form {
            Form::Set(a) => self.csca = text_arg(a, 0).ok_or(Fail::Cms(304))?,
            Form::Read => {
                let ton = if self.csca.starts_with('+') { 145 } else { 129 };
                lines.push(format!("+CSCA: \"{}\",{ton}", self.csca));
            }
            Form::Test | Form::Action => {}
        }
        Ok(Flow::Next)
    }

    fn csms(&mut self, form: &Form, lines: &mut Vec<String>) -> Result<Flow, Fail> {
        match form {
            Form::Set(a) => match num_arg(a, 0) {
                Some(s @ 0..=1) => {
                    self.csms = s as u8;
                    lines.push("+CSMS: 1,1,1".into());
                }
                _ => return Err(Fail::Cms(303)),
            },
            Form::Read => lines.push(format!("+CSMS: {},1,1,1", self.csms)),
            Form::Test => lines.push("+CSMS: (0,1)".into()),
            Form::Action => return Err(Fail::Plain),
        }
        Ok(Flow::Next)
    }

    /// `+CPMS: <used1>,<total1>,<used2>,<total2>,<used3>,<total3>`.
    fn cpms_counts(&self) -> String {
        let parts: Vec<String> = self
            .cpms
            .iter()
            .map(|m| {
                let (used, total) = self.usage(m);
                format!("{used},{total}")
            })
            .collect();
        parts.join(",")
    }

    fn cpms(&mut self, form: &Form, lines: &mut Vec<String>) -> Result<Flow, Fail> {
        let p = self.cfg.profile.clone();
        match form {
            Form::Test => {
                let q = |l: &[&str]| {
                    let v: Vec<String> = l.iter().map(|m| format!("\"{m}\"")).collect();
                    format!("({})", v.join(","))
                };
                lines.push(format!(
                    "+CPMS: {},{},{}",
                    q(p.mem1),
                    q(p.mem23),
                    q(p.mem23)
                ));
            }
            Form::Read => {
                self.sim_cms()?;
                let parts: Vec<String> = self
                    .cpms
                    .iter()
                    .map(|m| {
                        let (used, total) = self.usage(m);
                        format!("\"{m}\",{used},{total}")
                    })
                    .collect();
                lines.push(format!("+CPMS: {}", parts.join(",")));
            }
            Form::Set(a) => {
                self.sim_cms()?;
                let mut new = self.cpms.clone();
                for (i, slot) in new.iter_mut().enumerate() {
                    let Some(m) = text_arg(a, i) else { continue };
                    let m = m.to_ascii_uppercase();
                    let allowed = if i == 0 { p.mem1 } else { p.mem23 };
                    if !allowed.contains(&m.as_str()) {
                        return Err(Fail::Cms(302));
                    }
                    *slot = m;
                }
                self.cpms = new;
                lines.push(format!("+CPMS: {}", self.cpms_counts()));
            }
            Form::Action => return Err(Fail::Plain),
        }
        Ok(Flow::Next)
    }

    /// `+CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>`: each value must be one the profile supports.
    fn cnmi_cmd(
        &mut self,
        form: &Form,
        lines: &mut Vec<String>,
        out: &mut Output,
    ) -> Result<Flow, Fail> {
        match form {
            Form::Test => lines.push(self.cfg.profile.cnmi_test()),
            Form::Read => {
                let v: Vec<String> = self.cnmi.iter().map(u8::to_string).collect();
                lines.push(format!("+CNMI: {}", v.join(",")));
            }
            Form::Set(a) => {
                let mut new = self.cnmi;
                for (i, v) in new.iter_mut().enumerate() {
                    let field = smsgw::at::fields::split(a);
                    match field.get(i) {
                        None | Some(smsgw::at::fields::Field::Empty) => {}
                        Some(f) => {
                            let n: u8 = f.number().ok_or(Fail::Cms(303))?;
                            if !self.cfg.profile.cnmi_ranges[i].contains(&n) {
                                return Err(Fail::Cms(303));
                            }
                            *v = n;
                        }
                    }
                }
                self.cnmi = new;
                if new[0] != 0 {
                    self.flush_buffered_indications(new[4] == 1, out);
                }
            }
            Form::Action => return Err(Fail::Plain),
        }
        Ok(Flow::Next)
    }

    /// `+CNMA` acknowledges a routed `+CMT` (phase 2+, `AT+CSMS=1`); `+CNMA=2` rejects it.
    fn cnma(&mut self, form: &Form, out: &mut Output) -> Result<Flow, Fail> {
        if matches!(form, Form::Test) {
            return Ok(Flow::Next);
        }
        let negative = matches!(form, Form::Set(a) if num_arg(a, 0) == Some(2));
        match self.awaiting_cnma.take() {
            None => Err(Fail::Cms(340)),
            Some((_, tpdu)) => {
                if negative {
                    self.store_incoming(tpdu, out);
                }
                Ok(Flow::Next)
            }
        }
    }

    fn cmms(&mut self, form: &Form, lines: &mut Vec<String>) -> Result<Flow, Fail> {
        match form {
            Form::Set(a) => match num_arg(a, 0) {
                Some(n @ 0..=2) => self.cmms = n as u8,
                _ => return Err(Fail::Cms(302)),
            },
            Form::Read => lines.push(format!("+CMMS: {}", self.cmms)),
            Form::Test => lines.push("+CMMS: (0-2)".into()),
            Form::Action => return Err(Fail::Plain),
        }
        Ok(Flow::Next)
    }

    /// The SMSC prefix of stored PDUs: the SMSC address as the codec encodes it, or `00`.
    fn sca_hex(&self) -> String {
        let sca = pdu::encode_smsc(&self.cfg.smsc).unwrap_or_else(|_| vec![0]);
        hex::encode_upper(sca)
    }

    /// `+CMGL=<stat>`: PDU mode lines `+CMGL: <index>,<stat>,,<length>` and the PDU.
    fn cmgl(&mut self, form: &Form, lines: &mut Vec<String>) -> Result<Flow, Fail> {
        self.sim_cms()?;
        let filter = match form {
            Form::Test => {
                lines.push(if self.cmgf == 0 {
                    "+CMGL: (0-4)".into()
                } else {
                    "+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")"
                        .into()
                });
                return Ok(Flow::Next);
            }
            Form::Action if self.cmgf == 1 => ListFilter::Only(super::sim_storage::Stat::RecUnread),
            Form::Action => ListFilter::Only(super::sim_storage::Stat::RecUnread),
            Form::Set(a) => ListFilter::parse(a).ok_or(Fail::Cms(302))?,
            Form::Read => return Err(Fail::Plain),
        };
        if self.cmgf == 1 {
            return Err(Fail::Cms(305));
        }
        let sca = self.sca_hex();
        let mem = self.cpms[0].clone();
        let Some(store) = self.storages.get_mut(&mem) else {
            return Ok(Flow::Next);
        };
        for (index, slot) in store.list(filter, true) {
            lines.push(format!(
                "+CMGL: {index},{},,{}",
                slot.stat.code(),
                slot.tpdu.len()
            ));
            lines.push(format!("{sca}{}", hex::encode_upper(&slot.tpdu)));
        }
        Ok(Flow::Next)
    }

    /// `+CMGR=<index>`: `+CMGR: <stat>,,<length>` and the PDU.
    fn cmgr(&mut self, form: &Form, lines: &mut Vec<String>) -> Result<Flow, Fail> {
        self.sim_cms()?;
        let index = match form {
            Form::Set(a) => num_arg(a, 0).ok_or(Fail::Cms(321))?,
            Form::Test => return Ok(Flow::Next),
            _ => return Err(Fail::Plain),
        };
        if self.cmgf == 1 {
            return Err(Fail::Cms(305));
        }
        let sca = self.sca_hex();
        let mem = self.cpms[0].clone();
        let empty_is_error = self.cfg.profile.cmgr_empty_is_error;
        let store = self.storages.get_mut(&mem).ok_or(Fail::Cms(321))?;
        if !store.in_range(index) {
            return Err(Fail::Cms(321));
        }
        match store.read(index, true) {
            Some(slot) => {
                lines.push(format!("+CMGR: {},,{}", slot.stat.code(), slot.tpdu.len()));
                lines.push(format!("{sca}{}", hex::encode_upper(&slot.tpdu)));
            }
            None if empty_is_error => return Err(Fail::Cms(321)),
            None => {}
        }
        Ok(Flow::Next)
    }

    /// `+CMGD=<index>[,<delflag>]`; the test form lists used indexes.
    fn cmgd(&mut self, form: &Form, lines: &mut Vec<String>) -> Result<Flow, Fail> {
        self.sim_cms()?;
        let mem = self.cpms[0].clone();
        let store = self.storages.get_mut(&mem).ok_or(Fail::Cms(321))?;
        match form {
            Form::Test => {
                let used: Vec<String> = store.indexes().iter().map(u32::to_string).collect();
                lines.push(format!("+CMGD: ({}),(0-4)", used.join(",")));
                Ok(Flow::Next)
            }
            Form::Set(_) if self.faults.hang_on_delete => {
                self.faults.hang_on_delete = false;
                self.faults.hung = true;
                Ok(Flow::Silent)
            }
            Form::Set(a) => {
                let index = num_arg(a, 0).ok_or(Fail::Cms(321))?;
                let flag = match num_arg(a, 1) {
                    None => DelFlag::Index,
                    Some(f) => u8::try_from(f)
                        .ok()
                        .and_then(DelFlag::from_code)
                        .ok_or(Fail::Cms(302))?,
                };
                if flag == DelFlag::Index && !store.in_range(index) {
                    return Err(Fail::Cms(321));
                }
                if store.delete(index, flag) > 0 {
                    // Space freed: the network retries what it held back (TS 23.040 §10.3 SMMA).
                    self.retry_network_later();
                }
                Ok(Flow::Next)
            }
            _ => Err(Fail::Plain),
        }
    }

    /// The `<length>` of `+CMGS` / `+CMGW` (first argument of `args`), once the SIM is ready
    /// and PDU mode is on: what both check before their prompt.
    fn pdu_length(&mut self, args: &str) -> Result<usize, Fail> {
        self.sim_cms()?;
        if self.cmgf == 1 {
            return Err(Fail::Cms(305));
        }
        let length = num_arg(args, 0).ok_or(Fail::Cms(304))? as usize;
        if length == 0 || length > MAX_TPDU {
            return Err(Fail::Cms(304));
        }
        Ok(length)
    }

    /// `+CMGS=<length>` in PDU mode: checks, then the prompt.
    fn cmgs(&mut self, form: &Form) -> Result<Flow, Fail> {
        let Form::Set(a) = form else {
            return match form {
                Form::Test => Ok(Flow::Next),
                _ => Err(Fail::Plain),
            };
        };
        let length = self.pdu_length(a)?;
        if self.faults.send == super::faults::SendFault::HangBeforePrompt {
            self.faults.send = super::faults::SendFault::None;
            self.faults.hung = true;
            return Ok(Flow::Silent);
        }
        Ok(Flow::Prompt(length, None))
    }

    /// `+CMGW=<length>[,<stat>]` in PDU mode (TS 27.005 §3.5.3): the prompt, then the PDU is
    /// stored in `<mem2>` with `<stat>` (default 2, "STO UNSENT").
    fn cmgw(&mut self, form: &Form) -> Result<Flow, Fail> {
        let Form::Set(a) = form else {
            return match form {
                Form::Test => Ok(Flow::Next),
                _ => Err(Fail::Plain),
            };
        };
        let length = self.pdu_length(a)?;
        let stat = match num_arg(a, 1) {
            None => 2,
            Some(s @ 0..=3) => s as u8,
            Some(_) => return Err(Fail::Cms(304)),
        };
        Ok(Flow::Prompt(length, Some(stat)))
    }

    /// Whether `mem` can take no more messages (really full, or made full by a fault).
    pub(super) fn is_full(&self, mem: &str) -> bool {
        self.faults.full.iter().any(|m| m == mem)
            || self
                .storages
                .get(mem)
                .is_none_or(|s| s.used() >= s.capacity)
    }

    /// `<used>,<total>` of `mem` as `AT+CPMS` shows them (a faulted storage shows full).
    fn usage(&self, mem: &str) -> (usize, usize) {
        let s = self.storages.get(mem);
        let total = s.map_or(0, |s| s.capacity);
        if self.faults.full.iter().any(|m| m == mem) {
            (total, total)
        } else {
            (s.map_or(0, |s| s.used()), total)
        }
    }

    /// One byte typed after the prompt: hex digits collect, Ctrl-Z sends, ESC cancels.
    pub(super) fn prompt_byte(&mut self, b: u8, out: &mut Output) {
        let Mode::Prompt { length, store, hex } = &mut self.mode else {
            return;
        };
        match b {
            0x1A => {
                let (length, store, hex) = (*length, *store, std::mem::take(hex));
                match store {
                    Some(stat) => self.write_stored(length, stat, &hex, out),
                    None => self.submit(length, &hex, out),
                }
            }
            0x1B => {
                self.mode = Mode::Command;
                self.final_text(out, "OK", 0);
            }
            b'\r' | b'\n' | b' ' => {}
            _ => {
                if hex.len() >= 2 * (MAX_TPDU + 12) {
                    self.mode = Mode::Command;
                    return self.fail(out, Fail::Cms(304));
                }
                hex.push(b);
                if self.echo {
                    out.bytes.push(b);
                }
            }
        }
    }

    /// Ctrl-Z after `AT+CMGW`: store the TPDU in `<mem2>`; `+CMS ERROR: 322` when it is full.
    fn write_stored(&mut self, length: usize, stat: u8, hex_digits: &[u8], out: &mut Output) {
        self.mode = Mode::Command;
        let tpdu = hex::decode(hex_digits).ok().and_then(|octets| {
            let sca_len = usize::from(*octets.first()?);
            octets.get(1 + sca_len..).map(<[u8]>::to_vec)
        });
        let Some(tpdu) = tpdu.filter(|t| t.len() == length) else {
            return self.fail(out, Fail::Cms(304));
        };
        let mem = self.cpms[1].clone();
        if self.is_full(&mem) {
            return self.fail(out, Fail::Cms(322));
        }
        let stat = match stat {
            0 => super::sim_storage::Stat::RecUnread,
            1 => super::sim_storage::Stat::RecRead,
            2 => super::sim_storage::Stat::StoUnsent,
            _ => super::sim_storage::Stat::StoSent,
        };
        let kind = if stat.code() < 2 {
            Kind::Deliver
        } else {
            Kind::Submit
        };
        let stored = self
            .storages
            .get_mut(&mem)
            .and_then(|s| s.store(Slot { stat, kind, tpdu }));
        match stored {
            Some(index) => {
                let mut lines = vec![format!("+CMGW: {index}")];
                self.info(out, &mut lines);
                self.final_text(out, "OK", 0);
            }
            None => self.fail(out, Fail::Cms(322)),
        }
    }

    /// Ctrl-Z: check the PDU against `<length>` and hand it to the network.
    fn submit(&mut self, length: usize, hex_digits: &[u8], out: &mut Output) {
        self.mode = Mode::Command;
        let Ok(octets) = hex::decode(hex_digits) else {
            return self.fail(out, Fail::Cms(304));
        };
        let Some(&sca_len) = octets.first() else {
            return self.fail(out, Fail::Cms(304));
        };
        let Some(tpdu) = octets.get(1 + usize::from(sca_len)..) else {
            return self.fail(out, Fail::Cms(304));
        };
        if tpdu.len() != length {
            return self.fail(out, Fail::Cms(304));
        }
        if sca_len == 0 && self.csca.is_empty() {
            return self.fail(out, Fail::Cms(330));
        }
        if !self.registered_now() {
            return self.fail(out, Fail::Cms(331));
        }
        self.mode = Mode::Busy;
        let delay = self.cfg.send_delay;
        if let Some(code) = self.faults.send_error(self.sent_today()) {
            self.timer(
                out,
                delay,
                Timer::SendDone {
                    result: Err(code),
                    report: None,
                },
            );
            return;
        }
        let mr = self.next_mr;
        self.next_mr = self.next_mr.wrapping_add(1);
        self.count_sent_today();
        let decoded = pdu::decode_submit(tpdu).ok();
        let hang = self.faults.send == super::faults::SendFault::HangAfterPdu;
        let now = time::OffsetDateTime::now_utc();
        out.sent.push(SentPart {
            mr,
            tpdu: hex::encode_upper(tpdu),
            decoded: decoded.clone(),
            acknowledged: !hang,
            at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        });
        if hang {
            // Hung, not busy: no `+CMGS:` will ever finish this command, so clearing the
            // faults must find the modem in command mode, ready for the next line.
            self.faults.send = super::faults::SendFault::None;
            self.faults.hung = true;
            self.mode = Mode::Command;
            return;
        }
        let report = decoded.filter(|d| d.srr).map(|d| (d.recipient, now));
        self.timer(
            out,
            delay,
            Timer::SendDone {
                result: Ok(mr),
                report,
            },
        );
    }

    /// Store a received TPDU of `kind` in `mem`; `None` when full.
    pub(super) fn store_slot(&mut self, mem: &str, kind: Kind, tpdu: Vec<u8>) -> Option<u32> {
        if self.faults.full.iter().any(|m| m == mem) {
            return None;
        }
        let store = self.storages.get_mut(mem)?;
        store.store(Slot {
            stat: super::sim_storage::Stat::RecUnread,
            kind,
            tpdu,
        })
    }
}
