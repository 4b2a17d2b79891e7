//! Lexicon file formats and the one loader that recognises them.
//!
//! # TSV
//! UTF-8, tab-separated, first line exactly the header [`TSV_HEADER`] (the seven names
//! `lampung`, `indonesian`, `english`, `dialect`, `pos`, `source`, `note`, separated by tabs),
//! then one row per entry with those seven fields (the trailing `note` may be left off).
//! `lampung`, `indonesian` and `source` must be non-empty; `english`, `pos` and `note` may be
//! empty; `dialect` is one of `nyo`, `api`, `both`, `unknown`. Forms may hold several words.
//! Blank lines and lines starting with `#` are skipped.
//!
//! # JSONL
//! One JSON object per line with the same keys; `english`, `pos` and `note` may be absent or
//! `null`. Unknown keys are rejected, so a typo cannot silently drop a field.
//!
//! # meizano JSON
//! The GPL lexicon of the meizano/lampung project, read by [`super::meizano`].
//!
//! [`super::load::load_lexicon`] tells the three apart by their first character. A malformed
//! row is an error naming the file and the line.

use serde::Deserialize;

use super::lang::DialectTag;
use super::lexicon::Entry;

/// The TSV header, tab-separated.
pub const TSV_HEADER: [&str; 7] = [
    "lampung",
    "indonesian",
    "english",
    "dialect",
    "pos",
    "source",
    "note",
];

/// What is wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowProblem {
    /// The row has too few or too many tab-separated fields.
    #[error("expected 6 or 7 tab-separated fields, found {found}")]
    FieldCount {
        /// Fields found.
        found: usize,
    },
    /// A required field is empty.
    #[error("the `{0}` field is empty")]
    Empty(&'static str),
    /// The dialect is not one of the four allowed values.
    #[error("dialect `{0}` is not one of nyo, api, both, unknown")]
    Dialect(String),
    /// A JSONL line is not a valid entry object.
    #[error("not a lexicon entry object: {0}")]
    Json(String),
}

/// Why a lexicon could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexiconError {
    /// The TSV header is missing or different.
    #[error("{file}: line 1 must be the header `{}`, found `{found}`", TSV_HEADER.join("\\t"))]
    Header {
        /// The file's name.
        file: String,
        /// The first line as found.
        found: String,
    },
    /// A row is malformed.
    #[error("{file}:{line}: {problem}; fix or delete the row")]
    Row {
        /// The file's name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: RowProblem,
    },
    /// A meizano JSON file does not parse.
    #[error(
        "{file}: not a meizano JSON array of {{idkata, lpgkata, lpgaksara, lpgdialek}}: {reason}"
    )]
    Meizano {
        /// The file's name.
        file: String,
        /// The JSON error.
        reason: String,
    },
}

/// The format a lexicon file was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Siger TSV.
    Tsv,
    /// Siger JSONL.
    Jsonl,
    /// meizano JSON.
    Meizano,
}

/// A loaded lexicon file and what loading it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The entries.
    pub entries: Vec<Entry>,
    /// The format recognised.
    pub format: Format,
    /// The name to cite the entries by (meizano files are cited with their licence).
    pub origin: String,
    /// Rows read (excluding header, blank and comment lines).
    pub rows: usize,
    /// Rows skipped (meizano rows with a null field).
    pub skipped: usize,
    /// Dialect tags not understood and read as unknown (meizano only).
    pub unrecognised_dialects: usize,
}

pub(super) fn loaded(name: &str, format: Format, entries: Vec<Entry>) -> Loaded {
    Loaded {
        rows: entries.len(),
        entries,
        format,
        origin: name.to_string(),
        skipped: 0,
        unrecognised_dialects: 0,
    }
}

/// Parses Siger TSV.
pub fn parse_tsv(name: &str, text: &str) -> Result<Loaded, LexiconError> {
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, l)| l.trim_end_matches('\r'));
    if header.map(|h| h.split('\t').collect::<Vec<_>>()) != Some(TSV_HEADER.to_vec()) {
        return Err(LexiconError::Header {
            file: name.to_string(),
            found: header.unwrap_or("").to_string(),
        });
    }
    let mut entries = Vec::new();
    for (index, line) in lines {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let entry = tsv_row(line).map_err(|problem| LexiconError::Row {
            file: name.to_string(),
            line: index + 1,
            problem,
        })?;
        entries.push(entry);
    }
    Ok(loaded(name, Format::Tsv, entries))
}

fn tsv_row(line: &str) -> Result<Entry, RowProblem> {
    let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
    if !(6..=7).contains(&fields.len()) {
        return Err(RowProblem::FieldCount {
            found: fields.len(),
        });
    }
    let optional = |i: usize| {
        fields
            .get(i)
            .filter(|f| !f.is_empty())
            .map(|f| f.to_string())
    };
    let row = Row {
        lampung: fields[0].to_string(),
        indonesian: fields[1].to_string(),
        english: optional(2),
        dialect: fields[3].to_string(),
        pos: optional(4),
        source: fields[5].to_string(),
        note: optional(6),
    };
    row.into_entry()
}

