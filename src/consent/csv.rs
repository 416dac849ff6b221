//! The suppression list as CSV (RFC 4180: comma-separated, CRLF or LF line ends, fields with
//! commas, quotes or line breaks in double quotes, quotes doubled), for moving lists between
//! systems.
//!
//! Export columns: `number,scope,source,word,note,created_at`. Import reads the same file
//! back, or any file whose first column is the number; `scope` (default `global`) and `note`
//! are taken from their columns when the header names them. A header row is recognised by
//! its first field being `number`.

use crate::model::{
    GLOBAL_SCOPE, Msisdn, NumberPlan, Sender, Suppression, SuppressionSource, Timestamp,
};

/// Most rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 100_000;

/// The export header.
pub const HEADER: &str = "number,scope,source,word,note,created_at";

/// One row problem in an import, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct RowError {
    /// The line of the row.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Appends `entries` as CSV rows (without header) to `out`.
pub fn write_rows(out: &mut String, entries: &[Suppression]) {
    for s in entries {
        let source = match s.source {
            SuppressionSource::Keyword => "keyword",
            SuppressionSource::Api => "api",
            SuppressionSource::Import => "import",
        };
        let fields = [
            s.number.as_str(),
            s.scope.as_str(),
            source,
            s.word.as_deref().unwrap_or(""),
            s.note.as_deref().unwrap_or(""),
            &s.created_at.to_rfc3339(),
        ];
        let row: Vec<String> = fields.iter().map(|f| quote(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
}

fn quote(f: &str) -> String {
    if f.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_string()
    }
}

/// Splits CSV text into records of fields, each with its starting line.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, RowError> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                out.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(RowError {
            line: start,
            reason: "a quoted field is not closed".into(),
        });
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((start, fields));
    }
    Ok(out)
}

/// Reads an import: every row becomes an entry (source `import`, created `now`), numbers
/// normalised with `plan`. Every bad row is reported; nothing is taken if any is bad.
pub fn parse(
    text: &str,
    plan: &NumberPlan,
    now: Timestamp,
) -> Result<Vec<Suppression>, Vec<RowError>> {
    let rows = records(text).map_err(|e| vec![e])?;
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let (mut scope_col, mut note_col) = (None, None);
    for (i, (line, row)) in rows.into_iter().enumerate() {
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if i == 0 && row[0].trim().eq_ignore_ascii_case("number") {
            scope_col = row
                .iter()
                .position(|f| f.trim().eq_ignore_ascii_case("scope"));
            note_col = row
                .iter()
                .position(|f| f.trim().eq_ignore_ascii_case("note"));
            continue;
        }
        if out.len() + errors.len() >= MAX_IMPORT_ROWS {
            errors.push(RowError {
                line,
                reason: format!("an import has at most {MAX_IMPORT_ROWS} rows"),
            });
            break;
        }
        let number = match Msisdn::parse(&row[0], plan) {
            Ok(n) => n,
            Err(e) => {
                errors.push(RowError {
                    line,
                    reason: format!("{:?}: {e}", row[0]),
                });
                continue;
            }
        };
        let scope = match scope_col.and_then(|c| row.get(c)).map(|s| s.trim()) {
            None | Some("") => GLOBAL_SCOPE.to_string(),
            Some(s) => match check_scope(s, plan) {
                Ok(s) => s,
                Err(reason) => {
                    errors.push(RowError { line, reason });
                    continue;
                }
            },
        };
        let note = note_col
            .and_then(|c| row.get(c))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        out.push(Suppression {
            number: number.as_str().to_string(),
            scope,
            source: SuppressionSource::Import,
            word: None,
            note,
            created_at: now,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A scope as given by a client: `global`, or a sender (normalised like a `from`).
pub fn check_scope(s: &str, plan: &NumberPlan) -> Result<String, String> {
    if s == GLOBAL_SCOPE {
        return Ok(s.to_string());
    }
    Sender::parse(s, plan)
        .map(|s| s.as_str().to_string())
        .map_err(|e| format!("scope {s:?} is neither \"global\" nor a sender: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> NumberPlan {
        NumberPlan::with_country("358")
    }

    #[test]
    fn an_export_should_import_back_to_the_same_entries() {
        let entries = vec![
            Suppression {
                number: "+358401234567".into(),
                scope: "global".into(),
                source: SuppressionSource::Import,
                word: None,
                note: Some("asked by phone, \"no more\", 2026".into()),
                created_at: Timestamp(1_000),
            },
            Suppression {
                number: "+46701234567".into(),
                scope: "Clinic".into(),
                source: SuppressionSource::Import,
                word: None,
                note: None,
                created_at: Timestamp(1_000),
            },
        ];
        let mut text = format!("{HEADER}\r\n");
        write_rows(&mut text, &entries);
        assert_eq!(parse(&text, &plan(), Timestamp(1_000)).unwrap(), entries);
    }

    #[test]
    fn a_plain_list_of_national_numbers_should_import_globally() {
        let got = parse("040 123 4567\n+46701234567\n\n", &plan(), Timestamp(5)).unwrap();
        let numbers: Vec<_> = got
            .iter()
            .map(|s| (s.number.as_str(), s.scope.as_str()))
            .collect();
        assert_eq!(
            numbers,
            [("+358401234567", "global"), ("+46701234567", "global")]
        );
    }

    #[test]
    fn bad_rows_should_all_be_reported_with_their_lines() {
        let errs = parse(
            "number,scope\nabc,global\n+358401234567,AVeryLongBrandName\n\"open",
            &plan(),
            Timestamp(0),
        )
        .unwrap_err();
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [4]);
        let errs = parse(
            "number,scope\nabc,global\n+358401234567,AVeryLongBrandName\n",
            &plan(),
            Timestamp(0),
        )
        .unwrap_err();
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3]);
    }
}
