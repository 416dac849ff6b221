//! The durable store: the single source of truth for messages, the inbox and events.
//!
//! One sled tree holds everything (see [`keys`]), behind the write-ahead journal ([`wal`]):
//! every change is one atomic [`wal::Batch`] — one journal record — that writes the value,
//! keeps the secondary indexes (due time, status, recipient) in step and appends the event
//! that reports it (outbox pattern). Durability is separate from writing: writers call
//! [`Store::durable`] after writing, and the [`commit::GroupCommit`] flusher makes many writers
//! share one journal sync. sled itself is written only by checkpoints.
//!
//! Read-modify-write changes are serialised by one short `std`-style lock that is never held
//! across `.await`; writes are in memory, so the lock is held for microseconds.
//!
//! This module must not know about HTTP, routes or configuration files.

mod audit;
pub mod commit;
mod consent;
pub mod conversations;
pub mod due_index;
mod error;
mod events;
mod inbound_hook;
mod inbox_cursor;
pub mod journal;
pub mod keys;
mod reassembly;
mod recent_events;
mod retention;
mod sent_parts;
mod smpp_ids;
mod status_counts;
mod suppressed_keys;
pub mod sync;
pub mod threads;
mod value;
pub mod wal;
pub mod webhook;
pub mod writer;

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;

pub use consent::{CancelByReference, SuppressionCursor};
pub use conversations::{Conversation, InboundClassifier};
pub use error::StoreError;
pub use events::EventsPruned;
pub use inbound_hook::{InboundHook, InboundTx};
pub use reassembly::{InboundPart, PartRef, Received};
pub use retention::PurgeStep;
pub use sent_parts::{ReportInput, ReportMatch};
pub use smpp_ids::{ALL_PARTS, SmppReceiptMatch, SmscIdRecord, SmscReceipt};
pub use writer::{Handing, OutcomePolicy, Pending, ReceiptStored, Rematched, Setback, Writer};

use crate::model::{
    Event, EventKind, InboundMessage, MessageId, OutboundMessage, PartStatus, Status, Timestamp,
};
use commit::GroupCommit;
use events::Writes;
use value::{decode, encode};

/// The schema version this build writes. Bump it with a migration in [`Store::migrate`].
/// 3: events stored in groups, status totals kept under a meta key (builds before it would
/// misread the one and not keep the other, so they must not open such a store).
/// 4: the newest changes are in the write-ahead journal (`journal/`, [`wal`]) and reach sled
/// only at checkpoints; builds before it would not read the journal and would lose them.
/// 5: received messages are indexed by sender (`J`, the console's threads); builds before it
/// would not keep the index.
pub const SCHEMA_VERSION: u32 = 5;

/// How long an idempotency key maps to its message.
pub const IDEMPOTENCY_WINDOW_MS: u64 = 24 * 3600 * 1000;

/// The store. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Store {
    db: sled::Db,
    /// Every read and write goes through the journal and its overlay ([`wal`]).
    tree: wal::Tree,
    write_lock: Mutex<()>,
    /// The newest inbox id handed out (read from the tree on first use); guarded in practice
    /// by `write_lock`, which every inbox write holds.
    last_inbound: Mutex<Option<MessageId>>,
    /// The newest audit entry's id (read from the tree on first use; `store::audit`).
    last_audit: Mutex<Option<MessageId>>,
    commit: Arc<GroupCommit>,
    /// No event group key lies below this sequence number (`store::events`): pruning
    /// removes the oldest groups, and new events are numbered after every earlier one, so
    /// event reads start here rather than at the first sequence number and do not walk the
    /// overlay's removals of pruned events (up to two checkpoints' worth, tens of thousands
    /// under load) on every read.
    event_floor: std::sync::atomic::AtomicU64,
    /// The newest events, as the writer applied them, for readers that keep up
    /// (`store::recent_events`).
    recent_events: recent_events::RecentEvents,
    /// Bumped after every batch that appended events, so webhook workers and long polls wake
    /// instead of polling ([`Store::subscribe_events`]).
    events_written: tokio::sync::watch::Sender<u64>,
    /// Reply window and inbound routing (`store::conversations`).
    conversations: conversations::Settings,
    /// The policy run on every received message inside its write ([`InboundHook`]).
    inbound_hook: Option<Arc<dyn InboundHook>>,
    /// Whether `insert_outbound` keeps the per-recipient daily counters (`F`) that frequency
    /// caps read ([`Policies::count_frequency`]).
    count_frequency: bool,
    /// Messages per status, beside the status index (`store::status_counts`).
    status_counts: status_counts::StatusCounts,
    /// Which suppression keys may be stored, so that the consent check skips the tree for
    /// numbers nobody opted out (`store::suppressed_keys`).
    suppressed_keys: suppressed_keys::SuppressedKeys,
    /// The due keys in memory, for the dispatcher (`store::due_index`); read back on a
    /// thread of their own after the migration, moved by every applied write.
    due_index: Arc<due_index::DueIndex>,
    /// The thread reading them back at open, stopped and joined with the store.
    due_loader: Option<due_index::Loader>,
    /// The newest event sequence number handed out ([`Store::next_event_seq`]).
    last_event: std::sync::atomic::AtomicU64,
    /// The queue of the one writer ([`writer`]), whose thread holds the other end.
    writer: writer::Writer,
}

