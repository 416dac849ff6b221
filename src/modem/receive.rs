//! Receiving: `+CMTI` → `AT+CMGR` → store durably → only then `AT+CMGD`; the periodic
//! `AT+CMGL` sweep of every storage; routed `+CMT`/`+CDS` with `AT+CNMA`; status reports from
//! `+CDSI`, including modems that announce the wrong storage (TS 27.005 §3.4.1, §3.4.2,
//! §3.4.3, §3.5.4, §3.4.4).
//!
//! The one rule that matters: a location is deleted only after what was read from it is
//! durable in the store (or was already there), and never when nothing usable was read.

use std::time::Duration;

use tracing::{debug, info, warn};

use super::codec::{Decoded, IncomingSms, StatusReportPdu, TpduCodec};
use super::port::{PortError, PortHandle};
use crate::at::Command;
use crate::at::response::sms::{StoredMessage, parse_cmgl, parse_cmgr};
use crate::gsm::{DeliveryState, TpStatus};
use crate::model::{PartStatus, Timestamp};
use crate::store::{InboundPart, PartRef, Received, ReportInput, ReportMatch, Store};

/// The storage status reports go to when the announced one is wrong (TS 27.005 §3.2.2 `SR`).
pub const REPORT_STORAGE: &str = "SR";

/// The store's view of a decoded status report: the part's new status from TP-ST.
pub fn report_input(sr: &StatusReportPdu) -> ReportInput {
    ReportInput {
        mr: sr.mr,
        recipient: sr.recipient.clone(),
        status: sr.status,
        part_status: match TpStatus(sr.status).state() {
            DeliveryState::Delivered => PartStatus::Delivered,
            DeliveryState::Temporary => PartStatus::Sent,
            DeliveryState::Permanent => PartStatus::Undelivered,
        },
    }
}

/// What receiving needs to know about its modem.
#[derive(Debug)]
pub struct Receiver<'a> {
    /// The port.
    pub port: &'a PortHandle,
    /// TPDU decoding.
    pub codec: &'a dyn TpduCodec,
    /// The store.
    pub store: &'a Store,
    /// Modem name (keys dedup, reassembly and report correlation).
    pub modem: &'a str,
    /// Route name shown in the inbox.
    pub route: &'a str,
    /// Our SIM's number, when known.
    pub own_number: Option<&'a str>,
    /// The storage selected at start-up, restored after reading another one.
    pub storage: Option<&'a str>,
    /// Command timeout.
    pub timeout: Duration,
    /// How far back a report may match a sent part.
    pub report_window: Duration,
}

/// What became of one PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
// Returned once per PDU and dropped at once (see `store::Received`).
#[allow(clippy::large_enum_variant)]
pub enum Handled {
    /// A message (or a part of one) is durable in the store: delete it from the SIM.
    Stored(Received),
    /// A status report was applied, or matched nothing: delete it.
    Report(ReportMatch),
    /// Not decodable or not a message for us: left where it is.
    Kept(String),
}

impl Handled {
    /// Whether the location may be deleted.
    pub fn deletable(&self) -> bool {
        matches!(self, Handled::Stored(_) | Handled::Report(_))
    }
}

/// The part the store reassembles from a decoded SMS-DELIVER received on `modem` of `route`
/// (whose SIM's number is `own_number`, when known).
pub fn inbound_part(
    sms: IncomingSms,
    modem: &str,
    route: &str,
    own_number: Option<&str>,
) -> InboundPart {
    InboundPart {
        modem: modem.to_string(),
        route: route.to_string(),
        from: sms.from,
        from_type: sms.from_type,
        to: own_number.map(str::to_string),
        to_type: crate::model::NumberType::Unknown,
        sent_at: sms.sent_at,
        concat: sms.concat.map(|c| PartRef {
            reference: c.reference,
            total: c.total,
            seq: c.seq,
            sixteen_bit: c.sixteen_bit,
        }),
        text: sms.text,
    }
}

