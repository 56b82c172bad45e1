//! Whole-crate tests: property tests of the codecs, a table of bad JSON,
//! golden bytes, the limits budget, key events and signed payloads.

mod bad_json;
mod bytes_fuzz;
mod golden;
mod keys;
mod limits_fit;
mod roundtrip;
mod signed;

use crate::Event;

/// Parses JSON that the test knows to be valid.
fn parse(json: &str) -> Event {
    match Event::from_json(json) {
        Ok(e) => e,
        Err(e) => panic!("{json}\n  rejected: {e}"),
    }
}

/// Lowercase hex of bytes.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hex with optional spaces and `#` comments to the end of the
/// line (for readable golden values).
fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .lines()
        .flat_map(|line| line.split('#').next().unwrap_or("").bytes())
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}
