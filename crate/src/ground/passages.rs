//! Sources cut into passages (paragraphs) and sentences, each with a stable id and its exact
//! place in the source text.
//!
//! A paragraph is a run of non-blank lines; in markdown a heading, a list item and a quoted
//! line also start one, and their markers (`#`, `-`, `1.`, `>`) stay outside every span, so a
//! citation quotes the prose only. Sentences end at `.`, `?` or `!` (with closing quotes or
//! brackets) followed by a space and a capital, a digit or an opening quote, except after the
//! abbreviations and initials Indonesian text writes with a full stop (`dr.`, `dll.`, `M.`).
//! Ids count from 1: `lesson#p2.s3` is the third sentence of the second paragraph of the source
//! named `lesson`; they depend only on the source's own text, never on other sources.

use std::ops::Range;

/// A text given to answer from: a lesson, a chapter, notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// What citations call it (a file name, a URL, an id); unique within a [`Library`].
    ///
    /// [`Library`]: super::Library
    pub name: String,
    /// A title to match questions against besides the text (for example a page's heading).
    pub title: Option<String>,
    /// The text, plain or markdown.
    pub text: String,
}

impl Source {
    /// An untitled source.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            title: None,
            text: text.into(),
        }
    }
}

/// One paragraph of a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Passage {
    /// Index of its source in the library.
    pub source: usize,
    /// 1-based number of the paragraph within its source.
    pub paragraph: usize,
    /// Byte range of the paragraph in the source text (markers excluded).
    pub span: Range<usize>,
    /// Byte ranges of its sentences in the source text, in order.
    pub sentences: Vec<Range<usize>>,
}

/// Abbreviations (lower-cased, without their full stop) after which a full stop ends no sentence.
const ABBREVIATIONS: &[&str] = &[
    "dr", "drs", "dra", "prof", "ir", "h", "hj", "st", "no", "nomor", "hlm", "hal", "dll", "dsb",
    "dst", "dkk", "yth", "tsb", "sdr", "bpk", "kol", "jend", "let", "mayjen", "brigjen", "km",
    "kg", "cm", "mm", "gr", "jl", "kab", "kec", "kel", "prov", "pt", "cv", "tbk", "vol", "spd",
    "mpd", "skm", "sh", "se", "mt", "ph", "dsb", "sbb", "a.n", "u.p", "s.d", "bab", "ayat", "psl",
    "mr", "mrs", "ms", "vs", "etc", "e.g", "i.e", "approx",
];

/// The passages of one source, numbered from 1.
pub fn split(source: usize, text: &str) -> Vec<Passage> {
    paragraphs(text)
        .into_iter()
        .enumerate()
        .map(|(i, span)| Passage {
            source,
            paragraph: i + 1,
            sentences: sentences(text, span.clone()),
            span,
        })
        .collect()
}

/// Byte ranges of the paragraphs of `text`, markdown markers and surrounding space excluded.
fn paragraphs(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut current: Option<Range<usize>> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        let (marker, block_start) = markdown_marker(body);
        let content = start + marker..start + body.trim_end().len();
        if body.trim().is_empty() || is_rule(body) {
            found.extend(current.take());
            continue;
        }
        if block_start || current.is_none() {
            found.extend(current.take());
            current = Some(content);
        } else if let Some(paragraph) = current.as_mut() {
            paragraph.end = content.end;
        }
        if body.trim_start().starts_with('#') {
            found.extend(current.take());
        }
    }
    found.extend(current);
    found.retain(|r| text[r.clone()].chars().any(char::is_alphanumeric));
    found
}

/// The length of a line's markdown block marker (with the space after it and any indentation),
/// and whether the line starts a new block (a heading, list item or quote).
fn markdown_marker(line: &str) -> (usize, bool) {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    let hashes = rest.len() - rest.trim_start_matches('#').len();
    if (1..=6).contains(&hashes) && rest[hashes..].starts_with(' ') {
        return (indent + hashes + 1, true);
    }
    for bullet in ["- ", "* ", "+ ", "> "] {
        if rest.starts_with(bullet) {
            return (indent + 2, true);
        }
    }
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if (1..=3).contains(&digits)
        && (rest[digits..].starts_with(". ") || rest[digits..].starts_with(") "))
    {
        return (indent + digits + 2, true);
    }
    (indent, false)
}

/// A markdown horizontal rule or table divider (`---`, `***`, `|---|`), which holds no prose.
fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 3
        && t.chars()
            .all(|c| matches!(c, '-' | '*' | '_' | '|' | ':' | ' '))
}

