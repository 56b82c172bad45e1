//! The peer baselines, fed the exact payload bytes that docket stores:
//!
//! * **SQLite**: the hash-chained log most engineers would build — one row
//!   per entry (seq, header fields, payload, hash), WAL, `synchronous=FULL`,
//!   one transaction per batch of [`BATCH`] (docket's import default), the
//!   same BLAKE3 chain as docket; and beside it the same importer reading
//!   the NDJSON file, parsing and encoding each event as docket does.
//! * **sled raw**: one key per entry (seq) holding header ‖ payload, one
//!   batch and one flush per [`SLED_BATCH`] entries — the storage ceiling.
//! * **BLAKE3 ceiling**: the entry hash over the same bytes on every core,
//!   without storage; and beside it the same with the Merkle tree over
//!   those hashes (each leaf and interior node), the hashing that any
//!   verify that checks the tree cannot avoid.

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use docket_log::merkle::{self, Blake3Hasher, MerkleHasher};
use docket_log::{Hash, Header, entry_hash};
use rusqlite::{Connection, params};

use crate::phases::{
    BATCH, Metrics, Payloads, Workload, canonical_payload, disk_usage, peak_memory, percentile,
};

/// A fixed recorded-at for baseline headers (2025-01-01, microseconds).
const RECORDED_AT: i64 = 1_735_689_600_000_000;

/// The stored bytes of entry `seq` with `payload`, chained after `prev`.
fn entry_bytes(seq: u64, prev: Hash, payload: &[u8]) -> (Header, Vec<u8>) {
    let header = Header {
        version: docket_log::FORMAT_VERSION,
        seq,
        recorded_at: RECORDED_AT,
        payload_len: payload.len() as u32,
        prev_hash: prev,
    };
    let mut bytes = Vec::with_capacity(docket_log::HEADER_LEN + payload.len());
    bytes.extend_from_slice(&header.to_bytes());
    bytes.extend_from_slice(payload);
    (header, bytes)
}

fn sqlite_open(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS entries (
             seq INTEGER PRIMARY KEY,
             version INTEGER NOT NULL,
             recorded_at INTEGER NOT NULL,
             payload_len INTEGER NOT NULL,
             prev_hash BLOB NOT NULL,
             payload BLOB NOT NULL,
             hash BLOB NOT NULL
         );",
    )?;
    Ok(conn)
}

fn sqlite_insert(conn: &Connection, header: &Header, payload: &[u8], hash: &Hash) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO entries (seq, version, recorded_at, payload_len, prev_hash, payload, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    insert.execute(params![
        header.seq as i64,
        header.version,
        header.recorded_at,
        header.payload_len,
        &header.prev_hash[..],
        payload,
        &hash[..]
    ])?;
    Ok(())
}

/// SQLite bulk import of the NDJSON file itself: each line parsed with
/// docket's parser and encoded to its canonical payload, as
/// [`crate::phases::write_payloads`] does for the other baselines, then
/// chained and inserted as [`sqlite`] does, on one thread. What an
/// engineer's importer into SQLite would do with the same file, with no
/// validation against the history, no index and no Merkle tree.
pub fn sqlite_json(w: &Workload, dir: &Path) -> Result<Metrics> {
    use std::io::BufRead;
    std::fs::create_dir_all(dir)?;
    let start = Instant::now();
    let mut conn = sqlite_open(&dir.join("log.sqlite"))?;
    let lines = std::io::BufReader::new(std::fs::File::open(w.events)?).lines();
    let payloads = (1u64..).zip(lines).map(|(number, line)| {
        canonical_payload(line?.as_bytes()).map_err(|e| anyhow!("line {number}: {e}"))
    });
    let stored = sqlite_import(&mut conn, payloads)?;
    let mut m = Metrics::new();
    m.insert(
        "sqlite_json_import_eps".into(),
        stored as f64 / start.elapsed().as_secs_f64(),
    );
    Ok(m)
}

