//! The network side of the simulated modem: incoming SMS-DELIVERs and SMS-STATUS-REPORTs,
//! routed or stored per `AT+CNMI` (TS 27.005 §3.4.1), held by the network while the modem is
//! unregistered or its storage is full, and acknowledged with `AT+CNMA` when `AT+CSMS=1`.

use super::engine::{Engine, Output, Timer};
use super::pdu::{self, DeliverOptions, PduError};
use super::sim_storage::Kind;

impl Engine {
    /// Inject a text message from `sender`: encoded by smsgw's codec into SMS-DELIVER parts,
    /// delivered in order or in reverse order. Returns how many parts were delivered.
    pub fn inject_text(
        &mut self,
        sender: &str,
        text: &str,
        ucs2: bool,
        reverse: bool,
        out: &mut Output,
    ) -> Result<usize, PduError> {
        self.concat_ref = self.concat_ref.wrapping_add(1);
        let opts = DeliverOptions {
            ucs2,
            reference: self.concat_ref,
        };
        let mut parts = pdu::encode_deliver(sender, text, &opts, time::OffsetDateTime::now_utc())?;
        if reverse {
            parts.reverse();
        }
        let n = parts.len();
        for tpdu in parts {
            self.deliver(tpdu, out);
        }
        Ok(n)
    }

    /// A TPDU (SMS-DELIVER, without SMSC address) arrives from the network.
    pub fn deliver(&mut self, tpdu: Vec<u8>, out: &mut Output) {
        if !self.registered_now() || !self.network_queue.is_empty() {
            self.network_queue.push_back(tpdu);
            return;
        }
        if let Some(tpdu) = self.try_deliver(tpdu, out) {
            self.network_queue.push_back(tpdu);
        }
    }

    /// Deliver now if possible; gives the TPDU back when the network must hold it.
    fn try_deliver(&mut self, tpdu: Vec<u8>, out: &mut Output) -> Option<Vec<u8>> {
        let mt = self.cnmi[1];
        if mt == 2 {
            if self.csms == 1 && self.awaiting_cnma.is_some() {
                return Some(tpdu);
            }
            let sca = self.sca_prefix();
            self.indicate(
                out,
                vec![
                    format!("+CMT: ,{}", tpdu.len()),
                    format!("{sca}{}", hex::encode_upper(&tpdu)),
                ],
            );
            if self.csms == 1 {
                self.cnma_seq += 1;
                let id = self.cnma_seq;
                self.awaiting_cnma = Some((id, tpdu));
                let t = self.cfg.cnma_timeout;
                self.timer(out, t, Timer::CnmaTimeout(id));
            }
            return None;
        }
        let mem = self.cpms[2].clone();
        let index = match self.store_slot(&mem, Kind::Deliver, tpdu.clone()) {
            Some(i) => i,
            None => {
                // The modem tells the network it has no room (TS 24.011 memory capacity
                // exceeded) and the DTE in the vendor's way; the network holds the message.
                self.storage_full_notice(&mem, out);
                return Some(tpdu);
            }
        };
        if mt == 1 || mt == 3 {
            self.indicate(out, vec![format!("+CMTI: \"{mem}\",{index}")]);
        }
        None
    }

    /// Store a message the DTE rejected or did not acknowledge, announcing it with `+CMTI`.
    pub(super) fn store_incoming(&mut self, tpdu: Vec<u8>, out: &mut Output) {
        let mem = self.cpms[2].clone();
        match self.store_slot(&mem, Kind::Deliver, tpdu.clone()) {
            Some(index) => self.indicate(out, vec![format!("+CMTI: \"{mem}\",{index}")]),
            None => {
                self.storage_full_notice(&mem, out);
                self.network_queue.push_back(tpdu);
            }
        }
    }

