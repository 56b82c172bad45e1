//! [`SlugMap`]: values by slug, found by hash and listed in slug order, for
//! the projections.
//!
//! A `BTreeMap<Slug, _>` compares strings at every level of every lookup,
//! and replay looks a dispute or an entity up several times per event; a
//! hash lookup compares once. The slug order that iteration, equality and
//! the stored bytes need is kept beside it, touched only when a value is
//! added. It lives here because the projections depend on docket-model
//! alone, never on each other.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use crate::Slug;
use bincode::de::{BorrowDecoder, Decoder};
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{BorrowDecode, Decode, Encode};

/// Values by slug. Equality, iteration, `Debug` and the bincode encoding
/// are those of a `BTreeMap<Slug, T>` with the same entries.
#[derive(Clone)]
pub struct SlugMap<T> {
    /// The values, in the order they were added.
    values: Vec<T>,
    /// Where each slug's value is in `values`.
    positions: HashMap<Slug, usize, foldhash::fast::RandomState>,
    /// The same positions, in slug order.
    sorted: BTreeMap<Slug, usize>,
}

impl<T> Default for SlugMap<T> {
    fn default() -> Self {
        SlugMap {
            values: Vec::new(),
            positions: HashMap::default(),
            sorted: BTreeMap::new(),
        }
    }
}

impl<T> SlugMap<T> {
    /// The value of `slug`, if any.
    pub fn get<Q: Hash + Eq + ?Sized>(&self, slug: &Q) -> Option<&T>
    where
        Slug: Borrow<Q>,
    {
        self.positions.get(slug).and_then(|&i| self.values.get(i))
    }

    /// The value of `slug`, if any, to change.
    pub fn get_mut<Q: Hash + Eq + ?Sized>(&mut self, slug: &Q) -> Option<&mut T>
    where
        Slug: Borrow<Q>,
    {
        self.positions
            .get(slug)
            .and_then(|&i| self.values.get_mut(i))
    }

    /// Whether `slug` has a value.
    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, slug: &Q) -> bool
    where
        Slug: Borrow<Q>,
    {
        self.positions.contains_key(slug)
    }

    /// Sets the value of `slug`, replacing any value it had.
    pub fn insert(&mut self, slug: Slug, value: T) {
        if let Some(old) = self.get_mut(&slug) {
            *old = value;
            return;
        }
        let i = self.values.len();
        self.values.push(value);
        self.sorted.insert(slug.clone(), i);
        self.positions.insert(slug, i);
    }

    /// Empties the map, handing over its values in the order they were
    /// added.
    pub fn take_values(&mut self) -> Vec<T> {
        self.positions.clear();
        self.sorted.clear();
        std::mem::take(&mut self.values)
    }

    /// The same slugs, each with `f` of its value.
    pub fn map_values<U>(self, f: impl FnMut(T) -> U) -> SlugMap<U> {
        SlugMap {
            values: self.values.into_iter().map(f).collect(),
            positions: self.positions,
            sorted: self.sorted,
        }
    }

    /// How many slugs have a value.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no slug has a value.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values, in slug order.
    pub fn values(&self) -> Values<'_, T> {
        Values {
            sorted: self.sorted.values(),
            values: &self.values,
        }
    }

    /// The slugs and their values, in slug order.
    fn iter(&self) -> impl Iterator<Item = (&Slug, &T)> {
        self.sorted
            .iter()
            .filter_map(|(slug, &i)| Some((slug, self.values.get(i)?)))
    }
}

/// The values of a [`SlugMap`], in slug order.
#[derive(Clone, Debug)]
pub struct Values<'a, T> {
    sorted: std::collections::btree_map::Values<'a, Slug, usize>,
    values: &'a [T],
}

impl<'a, T> Iterator for Values<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        let i = *self.sorted.next()?;
        self.values.get(i)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.sorted.size_hint()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for SlugMap<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for SlugMap<T> {
    /// Equal when they hold the same slugs with equal values, whatever
    /// order the slugs were added in (as two `BTreeMap`s would be).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for SlugMap<T> {}

impl<T> FromIterator<(Slug, T)> for SlugMap<T> {
    fn from_iter<I: IntoIterator<Item = (Slug, T)>>(entries: I) -> Self {
        let mut map = SlugMap::default();
        map.extend(entries);
        map
    }
}

impl<T: Encode> Encode for SlugMap<T> {
    /// The bytes of the `BTreeMap<Slug, T>` with the same entries: the
    /// length as a `u64`, then each slug and its value in slug order.
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), EncodeError> {
        (self.len() as u64).encode(encoder)?;
        for (slug, value) in self.iter() {
            slug.encode(encoder)?;
            value.encode(encoder)?;
        }
        Ok(())
    }
}

