//! Reading entries and the index.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use crate::chunk::{Frame, frame_at};
use crate::codec::{ChunkBytes, ChunkEncoding};
use crate::entry::Entry;
use crate::error::{ReadError, show_key};
use crate::header::Header;
use crate::layout::{
    CHUNK_LEN, INDEX_PREFIX, chunk_key, chunk_of, decode_index_value, index_key, slot_of,
};
use crate::store::Log;

/// Slots of [`ChunkCache`].
const CACHED_CHUNKS: usize = 64;

/// The largest decoded chunk [`ChunkCache`] keeps, so that it holds at
/// most 16 MiB whatever the payloads' sizes (a chunk of typical events is
/// 10–20 KiB; one of 64 maximal payloads, 64 MiB).
const MAX_CACHED_CHUNK: usize = 256 * 1024;

/// Full chunks of a layout-2 log recently decoded by reads, so that
/// reading entries one by one in seq order (a dispute's, an entity's)
/// decompresses each chunk once, not once per entry. Direct-mapped by
/// chunk number (chunk `c` can only be in slot `c mod 64`). Only full
/// chunks are kept: their stored value never changes (appends rewrite
/// only the last, partial chunk), so nothing a writer does can leave a
/// stale copy here.
pub(crate) struct ChunkCache {
    slots: Mutex<Vec<Option<(u64, ChunkBytes)>>>,
}

impl ChunkCache {
    pub(crate) fn new() -> ChunkCache {
        ChunkCache {
            slots: Mutex::new(vec![None; CACHED_CHUNKS]),
        }
    }

    fn slot(chunk: u64) -> usize {
        // < CACHED_CHUNKS, so the conversion is lossless.
        (chunk % CACHED_CHUNKS as u64) as usize
    }

    pub(crate) fn get(&self, chunk: u64) -> Option<ChunkBytes> {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        match &slots[Self::slot(chunk)] {
            Some((cached, bytes)) if *cached == chunk => Some(bytes.clone()),
            _ => None,
        }
    }

    fn put(&self, chunk: u64, bytes: &ChunkBytes) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots[Self::slot(chunk)] = Some((chunk, bytes.clone()));
    }

    /// Forgets everything: for code that rewrites stored chunks in place
    /// (the deliberate damage of `testing`).
    pub(crate) fn clear(&self) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.iter_mut().for_each(|slot| *slot = None);
    }
}

impl Log {
    fn storage_error(&self, source: sled::Error) -> ReadError {
        ReadError::Storage {
            path: self.path().to_path_buf(),
            source,
        }
    }

    /// Loads (and decodes) the chunk holding `seq`; a missing chunk is an
    /// error because callers only ask for seqs below the head.
    pub(crate) fn load_chunk(&self, seq: u64) -> Result<ChunkBytes, ReadError> {
        let chunk = chunk_of(seq);
        // Layout-1 values are not decoded, and sled caches them itself.
        let cacheable =
            self.encoding() == ChunkEncoding::Zstd && chunk < self.head().size / CHUNK_LEN;
        if cacheable && let Some(bytes) = self.chunk_cache().get(chunk) {
            return Ok(bytes);
        }
        let value = self
            .db()
            .get(chunk_key(chunk))
            .map_err(|e| self.storage_error(e))?
            .ok_or_else(|| ReadError::Missing {
                path: self.path().to_path_buf(),
                seq,
            })?;
        let bytes = self
            .encoding()
            .decode(value)
            .map_err(|reason| ReadError::UnreadableChunk {
                path: self.path().to_path_buf(),
                seq,
                reason: format!("its chunk {chunk}: {reason}"),
            })?;
        if cacheable && bytes.len() <= MAX_CACHED_CHUNK {
            self.chunk_cache().put(chunk, &bytes);
        }
        Ok(bytes)
    }

    /// Decodes the entry at `offset` of `chunk`, which must be entry `seq`.
    fn frame_for(&self, chunk: &[u8], offset: usize, seq: u64) -> Result<Frame, ReadError> {
        let frame = frame_at(chunk, offset).map_err(|source| ReadError::Malformed {
            path: self.path().to_path_buf(),
            seq,
            source,
        })?;
        if frame.header.seq != seq {
            return Err(ReadError::Misplaced {
                path: self.path().to_path_buf(),
                seq,
                found: frame.header.seq,
            });
        }
        Ok(frame)
    }

    /// Finds the offset of entry `seq` in its chunk by walking the entries
    /// before it.
    fn offset_of(&self, chunk: &[u8], seq: u64) -> Result<usize, ReadError> {
        let first = seq - slot_of(seq) as u64;
        let mut offset = 0;
        for s in first..seq {
            offset = self.frame_for(chunk, offset, s)?.end;
        }
        Ok(offset)
    }

