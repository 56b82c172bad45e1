//! Reading a docket from CourtListener's REST API (v4): a docket object
//! (`case_name`, `docket_number`, `court_id` or the `court` URL,
//! `date_filed`, `date_terminated`, `nature_of_suit`, `cause`) with its
//! parties and docket entries either embedded as lists or as the pages the
//! `parties` and `docket-entries` endpoints return (`{"results": [...]}`).
//!
//! Parties: `name`, and the role from `type` or the first
//! `party_types[].name`. Entries: `date_filed`, `entry_number` (a number
//! or a string), and `description`, or when that is empty the first
//! `recap_documents[].description`.

use serde_json::Value;

use super::{Docket, DocketEntry, DocketError, DocketParty, Fields};

/// The items of a list that may be wrapped in a results page.
fn items<'a>(fields: &Fields<'a>, key: &str) -> Result<Vec<&'a Value>, DocketError> {
    match fields.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items.iter().collect()),
        Some(page @ Value::Object(_)) => {
            let page = Fields::object(page, &format!("{}.{key}", fields.at))?;
            Ok(page.list("results")?.iter().collect())
        }
        Some(_) => Err(fields.error(key, "expected a list or a page with \"results\"")),
    }
}

/// Reads a CourtListener docket.
pub fn parse(root: &Value) -> Result<Docket, DocketError> {
    let top = Fields::object(root, "$")?;
    let mut docket = top.header()?;
    for (i, party) in items(&top, "parties")?.into_iter().enumerate() {
        let at = format!("$.parties[{i}]");
        let fields = Fields::object(party, &at)?;
        let mut role = fields.optional_text("type")?;
        if role.is_none()
            && let Some(first) = fields.list("party_types")?.first()
        {
            role = Fields::object(first, &format!("{at}.party_types[0]"))?.optional_text("name")?;
        }
        docket.parties.push(DocketParty {
            name: fields.text("name")?,
            role: role.unwrap_or_default(),
        });
    }
    for (i, entry) in items(&top, "docket_entries")?.into_iter().enumerate() {
        let at = format!("$.docket_entries[{i}]");
        let fields = Fields::object(entry, &at)?;
        let mut description = fields.optional_text("description")?.unwrap_or_default();
        if description.trim().is_empty()
            && let Some(first) = fields.list("recap_documents")?.first()
        {
            description = Fields::object(first, &format!("{at}.recap_documents[0]"))?
                .optional_text("description")?
                .unwrap_or_default();
        }
        docket.entries.push(DocketEntry {
            date: fields.date("date_filed")?,
            number: fields.number_text("entry_number")?,
            sequence: fields.number_text("pacer_sequence_number")?,
            description,
        });
    }
    Ok(docket)
}