impl<Ctx, T: Decode<Ctx>> Decode<Ctx> for SlugMap<T> {
    /// Reads what `BTreeMap<Slug, T>::decode` reads, with the same result
    /// (a repeated slug keeps its last value), straight into the map: going
    /// through a `BTreeMap` moved every value twice.
    fn decode<D: Decoder<Context = Ctx>>(decoder: &mut D) -> Result<Self, DecodeError> {
        let len = decode_len::<T, D>(decoder)?;
        decode_entries(decoder, len)
    }
}

/// Reads a map's length and claims room for that many entries.
fn decode_len<T, D: Decoder>(decoder: &mut D) -> Result<usize, DecodeError> {
    let len = u64::decode(decoder)?;
    let len = usize::try_from(len).map_err(|_| DecodeError::OutsideUsizeRange(len))?;
    decoder.claim_container_read::<(Slug, T)>(len)?;
    Ok(len)
}

/// Reads `count` entries, whose room is claimed, into a map.
fn decode_entries<Ctx, T: Decode<Ctx>, D: Decoder<Context = Ctx>>(
    decoder: &mut D,
    count: usize,
) -> Result<SlugMap<T>, DecodeError> {
    let mut map = SlugMap::default();
    map.reserve_for(count);
    decode_each(decoder, count, |slug, value| map.insert(slug, value))?;
    Ok(map)
}

/// Lookups made room for at most before reading the entries.
const RESERVED: usize = 1 << 16;

impl<T> SlugMap<T> {
    /// Makes room for the values of `count` entries and a sixteenth more
    /// (so that the few a catch-up adds do not copy them all), if the
    /// system grants it. The decoder's claim bounds `count` by its limit,
    /// not by the bytes there are, but room not filled is address space,
    /// never touched. Growing as values came instead copied every value
    /// read so far each time, and left up to twice the room needed: 140 MB
    /// of a whole-state command's 2.3 GB at ten million events. The
    /// lookups, whose table is written to whole when made, start modest
    /// and grow.
    fn reserve_for(&mut self, count: usize) {
        let _ = self
            .values
            .try_reserve_exact(count.saturating_add(count / 16));
        self.positions.reserve(count.min(RESERVED));
    }
}

/// Reads `count` entries, whose room is claimed, handing each to `each`.
fn decode_each<Ctx, T: Decode<Ctx>, D: Decoder<Context = Ctx>>(
    decoder: &mut D,
    count: usize,
    mut each: impl FnMut(Slug, T),
) -> Result<(), DecodeError> {
    for _ in 0..count {
        // As bincode's own containers do: each element claims its own
        // bytes as it is read.
        decoder.unclaim_bytes_read(std::mem::size_of::<(Slug, T)>());
        let slug = Slug::decode(decoder)?;
        each(slug, T::decode(decoder)?);
    }
    Ok(())
}

/// The map's encoding in two parts whose bytes, one after the other, are
/// the map's own: [`FirstEntries`] and [`LaterEntries`]. A large map
/// written so can be read by two threads at once, each from its own
/// stream ([`SlugMap::decode_first`], [`SlugMap::decode_later`]).
impl<T: Encode> SlugMap<T> {
    /// The two parts, the second starting at the entry `at` in slug order
    /// (the second is empty when `at` is past the end).
    pub fn encode_in_two(&self, at: usize) -> (FirstEntries<'_, T>, LaterEntries<'_, T>) {
        (
            FirstEntries { map: self, at },
            LaterEntries { map: self, at },
        )
    }
}

impl<T> SlugMap<T> {
    /// Reads what [`FirstEntries`] wrote: the length, then as many entries
    /// as `at` says for that length (at most all of them). Returns the map
    /// of those entries and how many are left for [`SlugMap::decode_later`].
    pub fn decode_first<Ctx, D: Decoder<Context = Ctx>>(
        decoder: &mut D,
        at: impl FnOnce(usize) -> usize,
    ) -> Result<(Self, usize), DecodeError>
    where
        T: Decode<Ctx>,
    {
        let len = decode_len::<T, D>(decoder)?;
        let first = at(len).min(len);
        // Room for all of them: the later entries are added to this map.
        let mut map = SlugMap::default();
        map.reserve_for(len);
        decode_each(decoder, first, |slug, value| map.insert(slug, value))?;
        Ok((map, len - first))
    }

