//! The bytes of the index's derived records (format.md §4.6): the meta
//! record, id buckets and term buckets, each sealed with a checksum.

use std::collections::BTreeMap;

use docket_log::Hash;

use crate::index_buckets::Buckets;

/// Bumped when the records change shape or what they post; an index of
/// another version is rebuilt. Version 3 posts a correction under the
/// structural term of its replacement's subject; version 4 has as many
/// buckets as the entries it covers call for, named by level and prefix,
/// where version 3 had 4096 of each kind and bitmaps of those stored.
pub(crate) const VERSION: u32 = 4;
/// The name of the meta record.
pub(crate) const META: &[u8] = b"ix/meta";
const META_LEN: usize = 4 + 8 + 32 + 1 + 4;
const CHECK_LEN: usize = 8;

/// What the meta record says: entries covered, the hash of the last one,
/// and how many buckets of each kind there are (every one of them is
/// stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub covered: u64,
    pub tie: Hash,
    pub buckets: Buckets,
}

/// `payload` followed by the first 8 bytes of `BLAKE3(name ‖ payload)`: a
/// bucket damaged in place, or stored under another name, is refused.
pub(crate) fn seal(name: &[u8], payload: Vec<u8>) -> Vec<u8> {
    let check = checksum(name, &payload);
    let mut sealed = payload;
    sealed.extend_from_slice(&check);
    sealed
}

/// The payload of a sealed record, if its checksum holds.
pub(crate) fn unseal<'a>(name: &[u8], sealed: &'a [u8]) -> Option<&'a [u8]> {
    let split = sealed.len().checked_sub(CHECK_LEN)?;
    let (payload, check) = sealed.split_at(split);
    (checksum(name, payload) == check).then_some(payload)
}

fn checksum(name: &[u8], payload: &[u8]) -> [u8; CHECK_LEN] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&(name.len() as u64).to_le_bytes());
    hasher.update(name);
    hasher.update(payload);
    let mut out = [0u8; CHECK_LEN];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..CHECK_LEN]);
    out
}

/// The meta record, sealed: a level or split damaged in range would
/// otherwise count buckets that are stored but stale (the parts of a split
/// that a flush wrote and never finished).
pub(crate) fn encode_meta(meta: &Meta) -> Vec<u8> {
    let (level, split) = meta.buckets.parts();
    let mut out = Vec::with_capacity(META_LEN + CHECK_LEN);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&meta.covered.to_le_bytes());
    out.extend_from_slice(&meta.tie);
    out.push(level);
    out.extend_from_slice(&split.to_le_bytes());
    seal(META, out)
}

/// The meta record, if it is this version's, whole and in range.
pub(crate) fn parse_meta(sealed: &[u8]) -> Option<Meta> {
    let bytes = unseal(META, sealed)?;
    if bytes.len() != META_LEN || bytes[..4] != VERSION.to_le_bytes() {
        return None;
    }
    let covered = u64::from_le_bytes(bytes[4..12].try_into().ok()?);
    let tie: Hash = bytes[12..44].try_into().ok()?;
    let split = u32::from_le_bytes(bytes[45..49].try_into().ok()?);
    Some(Meta {
        covered,
        tie,
        buckets: Buckets::new(bytes[44], split)?,
    })
}

pub(crate) fn encode_ids(ids: &[(u64, u64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 16);
    for (hash, seq) in ids {
        out.extend_from_slice(&hash.to_le_bytes());
        out.extend_from_slice(&seq.to_le_bytes());
    }
    out
}

pub(crate) fn decode_ids(bytes: &[u8]) -> Option<Vec<(u64, u64)>> {
    if !bytes.len().is_multiple_of(16) {
        return None;
    }
    let ids: Vec<(u64, u64)> = bytes
        .chunks_exact(16)
        .map(|record| {
            let hash = u64::from_le_bytes(record[..8].try_into().ok()?);
            let seq = u64::from_le_bytes(record[8..].try_into().ok()?);
            Some((hash, seq))
        })
        .collect::<Option<_>>()?;
    // Lookups binary-search the records: out of order, they would miss.
    ids.windows(2).all(|pair| pair[0] < pair[1]).then_some(ids)
}

pub(crate) fn encode_terms(terms: &BTreeMap<Vec<u8>, Vec<u64>>) -> Vec<u8> {
    encode_term_slices(
        terms
            .iter()
            .map(|(term, seqs)| (term.as_slice(), seqs.as_slice())),
    )
}

/// [`encode_terms`] of terms given in ascending order, each once, with
/// their seqs: a flush encodes a bucket that holds nothing yet straight
/// from the pending postings, without copying them into a map.
pub(crate) fn encode_term_slices<'a>(
    terms: impl IntoIterator<Item = (&'a [u8], &'a [u64])>,
) -> Vec<u8> {
    let mut out = Vec::new();
    for (term, seqs) in terms {
        // Terms are slugs (at most a few hundred bytes); longer ones would
        // not round-trip, so they are cut rather than corrupting the bucket.
        let term = &term[..term.len().min(usize::from(u16::MAX))];
        out.extend_from_slice(&(term.len() as u16).to_le_bytes());
        out.extend_from_slice(term);
        out.extend_from_slice(&(seqs.len() as u32).to_le_bytes());
        let mut previous = 0u64;
        for &seq in seqs {
            write_leb128(&mut out, seq.wrapping_sub(previous));
            previous = seq;
        }
    }
    out
}

