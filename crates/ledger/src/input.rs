//! Splitting an input text into events: one JSON object, pretty-printed or
//! not, or several of them (NDJSON).

use docket_model::{Event, ParseError};
use serde::de::IgnoredAny;

use crate::AppendError;

/// An event read from an input text, with where it started.
#[derive(Debug, Clone)]
pub struct ParsedEvent {
    /// 1-based line of the input on which the event's JSON starts.
    pub line: usize,
    /// The event as written (its id may still be absent).
    pub event: Event,
}

/// Reads every JSON value in `text` as an event.
///
/// The values may be separated by any whitespace, so a single pretty-printed
/// event and NDJSON are both accepted. Errors name the line.
pub fn parse_events(text: &str) -> Result<Vec<ParsedEvent>, AppendError> {
    let mut events = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<IgnoredAny>();
    let mut start = 0;
    // Lines are counted incrementally: rescanning from the start for every
    // value would make large batches quadratic.
    let (mut counted_to, mut line) = (0usize, 1usize);
    loop {
        // The offset after the previous value still includes the whitespace
        // before the next one; skip it so the line number is the value's own.
        let skipped = text[start..].len() - text[start..].trim_start().len();
        let value_start = start + skipped;
        line += count_newlines(&text[counted_to..value_start]);
        counted_to = value_start;
        match stream.next() {
            None => break,
            Some(Ok(IgnoredAny)) => {
                let end = stream.byte_offset();
                let slice = &text[value_start..end];
                let event = Event::from_json(slice).map_err(|source| AppendError::Parse {
                    line,
                    error: source,
                })?;
                events.push(ParsedEvent { line, event });
                start = end;
            }
            Some(Err(error)) => {
                // serde_json reports lines relative to the whole text already.
                let source = ParseError::malformed(&error);
                return Err(AppendError::Parse {
                    line: error.line().max(1),
                    error: source,
                });
            }
        }
    }
    if events.is_empty() {
        return Err(AppendError::Empty);
    }
    Ok(events)
}

fn count_newlines(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTITY: &str =
        r#"{"kind":"entity.registered","effective":"2020-01-01","entity":"acme","name":"Acme"}"#;

    #[test]
    fn one_pretty_printed_event() {
        let text = "\n\n{\n  \"kind\": \"entity.registered\",\n  \"effective\": \"2020-01-01\",\n  \"entity\": \"acme\",\n  \"name\": \"Acme\"\n}\n";
        let events = parse_events(text).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].line, 3);
    }

    #[test]
    fn ndjson_lines_are_numbered() {
        let other = ENTITY.replace("acme", "beta");
        let text = format!("{ENTITY}\n\n{other}\n");
        let events = parse_events(&text).unwrap();
        assert_eq!(
            events.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![1, 3]
        );
    }

    #[test]
    fn a_bad_second_event_names_its_line() {
        let bad = ENTITY.replace("acme", "Acme Inc");
        let text = format!("{ENTITY}\n{bad}\n");
        match parse_events(&text) {
            Err(AppendError::Parse {
                line,
                error: source,
            }) => {
                assert_eq!(line, 2);
                assert_eq!(source.path(), "$.entity");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn malformed_json_names_its_line() {
        let text = format!("{ENTITY}\n{{\"kind\": \n");
        match parse_events(&text) {
            Err(AppendError::Parse { line, .. }) => assert_eq!(line, 3),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn empty_input_is_refused() {
        assert!(matches!(parse_events("  \n"), Err(AppendError::Empty)));
    }
}