/// Inserts `payloads` into `conn` as chained entries from seq 0, one
/// transaction per [`BATCH`]; returns how many.
fn sqlite_import(
    conn: &mut Connection,
    payloads: impl Iterator<Item = Result<Vec<u8>>>,
) -> Result<u64> {
    let mut payloads = payloads.peekable();
    let mut prev = [0u8; 32];
    let mut seq = 0u64;
    while payloads.peek().is_some() {
        let tx = conn.transaction()?;
        for payload in payloads.by_ref().take(BATCH) {
            let payload = payload?;
            let (header, bytes) = entry_bytes(seq, prev, &payload);
            let hash = entry_hash(&bytes);
            sqlite_insert(&tx, &header, &payload, &hash)?;
            prev = hash;
            seq += 1;
        }
        tx.commit()?;
    }
    Ok(seq)
}

/// SQLite bulk import (chained, batches of [`BATCH`]) then full verification.
pub fn sqlite(w: &Workload, dir: &Path) -> Result<Metrics> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("log.sqlite");
    let start = Instant::now();
    let mut conn = sqlite_open(&path)?;
    let mut seq = sqlite_import(&mut conn, Payloads::open(w.payloads)?.map(Ok))?;
    let import = start.elapsed().as_secs_f64();
    let mut m = Metrics::new();
    m.insert("sqlite_import_eps".into(), seq as f64 / import);
    m.insert("sqlite_import_peak".into(), peak_memory());
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")?;
    m.insert("sqlite_disk".into(), disk_usage(dir) as f64);

    let start = Instant::now();
    let mut prev = [0u8; 32];
    let mut checked = 0u64;
    {
        let mut select = conn.prepare(
            "SELECT seq, version, recorded_at, payload_len, prev_hash, payload, hash FROM entries ORDER BY seq",
        )?;
        let mut rows = select.query([])?;
        while let Some(row) = rows.next()? {
            let stored_prev: Vec<u8> = row.get(4)?;
            let payload: Vec<u8> = row.get(5)?;
            let hash: Vec<u8> = row.get(6)?;
            let header = Header {
                version: row.get(1)?,
                seq: row.get::<_, i64>(0)? as u64,
                recorded_at: row.get(2)?,
                payload_len: row.get(3)?,
                prev_hash: prev,
            };
            let mut hasher = blake3::Hasher::new_derive_key(docket_log::HASH_CONTEXT);
            hasher.update(&header.to_bytes());
            hasher.update(&payload);
            let computed = *hasher.finalize().as_bytes();
            if stored_prev != prev || hash != computed || header.seq != checked {
                bail!("SQLite chain broken at {checked}");
            }
            prev = computed;
            checked += 1;
        }
    }
    m.insert(
        "sqlite_verify_eps".into(),
        checked as f64 / start.elapsed().as_secs_f64(),
    );

    let mut samples = Vec::new();
    for _ in 0..100 {
        let payload = b"a single durable append of a short payload".to_vec();
        let begin = Instant::now();
        let (header, bytes) = entry_bytes(seq, prev, &payload);
        let hash = entry_hash(&bytes);
        let tx = conn.transaction()?;
        sqlite_insert(&tx, &header, &payload, &hash)?;
        tx.commit()?;
        samples.push(begin.elapsed().as_secs_f64() * 1e3);
        prev = hash;
        seq += 1;
    }
    m.insert(
        "sqlite_append_p50_ms".into(),
        percentile(&mut samples, 50.0),
    );
    m.insert(
        "sqlite_append_p99_ms".into(),
        percentile(&mut samples, 99.0),
    );
    Ok(m)
}

/// Entries per durable batch for raw sled: fewer than docket's [`BATCH`],
/// because a ceiling should be sled at its best. At 1M, batches of 8 192
/// stored 223 k/s and took 500 bytes an entry on disk, against 313 k/s
/// and 336 bytes with 1 000: a batch past sled's 512 KiB write buffer
/// takes a slower path.
const SLED_BATCH: usize = 1000;

