//! Importer for the meizano/lampung Indonesian → Lampung word list (GPL-3.0).
//!
//! The file is a JSON array of `{idkata, lpgkata, lpgaksara, lpgdialek}`: `idkata` is the
//! Indonesian word, `lpgkata` the Lampung form(s), comma-separated when there are several,
//! `lpgaksara` a romanised key for Lampung script (not used here), and `lpgdialek` `api`,
//! `nyow` (Nyo, dialect O) or empty/null (untagged). Rows whose `idkata` or `lpgkata` is null or
//! empty are skipped and counted. A parenthesised gloss after a word becomes the entry's note.
//!
//! Because of its licence Siger never bundles this list: a user supplies the file, and every
//! entry is cited as [`ORIGIN`].

use serde::Deserialize;

use super::format::{Format, LexiconError, Loaded};
use super::lang::DialectTag;
use super::lexicon::Entry;

/// How entries from the meizano list are cited.
pub const ORIGIN: &str = "meizano/lampung (2019, GPL-3.0)";

#[derive(Deserialize)]
struct Row {
    idkata: Option<String>,
    lpgkata: Option<String>,
    lpgdialek: Option<String>,
}

/// Reads a meizano JSON file; `name` names it in errors.
pub fn import(name: &str, text: &str) -> Result<Loaded, LexiconError> {
    let rows: Vec<Row> = serde_json::from_str(text).map_err(|e| LexiconError::Meizano {
        file: name.to_string(),
        reason: e.to_string(),
    })?;
    let mut loaded = Loaded {
        entries: Vec::new(),
        format: Format::Meizano,
        origin: ORIGIN.to_string(),
        rows: rows.len(),
        skipped: 0,
        unrecognised_dialects: 0,
    };
    for row in rows {
        let (Some(indonesian), Some(lampung)) = (present(row.idkata), present(row.lpgkata)) else {
            loaded.skipped += 1;
            continue;
        };
        let dialect = dialect_tag(row.lpgdialek.as_deref()).unwrap_or_else(|| {
            loaded.unrecognised_dialects += 1;
            DialectTag::Unknown
        });
        let (indonesian, id_gloss) = split_gloss(&indonesian);
        for form in lampung.split(',').filter(|f| !f.trim().is_empty()) {
            let (lampung, lpg_gloss) = split_gloss(form);
            loaded.entries.push(Entry {
                lampung,
                indonesian: indonesian.clone(),
                english: None,
                dialect,
                pos: None,
                source: ORIGIN.to_string(),
                note: id_gloss.clone().or(lpg_gloss),
            });
        }
    }
    Ok(loaded)
}

fn present(field: Option<String>) -> Option<String> {
    field.filter(|f| !f.trim().is_empty())
}

/// `api` → Api, `nyow`/`nyo` → Nyo, empty or null → unknown; anything else is not understood.
fn dialect_tag(tag: Option<&str>) -> Option<DialectTag> {
    match tag.map(str::trim) {
        None | Some("") => Some(DialectTag::Unknown),
        Some("api") => Some(DialectTag::Api),
        Some("nyow" | "nyo") => Some(DialectTag::Nyo),
        Some(_) => None,
    }
}

/// Lower-cases and collapses a form, moving a parenthesised gloss out: `kata(gloss)` →
/// (`kata`, `gloss`).
fn split_gloss(form: &str) -> (String, Option<String>) {
    let form = form.to_lowercase();
    let (head, gloss) = match (form.find('('), form.rfind(')')) {
        (Some(open), Some(close)) if open < close => {
            let rest = format!("{} {}", &form[..open], &form[close + 1..]);
            (rest, Some(form[open + 1..close].trim().to_string()))
        }
        _ => (form.clone(), None),
    };
    let head = head.split_whitespace().collect::<Vec<_>>().join(" ");
    (head, gloss.filter(|g| !g.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::super::load::load_lexicon;
    use super::*;

    /// The file's shape with made-up words (tests do not depend on the shipped file).
    const SAMPLE: &str = r#"[
        {"idkata":null,"lpgkata":null,"lpgaksara":null,"lpgdialek":null},
        {"idkata":"id-a","lpgkata":null,"lpgaksara":null,"lpgdialek":null},
        {"idkata":"Id-B","lpgkata":"lpg-b","lpgaksara":"lpg-bx","lpgdialek":null},
        {"idkata":"id-c","lpgkata":"lpg-c1, lpg-c2","lpgaksara":null,"lpgdialek":"api"},
        {"idkata":"id-d","lpgkata":"lpg-d","lpgaksara":null,"lpgdialek":"nyow"},
        {"idkata":"id-e","lpgkata":"lpg e1 e2","lpgaksara":null,"lpgdialek":""},
        {"idkata":"id-f(gloss)","lpgkata":"lpg-f","lpgaksara":null,"lpgdialek":"xyz"}
    ]"#;

    #[test]
    fn imports_splits_forms_maps_dialects_and_counts() {
        let loaded = load_lexicon("sample.json", SAMPLE).unwrap();
        assert_eq!(loaded.format, Format::Meizano);
        assert_eq!((loaded.rows, loaded.skipped), (7, 2));
        assert_eq!(loaded.unrecognised_dialects, 1);
        let pairs: Vec<(&str, &str, DialectTag)> = loaded
            .entries
            .iter()
            .map(|e| (e.lampung.as_str(), e.indonesian.as_str(), e.dialect))
            .collect();
        assert_eq!(
            pairs,
            [
                ("lpg-b", "id-b", DialectTag::Unknown),
                ("lpg-c1", "id-c", DialectTag::Api),
                ("lpg-c2", "id-c", DialectTag::Api),
                ("lpg-d", "id-d", DialectTag::Nyo),
                ("lpg e1 e2", "id-e", DialectTag::Unknown),
                ("lpg-f", "id-f", DialectTag::Unknown),
            ]
        );
        assert_eq!(loaded.entries[5].note.as_deref(), Some("gloss"));
        assert!(loaded.entries.iter().all(|e| e.source == ORIGIN));
    }

    #[test]
    fn imports_the_full_user_supplied_file_when_present() {
        let Some(text) = super::super::test_data::read_shared("meizano-indonesia2lampung.json")
        else {
            return;
        };
        let loaded = load_lexicon("meizano-indonesia2lampung.json", &text).unwrap();
        // shared/README.md: 16,147 rows, 16,102 usable pairs.
        assert_eq!((loaded.rows, loaded.skipped), (16_147, 45));
        assert_eq!(loaded.entries.len(), 16_102);
        let nyo = loaded
            .entries
            .iter()
            .filter(|e| e.dialect == DialectTag::Nyo)
            .count();
        assert!(nyo > 1_000, "{nyo} Nyo entries");
    }

    #[test]
    fn rejects_json_that_is_not_the_meizano_shape() {
        let err = load_lexicon("x.json", r#"[{"idkata": 3}]"#).unwrap_err();
        assert!(matches!(err, LexiconError::Meizano { .. }), "{err:?}");
    }
}
