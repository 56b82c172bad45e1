//! The fixed-width entry header and its byte encoding.
//!
//! Layout (all integers big-endian, see `docs/format.md`):
//!
//! | offset | width | field         |
//! |-------:|------:|---------------|
//! |      0 |     2 | `version` u16 (= [`FORMAT_VERSION`]) |
//! |      2 |     2 | reserved u16 (must be 0) |
//! |      4 |     8 | `seq` u64 |
//! |     12 |     8 | `recorded_at` i64 (µs since the Unix epoch, UTC) |
//! |     20 |     4 | `payload_len` u32 |
//! |     24 |    32 | `prev_hash` |
//!
//! The order is the one from the design: the version first so that a reader
//! can dispatch on it before interpreting anything else; the fields that
//! identify an entry (`seq`, `recorded_at`) next; `payload_len` right before
//! the 32-byte hash so that every integer sits at a naturally aligned offset
//! within the header. The first 12 bytes (`00 01 00 00` + `seq`) therefore
//! form a *signature* of entry `seq` that verification uses to re-find an
//! entry whose neighbour was damaged.

use thiserror::Error;

use crate::Hash;

/// Length in bytes of an encoded [`Header`].
pub const HEADER_LEN: usize = 56;

/// The entry format version written by this crate (header bytes 0..2).
pub const FORMAT_VERSION: u16 = 1;

/// The largest payload an entry may carry: 1 MiB.
pub const MAX_PAYLOAD_LEN: usize = 1 << 20;

/// Length of the entry signature: version, reserved and seq fields.
pub(crate) const SIGNATURE_LEN: usize = 12;

/// The header of one log entry.
///
/// The reserved field of the byte encoding is not represented: it is always
/// written as zero and [`Header::from_bytes`] rejects any other value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Entry format version; [`FORMAT_VERSION`] for entries written by this
    /// crate.
    pub version: u16,
    /// Position of the entry in the log, counted from 0.
    pub seq: u64,
    /// When the log recorded the entry: microseconds since the Unix epoch,
    /// UTC. Non-decreasing along the chain.
    pub recorded_at: i64,
    /// Length in bytes of the payload that follows the header.
    pub payload_len: u32,
    /// Hash of the previous entry; all zeros for entry 0.
    pub prev_hash: Hash,
}

/// Why bytes could not be decoded as an entry or a header.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EntryError {
    /// Fewer bytes than the header or the declared payload need.
    #[error("entry is truncated: {needed} bytes needed, {available} available")]
    Truncated {
        /// Bytes the header or the declared payload length require.
        needed: usize,
        /// Bytes actually present.
        available: usize,
    },
    /// The version field holds a version this build cannot read.
    #[error(
        "unsupported entry format version {version} (this build reads version {FORMAT_VERSION})"
    )]
    UnsupportedVersion {
        /// The version found in the header.
        version: u16,
    },
    /// The reserved field is not zero.
    #[error("reserved header field is {value:#06x}, must be 0")]
    ReservedNotZero {
        /// The value found.
        value: u16,
    },
    /// The declared payload length exceeds [`MAX_PAYLOAD_LEN`].
    #[error("declared payload length {len} exceeds the maximum of {MAX_PAYLOAD_LEN} bytes")]
    PayloadTooLong {
        /// The declared length.
        len: u64,
    },
    /// Bytes remain after the declared payload.
    #[error("{extra} unexpected bytes follow the declared payload of {declared} bytes")]
    TrailingBytes {
        /// The declared payload length.
        declared: u32,
        /// The number of bytes after it.
        extra: usize,
    },
}

fn be_u16(b: &[u8; HEADER_LEN], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be_8(b: &[u8; HEADER_LEN], at: usize) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&b[at..at + 8]);
    out
}

