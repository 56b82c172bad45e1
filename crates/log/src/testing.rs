//! **For tests only.** Deliberately damages the stored bytes of a log so
//! that tests (this crate's, the ledger's, the CLI's) can check that
//! verification notices. Nothing here is part of the supported API and
//! nothing here updates the head record or the Merkle nodes.
//!
//! Entries are addressed by their position in storage order, which is
//! their seq as long as the log is intact. Damage is visible at once
//! through the same `Log`; call [`crate::Log::flush`] to persist it.
//!
//! Every write here empties the log's cache of decoded chunks afterwards,
//! since these are the only writes that change a full chunk.
//!
//! A chunk's *contents* are its concatenated entries; its *stored value*
//! is what sled holds (the contents themselves in layout 1, a zstd frame
//! of them in layout 2). The functions that take or return contents
//! decode and encode in the log's own layout, so that a test damages the
//! entries the same way in either layout.

use std::path::Path;

use crate::Log;
use crate::chunk::frames;
use crate::codec::ChunkEncoding;
use crate::entry::Head;
use crate::layout::{
    CHUNK_LEN, CHUNK_PREFIX, HEAD_KEY, MARKER_KEY, NODE_PREFIX, chunk_key, encode_head,
    marker_value, parse_chunk_key,
};

/// The stored entries, grouped by chunk number, in storage order.
type Layout = Vec<(u64, Vec<Vec<u8>>)>;

fn storage(e: sled::Error) -> String {
    e.to_string()
}

/// Every chunk's stored value, with its chunk number, in key order.
pub fn raw_chunk_values(log: &Log) -> Result<Vec<(u64, Vec<u8>)>, String> {
    let mut out = Vec::new();
    for item in log.db().scan_prefix([CHUNK_PREFIX]) {
        let (key, value) = item.map_err(storage)?;
        let chunk = parse_chunk_key(&key).ok_or("stray key in the chunk namespace")?;
        out.push((chunk, value.to_vec()));
    }
    Ok(out)
}

/// Every chunk's contents, with its chunk number, in key order.
pub fn raw_chunks(log: &Log) -> Result<Vec<(u64, Vec<u8>)>, String> {
    let mut out = Vec::new();
    for (chunk, value) in raw_chunk_values(log)? {
        let contents = log
            .encoding()
            .decode(value.into())
            .map_err(|e| format!("chunk {chunk} is already unreadable: {e}"))?;
        out.push((chunk, contents.to_vec()));
    }
    Ok(out)
}

/// Replaces (or creates) chunk `chunk`, with the given contents encoded in
/// the log's layout.
pub fn put_chunk(log: &Log, chunk: u64, contents: &[u8]) -> Result<(), String> {
    let value = log
        .encoding()
        .encode(contents.to_vec())
        .map_err(|e| e.to_string())?;
    put_chunk_value(log, chunk, &value)
}

/// Replaces (or creates) the stored value of chunk `chunk`, as given.
pub fn put_chunk_value(log: &Log, chunk: u64, value: &[u8]) -> Result<(), String> {
    let written = log.db().insert(chunk_key(chunk), value);
    log.chunk_cache().clear();
    written.map(|_| ()).map_err(storage)
}

/// The layout version of an open log.
pub fn layout_of(log: &Log) -> u32 {
    log.encoding().layout()
}

/// Creates an empty log in layout 1, as builds before layout 2 did (sled's
/// own compression on, chunks stored as they are), and opens it.
pub fn create_layout_1(path: &Path) -> Result<Log, String> {
    {
        let db = sled::Config::new()
            .path(path)
            .use_compression(true)
            .compression_factor(1)
            .open()
            .map_err(storage)?;
        db.insert(MARKER_KEY, &marker_value(ChunkEncoding::Plain)[..])
            .map_err(storage)?;
        db.insert(HEAD_KEY, &encode_head(&Head::EMPTY)[..])
            .map_err(storage)?;
        db.flush().map_err(storage)?;
    }
    Log::open(path).map_err(|e| e.to_string())
}

/// Deletes chunk `chunk`.
pub fn remove_chunk(log: &Log, chunk: u64) -> Result<(), String> {
    let removed = log.db().remove(chunk_key(chunk));
    log.chunk_cache().clear();
    removed.map(|_| ()).map_err(storage)
}

/// Writes any key of the underlying tree.
pub fn put_raw(log: &Log, key: &[u8], value: &[u8]) -> Result<(), String> {
    let written = log.db().insert(key, value);
    log.chunk_cache().clear();
    written.map(|_| ()).map_err(storage)
}

/// Reads any key of the underlying tree.
pub fn get_raw(log: &Log, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
    log.db()
        .get(key)
        .map(|v| v.map(|v| v.to_vec()))
        .map_err(storage)
}

/// A raw key and its value.
pub type Record = (Vec<u8>, Vec<u8>);

/// Deletes any key of the underlying tree.
pub fn remove_raw(log: &Log, key: &[u8]) -> Result<(), String> {
    let removed = log.db().remove(key);
    log.chunk_cache().clear();
    removed.map(|_| ()).map_err(storage)
}

/// Every stored Merkle node record (`"N"` keys), as raw key and value, in
/// key order.
pub fn raw_nodes(log: &Log) -> Result<Vec<Record>, String> {
    log.db()
        .scan_prefix([NODE_PREFIX])
        .map(|item| item.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(storage))
        .collect()
}

/// The key of the stored Merkle node `(level, index)`.
pub fn node_key(level: u8, index: u64) -> Vec<u8> {
    crate::layout::node_key(level, index).to_vec()
}

