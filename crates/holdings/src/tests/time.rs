//! The structure and names as of earlier instants.

use super::*;

#[test]
fn ultimate_parent_at_before_and_after_an_acquisition() {
    let mut events = group();
    events.push(("2005-06-01", acquire("other", "mid")));
    let h = run(events);
    let leaf = slug("leaf");
    assert_eq!(h.ultimate_parent_at(&leaf, at("2005-05-31")), slug("top"));
    assert_eq!(
        h.ultimate_parent_at(&leaf, at("2005-06-01") - 1),
        slug("top")
    );
    assert_eq!(
        h.ultimate_parent_at(&leaf, at("2005-06-01")),
        slug("other"),
        "at the instant"
    );
    assert_eq!(h.ultimate_parent_at(&leaf, at("2010-01-01")), slug("other"));
    assert_eq!(h.parent_at("mid", at("2005-01-01")), Some(&slug("top")));
    assert_eq!(h.parent_at("mid", at("2006-01-01")), Some(&slug("other")));
}

#[test]
fn ultimate_parent_at_before_and_after_a_divestment() {
    let mut events = group();
    events.push(("2003-03-03", divest("top", "low", Some("rival"))));
    events.push(("2004-04-04", divest("rival", "low", None)));
    let h = run(events);
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    let (leaf, low) = (slug("leaf"), slug("low"));
    assert_eq!(h.ultimate_parent_at(&leaf, at("2003-03-02")), slug("top"));
    assert_eq!(h.ultimate_parent_at(&leaf, at("2003-03-03")), slug("rival"));
    assert_eq!(h.ultimate_parent_at(&leaf, at("2004-04-03")), slug("rival"));
    assert_eq!(
        h.ultimate_parent_at(&leaf, at("2004-04-04")),
        slug("low"),
        "spun off"
    );
    assert_eq!(h.ultimate_parent_at(&low, at("2004-04-04")), slug("low"));
    assert_eq!(h.ultimate_parent(&leaf), slug("low"));
    let causes: Vec<_> = h
        .get("low")
        .unwrap()
        .parents
        .iter()
        .map(|p| p.cause)
        .collect();
    use crate::ParentCause::*;
    assert_eq!(causes, [Registered, Divested, Divested]);
}

#[test]
fn the_past_follows_the_parents_own_history() {
    // mid moves from top to other; later top acquires other. As of the
    // middle period, leaf belongs to other, which was then independent.
    let mut events = group();
    events.push(("2001-01-01", acquire("other", "mid")));
    events.push(("2002-01-01", acquire("top", "other")));
    let h = run(events);
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    let leaf = slug("leaf");
    assert_eq!(h.ultimate_parent_at(&leaf, at("2000-06-01")), slug("top"));
    assert_eq!(h.ultimate_parent_at(&leaf, at("2001-06-01")), slug("other"));
    assert_eq!(h.ultimate_parent_at(&leaf, at("2002-06-01")), slug("top"));
    assert_eq!(h.ultimate_parent(&leaf), slug("top"));
}

#[test]
fn before_its_registration_an_entity_is_its_own_top() {
    let h = run(vec![
        ("2000-01-01", register("p", "P", None)),
        ("2001-01-01T12:00:00+02:00", register("s", "S", Some("p"))),
    ]);
    let s = slug("s");
    assert_eq!(
        h.ultimate_parent_at(&s, at("2001-01-01T09:59:59.999999Z")),
        s
    );
    assert_eq!(
        h.ultimate_parent_at(&s, at("2001-01-01T10:00:00Z")),
        slug("p")
    );
    assert_eq!(
        h.ultimate_parent_at(&slug("nobody"), at("2001-01-01")),
        slug("nobody")
    );
    assert_eq!(h.name_at("s", at("2000-12-31")), None);
    assert!(!h.get("s").unwrap().exists_at(at("2000-12-31")));
    assert!(h.get("s").unwrap().exists_at(at("2001-01-02")));
    assert_eq!(h.parent_at("s", at("2000-12-31")), None);
}

#[test]
fn names_over_time() {
    let h = run(vec![
        ("2000-01-01", register("a", "Alpha", None)),
        ("2005-01-01", rename("a", "Beta")),
        ("2005-01-01", rename("a", "Gamma")),
        ("2009-09-09", rename("a", "Delta")),
    ]);
    assert!(h.anomalies().is_empty(), "{:?}", reasons(&h));
    let name = |t: &str| h.name_at("a", at(t)).map(|n| n.as_str().to_owned());
    assert_eq!(name("1999-12-31"), None);
    assert_eq!(name("2000-01-01").as_deref(), Some("Alpha"));
    assert_eq!(name("2004-12-31").as_deref(), Some("Alpha"));
    assert_eq!(
        name("2005-01-01").as_deref(),
        Some("Gamma"),
        "the later seq wins"
    );
    assert_eq!(name("2009-09-08").as_deref(), Some("Gamma"));
    assert_eq!(name("2009-09-09").as_deref(), Some("Delta"));
    assert_eq!(h.name("a").unwrap().as_str(), "Delta");
    assert_eq!(h.name_at("nobody", at("2009-09-09")), None);
}
