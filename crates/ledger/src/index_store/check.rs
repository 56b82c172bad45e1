//! Verify's check of the stored index against what the entries call for.

use std::borrow::Cow;
use std::collections::BTreeMap;

use foldhash::HashMap;

use docket_log::Log;

use super::{IndexStore, terms_by_bucket};
use crate::ReadError;

/// What [`IndexStore::check_ids`] found.
pub(crate) struct IdFindings {
    /// Entries the index does not list under their id.
    pub missing: Vec<u64>,
    /// Runs of two or more entries whose ids hash alike, each in seq
    /// order: the same id held more than once, unless the hashes collide.
    pub same_hash: Vec<Vec<u64>>,
}

impl IndexStore {
    /// Compares the id index with the ids the entries hold (`(id_hash(id),
    /// seq)` for every entry, sorted here in place rather than copied: a
    /// million of them are 16 MB): which entries it does not list under
    /// their id, and which pairs of entries have ids with the same hash
    /// (the same id, unless the hashes collide: the caller compares the
    /// ids).
    pub(crate) fn check_ids(
        &mut self,
        log: &Log,
        held: &mut [(u64, u64)],
    ) -> Result<IdFindings, ReadError> {
        held.sort_unstable();
        let mut listed: Vec<(u64, u64)> = Vec::with_capacity(held.len());
        if self.stored.is_some() {
            for bucket in self.buckets().all() {
                // Not kept: at ten million entries that would be 160 MB.
                match self.id_buckets.get(&bucket) {
                    Some(cached) => listed.extend(cached),
                    None => listed.extend(self.load_id_bucket(log, bucket)?),
                }
            }
        }
        listed.extend(self.pending_ids.values().flatten());
        listed.sort_unstable();
        // Both sorted: one walk along the two finds what is not listed.
        let mut missing = Vec::new();
        let mut at = 0;
        for pair in held.iter() {
            while listed.get(at).is_some_and(|l| l < pair) {
                at += 1;
            }
            if listed.get(at) != Some(pair) {
                missing.push(pair.1);
            }
        }
        // Whole runs, not neighbouring pairs: in a run X, Y, X (Y's id
        // colliding with X's) the two X are not neighbours.
        let same_hash = held
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
            .map(|run| run.iter().map(|(_, seq)| *seq).collect())
            .collect();
        Ok(IdFindings { missing, same_hash })
    }

    /// Compares the term postings of entries below `below` with `expected`
    /// (every term and the seqs that should be under it, as recomputed from
    /// those entries): the first difference, as the seq concerned and the
    /// term.
    pub(crate) fn check_terms(
        &mut self,
        log: &Log,
        expected: &HashMap<Vec<u8>, Vec<u64>>,
        below: u64,
    ) -> Result<Option<(u64, String)>, ReadError> {
        let buckets = self.buckets();
        let mut expected_by_bucket = terms_by_bucket(expected, buckets);
        let mut pending_by_bucket = terms_by_bucket(&self.pending_terms, buckets);
        let mut first: Option<(u64, String)> = None;
        for bucket in buckets.all() {
            let mut listed = self.load_term_bucket(log, bucket)?;
            for (term, seqs) in pending_by_bucket.remove(&bucket).unwrap_or_default() {
                listed.entry(term.clone()).or_default().extend(seqs);
            }
            let want: BTreeMap<&[u8], &[u64]> = expected_by_bucket
                .remove(&bucket)
                .unwrap_or_default()
                .into_iter()
                .map(|(term, seqs)| (term.as_slice(), seqs.as_slice()))
                .collect();
            let mut judge = |term: &[u8], listed: &[u64], want: &[u64]| {
                let (a, b) = (below_in_order(listed, below), below_in_order(want, below));
                if a == b {
                    return;
                }
                let differs = a
                    .iter()
                    .zip(b.iter())
                    .find(|(x, y)| x != y)
                    .map(|(x, y)| *x.min(y))
                    .or_else(|| a.get(b.len()).or_else(|| b.get(a.len())).copied())
                    .unwrap_or(0);
                if first.as_ref().is_none_or(|(seq, _)| differs < *seq) {
                    first = Some((differs, String::from_utf8_lossy(term).into_owned()));
                }
            };
            for (term, seqs) in &listed {
                judge(
                    term,
                    seqs,
                    want.get(term.as_slice()).copied().unwrap_or(&[]),
                );
            }
            for (term, seqs) in &want {
                if !listed.contains_key(*term) {
                    judge(term, &[], seqs);
                }
            }
        }
        Ok(first)
    }
}

/// The seqs below `below`, ascending: `seqs` itself when it already is
/// (stored postings are, and entries appended since the caller read the
/// log, another thread's, are rare), else a sorted copy. Entries from
/// `below` on are not the caller's to judge.
fn below_in_order(seqs: &[u64], below: u64) -> Cow<'_, [u64]> {
    if seqs.is_sorted() && seqs.last().is_none_or(|&last| last < below) {
        return Cow::Borrowed(seqs);
    }
    let mut within: Vec<u64> = seqs.iter().copied().filter(|&seq| seq < below).collect();
    within.sort_unstable();
    Cow::Owned(within)
}
