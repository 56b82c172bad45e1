//! The parallel half of verification: reading the chunk records and
//! hashing them on worker threads, handed back in key order.
//!
//! Each stored entry carries its predecessor's hash, so hashing a chunk
//! needs nothing from the chunks before it: the workers split and hash
//! whole chunks (entry hashes, and the Merkle root of each full chunk),
//! and run the caller's `inspect` on every payload, while the calling
//! thread reads sled and does the cheap comparisons in order (`verify.rs`).
//! Workers also decompress the chunk values of layout-2 logs; layout-1
//! values are hashed in place, straight from sled's buffers. Nothing is
//! copied per entry.
//!
//! Batches go to the workers round-robin and come back on one channel per
//! worker, so the calling thread receives them in the order it read them
//! without a reorder buffer. At most [`DEPTH`] batches per worker are in
//! flight, which bounds memory whatever the log's size. When the caller
//! stops early, dropping the channels ends the workers.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use crate::Hash;
use crate::chunk::{Frame, frames};
use crate::codec::ChunkEncoding;
use crate::counted::Counted;
use crate::diagnose::Symptom;
use crate::entry::entry_hasher;
use crate::header::EntryError;
use crate::layout::{CHUNK_LEN, CHUNK_PREFIX, parse_chunk_key};
use crate::merkle::{Blake3Hasher, MerkleHasher, root};

/// Batches in flight per worker: enough that a worker never waits for the
/// reader while the reader is busy with one batch.
const DEPTH: usize = 2;

/// The most chunks (of 64 entries) in one batch: large enough that the
/// channel traffic is negligible, small enough that progress stays smooth.
const MAX_BATCH: usize = 16;

/// One chunk record, split into entries and hashed.
pub(crate) struct HashedChunk<T> {
    /// The chunk number, from its key.
    pub chunk: u64,
    /// The entries that frame, in order, with their hashes.
    pub entries: Vec<(Frame, Hash)>,
    /// The offset and error of the first position that does not frame.
    pub failure: Option<(usize, EntryError)>,
    /// The Merkle root over the entries' leaves, when the chunk frames as
    /// exactly [`CHUNK_LEN`] entries and nothing else.
    pub root: Option<Hash>,
    /// What `inspect` said of each entry in `entries`, given the seq field
    /// of its header (not yet checked) and its payload.
    pub inspected: Vec<T>,
    /// Why the chunk value could not be decoded, if it could not (then
    /// `entries` is empty).
    pub unreadable: Option<String>,
}

/// Decodes, splits and hashes one chunk value. Pure: it knows nothing of
/// the chain.
fn hash_chunk<T>(
    chunk: u64,
    value: sled::IVec,
    encoding: ChunkEncoding,
    hasher: &mut blake3::Hasher,
    inspect: &(dyn Fn(u64, &[u8]) -> T + Sync),
) -> HashedChunk<T> {
    let value = match encoding.decode(value) {
        Ok(value) => value,
        Err(reason) => {
            return HashedChunk {
                chunk,
                entries: Vec::new(),
                failure: None,
                root: None,
                inspected: Vec::new(),
                unreadable: Some(reason),
            };
        }
    };
    let value = &*value;
    let mut entries = Vec::with_capacity(CHUNK_LEN as usize);
    let mut failure = None;
    for frame in frames(value) {
        match frame {
            Ok(frame) => {
                hasher.reset();
                hasher.update(frame.bytes(value));
                entries.push((frame, *hasher.finalize().as_bytes()));
            }
            Err(e) => failure = Some(e),
        }
    }
    let root = (failure.is_none() && entries.len() as u64 == CHUNK_LEN).then(|| {
        let leaves: Vec<Hash> = entries.iter().map(|(_, h)| Blake3Hasher.leaf(h)).collect();
        root(&Blake3Hasher, &leaves)
    });
    let inspected = entries
        .iter()
        .map(|(frame, _)| inspect(frame.header.seq, frame.payload(value)))
        .collect();
    HashedChunk {
        chunk,
        entries,
        failure,
        root,
        inspected,
        unreadable: None,
    }
}

/// Reads up to `n` chunk records. A record that cannot be a chunk (or a
/// storage failure) ends the reading: it is stored in `end`, to be
/// reported once every chunk before it has been walked.
fn read_batch(
    scan: &mut Counted<'_>,
    n: usize,
    end: &mut Option<Symptom>,
) -> Vec<(u64, sled::IVec)> {
    let mut batch = Vec::with_capacity(n);
    while end.is_none() && batch.len() < n {
        let Some(item) = scan.next() else { break };
        match item {
            Err(e) => *end = Some(Symptom::Storage(e.to_string())),
            Ok((key, value)) => match parse_chunk_key(&key) {
                None => *end = Some(Symptom::StrayKey(key.to_vec())),
                Some(chunk) if value.is_empty() => *end = Some(Symptom::EmptyChunk(chunk)),
                Some(chunk) => batch.push((chunk, value)),
            },
        }
    }
    batch
}

