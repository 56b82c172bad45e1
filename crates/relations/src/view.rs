//! [`View`] (conflicts and countersuits) and [`Relations::pairs`] (every
//! pair of groups with anything between them), computed from the recorded
//! sides and partnerships with the ledger's knowledge of corporate
//! structure and dispute status supplied as closures.

use foldhash::{HashMap, HashMapExt};

use docket_model::{Effective, Slug};

use crate::state::{Partnership, Relations, Sides};

/// Conflicts and countersuits, at the time of a query.
///
/// Computed by [`Relations::view`]; see the crate documentation for the
/// definitions. Every list is sorted: conflicts by their parties,
/// countersuits by `(dispute, answers)`, the disputes and partnerships inside
/// them by slug. Every pair of groups with anything between them is a
/// separate, larger question: [`Relations::pairs`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// The pairs adverse in an active dispute while sharing an active
    /// partnership.
    pub conflicts: Vec<Conflict>,
    /// Disputes that answer earlier disputes.
    pub countersuits: Vec<Countersuit>,
}

/// Two groups and everything between them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    /// Two distinct groups, sorted.
    pub parties: [Slug; 2],
    /// Every dispute where they are on opposite sides, active or not.
    pub disputes: Vec<Slug>,
    /// Those of `disputes` that are active (non-terminal).
    pub active_disputes: Vec<Slug>,
    /// Every partnership they share, active or ended.
    pub partnerships: Vec<Slug>,
    /// Those of `partnerships` that are active.
    pub active_partnerships: Vec<Slug>,
}

/// Two groups on opposite sides of an active dispute while sharing an
/// active partnership (DESIGN.md section 6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// Two distinct groups, sorted.
    pub parties: [Slug; 2],
    /// The active disputes with them on opposite sides (never empty).
    pub disputes: Vec<Slug>,
    /// The active partnerships they share (never empty).
    pub partnerships: Vec<Slug>,
}

/// A dispute that answers an earlier one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Countersuit {
    /// The later suit.
    pub dispute: Slug,
    /// The earlier suit it answers.
    pub answers: Slug,
    /// Whether the later suit's `responds_to` names `answers`.
    pub declared: bool,
}

impl View {
    /// The conflict between these two groups, in either order, if any.
    pub fn conflict(&self, a: &str, b: &str) -> Option<&Conflict> {
        let key = if a <= b { [a, b] } else { [b, a] };
        self.conflicts
            .binary_search_by(|c| [c.parties[0].as_str(), c.parties[1].as_str()].cmp(&key))
            .ok()
            .and_then(|i| self.conflicts.get(i))
    }
}

/// Two group numbers, smaller first: the key of a pair.
type GroupPair = (u32, u32);

/// Groups as small numbers. Interning turns the view's many set and map
/// operations on slugs (string comparisons) into operations on integers.
struct Groups<'a> {
    group_of: &'a dyn Fn(&Slug) -> Slug,
    /// Each entity's group number: `group_of` is called once per entity.
    memo: HashMap<&'a Slug, u32>,
    /// Group numbers by group slug.
    ids: HashMap<Slug, u32>,
    /// Group slugs by number.
    names: Vec<Slug>,
}

impl<'a> Groups<'a> {
    fn of(&mut self, entity: &'a Slug) -> u32 {
        if let Some(&g) = self.memo.get(entity) {
            return g;
        }
        let group = (self.group_of)(entity);
        let g = match self.ids.get(&group) {
            Some(&g) => g,
            None => {
                let g = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                self.names.push(group.clone());
                self.ids.insert(group, g);
                g
            }
        };
        self.memo.insert(entity, g);
        g
    }

    /// The groups of `entities`, sorted, without repeats.
    fn set(&mut self, entities: &'a [Slug]) -> Vec<u32> {
        let mut set: Vec<u32> = entities.iter().map(|e| self.of(e)).collect();
        set.sort_unstable();
        set.dedup();
        set
    }
}

