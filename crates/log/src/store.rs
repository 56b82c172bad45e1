//! The [`Log`] handle: creating, opening and appending.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::chunk::frames;
use crate::codec::{ChunkBytes, ChunkEncoding};
use crate::entry::{Appended, Entry, Head, NewEntry, entry_hash};
use crate::error::{AppendError, FlushError, OpenError, show_key};
use crate::header::{FORMAT_VERSION, HEADER_LEN, MAX_PAYLOAD_LEN};
use crate::layout::{
    HEAD_KEY, MARKER_KEY, Marker, chunk_key, chunk_of, decode_head, decode_index_value,
    encode_head, index_key, marker_value, parse_marker, slot_of,
};
use crate::nodes::upgrade;
use crate::open::{DERIVED_TREE, Recorded, drop_legacy_derived, open_sled, recorded, sync_conf};
use crate::prepare::{Prepared, Preparer, Staged};
use crate::read::ChunkCache;

/// An open docket log.
///
/// `Log` is `Send + Sync`: share it behind an `Arc`. Appends are serialised
/// by an internal mutex; reads do not take it and see every acknowledged
/// append. Only one `Log` may have a given path open at a time, in any
/// process (sled holds an exclusive lock on its files).
pub struct Log {
    path: PathBuf,
    db: sled::Db,
    /// Derived data, in a tree of its own: sled keeps a key's value in the
    /// same page as its neighbours, and a snapshot of a hundred megabytes
    /// beside the head record made every open and every append read or
    /// rewrite it.
    derived: sled::Tree,
    /// Serialises writers (and verification against writers).
    writer: Mutex<()>,
    /// The head of the last committed append, cached.
    head: Mutex<Head>,
    /// How this log's layout stores chunk values.
    encoding: ChunkEncoding,
    /// Full chunks recently decoded by reads.
    chunk_cache: ChunkCache,
}

impl fmt::Debug for Log {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Log")
            .field("path", &self.path)
            .field("head", &self.head())
            .finish_non_exhaustive()
    }
}

/// Microseconds since the Unix epoch according to the system clock.
pub(crate) fn now_micros() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_micros()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_micros()).map_or(i64::MIN, |m| -m),
    }
}

