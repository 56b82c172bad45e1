//! Loading the stored snapshot on two threads.
//!
//! At a million events the snapshot is 24 MB compressed and 94 MB
//! decompressed; decompressing it took 160 ms and decoding it 390 ms, one
//! after the other, on the first query after open. Current builds write
//! the state in two zstd frames, the second starting three eighths of the
//! way through the disputes, and [`decode_in_two`] decompresses and
//! decodes each part on its own thread.
//! A file framed otherwise is read as one stream by
//! [`decode_stored`], decompressed on a helper thread while the calling
//! thread decodes. Either way the decompressed bytes are never held whole.
//! `verify`, which compares a stored snapshot rather than loading it, reads
//! it as one stream.

use std::io::{BufRead, Read};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use bincode::Decode;
use bincode::de::DecoderImpl;
use bincode::de::read::Reader;
use bincode::error::DecodeError;
use docket_disputes::{Disputes, FirstDisputes, Histories, LaterDisputes};
use docket_holdings::Holdings;
use docket_relations::Relations;

use super::{Snapshot, StoredReader, Tie, config, stored_reader_within};
use crate::replay::{Projections, Revision};

/// How many of `len` disputes the first half of the state holds. The
/// first half also holds the rest of the state (the holdings, the
/// relations and the revisions: about a fifth of the decoding), so three
/// eighths of the disputes even out the two threads.
pub(super) fn first_part(len: usize) -> usize {
    usize::try_from(len as u128 * 3 / 8).unwrap_or(len)
}

/// The snapshot, decoded on two threads, if the file is the three zstd
/// frames current builds write (the tie, then the state in two parts, the
/// second starting after the first [`first_part`] disputes), each part
/// decodes to exactly its frame's end, and neither claims more than half
/// of [`SNAPSHOT_LIMIT`](super::SNAPSHOT_LIMIT). The result is then what
/// reading the file as one stream gives: the same bytes, read in the same
/// order, and claims that never add up to more than the whole stream's
/// limit. `None` otherwise, for the caller to read the file as one stream,
/// which decides.
pub(super) fn decode_in_two(
    compressed: &[u8],
    limit: usize,
    histories: Histories,
) -> Option<Snapshot> {
    decode_in_two_within(compressed, limit, half_config(), histories)
}

/// What each part may claim: bincode counts its claims (a container's
/// length times its items' size, before reading them) against its
/// configured limit, and the one-stream read counts both parts' against
/// one limit.
fn half_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<{ super::SNAPSHOT_LIMIT / 2 }>()
}

/// [`decode_in_two`] with another limit on each part's claims (tests cannot
/// make a state that claims 2 GiB).
fn decode_in_two_within<C: bincode::config::Config + Send>(
    compressed: &[u8],
    limit: usize,
    half: C,
    histories: Histories,
) -> Option<Snapshot> {
    let [tie, first, later] = frames::<3>(compressed)?;
    let start = compressed.get(..tie.len() + first.len())?;
    std::thread::scope(|scope| {
        let (tell, told) = sync_channel::<usize>(1);
        let reading_later = std::thread::Builder::new()
            .name("docket-snapshot-read".to_owned())
            .spawn_scoped(scope, move || {
                let count = told.recv().ok()?;
                read_later(later, limit, count, half, histories)
            })
            .ok()?;
        let first = read_first(start, limit, tell, half, histories);
        // A panic is passed on, as when reading ran here.
        let later = reading_later
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let (first, first_read) = first?;
        let (later, later_read) = later?;
        if first_read.checked_add(later_read)? > limit {
            return None;
        }
        let projections = Projections {
            disputes: Disputes::from_parts(first.disputes, later),
            holdings: first.holdings,
            relations: first.relations,
        };
        Some(Snapshot {
            version: first.tie.version,
            build: first.tie.build,
            size: first.tie.size,
            head: first.tie.head,
            max_instant: first.max_instant,
            projections: Arc::new(projections),
            revisions: Arc::new(first.revisions),
        })
    })
}

