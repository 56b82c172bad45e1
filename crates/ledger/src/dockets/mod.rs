//! Court dockets in: a docket (Juriscraper or CourtListener JSON) becomes
//! events that go through the normal validated append.
//!
//! The conversion is pure ([`docket_events`]): it reads the docket, resolves
//! its parties against the entities a ledger holds ([`parties`]), and
//! produces events with explicit, deterministic ids, so that importing the
//! same docket twice changes nothing and importing a newer version of it
//! appends only what is new. [`Ledger::import_docket`] runs it against the
//! ledger's current state and appends the result as one checked batch.
//!
//! Ids, for a dispute `D` = slug of `<court_id>-<docket_number>`:
//! `D-filed`; `D-entry-<number>` for a numbered entry, or
//! `D-entry-<date>-<8 hex of BLAKE3(description)>` for an unnumbered one;
//! `D-dismissed`, `D-settled` or `D-judgment` for the ending;
//! `entity-<slug>` and `court-<court_id>` for registrations.

mod convert;
mod courtlistener;
mod fixes;
mod juriscraper;
pub mod parties;

use serde_json::{Map, Value};

use crate::{AppendError, AppendOptions, Ledger, ReadError, TimeQuery};
use docket_log::Head;

pub use convert::{DocketPlan, Ending, EndingKind, PartyReport, Side, docket_events, nature_for};
pub use fixes::FixError;

/// The JSON dialect of a docket file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocketFormat {
    /// Juriscraper's PACER docket JSON.
    Juriscraper,
    /// CourtListener REST API v4 docket with parties and docket entries.
    CourtListener,
}

impl DocketFormat {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DocketFormat::Juriscraper => "juriscraper",
            DocketFormat::CourtListener => "courtlistener",
        }
    }
}

/// A docket, whatever its dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Docket {
    /// The court id, such as `ded`.
    pub court: String,
    /// The docket number, such as `1:09-cv-00189`.
    pub number: String,
    /// The case name, such as `Cubist Pharmaceuticals Inc. v. Teva…`.
    pub case_name: String,
    /// When the case was filed (`YYYY-MM-DD`).
    pub filed: String,
    /// When it was terminated, if it was.
    pub terminated: Option<String>,
    /// The nature-of-suit text, such as `830 Patent`.
    pub nature_of_suit: Option<String>,
    /// The cause of action, such as `35:271 Patent Infringement`.
    pub cause: Option<String>,
    /// The parties, in docket order.
    pub parties: Vec<DocketParty>,
    /// The docket entries, in docket order.
    pub entries: Vec<DocketEntry>,
}

/// One party of a docket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocketParty {
    /// The name as docketed.
    pub name: String,
    /// The role as docketed (`Plaintiff`, `Defendant`, `Counter Claimant`…).
    pub role: String,
}

/// One docket entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocketEntry {
    /// When it was filed (`YYYY-MM-DD`).
    pub date: String,
    /// The entry (document) number, if any.
    pub number: Option<String>,
    /// PACER's sequence number, if any.
    pub sequence: Option<String>,
    /// The docket text.
    pub description: String,
}

