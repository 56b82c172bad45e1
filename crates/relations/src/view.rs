//! [`View`]: pairs of groups, conflicts and countersuits, computed from the
//! recorded sides and partnerships with the ledger's knowledge of corporate
//! structure and dispute status supplied as closures.

use std::collections::HashMap;

use docket_model::{Effective, Slug};

use crate::state::{Partnership, Relations, Sides};

/// Who is adverse to and partnered with whom, at the time of a query.
///
/// Computed by [`Relations::view`]; see the crate documentation for the
/// definitions. Every list is sorted: pairs and conflicts by their parties,
/// countersuits by `(dispute, answers)`, the disputes and partnerships inside
/// them by slug.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Every pair of distinct groups that are adverse in some dispute or
    /// partners in some partnership (active or not).
    pub pairs: Vec<Pair>,
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
    /// The pair of these two groups, in either order, if they have anything
    /// between them.
    pub fn pair(&self, a: &str, b: &str) -> Option<&Pair> {
        let key = if a <= b { [a, b] } else { [b, a] };
        self.pairs
            .binary_search_by(|p| [p.parties[0].as_str(), p.parties[1].as_str()].cmp(&key))
            .ok()
            .and_then(|i| self.pairs.get(i))
    }

    /// The conflict between these two groups, in either order, if any.
    pub fn conflict(&self, a: &str, b: &str) -> Option<&Conflict> {
        let key = if a <= b { [a, b] } else { [b, a] };
        self.conflicts
            .binary_search_by(|c| [c.parties[0].as_str(), c.parties[1].as_str()].cmp(&key))
            .ok()
            .and_then(|i| self.conflicts.get(i))
    }
}

/// Groups as small numbers. Interning turns the view's many set and map
/// operations on slugs (string comparisons) into operations on integers;
/// group numbers are ranks in slug order, so sorting numbers sorts slugs.
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

    /// Renumbers the groups by slug order; returns the old-to-new map and
    /// the slugs in the new order.
    fn ranked(self) -> (Vec<u32>, Vec<Slug>) {
        let mut order: Vec<u32> = (0..).take(self.names.len()).collect();
        order.sort_unstable_by(|&a, &b| self.names[a as usize].cmp(&self.names[b as usize]));
        let mut rank = vec![0u32; self.names.len()];
        for (new, &old) in (0u32..).zip(&order) {
            rank[old as usize] = new;
        }
        let names = order
            .iter()
            .map(|&old| self.names[old as usize].clone())
            .collect();
        (rank, names)
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
    /// Every pair of groups adverse in this dispute: a group exclusively on
    /// the plaintiffs' side with a group exclusively on the defendants'.
    fn adverse(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        let only = |mine: &'_ [u32], theirs: &'_ [u32]| -> Vec<u32> {
            mine.iter()
                .copied()
                .filter(|g| theirs.binary_search(g).is_err())
                .collect()
        };
        let only_p = only(&self.plaintiffs, &self.defendants);
        let only_d = only(&self.defendants, &self.plaintiffs);
        only_p
            .into_iter()
            .flat_map(move |p| only_d.clone().into_iter().map(move |d| (p, d)))
    }
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
    /// Pairs, conflicts and countersuits, given what this crate does not
    /// know: `group_of` maps an entity to its group (ultimate parent; an
    /// entity without a parent is its own group), `is_active` says whether
    /// a dispute is non-terminal now, and `closed_on` when a dispute last
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
        let mut groups = Groups {
            group_of,
            memo: HashMap::new(),
            ids: HashMap::new(),
            names: Vec::new(),
        };
        // Disputes (by slug, with their sides) and partnerships by position
        // in slug order.
        let disputes: Vec<(&Slug, &Sides)> = self.dispute_map().iter().collect();
        let partnerships: Vec<&Partnership> = self.partnerships().collect();
        let mut sides: Vec<GroupSides> = disputes
            .iter()
            .map(|(_, s)| GroupSides {
                plaintiffs: groups.set(&s.plaintiffs),
                defendants: groups.set(&s.defendants),
            })
            .collect();
        let mut members: Vec<Vec<u32>> = partnerships
            .iter()
            .map(|p| groups.set(&p.parties))
            .collect();
        let (rank, names) = groups.ranked();
        for g in &mut sides {
            renumber(&mut g.plaintiffs, &rank);
            renumber(&mut g.defendants, &rank);
        }
        for m in &mut members {
            renumber(m, &rank);
        }
        let pairs = pairs(
            &disputes,
            &sides,
            &partnerships,
            &members,
            &names,
            is_active,
        );
        let conflicts = pairs
            .iter()
            .filter(|p| !p.active_disputes.is_empty() && !p.active_partnerships.is_empty())
            .map(|p| Conflict {
                parties: p.parties.clone(),
                disputes: p.active_disputes.clone(),
                partnerships: p.active_partnerships.clone(),
            })
            .collect();
        let countersuits = countersuits(self, &disputes, &sides, closed_on);
        View {
            pairs,
            conflicts,
            countersuits,
        }
    }
}

