//! Court dockets in (Juriscraper and CourtListener JSON), party resolution,
//! alias and merge, and the pictures (timeline SVG/HTML, graph).

use std::path::{Path, PathBuf};

use docket_ledger::{DocketFormat, DocketImportOptions, Ledger, TimeQuery};
use serde_json::Value;

use crate::support::{example_ledger, head_of, new_ledger, run, run_json, run_ok};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/juriscraper/"
    ))
    .join(name)
}

fn import(ledger: &Path, file: &Path) -> Value {
    run_json(
        ledger,
        &["import", "--format", "juriscraper", file.to_str().unwrap()],
    )["docket"]
        .clone()
}

fn strs(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// A fixture, edited, written to `dir`.
fn edited(dir: &Path, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut docket: Value = serde_json::from_slice(&std::fs::read(fixture(name)).unwrap()).unwrap();
    edit(&mut docket);
    let path = dir.join(format!("edited-{name}"));
    std::fs::write(&path, docket.to_string()).unwrap();
    path
}

#[test]
fn every_juriscraper_fixture_imports() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "l");
    // (file, dispute, docket entries, status)
    let expected = [
        ("ded.json", "ded-1-09-cv-00189", 2, "open"),
        ("txed.json", "txed-6-07-cv-00354", 25, "open"),
        ("nyed.json", "nyed-1-14-cv-07524", 21, "dismissed"),
        ("wawd.json", "wawd-2-15-cr-00099", 12, "open"),
        ("mad_193254.json", "mad-3-17-cv-12090", 30, "open"),
    ];
    for (file, dispute, entries, status) in expected {
        let report = import(&ledger, &fixture(file));
        assert_eq!(report["dispute"], dispute, "{file}");
        assert_eq!(report["entries"], entries, "{file}");
        let d = run_json(&ledger, &["dispute", dispute]);
        assert_eq!(d["status"], status, "{file}: {d}");
    }
    let nyed = run_json(&ledger, &["dispute", "nyed-1-14-cv-07524"]);
    assert_eq!(nyed["closed"], "2015-10-14");
    assert!(run(&ledger, &["verify"]).status.success());
}

#[test]
fn patent_dockets_give_the_expected_parties_forum_status_and_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_ledger(dir.path(), "l");
    let ded = import(&path, &fixture("ded.json"));
    assert_eq!(ded["nature"], "patent");
    assert_eq!(ded["created"].as_array().unwrap().len(), 4);
    let txed = import(&path, &fixture("txed.json"));
    assert_eq!(txed["nature"], "patent");
    assert_eq!(txed["terminated"], "2011-11-21");
    assert_eq!(txed["ending"], Value::Null);

    let ledger = Ledger::open(&path).unwrap();
    let q = TimeQuery::default();
    let d = ledger
        .dispute("ded-1-09-cv-00189", &q)
        .unwrap()
        .unwrap()
        .dispute;
    assert_eq!(
        d.title.as_str(),
        "Cubist Pharmaceuticals Inc. v. Teva Parenteral Medicines Inc."
    );
    assert_eq!(
        d.plaintiffs.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        ["cubist-pharmaceuticals"]
    );
    assert_eq!(
        d.defendants.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        [
            "teva-parenteral-medicines",
            "teva-pharmaceuticals-usa",
            "teva-pharmaceutical-industries"
        ]
    );
    assert_eq!(d.forum.court.as_str(), "ded");
    assert_eq!(
        d.forum.case_number.as_ref().unwrap().as_str(),
        "1:09-cv-00189"
    );
    assert_eq!(d.nature.as_str(), "patent");
    // Terminated 2011-04-11, but neither entry says how: it stays open.
    assert_eq!(d.status.as_str(), "open");
    assert_eq!(d.entries().count(), 2);

    let t = ledger
        .dispute("txed-6-07-cv-00354", &q)
        .unwrap()
        .unwrap()
        .dispute;
    assert_eq!(
        t.plaintiffs.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        ["creative-internet-advertising"]
    );
    // AOL (Unknown), the mediator and the counter-claim roles are not parties of the filing.
    assert_eq!(
        t.defendants.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        ["yahoo", "time-warner"]
    );
    assert_eq!(t.forum.court.as_str(), "txed");
    assert_eq!(
        t.forum.case_number.as_ref().unwrap().as_str(),
        "6:07-cv-00354"
    );
    assert_eq!(t.status.as_str(), "open");
    assert_eq!(t.entries().count(), 25);
    assert_eq!(ledger.state(&q).unwrap().anomalies().len(), 0);
}

