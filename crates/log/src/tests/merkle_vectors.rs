//! The RFC 6962 / RFC 9162 test vectors in `../shared/vectors/rfc6962/`
//! (SHA-256 mode): every root of `tree.json`, and every inclusion and
//! consistency case accepted or rejected exactly as its `wantErr` says.

use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::merkle::{
    Sha256Hasher, consistency_proof, inclusion_proof, root, verify_consistency, verify_inclusion,
};
use crate::{Hash, MerkleHasher, hex, hex_bytes};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/vectors/rfc6962"
);

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Every `.json` file under `dir`, recursively, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|x| x == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn b64(v: &Value) -> Vec<u8> {
    match v {
        Value::Null => Vec::new(),
        Value::String(s) => STANDARD.decode(s).unwrap(),
        other => panic!("not base64: {other}"),
    }
}

/// A `proof` field: a list of base64 strings, or null for none.
fn b64_list(v: &Value) -> Vec<Vec<u8>> {
    match v {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().map(b64).collect(),
        other => panic!("not a list: {other}"),
    }
}

fn u64_field(case: &Value, name: &str) -> u64 {
    case[name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name}: {case}"))
}

/// The leaf hashes of the eight leaf inputs of `tree.json`.
fn tree_leaves(tree: &Value) -> Vec<Hash> {
    tree["leaf_inputs_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let s = h.as_str().unwrap();
            let bytes: Vec<u8> = (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                .collect();
            Sha256Hasher.leaf(&bytes)
        })
        .collect()
}

#[test]
fn tree_roots_and_nodes() {
    let tree = json(&Path::new(VECTORS).join("tree.json"));
    let leaves = tree_leaves(&tree);
    assert_eq!(leaves.len(), 8);
    let roots = tree["root_by_size"].as_object().unwrap();
    assert_eq!(roots.len(), 9);
    for (size, want) in roots {
        let size: usize = size.parse().unwrap();
        let got = hex(&root(&Sha256Hasher, &leaves[..size]));
        assert_eq!(got, want.as_str().unwrap(), "root of size {size}");
    }
    assert_eq!(
        hex(&Sha256Hasher.empty_root()),
        roots["0"].as_str().unwrap()
    );
    // Every perfect subtree, level by level.
    let levels = tree["node_hashes_by_level"].as_array().unwrap();
    for (level, nodes) in levels.iter().enumerate() {
        for (index, want) in nodes.as_array().unwrap().iter().enumerate() {
            let width = 1 << level;
            let got = root(&Sha256Hasher, &leaves[index * width..(index + 1) * width]);
            assert_eq!(hex(&got), want.as_str().unwrap(), "node {level}/{index}");
        }
    }
}

#[test]
fn inclusion_vectors() {
    let tree = json(&Path::new(VECTORS).join("tree.json"));
    let leaves = tree_leaves(&tree);
    let cases = files(&Path::new(VECTORS).join("inclusion"));
    assert!(
        cases.len() >= 80,
        "only {} inclusion vectors found",
        cases.len()
    );
    let (mut accepted, mut regenerated) = (0, 0);
    for path in &cases {
        let case = json(path);
        let index = u64_field(&case, "leafIdx");
        let size = u64_field(&case, "treeSize");
        let leaf = b64(&case["leafHash"]);
        let root_bytes = b64(&case["root"]);
        let proof = b64_list(&case["proof"]);
        let want_err = case["wantErr"].as_bool().unwrap();
        let got = verify_inclusion(&Sha256Hasher, index, size, &leaf, &proof, &root_bytes);
        assert_eq!(
            got.is_err(),
            want_err,
            "{}: {:?} ({})",
            path.display(),
            got,
            case["desc"]
        );
        if !want_err {
            accepted += 1;
            // A proof over the tree.json leaves is regenerated exactly.
            let Ok(prefix) = usize::try_from(size) else {
                continue;
            };
            if prefix <= leaves.len()
                && root(&Sha256Hasher, &leaves[..prefix]).as_slice() == root_bytes
                && leaves[index as usize].as_slice() == leaf
            {
                let ours = inclusion_proof(&Sha256Hasher, &leaves[..prefix], index).unwrap();
                let ours: Vec<Vec<u8>> = ours.iter().map(|h| h.to_vec()).collect();
                assert_eq!(ours, proof, "{}", path.display());
                regenerated += 1;
            }
        }
    }
    assert!(accepted >= 5, "{accepted}");
    assert!(regenerated >= 5, "{regenerated}");
}

#[test]
fn consistency_vectors() {
    let tree = json(&Path::new(VECTORS).join("tree.json"));
    let leaves = tree_leaves(&tree);
    let cases = files(&Path::new(VECTORS).join("consistency"));
    assert!(
        cases.len() >= 80,
        "only {} consistency vectors found",
        cases.len()
    );
    let (mut accepted, mut regenerated) = (0, 0);
    for path in &cases {
        let case = json(path);
        let size1 = u64_field(&case, "size1");
        let size2 = u64_field(&case, "size2");
        let root1 = b64(&case["root1"]);
        let root2 = b64(&case["root2"]);
        let proof = b64_list(&case["proof"]);
        let want_err = case["wantErr"].as_bool().unwrap();
        let got = verify_consistency(&Sha256Hasher, size1, size2, &root1, &root2, &proof);
        assert_eq!(
            got.is_err(),
            want_err,
            "{}: {:?} ({})",
            path.display(),
            got,
            case["desc"]
        );
        if !want_err {
            accepted += 1;
            if size2 <= 8
                && root(&Sha256Hasher, &leaves[..size1 as usize]).as_slice() == root1
                && root(&Sha256Hasher, &leaves[..size2 as usize]).as_slice() == root2
            {
                let ours = consistency_proof(&Sha256Hasher, &leaves[..size2 as usize], size1);
                let ours: Vec<Vec<u8>> = ours.unwrap().iter().map(|h| h.to_vec()).collect();
                assert_eq!(ours, proof, "{}", path.display());
                regenerated += 1;
            }
        }
    }
    assert!(accepted >= 5, "{accepted}");
    assert!(regenerated >= 4, "{regenerated}");
}

#[test]
fn every_proof_over_the_vector_tree_verifies() {
    let tree = json(&Path::new(VECTORS).join("tree.json"));
    let leaves = tree_leaves(&tree);
    for size in 1..=leaves.len() {
        let r = root(&Sha256Hasher, &leaves[..size]);
        for index in 0..size {
            let proof = inclusion_proof(&Sha256Hasher, &leaves[..size], index as u64).unwrap();
            let ok = verify_inclusion(
                &Sha256Hasher,
                index as u64,
                size as u64,
                &leaves[index],
                &proof,
                &r,
            );
            assert_eq!(ok, Ok(()), "leaf {index} of {size}");
        }
        for size1 in 1..=size {
            let r1 = root(&Sha256Hasher, &leaves[..size1]);
            let proof = consistency_proof(&Sha256Hasher, &leaves[..size], size1 as u64).unwrap();
            let ok = verify_consistency(&Sha256Hasher, size1 as u64, size as u64, &r1, &r, &proof);
            assert_eq!(
                ok,
                Ok(()),
                "{size1} -> {size}: {}",
                hex_bytes(&proof.concat())
            );
        }
    }
}