/// The file's zstd frames, if it is exactly `N` whole ones.
fn frames<const N: usize>(mut bytes: &[u8]) -> Option<[&[u8]; N]> {
    let mut frames: [&[u8]; N] = [&[]; N];
    for frame in &mut frames {
        let size = zstd::zstd_safe::find_frame_compressed_size(bytes).ok()?;
        let (whole, rest) = bytes.split_at_checked(size)?;
        if whole.is_empty() {
            return None;
        }
        *frame = whole;
        bytes = rest;
    }
    bytes.is_empty().then_some(frames)
}

/// What the first frames hold: the tie, the state but for the later
/// disputes, and the first disputes.
struct Start {
    tie: Tie,
    max_instant: i64,
    holdings: Holdings,
    relations: Relations,
    revisions: Vec<Revision>,
    disputes: FirstDisputes,
}

/// Reads the tie's frame and the first half's, telling `tell` how many
/// disputes the second half holds as soon as the count is read; with the
/// bytes they decompressed to.
fn read_first<C: bincode::config::Config>(
    frames: &[u8],
    limit: usize,
    tell: SyncSender<usize>,
    half: C,
    histories: Histories,
) -> Option<(Start, usize)> {
    let mut reader = stored_reader_within(frames, limit)?;
    let start = {
        let mut decoder = DecoderImpl::new(&mut reader, half, ());
        // Another build's state may be laid out otherwise: it is not read
        // as this build's.
        let tie = Tie::decode(&mut decoder).ok().filter(Tie::is_current)?;
        Start {
            tie,
            max_instant: i64::decode(&mut decoder).ok()?,
            holdings: Holdings::decode(&mut decoder).ok()?,
            relations: Relations::decode(&mut decoder).ok()?,
            revisions: Vec::decode(&mut decoder).ok()?,
            disputes: Disputes::decode_first(
                &mut decoder,
                |len| {
                    let at = first_part(len);
                    // A closed channel means the other half's thread has
                    // stopped.
                    let _ = tell.send(len - at);
                    at
                },
                histories,
            )
            .ok()?
            .0,
        }
    };
    Some((start, read_to_its_end(&mut reader, limit)?))
}

/// Reads the second half's frame, whose disputes number `count`; with the
/// bytes it decompressed to.
fn read_later<C: bincode::config::Config>(
    frame: &[u8],
    limit: usize,
    count: usize,
    half: C,
    histories: Histories,
) -> Option<(LaterDisputes, usize)> {
    let mut reader = stored_reader_within(frame, limit)?;
    let later = {
        let mut decoder = DecoderImpl::new(&mut reader, half, ());
        Disputes::decode_later(&mut decoder, count, histories).ok()?
    };
    Some((later, read_to_its_end(&mut reader, limit)?))
}

/// The tie and the holdings of a stored snapshot that this build wrote,
/// read without the rest: decompressing stops a block after the holdings
/// end, before the disputes. Nothing checks that the rest of the file is
/// sound, as a whole read does; a file whose start decodes is derived data
/// like any other, which `verify` compares (the holdings alone, when only
/// they can catch up with the log).
pub(super) fn read_entities(compressed: impl Read) -> Option<(Tie, Holdings)> {
    let decoder = zstd::stream::read::Decoder::new(compressed).ok()?;
    let limit = u64::try_from(super::SNAPSHOT_LIMIT).unwrap_or(u64::MAX);
    let mut reader = std::io::BufReader::with_capacity(1 << 16, decoder.take(limit));
    let mut decoder = DecoderImpl::new(&mut reader, config(), ());
    let tie = Tie::decode(&mut decoder).ok().filter(Tie::is_current)?;
    // The latest instant of the whole state: the holdings keep their own.
    i64::decode(&mut decoder).ok()?;
    let holdings = Holdings::decode(&mut decoder).ok()?;
    Some((tie, holdings))
}

/// The tie of a stored snapshot that this build wrote, read alone: its
/// frame is the file's first.
pub(super) fn read_tie(compressed: &[u8]) -> Option<Tie> {
    let mut reader = super::stored_reader(compressed)?;
    let mut decoder = DecoderImpl::new(&mut reader, config(), ());
    Tie::decode(&mut decoder).ok().filter(Tie::is_current)
}

/// How many bytes `reader` decompressed, if what was decoded ends exactly
/// where the stream does, within `limit`.
fn read_to_its_end(reader: &mut StoredReader<'_>, limit: usize) -> Option<usize> {
    if !reader.fill_buf().ok()?.is_empty() {
        return None;
    }
    // The reader stops one byte past the limit.
    let allowed = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let read = allowed.checked_sub(reader.get_ref().limit())?;
    usize::try_from(read).ok().filter(|&read| read <= limit)
}