fn pairs(
    disputes: &[(&Slug, &Sides)],
    sides: &[GroupSides],
    partnerships: &[&Partnership],
    members: &[Vec<u32>],
    names: &[Slug],
    is_active: &dyn Fn(&Slug) -> bool,
) -> Vec<Pair> {
    let mut lists: HashMap<(u32, u32), PairLists> = HashMap::new();
    // Disputes come in slug order, and each adds itself at most once to a
    // pair (the two groups of a pair are on fixed, disjoint sides), so the
    // lists come out sorted and without repeats.
    for ((i, &(id, _)), g) in (0u32..).zip(disputes).zip(sides) {
        let mut adverse = g.adverse().peekable();
        if adverse.peek().is_none() {
            continue;
        }
        let active = is_active(id);
        for (p, d) in adverse {
            let pair = lists.entry((p.min(d), p.max(d))).or_default();
            pair.disputes.push(i);
            if active {
                pair.active_disputes.push(i);
            }
        }
    }
    for ((i, partnership), m) in (0u32..).zip(partnerships).zip(members) {
        let active = partnership.ended.is_none();
        for (k, &a) in m.iter().enumerate() {
            for &b in &m[k + 1..] {
                let pair = lists.entry((a, b)).or_default();
                pair.partnerships.push(i);
                if active {
                    pair.active_partnerships.push(i);
                }
            }
        }
    }
    let mut keyed: Vec<((u32, u32), PairLists)> = lists.into_iter().collect();
    keyed.sort_unstable_by_key(|(key, _)| *key);
    let name = |g: u32| names.get(g as usize).cloned();
    let dispute_ids = |list: &[u32]| -> Vec<Slug> {
        list.iter()
            .filter_map(|&i| disputes.get(i as usize).map(|&(id, _)| id.clone()))
            .collect()
    };
    let partnership_ids = |list: &[u32]| -> Vec<Slug> {
        list.iter()
            .filter_map(|&i| partnerships.get(i as usize).map(|p| p.id.clone()))
            .collect()
    };
    keyed
        .into_iter()
        .filter_map(|((a, b), l)| {
            Some(Pair {
                parties: [name(a)?, name(b)?],
                disputes: dispute_ids(&l.disputes),
                active_disputes: dispute_ids(&l.active_disputes),
                partnerships: partnership_ids(&l.partnerships),
                active_partnerships: partnership_ids(&l.active_partnerships),
            })
        })
        .collect()
}

fn countersuits(
    relations: &Relations,
    disputes: &[(&Slug, &Sides)],
    sides: &[GroupSides],
    closed_on: &dyn Fn(&Slug) -> Option<Effective>,
) -> Vec<Countersuit> {
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
    let order = |i: u32| disputes.get(i as usize).map(|(_, s)| s.filing_order());
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
