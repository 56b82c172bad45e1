//! docket projection: who is adverse to or partnered with whom; conflicts and
//! countersuits.
//!
//! [`Relations`] is a pure, total [`Projection`]: it records from events only
//! the *sides* of disputes (`dispute.filed`) and the partnerships
//! (`partnership.formed`, `partnership.ended`), and ignores every other kind.
//! It depends on `docket-model` alone, so it knows neither corporate
//! structure (docket-holdings) nor dispute status (docket-disputes): its
//! queries, [`Relations::view`] (conflicts and countersuits) and
//! [`Relations::pairs`] (everything between every two groups), take that
//! knowledge as closures supplied by the ledger:
//!
//! - `group_of(entity)`: the entity's *group*, its ultimate parent (an
//!   entity without a parent is its own group);
//! - `is_active(dispute)`: whether the dispute is non-terminal now;
//! - `closed_on(dispute)`: when the dispute last closed (`None` while it is
//!   active).
//!
//! # What `apply` records
//!
//! The ledger feeds the events visible to a query, corrections already
//! substituted and retractions removed, in `(effective, seq)` order.
//!
//! - `dispute.filed` records the dispute's [`Sides`]: plaintiffs,
//!   defendants, `responds_to`, filing time and seq. Filing an id that is
//!   already filed is an [`Anomaly`]; the first filing stays.
//! - `partnership.formed` records a [`Partnership`]. Forming an id that is
//!   already *active* is an anomaly (the first formation stays); forming an
//!   id that has *ended* starts it again, replacing the old record.
//! - `partnership.ended` ends an active partnership; ending one that was
//!   never formed, or has already ended, is an anomaly.
//! - Everything else, including `correction` and `retraction` should they
//!   arrive, is ignored without an anomaly.
//!
//! # Definitions
//!
//! - **Groups.** Every party is mapped through `group_of`. For a dispute, let
//!   *P* be the set of its plaintiffs' groups and *D* that of its
//!   defendants' groups. Two groups are **adverse in** the dispute when one
//!   is in *P* but not *D* and the other in *D* but not *P*. A group on both
//!   sides of its own dispute (a parent suing its subsidiary) pairs with
//!   nothing for that dispute.
//! - **Partners.** Two distinct groups are partners in a partnership when
//!   both are among its parties' groups. A customer is not a party.
//! - **Pair** ([`Pair`], from [`Relations::pairs`]): every unordered pair
//!   of distinct groups that are adverse in some dispute or partners in
//!   some partnership, with all such disputes and partnerships, and the
//!   subsets that are active (`is_active` for disputes, not ended for
//!   partnerships).
//! - **Conflict** ([`Conflict`], DESIGN.md section 6): a pair of groups on
//!   opposite sides of an active (non-terminal) dispute while sharing an
//!   active partnership; it lists those active disputes and active
//!   partnerships. The textbook case: Nokia and Amazon from 2024-05-08 (the
//!   AWS–Nokia partnership for Telefónica Germany; AWS's group is Amazon)
//!   until the settlement of 2025-03-31.
//! - **Countersuit** ([`Countersuit`]): dispute *B* answers dispute *A* when
//!   1. *A* was filed before *B* in replay order, comparing
//!      `(effective.instant_micros(), seq)` of the two filings;
//!   2. *A* was still open when *B* was filed: `closed_on(A)` is `None` or
//!      its instant is strictly later than *B*'s filing instant (a date
//!      counts as midnight UTC at its start, so *A* closed on or before *B*'s
//!      filing does not count); and
//!   3. *B*'s plaintiffs' groups meet *A*'s defendants' groups and *B*'s
//!      defendants' groups meet *A*'s plaintiffs' groups,
//!
//!   whether or not *B*'s `responds_to` says so. When *B*'s `responds_to`
//!   names a filed dispute *A*, that is the only countersuit reported for
//!   *B*, with `declared = true`, even if the conditions above do not hold
//!   (a user said so). Otherwise (no `responds_to`, or one naming a dispute
//!   that was never filed) every *A* meeting the conditions is reported,
//!   with `declared = false`.
//!
//! All state lives in `BTreeMap`s, so equality, iteration order and the
//! bincode encoding are deterministic, and [`View`]'s lists are sorted.
#![forbid(unsafe_code)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod state;
mod view;

#[cfg(test)]
mod tests;

pub use docket_model::{Anomaly, Projection};
pub use state::{Partnership, Relations, Sides};
pub use view::{Conflict, Countersuit, Pair, View};
