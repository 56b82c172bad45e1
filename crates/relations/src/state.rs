//! The recorded state: the sides of every dispute and every partnership, and
//! how events change them.

use std::collections::BTreeMap;

use bincode::de::Decoder;
use bincode::error::DecodeError;
use bincode::{Decode, Encode};
use docket_model::{
    Anomaly, Body, DisputeFiled, Effective, Event, PartnershipEnded, PartnershipFormed, Projection,
    Slug, Text,
};

/// Who is adverse to and partnered with whom, as far as the events say.
///
/// Holds the sides of every filed dispute and every partnership, keyed by
/// slug in `BTreeMap`s so that equality and the bincode encoding are
/// deterministic. Everything that needs corporate structure or dispute
/// status is computed on demand by [`Relations::view`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Encode)]
pub struct Relations {
    /// Every filed dispute's sides, by dispute slug.
    disputes: BTreeMap<Slug, Sides>,
    /// Every partnership, by partnership slug.
    partnerships: BTreeMap<Slug, Partnership>,
    /// Events that did not fit, in the order applied.
    anomalies: Vec<Anomaly>,
}

/// Reads what the derived decoding read: each map as `BTreeMap::decode`
/// reads it, with the same result, but built at once ([`decode_map`]).
impl<Context> Decode<Context> for Relations {
    fn decode<D: Decoder<Context = Context>>(decoder: &mut D) -> Result<Self, DecodeError> {
        Ok(Relations {
            disputes: decode_map(decoder)?,
            partnerships: decode_map(decoder)?,
            anomalies: Vec::decode(decoder)?,
        })
    }
}

bincode::impl_borrow_decode!(Relations);

/// What `BTreeMap::<Slug, V>::decode` reads, with the same result (a
/// repeated key keeps its last value). The entries of a stored state come
/// in key order, from which a map is built in one pass: inserted one by
/// one, with a search each, they were as long to read as the disputes
/// read beside them. Entries out of order (a damaged file) are inserted
/// one by one.
fn decode_map<Ctx, V: Decode<Ctx>, D: Decoder<Context = Ctx>>(
    decoder: &mut D,
) -> Result<BTreeMap<Slug, V>, DecodeError> {
    let len = u64::decode(decoder)?;
    let len = usize::try_from(len).map_err(|_| DecodeError::OutsideUsizeRange(len))?;
    decoder.claim_container_read::<(Slug, V)>(len)?;
    // The claim bounds `len` by the decoder's limit, not by the bytes
    // there are, but room not filled is address space, never touched.
    let mut entries: Vec<(Slug, V)> = Vec::new();
    let _ = entries.try_reserve_exact(len);
    let mut in_order = true;
    for _ in 0..len {
        // As bincode's own maps do: each entry claims its bytes as read.
        decoder.unclaim_bytes_read(std::mem::size_of::<(Slug, V)>());
        let key = Slug::decode(decoder)?;
        let value = V::decode(decoder)?;
        match entries.last_mut() {
            Some((last, kept)) if *last == key => *kept = value,
            Some((last, _)) => {
                in_order &= *last < key;
                entries.push((key, value));
            }
            None => entries.push((key, value)),
        }
    }
    if in_order {
        // Strictly increasing keys: built in one pass, nothing dropped.
        return Ok(entries.into_iter().collect());
    }
    let mut map = BTreeMap::new();
    for (key, value) in entries {
        map.insert(key, value);
    }
    Ok(map)
}

/// A partnership between entities, as formed (and possibly ended).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Partnership {
    /// The partnership's slug.
    pub id: Slug,
    /// The partners, as listed when it was formed (entities, not groups).
    pub parties: Vec<Slug>,
    /// What it covers.
    pub scope: Option<Text>,
    /// The customer it serves, if any. A customer is not a party.
    pub customer: Option<Slug>,
    /// When it was formed (the `effective` of `partnership.formed`).
    pub formed: Effective,
    /// When it ended (the `effective` of `partnership.ended`), if it has.
    pub ended: Option<Effective>,
    /// Whether it is still running: always `ended.is_none()`.
    pub active: bool,
    /// The seq of the `partnership.formed` entry.
    pub formed_seq: u64,
}