    /// Reads what [`LaterEntries`] wrote: `count` entries, in the order
    /// written, to be added to the first entries' map (`Extend`, which
    /// puts them in a map: one of their own would be built twice).
    pub fn decode_later<Ctx, D: Decoder<Context = Ctx>>(
        decoder: &mut D,
        count: usize,
    ) -> Result<Vec<(Slug, T)>, DecodeError>
    where
        T: Decode<Ctx>,
    {
        decoder.claim_container_read::<(Slug, T)>(count)?;
        let mut entries = Vec::new();
        // As for `SlugMap::reserve_for`.
        let _ = entries.try_reserve_exact(count);
        decode_each(decoder, count, |slug, value| entries.push((slug, value)))?;
        Ok(entries)
    }
}

impl<T> Extend<(Slug, T)> for SlugMap<T> {
    /// Adds the entries in order, as [`SlugMap::insert`] does: a slug
    /// already there, or repeated, keeps the last value, as reading the
    /// entries after this map's would.
    fn extend<I: IntoIterator<Item = (Slug, T)>>(&mut self, entries: I) {
        let entries = entries.into_iter();
        let (at_least, _) = entries.size_hint();
        self.values.reserve(at_least);
        self.positions.reserve(at_least);
        for (slug, value) in entries {
            self.insert(slug, value);
        }
    }
}

/// The first part of [`SlugMap::encode_in_two`]: the map's length and its
/// first entries.
pub struct FirstEntries<'a, T> {
    map: &'a SlugMap<T>,
    at: usize,
}

/// The second part of [`SlugMap::encode_in_two`]: the entries after the
/// first part's.
pub struct LaterEntries<'a, T> {
    map: &'a SlugMap<T>,
    at: usize,
}

impl<T: Encode> Encode for FirstEntries<'_, T> {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), EncodeError> {
        (self.map.len() as u64).encode(encoder)?;
        for (slug, value) in self.map.iter().take(self.at) {
            slug.encode(encoder)?;
            value.encode(encoder)?;
        }
        Ok(())
    }
}

impl<T: Encode> Encode for LaterEntries<'_, T> {
    fn encode<E: Encoder>(&self, encoder: &mut E) -> Result<(), EncodeError> {
        for (slug, value) in self.map.iter().skip(self.at) {
            slug.encode(encoder)?;
            value.encode(encoder)?;
        }
        Ok(())
    }
}

