//! Recomputes the worked example of docs/format.md and checks that the
//! document shows exactly these bytes.

use super::new_log;
use crate::{Blake3Hasher, MerkleHasher, NewEntry, hex, hex_bytes, testing};

const RECORDED_AT: i64 = 1_700_000_000_000_000;
const ENTRY0: &str = "00010000000000000000000000060a24181e40000000000f00000000000000000000000000000000000000000000000000000000000000004e6f6b696120762e20416d617a6f6e";
const HASH0: &str = "862053684dee8515372a82777bcd95035dc861521cac4e715770447a3a5a2aac";
const ENTRY1: &str = "00010000000000000000000100060a24181e400000000007862053684dee8515372a82777bcd95035dc861521cac4e715770447a3a5a2aac736574746c6564";
const HASH1: &str = "0e03bae895e9486b7fec4100dbe8a08fc484ea246987f10512bd1b58ce4ef2c3";
const MARKER: &str = "646f636b65742d6c6f670000000100000040";
const HEAD: &str = "00000000000000020e03bae895e9486b7fec4100dbe8a08fc484ea246987f10512bd1b58ce4ef2c300060a24181e4000";
const CHUNK_KEY: &str = "430000000000000000";
const LEAF0: &str = "2b22758ac76693d5ff80b6a1274180259adc8f3a476958343d1984bcd58e87c3";
const LEAF1: &str = "ea708064cb06fbc0a231f00408d7ee54849cf97e7771ea296f56ec9eacceac1f";
const ROOT2: &str = "7b1d9ac0481bb28748a538b5453ae6ea2466eaf4ab4f082364ec51d1ede5fa1f";
const EMPTY_ROOT: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
const NODE_KEYS: [&str; 3] = [
    "4e000000000000000000",
    "4e000000000000000001",
    "4e010000000000000000",
];

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
    assert_eq!(hex_bytes(&crate::layout::chunk_key(0)), CHUNK_KEY);
    let marker = testing::get_raw(&log, b"M").unwrap().unwrap();
    assert_eq!(hex_bytes(&marker), MARKER);
    let head = testing::get_raw(&log, b"H").unwrap().unwrap();
    assert_eq!(hex_bytes(&head), HEAD);
    // §9: the Merkle nodes stored with the two entries, roots and proofs.
    // (Cross-checked with an independent BLAKE3 implementation.)
    let nodes: Vec<(String, String)> = testing::raw_nodes(&log)
        .unwrap()
        .iter()
        .map(|(k, v)| (hex_bytes(k), hex_bytes(v)))
        .collect();
    let want: Vec<(String, String)> = NODE_KEYS
        .iter()
        .zip([LEAF0, LEAF1, ROOT2])
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(nodes, want);
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
        ("node key (0, 0)", NODE_KEYS[0]),
        ("node key (0, 1)", NODE_KEYS[1]),
        ("node key (1, 0)", NODE_KEYS[2]),
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