impl Header {
    /// Encodes the header as its 56 stored bytes (reserved field = 0).
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..2].copy_from_slice(&self.version.to_be_bytes());
        // bytes 2..4: reserved, zero
        out[4..12].copy_from_slice(&self.seq.to_be_bytes());
        out[12..20].copy_from_slice(&self.recorded_at.to_be_bytes());
        out[20..24].copy_from_slice(&self.payload_len.to_be_bytes());
        out[24..56].copy_from_slice(&self.prev_hash);
        out
    }

    /// Decodes a header from the first [`HEADER_LEN`] bytes of `bytes`
    /// (later bytes, such as the payload, are ignored).
    ///
    /// Rejects short input, a version other than [`FORMAT_VERSION`], a
    /// non-zero reserved field and a payload length over
    /// [`MAX_PAYLOAD_LEN`]. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Header, EntryError> {
        let b: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|s| s.try_into().ok())
            .ok_or(EntryError::Truncated {
                needed: HEADER_LEN,
                available: bytes.len(),
            })?;
        let version = be_u16(b, 0);
        if version != FORMAT_VERSION {
            return Err(EntryError::UnsupportedVersion { version });
        }
        let reserved = be_u16(b, 2);
        if reserved != 0 {
            return Err(EntryError::ReservedNotZero { value: reserved });
        }
        let payload_len = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
        if payload_len as usize > MAX_PAYLOAD_LEN {
            return Err(EntryError::PayloadTooLong {
                len: u64::from(payload_len),
            });
        }
        let mut prev_hash = [0u8; 32];
        prev_hash.copy_from_slice(&b[24..56]);
        Ok(Header {
            version,
            seq: u64::from_be_bytes(be_8(b, 4)),
            recorded_at: i64::from_be_bytes(be_8(b, 12)),
            payload_len,
            prev_hash,
        })
    }

    /// Length in bytes of the whole entry (header plus payload).
    pub fn entry_len(&self) -> usize {
        HEADER_LEN + self.payload_len as usize
    }
}

/// The 12-byte signature that starts every stored entry with sequence
/// number `seq`: version, reserved and seq fields.
pub(crate) fn signature(seq: u64) -> [u8; SIGNATURE_LEN] {
    let mut out = [0u8; SIGNATURE_LEN];
    out[0..2].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
    out[4..12].copy_from_slice(&seq.to_be_bytes());
    out
}

/// Reads the seq field of a possibly damaged header at `offset`, if the
/// bytes reach that far.
pub(crate) fn raw_seq_at(bytes: &[u8], offset: usize) -> Option<u64> {
    let field = bytes.get(offset.checked_add(4)?..offset.checked_add(12)?)?;
    let arr: [u8; 8] = field.try_into().ok()?;
    Some(u64::from_be_bytes(arr))
}

/// Reads the prev_hash field of a possibly damaged header at `offset`.
pub(crate) fn raw_prev_at(bytes: &[u8], offset: usize) -> Option<Hash> {
    let field = bytes.get(offset.checked_add(24)?..offset.checked_add(HEADER_LEN)?)?;
    field.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Header {
        Header {
            version: FORMAT_VERSION,
            seq: 0x0102_0304_0506_0708,
            recorded_at: -2,
            payload_len: 0x0a0b_0c0d & 0x000f_ffff,
            prev_hash: [0xab; 32],
        }
    }

    #[test]
    fn round_trip() {
        let h = sample();
        let bytes = h.to_bytes();
        assert_eq!(Header::from_bytes(&bytes), Ok(h));
        // Extra bytes after the header are ignored.
        let mut longer = bytes.to_vec();
        longer.extend_from_slice(b"payload");
        assert_eq!(Header::from_bytes(&longer), Ok(h));
    }

    #[test]
    fn byte_positions() {
        let b = sample().to_bytes();
        assert_eq!(&b[0..2], &[0, 1]);
        assert_eq!(&b[2..4], &[0, 0]);
        assert_eq!(&b[4..12], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            &b[12..20],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe]
        );
        assert_eq!(&b[20..24], &[0x00, 0x0b, 0x0c, 0x0d]);
        assert_eq!(&b[24..56], &[0xab; 32]);
        assert_eq!(&b[0..12], &signature(sample().seq));
        assert_eq!(raw_seq_at(&b, 0), Some(sample().seq));
        assert_eq!(raw_prev_at(&b, 0), Some([0xab; 32]));
        assert_eq!(raw_prev_at(&b, 1), None);
    }

    #[test]
    fn rejects_bad_headers() {
        let good = sample().to_bytes();
        assert_eq!(
            Header::from_bytes(&good[..55]),
            Err(EntryError::Truncated {
                needed: 56,
                available: 55
            })
        );
        let mut b = good;
        b[1] = 2;
        assert_eq!(
            Header::from_bytes(&b),
            Err(EntryError::UnsupportedVersion { version: 2 })
        );
        let mut b = good;
        b[3] = 1;
        assert_eq!(
            Header::from_bytes(&b),
            Err(EntryError::ReservedNotZero { value: 1 })
        );
        let mut b = good;
        b[20..24].copy_from_slice(&((MAX_PAYLOAD_LEN as u32) + 1).to_be_bytes());
        assert!(matches!(
            Header::from_bytes(&b),
            Err(EntryError::PayloadTooLong { .. })
        ));
        b[20..24].copy_from_slice(&(MAX_PAYLOAD_LEN as u32).to_be_bytes());
        assert!(Header::from_bytes(&b).is_ok());
    }
}
