//! [`View`]: pairs of groups, conflicts and countersuits, computed from the
//! recorded sides and partnerships with the ledger's knowledge of corporate
//! structure and dispute status supplied as closures.

use std::collections::{BTreeMap, BTreeSet};

use docket_model::{Effective, Slug};

use crate::state::{Relations, Sides};

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

/// Calls `group_of` once per entity.
struct Groups<'a> {
    group_of: &'a dyn Fn(&Slug) -> Slug,
    memo: BTreeMap<Slug, Slug>,
}

impl Groups<'_> {
    fn of(&mut self, entity: &Slug) -> Slug {
        if let Some(g) = self.memo.get(entity) {
            return g.clone();
        }
        let g = (self.group_of)(entity);
        self.memo.insert(entity.clone(), g.clone());
        g
    }

    fn set(&mut self, entities: &[Slug]) -> BTreeSet<Slug> {
        entities.iter().map(|e| self.of(e)).collect()
    }
}

/// A dispute's sides mapped to groups.
struct GroupSides {
    plaintiffs: BTreeSet<Slug>,
    defendants: BTreeSet<Slug>,
}

impl GroupSides {
    /// Every pair of groups adverse in this dispute: a group exclusively on
    /// the plaintiffs' side with a group exclusively on the defendants'.
    fn adverse(&self) -> impl Iterator<Item = (&Slug, &Slug)> {
        let only_p = self.plaintiffs.difference(&self.defendants);
        only_p.flat_map(move |p| {
            self.defendants
                .difference(&self.plaintiffs)
                .map(move |d| (p, d))
        })
    }
}

fn ordered(a: &Slug, b: &Slug) -> [Slug; 2] {
    if a <= b {
        [a.clone(), b.clone()]
    } else {
        [b.clone(), a.clone()]
    }
}

fn new_pair(parties: [Slug; 2]) -> Pair {
    Pair {
        parties,
        disputes: Vec::new(),
        active_disputes: Vec::new(),
        partnerships: Vec::new(),
        active_partnerships: Vec::new(),
    }
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
            memo: BTreeMap::new(),
        };
        let sides: BTreeMap<&Slug, GroupSides> = self
            .dispute_map()
            .iter()
            .map(|(id, s)| {
                let g = GroupSides {
                    plaintiffs: groups.set(&s.plaintiffs),
                    defendants: groups.set(&s.defendants),
                };
                (id, g)
            })
            .collect();
        let pairs = self.pairs(&sides, &mut groups, is_active);
        let conflicts = pairs
            .iter()
            .filter(|p| !p.active_disputes.is_empty() && !p.active_partnerships.is_empty())
            .map(|p| Conflict {
                parties: p.parties.clone(),
                disputes: p.active_disputes.clone(),
                partnerships: p.active_partnerships.clone(),
            })
            .collect();
        let countersuits = self.countersuits(&sides, closed_on);
        View {
            pairs,
            conflicts,
            countersuits,
        }
    }

    fn pairs(
        &self,
        sides: &BTreeMap<&Slug, GroupSides>,
        groups: &mut Groups<'_>,
        is_active: &dyn Fn(&Slug) -> bool,
    ) -> Vec<Pair> {
        let mut pairs: BTreeMap<[Slug; 2], Pair> = BTreeMap::new();
        // Disputes come in slug order, and each adds itself at most once to
        // a pair (the two groups of a pair are on fixed, disjoint sides), so
        // the lists come out sorted and without repeats.
        for (&id, g) in sides {
            let mut adverse = g.adverse().peekable();
            if adverse.peek().is_none() {
                continue;
            }
            let active = is_active(id);
            for (p, d) in adverse {
                let key = ordered(p, d);
                let pair = pairs.entry(key.clone()).or_insert_with(|| new_pair(key));
                pair.disputes.push(id.clone());
                if active {
                    pair.active_disputes.push(id.clone());
                }
            }
        }
        for partnership in self.partnerships() {
            let members: Vec<Slug> = groups.set(&partnership.parties).into_iter().collect();
            let active = partnership.ended.is_none();
            for (i, a) in members.iter().enumerate() {
                for b in members.iter().skip(i + 1) {
                    let key = [a.clone(), b.clone()];
                    let pair = pairs.entry(key.clone()).or_insert_with(|| new_pair(key));
                    pair.partnerships.push(partnership.id.clone());
                    if active {
                        pair.active_partnerships.push(partnership.id.clone());
                    }
                }
            }
        }
        pairs.into_values().collect()
    }

    fn countersuits(
        &self,
        sides: &BTreeMap<&Slug, GroupSides>,
        closed_on: &dyn Fn(&Slug) -> Option<Effective>,
    ) -> Vec<Countersuit> {
        let disputes = self.dispute_map();
        // Disputes by each group among their defendants: the candidates a
        // suit brought by that group may answer.
        let mut by_defendant: BTreeMap<&Slug, Vec<&Slug>> = BTreeMap::new();
        for (&id, g) in sides {
            for d in &g.defendants {
                by_defendant.entry(d).or_default().push(id);
            }
        }
        let mut closed: BTreeMap<&Slug, Option<i64>> = BTreeMap::new();
        let mut out = Vec::new();
        for (b_id, b) in disputes {
            if let Some(a_id) = &b.responds_to
                && a_id != b_id
                && disputes.contains_key(a_id)
            {
                out.push(Countersuit {
                    dispute: b_id.clone(),
                    answers: a_id.clone(),
                    declared: true,
                });
                continue;
            }
            let Some(bg) = sides.get(b_id) else { continue };
            let candidates: BTreeSet<&Slug> = bg
                .plaintiffs
                .iter()
                .filter_map(|g| by_defendant.get(g))
                .flatten()
                .copied()
                .collect();
            for a_id in candidates {
                let (Some(a), Some(ag)) = (disputes.get(a_id), sides.get(a_id)) else {
                    continue;
                };
                let closed_at = *closed
                    .entry(a_id)
                    .or_insert_with(|| closed_on(a_id).map(|c| c.instant_micros()));
                if answers(b, bg, a, ag, closed_at) {
                    out.push(Countersuit {
                        dispute: b_id.clone(),
                        answers: a_id.clone(),
                        declared: false,
                    });
                }
            }
        }
        out.sort();
        out
    }
}

/// Whether `b` answers `a` by the undeclared rule: `a` filed first, still
/// open when `b` was filed, and the sides swapped (`b`'s plaintiffs' groups
/// meet `a`'s defendants' groups and `b`'s defendants' groups meet `a`'s
/// plaintiffs' groups).
fn answers(b: &Sides, bg: &GroupSides, a: &Sides, ag: &GroupSides, a_closed: Option<i64>) -> bool {
    let b_filed = b.filed.instant_micros();
    a.dispute != b.dispute
        && a.filing_order() < b.filing_order()
        && a_closed.is_none_or(|c| c > b_filed)
        && !bg.plaintiffs.is_disjoint(&ag.defendants)
        && !bg.defendants.is_disjoint(&ag.plaintiffs)
}
