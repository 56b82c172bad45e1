//! Splitting a chunk value (concatenated stored entries) into entries.
//!
//! Everything here works on untrusted bytes and never panics.

use crate::header::{EntryError, HEADER_LEN, Header, signature};

/// The position of one stored entry inside a chunk value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Offset of the header within the chunk.
    pub offset: usize,
    /// Offset just past the payload.
    pub end: usize,
    /// The decoded header.
    pub header: Header,
}

impl Frame {
    /// The stored bytes of this entry (header and payload).
    pub fn bytes<'a>(&self, chunk: &'a [u8]) -> &'a [u8] {
        chunk.get(self.offset..self.end).unwrap_or(&[])
    }

    /// The payload bytes of this entry.
    pub fn payload<'a>(&self, chunk: &'a [u8]) -> &'a [u8] {
        chunk.get(self.payload_range()).unwrap_or(&[])
    }

    /// Where the payload is in the chunk.
    pub fn payload_range(&self) -> std::ops::Range<usize> {
        self.offset.saturating_add(HEADER_LEN)..self.end
    }
}

/// Decodes the entry whose header starts at `offset`, checking that its
/// payload fits inside the chunk.
pub(crate) fn frame_at(chunk: &[u8], offset: usize) -> Result<Frame, EntryError> {
    let rest = chunk.get(offset..).unwrap_or(&[]);
    let header = Header::from_bytes(rest)?;
    let len = header.entry_len();
    if len > rest.len() {
        return Err(EntryError::Truncated {
            needed: len,
            available: rest.len(),
        });
    }
    Ok(Frame {
        offset,
        end: offset + len,
        header,
    })
}

/// Iterates over the entries of a chunk from its start. Yields
/// `Err((offset, error))` once at the first undecodable position, then
/// stops.
pub(crate) struct Frames<'a> {
    chunk: &'a [u8],
    offset: usize,
    done: bool,
}

pub(crate) fn frames(chunk: &[u8]) -> Frames<'_> {
    Frames {
        chunk,
        offset: 0,
        done: false,
    }
}

impl Iterator for Frames<'_> {
    type Item = Result<Frame, (usize, EntryError)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.chunk.len() {
            return None;
        }
        match frame_at(self.chunk, self.offset) {
            Ok(frame) => {
                self.offset = frame.end;
                Some(Ok(frame))
            }
            Err(e) => {
                self.done = true;
                Some(Err((self.offset, e)))
            }
        }
    }
}

/// The first offset `>= from` at which the signature of entry `seq`
/// (version, reserved and seq fields) occurs in `bytes`.
pub(crate) fn find_signature(bytes: &[u8], from: usize, seq: u64) -> Option<usize> {
    let sig = signature(seq);
    let hay = bytes.get(from..)?;
    hay.windows(sig.len())
        .position(|w| w == sig)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Entry, FORMAT_VERSION};

    fn entry(seq: u64, payload: &[u8]) -> Vec<u8> {
        Entry {
            header: Header {
                version: FORMAT_VERSION,
                seq,
                recorded_at: 0,
                payload_len: payload.len() as u32,
                prev_hash: [0; 32],
            },
            payload: payload.to_vec(),
        }
        .to_bytes()
    }

    #[test]
    fn splits_and_stops_at_garbage() {
        let mut chunk = entry(0, b"ab");
        chunk.extend(entry(1, b""));
        let all: Vec<_> = frames(&chunk).collect();
        assert_eq!(all.len(), 2);
        let f1 = all[1].clone().unwrap();
        assert_eq!((f1.offset, f1.end), (58, 114));
        assert_eq!(all[0].clone().unwrap().payload(&chunk), b"ab");
        chunk.extend_from_slice(&[1, 2, 3]);
        let all: Vec<_> = frames(&chunk).collect();
        assert_eq!(all.len(), 3);
        assert!(matches!(all[2], Err((114, EntryError::Truncated { .. }))));
        assert_eq!(find_signature(&chunk, 0, 1), Some(58));
        assert_eq!(find_signature(&chunk, 59, 1), None);
        assert_eq!(find_signature(&chunk, 10_000, 1), None);
        assert!(frame_at(&chunk, usize::MAX).is_err());
    }
}
