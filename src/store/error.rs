//! Store errors.

/// What went wrong in the store. The API answers 503 for all of these: the request may be
/// retried, and nothing was half-written (every change is one atomic batch).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// sled reported an error: usually I/O (disk full, read-only file system) or corruption.
    #[error("store error: {0}")]
    Sled(#[from] sled::Error),
    /// The write-ahead journal said no (disk full, a failed sync, a damaged segment).
    #[error("journal: {0}")]
    Journal(#[from] super::journal::JournalError),
    /// Flushing to disk failed, so the write is not known to be durable.
    #[error("flush to disk failed: {0}")]
    Flush(String),
    /// A stored value could not be read back. Names the key so an operator can find it.
    #[error("corrupt value at key {key}: {reason}")]
    Corrupt {
        /// The key, hex-encoded.
        key: String,
        /// What the decoder said.
        reason: String,
    },
    /// The on-disk schema is newer than this binary understands.
    #[error("the store has schema version {found}; this smsgw understands up to {supported}")]
    SchemaTooNew {
        /// Version found on disk.
        found: u32,
        /// Highest version this build migrates to.
        supported: u32,
    },
    /// Another process holds the store's files (one daemon per data directory).
    #[error(
        "the store in {dir} is in use by another process (its lock was still held after {waited_secs} s)"
    )]
    InUse {
        /// The store's directory.
        dir: String,
        /// How long the open waited for the lock.
        waited_secs: u64,
    },
    /// The writer's thread could not be started.
    #[error("cannot start the store's writer thread: {0}")]
    Start(std::io::Error),
    /// The store is shutting down.
    #[error("the store is closed")]
    Closed,
}
