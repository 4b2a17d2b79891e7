//! Training and evaluation data: plain text, JSONL instruction rows, JSONL chat rows, dialog
//! files and TSV pairs, all turned into [`Example`]s. Malformed input is reported with its file
//! and line, and skipped or fatal as the caller chooses ([`OnError`]).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use siger::text::{Message, Role};

/// One unit of training text.
#[derive(Debug, Clone, PartialEq)]
pub enum Example {
    /// Running text.
    Text(String),
    /// A conversation.
    Chat(Vec<Message>),
}

/// A problem in an input file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{line}: {message}", file.display())]
pub struct DataError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// What to do with a malformed row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnError {
    /// Stop at the first malformed row.
    Fail,
    /// Report it on stderr and go on.
    Skip,
}

/// Why data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file or folder could not be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A malformed row under [`OnError::Fail`].
    #[error("{0} (use --on-error skip to skip malformed rows)")]
    Malformed(DataError),
    /// Nothing usable was found.
    #[error("no usable examples in {0}")]
    Empty(String),
}

/// Reads every file given (folders recursively, files sorted by path) into examples.
pub fn load(paths: &[PathBuf], on_error: OnError) -> Result<Vec<Example>, LoadError> {
    load_selecting(paths, on_error, None)
}

/// As [`load`], with each TSV file read as only its column named `tsv_column` (one text a row)
/// when that is given; a TSV file without that column is an error at its header.
pub fn load_selecting(
    paths: &[PathBuf],
    on_error: OnError,
    tsv_column: Option<&str>,
) -> Result<Vec<Example>, LoadError> {
    let mut files = Vec::new();
    for path in paths {
        collect_files(path, &mut files)?;
    }
    files.sort();
    let mut examples = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|source| LoadError::Io {
            path: file.clone(),
            source,
        })?;
        let is_tsv = file.extension().is_some_and(|e| e == "tsv");
        let items = match tsv_column {
            Some(column) if is_tsv => parse_tsv_column(file, &text, column),
            _ => parse_file(file, &text),
        };
        for item in items {
            match item {
                Ok(example) => examples.push(example),
                Err(e) if on_error == OnError::Skip => eprintln!("warning: skipped {e}"),
                Err(e) => return Err(LoadError::Malformed(e)),
            }
        }
    }
    if examples.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(LoadError::Empty(names.join(", ")));
    }
    Ok(examples)
}

/// Splits examples deterministically: with `every` = N > 0, every N-th example (the N-th,
/// 2N-th, …) is held out for evaluation. Returns (training, held out).
pub fn split_holdout(examples: Vec<Example>, every: usize) -> (Vec<Example>, Vec<Example>) {
    if every == 0 {
        return (examples, Vec::new());
    }
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (i, e) in examples.into_iter().enumerate() {
        if i % every == every - 1 {
            held.push(e)
        } else {
            train.push(e)
        }
    }
    (train, held)
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    if path.is_dir() {
        for entry in std::fs::read_dir(path).map_err(io)? {
            let entry = entry.map_err(io)?.path();
            let hidden = entry
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden && (entry.is_dir() || is_data_file(&entry)) {
                collect_files(&entry, out)?;
            }
        }
        Ok(())
    } else if path.exists() {
        out.push(path.to_path_buf());
        Ok(())
    } else {
        Err(io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file or folder",
        )))
    }
}

fn is_data_file(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("txt" | "md" | "jsonl" | "tsv")
    )
}

/// Parses one file by its extension and content.
pub fn parse_file(file: &Path, text: &str) -> Vec<Result<Example, DataError>> {
    match file.extension().and_then(|e| e.to_str()) {
        Some("jsonl") => parse_jsonl(file, text),
        Some("tsv") => parse_tsv(file, text),
        _ if text.lines().any(|l| l.starts_with("==== Topik:")) => parse_dialogs(file, text),
        _ => parse_text(text),
    }
}

