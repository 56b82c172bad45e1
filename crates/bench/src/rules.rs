//! The generator's simulated world: what exists at the simulation's clock,
//! and the events that only need the registry of entities and
//! partnerships. Everything here mirrors a rule of the ledger's
//! projections, so that whatever the generator writes is accepted.

use crate::generate::{START_DAY, date_of_day};
use crate::prng::SplitMix64;

/// A dispute's status, as the disputes projection tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Open,
    Stayed,
    OnAppeal,
    Settled,
    Dismissed,
    Decided,
}

impl Status {
    /// Settled, dismissed or decided.
    pub(crate) fn is_terminal(self) -> bool {
        matches!(self, Status::Settled | Status::Dismissed | Status::Decided)
    }

    /// Whether the event that leads to `to` fits a dispute in this status
    /// (`Open` stands for a resumption).
    pub(crate) fn can_become(self, to: Status) -> bool {
        use Status::*;
        match to {
            Stayed => matches!(self, Open | OnAppeal),
            Open => self == Stayed,
            OnAppeal => matches!(self, Open | Decided | Dismissed),
            Decided => matches!(self, Open | OnAppeal),
            Dismissed => !self.is_terminal(),
            Settled => false,
        }
    }
}

/// One filed dispute.
#[derive(Debug, Clone)]
pub(crate) struct Dispute {
    pub status: Status,
    pub stayed_from: Status,
    pub filed_day: i64,
    /// Numbered docket entries so far.
    pub entries: u64,
    /// Plaintiffs first, then defendants (entity indexes).
    pub parties: Vec<u32>,
    /// How many of `parties` are plaintiffs.
    pub plaintiffs: usize,
}

/// One registered entity.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub slug: String,
    pub parent: Option<u32>,
    pub renames: u32,
}

/// An event that a later correction or retraction may name.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Revisable {
    Entry {
        dispute: usize,
        day: i64,
    },
    Ruling {
        dispute: usize,
        day: i64,
        outcome: usize,
        favor: u32,
    },
}

/// Revisable events kept as candidates; older ones are forgotten.
const REVISABLE_WINDOW: usize = 512;

/// The simulated world.
pub(crate) struct World {
    pub rng: SplitMix64,
    /// The simulation's clock, in days since 1970-01-01.
    pub day: i64,
    /// The number of the event being written.
    pub current: u64,
    pub total: u64,
    pub entities: Vec<Entity>,
    pub courts: Vec<u32>,
    pub companies: Vec<u32>,
    pub disputes: Vec<Dispute>,
    pub partnerships: u64,
    pub active_partnerships: Vec<u64>,
    pub revisable: Vec<(u64, Revisable)>,
    pub revisions: u64,
    pub backdated: u64,
    target_entities: u64,
    target_courts: u64,
}

impl World {
    /// A world for a file of `total` events.
    pub(crate) fn new(rng: SplitMix64, total: u64) -> World {
        let target_entities = (total / 40).clamp(20, 25_000);
        World {
            rng,
            day: START_DAY,
            current: 0,
            total,
            entities: Vec::new(),
            courts: Vec::new(),
            companies: Vec::new(),
            disputes: Vec::new(),
            partnerships: 0,
            active_partnerships: Vec::new(),
            revisable: Vec::new(),
            revisions: 0,
            backdated: 0,
            target_entities,
            target_courts: (target_entities / 50).clamp(3, 200),
        }
    }

    /// An entity's slug.
    pub(crate) fn slug(&self, entity: u32) -> String {
        self.entities
            .get(entity as usize)
            .map(|e| e.slug.clone())
            .unwrap_or_default()
    }

    /// Registrations are paced: a fifth of the entities up front, the rest
    /// spread evenly over the history.
    pub(crate) fn needs_registration(&self) -> bool {
        let have = self.entities.len() as u64;
        let up_front = self.target_entities / 5 + self.target_courts;
        let paced =
            (self.target_entities - self.target_entities / 5) * self.current / self.total.max(1);
        (self.courts.len() as u64) < self.target_courts || have < up_front + paced
    }

    pub(crate) fn register(&mut self) -> String {
        let index = self.entities.len();
        if (self.courts.len() as u64) < self.target_courts {
            let k = self.courts.len();
            self.courts.push(index as u32);
            self.entities.push(Entity {
                slug: format!("court-{k}"),
                parent: None,
                renames: 0,
            });
            return format!(
                "\"kind\":\"entity.registered\",\"effective\":\"{}\",\"entity\":\"court-{k}\",\"name\":\"District Court {k}\",\"category\":\"court\"",
                date_of_day(self.day)
            );
        }
        let stem = STEMS[index % STEMS.len()];
        let slug = format!("{stem}-{index}");
        let mut text = String::new();
        let backdate = self.rng.chance(5) && self.day > START_DAY;
        let parent = if !backdate && !self.companies.is_empty() && self.rng.chance(60) {
            Some(self.companies[self.rng.index(self.companies.len())])
        } else {
            None
        };
        let day = if backdate {
            self.backdated += 1;
            START_DAY + self.rng.below((self.day - START_DAY) as u64) as i64
        } else {
            self.day
        };
        text.push_str(&format!(
            "\"kind\":\"entity.registered\",\"effective\":\"{}\",\"entity\":\"{slug}\",\"name\":\"{} {index} Inc.\"",
            date_of_day(day),
            capitalised(stem)
        ));
        if self.rng.chance(30) {
            text.push_str(&format!(",\"aliases\":[\"{} {index}\"]", capitalised(stem)));
        }
        if let Some(p) = parent {
            text.push_str(&format!(",\"parent\":\"{}\"", self.slug(p)));
        }
        self.companies.push(index as u32);
        self.entities.push(Entity {
            slug,
            parent,
            renames: 0,
        });
        text
    }