#[test]
fn importing_a_docket_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "l");
    let first = import(&ledger, &fixture("txed.json"));
    assert_eq!(first["appended"], 30);
    let head = head_of(&ledger);
    let second = import(&ledger, &fixture("txed.json"));
    assert_eq!(second["appended"], 0);
    assert_eq!(second["unchanged"], 25);
    assert!(second["created"].as_array().unwrap().is_empty());
    assert!(
        second["parties"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["matched"] == "exact")
    );
    assert_eq!(head_of(&ledger), head);
}

#[test]
fn a_newer_docket_version_appends_only_what_is_new() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "l");
    let older = edited(dir.path(), "nyed.json", |d| {
        d["docket_entries"].as_array_mut().unwrap().truncate(8);
        d["date_terminated"] = Value::Null;
    });
    let first = import(&ledger, &older);
    assert_eq!(first["entries"], 8);
    assert_eq!(first["ending"], Value::Null);
    assert_eq!(
        run_json(&ledger, &["dispute", "nyed-1-14-cv-07524"])["status"],
        "open"
    );
    let size = head_of(&ledger).size;
    let newer = import(&ledger, &fixture("nyed.json"));
    // 13 more entries and the dismissal (from the stipulation of discontinuance).
    assert_eq!(newer["appended"], 14);
    assert_eq!(newer["unchanged"], 8);
    assert_eq!(newer["ending"], "dismissed");
    assert_eq!(head_of(&ledger).size, size + 14);
    let d = run_json(&ledger, &["dispute", "nyed-1-14-cv-07524"]);
    assert_eq!(d["status"], "dismissed");
}

#[test]
fn party_variants_match_and_distinct_companies_do_not_merge() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "l");
    import(&ledger, &fixture("ded.json"));
    // Another docket, with the parties spelt differently.
    let variant = edited(dir.path(), "ded.json", |d| {
        d["docket_number"] = "1:10-cv-00001".into();
        d["parties"][0]["name"] = "CUBIST PHARMACEUTICALS, INC".into();
        d["parties"][1]["name"] = "Teva Parenteral Medicines, Incorporated".into();
        d["parties"][2]["name"] = "teva pharmaceuticals usa inc.".into();
        d["parties"][3]["name"] = "Teva Pharmaceuticals Industries Ltd.".into();
    });
    let report = import(&ledger, &variant);
    let parties = report["parties"].as_array().unwrap();
    assert_eq!(parties[0]["entity"], "cubist-pharmaceuticals");
    assert_eq!(parties[0]["matched"], "normalised");
    assert_eq!(parties[1]["entity"], "teva-parenteral-medicines");
    assert_eq!(parties[2]["entity"], "teva-pharmaceuticals-usa");
    // "Pharmaceuticals Industries" is not "Pharmaceutical Industries": a new entity, not a merge.
    assert_eq!(parties[3]["entity"], "teva-pharmaceuticals-industries");
    assert_eq!(parties[3]["matched"], Value::Null);
    assert_eq!(
        strs(
            &report["created"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["entity"].clone())
                .collect()
        ),
        ["teva-pharmaceuticals-industries"]
    );

    // Two registered companies with the same normalised name: refused, never merged.
    let events = r#"{"id":"e1","kind":"entity.registered","effective":"2000-01-01","entity":"acme-inc","name":"Acme Inc"}
{"id":"e2","kind":"entity.registered","effective":"2000-01-01","entity":"acme-corp","name":"Acme Corp."}"#;
    std::fs::write(dir.path().join("acme.ndjson"), events).unwrap();
    run_ok(
        &ledger,
        &["import", dir.path().join("acme.ndjson").to_str().unwrap()],
    );
    let acme = edited(dir.path(), "ded.json", |d| {
        d["docket_number"] = "1:11-cv-00002".into();
        d["parties"][0]["name"] = "ACME LLC".into();
    });
    let head = head_of(&ledger);
    let out = run(
        &ledger,
        &["import", "--format", "juriscraper", acme.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("$.parties[0].name") && err.contains("acme-corp") && err.contains("acme-inc"),
        "{err}"
    );
    assert_eq!(head_of(&ledger), head);
    // An explicit mapping settles it.
    let mapped = run_json(
        &ledger,
        &[
            "import",
            "--format",
            "juriscraper",
            "--party",
            "ACME LLC=acme-corp",
            acme.to_str().unwrap(),
        ],
    );
    assert_eq!(mapped["docket"]["parties"][0]["entity"], "acme-corp");
    assert_eq!(mapped["docket"]["parties"][0]["matched"], "mapped");
}