    /// Stores a status report and announces it (`+CDSI`); false when its storage is full.
    fn store_report(&mut self, tpdu: Vec<u8>, out: &mut Output) -> bool {
        let mem = self.cfg.profile.sr_storage;
        match self.store_slot(mem, Kind::StatusReport, tpdu) {
            Some(index) => {
                self.indicate(out, vec![format!("+CDSI: \"{mem}\",{index}")]);
                true
            }
            None => false,
        }
    }

    /// Stores a status report, or holds it in the network behind those already waiting
    /// while its storage is full.
    fn store_or_hold_report(&mut self, mr: u8, tpdu: Vec<u8>, out: &mut Output) {
        if !self.held_reports.is_empty() || !self.store_report(tpdu.clone(), out) {
            tracing::debug!(mr, "status report held by the network: storage full");
            self.held_reports.push_back(tpdu);
        }
    }

    /// Deliver what the network held back, in order, until something has to wait again.
    pub(super) fn flush_network(&mut self, out: &mut Output) {
        while let Some(tpdu) = self.held_reports.pop_front() {
            if !self.store_report(tpdu.clone(), out) {
                self.held_reports.push_front(tpdu);
                break;
            }
        }
        while self.registered_now() {
            let Some(tpdu) = self.network_queue.pop_front() else {
                break;
            };
            if let Some(back) = self.try_deliver(tpdu, out) {
                self.network_queue.push_front(back);
                break;
            }
        }
    }

    /// Storage space was freed (the modem's memory-available notification, TS 23.040 §10.3):
    /// the network retries after the current command.
    pub(super) fn retry_network_later(&mut self) {
        self.retry_network = true;
    }

    /// A routed `+CMT` was not acknowledged: the network stops routing it and the modem keeps
    /// it in storage instead (a simplification of the network's retry).
    pub(super) fn cnma_timeout(&mut self, id: u64, out: &mut Output) {
        if let Some((pending, _)) = &self.awaiting_cnma
            && *pending == id
            && let Some((_, tpdu)) = self.awaiting_cnma.take()
        {
            self.store_incoming(tpdu, out);
            self.flush_network(out);
        }
    }

    /// The SMS-STATUS-REPORT of a submission arrives: routed (`+CDS`), stored (`+CDSI`) or
    /// dropped, per `<ds>` of `AT+CNMI`.
    pub(super) fn status_report(
        &mut self,
        mr: u8,
        recipient: &str,
        submitted: time::OffsetDateTime,
        out: &mut Output,
    ) {
        let now = time::OffsetDateTime::now_utc();
        let status = self.cfg.report_status;
        let Ok(tpdu) = pdu::encode_status_report(mr, recipient, submitted, now, status) else {
            tracing::warn!(mr, "status report could not be encoded");
            return;
        };
        match self.cnmi[3] {
            1 => {
                let sca = self.sca_prefix();
                self.indicate(
                    out,
                    vec![
                        format!("+CDS: {}", tpdu.len()),
                        format!("{sca}{}", hex::encode_upper(&tpdu)),
                    ],
                );
            }
            2 => self.store_or_hold_report(mr, tpdu, out),
            _ => {}
        }
    }

    /// A new-message indication: shown now, or buffered in the modem while `<mode>` is 0.
    fn indicate(&mut self, out: &mut Output, lines: Vec<String>) {
        if self.cnmi[0] == 0 {
            self.ind_buffer.push(lines);
        } else {
            self.urc(out, &lines);
        }
    }

    /// `AT+CNMI` with `<mode>` 1 or 2: buffered indications are flushed (`<bfr>`=0) or
    /// cleared (`<bfr>`=1).
    pub(super) fn flush_buffered_indications(&mut self, discard: bool, out: &mut Output) {
        let buffered = std::mem::take(&mut self.ind_buffer);
        if !discard {
            for lines in buffered {
                self.urc(out, &lines);
            }
        }
    }

    /// The SMSC prefix of routed PDUs, as hex.
    fn sca_prefix(&self) -> String {
        let sca = pdu::encode_smsc(&self.cfg.smsc).unwrap_or_else(|_| vec![0]);
        hex::encode_upper(sca)
    }
}