/// Raw sled: the same entry bytes under 8-byte keys, durable batches of
/// [`SLED_BATCH`], then single durable inserts.
pub fn sled_raw(w: &Workload, dir: &Path) -> Result<Metrics> {
    let start = Instant::now();
    let db = sled::open(dir)?;
    let mut prev = [0u8; 32];
    let mut seq = 0u64;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    for payload in Payloads::open(w.payloads)? {
        let (_, bytes) = entry_bytes(seq, prev, &payload);
        prev = entry_hash(&bytes);
        batch.insert(&seq.to_be_bytes(), bytes);
        seq += 1;
        in_batch += 1;
        if in_batch == SLED_BATCH {
            db.apply_batch(std::mem::take(&mut batch))?;
            db.flush()?;
            in_batch = 0;
        }
    }
    db.apply_batch(batch)?;
    db.flush()?;
    let mut m = Metrics::new();
    m.insert(
        "sled_import_eps".into(),
        seq as f64 / start.elapsed().as_secs_f64(),
    );
    m.insert("sled_import_peak".into(), peak_memory());
    let mut samples = Vec::new();
    for _ in 0..100 {
        let payload = b"a single durable append of a short payload".to_vec();
        let begin = Instant::now();
        let (_, bytes) = entry_bytes(seq, prev, &payload);
        prev = entry_hash(&bytes);
        db.insert(seq.to_be_bytes(), bytes)?;
        db.flush()?;
        samples.push(begin.elapsed().as_secs_f64() * 1e3);
        seq += 1;
    }
    m.insert("sled_append_p50_ms".into(), percentile(&mut samples, 50.0));
    m.insert("sled_append_p99_ms".into(), percentile(&mut samples, 99.0));
    drop(db);
    m.insert("sled_disk".into(), disk_usage(dir) as f64);
    Ok(m)
}

/// The leaves of one subtree in [`tree_root_on_threads`] for `entries`
/// on `threads` threads: the largest power of two that still gives each
/// thread 64 subtrees, so that no thread has more than about 1/64 more
/// to hash than the average (with a fixed 4 096, 10 000 entries went
/// 8 192 to one thread and 1 808 to the other).
fn subtree_leaves(entries: usize, threads: usize) -> usize {
    let most = (entries / threads.max(1) / 64).max(1);
    1 << most.ilog2()
}

/// The Merkle root over the entry hashes of `entries`, computed as a verify
/// that checks the tree must: every entry hashed, its leaf, and every
/// interior node. The leaves are taken in subtrees of `subtree` (a power of
/// two), contiguous runs of which go to each of `threads` threads: every
/// subtree but the last is then a whole subtree of RFC 9162's tree, so the
/// subtrees' roots combine as leaves would.
fn tree_root_on_threads(entries: &[Vec<u8>], threads: usize, subtree: usize) -> Hash {
    debug_assert!(subtree.is_power_of_two(), "subtrees of {subtree} leaves");
    let subtrees: Vec<&[Vec<u8>]> = entries.chunks(subtree.max(1)).collect();
    let mut roots = vec![[0u8; 32]; subtrees.len()];
    let per_thread = subtrees.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        for (subtrees, roots) in subtrees
            .chunks(per_thread)
            .zip(roots.chunks_mut(per_thread))
        {
            scope.spawn(move || {
                for (entries, root) in subtrees.iter().zip(roots) {
                    let leaves: Vec<Hash> = entries
                        .iter()
                        .map(|bytes| Blake3Hasher.leaf(&entry_hash(bytes)))
                        .collect();
                    *root = merkle::root(&Blake3Hasher, &leaves);
                }
            });
        }
    });
    merkle::root(&Blake3Hasher, &roots)
}

