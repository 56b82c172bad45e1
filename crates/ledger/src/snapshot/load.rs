//! Loading the stored snapshot: its bytes are decompressed on a helper
//! thread while the calling thread decodes them.
//!
//! At a million events the snapshot is 24 MB compressed and 94 MB
//! decompressed; decompressing it took 160 ms and decoding it 390 ms, one
//! after the other, on the first query after open. Side by side, the first
//! `state` after open took 494 ms instead of 585, and the decompressed
//! bytes are never held whole (a few MiB at a time). `verify`, which
//! compares a stored snapshot rather than loading it, reads it as before.

use std::io::Read;
use std::sync::mpsc::{Receiver, sync_channel};

use bincode::de::read::Reader;
use bincode::error::DecodeError;

use super::{config, stored_reader_within};

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
mod tests {
    use super::*;
    use crate::snapshot::SNAPSHOT_LIMIT;

    /// What the whole stream, decompressed then decoded, gives (as the
    /// snapshot was loaded before it was loaded on two threads).
    fn at_once<T: bincode::Decode<()>>(compressed: &[u8]) -> Option<T> {
        let decoder = zstd::stream::read::Decoder::new(compressed).ok()?;
        let mut bytes = Vec::new();
        decoder
            .take(SNAPSHOT_LIMIT as u64 + 1)
            .read_to_end(&mut bytes)
            .ok()?;
        if bytes.len() > SNAPSHOT_LIMIT {
            return None;
        }
        let (value, read) = bincode::decode_from_slice(&bytes, config()).ok()?;
        (read == bytes.len()).then_some(value)
    }

    fn stored<T: bincode::Decode<()>>(compressed: &[u8]) -> Option<T> {
        decode_stored(compressed, SNAPSHOT_LIMIT)
    }

    #[test]
    fn pieces_decode_as_the_whole_stream_does() {
        // Values of nine bytes each: several pieces, crossed mid-value.
        let wide: Vec<u64> = (0..500_000u64).map(|i| (i << 40) | 7).collect();
        // Exactly two pieces: a five-byte length and the bytes. Keep it: a
        // later frame that does not decompress is refused for that alone
        // only when the value ends on a piece's end (otherwise the helper
        // drops the partial piece it was reading, and decoding fails).
        let exact: Vec<u8> = (0..2 * PIECE - 5).map(|i| (i % 251) as u8).collect();
        assert_eq!(
            bincode::encode_to_vec(&exact, config()).unwrap().len(),
            2 * PIECE
        );
        let streams = |bytes: &[u8]| {
            let compressed = zstd::encode_all(bytes, 1).unwrap();
            let mut longer = bytes.to_vec();
            longer.push(0);
            [
                compressed.clone(),
                compressed[..compressed.len() - 3].to_vec(),
                zstd::encode_all(&bytes[..bytes.len() - 1], 1).unwrap(),
                zstd::encode_all(&longer[..], 1).unwrap(),
                // Whole, then a frame that does not decompress.
                [&compressed[..], b"not a zstd frame"].concat(),
                bytes[..1000].to_vec(),
                Vec::new(),
            ]
        };
        let bytes = bincode::encode_to_vec(&wide, config()).unwrap();
        assert!(bytes.len() > 4 * PIECE, "{}", bytes.len());
        let [whole, rest @ ..] = streams(&bytes);
        assert_eq!(stored::<Vec<u64>>(&whole), Some(wide));
        for damaged in rest {
            assert_eq!(stored::<Vec<u64>>(&damaged), None);
            assert_eq!(at_once::<Vec<u64>>(&damaged), None);
        }
        let bytes = bincode::encode_to_vec(&exact, config()).unwrap();
        let [whole, rest @ ..] = streams(&bytes);
        assert_eq!(stored::<Vec<u8>>(&whole), Some(exact.clone()));
        for damaged in rest {
            assert_eq!(stored::<Vec<u8>>(&damaged), None);
            assert_eq!(at_once::<Vec<u8>>(&damaged), None);
        }
        // A stream one byte past the limit is refused, even though the
        // value it holds decodes.
        assert_eq!(decode_stored::<Vec<u8>>(&whole, 2 * PIECE), Some(exact));
        assert_eq!(decode_stored::<Vec<u8>>(&whole, 2 * PIECE - 1), None);
    }
}
