//! How a chunk's entries sit in its sled value (format.md §4.3): as they
//! are (layout 1), or compressed into one zstd frame (layout 2, what new
//! logs are created with).
//!
//! Layout 2 exists for speed. Layout-1 logs left compression to sled,
//! which compresses a page again each time it writes it, with a new zstd
//! context each time: that was 58 % of a bulk append's samples. Compressing
//! each chunk once, with a pooled context, and creating the sled
//! database without compression, stores the same entries about twice as
//! fast (docs/ARCHITECTURE.md, layout 2). It also lets verification and
//! replay decompress on their worker threads, and sled's page cache hold
//! compressed chunks.
//!
//! Compression sits under the hash chain, not inside it: entry hashes are
//! over the decompressed entry bytes, which are the same in both layouts.
//!
//! Everything here works on untrusted bytes and never panics.

use std::cell::RefCell;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::header::{HEADER_LEN, MAX_PAYLOAD_LEN};
use crate::layout::CHUNK_LEN;

/// zstd level for chunks: the fastest. Most of what compression saves
/// here (repeated ids, slugs and header fields) it finds at any level.
const ZSTD_LEVEL: i32 = 1;

/// The most bytes a chunk can hold: [`CHUNK_LEN`] entries of the largest
/// size. A frame that declares more is damage, and is not decompressed.
const MAX_CHUNK_BYTES: usize = CHUNK_LEN as usize * (HEADER_LEN + MAX_PAYLOAD_LEN);

/// How a log stores the entries of a chunk, fixed by its layout version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChunkEncoding {
    /// Layout 1: the concatenated entries themselves.
    Plain,
    /// Layout 2: one zstd frame (RFC 8878) that declares its content size
    /// and decompresses to the concatenated entries.
    Zstd,
}

/// A chunk's concatenated entries, whichever way they were stored. Cheap
/// to clone.
#[derive(Clone)]
pub(crate) enum ChunkBytes {
    /// A layout-1 value, as sled holds it.
    Stored(sled::IVec),
    /// A layout-2 value, decompressed.
    Decoded(Arc<Vec<u8>>),
}

impl Deref for ChunkBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            ChunkBytes::Stored(value) => value,
            ChunkBytes::Decoded(bytes) => bytes,
        }
    }
}

thread_local! {
    // zstd contexts are large to set up (creating one per page was 12 % of
    // a bulk append under sled's compression): one per thread, reused.
    static DECOMPRESSOR: RefCell<zstd::block::Decompressor> =
        RefCell::new(zstd::block::Decompressor::new());
}

/// Compression contexts not in use, each with its scratch buffer. Pooled
/// rather than kept per thread: an append compresses on a thread started
/// for that append, which would otherwise set up a context every time.
static COMPRESSORS: Mutex<Vec<(zstd::block::Compressor, Vec<u8>)>> = Mutex::new(Vec::new());

/// Compresses `entries` into one frame with a pooled context.
///
/// The frame is written into the context's scratch buffer, room for the
/// worst case, and copied out at its size: a frame is about a third of
/// that room, and an import holds thousands of frames prepared ahead
/// (57 MiB less at the peak of an import of a million events).
fn compress(entries: &[u8]) -> std::io::Result<Vec<u8>> {
    let pooled = COMPRESSORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop();
    let (mut compressor, mut scratch) = pooled.unwrap_or_default();
    scratch.clear();
    scratch.reserve(zstd::zstd_safe::compress_bound(entries.len()));
    let frame = compressor
        .compress_to_buffer(entries, &mut scratch, ZSTD_LEVEL)
        .map(|len| scratch[..len].to_vec());
    COMPRESSORS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push((compressor, scratch));
    frame
}

/// From this many chunks on, an append compresses on two threads.
const PARALLEL_CHUNKS: usize = 4;

impl ChunkEncoding {
    /// The encoding of a layout version; `None` for a layout this build
    /// does not know.
    pub(crate) fn of_layout(layout: u32) -> Option<ChunkEncoding> {
        match layout {
            1 => Some(ChunkEncoding::Plain),
            2 => Some(ChunkEncoding::Zstd),
            _ => None,
        }
    }

    /// The layout version that stores chunks this way.
    pub(crate) fn layout(self) -> u32 {
        match self {
            ChunkEncoding::Plain => 1,
            ChunkEncoding::Zstd => 2,
        }
    }

