//! Errors of the ledger's operations, one enum per operation.
//!
//! Each message carries its cause's text itself (a `line`, `path` or `seq`
//! and then what went wrong), so `Display` alone tells the whole story.

use std::path::PathBuf;

use docket_model::{EventId, ParseError};

/// How a failure should be reported to a person or a calling program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Something went wrong that says nothing about the data (I/O, storage).
    Error,
    /// Stored or exported history does not check out: evidence of damage.
    Integrity,
    /// The input was refused; nothing was written.
    Rejected,
}

/// Opening or creating a ledger failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The log underneath could not be opened or created.
    #[error(transparent)]
    Log(#[from] docket_log::OpenError),
    /// The administrator key is not usable.
    #[error(transparent)]
    Key(#[from] crate::KeyError),
    /// The root-of-trust entry could not be written.
    #[error("cannot record the administrator key: {0}")]
    Root(String),
}

/// Reading an entry or an index failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The log could not read the entry.
    #[error(transparent)]
    Log(#[from] docket_log::ReadError),
    /// The entry is there but its payload is not a valid event.
    #[error("entry {seq}: payload is not a valid event: {message}")]
    Payload {
        /// Sequence number of the entry.
        seq: u64,
        /// What the decoder said.
        message: String,
    },
    /// The derived index is damaged (it is rebuilt from the entries).
    #[error("{message}")]
    Index {
        /// What is wrong with it.
        message: String,
    },
}

/// Appending events was refused or failed; in every case nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The input held no event at all.
    #[error("no event in the input")]
    Empty,
    /// The input is not valid UTF-8.
    #[error("line {line}: the input is not valid UTF-8")]
    InvalidUtf8 {
        /// 1-based line of the first invalid byte.
        line: usize,
    },
    /// The input is not valid JSON, or an event fails its shape checks.
    #[error("line {line}: {error}")]
    Parse {
        /// 1-based line of the input where the event starts.
        line: usize,
        /// What is wrong, with the JSON path.
        error: ParseError,
    },
    /// An event could not be encoded (for instance it is too large).
    #[error("event {id}: cannot be encoded: {message}")]
    Encode {
        /// The event's id.
        id: EventId,
        /// What the encoder said.
        message: String,
    },
    /// The id is taken by an event with other content.
    #[error("event {id}: id already used by {existing} with different content")]
    IdConflict {
        /// The id in question.
        id: EventId,
        /// Where the other event is: "entry 12" or "line 3 of the input".
        existing: String,
    },
    /// A correction or retraction names an event the ledger does not hold.
    #[error("event {id}: target {target} is not in the ledger")]
    UnknownTarget {
        /// The correcting or retracting event.
        id: EventId,
        /// The id it names.
        target: EventId,
    },
    /// A correction's replacement is not of the same kind as its target.
    #[error(
        "event {id}: correction of {target} ({target_kind}) must replace it with a {target_kind}, not a {replacement_kind}"
    )]
    CorrectionKind {
        /// The correcting event.
        id: EventId,
        /// The corrected event.
        target: EventId,
        /// Kind of the corrected event.
        target_kind: &'static str,
        /// Kind of the replacement.
        replacement_kind: &'static str,
    },
    /// The events would not fit the history: they would create an anomaly
    /// on themselves or on an entry already in the ledger.
    #[error("{message}")]
    Conflict {
        /// The sentence naming the events involved.
        message: String,
        /// The entry the anomaly would be on (possibly one of the new ones).
        seq: u64,
    },
    /// The event is not signed as the ledger requires, or by a key that may
    /// not sign it at this point.
    #[error("event {id}: {reason}")]
    Unauthorised {
        /// The event.
        id: EventId,
        /// Why.
        reason: String,
    },
    /// The caller expected another head (optimistic concurrency).
    #[error("the ledger moved on: expected {expected}, the head is now size {size}, hash {hash}")]
    HeadMoved {
        /// What the caller expected, as given.
        expected: String,
        /// The current size.
        size: u64,
        /// The current head hash (hex).
        hash: String,
    },
    /// The error of the event that starts on this line of the input.
    #[error("line {line}: {error}")]
    AtLine {
        /// 1-based line.
        line: usize,
        /// What is wrong with that event.
        error: Box<AppendError>,
    },
    /// Reading the ledger to check the events failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The log refused or failed to store the entries.
    #[error(transparent)]
    Storage(#[from] docket_log::AppendError),
}

impl AppendError {
    /// Whether this is a refusal of the input rather than a failure.
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            AppendError::Read(_) | AppendError::Storage(_) => FailureKind::Error,
            AppendError::AtLine { error, .. } => error.failure_kind(),
            _ => FailureKind::Rejected,
        }
    }
}

/// Importing a file failed. Events committed before the failure stay
/// committed (each batch is atomic); re-running the import finishes it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be read.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The path is not a regular file (imports read their file twice).
    #[error("{}: not a regular file; import reads its file twice, so save a stream to a file first", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The file changed between the check and the store; what was stored
    /// before the change is intact and checked, the rest was not stored.
    #[error("{}:{line}: the file changed while it was being imported; nothing from this line on was stored", path.display())]
    Changed {
        /// The file.
        path: PathBuf,
        /// The first line that differs (0: lines were added at the end).
        line: usize,
    },
    /// A line is not a well-formed event; nothing of the file was written.
    #[error("{}:{line}: {error}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong, with the JSON path.
        error: ParseError,
    },
    /// An event in the file was refused; nothing of the file was written.
    #[error("{}:{line}: {error}", path.display())]
    Rejected {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Why the event was refused.
        error: AppendError,
    },
    /// The file's events, together, would break an entry already in the
    /// ledger; nothing of the file was written.
    #[error("{}: {error}", path.display())]
    Conflict {
        /// The file.
        path: PathBuf,
        /// What would break.
        error: AppendError,
    },
    /// A verbatim entries export does not verify; nothing was restored.
    #[error("{}:{line}: {message}", path.display())]
    Integrity {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What does not check out, naming the entry.
        message: String,
    },
    /// Storing a batch failed.
    #[error("{}: {error}", path.display())]
    Storage {
        /// The file being imported.
        path: PathBuf,
        /// The underlying error.
        error: AppendError,
    },
}

impl ImportError {
    /// How the failure should be reported.
    pub fn failure_kind(&self) -> FailureKind {
        match self {
            ImportError::Io { .. }
            | ImportError::Storage { .. }
            | ImportError::NotAFile { .. }
            | ImportError::Changed { .. } => FailureKind::Error,
            ImportError::Rejected { .. }
            | ImportError::Invalid { .. }
            | ImportError::Conflict { .. } => FailureKind::Rejected,
            ImportError::Integrity { .. } => FailureKind::Integrity,
        }
    }
}

/// Exporting failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// Writing the output failed.
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
    /// An entry could not be read or decoded.
    #[error(transparent)]
    Read(#[from] ReadError),
}