/// What a worker is sent: chunks to hash, and its own results of an
/// earlier batch, walked and done with, to drop. What `inspect` returns
/// (the ledger's decoded events) is freed by the thread that allocated it:
/// glibc's allocator makes frees from another thread contend for the
/// allocating thread's arena, which cost the walking thread ~15%.
struct Work<T> {
    chunks: Vec<(u64, sled::IVec)>,
    spent: Vec<HashedChunk<T>>,
}

/// One worker: its input and output channels, as seen by the reader, and
/// its last results once walked.
struct Lane<T> {
    input: SyncSender<Work<T>>,
    output: Receiver<Vec<HashedChunk<T>>>,
    spent: Vec<HashedChunk<T>>,
}

/// Reads every chunk record in key order, hashes it (on `workers`
/// threads; on the calling thread if `workers` is 0) and hands it to
/// `each`, in key order, on the calling thread. Stops at the first
/// symptom `each` returns, or that reading finds after the last chunk
/// handed over. `expected_chunks` only sizes the batches.
pub(crate) fn walk_chunks<T: Send>(
    db: &sled::Db,
    encoding: ChunkEncoding,
    workers: usize,
    expected_chunks: u64,
    inspect: &(dyn Fn(u64, &[u8]) -> T + Sync),
    each: &mut dyn FnMut(&mut HashedChunk<T>) -> Option<Symptom>,
) -> Option<Symptom> {
    let mut scan = Counted::new(db, db.scan_prefix([CHUNK_PREFIX]));
    let mut end = None;
    if workers == 0 {
        return walk_here(&mut scan, &mut end, encoding, inspect, each);
    }
    // Several batches per worker even for small logs, so that every
    // worker takes part (and the tests exercise the ordering).
    let per_batch = usize::try_from(expected_chunks / (workers * DEPTH * 2) as u64)
        .unwrap_or(MAX_BATCH)
        .clamp(1, MAX_BATCH);
    thread::scope(|scope| {
        let mut lanes: Vec<Lane<T>> = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (input, batches) = sync_channel::<Work<T>>(DEPTH);
            let (results, output) = sync_channel(DEPTH);
            let spawned = thread::Builder::new()
                .name("docket-verify".to_owned())
                .spawn_scoped(scope, move || {
                    let mut hasher = entry_hasher();
                    for Work { chunks, spent } in batches {
                        drop(spent);
                        let hashed: Vec<HashedChunk<T>> = chunks
                            .into_iter()
                            .map(|(chunk, value)| {
                                hash_chunk(chunk, value, encoding, &mut hasher, inspect)
                            })
                            .collect();
                        if results.send(hashed).is_err() {
                            break;
                        }
                    }
                });
            // Out of threads: do with those there are, or none.
            if spawned.is_err() {
                break;
            }
            lanes.push(Lane {
                input,
                output,
                spent: Vec::new(),
            });
        }
        if lanes.is_empty() {
            return walk_here(&mut scan, &mut end, encoding, inspect, each);
        }
        let workers = lanes.len();
        let (mut sent, mut received) = (0usize, 0usize);
        let mut exhausted = false;
        loop {
            while !exhausted && sent - received < workers * DEPTH {
                let chunks = read_batch(&mut scan, per_batch, &mut end);
                if chunks.is_empty() {
                    exhausted = true;
                    break;
                }
                let lane = &mut lanes[sent % workers];
                let spent = std::mem::take(&mut lane.spent);
                // A worker only hangs up by panicking, which the scope
                // re-raises: stop feeding it.
                if lane.input.send(Work { chunks, spent }).is_err() {
                    exhausted = true;
                    break;
                }
                sent += 1;
                exhausted = end.is_some();
            }
            if received == sent {
                return end;
            }
            let lane = &mut lanes[received % workers];
            let Ok(batch) = lane.output.recv() else {
                return end;
            };
            received += 1;
            let mut batch = batch;
            for hashed in &mut batch {
                if let Some(symptom) = each(hashed) {
                    return Some(symptom);
                }
            }
            lane.spent = batch;
        }
        // Returning drops `lanes`: the workers see their input end, or
        // fail to send, and stop before the scope joins them.
    })
}

/// [`walk_chunks`] without workers: each chunk is hashed on the calling
/// thread as it is read.
fn walk_here<T>(
    scan: &mut Counted<'_>,
    end: &mut Option<Symptom>,
    encoding: ChunkEncoding,
    inspect: &(dyn Fn(u64, &[u8]) -> T + Sync),
    each: &mut dyn FnMut(&mut HashedChunk<T>) -> Option<Symptom>,
) -> Option<Symptom> {
    let mut hasher = entry_hasher();
    loop {
        let batch = read_batch(scan, 1, end);
        if batch.is_empty() {
            return end.take();
        }
        for (chunk, value) in batch {
            let mut hashed = hash_chunk(chunk, value, encoding, &mut hasher, inspect);
            if let Some(symptom) = each(&mut hashed) {
                return Some(symptom);
            }
        }
    }
}

/// How many worker threads verification uses: one per core the process
/// may use, or none (hash on the calling thread) on a single core, where
/// the hand-over would only cost.
pub(crate) fn default_workers() -> usize {
    match thread::available_parallelism().map_or(1, |n| n.get()) {
        1 => 0,
        n => n.min(16),
    }
}