#[test]
fn alias_and_merge_fix_resolution_with_events() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "l");
    import(&ledger, &fixture("txed.json"));
    // A docket naming Yahoo by another name makes a duplicate entity...
    let other = edited(dir.path(), "txed.json", |d| {
        d["docket_number"] = "6:08-cv-00001".into();
        d["parties"][3]["name"] = "Oath Holdings Inc.".into();
        d["docket_entries"].as_array_mut().unwrap().truncate(2);
    });
    let report = import(&ledger, &other);
    assert_eq!(report["parties"][1]["entity"], "oath-holdings");
    // ...which merge folds into yahoo, by corrections and a retraction.
    let merged = run_json(
        &ledger,
        &[
            "merge",
            "oath-holdings",
            "--into",
            "yahoo",
            "--effective",
            "2024-01-01",
        ],
    );
    assert_eq!(merged["merge"]["corrected"], 1);
    let d = run_json(&ledger, &["dispute", "txed-6-08-cv-00001"]);
    assert_eq!(strs(&d["defendants"]), ["yahoo", "time-warner"]);
    let state = run_json(&ledger, &["state"]);
    assert!(
        !state["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["id"] == "oath-holdings")
    );
    // The duplicate's name is now an alias: the next docket matches it.
    let again = edited(dir.path(), "txed.json", |d| {
        d["docket_number"] = "6:09-cv-00009".into();
        d["parties"][3]["name"] = "Oath Holdings Inc.".into();
        d["docket_entries"].as_array_mut().unwrap().truncate(1);
    });
    let report = import(&ledger, &again);
    assert_eq!(report["parties"][1]["entity"], "yahoo");
    assert_eq!(report["parties"][1]["matched"], "exact");
    // alias adds a name by a correction of the registration.
    run_ok(
        &ledger,
        &[
            "alias",
            "time-warner",
            "AOL Time Warner",
            "--effective",
            "2024-01-02",
        ],
    );
    let aliased = edited(dir.path(), "txed.json", |d| {
        d["docket_number"] = "6:10-cv-00010".into();
        d["parties"][4]["name"] = "AOL TIME WARNER INC".into();
        d["docket_entries"].as_array_mut().unwrap().truncate(1);
    });
    assert_eq!(
        import(&ledger, &aliased)["parties"][2]["entity"],
        "time-warner"
    );
    assert!(run(&ledger, &["verify"]).status.success());
}