impl<'de, Ctx, T: BorrowDecode<'de, Ctx>> BorrowDecode<'de, Ctx> for SlugMap<T> {
    fn borrow_decode<D: BorrowDecoder<'de, Context = Ctx>>(
        decoder: &mut D,
    ) -> Result<Self, DecodeError> {
        Ok(BTreeMap::<Slug, T>::borrow_decode(decoder)?
            .into_iter()
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slug(s: &str) -> Slug {
        Slug::new(s).unwrap()
    }

    #[test]
    fn taking_the_values_leaves_an_empty_map_that_works() {
        let mut map = SlugMap::default();
        for (s, v) in [("m", 1u32), ("a", 2), ("z", 3)] {
            map.insert(slug(s), v);
        }
        assert_eq!(map.take_values(), [1, 2, 3], "in the order added");
        assert_eq!(map.len(), 0);
        assert_eq!(map.get("a"), None);
        assert!(map.values().next().is_none());
        assert_eq!(map, SlugMap::default());
        let config = bincode::config::standard();
        assert_eq!(
            bincode::encode_to_vec(&map, config).unwrap(),
            bincode::encode_to_vec(BTreeMap::<Slug, u32>::new(), config).unwrap()
        );
        map.insert(slug("a"), 7);
        assert_eq!((map.len(), map.get("a")), (1, Some(&7)));
    }

    #[test]
    fn a_map_in_two_parts_is_the_map() {
        let config = bincode::config::standard();
        let entries = [("m", 1u32), ("a", 2), ("z", 3), ("b", 4), ("q", 5)];
        let map: SlugMap<u32> = entries.iter().map(|&(s, v)| (slug(s), v)).collect();
        let whole = bincode::encode_to_vec(&map, config).unwrap();
        for at in 0..=7 {
            let (first, later) = map.encode_in_two(at);
            let first = bincode::encode_to_vec(first, config).unwrap();
            let later = bincode::encode_to_vec(later, config).unwrap();
            assert_eq!([&first[..], &later[..]].concat(), whole, "at {at}");
            let read_first = |bytes: &[u8]| -> (SlugMap<u32>, usize) {
                let reader = bincode::de::read::SliceReader::new(bytes);
                let mut decoder = bincode::de::DecoderImpl::new(reader, config, ());
                SlugMap::decode_first(&mut decoder, |len| {
                    assert_eq!(len, 5);
                    at
                })
                .unwrap()
            };
            let (mut back, left) = read_first(&first);
            assert_eq!((back.len(), left), (at.min(5), 5 - at.min(5)));
            let reader = bincode::de::read::SliceReader::new(&later);
            let mut decoder = bincode::de::DecoderImpl::new(reader, config, ());
            back.extend(SlugMap::decode_later(&mut decoder, left).unwrap());
            assert_eq!(back, map, "at {at}");
        }
        // A slug in both parts keeps the later value, as one stream of
        // the same bytes would give.
        let mut first: SlugMap<u32> = [(slug("a"), 1), (slug("b"), 2)].into_iter().collect();
        first.extend(vec![(slug("b"), 3), (slug("c"), 4)]);
        let tree: BTreeMap<Slug, u32> = [
            (slug("a"), 1),
            (slug("b"), 2),
            (slug("b"), 3),
            (slug("c"), 4),
        ]
        .into_iter()
        .collect();
        assert_eq!(first, tree.into_iter().collect());
    }

    #[test]
    fn behaves_and_encodes_like_a_btree_map() {
        let entries = [("m", 1u32), ("a", 2), ("z", 3), ("b", 4), ("a", 5)];
        let mut map = SlugMap::default();
        let mut tree = BTreeMap::new();
        for (s, v) in entries {
            map.insert(slug(s), v);
            tree.insert(slug(s), v);
        }
        assert_eq!(map.len(), tree.len());
        assert_eq!(map.get("a"), Some(&5));
        assert!(map.contains_key("z") && !map.contains_key("y"));
        assert!(map.values().eq(tree.values()));
        assert_eq!(format!("{map:?}"), format!("{tree:?}"));
        let config = bincode::config::standard()
            .with_big_endian()
            .with_fixed_int_encoding();
        let bytes = bincode::encode_to_vec(&map, config).unwrap();
        assert_eq!(bytes, bincode::encode_to_vec(&tree, config).unwrap());
        let (back, _): (SlugMap<u32>, usize) = bincode::decode_from_slice(&bytes, config).unwrap();
        assert_eq!(back, map);
        let reversed: SlugMap<u32> = tree.into_iter().rev().collect();
        assert_eq!(reversed, map, "equality does not depend on insertion order");
        assert!(reversed.values().copied().eq([5, 4, 1, 3]));
    }

    #[test]
    fn decodes_any_bytes_as_a_btree_map_does() {
        let config = bincode::config::standard().with_limit::<1024>();
        // Out of order and repeated slugs, which no encoder writes; a
        // length past the bytes; a length past the limit.
        let pairs = vec![(slug("m"), 1u32), (slug("a"), 2), (slug("m"), 3)];
        let written = bincode::encode_to_vec(&pairs, config).unwrap();
        let as_tree = bincode::decode_from_slice::<BTreeMap<Slug, u32>, _>(&written, config);
        let as_map = bincode::decode_from_slice::<SlugMap<u32>, _>(&written, config);
        let (tree, read) = as_tree.unwrap();
        assert_eq!(as_map.unwrap(), (tree.into_iter().collect(), read));
        for bad in [
            &written[..written.len() - 1],
            &[200u8, 0, 0, 0, 0][..],
            &[252, 0, 0, 0, 1][..],
        ] {
            let as_tree = bincode::decode_from_slice::<BTreeMap<Slug, u32>, _>(bad, config);
            let as_map = bincode::decode_from_slice::<SlugMap<u32>, _>(bad, config);
            assert!(as_tree.is_err() && as_map.is_err(), "{bad:?}");
        }
    }
}
