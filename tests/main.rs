//! Integration tests of the `docket` command and the `docket-ledger` facade:
//! one test binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod bad_inputs;
mod crash;
mod end_to_end;
mod golden;
mod support;
mod time_travel;
mod verified_appends;