/// The relations with every party replaced by its group number: what both
/// [`Relations::view`] and [`Relations::pairs`] start from.
struct Interned<'a> {
    /// Disputes (by slug, with their sides) in slug order.
    disputes: Vec<(&'a Slug, &'a Sides)>,
    /// Each dispute's sides as groups, by position in `disputes`.
    sides: Vec<GroupSides>,
    /// Partnerships in slug order.
    partnerships: Vec<&'a Partnership>,
    /// Each partnership's parties as groups, by position in `partnerships`.
    members: Vec<Vec<u32>>,
    /// Group slugs by number.
    names: Vec<Slug>,
}

impl<'a> Interned<'a> {
    fn new(relations: &'a Relations, group_of: &'a dyn Fn(&Slug) -> Slug) -> Self {
        let mut groups = Groups {
            group_of,
            memo: HashMap::new(),
            ids: HashMap::new(),
            names: Vec::new(),
        };
        let disputes: Vec<(&Slug, &Sides)> = relations.dispute_map().iter().collect();
        let partnerships: Vec<&Partnership> = relations.partnerships().collect();
        let sides = disputes
            .iter()
            .map(|(_, s)| GroupSides {
                plaintiffs: groups.set(&s.plaintiffs),
                defendants: groups.set(&s.defendants),
            })
            .collect();
        let members = partnerships
            .iter()
            .map(|p| groups.set(&p.parties))
            .collect();
        Interned {
            disputes,
            sides,
            partnerships,
            members,
            names: groups.names,
        }
    }

    /// Renumbers the groups by slug order, so that sorting numbers sorts
    /// slugs.
    fn rank_groups(&mut self) {
        let mut order: Vec<u32> = (0..).take(self.names.len()).collect();
        order.sort_unstable_by(|&a, &b| self.names[a as usize].cmp(&self.names[b as usize]));
        let mut rank = vec![0u32; self.names.len()];
        for (new, &old) in (0u32..).zip(&order) {
            rank[old as usize] = new;
        }
        self.names = order
            .iter()
            .map(|&old| self.names[old as usize].clone())
            .collect();
        for g in &mut self.sides {
            renumber(&mut g.plaintiffs, &rank);
            renumber(&mut g.defendants, &rank);
        }
        for m in &mut self.members {
            renumber(m, &rank);
        }
    }

    /// The slugs of the disputes at these positions.
    fn dispute_ids(&self, positions: &[u32]) -> Vec<Slug> {
        positions
            .iter()
            .filter_map(|&i| self.disputes.get(i as usize).map(|&(id, _)| id.clone()))
            .collect()
    }

    /// The slugs of the partnerships at these positions.
    fn partnership_ids(&self, positions: &[u32]) -> Vec<Slug> {
        positions
            .iter()
            .filter_map(|&i| self.partnerships.get(i as usize).map(|p| p.id.clone()))
            .collect()
    }

    /// The two groups of a pair, sorted by slug.
    fn parties(&self, (a, b): GroupPair) -> Option<[Slug; 2]> {
        let a = self.names.get(a as usize)?.clone();
        let b = self.names.get(b as usize)?.clone();
        Some(if a <= b { [a, b] } else { [b, a] })
    }
}

/// Renumbers a sorted set of group numbers by `rank`, keeping it sorted.
fn renumber(set: &mut [u32], rank: &[u32]) {
    for g in set.iter_mut() {
        *g = rank.get(*g as usize).copied().unwrap_or(*g);
    }
    set.sort_unstable();
}

/// A dispute's sides mapped to group numbers (sorted, without repeats).
struct GroupSides {
    plaintiffs: Vec<u32>,
    defendants: Vec<u32>,
}

impl GroupSides {
    /// Every pair of groups adverse in this dispute (a group exclusively on
    /// the plaintiffs' side with a group exclusively on the defendants'),
    /// each once, smaller number first.
    fn adverse(&self) -> impl Iterator<Item = GroupPair> + '_ {
        let only_plaintiff = |g: &u32| self.defendants.binary_search(g).is_err();
        let only_defendant = |g: &u32| self.plaintiffs.binary_search(g).is_err();
        self.plaintiffs
            .iter()
            .copied()
            .filter(only_plaintiff)
            .flat_map(move |p| {
                self.defendants
                    .iter()
                    .copied()
                    .filter(only_defendant)
                    .map(move |d| (p.min(d), p.max(d)))
            })
    }
}