/// Overwrites the stored head record (the cached head of `log` is kept).
pub fn put_head(log: &Log, head: &Head) -> Result<(), String> {
    put_raw(log, HEAD_KEY, &encode_head(head))
}

fn load(log: &Log) -> Result<Layout, String> {
    let mut layout = Vec::new();
    for (chunk, value) in raw_chunks(log)? {
        let mut entries = Vec::new();
        for frame in frames(&value) {
            let frame = frame.map_err(|(offset, e)| {
                format!("chunk {chunk} is already undecodable at {offset}: {e}")
            })?;
            entries.push(frame.bytes(&value).to_vec());
        }
        layout.push((chunk, entries));
    }
    Ok(layout)
}

fn store(log: &Log, layout: &Layout) -> Result<(), String> {
    for (chunk, _) in raw_chunks(log)? {
        remove_chunk(log, chunk)?;
    }
    for (chunk, entries) in layout {
        if !entries.is_empty() {
            put_chunk(log, *chunk, &entries.concat())?;
        }
    }
    Ok(())
}

/// Regroups `entries` into chunks of the given sizes (the last group takes
/// whatever is left).
fn regroup(entries: Vec<Vec<u8>>, layout: &Layout) -> Layout {
    let mut rest = entries.into_iter();
    let mut out = Vec::new();
    for (chunk, old) in layout {
        out.push((*chunk, rest.by_ref().take(old.len()).collect::<Vec<_>>()));
    }
    let left: Vec<_> = rest.collect();
    if !left.is_empty() {
        let next = layout.last().map_or(0, |(c, _)| c + 1);
        out.push((next, left));
    }
    out
}

fn position(layout: &Layout, seq: u64) -> Result<(usize, usize), String> {
    let mut left = seq;
    for (i, (_, entries)) in layout.iter().enumerate() {
        let n = entries.len() as u64;
        if left < n {
            return Ok((i, left as usize));
        }
        left -= n;
    }
    Err(format!("no entry {seq} in storage"))
}

/// Where entry `seq` is stored: (chunk, offset in the chunk, length).
pub fn locate(log: &Log, seq: u64) -> Result<(u64, usize, usize), String> {
    let layout = load(log)?;
    let (g, i) = position(&layout, seq)?;
    let (chunk, entries) = &layout[g];
    let offset = entries[..i].iter().map(Vec::len).sum();
    Ok((*chunk, offset, entries[i].len()))
}

/// XORs byte `offset` (counted from the start of the entry's header) of
/// entry `seq` with `mask`.
pub fn xor_byte(log: &Log, seq: u64, offset: usize, mask: u8) -> Result<(), String> {
    let mut layout = load(log)?;
    let (g, i) = position(&layout, seq)?;
    let byte = layout[g]
        .1
        .get_mut(i)
        .and_then(|e| e.get_mut(offset))
        .ok_or_else(|| format!("entry {seq} has no byte {offset}"))?;
    *byte ^= mask;
    store(log, &layout)
}

/// Splices the bytes of entry `seq` out of its chunk; later chunks keep
/// their contents.
pub fn delete_entry(log: &Log, seq: u64) -> Result<(), String> {
    let mut layout = load(log)?;
    let (g, i) = position(&layout, seq)?;
    layout[g].1.remove(i);
    store(log, &layout)
}

/// Removes entry `seq` and moves every later entry one place up, so that
/// all chunks but the last are full again.
pub fn delete_and_shift(log: &Log, seq: u64) -> Result<(), String> {
    let layout = load(log)?;
    let mut all: Vec<Vec<u8>> = layout.into_iter().flat_map(|(_, e)| e).collect();
    let i = usize::try_from(seq).map_err(|e| e.to_string())?;
    if i >= all.len() {
        return Err(format!("no entry {seq} in storage"));
    }
    all.remove(i);
    let mut out = Vec::new();
    let mut chunk = 0;
    let mut rest = all.into_iter().peekable();
    while rest.peek().is_some() {
        out.push((chunk, rest.by_ref().take(CHUNK_LEN as usize).collect()));
        chunk += 1;
    }
    store(log, &out)
}

/// Swaps the stored bytes of entries `a` and `b`; every chunk keeps its
/// number of entries.
pub fn swap_entries(log: &Log, a: u64, b: u64) -> Result<(), String> {
    let layout = load(log)?;
    let mut all: Vec<Vec<u8>> = layout.iter().flat_map(|(_, e)| e.clone()).collect();
    let (ia, ib) = (
        usize::try_from(a).map_err(|e| e.to_string())?,
        usize::try_from(b).map_err(|e| e.to_string())?,
    );
    if ia >= all.len() || ib >= all.len() {
        return Err(format!("cannot swap {a} and {b}: out of range"));
    }
    all.swap(ia, ib);
    store(log, &regroup(all, &layout))
}

/// Removes the last `k` entries from storage without touching the head
/// record, as a careless or malicious truncation would.
pub fn truncate_tail(log: &Log, k: u64) -> Result<(), String> {
    let layout = load(log)?;
    let mut all: Vec<Vec<u8>> = layout.iter().flat_map(|(_, e)| e.clone()).collect();
    let keep = all
        .len()
        .checked_sub(usize::try_from(k).map_err(|e| e.to_string())?)
        .ok_or_else(|| format!("cannot truncate {k} entries: too few stored"))?;
    all.truncate(keep);
    store(log, &regroup(all, &layout))
}
