//! One error type per operation. Every message names the path or the seq
//! it is about.

use std::path::PathBuf;

use thiserror::Error;

use crate::header::EntryError;
use crate::merkle::ProofError;

/// Why [`crate::Log::create`] or [`crate::Log::open`] failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OpenError {
    /// `open`: nothing exists at the path.
    #[error("no ledger at {}: the path does not exist", path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// `create`: the path already holds a database.
    #[error("a ledger already exists at {}", path.display())]
    AlreadyExists {
        /// The path given.
        path: PathBuf,
    },
    /// `create`: the path exists and is not an empty directory.
    #[error("cannot create a ledger at {}: the path exists and is not an empty directory", path.display())]
    NotEmpty {
        /// The path given.
        path: PathBuf,
    },
    /// `open`: the path exists but does not hold a docket log.
    #[error("{} is not a docket ledger: {reason}", path.display())]
    NotALog {
        /// The path given.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// `open`: the log was written with a layout this build cannot read.
    #[error(
        "ledger at {} uses storage layout {layout} with chunks of {chunk_len} entries; \
         this build reads layouts 1 to {} with chunks of {}",
        path.display(), crate::LAYOUT_VERSION, crate::CHUNK_LEN
    )]
    UnsupportedLayout {
        /// The path given.
        path: PathBuf,
        /// Layout version found in the marker.
        layout: u32,
        /// Chunk length found in the marker.
        chunk_len: u32,
    },
    /// Another process (or another `Log` in this process) has the log open.
    #[error("ledger at {} is in use by another process", path.display())]
    InUse {
        /// The path given.
        path: PathBuf,
    },
    /// The log's own records (the head record) are unreadable.
    #[error("ledger at {} is damaged: {reason}", path.display())]
    Damaged {
        /// The path given.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file-system error outside sled.
    #[error("cannot access ledger at {}: {source}", path.display())]
    Io {
        /// The path given.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// sled reported an error.
    #[error("cannot open ledger at {}: {source}", path.display())]
    Storage {
        /// The path given.
        path: PathBuf,
        /// The underlying error.
        source: sled::Error,
    },
}

/// Why [`crate::Log::append`], [`crate::Log::append_at`],
/// [`crate::Log::restore`], [`crate::Preparer::prepare`] or
/// [`crate::Log::store`] failed. A failed append changes nothing, except
/// for [`AppendError::NotDurable`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AppendError {
    /// A payload is larger than [`crate::MAX_PAYLOAD_LEN`].
    #[error(
        "payload of entry {seq} is {len} bytes, more than the maximum of {} bytes",
        crate::MAX_PAYLOAD_LEN
    )]
    PayloadTooLarge {
        /// The seq the entry would have had.
        seq: u64,
        /// Its payload length.
        len: usize,
    },
    /// An index key is already owned by an entry (possibly an earlier one
    /// in the same batch).
    #[error("index key \"{key}\" of entry {seq} is already owned by entry {owner}")]
    IndexKeyTaken {
        /// The key, with non-printable bytes escaped.
        key: String,
        /// The seq the new entry would have had.
        seq: u64,
        /// The seq of the entry that owns the key.
        owner: u64,
    },
    /// `restore`: an entry does not continue the chain exactly.
    #[error("entry {seq} does not continue the chain: {reason}")]
    NotContinuing {
        /// The seq the entry would have had (its position).
        seq: u64,
        /// What does not match.
        reason: String,
    },
    /// The stored tail of the log is inconsistent with the head, so nothing
    /// can safely be chained onto it; run verification.
    #[error("ledger at {} is damaged near entry {seq}, refusing to append: {reason}", path.display())]
    Damaged {
        /// The log's path.
        path: PathBuf,
        /// The entry concerned.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// The sequence numbers would overflow `u64`.
    #[error("ledger at {} cannot hold more entries", path.display())]
    Full {
        /// The log's path.
        path: PathBuf,
    },
    /// [`crate::Log::store`]: the entries were prepared for another log,
    /// or to follow another head than the log's (something else was
    /// appended, or an earlier prepared batch was not stored); nothing was
    /// written.
    #[error("refusing to store prepared entries in the ledger at {}: {reason}", path.display())]
    PreparedElsewhere {
        /// The log's path.
        path: PathBuf,
        /// What does not match.
        reason: String,
    },
    /// sled could not apply the batch; nothing was written.
    #[error("could not write entries {first_seq}.. to ledger at {}: {source}", path.display())]
    Storage {
        /// The log's path.
        path: PathBuf,
        /// Seq of the first entry of the batch.
        first_seq: u64,
        /// The underlying error.
        source: sled::Error,
    },
    /// The batch was applied but could not be flushed to disk: the entries
    /// are visible now but may not survive a crash.
    #[error(
        "entries {first_seq}.. were written to ledger at {} but could not be made durable: {source}",
        path.display()
    )]
    NotDurable {
        /// The log's path.
        path: PathBuf,
        /// Seq of the first entry of the batch.
        first_seq: u64,
        /// The underlying error.
        source: sled::Error,
    },
}