impl Receiver<'_> {
    /// Decodes a PDU and stores what it carries, durably. `Err` only for store failures.
    pub async fn handle_pdu(&self, pdu_hex: &str) -> Result<Handled, crate::store::StoreError> {
        let bytes = match hex::decode(pdu_hex.trim()) {
            Ok(b) => b,
            Err(e) => return Ok(Handled::Kept(format!("not hexadecimal: {e}"))),
        };
        let decoded = match self.codec.decode(pdu_hex.trim()) {
            Ok(d) => d,
            Err(e) => return Ok(Handled::Kept(format!("undecodable PDU: {e}"))),
        };
        let now = Timestamp::now();
        match decoded {
            Decoded::Deliver(sms) => {
                let part = inbound_part(sms, self.modem, self.route, self.own_number);
                let r = self
                    .store
                    .writer()
                    .receive_part(bytes, part, now)
                    .wait()
                    .await?;
                self.store.durable().await?;
                if let Received::Stored(m) = &r {
                    info!(target: "smsgw::modem", modem = self.modem, id = %m.id, parts = m.parts, "message received");
                }
                Ok(Handled::Stored(r))
            }
            Decoded::StatusReport(sr) => self.apply_report(&sr, now).await,
            Decoded::Other(kind) => Ok(Handled::Kept(format!("a stored {kind}, not a message"))),
        }
    }

    /// Applies a decoded status report.
    pub async fn apply_report(
        &self,
        sr: &StatusReportPdu,
        now: Timestamp,
    ) -> Result<Handled, crate::store::StoreError> {
        let input = report_input(sr);
        let m = self
            .store
            .writer()
            .apply_status_report(self.modem, input, self.report_window, now)
            .wait()
            .await?;
        self.store.durable().await?;
        debug!(target: "smsgw::modem", modem = self.modem, mr = sr.mr, st = sr.status, result = ?m, "status report");
        Ok(Handled::Report(m))
    }

    async fn select(&self, storage: &str) -> Result<bool, PortError> {
        let Ok(cmd) = Command::preferred_storage(storage, None, None) else {
            return Ok(false);
        };
        Ok(self.port.command(&cmd, self.timeout).await?.result.is_ok())
    }

    async fn restore(&self, switched: bool) -> Result<(), PortError> {
        if switched {
            if let Some(s) = self.storage {
                let _ = self.select(s).await?;
            }
        }
        Ok(())
    }

    /// Reads `index` of `storage` (as announced by `+CMTI`), stores it, deletes it.
    pub async fn read_announced(&self, storage: &str, index: u32) -> Result<Handled, PortError> {
        let switched = self.storage != Some(storage);
        if switched && !self.select(storage).await? {
            return Ok(Handled::Kept(format!("storage {storage:?} refused")));
        }
        let r = self.read_one(index, false).await;
        self.restore(switched).await?;
        r
    }

    /// `+CDSI`: reads the report in the announced storage; if that location is empty or not a
    /// status report, tries the `SR` storage at the same index. Deletes only what it read.
    pub async fn read_report(&self, storage: &str, index: u32) -> Result<Handled, PortError> {
        let mut tried = vec![storage.to_string()];
        if storage != REPORT_STORAGE {
            tried.push(REPORT_STORAGE.to_string());
        }
        let mut last = Handled::Kept("nothing read".into());
        for s in tried {
            let switched = self.storage != Some(s.as_str());
            if switched && !self.select(&s).await? {
                continue;
            }
            let r = self.read_one(index, true).await;
            self.restore(switched).await?;
            last = r?;
            if last.deletable() {
                break;
            }
        }
        Ok(last)
    }

    /// `AT+CMGR`, handle, then `AT+CMGD` when allowed. With `report_only`, anything but a
    /// status report is left alone (the announced storage was wrong).
    async fn read_one(&self, index: u32, report_only: bool) -> Result<Handled, PortError> {
        let r = self
            .port
            .command(&Command::read_message(index), self.timeout)
            .await?;
        let msg = match parse_cmgr(&r) {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(Handled::Kept(format!("location {index} is empty"))),
            Err(e) => return Ok(Handled::Kept(format!("cannot read location {index}: {e}"))),
        };
        if report_only && !matches!(self.codec.decode(&msg.pdu), Ok(Decoded::StatusReport(_))) {
            return Ok(Handled::Kept(format!(
                "location {index} holds no status report"
            )));
        }
        self.finish(index, &msg).await
    }

    async fn finish(&self, index: u32, msg: &StoredMessage) -> Result<Handled, PortError> {
        let handled = match self.handle_pdu(&msg.pdu).await {
            Ok(h) => h,
            Err(e) => {
                // Not durable: leave it on the SIM for the next sweep.
                warn!(target: "smsgw::modem", modem = self.modem, cause = %e, "cannot store a received message; left on the SIM");
                return Ok(Handled::Kept(format!("store error: {e}")));
            }
        };
        if handled.deletable() {
            let d = self
                .port
                .command(&Command::delete_message(index, None), self.timeout)
                .await?;
            if !d.result.is_ok() {
                warn!(target: "smsgw::modem", modem = self.modem, index, result = ?d.result, "delete refused; the copy in the store is kept and the next read is deduplicated");
            }
        } else if let Handled::Kept(why) = &handled {
            debug!(target: "smsgw::modem", modem = self.modem, index, why, "left on the SIM");
        }
        Ok(handled)
    }

    /// Lists every message in each of `storages` and handles them all. Returns how many
    /// locations were emptied.
    pub async fn sweep(&self, storages: &[&str]) -> Result<usize, PortError> {
        let mut n = 0;
        for s in storages {
            let switched = self.storage != Some(*s);
            if switched && !self.select(s).await? {
                continue;
            }
            let r = self
                .port
                .command(&Command::list_all_messages(), self.timeout * 4)
                .await;
            let list = match r {
                Ok(r) => parse_cmgl(&r).unwrap_or_default(),
                Err(PortError::Timeout { .. }) => Vec::new(),
                Err(e) => return Err(e),
            };
            for m in &list {
                let Some(index) = m.index else { continue };
                if self.finish(index, m).await?.deletable() {
                    n += 1;
                }
            }
            self.restore(switched).await?;
        }
        Ok(n)
    }

    /// Acknowledges a routed `+CMT`/`+CDS` (TS 27.005 §3.4.4).
    pub async fn acknowledge(&self) -> Result<(), PortError> {
        let _ = self
            .port
            .command(&Command::acknowledge(), self.timeout)
            .await?;
        Ok(())
    }
}