/// Every pair of groups partnered in `members` (sorted sets), each once,
/// smaller number first.
fn partnered(members: &[u32]) -> impl Iterator<Item = GroupPair> + '_ {
    members
        .iter()
        .enumerate()
        .flat_map(move |(k, &a)| members.iter().skip(k + 1).map(move |&b| (a, b)))
}

/// What a pair collects, by dispute and partnership position.
#[derive(Default)]
struct PairLists {
    disputes: Vec<u32>,
    active_disputes: Vec<u32>,
    partnerships: Vec<u32>,
    active_partnerships: Vec<u32>,
}

impl Relations {
    /// Conflicts and countersuits, given what this crate does not know:
    /// `group_of` maps an entity to its group (ultimate parent; an entity
    /// without a parent is its own group), `is_active` says whether a
    /// dispute is non-terminal now, and `closed_on` when a dispute last
    /// closed (`None` while it is active).
    ///
    /// Never panics, whatever the closures return; each closure is called at
    /// most once per entity or dispute.
    pub fn view(
        &self,
        group_of: &dyn Fn(&Slug) -> Slug,
        is_active: &dyn Fn(&Slug) -> bool,
        closed_on: &dyn Fn(&Slug) -> Option<Effective>,
    ) -> View {
        let interned = Interned::new(self, group_of);
        View {
            conflicts: conflicts(&interned, is_active),
            countersuits: countersuits(self, &interned, closed_on),
        }
    }

    /// Every pair of distinct groups that are adverse in some dispute or
    /// partners in some partnership (active or not), sorted by parties,
    /// with `group_of` and `is_active` as for [`Relations::view`].
    ///
    /// Never panics, whatever the closures return; each closure is called at
    /// most once per entity or dispute.
    pub fn pairs(
        &self,
        group_of: &dyn Fn(&Slug) -> Slug,
        is_active: &dyn Fn(&Slug) -> bool,
    ) -> Vec<Pair> {
        let mut interned = Interned::new(self, group_of);
        interned.rank_groups();
        let mut lists: HashMap<GroupPair, PairLists> = HashMap::new();
        // Disputes come in slug order, and each adds itself at most once to a
        // pair (the two groups of a pair are on fixed, disjoint sides), so the
        // lists come out sorted and without repeats.
        for ((i, &(id, _)), g) in (0u32..).zip(&interned.disputes).zip(&interned.sides) {
            let mut adverse = g.adverse().peekable();
            if adverse.peek().is_none() {
                continue;
            }
            let active = is_active(id);
            for key in adverse {
                let pair = lists.entry(key).or_default();
                pair.disputes.push(i);
                if active {
                    pair.active_disputes.push(i);
                }
            }
        }
        for ((i, partnership), m) in (0u32..).zip(&interned.partnerships).zip(&interned.members) {
            let active = partnership.ended.is_none();
            for key in partnered(m) {
                let pair = lists.entry(key).or_default();
                pair.partnerships.push(i);
                if active {
                    pair.active_partnerships.push(i);
                }
            }
        }
        let mut keyed: Vec<(GroupPair, PairLists)> = lists.into_iter().collect();
        // Group numbers are ranks in slug order: sorting keys sorts parties.
        keyed.sort_unstable_by_key(|(key, _)| *key);
        keyed
            .into_iter()
            .filter_map(|(key, l)| {
                Some(Pair {
                    parties: interned.parties(key)?,
                    disputes: interned.dispute_ids(&l.disputes),
                    active_disputes: interned.dispute_ids(&l.active_disputes),
                    partnerships: interned.partnership_ids(&l.partnerships),
                    active_partnerships: interned.partnership_ids(&l.active_partnerships),
                })
            })
            .collect()
    }
}