    /// Up to `count` distinct companies, none in `exclude`.
    fn distinct_companies(&mut self, count: usize, exclude: &[u32]) -> Vec<u32> {
        let mut chosen: Vec<u32> = Vec::with_capacity(count);
        for _ in 0..count * 4 {
            if chosen.len() == count || self.companies.is_empty() {
                break;
            }
            let c = self.companies[self.rng.index(self.companies.len())];
            if !chosen.contains(&c) && !exclude.contains(&c) {
                chosen.push(c);
            }
        }
        chosen
    }

    pub(crate) fn file(&mut self) -> Option<String> {
        if self.companies.len() < 4 || self.courts.is_empty() {
            return None;
        }
        let k = self.disputes.len();
        let counter = if k > 0 && self.rng.chance(15) {
            let r = k - 1 - self.rng.index(k.min(400));
            Some(r)
        } else {
            None
        };
        let (plaintiffs, defendants) = match counter.and_then(|r| self.disputes.get(r)) {
            Some(d) => (vec![d.parties[d.plaintiffs]], vec![d.parties[0]]),
            None => {
                let p_count = self.rng.between(1, 2) as usize;
                let plaintiffs = self.distinct_companies(p_count, &[]);
                let d_count = self.rng.between(1, 3) as usize;
                let defendants = self.distinct_companies(d_count, &plaintiffs);
                (plaintiffs, defendants)
            }
        };
        if plaintiffs.is_empty() || defendants.is_empty() {
            return None;
        }
        let court = self.courts[self.rng.index(self.courts.len())];
        let list = |w: &World, xs: &[u32]| -> String {
            let quoted: Vec<String> = xs.iter().map(|&x| format!("\"{}\"", w.slug(x))).collect();
            quoted.join(",")
        };
        let mut text = format!(
            "\"kind\":\"dispute.filed\",\"effective\":\"{}\",\"dispute\":\"d-{k}\",\"title\":\"{} v. {}\",\"forum\":{{\"court\":\"{}\",\"case_number\":\"{}-cv-{:05}\"}},\"nature\":\"{}\",\"plaintiffs\":[{}],\"defendants\":[{}]",
            date_of_day(self.day),
            self.slug(plaintiffs[0]),
            self.slug(defendants[0]),
            self.slug(court),
            date_of_day(self.day).get(2..4).unwrap_or("00"),
            k % 100_000,
            [
                "patent",
                "patent",
                "patent",
                "antitrust",
                "contract",
                "trade-secret"
            ][self.rng.index(6)],
            list(self, &plaintiffs),
            list(self, &defendants),
        );
        let claims = self.rng.below(4);
        if claims > 0 {
            let base = 7_000_000 + self.rng.below(3_000_000);
            let items: Vec<String> = (0..claims)
                .map(|j| {
                    format!(
                        "{{\"patent\":\"US{}\",\"area\":\"{}\"}}",
                        base + j * 7919,
                        AREAS[self.rng.index(AREAS.len())]
                    )
                })
                .collect();
            text.push_str(&format!(",\"claims\":[{}]", items.join(",")));
        }
        if self.rng.chance(40) {
            let stem = capitalised(STEMS[self.rng.index(STEMS.len())]);
            text.push_str(&format!(",\"accused\":[\"{stem} Phone\",\"{stem} Cloud\"]"));
        }
        if let Some(r) = counter {
            text.push_str(&format!(",\"responds_to\":\"d-{r}\""));
        }
        let plaintiff_count = plaintiffs.len();
        let mut parties = plaintiffs;
        parties.extend(defendants);
        self.disputes.push(Dispute {
            status: Status::Open,
            stayed_from: Status::Open,
            filed_day: self.day,
            entries: 0,
            parties,
            plaintiffs: plaintiff_count,
        });
        Some(text)
    }

    pub(crate) fn form(&mut self) -> Option<String> {
        let count = self.rng.between(2, 3) as usize;
        let parties = self.distinct_companies(count, &[]);
        if parties.len() < 2 {
            return None;
        }
        let k = self.partnerships;
        self.partnerships += 1;
        self.active_partnerships.push(k);
        let quoted: Vec<String> = parties
            .iter()
            .map(|&x| format!("\"{}\"", self.slug(x)))
            .collect();
        let mut text = format!(
            "\"kind\":\"partnership.formed\",\"effective\":\"{}\",\"partnership\":\"p-{k}\",\"parties\":[{}],\"scope\":\"Joint work on {}.\"",
            date_of_day(self.day),
            quoted.join(","),
            AREAS[self.rng.index(AREAS.len())]
        );
        if self.rng.chance(40) {
            let customer = self.companies[self.rng.index(self.companies.len())];
            text.push_str(&format!(",\"customer\":\"{}\"", self.slug(customer)));
        }
        Some(text)
    }