/// Up to this many messages waiting, a start reads the due queue before it serves (tens of
/// milliseconds); above, after (`store::due_index`; seconds for a million).
const DUE_LOAD_INLINE_UP_TO: u64 = 20_000;

/// A message to insert, with the client's idempotency key if it sent one.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// The message, already validated.
    pub message: OutboundMessage,
    /// `Idempotency-Key` header value.
    pub idempotency_key: Option<String>,
}

/// What [`Store::insert_outbound`] did with one message.
#[derive(Debug, Clone)]
pub enum Inserted {
    /// Stored as a new message.
    New(OutboundMessage),
    /// The idempotency key was seen within the window: this is the original message.
    Existing(OutboundMessage),
}

/// Which outbound messages to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this (normalised) recipient.
    pub to: Option<String>,
    /// Continue after this id (ids are listed newest first).
    pub before: Option<MessageId>,
    /// Only messages created at or after this time.
    pub since: Option<Timestamp>,
    /// Only messages asked for or sent through this route.
    pub route: Option<String>,
    /// At most this many.
    pub limit: usize,
}

/// Messages a filtered listing looks at per page, at most: a filter that matches little
/// answers a short page with a cursor instead of reading the whole store.
pub const LIST_SCAN: usize = 20_000;

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts, if there may be one.
    pub next_cursor: Option<MessageId>,
}

/// What the store applies inside its own writes, handed over once when it opens: no policy
/// is installed afterwards, so no write ever runs without the policies the daemon has.
#[derive(Debug, Clone)]
pub struct Policies {
    /// Run on every received message inside the write that stores it (consent keywords).
    pub inbound_hook: Option<Arc<dyn InboundHook>>,
    /// The `[[inbound_routes]]` rule of every received message.
    pub inbound_classifier: Option<Arc<dyn conversations::InboundClassifier>>,
    /// How long after sending a reply is matched (`[conversations] window`).
    pub reply_window: std::time::Duration,
    /// How received addresses are read (`[messages] default_country`), as submissions'
    /// numbers are, so a reply from a national-format sender matches.
    pub number_plan: crate::model::NumberPlan,
    /// Keep the per-recipient daily counters that frequency caps read. A daemon without
    /// caps turns them off: one key less per accepted message; caps configured later count
    /// the messages accepted from then on.
    pub count_frequency: bool,
}

impl Default for Policies {
    /// No inbound policy, the default reply window and number plan, frequency counting on.
    fn default() -> Self {
        Self {
            inbound_hook: None,
            inbound_classifier: None,
            reply_window: conversations::DEFAULT_REPLY_WINDOW,
            number_plan: crate::model::NumberPlan::default(),
            count_frequency: true,
        }
    }
}

/// How the store opens sled in `dir` (tools and tests that open its sled directly use this
/// too, so they open it as the store does).
///
/// sled's own page compression (its `compression` feature) was tried: it wrote a third of
/// the bytes at checkpoints, but after a simulated power cut sled panicked reading a page
/// back ("failed to deserialize data"), in its recovery, which we cannot catch or repair.
/// The journal's records are compressed instead (`wal::ops`), by code that is fuzzed and
/// crash-tested here.
pub fn sled_config(dir: &Path) -> sled::Config {
    sled::Config::new()
        .path(dir)
        .mode(sled::Mode::HighThroughput)
}

/// How long an open waits for sled's lock on the files before it says another process has
/// them.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Opens sled in `dir`, waiting up to [`LOCK_WAIT`] for its lock. Why wait: the last handle
/// of a store dropped in this process may still be letting go on the writer's thread (which
/// applies what was queued before the drop), so a store opened again at once (tools, tests)
/// found the lock held for a few milliseconds. Another daemon on the same directory holds it
/// for good and is refused after the wait.
pub fn open_sled(dir: &Path, cache_bytes: u64) -> Result<sled::Db, StoreError> {
    open_sled_waiting(dir, cache_bytes, LOCK_WAIT)
}

