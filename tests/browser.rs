//! The HTML timeline opens in a real browser: headless Chromium renders the
//! Amazon/Nokia timeline to a screenshot that is not blank.
//!
//! `.ci/run` installs Debian's chromium. Elsewhere, without a browser, the
//! test says so and passes; with `CI` set, a missing browser fails it.

use std::path::Path;
use std::process::Command;

use crate::support::{example_ledger, run_ok};

const BROWSER: &str = "/usr/bin/chromium";

#[test]
fn the_html_timeline_renders_in_headless_chromium() {
    if !Path::new(BROWSER).exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install chromium (see .ci/run)"
        );
        eprintln!("skipping: {BROWSER} is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let ledger = example_ledger(dir.path(), "browser.ledger");
    let html = dir.path().join("timeline.html");
    run_ok(
        &ledger,
        &[
            "timeline",
            "--entity",
            "nokia",
            "--format",
            "html",
            "-o",
            html.to_str().unwrap(),
        ],
    );
    let blank = dir.path().join("blank.html");
    std::fs::write(&blank, "<!doctype html><title>blank</title>").unwrap();

    let shoot = |page: &Path, png: &Path| {
        let status = Command::new(BROWSER)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1400,900",
            ])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .arg(format!("--screenshot={}", png.display()))
            .arg(format!("file://{}", page.display()))
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "chromium failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        std::fs::read(png).unwrap()
    };
    let shot = shoot(&html, &dir.path().join("timeline.png"));
    let empty = shoot(&blank, &dir.path().join("blank.png"));
    assert!(shot.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // A page with lanes, marks and a table compresses far worse than a
    // blank page of the same size.
    assert!(
        shot.len() > 4 * empty.len(),
        "the timeline screenshot ({} bytes) looks blank next to an empty page ({} bytes)",
        shot.len(),
        empty.len()
    );
}
