//! Message storages of the simulated modem: "SM" (SIM), "ME" (phone) and "SR" (status
//! reports), with capacities, indexes and message status (TS 27.005 §3.1 `<mem>`, `<stat>`).

use std::collections::BTreeMap;

/// `<stat>` of a stored message (TS 27.005 §3.1), PDU-mode numbers and text-mode names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stat {
    /// 0 "REC UNREAD": received, not yet read.
    RecUnread,
    /// 1 "REC READ": received and read.
    RecRead,
    /// 2 "STO UNSENT": stored, not sent.
    StoUnsent,
    /// 3 "STO SENT": stored and sent.
    StoSent,
}

impl Stat {
    /// The PDU-mode number.
    pub fn code(self) -> u8 {
        match self {
            Stat::RecUnread => 0,
            Stat::RecRead => 1,
            Stat::StoUnsent => 2,
            Stat::StoSent => 3,
        }
    }

    /// The text-mode name.
    pub fn text(self) -> &'static str {
        match self {
            Stat::RecUnread => "REC UNREAD",
            Stat::RecRead => "REC READ",
            Stat::StoUnsent => "STO UNSENT",
            Stat::StoSent => "STO SENT",
        }
    }
}

/// Which messages `AT+CMGL` lists: one status or all (PDU `4`, text `"ALL"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFilter {
    /// Only messages with this status.
    Only(Stat),
    /// Everything.
    All,
}

impl ListFilter {
    /// Parse a PDU-mode number (0..4) or a text-mode name (`"REC UNREAD"`, ..., `"ALL"`).
    pub fn parse(arg: &str) -> Option<ListFilter> {
        let arg = arg.trim().trim_matches('"');
        let by_code = match arg {
            "0" => Some(ListFilter::Only(Stat::RecUnread)),
            "1" => Some(ListFilter::Only(Stat::RecRead)),
            "2" => Some(ListFilter::Only(Stat::StoUnsent)),
            "3" => Some(ListFilter::Only(Stat::StoSent)),
            "4" => Some(ListFilter::All),
            _ => None,
        };
        by_code.or_else(|| {
            [
                Stat::RecUnread,
                Stat::RecRead,
                Stat::StoUnsent,
                Stat::StoSent,
            ]
            .into_iter()
            .find(|s| s.text().eq_ignore_ascii_case(arg))
            .map(ListFilter::Only)
            .or_else(|| arg.eq_ignore_ascii_case("ALL").then_some(ListFilter::All))
        })
    }

    fn matches(self, stat: Stat) -> bool {
        match self {
            ListFilter::All => true,
            ListFilter::Only(s) => s == stat,
        }
    }
}

/// What a stored entry is, so that `AT+CMGR` prints the right header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An SMS-DELIVER.
    Deliver,
    /// An SMS-STATUS-REPORT.
    StatusReport,
    /// An SMS-SUBMIT the DTE stored with `AT+CMGW`.
    Submit,
}

/// One stored message: its TPDU (without the SMSC address) and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// Status.
    pub stat: Stat,
    /// Deliver or status report.
    pub kind: Kind,
    /// The TPDU octets, without the SMSC address prefix.
    pub tpdu: Vec<u8>,
}

/// One named storage with a fixed number of locations.
#[derive(Debug, Clone)]
pub struct Storage {
    /// "SM", "ME" or "SR".
    pub name: String,
    /// Number of locations.
    pub capacity: usize,
    /// The first index (1 on most modems; some number from 0).
    pub first_index: u32,
    slots: BTreeMap<u32, Slot>,
}

/// `AT+CMGD` `<delflag>` (TS 27.005 §3.5.4): which messages to delete besides the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelFlag {
    /// 0: only the one at the index.
    Index,
    /// 1: all read messages.
    Read,
    /// 2: read and sent.
    ReadSent,
    /// 3: read, sent and unsent.
    ReadSentUnsent,
    /// 4: everything.
    All,
}

impl DelFlag {
    /// Map the numeric flag.
    pub fn from_code(code: u8) -> Option<DelFlag> {
        Some(match code {
            0 => DelFlag::Index,
            1 => DelFlag::Read,
            2 => DelFlag::ReadSent,
            3 => DelFlag::ReadSentUnsent,
            4 => DelFlag::All,
            _ => return None,
        })
    }

    fn deletes(self, stat: Stat) -> bool {
        match self {
            DelFlag::Index => false,
            DelFlag::Read => stat == Stat::RecRead,
            DelFlag::ReadSent => matches!(stat, Stat::RecRead | Stat::StoSent),
            DelFlag::ReadSentUnsent => stat != Stat::RecUnread,
            DelFlag::All => true,
        }
    }
}