/// Parses Siger JSONL.
pub fn parse_jsonl(name: &str, text: &str) -> Result<Loaded, LexiconError> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry = serde_json::from_str::<Row>(line)
            .map_err(|e| RowProblem::Json(e.to_string()))
            .and_then(Row::into_entry)
            .map_err(|problem| LexiconError::Row {
                file: name.to_string(),
                line: index + 1,
                problem,
            })?;
        entries.push(entry);
    }
    Ok(loaded(name, Format::Jsonl, entries))
}

/// A row as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    lampung: String,
    indonesian: String,
    english: Option<String>,
    dialect: String,
    pos: Option<String>,
    source: String,
    note: Option<String>,
}

impl Row {
    fn into_entry(self) -> Result<Entry, RowProblem> {
        let required = [
            ("lampung", &self.lampung),
            ("indonesian", &self.indonesian),
            ("dialect", &self.dialect),
            ("source", &self.source),
        ];
        if let Some((name, _)) = required.iter().find(|(_, v)| v.trim().is_empty()) {
            return Err(RowProblem::Empty(name));
        }
        let dialect = DialectTag::parse(self.dialect.trim())
            .ok_or_else(|| RowProblem::Dialect(self.dialect.clone()))?;
        let optional =
            |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(Entry {
            lampung: self.lampung.trim().to_string(),
            indonesian: self.indonesian.trim().to_string(),
            english: optional(self.english),
            dialect,
            pos: optional(self.pos),
            source: self.source.trim().to_string(),
            note: optional(self.note),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::load::load_lexicon;
    use super::*;

    const HEADER: &str = "lampung\tindonesian\tenglish\tdialect\tpos\tsource\tnote\n";

    fn row_error(result: Result<Loaded, LexiconError>) -> (usize, RowProblem) {
        match result {
            Err(LexiconError::Row { line, problem, .. }) => (line, problem),
            other => panic!("expected a row error, got {other:?}"),
        }
    }

    #[test]
    fn tsv_loads_multiword_rows_and_skips_comments() {
        let text = format!("{HEADER}# greeting\n\ntabik pun\tsalam hormat\t\tboth\tphrase\tme\t\n");
        let loaded = load_lexicon("t.tsv", &text).unwrap();
        assert_eq!(loaded.format, Format::Tsv);
        assert_eq!(loaded.entries.len(), 1);
        assert_eq!(loaded.entries[0].lampung, "tabik pun");
        assert_eq!(loaded.entries[0].english, None);
        assert_eq!(loaded.entries[0].dialect, DialectTag::Both);
    }

    #[test]
    fn tsv_rejects_malformed_rows_with_their_line_numbers() {
        let good = "a\tb\t\tnyo\t\tsrc\t\n";
        let cases = [
            ("a\tb\tnyo\n", RowProblem::FieldCount { found: 3 }),
            ("a\t\t\tnyo\t\tsrc\t\n", RowProblem::Empty("indonesian")),
            ("a\tb\t\to\t\tsrc\t\n", RowProblem::Dialect("o".into())),
            ("a\tb\t\tnyo\t\t\t\n", RowProblem::Empty("source")),
        ];
        for (bad, expected) in cases {
            let text = format!("{HEADER}{good}\n{bad}");
            assert_eq!(row_error(load_lexicon("t.tsv", &text)), (4, expected));
        }
        let message = load_lexicon("t.tsv", &format!("{HEADER}{good}x\n")).unwrap_err();
        assert!(message.to_string().starts_with("t.tsv:3: "), "{message}");
    }

    #[test]
    fn tsv_requires_the_header() {
        let err = load_lexicon("t.tsv", "a\tb\t\tnyo\t\tsrc\t\n").unwrap_err();
        assert!(matches!(err, LexiconError::Header { .. }), "{err:?}");
    }

    #[test]
    fn jsonl_loads_and_rejects_with_line_numbers() {
        let good = r#"{"lampung":"nyo","indonesian":"apa","dialect":"nyo","source":"s"}"#;
        let loaded = load_lexicon("t.jsonl", &format!("{good}\n")).unwrap();
        assert_eq!(loaded.format, Format::Jsonl);
        assert_eq!(loaded.entries[0].indonesian, "apa");
        let typo = r#"{"lampung":"x","indonesain":"y","dialect":"nyo","source":"s"}"#;
        let (line, problem) = row_error(load_lexicon("t.jsonl", &format!("{good}\n\n{typo}\n")));
        assert_eq!(line, 3);
        assert!(matches!(problem, RowProblem::Json(_)));
        let bad_dialect = r#"{"lampung":"x","indonesian":"y","dialect":"a","source":"s"}"#;
        let (line, problem) = row_error(load_lexicon("t.jsonl", bad_dialect));
        assert_eq!((line, problem), (1, RowProblem::Dialect("a".into())));
    }
}
