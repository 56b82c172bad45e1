//! Shared rendering helpers: JSON printing, times, progress bars.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Prints `value` as one line of JSON on standard output.
pub fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// One JSON object written a member at a time, so that a large answer is
/// never built whole: the bytes are those [`print_json`] prints for the
/// same members in the same order.
pub struct JsonObject<W: Write> {
    out: W,
    members: usize,
}

impl<W: Write> JsonObject<W> {
    /// An object written to `out`.
    pub fn new(out: W) -> Self {
        JsonObject { out, members: 0 }
    }

    fn key(&mut self, key: &str) -> anyhow::Result<()> {
        self.out
            .write_all(if self.members == 0 { b"{" } else { b"," })?;
        self.members += 1;
        serde_json::to_writer(&mut self.out, key)?;
        self.out.write_all(b":")?;
        Ok(())
    }

    /// Writes the member `key`.
    pub fn member(&mut self, key: &str, value: &serde_json::Value) -> anyhow::Result<()> {
        self.key(key)?;
        serde_json::to_writer(&mut self.out, value)?;
        Ok(())
    }

    /// Writes the member `key`, a list of `items` written as they come.
    pub fn list(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = serde_json::Value>,
    ) -> anyhow::Result<()> {
        self.try_list(key, items.into_iter().map(Ok::<_, anyhow::Error>))
    }

    /// [`JsonObject::list`] of items that may fail to be read: the first
    /// failure is returned, the object left unfinished.
    pub fn try_list<E: Into<anyhow::Error>>(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = Result<serde_json::Value, E>>,
    ) -> anyhow::Result<()> {
        self.key(key)?;
        self.out.write_all(b"[")?;
        for (n, item) in items.into_iter().enumerate() {
            if n > 0 {
                self.out.write_all(b",")?;
            }
            serde_json::to_writer(&mut self.out, &item.map_err(Into::into)?)?;
        }
        self.out.write_all(b"]")?;
        Ok(())
    }

    /// Closes the object, ends the line and flushes.
    pub fn finish(mut self) -> anyhow::Result<()> {
        if self.members == 0 {
            self.out.write_all(b"{")?;
        }
        self.out.write_all(b"}\n")?;
        self.out.flush()?;
        Ok(())
    }
}

/// The width of the widest sequence number among `count` entries, for a
/// [`StreamedTable`] column known before the rows are read.
pub fn seq_width(count: u64) -> usize {
    count.saturating_sub(1).to_string().len()
}

/// The width of the longest kind name, for a [`StreamedTable`] column.
pub fn kind_width() -> usize {
    docket_model::Kind::ALL
        .iter()
        .map(|kind| kind.as_str().len())
        .max()
        .unwrap_or(0)
}

/// A recorded-at time (microseconds since the epoch) as RFC 3339 UTC.
pub fn timestamp(micros: i64) -> String {
    docket_ledger::format_instant(micros)
}