/// Byte ranges of the sentences in `text[span]`, trimmed.
fn sentences(text: &str, span: Range<usize>) -> Vec<Range<usize>> {
    let body = &text[span.clone()];
    let chars: Vec<(usize, char)> = body.char_indices().collect();
    let mut found = Vec::new();
    let mut start = 0;
    for (i, &(at, c)) in chars.iter().enumerate() {
        if !matches!(c, '.' | '?' | '!') {
            continue;
        }
        let mut end = i + 1;
        while end < chars.len()
            && matches!(chars[end].1, '"' | '\'' | ')' | '”' | '’' | '.' | '?' | '!')
        {
            end += 1;
        }
        let next = chars[end..].iter().find(|(_, c)| !c.is_whitespace());
        let spaced = end < chars.len() && chars[end].1.is_whitespace();
        let ends = match next {
            None => true,
            Some(&(_, n)) => {
                spaced && opens_sentence(n) && !(c == '.' && abbreviation_before(body, at))
            }
        };
        if ends {
            let stop = chars.get(end).map_or(body.len(), |&(b, _)| b);
            push_trimmed(&mut found, body, start..stop, span.start);
            start = stop;
        }
    }
    push_trimmed(&mut found, body, start..body.len(), span.start);
    found
}

fn opens_sentence(c: char) -> bool {
    c.is_uppercase() || c.is_ascii_digit() || matches!(c, '"' | '\'' | '“' | '‘' | '(' | '[')
}

/// Whether the word before the full stop at byte `dot` of `body` is an abbreviation or an
/// initial (`M.` in `M. Yamin`, `R.A.`).
fn abbreviation_before(body: &str, dot: usize) -> bool {
    let before = &body[..dot];
    let word_start = before
        .rfind(|c: char| c.is_whitespace() || c == '(')
        .map_or(0, |i| {
            i + before[i..].chars().next().map_or(1, char::len_utf8)
        });
    let word = &before[word_start..];
    if word.chars().count() == 1 && word.chars().all(char::is_uppercase) {
        return true;
    }
    let lower = word.to_lowercase();
    ABBREVIATIONS.contains(&lower.as_str()) || (lower.contains('.') && lower.len() <= 6)
}

fn push_trimmed(found: &mut Vec<Range<usize>>, body: &str, range: Range<usize>, base: usize) {
    let piece = &body[range.clone()];
    let lead = piece.len() - piece.trim_start().len();
    let trimmed = piece.trim();
    if trimmed.chars().any(char::is_alphanumeric) {
        let start = base + range.start + lead;
        found.push(start..start + trimmed.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<Vec<&str>> {
        split(0, text)
            .iter()
            .map(|p| p.sentences.iter().map(|s| &text[s.clone()]).collect())
            .collect()
    }

    #[test]
    fn paragraphs_and_sentences_split_on_their_boundaries() {
        let text =
            "Air laut menguap. Uapnya naik ke udara!\n\nDi atas, uap mendingin.\nIa menjadi awan.";
        assert_eq!(
            texts(text),
            vec![
                vec!["Air laut menguap.", "Uapnya naik ke udara!"],
                vec!["Di atas, uap mendingin.", "Ia menjadi awan."],
            ]
        );
    }

    #[test]
    fn abbreviations_initials_and_numbers_do_not_end_sentences() {
        let text =
            "Dr. Sutomo dan M. Yamin hadir pada 20 Mei 1908, dll. di Jakarta. Suhu 36.5 derajat.";
        assert_eq!(
            texts(text),
            vec![vec![
                "Dr. Sutomo dan M. Yamin hadir pada 20 Mei 1908, dll. di Jakarta.",
                "Suhu 36.5 derajat.",
            ]]
        );
    }

    #[test]
    fn markdown_markers_stay_outside_the_spans() {
        let text = "# Siklus Air\n\nAir menguap.\n\n- Kondensasi: uap menjadi awan.\n- Presipitasi: hujan turun.\n---\n> Kutipan.";
        assert_eq!(
            texts(text),
            vec![
                vec!["Siklus Air"],
                vec!["Air menguap."],
                vec!["Kondensasi: uap menjadi awan."],
                vec!["Presipitasi: hujan turun."],
                vec!["Kutipan."],
            ]
        );
    }

    #[test]
    fn ids_depend_only_on_the_source_text() {
        let text = "Satu. Dua.\n\nTiga.";
        let first = split(0, text);
        let again = split(5, text);
        assert_eq!(first.len(), 2);
        for (a, b) in first.iter().zip(&again) {
            assert_eq!(
                (a.paragraph, &a.span, &a.sentences),
                (b.paragraph, &b.span, &b.sentences)
            );
        }
        assert_eq!(&text[first[1].sentences[0].clone()], "Tiga.");
    }

    #[test]
    fn a_line_break_inside_a_paragraph_is_not_a_sentence_end() {
        let text = "Fotosintesis terjadi\ndi daun. Daun hijau.";
        assert_eq!(
            texts(text),
            vec![vec!["Fotosintesis terjadi\ndi daun.", "Daun hijau."]]
        );
    }

    #[test]
    fn crlf_and_unicode_keep_exact_spans() {
        let text = "Kata “uap” dipakai. Ésai pendek.\r\n\r\nBaris dua.";
        let passages = split(0, text);
        assert_eq!(&text[passages[0].sentences[1].clone()], "Ésai pendek.");
        assert_eq!(&text[passages[1].span.clone()], "Baris dua.");
    }
}
