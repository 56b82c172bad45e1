//! Exit codes (DESIGN.md section 6) and how errors map onto them.

use docket_ledger::{AppendError, DocketError, FailureKind, FixError, ImportError};

/// Success.
pub const OK: u8 = 0;
/// Any failure not covered below.
pub const ERROR: u8 = 1;
/// The command line itself is wrong.
pub const USAGE: u8 = 2;
/// The ledger or an export failed verification.
pub const INTEGRITY: u8 = 3;
/// An event was rejected; nothing was written.
pub const REJECTED: u8 = 4;

/// An error that is a finding about the integrity of stored data.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct IntegrityFailure(pub String);

/// A command line that parsed but makes no sense (bad hash, bad seq…).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn code_for_kind(kind: FailureKind) -> u8 {
    match kind {
        FailureKind::Error => ERROR,
        FailureKind::Integrity => INTEGRITY,
        FailureKind::Rejected => REJECTED,
    }
}

/// The exit code for an error, found by looking through its causes.
pub fn code_for(error: &anyhow::Error) -> u8 {
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<AppendError>() {
            return code_for_kind(e.failure_kind());
        }
        if let Some(e) = cause.downcast_ref::<ImportError>() {
            return code_for_kind(e.failure_kind());
        }
        if let Some(e) = cause.downcast_ref::<DocketError>() {
            return code_for_kind(e.failure_kind());
        }
        if let Some(e) = cause.downcast_ref::<FixError>() {
            return code_for_kind(e.failure_kind());
        }
        if cause.downcast_ref::<IntegrityFailure>().is_some() {
            return INTEGRITY;
        }
        if cause.downcast_ref::<UsageError>().is_some() {
            return USAGE;
        }
    }
    ERROR
}

/// The error and its causes on one line. Library errors often carry their
/// cause's text in their own message already; a cause whose text is already
/// there is not repeated.
pub fn message(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

/// Whether the error is standard output's reader going away (`| head`),
/// which is not worth a message. JSON is written through serde_json,
/// whose error wraps the write's.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| Some(e.kind()) == broken)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == broken)
    })
}
