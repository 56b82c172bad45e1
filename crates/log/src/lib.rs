//! `docket-log`: docket's append-only, BLAKE3 hash-chained log of opaque
//! payloads, stored in [sled].
//!
//! Every entry is a fixed-width, big-endian [`Header`] followed by the
//! payload bytes. Each header carries the hash of the previous entry, so the
//! entries form a chain: altering, removing or reordering any stored byte is
//! detected by [`Log::verify`], which also names the first damaged entry.
//!
//! **This crate knows nothing about legal events.** A payload is an opaque
//! byte string: the log never decodes, inspects or re-encodes it. Meaning is
//! the business of `docket-model` (the encoding) and `docket-ledger` (which
//! combines storage with meaning).
//!
//! A Merkle tree with RFC 9162 structure (BLAKE3 mode) is kept over the
//! entry hashes: its nodes of 64 leaves and more are stored with the
//! entries and the smaller ones are computed from the one chunk that holds
//! their leaves, so that [`Log::merkle_root`], [`Log::inclusion_proof`] and
//! [`Log::consistency_proof`] cost O(log n) reads; [`merkle`] holds the
//! hashers, the in-memory functions and the proof verifiers.
//!
//! The byte-level format — header, hash, sled key layout, chunking,
//! atomicity, the Merkle tree and the verification algorithm — is
//! specified in
//! `docs/format.md` at the root of the repository, precisely enough to
//! write an independent verifier.
//!
//! # Quick tour
//!
//! ```
//! use docket_log::{Log, NewEntry};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let log = Log::create(&dir.path().join("ledger"))?;
//! let appended = log.append(vec![NewEntry {
//!     payload: b"opaque bytes".to_vec(),
//!     index_keys: vec![b"id:first".to_vec()],
//! }])?;
//! assert_eq!(appended[0].seq, 0);
//! assert_eq!(log.index_get(b"id:first")?, Some(0));
//! assert_eq!(log.get(0)?.map(|e| e.payload), Some(b"opaque bytes".to_vec()));
//! assert!(log.verify(&mut |_, _| {}).is_ok());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod chunk;
mod codec;
mod counted;
mod derived;
mod diagnose;
mod entry;
mod error;
mod hashing;
mod header;
mod layout;
pub mod merkle;
mod node_check;
mod nodes;
mod open;
mod prepare;
mod read;
mod store;
#[doc(hidden)]
pub mod testing;
mod verify;

#[cfg(test)]
mod tests;

pub use entry::{Appended, Entry, HASH_CONTEXT, Head, NewEntry, entry_hash};
pub use error::{AppendError, DerivedError, FlushError, OpenError, ReadError};
pub use header::{EntryError, FORMAT_VERSION, HEADER_LEN, Header, MAX_PAYLOAD_LEN};
pub use layout::{CHUNK_LEN, LAYOUT_VERSION};
pub use merkle::{Blake3Hasher, MerkleHasher, ProofError, Sha256Hasher};
pub use prepare::{Prepared, Preparer};
pub use read::{Entries, IndexScan};
pub use store::Log;
pub use verify::{Damage, VerifyReport};

/// A 32-byte BLAKE3 digest: an entry hash or a chain head.
pub type Hash = [u8; 32];

/// The all-zero hash: the `prev_hash` of entry 0 and the head hash of an
/// empty log.
pub const ZERO_HASH: Hash = [0; 32];

/// Renders a hash as 64 lowercase hexadecimal digits.
pub fn hex(h: &Hash) -> String {
    hex_bytes(h)
}

/// Renders any byte string as lowercase hexadecimal digits.
pub fn hex_bytes(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Parses 64 hexadecimal digits (either case) into a hash.
///
/// Returns `None` for any other length or a non-hex character; no prefix
/// (such as `0x` or `blake3:`) is accepted.
pub fn parse_hex_hash(s: &str) -> Option<Hash> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *slot = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(out)
}
