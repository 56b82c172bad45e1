//! Which bucket of the index a hash falls in, as the ledger grows.
//!
//! A bucket is the range of 64-bit hashes that share a prefix: bucket
//! `(level, prefix)` holds the hashes whose top `level` bits are `prefix`.
//! With a fixed number of buckets, every bucket grew with the ledger, and
//! an append, which rewrites the buckets its event touches, wrote some
//! 130 KB of them at ten million entries, and took twice as long as at one
//! million.
//! So the number of buckets grows with the entries the index covers, one
//! bucket at a time (linear hashing): of `2^level + split` buckets, the
//! first `split` prefixes of `level` bits are each split into two buckets
//! of `level + 1` bits, and the other prefixes are whole buckets. Growing
//! by one bucket splits one bucket in two, so an append splits at most one
//! bucket every [`ENTRIES_PER_BUCKET`] entries it adds, and more buckets
//! always refine fewer: each bucket lies within one bucket of any smaller
//! count, which is what a flush splits to reach it.

use std::fmt;

/// Entries the index covers per bucket of each kind, as it grows: at 256
/// an id bucket holds about 4 KB, which is what the fixed buckets held at
/// a million entries.
pub(crate) const ENTRIES_PER_BUCKET: u64 = 256;
/// The fewest buckets: `2^MIN_LEVEL` of each kind.
const MIN_LEVEL: u8 = 4;
/// The most: prefixes of up to 32 bits, so `2^31` whole buckets split up
/// to `2^32 − 1` buckets, each of them at least 2^32 hashes wide.
const MAX_LEVEL: u8 = 31;

/// One bucket: the hashes whose top `level` bits are `prefix`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Bucket {
    level: u8,
    prefix: u32,
}

impl Bucket {
    /// The lowest hash in the bucket.
    fn first(self) -> u64 {
        u64::from(self.prefix) << (64 - u32::from(self.level))
    }

    /// The highest hash in the bucket.
    fn last(self) -> u64 {
        self.first() | (u64::MAX >> self.level)
    }

    /// The lowest and highest hash in the bucket.
    pub(crate) fn hashes(self) -> (u64, u64) {
        (self.first(), self.last())
    }

    /// The record name of this bucket of `kind`: `kind ‖ level (u8) ‖
    /// prefix (u32 BE)`.
    pub(crate) fn name(self, kind: &[u8]) -> Vec<u8> {
        let mut name = Vec::with_capacity(kind.len() + 5);
        name.extend_from_slice(kind);
        name.push(self.level);
        name.extend_from_slice(&self.prefix.to_be_bytes());
        name
    }
}

impl fmt::Display for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.level, self.prefix)
    }
}

/// How many buckets there are, and so which bucket each hash falls in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Buckets {
    level: u8,
    split: u32,
}

impl Buckets {
    /// The buckets of an index that covers nothing yet.
    pub(crate) const FEWEST: Buckets = Buckets {
        level: MIN_LEVEL,
        split: 0,
    };

    /// `2^level + split` buckets, if that is a count an index may have.
    pub(crate) fn new(level: u8, split: u32) -> Option<Buckets> {
        let valid = (MIN_LEVEL..=MAX_LEVEL).contains(&level) && u64::from(split) < 1 << level;
        valid.then_some(Buckets { level, split })
    }

    /// The level and split that [`Buckets::new`] takes back.
    pub(crate) fn parts(self) -> (u8, u32) {
        (self.level, self.split)
    }

    /// How many buckets of each kind there are.
    pub(crate) fn count(self) -> u64 {
        (1u64 << self.level) + u64::from(self.split)
    }

    /// `count` buckets, within the fewest and the most there may be.
    fn with_count(count: u64) -> Buckets {
        let count = count.clamp(1 << MIN_LEVEL, (1 << (MAX_LEVEL + 1)) - 1);
        let level = count.ilog2();
        Buckets {
            // Both fit: the clamp bounds the level by MAX_LEVEL, and the
            // split is below 2^level.
            level: level as u8,
            split: (count - (1 << level)) as u32,
        }
    }

    /// The buckets for an index that covers `entries` entries: these, or
    /// more of them once there are more than [`ENTRIES_PER_BUCKET`]
    /// entries a bucket. Never fewer, so that a flush only ever splits.
    pub(crate) fn grown_for(self, entries: u64) -> Buckets {
        let wanted = entries.div_ceil(ENTRIES_PER_BUCKET);
        if wanted > self.count() {
            Buckets::with_count(wanted)
        } else {
            self
        }
    }

    /// The bucket `hash` falls in.
    pub(crate) fn bucket_of(self, hash: u64) -> Bucket {
        let prefix = hash >> (64 - u32::from(self.level));
        if prefix < u64::from(self.split) {
            Bucket {
                level: self.level + 1,
                // At most 32 bits: the level is at most 31.
                prefix: (hash >> (63 - u32::from(self.level))) as u32,
            }
        } else {
            Bucket {
                level: self.level,
                prefix: prefix as u32,
            }
        }
    }