/// Why reading an entry or the index failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The head says the entry exists but its chunk is absent.
    #[error("entry {seq} is missing from ledger at {}", path.display())]
    Missing {
        /// The log's path.
        path: PathBuf,
        /// The entry requested.
        seq: u64,
    },
    /// The stored bytes at the entry's position cannot be decoded.
    #[error("entry {seq} in ledger at {} is unreadable: {source}", path.display())]
    Malformed {
        /// The log's path.
        path: PathBuf,
        /// The entry whose position holds undecodable bytes.
        seq: u64,
        /// The decoding error.
        source: EntryError,
    },
    /// The chunk holding the entry cannot be decoded (a layout-2 chunk
    /// that is not a zstd frame of entries).
    #[error("entry {seq} in ledger at {} is unreadable: {reason}", path.display())]
    UnreadableChunk {
        /// The log's path.
        path: PathBuf,
        /// The entry requested.
        seq: u64,
        /// What is wrong with its chunk.
        reason: String,
    },
    /// The position of entry `seq` holds an entry with another seq.
    #[error("position of entry {seq} in ledger at {} holds entry {found}", path.display())]
    Misplaced {
        /// The log's path.
        path: PathBuf,
        /// The entry requested.
        seq: u64,
        /// The seq field found there.
        found: u64,
    },
    /// An index value is not an 8-byte seq.
    #[error("index key \"{key}\" in ledger at {} has a malformed value", path.display())]
    MalformedIndex {
        /// The log's path.
        path: PathBuf,
        /// The key, with non-printable bytes escaped.
        key: String,
    },
    /// A Merkle tree size (or proof size) larger than the log was asked
    /// for.
    #[error("ledger at {} holds {head} entries, not {size}", path.display())]
    BeyondHead {
        /// The log's path.
        path: PathBuf,
        /// The tree size asked for.
        size: u64,
        /// The log's size when asked.
        head: u64,
    },
    /// No proof exists for the index or sizes asked for (an index not below
    /// the tree size, a consistency proof from size 0 or to a smaller size).
    #[error("no proof for ledger at {}: {source}", path.display())]
    NoProof {
        /// The log's path.
        path: PathBuf,
        /// What is wrong with the request.
        source: ProofError,
    },
    /// A stored Merkle node that must exist is absent or not 32 bytes.
    #[error(
        "Merkle node at level {level}, index {index} of ledger at {} is {problem}",
        path.display()
    )]
    BadNode {
        /// The log's path.
        path: PathBuf,
        /// The node's level (6 or more: lower levels are not stored).
        level: u8,
        /// The node's index within its level.
        index: u64,
        /// `"missing"` or a description of the malformed value.
        problem: String,
    },
    /// sled reported an error.
    #[error("cannot read ledger at {}: {source}", path.display())]
    Storage {
        /// The log's path.
        path: PathBuf,
        /// The underlying error.
        source: sled::Error,
    },
}

/// Why [`crate::Log::flush`] failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FlushError {
    /// sled could not write its buffers to disk.
    #[error("cannot flush ledger at {}: {source}", path.display())]
    Storage {
        /// The log's path.
        path: PathBuf,
        /// The underlying error.
        source: sled::Error,
    },
}

/// Escapes a key for an error message.
pub(crate) fn show_key(key: &[u8]) -> String {
    key.escape_ascii().to_string()
}

/// Reading or writing derived data (see [`crate::Log::put_derived_file`]) failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DerivedError {
    /// sled reported an error.
    #[error("cannot store derived data in ledger at {}: {source}", path.display())]
    Storage {
        /// The log's path.
        path: PathBuf,
        /// The underlying error.
        source: sled::Error,
    },
    /// A derived file could not be read or written.
    #[error("cannot use derived file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Derived file names are lowercase letters, digits and `-`.
    #[error("{name:?} is not a valid name for a derived file")]
    Name {
        /// The name given.
        name: String,
    },
}
