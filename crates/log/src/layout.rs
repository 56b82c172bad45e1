//! The sled key layout: prefixes, key encodings, the head record and the
//! format marker. All records live in sled's default tree.
//!
//! | key                          | value |
//! |------------------------------|-------|
//! | `"M"` (0x4d)                 | format marker: `"docket-log"` ‖ layout version u32 BE ‖ chunk length u32 BE (18 bytes); layout 1 or 2 |
//! | `"H"` (0x48)                 | head record: size u64 BE ‖ last hash (32) ‖ last recorded_at i64 BE (48 bytes) |
//! | `"C"` (0x43) ‖ chunk u64 BE  | concatenated stored bytes of entries `chunk*64 .. chunk*64+63`: as they are (layout 1), or one zstd frame of them (layout 2; see `codec.rs`) |
//! | `"I"` (0x49) ‖ index key     | seq u64 BE of the entry that owns the key |
//! | `"N"` (0x4e) ‖ level u8 ‖ index u64 BE | hash (32) of the complete perfect Merkle subtree over entries `index·2^level .. (index+1)·2^level`, for levels ≥ [`MIN_STORED_LEVEL`] only (see `nodes.rs`) |
//!
//! The prefixes are printable ASCII so that raw dumps are readable. `"P"`
//! is reserved for the planned checkpoints;
//! `"D"` ‖ name holds derived data (snapshots), outside the chain (see
//! `derived.rs`);
//! readers ignore keys with prefixes they do not know.

use crate::codec::ChunkEncoding;
use crate::entry::Head;

/// Number of consecutive entries stored together in one sled value.
pub const CHUNK_LEN: u64 = 64;

/// Version of the sled key layout described in this module (independent of
/// the entry [`crate::FORMAT_VERSION`]) that new logs are created with.
/// Logs of layout 1, whose chunk values are not compressed, are read and
/// appended to in their own layout.
pub const LAYOUT_VERSION: u32 = 2;

pub(crate) const MARKER_KEY: &[u8] = b"M";
pub(crate) const HEAD_KEY: &[u8] = b"H";
pub(crate) const CHUNK_PREFIX: u8 = b'C';
pub(crate) const INDEX_PREFIX: u8 = b'I';
pub(crate) const NODE_PREFIX: u8 = b'N';
pub(crate) const NODE_KEY_LEN: usize = 10;

/// The lowest level of Merkle node that is stored: a node of this level
/// covers exactly one full chunk (`2^6 = CHUNK_LEN` entries). Nodes of
/// lower levels lie inside one chunk and are computed from it.
pub(crate) const MIN_STORED_LEVEL: u8 = 6;

const _: () = assert!(1u64 << MIN_STORED_LEVEL == CHUNK_LEN);

/// The magic bytes at the start of the marker value.
pub(crate) const MAGIC: &[u8; 10] = b"docket-log";
pub(crate) const MARKER_LEN: usize = MAGIC.len() + 8;
pub(crate) const HEAD_RECORD_LEN: usize = 48;
pub(crate) const CHUNK_KEY_LEN: usize = 9;

/// The chunk that holds entry `seq`.
pub(crate) fn chunk_of(seq: u64) -> u64 {
    seq / CHUNK_LEN
}

/// Position of entry `seq` within its chunk.
pub(crate) fn slot_of(seq: u64) -> usize {
    // < 64, so the conversion is lossless.
    (seq % CHUNK_LEN) as usize
}

pub(crate) fn chunk_key(chunk: u64) -> [u8; CHUNK_KEY_LEN] {
    let mut key = [0u8; CHUNK_KEY_LEN];
    key[0] = CHUNK_PREFIX;
    key[1..].copy_from_slice(&chunk.to_be_bytes());
    key
}

/// Decodes a key from the chunk namespace; `None` if it is not exactly
/// prefix + 8 bytes.
pub(crate) fn parse_chunk_key(key: &[u8]) -> Option<u64> {
    match key {
        [CHUNK_PREFIX, rest @ ..] => rest.try_into().ok().map(u64::from_be_bytes),
        _ => None,
    }
}

/// The key of the stored Merkle node `(level, index)`.
pub(crate) fn node_key(level: u8, index: u64) -> [u8; NODE_KEY_LEN] {
    let mut key = [0u8; NODE_KEY_LEN];
    key[0] = NODE_PREFIX;
    key[1] = level;
    key[2..].copy_from_slice(&index.to_be_bytes());
    key
}

/// Decodes a key from the node namespace; `None` unless it is exactly
/// prefix + level + 8 bytes.
pub(crate) fn parse_node_key(key: &[u8]) -> Option<(u8, u64)> {
    match key {
        [NODE_PREFIX, level, rest @ ..] => rest
            .try_into()
            .ok()
            .map(|b| (*level, u64::from_be_bytes(b))),
        _ => None,
    }
}