    pub(crate) fn end(&mut self) -> Option<String> {
        if self.active_partnerships.is_empty() {
            return None;
        }
        let at = self.rng.index(self.active_partnerships.len());
        let k = self.active_partnerships.swap_remove(at);
        Some(format!(
            "\"kind\":\"partnership.ended\",\"effective\":\"{}\",\"partnership\":\"p-{k}\",\"reason\":\"Contract term ended.\"",
            date_of_day(self.day)
        ))
    }

    /// Whether `holder` is `entity`'s parent or one of its ancestors.
    fn holds(&self, holder: u32, entity: u32) -> bool {
        let mut at = entity;
        for _ in 0..10_000 {
            match self.entities.get(at as usize).and_then(|e| e.parent) {
                Some(p) if p == holder => return true,
                Some(p) => at = p,
                None => return false,
            }
        }
        true
    }

    fn parent_of(&self, entity: u32) -> Option<u32> {
        self.entities.get(entity as usize).and_then(|e| e.parent)
    }

    fn set_parent(&mut self, entity: u32, parent: Option<u32>) {
        if let Some(e) = self.entities.get_mut(entity as usize) {
            e.parent = parent;
        }
    }

    pub(crate) fn acquire(&mut self) -> Option<String> {
        let pair = self.distinct_companies(2, &[]);
        let (&acquirer, &target) = (pair.first()?, pair.get(1)?);
        if self.holds(target, acquirer) || self.parent_of(target) == Some(acquirer) {
            return None;
        }
        self.set_parent(target, Some(acquirer));
        Some(format!(
            "\"kind\":\"acquisition\",\"effective\":\"{}\",\"acquirer\":\"{}\",\"target\":\"{}\"",
            date_of_day(self.day),
            self.slug(acquirer),
            self.slug(target)
        ))
    }

    pub(crate) fn divest(&mut self) -> Option<String> {
        let mut asset = None;
        for _ in 0..8 {
            let c = self.companies[self.rng.index(self.companies.len())];
            if self.parent_of(c).is_some() {
                asset = Some(c);
                break;
            }
        }
        let asset = asset?;
        let seller = self.parent_of(asset)?;
        let candidate = self.companies[self.rng.index(self.companies.len())];
        let buyer = (self.rng.chance(60)
            && candidate != asset
            && candidate != seller
            && !self.holds(asset, candidate))
        .then_some(candidate);
        self.set_parent(asset, buyer);
        let mut text = format!(
            "\"kind\":\"divestment\",\"effective\":\"{}\",\"seller\":\"{}\",\"asset\":\"{}\"",
            date_of_day(self.day),
            self.slug(seller),
            self.slug(asset)
        );
        if let Some(b) = buyer {
            text.push_str(&format!(",\"buyer\":\"{}\"", self.slug(b)));
        }
        Some(text)
    }

    pub(crate) fn rename(&mut self) -> Option<String> {
        let c = *self.companies.get(self.rng.index(self.companies.len()))?;
        let entity = self.entities.get_mut(c as usize)?;
        entity.renames += 1;
        let (slug, renames) = (entity.slug.clone(), entity.renames);
        Some(format!(
            "\"kind\":\"entity.renamed\",\"effective\":\"{}\",\"entity\":\"{slug}\",\"name\":\"{} Group {renames}\"",
            date_of_day(self.day),
            capitalised(&slug)
        ))
    }

    /// Keeps the event being written as a candidate for revision.
    pub(crate) fn remember(&mut self, what: Revisable) {
        self.revisable.push((self.current, what));
        if self.revisable.len() > REVISABLE_WINDOW {
            self.revisable.swap_remove(0);
        }
    }

    /// Takes a random candidate for revision (each is revised at most once).
    pub(crate) fn take_revisable(&mut self) -> Option<(u64, Revisable)> {
        if self.revisable.is_empty() {
            return None;
        }
        let at = self.rng.index(self.revisable.len());
        Some(self.revisable.swap_remove(at))
    }
}

/// `acme` → `Acme`.
fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Company name stems; an index keeps every slug unique.
const STEMS: &[&str] = &[
    "acme",
    "globex",
    "initech",
    "umbrella",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "hooli",
    "vandelay",
    "wonka",
    "soylent",
    "oscorp",
    "massive",
    "aperture",
    "nakatomi",
    "gringotts",
    "monarch",
    "zorg",
    "pied-piper",
    "dunder",
    "prestige",
    "sirius",
    "veridian",
];

/// Technology areas for claims and partnership scopes.
pub(crate) const AREAS: &[&str] = &[
    "video coding",
    "radio access",
    "cloud networking",
    "wireless charging",
    "image sensors",
    "speech recognition",
    "battery chemistry",
    "network security",
    "semiconductor packaging",
    "streaming",
    "positioning",
    "display panels",
];