/// Decompressed bytes handed to the decoder at a time.
const PIECE: usize = 1 << 20;

/// Pieces waiting for the decoder: decompressing is faster than decoding,
/// so the decoder rarely waits for one, and no more than a few MiB are
/// held at a time.
const AHEAD: usize = 4;

/// The value (the snapshot) the compressed file holds, if its zstd frames
/// decompress to at most `limit` bytes that decode as exactly one value:
/// what decompressing it whole and decoding that would give.
pub(super) fn decode_stored<T: bincode::Decode<()>>(compressed: &[u8], limit: usize) -> Option<T> {
    std::thread::scope(|scope| {
        let (pieces, received) = sync_channel::<Vec<u8>>(AHEAD);
        // Says whether it read to the stream's end or to the limit's
        // (`total` tells which) with every frame sound.
        let decompressing = std::thread::Builder::new()
            .name("docket-snapshot-read".to_owned())
            .spawn_scoped(scope, move || {
                let Some(mut stream) = stored_reader_within(compressed, limit) else {
                    return false;
                };
                loop {
                    let mut piece = Vec::with_capacity(PIECE);
                    match (&mut stream).take(PIECE as u64).read_to_end(&mut piece) {
                        Ok(0) => return true,
                        // A closed channel means the decoder has stopped.
                        Ok(_) if pieces.send(piece).is_ok() => {}
                        _ => return false,
                    }
                }
            });
        let Ok(decompressing) = decompressing else {
            // Out of threads: one after the other, here.
            let mut bytes = Vec::new();
            stored_reader_within(compressed, limit)?
                .read_to_end(&mut bytes)
                .ok()?;
            let (snapshot, read) = bincode::decode_from_slice(&bytes, config()).ok()?;
            return (read == bytes.len() && bytes.len() <= limit).then_some(snapshot);
        };
        let mut stream = Pieces {
            received,
            piece: Vec::new(),
            at: 0,
            total: 0,
        };
        let decoded: Option<T> = bincode::decode_from_reader(&mut stream, config()).ok();
        let exact = decoded.is_some() && !stream.has_more();
        let total = stream.total;
        // Hanging up stops a helper that is still sending.
        drop(stream);
        // A panic is passed on, as when decompressing ran here.
        let whole = decompressing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (exact && whole && total <= limit)
            .then_some(decoded)
            .flatten()
    })
}

/// The decompressed stream as the helper hands it over, piece by piece.
struct Pieces {
    received: Receiver<Vec<u8>>,
    piece: Vec<u8>,
    /// How much of `piece` has been read.
    at: usize,
    /// Bytes received so far.
    total: usize,
}

impl Pieces {
    /// Makes sure some of the current piece is left to read, taking the
    /// next piece if need be; `false` once the stream has ended.
    fn fill(&mut self) -> bool {
        while self.at == self.piece.len() {
            match self.received.recv() {
                Ok(piece) => {
                    self.total = self.total.saturating_add(piece.len());
                    self.piece = piece;
                    self.at = 0;
                }
                Err(_) => return false,
            }
        }
        true
    }

    /// Whether any byte is left after what was decoded.
    fn has_more(&mut self) -> bool {
        self.fill()
    }
}

impl Reader for Pieces {
    fn read(&mut self, bytes: &mut [u8]) -> Result<(), DecodeError> {
        let mut filled = 0;
        while filled < bytes.len() {
            if !self.fill() {
                return Err(DecodeError::UnexpectedEnd {
                    additional: bytes.len() - filled,
                });
            }
            let available = &self.piece[self.at..];
            let n = available.len().min(bytes.len() - filled);
            bytes[filled..filled + n].copy_from_slice(&available[..n]);
            self.at += n;
            filled += n;
        }
        Ok(())
    }

    fn peek_read(&mut self, n: usize) -> Option<&[u8]> {
        self.piece.get(self.at..self.at.checked_add(n)?)
    }

    fn consume(&mut self, n: usize) {
        self.at = self.at.saturating_add(n).min(self.piece.len());
    }
}

#[cfg(test)]
mod tests;
