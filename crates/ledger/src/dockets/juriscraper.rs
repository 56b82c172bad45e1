//! Reading a docket as Juriscraper's PACER docket parser writes it (the
//! JSON of `DocketReport.data`): `case_name`, `docket_number`, `court_id`,
//! `date_filed`, `date_terminated`, `nature_of_suit`, `cause`,
//! `parties[].name` / `parties[].type` and
//! `docket_entries[].date_filed` / `document_number` / `description`.

use serde_json::Value;

use super::{Docket, DocketEntry, DocketError, DocketParty, Fields};

/// Reads a Juriscraper docket.
pub fn parse(root: &Value) -> Result<Docket, DocketError> {
    let top = Fields::object(root, "$")?;
    let mut docket = top.header()?;
    for (i, party) in top.list("parties")?.iter().enumerate() {
        let at = format!("$.parties[{i}]");
        let fields = Fields::object(party, &at)?;
        docket.parties.push(DocketParty {
            name: fields.text("name")?,
            role: fields.optional_text("type")?.unwrap_or_default(),
        });
    }
    for (i, entry) in top.list("docket_entries")?.iter().enumerate() {
        let at = format!("$.docket_entries[{i}]");
        let fields = Fields::object(entry, &at)?;
        docket.entries.push(DocketEntry {
            date: fields.date("date_filed")?,
            number: fields.number_text("document_number")?,
            sequence: fields.number_text("pacer_seq_no")?,
            description: fields.optional_text("description")?.unwrap_or_default(),
        });
    }
    Ok(docket)
}