/// Plain text: one example per paragraph block (separated by blank lines).
fn parse_text(text: &str) -> Vec<Result<Example, DataError>> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| Ok(Example::Text(p.to_string())))
        .collect()
}

/// TSV with a header: each row's cells become one text (cells joined by a newline).
fn parse_tsv(file: &Path, text: &str) -> Vec<Result<Example, DataError>> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Vec::new();
    };
    let columns = header.split('\t').count();
    lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let cells: Vec<&str> = line.split('\t').map(str::trim).collect();
            if cells.len() != columns || cells.iter().any(|c| c.is_empty()) {
                return Err(error(
                    file,
                    i + 1,
                    format!("expected {columns} non-empty tab-separated columns"),
                ));
            }
            Ok(Example::Text(cells.join("\n")))
        })
        .collect()
}

/// TSV with a header: the cell of column `column` of each row becomes one text.
fn parse_tsv_column(file: &Path, text: &str, column: &str) -> Vec<Result<Example, DataError>> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return Vec::new();
    };
    let names: Vec<&str> = header.split('\t').map(str::trim).collect();
    let Some(index) = names.iter().position(|n| *n == column) else {
        let message = format!(
            "no column `{column}` (the header has: {})",
            names.join(", ")
        );
        return vec![Err(error(file, 1, message))];
    };
    lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(
            |(i, line)| match line.split('\t').nth(index).map(str::trim) {
                Some(cell) if !cell.is_empty() => Ok(Example::Text(cell.to_string())),
                _ => Err(error(file, i + 1, format!("no text in column `{column}`"))),
            },
        )
        .collect()
}

#[derive(Deserialize)]
struct JsonRow {
    messages: Option<Vec<Message>>,
    instruction: Option<String>,
    #[serde(default)]
    input: String,
    output: Option<String>,
    #[serde(default)]
    system: String,
    text: Option<String>,
}

fn parse_jsonl(file: &Path, text: &str) -> Vec<Result<Example, DataError>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let row: JsonRow = serde_json::from_str(line).map_err(|e| {
                error(
                    file,
                    i + 1,
                    format!("not a JSON object of a known shape: {e}"),
                )
            })?;
            json_example(row).map_err(|m| error(file, i + 1, m))
        })
        .collect()
}

fn json_example(row: JsonRow) -> Result<Example, String> {
    if let Some(messages) = row.messages {
        if messages.is_empty() || messages.iter().any(|m| m.content.trim().is_empty()) {
            return Err("\"messages\" must be a non-empty list of messages with content".into());
        }
        return Ok(Example::Chat(messages));
    }
    if let (Some(instruction), Some(output)) = (row.instruction, row.output) {
        if instruction.trim().is_empty() || output.trim().is_empty() {
            return Err("\"instruction\" and \"output\" must not be empty".into());
        }
        let mut messages = Vec::new();
        if !row.system.trim().is_empty() {
            messages.push(Message::new(Role::System, row.system));
        }
        let user = if row.input.trim().is_empty() {
            instruction
        } else {
            format!("{instruction}\n\n{}", row.input)
        };
        messages.push(Message::new(Role::User, user));
        messages.push(Message::new(Role::Assistant, output));
        return Ok(Example::Chat(messages));
    }
    match row.text {
        Some(text) if !text.trim().is_empty() => Ok(Example::Text(text)),
        _ => Err(
            "expected {\"messages\": […]}, {\"instruction\", \"output\", …} or {\"text\"}".into(),
        ),
    }
}