pub(crate) fn index_key(key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(key.len() + 1);
    out.push(INDEX_PREFIX);
    out.extend_from_slice(key);
    out
}

/// The marker of a log whose chunks are stored with `encoding`.
pub(crate) fn marker_value(encoding: ChunkEncoding) -> [u8; MARKER_LEN] {
    let mut out = [0u8; MARKER_LEN];
    out[..MAGIC.len()].copy_from_slice(MAGIC);
    out[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&encoding.layout().to_be_bytes());
    out[MAGIC.len() + 4..].copy_from_slice(&(CHUNK_LEN as u32).to_be_bytes());
    out
}

/// What the marker says about a database.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Marker {
    /// A layout this build reads, and how it stores chunks.
    Supported(ChunkEncoding),
    /// A docket log with another layout version or chunk length.
    Unsupported { layout: u32, chunk_len: u32 },
    /// Not a docket marker at all.
    Foreign,
}

pub(crate) fn parse_marker(value: &[u8]) -> Marker {
    let Some(rest) = value.strip_prefix(MAGIC.as_slice()) else {
        return Marker::Foreign;
    };
    let Ok(rest) = <&[u8; 8]>::try_from(rest) else {
        return Marker::Foreign;
    };
    let layout = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let chunk_len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]);
    match ChunkEncoding::of_layout(layout) {
        Some(encoding) if u64::from(chunk_len) == CHUNK_LEN => Marker::Supported(encoding),
        _ => Marker::Unsupported { layout, chunk_len },
    }
}

pub(crate) fn encode_head(head: &Head) -> [u8; HEAD_RECORD_LEN] {
    let mut out = [0u8; HEAD_RECORD_LEN];
    out[0..8].copy_from_slice(&head.size.to_be_bytes());
    out[8..40].copy_from_slice(&head.hash);
    out[40..48].copy_from_slice(&head.recorded_at.to_be_bytes());
    out
}

pub(crate) fn decode_head(value: &[u8]) -> Option<Head> {
    let b: &[u8; HEAD_RECORD_LEN] = value.try_into().ok()?;
    let mut size = [0u8; 8];
    size.copy_from_slice(&b[0..8]);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&b[8..40]);
    let mut at = [0u8; 8];
    at.copy_from_slice(&b[40..48]);
    Some(Head {
        size: u64::from_be_bytes(size),
        hash,
        recorded_at: i64::from_be_bytes(at),
    })
}

pub(crate) fn decode_index_value(value: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(value).ok().map(u64::from_be_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_records() {
        assert_eq!(chunk_key(0x0102), [b'C', 0, 0, 0, 0, 0, 0, 0x01, 0x02]);
        assert_eq!(parse_chunk_key(&chunk_key(77)), Some(77));
        assert_eq!(parse_chunk_key(b"C123"), None);
        assert_eq!(parse_chunk_key(b"H"), None);
        assert_eq!(index_key(b"id:x"), b"Iid:x".to_vec());
        assert_eq!(node_key(3, 0x0102), [b'N', 3, 0, 0, 0, 0, 0, 0, 0x01, 0x02]);
        assert_eq!(
            parse_node_key(&node_key(63, u64::MAX)),
            Some((63, u64::MAX))
        );
        assert_eq!(parse_node_key(b"N\x01abc"), None);
        assert_eq!(parse_node_key(&chunk_key(1)), None);
        assert_eq!(chunk_of(63), 0);
        assert_eq!(chunk_of(64), 1);
        assert_eq!(slot_of(65), 1);
        let head = Head {
            size: 3,
            hash: [9; 32],
            recorded_at: -5,
        };
        assert_eq!(decode_head(&encode_head(&head)), Some(head));
        assert_eq!(decode_head(&[0; 47]), None);
        for encoding in [ChunkEncoding::Plain, ChunkEncoding::Zstd] {
            assert_eq!(
                parse_marker(&marker_value(encoding)),
                Marker::Supported(encoding)
            );
        }
        let mut newer = marker_value(ChunkEncoding::Zstd);
        newer[13] = 3;
        assert_eq!(
            parse_marker(&newer),
            Marker::Unsupported {
                layout: 3,
                chunk_len: 64
            }
        );
        let mut longer = marker_value(ChunkEncoding::Plain);
        longer[17] = 128;
        assert_eq!(
            parse_marker(&longer),
            Marker::Unsupported {
                layout: 1,
                chunk_len: 128
            }
        );
        assert_eq!(parse_marker(b"docket-log"), Marker::Foreign);
        assert_eq!(parse_marker(b"something else entirely"), Marker::Foreign);
        assert_eq!(
            &marker_value(ChunkEncoding::Plain)[..],
            b"docket-log\0\0\0\x01\0\0\0\x40"
        );
        assert_eq!(
            &marker_value(ChunkEncoding::Zstd)[..],
            b"docket-log\0\0\0\x02\0\0\0\x40"
        );
    }
}
