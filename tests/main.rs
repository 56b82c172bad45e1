//! Integration tests of the `docket` command and the `docket-ledger` facade:
//! one test binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod adversarial;
mod audit;
mod bad_inputs;
mod browser;
mod concurrency;
mod crash;
mod dockets;
mod end_to_end;
mod golden;
mod signatures;
mod support;
mod time_travel;
mod verified_appends;

/// Every allocation of this test binary goes through the watch, so the
/// adversarial suite can bound what decoders allocate.
#[global_allocator]
static ALLOCATOR: adversarial::Watch = adversarial::Watch;