pub(crate) fn decode_terms(mut bytes: &[u8]) -> Option<BTreeMap<Vec<u8>, Vec<u64>>> {
    let mut terms = BTreeMap::new();
    while !bytes.is_empty() {
        let len = usize::from(u16::from_le_bytes(bytes.get(..2)?.try_into().ok()?));
        let term = bytes.get(2..2 + len)?.to_vec();
        bytes = &bytes[2 + len..];
        let count = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
        bytes = &bytes[4..];
        // Each delta takes at least one byte: a damaged count cannot make
        // this allocate more than the bucket's size.
        let mut seqs = Vec::with_capacity(count.min(bytes.len()));
        let mut previous = 0u64;
        for i in 0..count {
            let (delta, used) = read_leb128(bytes)?;
            bytes = &bytes[used..];
            // Seqs ascend strictly: only the first may be 0 more than "none".
            if i > 0 && delta == 0 {
                return None;
            }
            previous = previous.checked_add(delta)?;
            seqs.push(previous);
        }
        // Terms ascend strictly: a repeated or misplaced one is damage.
        if terms
            .last_key_value()
            .is_some_and(|(last, _)| *last >= term)
        {
            return None;
        }
        terms.insert(term, seqs);
    }
    Some(terms)
}

fn write_leb128(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_leb128(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_trip() {
        let mut terms = BTreeMap::new();
        terms.insert(b"d:x".to_vec(), vec![0, 1, 300, 70_000, u64::MAX / 3]);
        assert_eq!(
            decode_ids(&encode_ids(&[(2, 1), (1, 2)])),
            None,
            "out of order"
        );
        terms.insert(b"k:".to_vec(), vec![5]);
        assert_eq!(decode_terms(&encode_terms(&terms)), Some(terms));
        let ids = vec![(1, 2), (u64::MAX, 7)];
        assert_eq!(decode_ids(&encode_ids(&ids)), Some(ids));
        let meta = Meta {
            covered: 12,
            tie: [9u8; 32],
            buckets: Buckets::FEWEST.grown_for(40_000),
        };
        assert_eq!(parse_meta(&encode_meta(&meta)), Some(meta));
    }

    #[test]
    fn damaged_buckets_are_refused_not_misread() {
        let mut terms = BTreeMap::new();
        terms.insert(b"d:x".to_vec(), vec![1, 2, 3]);
        let bytes = encode_terms(&terms);
        for cut in 1..bytes.len() {
            assert_ne!(decode_terms(&bytes[..cut]), Some(terms.clone()));
        }
        assert_eq!(decode_ids(&[0u8; 15]), None);
        let meta = Meta {
            covered: 1,
            tie: [1u8; 32],
            buckets: Buckets::FEWEST,
        };
        let sealed = encode_meta(&meta);
        assert_eq!(parse_meta(&sealed), Some(meta));
        let payload = unseal(META, &sealed).unwrap().to_vec();
        let resealed = |change: &dyn Fn(&mut Vec<u8>)| {
            let mut payload = payload.clone();
            change(&mut payload);
            parse_meta(&seal(META, payload))
        };
        // Unchanged, it reads back: the refusals below are the changes'.
        assert_eq!(resealed(&|_| {}), Some(meta));
        // Sealed, but out of range: fewer than the fewest buckets, more
        // prefixes split than there are, another version's.
        assert_eq!(resealed(&|p| p[44] = 3), None);
        assert_eq!(resealed(&|p| p[45] = 16), None);
        assert_eq!(resealed(&|p| p[0] = 3), None);
        // In range, but damaged: the seal fails.
        let mut damaged = sealed.clone();
        damaged[45] ^= 1;
        assert_eq!(parse_meta(&damaged), None);
        let sealed = seal(b"ix/t\x00\x01", bytes.clone());
        assert_eq!(unseal(b"ix/t\x00\x01", &sealed), Some(&bytes[..]));
        assert_eq!(unseal(b"ix/t\x00\x02", &sealed), None, "another bucket's");
        let mut flipped = sealed.clone();
        flipped[0] ^= 1;
        assert_eq!(unseal(b"ix/t\x00\x01", &flipped), None);
    }
}
