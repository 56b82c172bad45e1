//! Entries, their hash, and the small value types of the public API.

use std::sync::LazyLock;

use crate::header::{EntryError, HEADER_LEN, Header};
use crate::{Hash, ZERO_HASH};

/// The BLAKE3 `derive_key` context string of entry hashes.
pub const HASH_CONTEXT: &str = "docket v1 entry";

/// A hasher already keyed for [`HASH_CONTEXT`], cloned instead of deriving
/// the key again for every entry.
static ENTRY_HASHER: LazyLock<blake3::Hasher> =
    LazyLock::new(|| blake3::Hasher::new_derive_key(HASH_CONTEXT));

/// A fresh hasher in `derive_key` mode with [`HASH_CONTEXT`].
pub(crate) fn entry_hasher() -> blake3::Hasher {
    ENTRY_HASHER.clone()
}

/// The hash of one stored entry: BLAKE3 in `derive_key` mode with context
/// [`HASH_CONTEXT`] over the exact stored bytes (header followed by
/// payload).
pub fn entry_hash(stored_bytes: &[u8]) -> Hash {
    *entry_hasher().update(stored_bytes).finalize().as_bytes()
}

/// One entry of the log: its header and its opaque payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The decoded header.
    pub header: Header,
    /// The payload bytes, exactly as stored; never decoded by this crate.
    pub payload: Vec<u8>,
}

impl Entry {
    /// The entry hash (see [`entry_hash`]) of this entry's stored bytes.
    pub fn hash(&self) -> Hash {
        let mut hasher = entry_hasher();
        hasher.update(&self.header.to_bytes());
        hasher.update(&self.payload);
        *hasher.finalize().as_bytes()
    }

    /// The stored bytes: the encoded header followed by the payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.payload.len());
        out.extend_from_slice(&self.header.to_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    /// Decodes exactly one stored entry. Rejects a bad header, a payload
    /// shorter than declared and bytes after the declared payload.
    pub fn from_bytes(bytes: &[u8]) -> Result<Entry, EntryError> {
        let header = Header::from_bytes(bytes)?;
        let end = header.entry_len();
        let payload = bytes.get(HEADER_LEN..end).ok_or(EntryError::Truncated {
            needed: end,
            available: bytes.len(),
        })?;
        if bytes.len() > end {
            return Err(EntryError::TrailingBytes {
                declared: header.payload_len,
                extra: bytes.len() - end,
            });
        }
        Ok(Entry {
            header,
            payload: payload.to_vec(),
        })
    }
}

/// The head of the chain: how many entries the log holds and the hash and
/// time of the last one.
///
/// The head of an empty log is `size` 0, the all-zero hash and
/// `recorded_at` = [`i64::MIN`] ("nothing recorded yet", so that any clock
/// reading, even one before 1970, may follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Number of entries; the next entry gets this seq.
    pub size: u64,
    /// Hash of the last entry (all zeros when empty).
    pub hash: Hash,
    /// `recorded_at` of the last entry ([`i64::MIN`] when empty).
    pub recorded_at: i64,
}

impl Head {
    /// The head of a log with no entries.
    pub const EMPTY: Head = Head {
        size: 0,
        hash: ZERO_HASH,
        recorded_at: i64::MIN,
    };
}

/// An entry to append: its payload and the index keys that will map to its
/// seq.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewEntry {
    /// Opaque payload bytes, at most [`crate::MAX_PAYLOAD_LEN`].
    pub payload: Vec<u8>,
    /// Index keys; each will map to this entry's seq (see
    /// [`crate::Log::index_get`]). A key may be owned by one entry only.
    pub index_keys: Vec<Vec<u8>>,
}

/// What [`crate::Log::append`] assigned to one appended entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// The entry's seq.
    pub seq: u64,
    /// The entry's hash.
    pub hash: Hash,
    /// The entry's `recorded_at`.
    pub recorded_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FORMAT_VERSION, hex};

    fn fixed() -> Entry {
        Entry {
            header: Header {
                version: FORMAT_VERSION,
                seq: 7,
                recorded_at: 1_700_000_000_000_000,
                payload_len: 3,
                prev_hash: [0x11; 32],
            },
            payload: b"abc".to_vec(),
        }
    }

    #[test]
    fn hash_of_fixed_entry_is_golden() {
        let e = fixed();
        // Locks the hash function, the context string and the header
        // encoding together: any change here is a format change.
        // Cross-checked with an independent BLAKE3 implementation.
        assert_eq!(
            hex(&e.hash()),
            "b7464bd0d59fe2850b168f40ffd0df0be5f39e412d670ab9d14ff64ddf4d443b"
        );
        assert_eq!(e.hash(), entry_hash(&e.to_bytes()));
        let direct = blake3::derive_key(HASH_CONTEXT, &e.to_bytes());
        assert_eq!(e.hash(), direct);
    }

    #[test]
    fn entry_round_trip_and_rejects() {
        let e = fixed();
        let bytes = e.to_bytes();
        assert_eq!(bytes.len(), HEADER_LEN + 3);
        assert_eq!(Entry::from_bytes(&bytes), Ok(e));
        assert!(matches!(
            Entry::from_bytes(&bytes[..bytes.len() - 1]),
            Err(EntryError::Truncated { .. })
        ));
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            Entry::from_bytes(&longer),
            Err(EntryError::TrailingBytes {
                declared: 3,
                extra: 1
            })
        );
    }
}