/// The sides of a dispute, as filed.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct Sides {
    /// The dispute's slug.
    pub dispute: Slug,
    /// Who brings it (entities, not groups), as listed in the filing.
    pub plaintiffs: Vec<Slug>,
    /// Against whom (entities, not groups), as listed in the filing.
    pub defendants: Vec<Slug>,
    /// The dispute this one says it answers (`responds_to`), if any.
    pub responds_to: Option<Slug>,
    /// When it was filed (the `effective` of `dispute.filed`).
    pub filed: Effective,
    /// The seq of the `dispute.filed` entry.
    pub filed_seq: u64,
}

impl Sides {
    /// The filing's position in replay order: `(effective instant, seq)`.
    pub fn filing_order(&self) -> (i64, u64) {
        (self.filed.instant_micros(), self.filed_seq)
    }
}

impl Relations {
    /// An empty state: no disputes, no partnerships, no anomalies.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every partnership ever formed (active or ended), sorted by id.
    pub fn partnerships(&self) -> impl Iterator<Item = &Partnership> {
        self.partnerships.values()
    }

    /// The partnership with this id, if one was formed.
    pub fn partnership(&self, id: &str) -> Option<&Partnership> {
        self.partnerships.get(id)
    }

    /// The sides of this dispute, if it was filed.
    pub fn sides(&self, dispute: &str) -> Option<&Sides> {
        self.disputes.get(dispute)
    }

    /// The sides of every filed dispute, sorted by dispute id.
    pub fn all_sides(&self) -> impl Iterator<Item = &Sides> {
        self.disputes.values()
    }

    pub(crate) fn dispute_map(&self) -> &BTreeMap<Slug, Sides> {
        &self.disputes
    }

    fn file(&mut self, seq: u64, event: &Event, filed: &DisputeFiled) {
        if let Some(first) = self.disputes.get(&filed.dispute) {
            let reason = format!(
                "dispute \"{}\" was already filed at entry {} ({}); this second filing is ignored",
                filed.dispute, first.filed_seq, first.filed
            );
            self.anomalies.push(Anomaly::new(seq, event, reason));
            return;
        }
        let sides = Sides {
            dispute: filed.dispute.clone(),
            plaintiffs: filed.plaintiffs.clone(),
            defendants: filed.defendants.clone(),
            responds_to: filed.responds_to.clone(),
            filed: event.effective,
            filed_seq: seq,
        };
        self.disputes.insert(filed.dispute.clone(), sides);
    }

    fn form(&mut self, seq: u64, event: &Event, formed: &PartnershipFormed) {
        if let Some(current) = self.partnerships.get(&formed.partnership)
            && current.ended.is_none()
        {
            let reason = format!(
                "partnership \"{}\" is already active (formed at entry {} on {}); \
                 this formation is ignored",
                formed.partnership, current.formed_seq, current.formed
            );
            self.anomalies.push(Anomaly::new(seq, event, reason));
            return;
        }
        // A new partnership, or an ended one formed again: the new
        // formation replaces the old record.
        let partnership = Partnership {
            id: formed.partnership.clone(),
            parties: formed.parties.clone(),
            scope: formed.scope.clone(),
            customer: formed.customer.clone(),
            formed: event.effective,
            ended: None,
            active: true,
            formed_seq: seq,
        };
        self.partnerships
            .insert(formed.partnership.clone(), partnership);
    }

    fn end(&mut self, seq: u64, event: &Event, ended: &PartnershipEnded) {
        let reason = match self.partnerships.get_mut(&ended.partnership) {
            None => format!(
                "partnership \"{}\" was never formed, so it cannot end",
                ended.partnership
            ),
            Some(p) => match p.ended {
                Some(when) => format!(
                    "partnership \"{}\" already ended on {when}",
                    ended.partnership
                ),
                None => {
                    p.ended = Some(event.effective);
                    p.active = false;
                    return;
                }
            },
        };
        self.anomalies.push(Anomaly::new(seq, event, reason));
    }
}

impl Projection for Relations {
    /// Records `dispute.filed`, `partnership.formed` and `partnership.ended`;
    /// ignores every other kind (dispute status belongs to docket-disputes,
    /// corporate structure to docket-holdings; corrections and retractions
    /// are resolved by the ledger before events arrive here).
    fn apply(&mut self, seq: u64, event: &Event) {
        match &event.body {
            Body::DisputeFiled(filed) => self.file(seq, event, filed),
            Body::PartnershipFormed(formed) => self.form(seq, event, formed),
            Body::PartnershipEnded(ended) => self.end(seq, event, ended),
            _ => {}
        }
    }

    fn anomalies(&self) -> &[Anomaly] {
        &self.anomalies
    }
}