impl Storage {
    /// An empty storage.
    pub fn new(name: &str, capacity: usize, first_index: u32) -> Storage {
        Storage {
            name: name.to_owned(),
            capacity,
            first_index,
            slots: BTreeMap::new(),
        }
    }

    /// Used locations.
    pub fn used(&self) -> usize {
        self.slots.len()
    }

    /// Whether an index is inside the storage's range.
    pub fn in_range(&self, index: u32) -> bool {
        index >= self.first_index && ((index - self.first_index) as usize) < self.capacity
    }

    /// Store at the lowest free index; `None` when full ("memory full", CMS 322).
    pub fn store(&mut self, slot: Slot) -> Option<u32> {
        let free = (0..self.capacity as u32)
            .map(|i| i + self.first_index)
            .find(|i| !self.slots.contains_key(i))?;
        self.slots.insert(free, slot);
        Some(free)
    }

    /// Read one location; unread received messages become read (TS 27.005 §3.4.3).
    pub fn read(&mut self, index: u32, mark_read: bool) -> Option<Slot> {
        let slot = self.slots.get_mut(&index)?;
        let copy = slot.clone();
        if mark_read && slot.stat == Stat::RecUnread {
            slot.stat = Stat::RecRead;
        }
        Some(copy)
    }

    /// List matching messages in index order, marking unread ones read (TS 27.005 §3.4.2).
    pub fn list(&mut self, filter: ListFilter, mark_read: bool) -> Vec<(u32, Slot)> {
        let mut out = Vec::new();
        for (&i, slot) in self.slots.iter_mut() {
            if filter.matches(slot.stat) {
                out.push((i, slot.clone()));
                if mark_read && slot.stat == Stat::RecUnread {
                    slot.stat = Stat::RecRead;
                }
            }
        }
        out
    }

    /// Delete the index and whatever the flag adds; returns how many were removed.
    pub fn delete(&mut self, index: u32, flag: DelFlag) -> usize {
        let before = self.slots.len();
        if flag == DelFlag::Index {
            self.slots.remove(&index);
        } else {
            self.slots.retain(|_, s| !flag.deletes(s.stat));
        }
        before - self.slots.len()
    }

    /// All indexes in use.
    pub fn indexes(&self) -> Vec<u32> {
        self.slots.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(stat: Stat) -> Slot {
        Slot {
            stat,
            kind: Kind::Deliver,
            tpdu: vec![0x04],
        }
    }

    #[test]
    fn a_full_storage_should_refuse_and_reuse_freed_indexes() {
        let mut s = Storage::new("SM", 2, 1);
        assert_eq!(s.store(slot(Stat::RecUnread)), Some(1));
        assert_eq!(s.store(slot(Stat::RecUnread)), Some(2));
        assert_eq!(s.store(slot(Stat::RecUnread)), None);
        assert_eq!(s.delete(1, DelFlag::Index), 1);
        assert_eq!(s.store(slot(Stat::RecUnread)), Some(1));
    }

    #[test]
    fn zero_based_storage_should_start_at_zero() {
        let mut s = Storage::new("SM", 3, 0);
        assert_eq!(s.store(slot(Stat::RecUnread)), Some(0));
        assert!(s.in_range(2) && !s.in_range(3));
    }

    #[test]
    fn listing_unread_should_mark_them_read() {
        let mut s = Storage::new("SM", 5, 1);
        s.store(slot(Stat::RecUnread));
        s.store(slot(Stat::RecRead));
        assert_eq!(s.list(ListFilter::Only(Stat::RecUnread), true).len(), 1);
        assert!(s.list(ListFilter::Only(Stat::RecUnread), true).is_empty());
        assert_eq!(s.list(ListFilter::All, false).len(), 2);
    }

    #[test]
    fn delflag_read_should_keep_unread_messages() {
        let mut s = Storage::new("SM", 5, 1);
        s.store(slot(Stat::RecUnread));
        s.store(slot(Stat::RecRead));
        s.store(slot(Stat::StoSent));
        assert_eq!(s.delete(0, DelFlag::Read), 1);
        assert_eq!(s.delete(0, DelFlag::ReadSent), 1);
        assert_eq!(s.indexes(), vec![1]);
        assert_eq!(s.delete(0, DelFlag::All), 1);
    }

    #[test]
    fn list_filter_should_take_numbers_and_text_names() {
        assert_eq!(ListFilter::parse("4"), Some(ListFilter::All));
        assert_eq!(ListFilter::parse("\"ALL\""), Some(ListFilter::All));
        assert_eq!(
            ListFilter::parse("\"REC UNREAD\""),
            Some(ListFilter::Only(Stat::RecUnread))
        );
        assert_eq!(ListFilter::parse("9"), None);
    }
}