    /// Whether `bucket` is one of these buckets.
    pub(crate) fn holds(self, bucket: Bucket) -> bool {
        self.bucket_of(bucket.first()) == bucket
    }

    /// Every bucket, in hash order.
    pub(crate) fn all(self) -> impl Iterator<Item = Bucket> {
        self.between(0, u64::MAX)
    }

    /// The buckets within `outer` (a bucket of fewer buckets than these,
    /// or of these), in hash order.
    pub(crate) fn within(self, outer: Bucket) -> impl Iterator<Item = Bucket> {
        self.between(outer.first(), outer.last())
    }

    /// The buckets from the one `first` falls in to the one `last` falls
    /// in, in hash order (`first` and `last` bound buckets of these, or
    /// of fewer buckets, so no bucket sticks out).
    fn between(self, first: u64, last: u64) -> impl Iterator<Item = Bucket> {
        std::iter::successors(Some(self.bucket_of(first)), move |bucket| {
            let next = bucket.last().checked_add(1)?;
            (next <= last).then(|| self.bucket_of(next))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_hash_falls_in_exactly_one_bucket_listed_in_hash_order() {
        for count in [16u64, 17, 23, 31, 32, 33, 100] {
            let buckets = Buckets::with_count(count);
            assert_eq!(buckets.count(), count);
            let all: Vec<Bucket> = buckets.all().collect();
            assert_eq!(all.len() as u64, count);
            // Contiguous ranges from 0 to the top, each its own bucket.
            assert_eq!(all[0].first(), 0);
            assert_eq!(all.last().map(|b| b.last()), Some(u64::MAX));
            for pair in all.windows(2) {
                assert_eq!(pair[0].last() + 1, pair[1].first());
            }
            for bucket in &all {
                assert!(buckets.holds(*bucket));
                assert_eq!(buckets.bucket_of(bucket.first()), *bucket);
                assert_eq!(buckets.bucket_of(bucket.last()), *bucket);
            }
        }
    }

    #[test]
    fn more_buckets_refine_fewer() {
        for (fewer, more) in [(16u64, 17u64), (17, 40), (20, 32), (31, 33), (16, 100)] {
            let (fewer, more) = (Buckets::with_count(fewer), Buckets::with_count(more));
            let mut listed = 0;
            for outer in fewer.all() {
                for inner in more.within(outer) {
                    assert!(more.holds(inner));
                    assert!(outer.first() <= inner.first() && inner.last() <= outer.last());
                    listed += 1;
                }
            }
            assert_eq!(listed, more.count(), "each bucket within exactly one");
        }
    }

    #[test]
    fn buckets_grow_with_the_entries_and_never_shrink() {
        let fewest = Buckets::FEWEST;
        assert_eq!(fewest.count(), 16);
        assert_eq!(fewest.grown_for(0), fewest);
        assert_eq!(fewest.grown_for(16 * ENTRIES_PER_BUCKET), fewest);
        assert_eq!(fewest.grown_for(16 * ENTRIES_PER_BUCKET + 1).count(), 17);
        let million = fewest.grown_for(1_000_000);
        assert_eq!(million.count(), 3907);
        assert_eq!(million.grown_for(10), million, "never fewer");
        // One more bucket every ENTRIES_PER_BUCKET entries.
        assert_eq!(million.grown_for(1_000_001).count(), 3907);
        assert_eq!(million.grown_for(1_000_193).count(), 3908);
        let most = fewest.grown_for(u64::MAX);
        assert_eq!(most.count(), (1 << 32) - 1);
        assert!(most.all().next().is_some());
        assert_eq!(most.bucket_of(u64::MAX).last(), u64::MAX);
    }

    #[test]
    fn only_counts_an_index_may_have_are_accepted() {
        assert_eq!(Buckets::new(4, 0), Some(Buckets::FEWEST));
        assert_eq!(Buckets::new(4, 15).map(Buckets::count), Some(31));
        assert_eq!(Buckets::new(4, 16), None);
        assert_eq!(Buckets::new(3, 0), None);
        assert_eq!(Buckets::new(32, 0), None);
        assert!(Buckets::new(31, u32::MAX >> 1).is_some());
        let (level, split) = Buckets::with_count(40).parts();
        assert_eq!(Buckets::new(level, split), Some(Buckets::with_count(40)));
    }

    #[test]
    fn names_carry_level_and_prefix() {
        let bucket = Buckets::with_count(17).bucket_of(0);
        assert_eq!(
            bucket,
            Bucket {
                level: 5,
                prefix: 0
            }
        );
        assert_eq!(bucket.name(b"ix/i"), b"ix/i\x05\x00\x00\x00\x00");
        let top = Buckets::FEWEST.bucket_of(u64::MAX);
        assert_eq!(top.name(b"ix/t"), b"ix/t\x04\x00\x00\x00\x0f");
        assert_eq!(top.to_string(), "4:15");
    }
}
