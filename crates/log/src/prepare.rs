//! Preparing an append apart from storing it.
//!
//! Most of an append is computing, not storing: each entry's header and
//! hash (a chain, so one after another), the chunks it fills, compressed,
//! and the Merkle nodes it completes. A [`Preparer`] does all of that
//! without touching storage and carries what the next batch continues from
//! (the head, the partly filled last chunk, the Merkle frontier), so a
//! writer with many batches can prepare batch *k + 1* on one thread while
//! [`Log::store`] writes batch *k* on another. [`Log::append`] is the two
//! steps one after the other, so there is one way entries are made.

use std::path::{Path, PathBuf};

use crate::codec::ChunkEncoding;
use crate::entry::{Appended, Head, NewEntry, entry_hash};
use crate::error::AppendError;
use crate::header::{FORMAT_VERSION, Header, MAX_PAYLOAD_LEN};
use crate::layout::{CHUNK_LEN, NODE_KEY_LEN, chunk_of, node_key, slot_of};
use crate::merkle::{Blake3Hasher, Frontier};
use crate::nodes::{is_stored, leaf};
use crate::store::now_micros;
use crate::{Hash, Log};

/// Entries made ready to store by [`Preparer::prepare`]: their bytes,
/// compressed into the chunk values they go to, and the Merkle nodes they
/// complete. [`Log::store`] writes them if the log still ends where the
/// preparer found it.
#[derive(Debug)]
pub struct Prepared {
    /// How the log they were prepared for stores chunks.
    pub(crate) encoding: ChunkEncoding,
    /// The head these entries continue.
    pub(crate) prev: Head,
    /// The head after them.
    pub(crate) next: Head,
    pub(crate) appended: Vec<Appended>,
    /// Index keys and the seqs that will own them.
    pub(crate) index: Vec<(Vec<u8>, u64)>,
    /// Chunk values by chunk number: the partly filled chunk the log ended
    /// with (if any), extended, then new ones.
    pub(crate) chunks: Vec<(u64, Vec<u8>)>,
    /// The stored Merkle nodes (level ≥ 6) the entries complete.
    pub(crate) nodes: Vec<([u8; NODE_KEY_LEN], Hash)>,
}

impl Prepared {
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.appended.len()
    }

    /// Whether there are no entries (storing them writes nothing).
    pub fn is_empty(&self) -> bool {
        self.appended.is_empty()
    }

    /// The head of the log once these are stored.
    pub fn head(&self) -> Head {
        self.next
    }
}

/// Prepares appends one after another, ahead of storing them; made by
/// [`Log::preparer`] for the log as it is then. Each batch continues the
/// one prepared before it, whether or not that one is stored yet.
#[derive(Debug)]
pub struct Preparer {
    path: PathBuf,
    encoding: ChunkEncoding,
    /// The head after everything prepared so far.
    next: Head,
    /// The stored bytes of the entries of the partly filled last chunk
    /// (`next.size − next.size mod 64 .. next.size`).
    tail: Vec<u8>,
    /// The Merkle frontier of the first `next.size` entries.
    frontier: Frontier,
}

impl Preparer {
    pub(crate) fn new(log: &Log, head: Head, tail: Vec<u8>, frontier: Frontier) -> Preparer {
        Preparer {
            path: log.path().to_path_buf(),
            encoding: log.encoding(),
            next: head,
            tail,
            frontier,
        }
    }

    /// The head after every batch prepared so far.
    pub fn head(&self) -> Head {
        self.next
    }

    /// [`Preparer::prepare`] with the system clock's reading, as
    /// [`Log::append`] appends.
    pub fn prepare_now(&mut self, batch: Vec<NewEntry>) -> Result<Prepared, AppendError> {
        self.prepare(batch, now_micros())
    }

    /// Prepares `batch` to follow what was prepared before, with the clock
    /// reading `recorded_at` (raised to the previous entry's if earlier),
    /// as [`Log::append_at`] would append it. On error nothing changes.
    pub fn prepare(
        &mut self,
        batch: Vec<NewEntry>,
        recorded_at: i64,
    ) -> Result<Prepared, AppendError> {
        let staged = Staged::of_batch(self.next, &self.path, batch, recorded_at)?;
        self.finish(staged)
    }