    /// Reads entry `seq`; `Ok(None)` if `seq` is not below the head's size.
    ///
    /// The bytes are checked to decode and to sit where entry `seq`
    /// belongs, but not hashed: use [`Log::verify`] for that.
    pub fn get(&self, seq: u64) -> Result<Option<Entry>, ReadError> {
        if seq >= self.head().size {
            return Ok(None);
        }
        let chunk = self.load_chunk(seq)?;
        let offset = self.offset_of(&chunk, seq)?;
        let frame = self.frame_for(&chunk, offset, seq)?;
        Ok(Some(Entry {
            header: frame.header,
            payload: frame.payload(&chunk).to_vec(),
        }))
    }

    /// Iterates over the entries with seqs in `seqs` (clipped to the head
    /// as it is when this is called), reading one chunk per
    /// [`crate::CHUNK_LEN`] entries.
    ///
    /// After yielding an error the iterator ends.
    pub fn range(&self, seqs: Range<u64>) -> Entries<'_> {
        let size = self.head().size;
        Entries {
            log: self,
            next: seqs.start,
            end: seqs.end.min(size),
            chunk: None,
            offset: 0,
            payload: 0..0,
        }
    }

    /// The seq of the entry that owns index key `key`, if any.
    pub fn index_get(&self, key: &[u8]) -> Result<Option<u64>, ReadError> {
        let Some(value) = self
            .db()
            .get(index_key(key))
            .map_err(|e| self.storage_error(e))?
        else {
            return Ok(None);
        };
        decode_index_value(&value)
            .map(Some)
            .ok_or_else(|| ReadError::MalformedIndex {
                path: self.path().to_path_buf(),
                key: show_key(key),
            })
    }

    /// Iterates, in byte order of the keys, over the index keys that start
    /// with `prefix` and the seqs of the entries that own them.
    pub fn index_scan<'a>(&'a self, prefix: &[u8]) -> IndexScan<'a> {
        IndexScan {
            log: self,
            inner: self.db().scan_prefix(index_key(prefix)),
        }
    }
}

/// Iterator over a range of entries; see [`Log::range`].
pub struct Entries<'a> {
    log: &'a Log,
    next: u64,
    end: u64,
    chunk: Option<(u64, ChunkBytes)>,
    /// Offset of entry `next` in the current chunk.
    offset: usize,
    /// Where the payload of the entry last stepped to is in the chunk.
    payload: Range<usize>,
}

impl Entries<'_> {
    /// The next entry's header and payload, borrowed from the chunk this
    /// holds: what [`Iterator::next`] gives without copying the payload, for
    /// a caller that decodes it at once (a replay reads a million).
    ///
    /// After yielding an error the iterator ends.
    pub fn next_borrowed(&mut self) -> Option<Result<(Header, &[u8]), ReadError>> {
        if self.next >= self.end {
            return None;
        }
        match self.step() {
            Ok(header) => {
                self.next += 1;
                let payload = self
                    .chunk
                    .as_ref()
                    .and_then(|(_, chunk)| chunk.get(self.payload.clone()))
                    .unwrap_or(&[]);
                Some(Ok((header, payload)))
            }
            Err(e) => {
                self.next = self.end;
                Some(Err(e))
            }
        }
    }

    /// Moves to entry `next`: loads its chunk if needed, and leaves the
    /// payload's place in `payload`.
    fn step(&mut self) -> Result<Header, ReadError> {
        let seq = self.next;
        let wanted = chunk_of(seq);
        let chunk = match &self.chunk {
            Some((number, value)) if *number == wanted => value,
            _ => {
                let value = self.log.load_chunk(seq)?;
                self.offset = self.log.offset_of(&value, seq)?;
                &self.chunk.insert((wanted, value)).1
            }
        };
        let frame = self.log.frame_for(chunk, self.offset, seq)?;
        self.payload = frame.payload_range();
        self.offset = frame.end;
        Ok(frame.header)
    }
}

impl Iterator for Entries<'_> {
    type Item = Result<Entry, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let item = self.next_borrowed()?.map(|(header, payload)| Entry {
            header,
            payload: payload.to_vec(),
        });
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.end.saturating_sub(self.next)).unwrap_or(usize::MAX);
        (0, Some(left))
    }
}

/// Iterator over index keys and their seqs; see [`Log::index_scan`].
pub struct IndexScan<'a> {
    log: &'a Log,
    inner: sled::Iter,
}

impl Iterator for IndexScan<'_> {
    type Item = Result<(Vec<u8>, u64), ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = match self.inner.next()? {
            Err(e) => Err(self.log.storage_error(e)),
            Ok((key, value)) => {
                let key = key.strip_prefix(&[INDEX_PREFIX]).unwrap_or(&key).to_vec();
                match decode_index_value(&value) {
                    Some(seq) => Ok((key, seq)),
                    None => Err(ReadError::MalformedIndex {
                        path: self.log.path().to_path_buf(),
                        key: show_key(&key),
                    }),
                }
            }
        };
        Some(item)
    }
}