/// Dialog files: `==== Topik: … ====`, `Konteks: …`, then `Name: utterance` lines. The first
/// speaker is the user (the student), the second the assistant; they must alternate.
fn parse_dialogs(file: &Path, text: &str) -> Vec<Result<Example, DataError>> {
    let mut out = Vec::new();
    let mut current: Option<Dialog> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix("==== Topik:") {
            out.extend(current.take().map(|d| d.finish(file)));
            let topic = rest.trim().trim_end_matches('=').trim().to_string();
            current = Some(Dialog::new(topic, i + 1));
        } else if line.is_empty() {
            continue;
        } else if let Some(dialog) = current.as_mut() {
            if let Err(message) = dialog.push(line) {
                dialog.error.get_or_insert(error(file, i + 1, message));
            }
        } else {
            out.push(Err(error(
                file,
                i + 1,
                "text before the first \"==== Topik: … ====\" header".into(),
            )));
        }
    }
    out.extend(current.map(|d| d.finish(file)));
    out
}

struct Dialog {
    topic: String,
    context: Option<String>,
    line: usize,
    speakers: Vec<String>,
    messages: Vec<Message>,
    error: Option<DataError>,
}

impl Dialog {
    fn new(topic: String, line: usize) -> Self {
        Self {
            topic,
            context: None,
            line,
            speakers: Vec::new(),
            messages: Vec::new(),
            error: None,
        }
    }

    fn push(&mut self, line: &str) -> Result<(), String> {
        if let Some(context) = line.strip_prefix("Konteks:") {
            if !self.messages.is_empty() || self.context.is_some() {
                return Err("\"Konteks:\" must come once, right after the topic".into());
            }
            self.context = Some(context.trim().to_string());
            return Ok(());
        }
        let (name, utterance) = line
            .split_once(':')
            .filter(|(n, u)| !n.trim().is_empty() && n.len() <= 40 && !u.trim().is_empty())
            .ok_or("expected \"Name: utterance\"")?;
        let name = name.trim().to_string();
        if !self.speakers.contains(&name) {
            if self.speakers.len() == 2 {
                return Err(format!(
                    "a third speaker \"{name}\": dialogs have exactly two speakers"
                ));
            }
            self.speakers.push(name.clone());
        }
        let role = if self.speakers[0] == name {
            Role::User
        } else {
            Role::Assistant
        };
        if self.messages.last().is_some_and(|m| m.role == role) {
            return Err(format!(
                "\"{name}\" speaks twice in a row: speakers must alternate"
            ));
        }
        self.messages.push(Message::new(role, utterance.trim()));
        Ok(())
    }

    fn finish(self, file: &Path) -> Result<Example, DataError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if !self.messages.iter().any(|m| m.role == Role::Assistant) {
            return Err(error(
                file,
                self.line,
                format!("dialog \"{}\" has no reply", self.topic),
            ));
        }
        let mut system = format!("Topik: {}", self.topic);
        if let Some(context) = self.context.filter(|c| !c.is_empty()) {
            system.push_str(&format!("\nKonteks: {context}"));
        }
        let mut messages = vec![Message::new(Role::System, system)];
        messages.extend(self.messages);
        Ok(Example::Chat(messages))
    }
}