/// A progress bar on standard error, or a hidden one when standard error is
/// not a terminal (scripts and CI) or the job is too small to bother.
pub fn progress_bar(total: u64, unit: &str, worth_showing: bool) -> ProgressBar {
    if !worth_showing || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = format!(
        "{{spinner}} {{msg}} [{{bar:40}}] {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, {{eta}})"
    );
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A plain, aligned text table: each column as wide as its widest cell.
///
/// The cells are kept one after the other in one string, and each
/// column's width is worked out as rows come: `state` at ten million
/// events prints tables of 1.2 million rows, whose cells, one allocation
/// each, held hundreds of MB.
pub struct Table {
    /// Every cell's text, in order.
    text: String,
    /// Where each cell ends in `text`.
    cell_ends: Vec<usize>,
    /// How many cells there are up to the end of each row.
    row_ends: Vec<usize>,
    /// Each column's width: its widest cell so far, in characters.
    widths: Vec<usize>,
}

impl Table {
    /// A table with these column headings.
    pub fn new(headings: &[&str]) -> Table {
        let mut table = Table {
            text: String::new(),
            cell_ends: Vec::new(),
            row_ends: Vec::new(),
            widths: Vec::new(),
        };
        table.push_row(headings.iter().copied());
        table
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.push_row(cells.iter().map(String::as_str));
    }

    fn push_row<'a>(&mut self, cells: impl Iterator<Item = &'a str>) {
        for (c, cell) in cells.enumerate() {
            self.text.push_str(cell);
            self.cell_ends.push(self.text.len());
            let width = cell.chars().count();
            match self.widths.get_mut(c) {
                Some(widest) => *widest = (*widest).max(width),
                None => self.widths.push(width),
            }
        }
        self.row_ends.push(self.cell_ends.len());
    }

    /// How many rows, the headings included.
    fn len(&self) -> usize {
        self.row_ends.len()
    }

    /// The rows' cells, in order.
    fn rows(&self) -> impl Iterator<Item = impl Iterator<Item = &str>> {
        let starts = std::iter::once(0).chain(self.row_ends.iter().copied());
        starts.zip(&self.row_ends).map(move |(first, &end)| {
            (first..end).map(move |cell| {
                let start = match cell {
                    0 => 0,
                    _ => self.cell_ends[cell - 1],
                };
                &self.text[start..self.cell_ends[cell]]
            })
        })
    }

    /// Renders the table; the last column is not padded.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for row in self.rows() {
            push_line(&mut text, row, &self.widths);
        }
        text
    }

    /// Prints `heading` on a line, then the table, then an empty line, as
    /// `say!("{heading}\n{}", table.render())` would, without building the
    /// table's text.
    pub fn print_under(&self, heading: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        self.write_under(&mut out, heading)?;
        out.flush()?;
        Ok(())
    }

    /// What [`Table::print_under`] prints, written to `out`.
    fn write_under(
        &self,
        out: &mut impl Write,
        heading: std::fmt::Arguments<'_>,
    ) -> std::io::Result<()> {
        writeln!(out, "{heading}")?;
        self.write_with(out, &self.widths)?;
        writeln!(out)
    }

    /// Writes the rows with the columns `widths` wide.
    fn write_with(&self, out: &mut impl Write, widths: &[usize]) -> std::io::Result<()> {
        let mut line = String::new();
        for row in self.rows() {
            line.clear();
            push_line(&mut line, row, widths);
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// Appends one row to `text` with its cells padded to `widths` (a cell
/// past the widths is not padded) and two spaces between columns; the last
/// cell is not padded and the line is trimmed at its end.
fn push_line<'a>(text: &mut String, row: impl Iterator<Item = &'a str>, widths: &[usize]) {
    let start = text.len();
    let mut row = row.enumerate().peekable();
    while let Some((c, cell)) = row.next() {
        text.push_str(cell);
        if row.peek().is_some() {
            let width = widths.get(c).copied().unwrap_or(0);
            let pad = width.saturating_sub(cell.chars().count());
            text.extend(std::iter::repeat_n(' ', pad + 2));
        }
    }
    let kept = text[start..].trim_end().len();
    text.truncate(start + kept);
    text.push('\n');
}

/// A [`Table`] written as its rows come, for lists as long as the ledger.
///
/// A list of at most [`StreamedTable::ALIGNED_ROWS`] rows is printed
/// exactly as a [`Table`] would print it. A longer one is written once the
/// row after them comes, and never holds more than that many: its columns
/// are as wide as their widest cell among those rows, or as the widths the
/// caller knows in advance ([`StreamedTable::at_least`]), and a later cell
/// wider than its column widens the column from its row on.
pub struct StreamedTable<W: Write> {
    out: W,
    /// The headings and the rows before the widths are known.
    first: Table,
    /// At least these widths, by column.
    known: Vec<usize>,
    widths: Option<Vec<usize>>,
    line: String,
}

impl<W: Write> StreamedTable<W> {
    /// Rows that decide the widths of the columns.
    pub const ALIGNED_ROWS: usize = 4096;

    /// A table with these column headings, written to `out`.
    pub fn new(out: W, headings: &[&str]) -> Self {
        StreamedTable {
            out,
            first: Table::new(headings),
            known: Vec::new(),
            widths: None,
            line: String::new(),
        }
    }

    /// Makes `column` at least `width` characters wide in a list longer
    /// than [`StreamedTable::ALIGNED_ROWS`], for a column whose widest cell
    /// is known before the rows are read.
    pub fn at_least(mut self, column: usize, width: usize) -> Self {
        if self.known.len() <= column {
            self.known.resize(column + 1, 0);
        }
        self.known[column] = width;
        self
    }

    /// Adds a row, writing it if the widths are known.
    pub fn row(&mut self, cells: Vec<String>) -> std::io::Result<()> {
        if self.widths.is_none() {
            // The headings are a row of `first` too.
            if self.first.len() <= Self::ALIGNED_ROWS {
                self.first.row(cells);
                return Ok(());
            }
            // The row after the first `ALIGNED_ROWS`: theirs are the widths.
            let known = std::mem::take(&mut self.known);
            self.write_first(&known)?;
        }
        let widths = self.widths.get_or_insert_with(Vec::new);
        for (width, cell) in widths.iter_mut().zip(&cells) {
            *width = (*width).max(cell.chars().count());
        }
        self.line.clear();
        push_line(&mut self.line, cells.iter().map(String::as_str), widths);
        self.out.write_all(self.line.as_bytes())
    }

    /// Writes what is held back and flushes.
    pub fn finish(mut self) -> std::io::Result<()> {
        if self.widths.is_none() {
            // All rows fit: printed as a `Table` would print them.
            self.write_first(&[])?;
        }
        self.out.flush()
    }

    fn write_first(&mut self, known: &[usize]) -> std::io::Result<()> {
        let mut widths = self.first.widths.clone();
        for (width, &known) in widths.iter_mut().zip(known) {
            *width = (*width).max(known);
        }
        self.first.write_with(&mut self.out, &widths)?;
        self.first = Table::new(&[]);
        self.widths = Some(widths);
        Ok(())
    }
}

/// `println!` that returns write errors instead of panicking, so that
/// `docket log | head` ends quietly when the reader goes away.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        writeln!(std::io::stdout())?
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

/// `print!` that returns write errors instead of panicking.
macro_rules! say_raw {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($arg)*)?
    }};
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rows(n: usize) -> Vec<Vec<String>> {
        (0..n)
            .map(|i| vec![i.to_string(), "x".repeat(i % 7), format!("row {i}")])
            .collect()
    }

    fn streamed(rows: &[Vec<String>], seq_width: usize) -> String {
        let mut out = Vec::new();
        let mut table =
            StreamedTable::new(&mut out, &["SEQ", "WHAT", "MORE"]).at_least(0, seq_width);
        for row in rows {
            table.row(row.clone()).unwrap();
        }
        table.finish().unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_table_pads_every_cell_but_the_last_to_its_column() {
        // Ragged rows, empty cells and rows, a cell wider in characters
        // than in bytes, a last cell with a trailing space.
        let mut table = Table::new(&["A", "BB", "C"]);
        let rows: [&[&str]; 5] = [
            &["ééé", "", "x"],
            &[],
            &["1"],
            &["22", "3", "", "extra"],
            &["", "y "],
        ];
        for row in rows {
            table.row(row.iter().map(|cell| cell.to_string()).collect());
        }
        let expected = "A    BB  C\nééé      x\n\n1\n22   3      extra\n     y\n";
        assert_eq!(table.render(), expected);
        let mut printed = Vec::new();
        table
            .write_under(&mut printed, format_args!("HEADING ({})", 5))
            .unwrap();
        assert_eq!(
            String::from_utf8(printed).unwrap(),
            format!("HEADING (5)\n{expected}\n")
        );
        assert_eq!(Table::new(&[]).render(), "\n");
    }

    #[test]
    fn a_short_streamed_table_prints_as_a_table() {
        for n in [0, 1, 100, StreamedTable::<Vec<u8>>::ALIGNED_ROWS] {
            let rows = rows(n);
            let mut table = Table::new(&["SEQ", "WHAT", "MORE"]);
            for row in &rows {
                table.row(row.clone());
            }
            // The known width is for long lists only.
            // Compared without printing them: a failure would print both.
            assert!(streamed(&rows, 9) == table.render(), "{n} rows");
        }
    }

    #[test]
    fn a_json_object_written_by_members_is_the_object_printed_whole() {
        let whole = serde_json::json!({
            "ledger": {"size": 2, "head": "ab"},
            "entries": [{"seq": 0, "text": "a \"quoted\" line"}, {"seq": 1}],
            "none": [],
            "as_of": null,
        });
        let mut out = Vec::new();
        let mut object = JsonObject::new(&mut out);
        object.member("ledger", &whole["ledger"]).unwrap();
        let entries = whole["entries"].as_array().unwrap().iter().cloned();
        object.list("entries", entries).unwrap();
        object.list("none", []).unwrap();
        object.member("as_of", &whole["as_of"]).unwrap();
        object.finish().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), format!("{whole}\n"));

        let mut out = Vec::new();
        JsonObject::new(&mut out).finish().unwrap();
        assert_eq!(out, b"{}\n");

        // A failed item stops the list with its error.
        let mut out = Vec::new();
        let mut object = JsonObject::new(&mut out);
        let items = [
            Ok(serde_json::json!(1)),
            Err(anyhow::anyhow!("entry 7 unreadable")),
        ];
        let error = object.try_list("entries", items).unwrap_err();
        assert_eq!(error.to_string(), "entry 7 unreadable");
    }

    /// A writer whose bytes can be looked at while a table holds it.
    #[derive(Clone, Default)]
    struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_long_streamed_table_is_written_as_it_comes() {
        let out = Shared::default();
        let mut table = StreamedTable::new(out.clone(), &["SEQ", "WHAT"]);
        let aligned = StreamedTable::<Shared>::ALIGNED_ROWS;
        for (n, row) in rows(aligned + 3).into_iter().enumerate() {
            table.row(row).unwrap();
            let written = out.0.borrow().iter().filter(|&&b| b == b'\n').count();
            // Held back until a row past the first `aligned`, then each
            // row is written as it comes.
            let expected = if n < aligned { 0 } else { n + 2 };
            assert_eq!(written, expected, "after row {n}");
        }
        table.finish().unwrap();
    }

    #[test]
    fn a_long_streamed_table_keeps_known_widths_and_widens_for_later_cells() {
        let mut rows = rows(StreamedTable::<Vec<u8>>::ALIGNED_ROWS + 10);
        let last = rows.len() - 1;
        rows[last][1] = "y".repeat(12);
        let text = streamed(&rows, 5);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), rows.len() + 1);
        // SEQ is five wide from the start, WHAT six (its widest among the
        // first rows) until the last row widens it.
        let line = |seq: usize, what: &str, more: usize| format!("{seq:<5}  {what:<6}  row {more}");
        assert_eq!(lines[0], "SEQ    WHAT    MORE");
        assert_eq!(lines[1], "0              row 0");
        let before = last - 1;
        assert_eq!(lines[last], line(before, &"x".repeat(before % 7), before));
        assert_eq!(
            lines[last + 1],
            format!("{last}   yyyyyyyyyyyy  row {last}")
        );
    }
}