fn open_sled_waiting(
    dir: &Path,
    cache_bytes: u64,
    wait: std::time::Duration,
) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    loop {
        match sled_config(dir).cache_capacity(cache_bytes).open() {
            // sled folds the `flock` error into a message of its own.
            Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") => {
                if started.elapsed() >= wait {
                    return Err(StoreError::InUse {
                        dir: dir.display().to_string(),
                        waited_secs: wait.as_secs(),
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return Ok(other?),
        }
    }
}

impl Store {
    /// Opens (or creates) the store in `dir` with the default [`Policies`], migrating its
    /// schema if needed (tools, tests and benches; the daemon uses [`Store::open_with`]).
    pub fn open(dir: &Path, cache_bytes: u64) -> Result<Arc<Store>, StoreError> {
        Self::open_with(dir, cache_bytes, Policies::default())
    }

    /// Opens (or creates) the store in `dir`, migrating its schema if needed, applying
    /// `policies` to every write from the first.
    pub fn open_with(
        dir: &Path,
        cache_bytes: u64,
        policies: Policies,
    ) -> Result<Arc<Store>, StoreError> {
        Self::open_inner(dir, cache_bytes, policies, DUE_LOAD_INLINE_UP_TO)
    }

    /// [`Store::open_with`], reading the due queue at once when at most `inline_up_to`
    /// messages wait, else on a thread of its own (`store::due_index`).
    fn open_inner(
        dir: &Path,
        cache_bytes: u64,
        policies: Policies,
        inline_up_to: u64,
    ) -> Result<Arc<Store>, StoreError> {
        let started = std::time::Instant::now();
        let db = open_sled(dir, cache_bytes)?;
        let sled_opened = started.elapsed();
        let (tree, recovered) = wal::Tree::open(
            db.clone(),
            db.open_tree("smsgw")?,
            dir,
            wal::CheckpointPolicy::default(),
        )?;
        if let Some(cut) = &recovered.cut {
            tracing::warn!(
                target: "smsgw::store",
                segment = %cut.segment.display(),
                offset = cut.offset,
                record = cut.lsn,
                reason = %cut.reason,
                set_aside = ?cut.set_aside,
                "the journal ended in a torn or damaged record and was cut there; \
                 changes after it were never acknowledged as durable"
            );
        }
        let (writer, queue) = writer::channel();
        let mut store = Store {
            writer,
            commit: GroupCommit::new(tree.clone()),
            db,
            tree,
            write_lock: Mutex::new(()),
            last_inbound: Mutex::new(None),
            last_audit: Mutex::new(None),
            event_floor: std::sync::atomic::AtomicU64::new(1),
            recent_events: Default::default(),
            events_written: tokio::sync::watch::Sender::new(0),
            conversations: conversations::Settings::new(
                policies.reply_window,
                policies.inbound_classifier,
                policies.number_plan,
            ),
            inbound_hook: policies.inbound_hook,
            count_frequency: policies.count_frequency,
            status_counts: Default::default(),
            suppressed_keys: Default::default(),
            due_index: Arc::new(due_index::DueIndex::loading()),
            due_loader: None,
            last_event: Default::default(),
        };
        let journal_read = started.elapsed();
        store.migrate()?;
        let migrated = started.elapsed();
        store.load_status_counts()?;
        store.suppressed_keys.load(&store.tree)?;
        store.load_legacy_conversations()?;
        let waiting: u64 = Status::ALL
            .into_iter()
            .filter(|s| s.is_cancelable())
            .map(|s| store.count_in_status(s))
            .sum();
        if waiting <= inline_up_to {
            store.due_index.load_now(&store.tree)?;
        } else {
            store.due_loader = Some(
                due_index::spawn_loader(store.due_index.clone(), store.tree.clone())
                    .map_err(StoreError::Start)?,
            );
        }
        store.load_event_seq()?;
        if recovered.replayed > 0 {
            // What the previous process left in its journal goes to sled now, so a start
            // after a crash does not replay the same records again.
            tracing::info!(target: "smsgw::store", records = recovered.replayed, "journal replayed");
            store.tree.checkpoint()?;
        }
        tracing::info!(target: "smsgw::store",
            sled_ms = sled_opened.as_millis() as u64,
            journal_ms = (journal_read - sled_opened).as_millis() as u64,
            migration_ms = (migrated - journal_read).as_millis() as u64,
            rest_ms = (started.elapsed() - migrated).as_millis() as u64,
            "store opened");
        let store = Arc::new(store);
        writer::start(Arc::downgrade(&store), queue).map_err(StoreError::Start)?;
        Ok(store)
    }

    /// The store's one writer: every change from outside the store goes through it.
    pub fn writer(&self) -> &writer::Writer {
        &self.writer
    }

    /// Reads the stored status totals, or counts the status index when there are none (a
    /// store from before schema 3) or they are unreadable, and stores what it counted. Before
    /// anything writes: from here on every write moves them.
    fn load_status_counts(&self) -> Result<(), StoreError> {
        if let Some(totals) = self
            .tree
            .get(keys::STATUS_COUNTS_KEY)?
            .and_then(|v| status_counts::decode(&v))
        {
            self.status_counts.set_all(&totals);
            return Ok(());
        }
        for s in Status::ALL {
            let n = self.tree.scan_prefix(keys::status_prefix(s)).keys().count();
            self.status_counts.set(s, n as u64);
        }
        let totals = status_counts::encode(&self.status_counts.totals());
        self.tree.insert(keys::STATUS_COUNTS_KEY, totals)?;
        Ok(())
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let found = match self.tree.get(keys::SCHEMA_VERSION_KEY)? {
            Some(v) => {
                u32::from_be_bytes(v.as_ref().try_into().map_err(|_| StoreError::Corrupt {
                    key: hex::encode(keys::SCHEMA_VERSION_KEY),
                    reason: "schema version is not 4 bytes".into(),
                })?)
            }
            None => 0,
        };
        if found > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew {
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < SCHEMA_VERSION {
            // Version 0 is an empty store; later versions add their steps here, in order.
            if found == 1 {
                // 1 → 2: the client-reference index (`N`) did not exist yet.
                self.build_reference_index()?;
            }
            // 2 → 3: nothing to rewrite. Events stored one per key still read; the status
            // totals are counted by `load_status_counts` when missing.
            // 3 → 4: nothing to rewrite; from here on changes go through the journal. The
            // new version is checkpointed into sled at once, so that an older build refuses
            // the store even before anything else was checkpointed.
            if (1..5).contains(&found) {
                // 4 → 5: received messages get their sender index.
                let n = self.build_sender_index()?;
                tracing::info!(target: "smsgw::store", received = n, "indexed received messages by sender");
            }
            self.tree
                .insert(keys::SCHEMA_VERSION_KEY, &SCHEMA_VERSION.to_be_bytes())?;
            self.flush_blocking()?;
        }
        Ok(())
    }

    /// The group-commit state; the daemon spawns its flusher with [`GroupCommit::run`].
    pub fn group_commit(&self) -> Arc<GroupCommit> {
        self.commit.clone()
    }

    /// A receiver that changes whenever events were appended: wait on it, then read
    /// [`Store::events_after`] from your cursor.
    pub fn subscribe_events(&self) -> tokio::sync::watch::Receiver<u64> {
        self.events_written.subscribe()
    }

    /// Waits until everything written before this call is on disk.
    pub async fn durable(&self) -> Result<(), StoreError> {
        let ticket = self.commit.ticket();
        self.commit.wait(ticket).await
    }

    /// Takes a place in line for the next flush now, for a wait elsewhere: the returned
    /// [`commit::Durable`] resolves once everything written before this call is on disk.
    pub fn durable_ticket(&self) -> commit::Durable {
        commit::Durable::new(self.commit.clone())
    }

    /// Makes everything written durable and checkpoints it into sled, synchronously: for
    /// shutdown and tests, not for request paths.
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        self.commit.flush_blocking()?;
        self.tree.checkpoint()?;
        Ok(())
    }

    /// The tree, for the daemon to run its checkpoints ([`wal::Tree::run_checkpoints`]) and
    /// collect its metrics.
    pub fn checkpointer(&self) -> wal::Tree {
        self.tree.clone()
    }

    /// Size of the database on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }

    /// Stores new messages in one atomic batch (not yet durable: call [`Store::durable`]).
    /// A message whose idempotency key was used within 24 h is not stored again; the original
    /// comes back instead.
    pub fn insert_outbound(&self, items: Vec<NewMessage>) -> Result<Vec<Inserted>, StoreError> {
        self.insert_outbound_or_return(items).map_err(|(e, _)| e)
    }

    /// [`Store::insert_outbound`], giving the items back when it fails, so that the writer
    /// can store the submissions it joined into one write one at a time instead.
    pub(crate) fn insert_outbound_or_return(
        &self,
        items: Vec<NewMessage>,
    ) -> Result<Vec<Inserted>, (StoreError, Vec<NewMessage>)> {
        match self.write_outbound(&items) {
            Ok(found) => Ok(items
                .into_iter()
                .zip(found)
                .map(|(item, found)| match found {
                    Some(existing) => Inserted::Existing(existing),
                    None => Inserted::New(item.message),
                })
                .collect()),
            Err(e) => Err((e, items)),
        }
    }

    /// Writes the new ones among `items` in one atomic batch; for each item, the message
    /// its idempotency key already names (`None`: stored now).
    fn write_outbound(
        &self,
        items: &[NewMessage],
    ) -> Result<Vec<Option<OutboundMessage>>, StoreError> {
        let _guard = self.write_lock.lock();
        let mut batch = Writes::default();
        let mut found = Vec::with_capacity(items.len());
        // Keys used earlier in this batch, with the item that used them.
        let mut keys_in_batch: Vec<(&str, usize)> = Vec::new();
        let mut frequency = consent::FrequencyTally::default();
        let count_frequency = self.count_frequency;
        for (i, item) in items.iter().enumerate() {
            let msg = &item.message;
            if let Some(key) = &item.idempotency_key {
                if let Some(existing) = self.idempotent_original(key, msg.created_at)? {
                    found.push(Some(existing));
                    continue;
                }
                if let Some(&(_, first)) = keys_in_batch.iter().find(|(k, _)| k == key) {
                    found.push(Some(items[first].message.clone()));
                    continue;
                }
                let mut v = msg.id.to_bytes().to_vec();
                v.extend_from_slice(&msg.created_at.as_millis().to_be_bytes());
                batch.insert(keys::idempotency(key), v);
                keys_in_batch.push((key, i));
            }
            if !msg.transactional && count_frequency {
                frequency.count(self, msg)?;
            }
            self.push_outbound(&mut batch, msg)?;
            found.push(None);
        }
        frequency.write(&mut batch);
        self.apply(batch)?;
        Ok(found)
    }

    /// A new message, its indexes and its first status event, added to `batch`.
    fn push_outbound(&self, batch: &mut Writes, msg: &OutboundMessage) -> Result<(), StoreError> {
        batch.insert(&keys::message(msg.id), encode(msg)?);
        self.index_insert(batch, msg);
        self.push_status_event(batch, msg)
    }

    fn idempotent_original(
        &self,
        key: &str,
        now: Timestamp,
    ) -> Result<Option<OutboundMessage>, StoreError> {
        let Some(v) = self.tree.get(keys::idempotency(key))? else {
            return Ok(None);
        };
        let (Some(id), Some(created)) = (
            MessageId::from_slice(&v),
            v.get(16..24)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes),
        ) else {
            return Ok(None);
        };
        if now.as_millis().saturating_sub(created) > IDEMPOTENCY_WINDOW_MS {
            return Ok(None);
        }
        self.get(id)
    }

    /// Reads an outbound message.
    pub fn get(&self, id: MessageId) -> Result<Option<OutboundMessage>, StoreError> {
        let key = keys::message(id);
        match self.tree.get(key)? {
            Some(v) => decode(&key, &v).map(Some),
            None => Ok(None),
        }
    }

    /// Changes a message with `change`, which returns whether anything changed. Indexes and the
    /// status event follow in the same atomic batch. Returns the message as it is afterwards,
    /// or `None` if there is no such message.
    pub fn update<F>(&self, id: MessageId, change: F) -> Result<Option<OutboundMessage>, StoreError>
    where
        F: FnOnce(&mut OutboundMessage) -> bool,
    {
        let mut change = Some(change);
        let mut out = self.update_many(&[id], |_, m| change.take().is_some_and(|f| f(m)))?;
        Ok(out.pop().flatten())
    }

    /// [`Store::update`] for several distinct messages in one atomic batch: one lock and one
    /// write however many there are (the dispatcher hands over hundreds per pass). `change`
    /// gets each message's position in `ids`. Returns each message as it is afterwards.
    pub fn update_many<F>(
        &self,
        ids: &[MessageId],
        mut change: F,
    ) -> Result<Vec<Option<OutboundMessage>>, StoreError>
    where
        F: FnMut(usize, &mut OutboundMessage) -> bool,
    {
        let _guard = self.write_lock.lock();
        let mut batch = Writes::default();
        let mut out = Vec::with_capacity(ids.len());
        let mut changed = false;
        let mut frequency = consent::FrequencyTally::default();
        let count_frequency = self.count_frequency;
        for (i, &id) in ids.iter().enumerate() {
            let Some(old) = self.get(id)? else {
                out.push(None);
                continue;
            };
            let mut new = old.clone();
            if !change(i, &mut new) {
                out.push(Some(old));
                continue;
            }
            batch.insert(&keys::message(id), encode(&new)?);
            self.reindex(&mut batch, &old, &new);
            if count_frequency
                && !new.transactional
                && new.status == Status::Canceled
                && old.status.is_cancelable()
            {
                frequency.uncount(self, &old)?;
            }
            if old.status != new.status {
                // One event per status the change went through: a send recorded after its
                // receipt came in goes `sent` then `delivered` in one write, and a consumer
                // waiting for `sent` must see it.
                let passed = new.history.get(old.history.len()..).unwrap_or_default();
                for step in passed.iter().filter(|h| h.status != new.status) {
                    self.push_event_for(
                        &mut batch,
                        &new,
                        step.status,
                        step.at,
                        step.reason.clone(),
                    )?;
                }
                self.push_status_event(&mut batch, &new)?;
            }
            changed = true;
            out.push(Some(new));
        }
        if changed {
            frequency.write(&mut batch);
            self.apply(batch)?;
        }
        Ok(out)
    }

    /// The index entries of `m`: status, recipient, reference (if any), due time (while it
    /// may still be sent).
    fn index_keys(m: &OutboundMessage) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(4);
        out.push(keys::status(m.status, m.id).to_vec());
        out.push(keys::recipient(m.to.as_str(), m.id));
        if let Some(r) = &m.reference {
            out.push(keys::reference(r, m.id));
        }
        if m.status.is_cancelable() {
            out.push(keys::due(m.priority, m.due_at(), m.id).to_vec());
        }
        out
    }

    /// The index entries of `m`, a message just accepted: each key ends in its fresh id, so
    /// none has a value (`wal::Batch::insert_new`).
    fn index_insert(&self, batch: &mut Writes, m: &OutboundMessage) {
        for k in Self::index_keys(m) {
            batch.insert_new(k, &[]);
        }
        batch.statuses.add(m.status);
    }

    /// Removes the index entries of `m` (when `m` itself goes).
    fn index_remove(&self, batch: &mut Writes, m: &OutboundMessage) {
        for k in Self::index_keys(m) {
            batch.remove(k);
        }
        batch.statuses.remove(m.status);
    }

    /// Moves the index entries of a message from `old` to `new`, touching only those that
    /// differ: every key written costs a tree descent in sled, and most changes keep the
    /// recipient and reference entries.
    fn reindex(&self, batch: &mut Writes, old: &OutboundMessage, new: &OutboundMessage) {
        if old.status != new.status {
            batch.statuses.remove(old.status);
            batch.statuses.add(new.status);
        }
        let before = Self::index_keys(old);
        let after = Self::index_keys(new);
        for k in before.iter().filter(|k| !after.contains(k)) {
            batch.remove(k.as_slice());
        }
        // The message's index entries are exactly those of its state: one `old` did not
        // have has no value (`wal::Batch::insert_new`).
        for k in after.into_iter().filter(|k| !before.contains(k)) {
            batch.insert_new(k, &[]);
        }
    }

    fn push_status_event(&self, batch: &mut Writes, m: &OutboundMessage) -> Result<(), StoreError> {
        let reason = m.history.last().and_then(|h| h.reason.clone());
        self.push_event_for(batch, m, m.status, m.updated_at, reason)
    }

    /// A `message.status` event saying that `m` went to `status` at `at`.
    fn push_event_for(
        &self,
        batch: &mut Writes,
        m: &OutboundMessage,
        status: Status,
        at: Timestamp,
        reason: Option<String>,
    ) -> Result<(), StoreError> {
        let seq = self.next_event_seq()?;
        let event = Event {
            seq,
            at,
            kind: EventKind::MessageStatus,
            message_id: m.id,
            status: Some(status),
            reason,
            parts: m.parts.clone(),
            attempts: m.attempts.count,
            asks: Some(Event::asks_of(m)),
        };
        batch.push_event(event);
        Ok(())
    }

    /// Up to `limit` ids of messages due at `now`, most urgent priority first, then oldest
    /// (from the due index in memory, `store::due_index`).
    pub fn due(&self, now: Timestamp, limit: usize) -> Vec<MessageId> {
        self.due_index.due(now, limit)
    }

    /// Whether the store answers reads (its schema version), for readiness probes.
    pub fn answers(&self) -> Result<(), StoreError> {
        self.tree.get(keys::SCHEMA_VERSION_KEY)?;
        Ok(())
    }

    /// [`Store::due`] read lazily: the dispatcher stops as soon as its routes are full, so a
    /// pass that has room for a few messages reads a few index entries.
    pub fn due_iter(&self, now: Timestamp) -> due_index::DueIter<'_> {
        self.due_index.iter(now)
    }

    /// The earliest due time after `now` of any waiting message, for the dispatcher's sleep.
    pub fn next_due_after(&self, now: Timestamp) -> Option<Timestamp> {
        self.due_index.next_after(now)
    }

    /// Whether the due queue has been read back after open ([`Store::due_loaded`]).
    pub fn due_queue_loaded(&self) -> bool {
        self.due_index.is_loaded()
    }

    /// Resolves once the due queue is read back after open (the dispatcher awaits it before
    /// its first pass; the due reads above block until then).
    pub fn due_loaded(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.due_index.loaded()
    }

    /// Lists outbound messages newest first, using the status or recipient index when filtered.
    pub fn list(&self, filter: &ListFilter) -> Result<Page<OutboundMessage>, StoreError> {
        let limit = filter.limit.max(1);
        let (prefix, id_at_end): (Vec<u8>, bool) = match (&filter.to, filter.status) {
            (Some(to), _) => (keys::recipient_prefix(to), true),
            (None, Some(status)) => (keys::status_prefix(status).to_vec(), true),
            (None, None) => (vec![keys::MESSAGE], false),
        };
        let end = match filter.before {
            Some(id) => {
                let mut e = prefix.clone();
                e.extend_from_slice(&id.to_bytes());
                e
            }
            None => keys::prefix_end(&prefix),
        };
        let mut items = Vec::with_capacity(limit);
        let mut more = false;
        let (mut scanned, mut last_seen) = (0usize, None);
        for kv in self.tree.range(prefix.clone()..end).rev() {
            let (k, v) = kv?;
            if filter.route.is_some() && scanned >= LIST_SCAN && items.len() < limit {
                // Cut short: the next page goes on from the last message looked at.
                return Ok(Page {
                    items,
                    next_cursor: last_seen,
                });
            }
            scanned += 1;
            let msg = if id_at_end {
                let Some(id) = keys::trailing_id(&k) else {
                    continue;
                };
                match self.get(id)? {
                    Some(m) => m,
                    None => continue,
                }
            } else {
                decode(&k, &v)?
            };
            last_seen = Some(msg.id);
            if filter
                .since
                .is_some_and(|t| msg.id.timestamp_ms() < t.as_millis())
            {
                break;
            }
            if filter.status.is_some_and(|s| s != msg.status) {
                continue;
            }
            if let Some(route) = &filter.route
                && msg.route.as_deref() != Some(route.as_str())
                && !msg
                    .parts
                    .iter()
                    .any(|p| p.route.as_deref() == Some(route.as_str()))
            {
                continue;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(msg);
        }
        let next_cursor = if more {
            items.last().map(|m| m.id)
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Stores an incoming message with its `message.received` event (not yet durable).
    /// The message's id is replaced by one that sorts after every stored inbox entry (see
    /// [`Store::push_inbound`]); the stored message is returned.
    pub fn insert_inbound(&self, mut msg: InboundMessage) -> Result<InboundMessage, StoreError> {
        let _guard = self.write_lock.lock();
        let mut batch = Writes::default();
        self.push_inbound(&mut batch, &mut msg)?;
        self.apply(batch)?;
        drop(_guard);
        self.inbound_committed([&msg]);
        Ok(msg)
    }

    /// The inbox entry and its `message.received` event, added to `batch`. Call with
    /// `write_lock` held. The id is reassigned here so inbox order is write order: ids made
    /// earlier by the caller (or in the same millisecond, whose random part would sort at
    /// random) could land before a consumer's cursor and never be read.
    fn push_inbound(&self, batch: &mut Writes, msg: &mut InboundMessage) -> Result<(), StoreError> {
        let mut last = self.last_inbound.lock();
        if last.is_none() {
            let end = keys::prefix_end(&[keys::INBOX]);
            if let Some(kv) = self.tree.range(vec![keys::INBOX]..end).next_back() {
                let (k, _) = kv?;
                *last = k.get(1..).and_then(MessageId::from_slice);
            }
        }
        msg.id = MessageId::new_after(msg.received_at.as_millis(), *last);
        *last = Some(msg.id);
        drop(last);
        let queued = self.run_inbound_hook(batch, msg)?;
        batch.insert(&keys::inbound(msg.id), encode(msg)?);
        batch.insert(keys::sender(&msg.from, msg.id), Vec::new());
        let seq = self.next_event_seq()?;
        let event = Event {
            seq,
            at: msg.received_at,
            kind: EventKind::MessageReceived,
            message_id: msg.id,
            status: None,
            reason: None,
            parts: Vec::new(),
            attempts: 0,
            asks: None,
        };
        batch.push_event(event);
        for m in &queued {
            self.push_outbound(batch, m)?;
        }
        Ok(())
    }

    /// Lists received messages oldest first, after `after`.
    pub fn list_inbox(
        &self,
        after: Option<MessageId>,
        limit: usize,
    ) -> Result<Page<InboundMessage>, StoreError> {
        let limit = limit.max(1);
        let start = match after {
            Some(id) => {
                let mut k = keys::inbound(id).to_vec();
                k.push(0);
                k
            }
            None => vec![keys::INBOX],
        };
        let end = keys::prefix_end(&[keys::INBOX]);
        let mut items = Vec::with_capacity(limit);
        let mut more = false;
        for kv in self.tree.range(start..end) {
            let (k, v) = kv?;
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(decode::<InboundMessage>(&k, &v)?);
        }
        let next_cursor = if more {
            items.last().map(|m| m.id)
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// How many messages `route` sent on UTC day `day`.
    pub fn usage(&self, route: &str, day: u32) -> Result<u64, StoreError> {
        Ok(self
            .tree
            .get(keys::usage(route, day))?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(0))
    }

    /// Adds `n` to `route`'s count for `day` and returns the new count.
    pub fn add_usage(&self, route: &str, day: u32, n: u64) -> Result<u64, StoreError> {
        let key = keys::usage(route, day);
        let new = self.tree.update_and_fetch(key, |old| {
            let old = old
                .and_then(|v| v.try_into().ok().map(u64::from_be_bytes))
                .unwrap_or(0);
            Some(old.saturating_add(n).to_be_bytes().to_vec())
        })?;
        Ok(new
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(n))
    }

    /// Restart contract: messages left `sending` by a previous process go back to `queued`.
    /// Parts that were not confirmed may have gone out, so they are marked as possible
    /// duplicates. Returns how many messages were requeued.
    pub fn requeue_in_flight(&self, now: Timestamp) -> Result<usize, StoreError> {
        let ids: Vec<MessageId> = self
            .tree
            .scan_prefix(keys::status_prefix(Status::Sending))
            .keys()
            .filter_map(|k| k.ok().and_then(|k| keys::trailing_id(&k)))
            .collect();
        let mut n = 0;
        for id in ids {
            let changed = self.update(id, |m| {
                if m.status != Status::Sending {
                    return false;
                }
                for part in &mut m.parts {
                    if matches!(part.status, PartStatus::Pending | PartStatus::Unknown) {
                        part.status = PartStatus::Pending;
                        part.possible_duplicate = true;
                    }
                }
                m.attempts.next_at = Some(now);
                m.set_status(
                    Status::Queued,
                    now,
                    Some("requeued after a restart while sending (at-least-once)".into()),
                );
                true
            })?;
            if changed.is_some() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Removes idempotency keys older than the window; returns how many.
    pub fn purge_idempotency_keys(&self, now: Timestamp) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.tree.scan_prefix([keys::IDEMPOTENCY]) {
            let (k, v) = kv?;
            let created = v
                .get(16..24)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes)
                .unwrap_or(0);
            if now.as_millis().saturating_sub(created) > IDEMPOTENCY_WINDOW_MS {
                self.tree.remove(k)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Removes `keys` in batches of a thousand (a purge may remove millions: one batch would
    /// hold them all in memory); returns how many.
    pub(crate) fn remove_in_chunks(
        &self,
        keys: impl Iterator<Item = Result<sled::IVec, StoreError>>,
    ) -> Result<usize, StoreError> {
        const CHUNK: usize = 1024;
        let mut batch = wal::Batch::default();
        let (mut n, mut in_batch) = (0, 0);
        for k in keys {
            batch.remove(k?);
            n += 1;
            in_batch += 1;
            if in_batch == CHUNK {
                self.tree.apply_batch(std::mem::take(&mut batch))?;
                in_batch = 0;
            }
        }
        self.tree.apply_batch(batch)?;
        Ok(n)
    }

    /// How many messages are in status `s` (kept in memory: no walk).
    pub fn count_in_status(&self, s: Status) -> u64 {
        self.status_counts.get(s)
    }

    /// A short message to `to`, validated as the API does (tests).
    #[cfg(test)]
    pub(crate) fn message_for_test(to: &str) -> OutboundMessage {
        let req: crate::api::submit::SubmitRequest =
            serde_json::from_value(serde_json::json!({"to": to, "text": "hi"})).unwrap();
        crate::api::submit::SubmitRules::new(&crate::config::MessagesConfig::default())
            .validate(req, Timestamp(1), |_| true)
            .unwrap()
    }

    /// Queues a short message to `to` directly (tests): its id.
    #[cfg(test)]
    pub(crate) fn queue_for_test(&self, to: &str) -> MessageId {
        let message = Self::message_for_test(to);
        let id = message.id;
        self.insert_outbound(vec![NewMessage {
            message,
            idempotency_key: None,
        }])
        .unwrap();
        id
    }

    /// Overwrites the record of `m`, bypassing the writer, events and indexes: tests use it to
    /// change what a reader going to the store would see.
    #[cfg(test)]
    pub(crate) fn overwrite_for_test(&self, m: &OutboundMessage) -> Result<(), StoreError> {
        self.put_raw(&keys::message(m.id), &value::encode(m)?)
    }

    /// Writes raw bytes under `key`, bypassing encoding and indexes: tests use it to plant an
    /// unreadable value.
    #[cfg(test)]
    pub(crate) fn put_raw(&self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.tree.insert(key, value)?;
        Ok(())
    }

    /// How many messages are in each status (kept in memory: no walk).
    pub fn count_by_status(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        Ok(Status::ALL
            .into_iter()
            .map(|s| (s, self.status_counts.get(s)))
            .collect())
    }

    /// [`Store::count_by_status`] as the status index holds it, by walking it (cost grows with
    /// the number of messages): for checks that the kept counts are right.
    pub fn walk_status_index(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        let mut out = Vec::new();
        for s in Status::ALL {
            let n = self.tree.scan_prefix(keys::status_prefix(s)).keys().count() as u64;
            out.push((s, n));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod open_tests {
    use super::*;

    #[test]
    fn a_store_held_elsewhere_should_be_refused_after_the_wait_with_its_directory_named() {
        let dir = tempfile::tempdir().unwrap();
        let held = Store::open(dir.path(), 1 << 20).unwrap();
        let wait = std::time::Duration::from_millis(50);
        let err = open_sled_waiting(dir.path(), 1 << 20, wait).unwrap_err();
        assert!(matches!(err, StoreError::InUse { .. }), "{err}");
        assert!(err.to_string().contains(&dir.path().display().to_string()));
        drop(held);
        // Once let go, the same open goes through (waiting if the writer still holds it).
        open_sled(dir.path(), 1 << 20).unwrap();
    }
}