/// The hashing ceiling: every entry hashed (header ‖ payload, docket's
/// `derive_key` context) on all cores, and the chain on one core; and, to
/// show what a verify's hashing costs at least, the same entries with the
/// Merkle tree over them on all cores.
pub fn blake3_ceiling(w: &Workload) -> Result<Metrics> {
    let entries: Vec<Vec<u8>> = Payloads::open(w.payloads)?
        .enumerate()
        .map(|(seq, payload)| entry_bytes(seq as u64, [0u8; 32], &payload).1)
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = entries.len().div_ceil(threads).max(1);
    let mut best_all = f64::MAX;
    let mut best_one = f64::MAX;
    let mut best_tree = f64::MAX;
    let subtree = subtree_leaves(entries.len(), threads);
    for _ in 0..3 {
        let start = Instant::now();
        std::hint::black_box(tree_root_on_threads(&entries, threads, subtree));
        best_tree = best_tree.min(start.elapsed().as_secs_f64());
        let start = Instant::now();
        std::thread::scope(|scope| {
            for part in entries.chunks(per) {
                scope.spawn(move || {
                    let mut acc = 0u8;
                    for bytes in part {
                        acc ^= entry_hash(bytes)[0];
                    }
                    std::hint::black_box(acc)
                });
            }
        });
        best_all = best_all.min(start.elapsed().as_secs_f64());
        let start = Instant::now();
        let mut prev = [0u8; 32];
        for bytes in &entries {
            let mut hasher = blake3::Hasher::new_derive_key(docket_log::HASH_CONTEXT);
            hasher.update(&bytes[..24]);
            hasher.update(&prev);
            hasher.update(&bytes[56..]);
            prev = *hasher.finalize().as_bytes();
        }
        std::hint::black_box(prev);
        best_one = best_one.min(start.elapsed().as_secs_f64());
    }
    let n = entries.len() as f64;
    let mut m = Metrics::new();
    m.insert("blake3_all_eps".into(), n / best_all);
    m.insert("blake3_chain_eps".into(), n / best_one);
    m.insert("blake3_tree_eps".into(), n / best_tree);
    m.insert(
        "entry_bytes".into(),
        entries.iter().map(|e| e.len() as f64).sum::<f64>(),
    );
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The root the baseline computes in subtrees on threads is the tree's
    /// root, whatever the size, the subtree and the threads: the baseline
    /// does all of the tree's hashing, no less.
    #[test]
    fn the_tree_baseline_computes_the_whole_trees_root() {
        let entries: Vec<Vec<u8>> = (0..40u64)
            .map(|seq| entry_bytes(seq, [0u8; 32], &seq.to_be_bytes()).1)
            .collect();
        for size in 0..=entries.len() {
            let leaves: Vec<Hash> = entries[..size]
                .iter()
                .map(|bytes| Blake3Hasher.leaf(&entry_hash(bytes)))
                .collect();
            let expected = merkle::root(&Blake3Hasher, &leaves);
            for subtree in [1, 2, 4, 8, 64] {
                for threads in [1, 2, 3] {
                    assert_eq!(
                        tree_root_on_threads(&entries[..size], threads, subtree),
                        expected,
                        "{size} entries, subtrees of {subtree}, {threads} threads"
                    );
                }
            }
        }
    }

    /// The SQLite importer of the JSON stores exactly the payloads the other
    /// baselines are given, chained: it does the same work on them.
    #[test]
    fn the_sqlite_importer_of_the_json_stores_the_canonical_payloads() {
        let dir = tempfile::tempdir().unwrap();
        let events = dir.path().join("events.ndjson");
        let payloads = dir.path().join("payloads.bin");
        crate::generate::generate(300, 7, &mut std::fs::File::create(&events).unwrap()).unwrap();
        crate::phases::write_payloads(&events, &payloads).unwrap();
        let w = Workload {
            events: &events,
            payloads: &payloads,
            count: 300,
            dispute: "",
            entity: "",
            middle_date: "",
            last_date: "",
        };
        let metrics = sqlite_json(&w, &dir.path().join("sqlite")).unwrap();
        assert!(metrics["sqlite_json_import_eps"] > 0.0);
        let conn = Connection::open(dir.path().join("sqlite/log.sqlite")).unwrap();
        let mut select = conn
            .prepare("SELECT seq, payload, prev_hash, hash FROM entries ORDER BY seq")
            .unwrap();
        // seq, payload, prev_hash, hash
        type Row = (i64, Vec<u8>, Vec<u8>, Vec<u8>);
        let rows: Vec<Row> = select
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let expected: Vec<Vec<u8>> = Payloads::open(&payloads).unwrap().collect();
        assert_eq!(rows.len(), 300);
        assert_eq!(rows.len(), expected.len());
        let mut prev = [0u8; 32];
        for ((seq, payload, stored_prev, hash), want) in rows.iter().zip(&expected) {
            assert_eq!(payload, want, "entry {seq}");
            assert_eq!(stored_prev[..], prev[..], "entry {seq}");
            let (_, bytes) = entry_bytes(*seq as u64, prev, want);
            prev = entry_hash(&bytes);
            assert_eq!(hash[..], prev[..], "entry {seq}");
        }
    }

    /// Subtrees are powers of two, small enough that each thread gets 64.
    #[test]
    fn subtrees_spread_the_leaves_evenly() {
        for (entries, threads, expected) in [
            (0, 2, 1),
            (100, 2, 1),
            (10_000, 2, 64),
            (1_000_000, 2, 4096),
            (1_000_000, 0, 8192),
        ] {
            assert_eq!(
                subtree_leaves(entries, threads),
                expected,
                "{entries}, {threads}"
            );
        }
    }
}