fn error(file: &Path, line: usize, message: String) -> DataError {
    DataError {
        file: file.to_path_buf(),
        line,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Vec<Result<Example, DataError>> {
        parse_file(Path::new(name), text)
    }

    #[test]
    fn dialogs_become_chats_with_topic_and_context() {
        let text = "==== Topik: Fotosintesis ====\nKonteks: Di kelas IPA.\nRina: Apa itu fotosintesis?\n\
                    Bu Sari: Cara tumbuhan membuat makanan.\nRina: Butuh apa saja?\nBu Sari: Air, CO2 dan cahaya.\n\n\
                    ==== Topik: Pecahan ====\nDimas: 1/2 + 1/4?\nKak Wulan: 3/4.\n";
        let parsed: Vec<Example> = parse("d.txt", text)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(parsed.len(), 2);
        let Example::Chat(m) = &parsed[0] else {
            panic!("not a chat")
        };
        assert_eq!(
            m[0],
            Message::new(Role::System, "Topik: Fotosintesis\nKonteks: Di kelas IPA.")
        );
        assert_eq!(m[1], Message::new(Role::User, "Apa itu fotosintesis?"));
        assert_eq!(m[4], Message::new(Role::Assistant, "Air, CO2 dan cahaya."));
    }

    #[test]
    fn malformed_dialogs_name_their_line() {
        let text = "==== Topik: A ====\nRina: halo\nRina: halo lagi\nBudi: hai\n\n==== Topik: B ====\nX: a\nY: b\nZ: c\n";
        let errors: Vec<DataError> = parse("d.txt", text)
            .into_iter()
            .filter_map(Result::err)
            .collect();
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].line, 3);
        assert!(errors[0].message.contains("twice in a row"));
        assert_eq!(errors[1].line, 9);
        assert_eq!(
            errors[1].to_string(),
            "d.txt:9: a third speaker \"Z\": dialogs have exactly two speakers"
        );
    }

    #[test]
    fn jsonl_instruction_chat_and_errors() {
        let text = r#"{"instruction":"Jelaskan","input":"air","output":"H2O","system":"Kamu tutor."}
{"messages":[{"role":"user","content":"Hai"},{"role":"assistant","content":"Halo!"}]}

{"instruction":"","output":"x"}
not json
{"messages":[{"role":"wizard","content":"x"}]}
"#;
        let parsed = parse("rows.jsonl", text);
        assert_eq!(parsed.len(), 5);
        let Ok(Example::Chat(m)) = &parsed[0] else {
            panic!("row 1")
        };
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].content, "Jelaskan\n\nair");
        assert!(matches!(&parsed[1], Ok(Example::Chat(m)) if m.len() == 2));
        let lines: Vec<usize> = parsed
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| e.line)
            .collect();
        assert_eq!(lines, vec![4, 5, 6]);
    }

    #[test]
    fn holdout_takes_every_nth_example() {
        let examples: Vec<Example> = (0..10).map(|i| Example::Text(i.to_string())).collect();
        let (train, held) = split_holdout(examples.clone(), 4);
        assert_eq!(
            held,
            vec![Example::Text("3".into()), Example::Text("7".into())]
        );
        assert_eq!(train.len(), 8);
        assert_eq!(split_holdout(examples, 0).1.len(), 0);
    }

    #[test]
    fn one_tsv_column() {
        let file = Path::new("p.tsv");
        let rows = parse_tsv_column(file, "indonesian\tenglish\nsaya\tI\n\nkamu\t\n", "english");
        assert_eq!(rows[0].as_ref().unwrap(), &Example::Text("I".into()));
        assert_eq!(rows[1].as_ref().unwrap_err().line, 4);
        let missing = parse_tsv_column(file, "indonesian\tenglish\nsaya\tI\n", "lampung");
        assert!(
            missing[0]
                .as_ref()
                .unwrap_err()
                .message
                .contains("indonesian, english")
        );
    }

    #[test]
    fn text_and_tsv() {
        assert_eq!(parse("a.txt", "satu\n\n\ndua baris\nlagi\n").len(), 2);
        let rows = parse("p.tsv", "lampung_nyo\tindonesian\nnyak\tsaya\nrusak\n");
        assert_eq!(rows[0], Ok(Example::Text("nyak\nsaya".into())));
        assert_eq!(rows[1].as_ref().unwrap_err().line, 3);
    }

    #[test]
    fn load_reports_or_skips() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.jsonl"), "{\"text\":\"halo\"}\nbroken\n").unwrap();
        let err = load(&[dir.path().to_path_buf()], OnError::Fail).unwrap_err();
        assert!(err.to_string().contains("a.jsonl:2"), "{err}");
        assert_eq!(
            load(&[dir.path().to_path_buf()], OnError::Skip)
                .unwrap()
                .len(),
            1
        );
        assert!(load(&[dir.path().join("missing")], OnError::Skip).is_err());
    }
}
