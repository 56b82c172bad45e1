//! Closed vocabularies: event kinds, entity categories, dispute natures,
//! ruling outcomes, dismissal reasons and key roles.
//!
//! Each has a fixed JSON spelling (`as_str`/`parse`) and a fixed one-byte
//! code used by the binary codec (`code`/`from_code`). Codes are part of the
//! stored format: never renumber, only append.

use std::fmt;

/// Defines a closed vocabulary enum with its spellings and codes.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal, $count:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $text:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every value, in code order.
            pub const ALL: [$name; $count] = [$($name::$variant),*];

            /// What the vocabulary is called in error messages.
            pub const WHAT: &'static str = $what;

            /// The JSON spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value with this JSON spelling, if any.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// The one-byte code of the binary format.
            pub fn code(self) -> u8 {
                match self {
                    $($name::$variant => $code,)*
                }
            }

            /// The value with this binary code, if any.
            pub fn from_code(code: u8) -> Option<Self> {
                match code {
                    $($code => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// The allowed spellings, quoted and comma-separated, for messages.
            pub fn allowed() -> String {
                let quoted: Vec<String> =
                    Self::ALL.iter().map(|v| format!("\"{}\"", v.as_str())).collect();
                quoted.join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Vocabulary for $name {
            const WHAT: &'static str = $what;
            fn parse(s: &str) -> Option<Self> {
                $name::parse(s)
            }
            fn allowed() -> String {
                $name::allowed()
            }
        }
    };
}

/// What the JSON parser needs of a vocabulary, to read any of them.
pub(crate) trait Vocabulary: Sized {
    /// What the vocabulary is called in messages.
    const WHAT: &'static str;
    /// The value with this spelling.
    fn parse(s: &str) -> Option<Self>;
    /// The allowed spellings, for messages.
    fn allowed() -> String;
}

vocabulary! {
    /// The kind of an event: the value of its `kind` field.
    Kind, "kind", 19 {
        /// `entity.registered`: a company, court, agency or person appears.
        EntityRegistered = 0, "entity.registered";
        /// `entity.renamed`: an entity takes a new name.
        EntityRenamed = 1, "entity.renamed";
        /// `dispute.filed`: a suit, complaint or petition is filed.
        DisputeFiled = 2, "dispute.filed";
        /// `dispute.entry`: a docket entry in a dispute.
        DisputeEntry = 3, "dispute.entry";
        /// `dispute.ruling`: an interim ruling (infringement, validity, injunction...).
        DisputeRuling = 4, "dispute.ruling";
        /// `dispute.stayed`: proceedings are stayed.
        DisputeStayed = 5, "dispute.stayed";
        /// `dispute.resumed`: a stay is lifted.
        DisputeResumed = 6, "dispute.resumed";
        /// `dispute.appealed`: a decision is appealed.
        DisputeAppealed = 7, "dispute.appealed";
        /// `dispute.judgment`: a final judgment.
        DisputeJudgment = 8, "dispute.judgment";
        /// `dispute.dismissed`: the dispute is dismissed.
        DisputeDismissed = 9, "dispute.dismissed";
        /// `dispute.settled`: a settlement closes one or more disputes.
        DisputeSettled = 10, "dispute.settled";
        /// `partnership.formed`: two or more entities start working together.
        PartnershipFormed = 11, "partnership.formed";
        /// `partnership.ended`: a partnership ends.
        PartnershipEnded = 12, "partnership.ended";
        /// `acquisition`: one entity acquires another.
        Acquisition = 13, "acquisition";
        /// `divestment`: an entity sells or spins off a unit.
        Divestment = 14, "divestment";
        /// `correction`: replaces an earlier event.
        Correction = 15, "correction";
        /// `retraction`: withdraws an earlier event.
        Retraction = 16, "retraction";
        /// `key.authorized`: a public key may sign events from now on.
        KeyAuthorized = 17, "key.authorized";
        /// `key.revoked`: a public key may no longer sign events.
        KeyRevoked = 18, "key.revoked";
    }
}

impl Kind {
    /// Whether this kind acts on other events (correction, retraction) rather
    /// than on the world. Such an event cannot be a correction's replacement.
    pub fn is_meta(self) -> bool {
        matches!(self, Kind::Correction | Kind::Retraction)
    }

    /// Whether this kind manages the ledger's writer keys (`key.authorized`,
    /// `key.revoked`) rather than recording the world. Projections ignore
    /// such events, and they cannot be corrected.
    pub fn is_key(self) -> bool {
        matches!(self, Kind::KeyAuthorized | Kind::KeyRevoked)
    }

    /// Whether events of this kind can be corrected: the kinds a
    /// correction's replacement may have, and so (as a correction keeps the
    /// kind of its target) the kinds it may target. False for corrections,
    /// retractions and key events.
    pub fn is_correctable(self) -> bool {
        !self.is_meta() && !self.is_key()
    }
}

vocabulary! {
    /// What an entity is. JSON field `category`; absent means `company`.
    #[derive(Default)]
    Category, "category", 5 {
        /// `company` (the default).
        #[default]
        Company = 0, "company";
        /// `court`: a court or tribunal, which can be a dispute's forum.
        Court = 1, "court";
        /// `agency`: a government agency such as the ITC or a patent office.
        Agency = 2, "agency";
        /// `person`: a natural person.
        Person = 3, "person";
        /// `other`.
        Other = 4, "other";
    }
}

vocabulary! {
    /// What a dispute is about. JSON field `nature`.
    Nature, "nature", 5 {
        /// `patent`.
        Patent = 0, "patent";
        /// `antitrust`.
        Antitrust = 1, "antitrust";
        /// `contract`.
        Contract = 2, "contract";
        /// `trade-secret`.
        TradeSecret = 3, "trade-secret";
        /// `other`.
        Other = 4, "other";
    }
}

vocabulary! {
    /// What a ruling decided. JSON field `outcome`.
    Outcome, "outcome", 6 {
        /// `infringement`: the accused products infringe.
        Infringement = 0, "infringement";
        /// `no-infringement`.
        NoInfringement = 1, "no-infringement";
        /// `invalid`: the patent (or claim) is invalid.
        Invalid = 2, "invalid";
        /// `valid`.
        Valid = 3, "valid";
        /// `injunction`: an injunction is granted.
        Injunction = 4, "injunction";
        /// `other`.
        Other = 5, "other";
    }
}

vocabulary! {
    /// Why a dispute was dismissed. JSON field `reason` of `dispute.dismissed`.
    DismissalReason, "dismissal reason", 4 {
        /// `voluntary`: withdrawn by the plaintiff.
        Voluntary = 0, "voluntary";
        /// `settled`: dismissed because the parties settled.
        Settled = 1, "settled";
        /// `jurisdiction`: the forum lacks jurisdiction.
        Jurisdiction = 2, "jurisdiction";
        /// `other`.
        Other = 3, "other";
    }
}

vocabulary! {
    /// What an authorised key may do. JSON field `role` of `key.authorized`;
    /// absent means `writer`. The model only records the role: what each
    /// role allows is the ledger's rule.
    #[derive(Default)]
    Role, "role", 2 {
        /// `writer` (the default): may sign events.
        #[default]
        Writer = 0, "writer";
        /// `admin`: may also sign the key events that authorise and revoke keys.
        Admin = 1, "admin";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_codes_are_positions() {
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
            assert_eq!(usize::from(k.code()), i);
            assert_eq!(Kind::from_code(k.code()), Some(*k));
        }
        assert_eq!(Kind::parse("Dispute.Filed"), None);
        assert_eq!(Kind::ALL.len(), 19);
        assert_eq!(Kind::from_code(19), None);
        assert_eq!(Kind::parse("key.authorized"), Some(Kind::KeyAuthorized));
        assert_eq!(Kind::KeyRevoked.as_str(), "key.revoked");
        assert_eq!(
            (Kind::KeyAuthorized.code(), Kind::KeyRevoked.code()),
            (17, 18)
        );
        assert_eq!(Kind::DisputeFiled.to_string(), "dispute.filed");
        assert!(Kind::Correction.is_meta() && Kind::Retraction.is_meta());
        assert!(!Kind::Acquisition.is_meta());
        for k in Kind::ALL {
            let key = k.as_str().starts_with("key.");
            assert_eq!(k.is_key(), key, "{k}");
            assert_eq!(k.is_correctable(), !key && !k.is_meta(), "{k}");
            assert!(!(k.is_key() && k.is_meta()), "{k}");
        }
    }

    #[test]
    fn small_vocabularies() {
        assert_eq!(Category::default(), Category::Company);
        assert_eq!(Nature::parse("trade-secret"), Some(Nature::TradeSecret));
        assert_eq!(
            Outcome::parse("no-infringement"),
            Some(Outcome::NoInfringement)
        );
        assert_eq!(
            DismissalReason::parse("jurisdiction"),
            Some(DismissalReason::Jurisdiction)
        );
        assert_eq!(Nature::parse("patents"), None);
        assert_eq!(
            DismissalReason::allowed(),
            "\"voluntary\", \"settled\", \"jurisdiction\", \"other\""
        );
        for c in Category::ALL {
            assert_eq!(Category::from_code(c.code()), Some(c));
        }
        assert_eq!(Role::default(), Role::Writer);
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::allowed(), "\"writer\", \"admin\"");
        assert_eq!((Role::Writer.code(), Role::Admin.code()), (0, 1));
        for r in Role::ALL {
            assert_eq!(Role::from_code(r.code()), Some(r));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::from_code(o.code()), Some(o));
        }
    }
}
