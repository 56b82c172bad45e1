//! Recomputes the worked example of docs/format.md and checks that the
//! document shows exactly these bytes.

use super::new_log;
use crate::{Blake3Hasher, MerkleHasher, NewEntry, hex, hex_bytes, testing};

const RECORDED_AT: i64 = 1_700_000_000_000_000;
const ENTRY0: &str = "00010000000000000000000000060a24181e40000000000f00000000000000000000000000000000000000000000000000000000000000004e6f6b696120762e20416d617a6f6e";
const HASH0: &str = "862053684dee8515372a82777bcd95035dc861521cac4e715770447a3a5a2aac";
const ENTRY1: &str = "00010000000000000000000100060a24181e400000000007862053684dee8515372a82777bcd95035dc861521cac4e715770447a3a5a2aac736574746c6564";
const HASH1: &str = "0e03bae895e9486b7fec4100dbe8a08fc484ea246987f10512bd1b58ce4ef2c3";
const MARKER: &str = "646f636b65742d6c6f670000000200000040";
const HEAD: &str = "00000000000000020e03bae895e9486b7fec4100dbe8a08fc484ea246987f10512bd1b58ce4ef2c300060a24181e4000";
const CHUNK_KEY: &str = "430000000000000000";
const LEAF0: &str = "2b22758ac76693d5ff80b6a1274180259adc8f3a476958343d1984bcd58e87c3";
const LEAF1: &str = "ea708064cb06fbc0a231f00408d7ee54849cf97e7771ea296f56ec9eacceac1f";
const ROOT2: &str = "7b1d9ac0481bb28748a538b5453ae6ea2466eaf4ab4f082364ec51d1ede5fa1f";
const EMPTY_ROOT: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
/// §9.2: the one node stored by a log of 64 entries with the payloads
/// `0` … `63` appended at `RECORDED_AT`: its key, its value (the root of
/// size 64) and the hash of entry 63.
const NODE_KEY_6_0: &str = "4e060000000000000000";
const ROOT64: &str = "81fd466eec26c2b328f2a77b91ec05e1da3167c07fab916e628092ce2e1e8904";
const HASH63: &str = "eb153c8fa479feaf46ca13607e0ae877b01c3d76cea9da57c4da8f4b11ff5ee3";

#[test]
fn worked_example_matches_the_code() {
    let (_dir, _path, log) = new_log();
    let entry = |p: &[u8]| NewEntry {
        payload: p.to_vec(),
        index_keys: vec![],
    };
    let out = log
        .append_at(
            vec![entry(b"Nokia v. Amazon"), entry(b"settled")],
            RECORDED_AT,
        )
        .unwrap();
    assert_eq!(hex(&out[0].hash), HASH0);
    assert_eq!(hex(&out[1].hash), HASH1);
    let e0 = log.get(0).unwrap().unwrap();
    let e1 = log.get(1).unwrap().unwrap();
    assert_eq!(hex_bytes(&e0.to_bytes()), ENTRY0);
    assert_eq!(hex_bytes(&e1.to_bytes()), ENTRY1);
    let chunks = testing::raw_chunks(&log).unwrap();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].0, 0);
    assert_eq!(hex_bytes(&chunks[0].1), format!("{ENTRY0}{ENTRY1}"));
    assert_eq!(chunks[0].1.len(), 134);
    // Layout 2 stores the chunk as one zstd frame (its magic number, then
    // a header that declares the 134 bytes).
    let stored = testing::raw_chunk_values(&log).unwrap();
    assert_eq!(hex_bytes(&stored[0].1[..4]), "28b52ffd");
    assert_eq!(testing::layout_of(&log), 2);
    assert_eq!(hex_bytes(&crate::layout::chunk_key(0)), CHUNK_KEY);
    let marker = testing::get_raw(&log, b"M").unwrap().unwrap();
    assert_eq!(hex_bytes(&marker), MARKER);
    let head = testing::get_raw(&log, b"H").unwrap().unwrap();
    assert_eq!(hex_bytes(&head), HEAD);
    // §9: a log of two entries stores no Merkle node (only levels ≥ 6 are
    // stored); the leaves, roots and proofs are computed from chunk 0.
    // (Cross-checked with an independent BLAKE3 implementation.)
    assert_eq!(testing::raw_nodes(&log).unwrap(), Vec::new());
    assert_eq!(hex(&log.merkle_root(0).unwrap()), EMPTY_ROOT);
    assert_eq!(hex(&log.merkle_root(1).unwrap()), LEAF0);
    assert_eq!(hex(&log.merkle_root(2).unwrap()), ROOT2);
    let proof: Vec<String> = log.inclusion_proof(0, 2).unwrap().iter().map(hex).collect();
    assert_eq!(proof, [LEAF1]);
    let proof: Vec<String> = log.inclusion_proof(1, 2).unwrap().iter().map(hex).collect();
    assert_eq!(proof, [LEAF0]);
    let proof: Vec<String> = log
        .consistency_proof(1, 2)
        .unwrap()
        .iter()
        .map(hex)
        .collect();
    assert_eq!(proof, [LEAF1]);
    let leaf0 = Blake3Hasher.leaf(&out[0].hash);
    assert_eq!(hex(&leaf0), LEAF0);
}

#[test]
fn chunk_root_example_matches_the_code() {
    // §9.2: 64 entries fill chunk 0 and store exactly the node (6, 0), the
    // root of size 64. (Cross-checked with an independent BLAKE3
    // implementation.)
    let (_dir, _path, log) = new_log();
    let out = log
        .append_at(
            (0..64)
                .map(|i| NewEntry {
                    payload: i.to_string().into_bytes(),
                    index_keys: vec![],
                })
                .collect(),
            RECORDED_AT,
        )
        .unwrap();
    assert_eq!(hex(&out[63].hash), HASH63);
    let nodes: Vec<(String, String)> = testing::raw_nodes(&log)
        .unwrap()
        .iter()
        .map(|(k, v)| (hex_bytes(k), hex_bytes(v)))
        .collect();
    assert_eq!(nodes, [(NODE_KEY_6_0.to_owned(), ROOT64.to_owned())]);
    assert_eq!(hex(&log.merkle_root(64).unwrap()), ROOT64);
    assert_eq!(hex_bytes(&crate::layout::node_key(6, 0)), NODE_KEY_6_0);
}

#[test]
fn format_md_shows_the_worked_example() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/format.md");
    let doc = std::fs::read_to_string(path).unwrap();
    for (what, hex) in [
        ("entry 0", ENTRY0),
        ("hash 0", HASH0),
        ("entry 1", ENTRY1),
        ("hash 1", HASH1),
        ("marker", MARKER),
        ("head record", HEAD),
        ("chunk key", CHUNK_KEY),
        ("leaf 0", LEAF0),
        ("leaf 1", LEAF1),
        ("root of size 2", ROOT2),
        ("empty root", EMPTY_ROOT),
        ("node key (6, 0)", NODE_KEY_6_0),
        ("root of size 64", ROOT64),
        ("hash of entry 63", HASH63),
    ] {
        assert!(doc.contains(hex), "docs/format.md lacks the {what} {hex}");
    }
    for text in [
        "\"docket v1 entry\"",
        "`Nokia v. Amazon`",
        "`settled`",
        "1 700 000 000 000 000",
    ] {
        assert!(doc.contains(text), "docs/format.md lacks {text}");
    }
}