#[test]
fn malformed_or_unknown_dockets_are_rejected_with_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "l");
    let head = head_of(&ledger);
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            edited(dir.path(), "ded.json", |d| {
                d.as_object_mut().unwrap().remove("docket_number");
            }),
            "$.docket_number",
        ),
        (
            edited(dir.path(), "txed.json", |d| {
                d["docket_entries"][1]["date_filed"] = "2007-13-45".into()
            }),
            "$.docket_entries[1].date_filed",
        ),
        (
            edited(dir.path(), "nyed.json", |d| d["parties"] = 7.into()),
            "$.parties",
        ),
        (
            edited(dir.path(), "wawd.json", |d| *d = serde_json::json!([1, 2])),
            "$",
        ),
    ];
    for (file, field) in cases {
        let out = run(
            &ledger,
            &["import", "--format", "juriscraper", file.to_str().unwrap()],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{err}");
        assert!(err.contains(&format!("at {field}")), "{field}: {err}");
    }
    let text = dir.path().join("not.json");
    std::fs::write(&text, "hello").unwrap();
    let out = run(
        &ledger,
        &["import", "--format", "juriscraper", text.to_str().unwrap()],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a JSON docket"));
    assert_eq!(head_of(&ledger), head);
}

#[test]
fn courtlistener_dockets_import() {
    let docket = serde_json::json!({
        "court": "https://www.courtlistener.com/api/rest/v4/courts/cand/",
        "case_name": "Example Networks, Inc. v. Sample Devices LLC",
        "docket_number": "3:21-cv-00042",
        "date_filed": "2021-01-05", "date_terminated": "2022-03-01",
        "nature_of_suit": "835 Patent - Abbreviated New Drug Application (ANDA)", "cause": "35:271 Patent Infringement",
        "parties": {"results": [
            {"name": "Example Networks, Inc.", "party_types": [{"name": "Plaintiff"}]},
            {"name": "Sample Devices LLC", "party_types": [{"name": "Defendant"}]}]},
        "docket_entries": {"results": [
            {"date_filed": "2021-01-05", "entry_number": 1, "description": "COMPLAINT for patent infringement"},
            {"date_filed": "2022-02-20", "entry_number": 57, "description": "",
             "recap_documents": [{"description": "Joint notice of settlement"}]},
            {"date_filed": "2022-03-01", "entry_number": 58, "description": "ORDER dismissing the case with prejudice pursuant to the parties' settlement"}]}
    });
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    let ledger = Ledger::init(&path).unwrap();
    let options = DocketImportOptions {
        format: DocketFormat::CourtListener,
        mappings: vec![],
        append: Default::default(),
    };
    let report = ledger.import_docket(&docket.to_string(), &options).unwrap();
    assert_eq!(report.plan.dispute, "cand-3-21-cv-00042");
    assert_eq!(report.plan.nature.as_str(), "patent");
    assert_eq!(report.plan.entries, 3);
    let d = ledger
        .dispute("cand-3-21-cv-00042", &TimeQuery::default())
        .unwrap()
        .unwrap()
        .dispute;
    assert_eq!(d.status.as_str(), "dismissed");
    assert_eq!(d.dismissals[0].reason.map(|r| r.as_str()), Some("settled"));
    assert_eq!(
        d.entries().nth(1).map(|(_, e)| e.description.as_str()),
        Some("Joint notice of settlement")
    );
    assert_eq!(
        ledger
            .import_docket(&docket.to_string(), &options)
            .unwrap()
            .appended,
        0
    );
    drop(ledger);
    let _ = std::fs::remove_dir_all(&path);
}

/// A small XML well-formedness check: balanced, properly nested tags,
/// quoted attributes, known entity references, one root element.
fn well_formed(xml: &str) -> Result<usize, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut elements = 0;
    let mut rest = xml.trim();
    let check_text = |text: &str| -> Result<(), String> {
        let mut t = text;
        while let Some(i) = t.find('&') {
            let end = t[i..].find(';').ok_or(format!("bare & in {text:?}"))?;
            let name = &t[i + 1..i + end];
            if !["amp", "lt", "gt", "quot", "apos"].contains(&name) && !name.starts_with('#') {
                return Err(format!("unknown entity &{name};"));
            }
            t = &t[i + end..];
        }
        Ok(())
    };
    while !rest.is_empty() {
        let Some(open) = rest.find('<') else {
            check_text(rest)?;
            if !stack.is_empty() || rest.trim().is_empty() {
                break;
            }
            return Err("text after the root".into());
        };
        check_text(&rest[..open])?;
        if stack.is_empty() && !rest[..open].trim().is_empty() {
            return Err("text outside the root".into());
        }
        rest = &rest[open..];
        if let Some(body) = rest.strip_prefix("<!--") {
            rest = &body[body.find("-->").ok_or("open comment")? + 3..];
            continue;
        }
        if rest.starts_with("<?") {
            rest = &rest[rest.find("?>").ok_or("open declaration")? + 2..];
            continue;
        }
        let close = rest.find('>').ok_or("open tag")?;
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if top != name.trim() {
                return Err(format!("</{name}> closes <{top}>"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name_end = tag.find(char::is_whitespace).unwrap_or(tag.len());
        let name = &tag[..name_end];
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || "-_:.".contains(c))
        {
            return Err(format!("bad tag name {name:?}"));
        }
        // Attributes: name="value" pairs.
        let mut attrs = tag[name_end..].trim();
        let mut seen = std::collections::HashSet::new();
        while !attrs.is_empty() {
            let eq = attrs
                .find('=')
                .ok_or(format!("attribute without value in <{name}>"))?;
            let key = attrs[..eq].trim();
            if !seen.insert(key.to_string()) {
                return Err(format!("duplicate attribute {key} in <{name}>"));
            }
            let after = &attrs[eq + 1..];
            let quote = after.chars().next().ok_or("missing value")?;
            if quote != '"' && quote != '\'' {
                return Err(format!("unquoted attribute {key} in <{name}>"));
            }
            let end = after[1..].find(quote).ok_or("unterminated attribute")?;
            let value = &after[1..1 + end];
            if value.contains('<') {
                return Err(format!("< in attribute {key}"));
            }
            check_text(value)?;
            attrs = after[end + 2..].trim();
        }
        elements += 1;
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name.to_string());
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed <{}>", stack.join("> <")));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(elements)
}

#[test]
fn the_well_formedness_check_catches_mistakes() {
    assert!(well_formed(r#"<svg a="1"><g><title>x &amp; y</title></g><rect/></svg>"#).is_ok());
    for bad in [
        "<svg><g></svg>",
        "<svg a=1/>",
        "<svg>&nbsp;</svg>",
        "<a/><b/>",
        "<svg>a & b</svg>",
        r#"<svg a="1" a="2"/>"#,
    ] {
        assert!(well_formed(bad).is_err(), "{bad}");
    }
}

#[test]
fn timeline_svg_and_html_show_every_event_of_the_dispute() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = new_ledger(dir.path(), "l");
    import(&ledger, &fixture("nyed.json"));
    import(&ledger, &fixture("txed.json"));
    let id = "nyed-1-14-cv-07524";
    let svg = run_ok(&ledger, &["timeline", "--dispute", id, "--format", "svg"]);
    well_formed(&svg).unwrap();
    let events = run_json(&ledger, &["timeline", "--dispute", id])["events"].clone();
    let events = events.as_array().unwrap();
    assert_eq!(events.len(), 1 + 21 + 1);
    for e in events {
        let needle = format!("data-id=\"{}\"", e["id"].as_str().unwrap());
        assert!(svg.contains(&needle), "{needle} missing");
    }
    let html_path = dir.path().join("t.html");
    run_ok(
        &ledger,
        &[
            "timeline",
            "--dispute",
            id,
            "--format",
            "html",
            "-o",
            html_path.to_str().unwrap(),
        ],
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    let inline = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap() + 6];
    well_formed(inline).unwrap();
    // Self-contained: no scripts, stylesheets or images fetched from anywhere.
    for banned in ["<script", "<link", "<img", "src=", "href=", "url(http"] {
        assert!(!html.contains(banned), "{banned}");
    }
    // The whole ledger, and an entity's disputes, on lanes.
    let all = run_ok(&ledger, &["timeline", "--format", "svg"]);
    well_formed(&all).unwrap();
    assert!(all.contains(">txed-6-07-cv-00354<") && all.contains(">nyed-1-14-cv-07524<"));
    let yahoo = run_ok(
        &ledger,
        &["timeline", "--entity", "yahoo", "--format", "svg"],
    );
    well_formed(&yahoo).unwrap();
    assert!(yahoo.contains(">txed-6-07-cv-00354<") && !yahoo.contains(">nyed-1-14-cv-07524<"));
}

#[test]
fn timeline_svg_of_the_example_puts_countersuits_on_parallel_lanes() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = example_ledger(dir.path(), "l");
    let svg = run_ok(
        &ledger,
        &[
            "timeline",
            "--dispute",
            "nokia-v-amazon-ded",
            "--format",
            "svg",
        ],
    );
    well_formed(&svg).unwrap();
    assert!(
        svg.contains(">amazon-v-nokia-ded<"),
        "the countersuit has its lane"
    );
    let events =
        run_json(&ledger, &["timeline", "--dispute", "nokia-v-amazon-ded"])["events"].clone();
    for e in events.as_array().unwrap() {
        assert!(svg.contains(&format!("data-id=\"{}\"", e["id"].as_str().unwrap())));
    }
}

#[test]
fn graph_draws_groups_disputes_partnerships_and_conflicts() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = example_ledger(dir.path(), "l");
    let dot = run_ok(
        &ledger,
        &["graph", "--as-of", "2024-07-31", "--format", "dot"],
    );
    assert!(dot.starts_with("digraph docket {"));
    assert!(dot.contains("\"nokia\" -> \"amazon\" [label=\"nokia-v-amazon-ded\", color=\"#c0392b\", style=solid, penwidth=2.5]"), "{dot}");
    assert!(dot.contains("color=\"#27ae60\", dir=none"), "{dot}");
    assert!(
        dot.contains("fillcolor=\"#ffd9d0\""),
        "conflict highlighted: {dot}"
    );
    let mermaid = run_ok(
        &ledger,
        &["graph", "--as-of", "2024-07-31", "--format", "mermaid"],
    );
    assert!(
        mermaid.starts_with("flowchart LR")
            && mermaid.contains("class ")
            && mermaid.contains("---")
    );
    let svg = run_ok(&ledger, &["graph", "--format", "svg"]);
    well_formed(&svg).unwrap();
    // After the settlement there is no conflict left.
    let later = run_ok(
        &ledger,
        &["graph", "--as-of", "2025-04-01", "--format", "dot"],
    );
    assert!(!later.contains("#ffd9d0"));
}

#[test]
fn completions_and_man_page_come_from_the_clap_definitions() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("unused");
    let bash = run_ok(&ledger, &["completions", "bash"]);
    assert!(bash.contains("docket") && bash.contains("timeline") && bash.contains("--format"));
    let man = run_ok(&ledger, &["man"]);
    assert!(man.contains(".TH docket") && man.contains("graph"));
}