    /// Makes staged entries (which continue [`Preparer::head`]) into a
    /// [`Prepared`]: fills and compresses their chunks while the Merkle
    /// nodes are computed. On error nothing changes.
    pub(crate) fn finish(&mut self, staged: Staged) -> Result<Prepared, AppendError> {
        let prev = self.next;
        let mut chunks = Vec::new();
        let mut buf = self.tail.clone();
        let mut slot = slot_of(prev.size) as u64;
        let mut start = 0;
        for &end in &staged.ends {
            buf.extend_from_slice(&staged.bytes[start..end]);
            start = end;
            slot += 1;
            if slot == CHUNK_LEN {
                chunks.push(std::mem::replace(&mut buf, Vec::with_capacity(4096)));
                slot = 0;
            }
        }
        // The partly filled chunk is stored now and extended by the next
        // batch.
        let tail = buf.clone();
        if !buf.is_empty() && !staged.appended.is_empty() {
            chunks.push(buf);
        }
        let mut frontier = self.frontier.clone();
        let (frames, nodes) = self.encoding.encode_all(chunks, || {
            let mut nodes = Vec::new();
            for appended in &staged.appended {
                frontier.push(&Blake3Hasher, leaf(&appended.hash), |level, index, hash| {
                    if is_stored(level) {
                        nodes.push((node_key(level, index), *hash));
                    }
                });
            }
            nodes
        });
        let frames = frames
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AppendError::Storage {
                path: self.path.clone(),
                first_seq: prev.size,
                source: sled::Error::Io(e),
            })?;
        self.next = staged.next;
        self.tail = tail;
        self.frontier = frontier;
        Ok(Prepared {
            encoding: self.encoding,
            prev,
            next: staged.next,
            appended: staged.appended,
            index: staged.index,
            chunks: (chunk_of(prev.size)..).zip(frames).collect(),
            nodes,
        })
    }
}

/// Entries encoded and hashed, not yet in chunks.
pub(crate) struct Staged {
    /// Stored bytes of all new entries, concatenated.
    bytes: Vec<u8>,
    /// End offset in `bytes` of each entry.
    ends: Vec<usize>,
    appended: Vec<Appended>,
    index: Vec<(Vec<u8>, u64)>,
    /// The head after the staged entries.
    pub(crate) next: Head,
}

impl Staged {
    /// `batch` as new entries after `head`, recorded at `recorded_at`
    /// (raised to the head's if earlier). `path` names the log in errors.
    pub(crate) fn of_batch(
        head: Head,
        path: &Path,
        batch: Vec<NewEntry>,
        recorded_at: i64,
    ) -> Result<Staged, AppendError> {
        let recorded_at = recorded_at.max(head.recorded_at);
        let mut staged = Staged::new(head);
        for entry in batch {
            let seq = staged.next.size;
            if seq == u64::MAX {
                return Err(AppendError::Full {
                    path: path.to_path_buf(),
                });
            }
            let len = entry.payload.len();
            let payload_len = u32::try_from(len)
                .ok()
                .filter(|&l| l as usize <= MAX_PAYLOAD_LEN)
                .ok_or(AppendError::PayloadTooLarge { seq, len })?;
            let header = Header {
                version: FORMAT_VERSION,
                seq,
                recorded_at,
                payload_len,
                prev_hash: staged.next.hash,
            };
            staged.push(&header, &entry.payload, entry.index_keys);
        }
        Ok(staged)
    }

    /// Whether no entry is staged.
    pub(crate) fn is_empty(&self) -> bool {
        self.appended.is_empty()
    }

    /// The index keys, with the seqs that will own them.
    pub(crate) fn index(&self) -> &[(Vec<u8>, u64)] {
        &self.index
    }

    pub(crate) fn new(head: Head) -> Staged {
        Staged {
            bytes: Vec::new(),
            ends: Vec::new(),
            appended: Vec::new(),
            index: Vec::new(),
            next: head,
        }
    }

    /// Adds one entry whose header already continues `self.next`.
    pub(crate) fn push(&mut self, header: &Header, payload: &[u8], keys: Vec<Vec<u8>>) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&header.to_bytes());
        self.bytes.extend_from_slice(payload);
        let hash = entry_hash(&self.bytes[start..]);
        self.ends.push(self.bytes.len());
        self.appended.push(Appended {
            seq: header.seq,
            hash,
            recorded_at: header.recorded_at,
        });
        self.index.extend(keys.into_iter().map(|k| (k, header.seq)));
        self.next = Head {
            size: header.seq + 1,
            hash,
            recorded_at: header.recorded_at,
        };
    }
}
