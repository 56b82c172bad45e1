//! The first, straightforward implementation of [`Relations::view`], kept
//! as an oracle: the indexed one must give exactly the same views.

use std::collections::{BTreeMap, BTreeSet};

use docket_model::{Effective, Slug};

use super::Seen;
use crate::state::{Relations, Sides};
use crate::view::{Conflict, Countersuit, Pair};

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

/// The straightforward implementation `Relations::view` replaced.
pub(super) struct Reference<'r>(pub(super) &'r Relations);

impl Reference<'_> {
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
    ) -> Seen {
        let mut groups = Groups {
            group_of,
            memo: BTreeMap::new(),
        };
        let sides: BTreeMap<&Slug, GroupSides> = self
            .0
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
        Seen {
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
        for partnership in self.0.partnerships() {
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
        let disputes = self.0.dispute_map();
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