impl Log {
    /// Creates a new, empty log at `path` (a directory, created if needed;
    /// an existing empty directory is fine).
    ///
    /// Fails with [`OpenError::AlreadyExists`] if the path already holds a
    /// database and [`OpenError::NotEmpty`] if it holds anything else.
    pub fn create(path: &Path) -> Result<Log, OpenError> {
        let io = |source| OpenError::Io {
            path: path.to_path_buf(),
            source,
        };
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                if path.join("db").exists() {
                    return Err(OpenError::AlreadyExists {
                        path: path.to_path_buf(),
                    });
                }
                if fs::read_dir(path).map_err(io)?.next().is_some() {
                    return Err(OpenError::NotEmpty {
                        path: path.to_path_buf(),
                    });
                }
            }
            Ok(_) => {
                return Err(OpenError::NotEmpty {
                    path: path.to_path_buf(),
                });
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let db = open_sled(path, Recorded::NEW)?;
        let storage = |source| OpenError::Storage {
            path: path.to_path_buf(),
            source,
        };
        // Another creator may have won a race for the directory.
        if !db.is_empty() {
            return Err(OpenError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        let mut batch = sled::Batch::default();
        batch.insert(MARKER_KEY, &marker_value(ChunkEncoding::Zstd)[..]);
        batch.insert(HEAD_KEY, &encode_head(&Head::EMPTY)[..]);
        db.apply_batch(batch).map_err(storage)?;
        let derived = db.open_tree(DERIVED_TREE).map_err(storage)?;
        db.flush().map_err(storage)?;
        sync_conf(path).map_err(io)?;
        Ok(Log {
            path: path.to_path_buf(),
            db,
            derived,
            writer: Mutex::new(()),
            head: Mutex::new(Head::EMPTY),
            encoding: ChunkEncoding::Zstd,
            chunk_cache: ChunkCache::new(),
        })
    }

    /// Opens an existing log.
    ///
    /// The stored Merkle nodes are brought to this build's layout (see
    /// `docs/format.md` §9.7), in one batch: nodes of level < 6, which a
    /// build that stored every node wrote, are deleted; a log written before
    /// Merkle nodes were stored (it has a full chunk but no node for the
    /// last one) gets its nodes of level ≥ 6 rebuilt from the entries, if
    /// the entries chain correctly to the head record.
    ///
    /// Fails with [`OpenError::NotFound`] if nothing is at `path`,
    /// [`OpenError::NotALog`] if it is not a docket log (nothing is created
    /// or changed there), [`OpenError::UnsupportedLayout`] if it was written
    /// by a newer layout, and [`OpenError::InUse`] if another handle has it
    /// open (after waiting up to a second for it to be released, which
    /// covers a handle of this process that is being dropped).
    pub fn open(path: &Path) -> Result<Log, OpenError> {
        let not_a_log = |reason: &str| OpenError::NotALog {
            path: path.to_path_buf(),
            reason: reason.to_owned(),
        };
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(not_a_log("it is not a directory")),
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(OpenError::NotFound {
                    path: path.to_path_buf(),
                });
            }
            Err(source) => {
                return Err(OpenError::Io {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
        if !path.join("db").is_file() {
            return Err(not_a_log("the directory holds no database"));
        }
        // Opened without them, sled would read the database with a guessed
        // segment size (`open.rs`), which an older or a newer log does not
        // have, and write a `conf` saying so.
        let Some(settings) = recorded(path) else {
            return Err(OpenError::Damaged {
                path: path.to_path_buf(),
                reason: "its `conf` file, where sled records the database's segment size \
                         and compression, is missing or damaged"
                    .to_owned(),
            });
        };
        let db = open_sled(path, settings)?;
        let storage = |source| OpenError::Storage {
            path: path.to_path_buf(),
            source,
        };
        let encoding = match db.get(MARKER_KEY).map_err(storage)? {
            None => return Err(not_a_log("the database has no docket format marker")),
            Some(value) => match parse_marker(&value) {
                Marker::Supported(encoding) => encoding,
                Marker::Foreign => {
                    return Err(not_a_log("the database has a foreign format marker"));
                }
                Marker::Unsupported { layout, chunk_len } => {
                    return Err(OpenError::UnsupportedLayout {
                        path: path.to_path_buf(),
                        layout,
                        chunk_len,
                    });
                }
            },
        };
        let head = db
            .get(HEAD_KEY)
            .map_err(storage)?
            .and_then(|v| decode_head(&v))
            .ok_or_else(|| OpenError::Damaged {
                path: path.to_path_buf(),
                reason: "the head record is missing or malformed".to_owned(),
            })?;
        // Nodes below level 6 go; a log without nodes gets them now.
        upgrade(&db, encoding, &head).map_err(storage)?;
        drop_legacy_derived(&db).map_err(storage)?;
        let derived = db.open_tree(DERIVED_TREE).map_err(storage)?;
        Ok(Log {
            path: path.to_path_buf(),
            db,
            derived,
            writer: Mutex::new(()),
            head: Mutex::new(head),
            encoding,
            chunk_cache: ChunkCache::new(),
        })
    }

    /// The path the log was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current head (size, last hash, last `recorded_at`).
    pub fn head(&self) -> Head {
        *self.head.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forces everything written so far to disk. Appends already do this
    /// before they return.
    pub fn flush(&self) -> Result<(), FlushError> {
        self.db
            .flush()
            .map(|_| ())
            .map_err(|source| FlushError::Storage {
                path: self.path.clone(),
                source,
            })
    }

    /// Appends a batch of entries atomically and durably, stamped with the
    /// system clock.
    ///
    /// All entries of the batch get the same `recorded_at`:
    /// `max(now, head.recorded_at)`, so time never goes backwards along the
    /// chain even if the clock does. Entries, head and index keys are
    /// written in one sled batch, with the Merkle nodes the new entries
    /// complete, and flushed to disk before this returns.
    /// An empty batch writes nothing and returns an empty vector.
    pub fn append(&self, batch: Vec<NewEntry>) -> Result<Vec<Appended>, AppendError> {
        self.append_at(batch, now_micros())
    }

    /// Like [`Log::append`], with the clock reading `recorded_at`
    /// (microseconds since the Unix epoch) instead of the system clock. The
    /// reading is still raised to `head.recorded_at` if it is earlier.
    pub fn append_at(
        &self,
        batch: Vec<NewEntry>,
        recorded_at: i64,
    ) -> Result<Vec<Appended>, AppendError> {
        let _writer = self.writer();
        // The entries are checked before the stored tail is read, so that
        // a refusal of the batch itself comes first, and an empty batch
        // succeeds, whatever the tail.
        let head = self.head();
        let staged = Staged::of_batch(head, &self.path, batch, recorded_at)?;
        if staged.is_empty() {
            return Ok(Vec::new());
        }
        self.check_index(staged.index(), head.size)?;
        let prepared = self.preparer_locked()?.finish(staged)?;
        self.write_prepared(prepared)
    }

    /// A [`Preparer`] continuing the log as it is now, for appends
    /// prepared on one thread and stored with [`Log::store`] on another.
    /// Reads the partly filled last chunk and popcount(size / 64) stored
    /// Merkle nodes.
    pub fn preparer(&self) -> Result<Preparer, AppendError> {
        // The head, the tail and the nodes are read together, with no
        // append in between.
        let _writer = self.writer();
        self.preparer_locked()
    }

    /// [`Log::preparer`], with the writer lock already held.
    fn preparer_locked(&self) -> Result<Preparer, AppendError> {
        let head = self.head();
        let tail = self.load_tail(&head)?;
        let frontier = self.frontier_at(head.size, &tail)?;
        Ok(Preparer::new(self, head, tail, frontier))
    }

    /// Stores prepared entries atomically and durably, as
    /// [`Log::append`] does, if the log still ends where their preparer
    /// left off before preparing them, in the same layout; otherwise fails
    /// with [`AppendError::PreparedElsewhere`] and writes nothing. Empty:
    /// writes nothing.
    pub fn store(&self, prepared: Prepared) -> Result<Vec<Appended>, AppendError> {
        let _writer = self.writer();
        self.store_locked(prepared)
    }

    /// Appends entries taken verbatim from elsewhere (a backup, an export),
    /// each with its index keys, atomically and durably.
    ///
    /// Every entry must continue the chain exactly: its seq is the next
    /// one, its `prev_hash` is the hash of the entry before it (or the
    /// current head), its `recorded_at` is not earlier than the previous
    /// one, its version is supported and `payload_len` matches the payload
    /// (at most [`MAX_PAYLOAD_LEN`]). Otherwise nothing is written and
    /// [`AppendError::NotContinuing`] names the first entry that does not
    /// fit.
    pub fn restore(&self, entries: Vec<(Entry, Vec<Vec<u8>>)>) -> Result<(), AppendError> {
        let _writer = self.writer();
        let mut staged = Staged::new(self.head());
        for (entry, keys) in entries {
            let expected = staged.next;
            let h = &entry.header;
            let fail = |reason: String| AppendError::NotContinuing {
                seq: expected.size,
                reason,
            };
            if h.version != FORMAT_VERSION {
                return Err(fail(format!("unsupported entry version {}", h.version)));
            }
            if h.seq != expected.size {
                return Err(fail(format!("its seq field is {}", h.seq)));
            }
            if expected.size == u64::MAX {
                return Err(self.full());
            }
            if h.prev_hash != expected.hash {
                return Err(fail(format!(
                    "its prev_hash {} is not the hash {} of the entry before it",
                    crate::hex(&h.prev_hash),
                    crate::hex(&expected.hash)
                )));
            }
            if h.recorded_at < expected.recorded_at {
                return Err(fail(format!(
                    "its recorded_at {} is earlier than {} of the entry before it",
                    h.recorded_at, expected.recorded_at
                )));
            }
            if h.payload_len as usize != entry.payload.len() {
                return Err(fail(format!(
                    "its payload_len {} does not match its payload of {} bytes",
                    h.payload_len,
                    entry.payload.len()
                )));
            }
            if entry.payload.len() > MAX_PAYLOAD_LEN {
                return Err(AppendError::PayloadTooLarge {
                    seq: expected.size,
                    len: entry.payload.len(),
                });
            }
            staged.push(h, &entry.payload, keys);
        }
        if staged.is_empty() {
            return Ok(());
        }
        self.check_index(staged.index(), self.head().size)?;
        let prepared = self.preparer_locked()?.finish(staged)?;
        self.write_prepared(prepared).map(|_| ())
    }

    /// Takes the writer lock. No code path panics while holding it; if one
    /// ever did, the cached head would still be the last committed one, so
    /// poisoning is ignored.
    pub(crate) fn writer(&self) -> MutexGuard<'_, ()> {
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn db(&self) -> &sled::Db {
        &self.db
    }

    pub(crate) fn derived_tree(&self) -> &sled::Tree {
        &self.derived
    }

    /// How this log stores chunk values.
    pub(crate) fn encoding(&self) -> ChunkEncoding {
        self.encoding
    }

    pub(crate) fn chunk_cache(&self) -> &ChunkCache {
        &self.chunk_cache
    }

    fn full(&self) -> AppendError {
        AppendError::Full {
            path: self.path.clone(),
        }
    }

    fn damaged(&self, seq: u64, reason: String) -> AppendError {
        AppendError::Damaged {
            path: self.path.clone(),
            seq,
            reason,
        }
    }

    /// Checks new index keys against each other and the store.
    fn check_index(&self, index: &[(Vec<u8>, u64)], first_seq: u64) -> Result<(), AppendError> {
        let storage = |source| AppendError::Storage {
            path: self.path.clone(),
            first_seq,
            source,
        };
        let mut seen: HashMap<&[u8], u64> = HashMap::with_capacity(index.len());
        for (key, seq) in index {
            let taken = |owner| AppendError::IndexKeyTaken {
                key: show_key(key),
                seq: *seq,
                owner,
            };
            if let Some(&owner) = seen.get(key.as_slice()) {
                return Err(taken(owner));
            }
            seen.insert(key, *seq);
            if let Some(value) = self.db.get(index_key(key)).map_err(storage)? {
                let owner = decode_index_value(&value).ok_or_else(|| {
                    self.damaged(
                        *seq,
                        format!("index key \"{}\" has a malformed value", show_key(key)),
                    )
                })?;
                return Err(taken(owner));
            }
        }
        Ok(())
    }

    /// Loads the partially filled last chunk and checks that it ends
    /// exactly with the entry the head describes.
    fn load_tail(&self, head: &Head) -> Result<Vec<u8>, AppendError> {
        let chunk = chunk_of(head.size);
        let slot = slot_of(head.size);
        let last = head.size.wrapping_sub(1);
        let storage = |source| AppendError::Storage {
            path: self.path.clone(),
            first_seq: head.size,
            source,
        };
        let existing = self.db.get(chunk_key(chunk)).map_err(storage)?;
        if slot == 0 {
            if existing.is_some() {
                return Err(self.damaged(
                    head.size,
                    format!("chunk {chunk} exists although the head says it is unused"),
                ));
            }
            return Ok(Vec::with_capacity(4096));
        }
        let Some(value) = existing else {
            return Err(self.damaged(last, format!("chunk {chunk} holding it is missing")));
        };
        let value: ChunkBytes = self.encoding.decode(value).map_err(|reason| {
            self.damaged(
                last,
                format!("chunk {chunk} holding it is unreadable: {reason}"),
            )
        })?;
        let mut count = 0usize;
        let mut last_frame = None;
        for frame in frames(&value) {
            let frame = frame.map_err(|(offset, e)| {
                self.damaged(
                    last,
                    format!("chunk {chunk} is unreadable at byte {offset}: {e}"),
                )
            })?;
            count += 1;
            last_frame = Some(frame);
        }
        let consistent = count == slot
            && last_frame.is_some_and(|f| {
                f.header.seq == last
                    && f.header.recorded_at == head.recorded_at
                    && entry_hash(f.bytes(&value)) == head.hash
            });
        if !consistent {
            return Err(self.damaged(
                last,
                format!("chunk {chunk} does not end with the entry recorded in the head"),
            ));
        }
        let mut buf = Vec::with_capacity(value.len() * 2 + HEADER_LEN);
        buf.extend_from_slice(&value);
        Ok(buf)
    }

    /// Checks that prepared entries fit this log (its layout, its head,
    /// free index keys), then writes them. Called with the writer lock
    /// held.
    fn store_locked(&self, prepared: Prepared) -> Result<Vec<Appended>, AppendError> {
        if prepared.appended.is_empty() {
            return Ok(Vec::new());
        }
        let head = self.head();
        let elsewhere = |reason: String| AppendError::PreparedElsewhere {
            path: self.path.clone(),
            reason,
        };
        if prepared.encoding != self.encoding {
            return Err(elsewhere(format!(
                "they were prepared for storage layout {}, and this log has layout {}",
                prepared.encoding.layout(),
                self.encoding.layout()
            )));
        }
        if head != prepared.prev {
            return Err(elsewhere(format!(
                "they were prepared to follow {} entries ending in hash {}, and the log holds {} ending in hash {}",
                prepared.prev.size,
                crate::hex(&prepared.prev.hash),
                head.size,
                crate::hex(&head.hash)
            )));
        }
        self.check_index(&prepared.index, head.size)?;
        self.write_prepared(prepared)
    }

    /// Writes prepared entries (checked to fit), the stored Merkle nodes
    /// they complete, the new head and the index keys in one sled batch,
    /// then flushes. Called with the writer lock held.
    fn write_prepared(&self, prepared: Prepared) -> Result<Vec<Appended>, AppendError> {
        let first_seq = prepared.prev.size;
        let storage = |source| AppendError::Storage {
            path: self.path.clone(),
            first_seq,
            source,
        };
        let mut batch = sled::Batch::default();
        for (key, hash) in &prepared.nodes {
            batch.insert(&key[..], &hash[..]);
        }
        for (chunk, frame) in prepared.chunks {
            batch.insert(&chunk_key(chunk)[..], frame);
        }
        batch.insert(HEAD_KEY, &encode_head(&prepared.next)[..]);
        for (key, seq) in &prepared.index {
            batch.insert(index_key(key), &seq.to_be_bytes()[..]);
        }
        self.db.apply_batch(batch).map_err(storage)?;
        *self.head.lock().unwrap_or_else(PoisonError::into_inner) = prepared.next;
        self.db.flush().map_err(|source| AppendError::NotDurable {
            path: self.path.clone(),
            first_seq,
            source,
        })?;
        Ok(prepared.appended)
    }
}