/// Why a docket could not be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocketError {
    /// The file is not JSON.
    #[error("not a JSON docket: {0}")]
    Json(String),
    /// A field is missing or malformed.
    #[error("at {field}: {message}")]
    Field {
        /// The JSON path of the field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A party name matches several registered entities.
    #[error(
        "at {field}: party \"{name}\" matches several registered entities ({}); \
         map it explicitly with --party \"NAME=ENTITY\"",
        candidates.join(", ")
    )]
    Ambiguous {
        /// The JSON path of the party.
        field: String,
        /// Its name.
        name: String,
        /// The matching entities.
        candidates: Vec<String>,
    },
    /// The events were refused by the ledger.
    #[error("{0}")]
    Append(#[from] AppendError),
    /// The ledger could not be read.
    #[error("{0}")]
    Read(#[from] ReadError),
}

impl DocketError {
    /// How the command line should report it.
    pub fn failure_kind(&self) -> crate::FailureKind {
        match self {
            DocketError::Append(e) => e.failure_kind(),
            DocketError::Read(_) => crate::FailureKind::Error,
            _ => crate::FailureKind::Rejected,
        }
    }

    fn field(field: impl Into<String>, message: impl Into<String>) -> DocketError {
        DocketError::Field {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Reads a docket of the given dialect from JSON text.
pub fn parse_docket(text: &str, format: DocketFormat) -> Result<Docket, DocketError> {
    let root: Value = serde_json::from_str(text).map_err(|e| DocketError::Json(e.to_string()))?;
    match format {
        DocketFormat::Juriscraper => juriscraper::parse(&root),
        DocketFormat::CourtListener => courtlistener::parse(&root),
    }
}

/// Typed access to the fields of one JSON object, with paths for errors.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    at: String,
}

impl<'a> Fields<'a> {
    fn object(value: &'a Value, at: &str) -> Result<Fields<'a>, DocketError> {
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                at: at.to_string(),
            }),
            _ => Err(DocketError::field(at, "expected an object")),
        }
    }

    fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.at)
    }

    fn error(&self, key: &str, message: &str) -> DocketError {
        DocketError::field(self.path(key), message)
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key)
    }

    fn optional_text(&self, key: &str) -> Result<Option<String>, DocketError> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.error(key, "expected a string")),
        }
    }

    fn text(&self, key: &str) -> Result<String, DocketError> {
        self.optional_text(key)?
            .ok_or_else(|| self.error(key, "missing or empty"))
    }

    /// A string or a non-negative integer, as text.
    fn number_text(&self, key: &str) -> Result<Option<String>, DocketError> {
        match self.get(key) {
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(Some(n.to_string())),
            Some(Value::Number(_)) => Err(self.error(key, "expected a non-negative integer")),
            _ => self.optional_text(key),
        }
    }

    fn date(&self, key: &str) -> Result<String, DocketError> {
        let text = self.text(key)?;
        check_date(&text).map_err(|m| self.error(key, &m))?;
        Ok(text)
    }

    fn optional_date(&self, key: &str) -> Result<Option<String>, DocketError> {
        match self.optional_text(key)? {
            None => Ok(None),
            Some(text) => {
                check_date(&text).map_err(|m| self.error(key, &m))?;
                Ok(Some(text))
            }
        }
    }

    fn list(&self, key: &str) -> Result<&'a [Value], DocketError> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => Err(self.error(key, "expected a list")),
        }
    }

    /// The fields every dialect shares.
    fn header(&self) -> Result<Docket, DocketError> {
        let court = match self.optional_text("court_id")? {
            Some(court) => court,
            None => match self.optional_text("court")? {
                // CourtListener links the court: `.../api/rest/v4/courts/ded/`.
                Some(url) => url
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                None => return Err(self.error("court_id", "missing or empty")),
            },
        };
        if parties::slugify(&court, 64).as_deref() != Some(court.to_lowercase().as_str()) {
            return Err(self.error("court_id", "not a court id (letters and digits)"));
        }
        Ok(Docket {
            court: court.to_lowercase(),
            number: self.text("docket_number")?,
            case_name: self.text("case_name")?,
            filed: self.date("date_filed")?,
            terminated: self.optional_date("date_terminated")?,
            nature_of_suit: self.optional_text("nature_of_suit")?,
            cause: self.optional_text("cause")?,
            parties: Vec::new(),
            entries: Vec::new(),
        })
    }
}

fn check_date(text: &str) -> Result<(), String> {
    let date = text.get(..10).unwrap_or(text);
    docket_model::Effective::parse(date)
        .map(|_| ())
        .map_err(|e| format!("not a date ({e})"))
}

/// Options of [`Ledger::import_docket`].
#[derive(Debug, Clone)]
pub struct DocketImportOptions {
    /// The dialect of the file.
    pub format: DocketFormat,
    /// Explicit party mappings: a docketed name and the entity it is.
    pub mappings: Vec<(String, String)>,
    /// How to append.
    pub append: AppendOptions,
}

/// What importing a docket did.
#[derive(Debug, Clone)]
pub struct DocketImport {
    /// What the docket turned into.
    pub plan: DocketPlan,
    /// How many events were newly stored.
    pub appended: usize,
    /// How many were already in the ledger.
    pub unchanged: usize,
    /// The head afterwards.
    pub head: Head,
    /// Things worth telling the user (a stored filing that differs…).
    pub warnings: Vec<String>,
}

impl Ledger {
    /// Imports one docket: parses it, resolves its parties against the
    /// entities the ledger holds, and appends the events as one validated
    /// batch. A docket already imported is a no-op; a newer version of it
    /// appends only its new entries (and its ending).
    pub fn import_docket(
        &self,
        text: &str,
        options: &DocketImportOptions,
    ) -> Result<DocketImport, DocketError> {
        let docket = parse_docket(text, options.format)?;
        let state = self.state(&TimeQuery::default())?;
        let mut plan = docket_events(&docket, &state.projections.holdings, &options.mappings)?;
        let mut warnings = Vec::new();
        let filed_id = docket_model::EventId::new(format!("{}-filed", plan.dispute))
            .map_err(|e| DocketError::field("$.docket_number", e.to_string()))?;
        if let Some(stored) = self.get_by_id(&filed_id)? {
            // The dispute is in the ledger already: keep its filing (and the
            // entities it names) as stored; only entries and the ending are new.
            let ours = plan
                .events
                .iter()
                .find(|e| e.id.as_ref() == Some(&filed_id))
                .and_then(|e| e.encode().ok());
            if ours != stored.event.encode().ok() {
                warnings.push(format!(
                    "the ledger's filing {filed_id} differs from this docket's (parties or title changed); \
                     it was kept as stored: correct it with a `correction` if the docket is right"
                ));
            }
            plan.events.retain(|e| {
                !matches!(e.body, docket_model::Body::EntityRegistered(_))
                    && e.id.as_ref() != Some(&filed_id)
            });
            plan.created.clear();
        }
        if plan.events.is_empty() {
            return Ok(DocketImport {
                plan,
                appended: 0,
                unchanged: 0,
                head: self.head(),
                warnings,
            });
        }
        let outcome = self.append_events(plan.events.clone(), &options.append)?;
        let appended = outcome.appended();
        Ok(DocketImport {
            unchanged: outcome.events.len() - appended,
            appended,
            head: outcome.head,
            plan,
            warnings,
        })
    }
}