/// The conflicts: the pairs partnered in an active partnership are found
/// first (few), so that a dispute only asks about those, and `is_active`
/// only about disputes between them.
fn conflicts(interned: &Interned<'_>, is_active: &dyn Fn(&Slug) -> bool) -> Vec<Conflict> {
    let mut partners: HashMap<GroupPair, Vec<u32>> = HashMap::new();
    for ((i, partnership), m) in (0u32..).zip(&interned.partnerships).zip(&interned.members) {
        if partnership.ended.is_none() {
            for key in partnered(m) {
                partners.entry(key).or_default().push(i);
            }
        }
    }
    if partners.is_empty() {
        return Vec::new();
    }
    let mut adverse: HashMap<GroupPair, Vec<u32>> = HashMap::new();
    let mut hits: Vec<GroupPair> = Vec::new();
    for ((i, &(id, _)), g) in (0u32..).zip(&interned.disputes).zip(&interned.sides) {
        hits.clear();
        hits.extend(g.adverse().filter(|key| partners.contains_key(key)));
        if hits.is_empty() || !is_active(id) {
            continue;
        }
        // In slug order, once per pair: see `Relations::pairs`.
        for &key in &hits {
            adverse.entry(key).or_default().push(i);
        }
    }
    let mut conflicts: Vec<Conflict> = adverse
        .into_iter()
        .filter_map(|(key, disputes)| {
            Some(Conflict {
                parties: interned.parties(key)?,
                disputes: interned.dispute_ids(&disputes),
                partnerships: interned.partnership_ids(partners.get(&key)?),
            })
        })
        .collect();
    conflicts.sort_unstable_by(|a, b| a.parties.cmp(&b.parties));
    conflicts
}

fn countersuits(
    relations: &Relations,
    interned: &Interned<'_>,
    closed_on: &dyn Fn(&Slug) -> Option<Effective>,
) -> Vec<Countersuit> {
    let disputes = &interned.disputes;
    let sides = &interned.sides;
    // The disputes each (defendant group, plaintiff group) pair is filed
    // between, in filing order: the candidates a suit brought by the first
    // against the second may answer. Indexing by both sides at once keeps
    // the candidates to disputes with the sides swapped, and the filing
    // order lets each suit look only at those filed before it.
    let mut swapped: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
    for (i, g) in (0u32..).zip(sides) {
        for &d in &g.defendants {
            for &p in &g.plaintiffs {
                swapped.entry((d, p)).or_default().push(i);
            }
        }
    }
    // Each dispute's filing order, at hand: the lookups below are millions
    // at ten million events, and reaching each dispute's sides for it was
    // a fifth of this view's time.
    let orders: Vec<(i64, u64)> = disputes.iter().map(|(_, s)| s.filing_order()).collect();
    let order = |i: u32| orders.get(i as usize).copied();
    for list in swapped.values_mut() {
        list.sort_unstable_by_key(|&i| order(i));
    }
    let mut closed: Vec<Option<Option<i64>>> = vec![None; disputes.len()];
    let mut out = Vec::new();
    let mut candidates: Vec<u32> = Vec::new();
    for (&(b_id, b), bg) in disputes.iter().zip(sides) {
        if let Some(a_id) = &b.responds_to
            && a_id != b_id
            && relations.sides(a_id.as_str()).is_some()
        {
            out.push(Countersuit {
                dispute: b_id.clone(),
                answers: a_id.clone(),
                declared: true,
            });
            continue;
        }
        let b_order = b.filing_order();
        candidates.clear();
        for &p in &bg.plaintiffs {
            for &d in &bg.defendants {
                let Some(list) = swapped.get(&(p, d)) else {
                    continue;
                };
                let before = list.partition_point(|&a| order(a).is_some_and(|o| o < b_order));
                candidates.extend_from_slice(&list[..before]);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        for &a_index in &candidates {
            let Some(&(a_id, a)) = disputes.get(a_index as usize) else {
                continue;
            };
            if a.dispute == b.dispute {
                continue;
            }
            let Some(memo) = closed.get_mut(a_index as usize) else {
                continue;
            };
            let closed_at =
                *memo.get_or_insert_with(|| closed_on(a_id).map(|c| c.instant_micros()));
            if closed_at.is_none_or(|c| c > b.filed.instant_micros()) {
                out.push(Countersuit {
                    dispute: b_id.clone(),
                    answers: a_id.clone(),
                    declared: false,
                });
            }
        }
    }
    // Already in order (suits and candidates by slug) but sorting keeps
    // the promise explicit; it is cheap next to the rest.
    out.sort();
    out
}