    /// The stored value of a chunk holding `entries` (concatenated stored
    /// entries). Fails only if zstd cannot allocate its buffers.
    pub(crate) fn encode(self, entries: Vec<u8>) -> std::io::Result<Vec<u8>> {
        match self {
            ChunkEncoding::Plain => Ok(entries),
            ChunkEncoding::Zstd => compress(&entries),
        }
    }

    /// [`ChunkEncoding::encode`] of each of `chunks`, in order, while
    /// `alongside` runs on this thread; and what `alongside` returned.
    ///
    /// From [`PARALLEL_CHUNKS`] zstd chunks on, a second thread starts
    /// compressing at once, and this one joins in when `alongside` is done:
    /// compression is a quarter of a bulk append, which otherwise runs on
    /// one core. Each chunk is claimed by one thread; any chunk a thread
    /// that failed left undone is compressed here.
    pub(crate) fn encode_all<R>(
        self,
        chunks: Vec<Vec<u8>>,
        alongside: impl FnOnce() -> R,
    ) -> (Vec<std::io::Result<Vec<u8>>>, R) {
        if self == ChunkEncoding::Plain || chunks.len() < PARALLEL_CHUNKS {
            let done = alongside();
            return (chunks.into_iter().map(|c| self.encode(c)).collect(), done);
        }
        let frames: Vec<OnceLock<std::io::Result<Vec<u8>>>> =
            chunks.iter().map(|_| OnceLock::new()).collect();
        let next = AtomicUsize::new(0);
        let work = || {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let (Some(chunk), Some(frame)) = (chunks.get(i), frames.get(i)) else {
                    break;
                };
                let _ = frame.set(compress(chunk));
            }
        };
        let done = std::thread::scope(|scope| {
            let helper = std::thread::Builder::new()
                .name("docket-compress".to_owned())
                .spawn_scoped(scope, work);
            let done = alongside();
            work();
            if let Ok(helper) = helper {
                // A panic is not passed on: what it left undone is done
                // below.
                let _ = helper.join();
            }
            done
        });
        let frames = frames
            .into_iter()
            .zip(&chunks)
            .map(|(frame, chunk)| frame.into_inner().unwrap_or_else(|| compress(chunk)))
            .collect();
        (frames, done)
    }

    /// The concatenated entries stored in a chunk value, or why the value
    /// cannot be a chunk of this encoding.
    pub(crate) fn decode(self, value: sled::IVec) -> Result<ChunkBytes, String> {
        match self {
            ChunkEncoding::Plain => Ok(ChunkBytes::Stored(value)),
            ChunkEncoding::Zstd => decompress(&value).map(|b| ChunkBytes::Decoded(Arc::new(b))),
        }
    }
}

