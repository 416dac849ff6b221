//! Reading a range: the changes not yet checkpointed (the overlay) merged over sled's own
//! iterator, in key order either way, lazily.
//!
//! The overlay is read in chunks under its lock, never held between items, so a long scan
//! does not stop writers. Like sled's iterators, this is not a snapshot: a change made while
//! a scan runs may or may not be seen, and a key the overlay holds shadows sled's (a removal
//! hides it).

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use parking_lot::RwLock;
use sled::IVec;

use super::Layers;
use super::ops::Op;

/// Overlay entries read at a time.
const CHUNK: usize = 128;

/// Keys and values of a range, in order; double-ended like sled's.
pub struct Iter {
    layers: Arc<RwLock<Layers>>,
    lo: Bound<IVec>,
    hi: Bound<IVec>,
    sled: sled::Iter,
    /// sled's next item at each end, read ahead for comparing.
    sled_front: Option<(IVec, IVec)>,
    sled_back: Option<(IVec, IVec)>,
    /// Overlay entries read ahead: ascending at the front, descending at the back.
    over_front: VecDeque<Op>,
    over_back: VecDeque<Op>,
    /// The last overlay key read ahead by each end (the next chunk starts after it).
    front_read: Option<IVec>,
    back_read: Option<IVec>,
    /// No more overlay entries for that end beyond what is read ahead.
    front_done: bool,
    back_done: bool,
    /// The last key each end gave out: the ends stop where they meet.
    front_out: Option<IVec>,
    back_out: Option<IVec>,
}

impl Iter {
    pub(super) fn new(
        layers: Arc<RwLock<Layers>>,
        sled: &sled::Tree,
        lo: Bound<IVec>,
        hi: Bound<IVec>,
    ) -> Iter {
        Iter {
            sled: sled.range((lo.clone(), hi.clone())),
            layers,
            lo,
            hi,
            sled_front: None,
            sled_back: None,
            over_front: VecDeque::new(),
            over_back: VecDeque::new(),
            front_read: None,
            back_read: None,
            front_done: false,
            back_done: false,
            front_out: None,
            back_out: None,
        }
    }

    /// The keys alone.
    pub fn keys(self) -> impl DoubleEndedIterator<Item = sled::Result<IVec>> {
        self.map(|r| r.map(|(k, _)| k))
    }

    /// The values alone.
    pub fn values(self) -> impl DoubleEndedIterator<Item = sled::Result<IVec>> {
        self.map(|r| r.map(|(_, v)| v))
    }

    fn fill_sled_front(&mut self) -> sled::Result<()> {
        if self.sled_front.is_none() {
            self.sled_front = match self.sled.next() {
                Some(item) => Some(item?),
                // sled's two ends met: what the back end read ahead is the front's too.
                None => self.sled_back.take(),
            };
        }
        Ok(())
    }

    fn fill_sled_back(&mut self) -> sled::Result<()> {
        if self.sled_back.is_none() {
            self.sled_back = match self.sled.next_back() {
                Some(item) => Some(item?),
                None => self.sled_front.take(),
            };
        }
        Ok(())
    }

    /// The part of the range neither end has read from the overlay yet.
    fn unread(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        (
            after(&self.front_read, &self.lo),
            after(&self.back_read, &self.hi),
        )
    }

    fn fill_over_front(&mut self) {
        if !self.over_front.is_empty() || self.front_done {
            return;
        }
        let (lo, hi) = self.unread();
        let chunk = self.layers.read().chunk(lo, hi, false, CHUNK);
        self.front_done = chunk.len() < CHUNK;
        if let Some((k, _)) = chunk.last() {
            self.front_read = Some(k.clone());
        }
        self.over_front.extend(chunk);
    }

    fn fill_over_back(&mut self) {
        if !self.over_back.is_empty() || self.back_done {
            return;
        }
        let (lo, hi) = self.unread();
        let chunk = self.layers.read().chunk(lo, hi, true, CHUNK);
        self.back_done = chunk.len() < CHUNK;
        if let Some((k, _)) = chunk.last() {
            self.back_read = Some(k.clone());
        }
        self.over_back.extend(chunk);
    }

    /// The front's next overlay entry: its own read-ahead, else what the back read ahead.
    fn over_front_key(&self) -> Option<&IVec> {
        self.over_front
            .front()
            .or_else(|| self.over_back.back())
            .map(|(k, _)| k)
    }

    fn pop_over_front(&mut self) -> Option<Op> {
        self.over_front
            .pop_front()
            .or_else(|| self.over_back.pop_back())
    }

    fn over_back_key(&self) -> Option<&IVec> {
        self.over_back
            .front()
            .or_else(|| self.over_front.back())
            .map(|(k, _)| k)
    }

    fn pop_over_back(&mut self) -> Option<Op> {
        self.over_back
            .pop_front()
            .or_else(|| self.over_front.pop_back())
    }
}

impl std::fmt::Debug for Iter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Iter")
            .field("lo", &self.lo)
            .field("hi", &self.hi)
            .finish_non_exhaustive()
    }
}

/// Past the key an end has read up to, else the range's own bound there.
fn after<'a>(read: &'a Option<IVec>, bound: &'a Bound<IVec>) -> Bound<&'a [u8]> {
    match read {
        Some(k) => Bound::Excluded(k.as_ref()),
        None => as_slice(bound),
    }
}

fn as_slice(b: &Bound<IVec>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_ref()),
        Bound::Excluded(k) => Bound::Excluded(k.as_ref()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl Iterator for Iter {
    type Item = sled::Result<(IVec, IVec)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Err(e) = self.fill_sled_front() {
                return Some(Err(e));
            }
            self.fill_over_front();
            let sled_key = self.sled_front.as_ref().map(|(k, _)| k);
            let from_overlay = match (sled_key, self.over_front_key()) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(s), Some(o)) => o <= s,
            };
            let (key, value) = if from_overlay {
                let (k, v) = self.pop_over_front()?;
                if self.sled_front.as_ref().is_some_and(|(s, _)| *s == k) {
                    self.sled_front = None;
                }
                match v {
                    Some(v) => (k, v),
                    None => continue,
                }
            } else {
                self.sled_front.take()?
            };
            if self.back_out.as_ref().is_some_and(|b| key >= *b) {
                return None;
            }
            self.front_out = Some(key.clone());
            return Some(Ok((key, value)));
        }
    }
}

impl DoubleEndedIterator for Iter {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Err(e) = self.fill_sled_back() {
                return Some(Err(e));
            }
            self.fill_over_back();
            let sled_key = self.sled_back.as_ref().map(|(k, _)| k);
            let from_overlay = match (sled_key, self.over_back_key()) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(s), Some(o)) => o >= s,
            };
            let (key, value) = if from_overlay {
                let (k, v) = self.pop_over_back()?;
                if self.sled_back.as_ref().is_some_and(|(s, _)| *s == k) {
                    self.sled_back = None;
                }
                match v {
                    Some(v) => (k, v),
                    None => continue,
                }
            } else {
                self.sled_back.take()?
            };
            if self.front_out.as_ref().is_some_and(|f| key <= *f) {
                return None;
            }
            self.back_out = Some(key.clone());
            return Some(Ok((key, value)));
        }
    }
}