/// The magic number that opens a zstd frame of RFC 8878 (little-endian
/// 0xFD2FB528). Checked first, so that neither the skippable frames nor
/// the legacy formats zstd also decodes are accepted as a chunk.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Decompresses one zstd frame that declares its content size, of at most
/// [`MAX_CHUNK_BYTES`], and nothing after it.
fn decompress(value: &[u8]) -> Result<Vec<u8>, String> {
    if !value.starts_with(&ZSTD_MAGIC) {
        return Err("it is not a zstd frame".to_owned());
    }
    match zstd::zstd_safe::find_frame_compressed_size(value) {
        Ok(len) if len == value.len() => {}
        Ok(len) => {
            return Err(format!(
                "{} bytes follow its zstd frame",
                value.len().saturating_sub(len)
            ));
        }
        Err(_) => return Err("its zstd frame is truncated or malformed".to_owned()),
    }
    let declared = zstd::zstd_safe::get_frame_content_size(value);
    if declared == zstd::zstd_safe::CONTENTSIZE_ERROR {
        return Err("it is not a zstd frame".to_owned());
    }
    if declared == zstd::zstd_safe::CONTENTSIZE_UNKNOWN {
        return Err("its zstd frame does not declare its size".to_owned());
    }
    // Empty contents would otherwise pass as a chunk of no entries.
    if declared == 0 {
        return Err("its zstd frame holds no entries".to_owned());
    }
    let size = usize::try_from(declared)
        .ok()
        .filter(|&size| size <= MAX_CHUNK_BYTES)
        .ok_or_else(|| {
            format!("its zstd frame declares {declared} bytes, more than a chunk holds")
        })?;
    let mut out = Vec::with_capacity(size);
    let written = DECOMPRESSOR
        .with(|decompressor| {
            decompressor
                .borrow_mut()
                .decompress_to_buffer(value, &mut out)
        })
        .map_err(|e| format!("its zstd frame does not decompress ({e})"))?;
    if written != size {
        return Err(format!(
            "its zstd frame declares {size} bytes but holds {written}"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_damage_without_panicking() {
        let entries: Vec<u8> = (0..5000u32).flat_map(|i| (i % 251).to_be_bytes()).collect();
        for encoding in [ChunkEncoding::Plain, ChunkEncoding::Zstd] {
            assert_eq!(ChunkEncoding::of_layout(encoding.layout()), Some(encoding));
            let stored = encoding.encode(entries.clone()).unwrap();
            let decoded = encoding.decode(stored.clone().into()).unwrap();
            assert_eq!(&*decoded, &entries[..]);
        }
        assert_eq!(ChunkEncoding::of_layout(3), None);
        let stored = ChunkEncoding::Zstd.encode(entries.clone()).unwrap();
        assert!(stored.len() < entries.len());
        let decode = |bytes: &[u8]| ChunkEncoding::Zstd.decode(bytes.into()).map(|b| b.to_vec());
        assert!(decode(&entries).unwrap_err().contains("not a zstd frame"));
        assert!(decode(&[]).is_err());
        assert!(decode(&stored[..stored.len() - 1]).is_err());
        let mut twice = stored.clone();
        twice.extend_from_slice(&stored);
        assert!(
            decode(&twice)
                .unwrap_err()
                .contains("follow its zstd frame")
        );
        // Nor an empty frame, a skippable frame or anything else after it.
        let empty = ChunkEncoding::Zstd.encode(Vec::new()).unwrap();
        let skippable = [0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3];
        for tail in [&empty[..], &skippable[..], b"x"] {
            let mut value = stored.clone();
            value.extend_from_slice(tail);
            assert!(decode(&value).is_err());
        }
        assert!(decode(&empty).unwrap_err().contains("holds no entries"));
        // A skippable frame alone, and a legacy (v0.7) frame header.
        assert!(decode(&skippable).unwrap_err().contains("not a zstd frame"));
        assert!(decode(&[0x27, 0xb5, 0x2f, 0xfd, 0, 0]).is_err());
        // Every single-byte change either fails or decodes to other bytes
        // of the declared size; none panics.
        for at in 0..stored.len() {
            let mut damaged = stored.clone();
            damaged[at] ^= 0x5a;
            if let Ok(bytes) = decode(&damaged) {
                assert!(bytes.len() <= MAX_CHUNK_BYTES);
            }
        }
        // A frame without a declared size (as a streaming writer makes).
        let mut streamed = Vec::new();
        {
            use std::io::Write;
            let mut encoder = zstd::stream::write::Encoder::new(&mut streamed, 1).unwrap();
            encoder.write_all(&entries).unwrap();
            encoder.finish().unwrap();
        }
        assert!(decode(&streamed).unwrap_err().contains("does not declare"));
    }

    #[test]
    fn encoding_many_chunks_at_once_is_encoding_each() {
        for encoding in [ChunkEncoding::Plain, ChunkEncoding::Zstd] {
            for count in [0, 1, PARALLEL_CHUNKS - 1, PARALLEL_CHUNKS, 37] {
                let chunks: Vec<Vec<u8>> = (0..count)
                    .map(|c| (0..300 + c).map(|i| (i * 7 + c) as u8).collect())
                    .collect();
                let mut ran = false;
                let (frames, done) = encoding.encode_all(chunks.clone(), || {
                    ran = true;
                    count
                });
                assert!(ran && done == count);
                let frames: Vec<Vec<u8>> = frames.into_iter().map(Result::unwrap).collect();
                let each: Vec<Vec<u8>> = chunks
                    .iter()
                    .map(|c| encoding.encode(c.clone()).unwrap())
                    .collect();
                assert_eq!(frames, each, "{encoding:?}, {count} chunks");
            }
        }
    }
}
