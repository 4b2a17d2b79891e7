//! Recognising a request to translate, in Indonesian or English.
//!
//! Understood forms (case-insensitive; quotes around the text and a final `?` are dropped):
//!
//! - `terjemahkan [dari (bahasa) X] ke (dalam) (bahasa) Y: TEXT`, also with TEXT before
//!   `ke bahasa Y`, and `tolong terjemahkan ...`;
//! - `translate [from X] (in)to Y: TEXT`, also `translate TEXT into Y` and `please translate ...`;
//! - `apa bahasa Y-nya TEXT`, `apa bahasa Y dari TEXT`, `bahasa Y-nya TEXT apa`;
//! - `what is TEXT in Y`, `how do you say TEXT in Y`.
//!
//! Language names: `lampung` (optionally followed by `nyo`/`o`/`api`/`a`, with or without
//! `dialek`/`dialect`), `indonesia`, `indonesian`, `inggris`, `english`.

use super::lang::{Dialect, Lang};

/// A recognised request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The source language when the request names it (or implies it), else `None`: detect it.
    pub from: Option<Lang>,
    /// The target language.
    pub to: Lang,
    /// The text to translate, as written.
    pub payload: String,
}

/// Recognises a translation request; `None` when `text` is not one.
pub fn is_translation_request(text: &str) -> Option<Request> {
    let text = text.trim();
    let request = imperative(text)
        .or_else(|| indonesian_question(text))
        .or_else(|| english_question(text))?;
    (!request.payload.is_empty()).then_some(request)
}

/// `terjemahkan ...` / `translate ...`.
fn imperative(text: &str) -> Option<Request> {
    let verbs = [
        "tolong terjemahkan",
        "terjemahkan",
        "please translate",
        "translate",
    ];
    let rest = verbs.iter().find_map(|v| strip_word(text, v))?;
    if let Some((header, payload)) = rest.split_once(':')
        && let Some((from, to)) = header_langs(header)
    {
        return Some(request(from, to, payload));
    }
    let (from, to, after) = leading_langs(rest)?.or_else(|| trailing_target(rest))?;
    Some(request(from, to, after))
}

/// Parses `[dari X] ke Y` / `[from X] (in)to Y` with nothing else.
fn header_langs(header: &str) -> Option<(Option<Lang>, Lang)> {
    match leading_langs(header.trim())? {
        Some((from, to, rest)) if rest.trim().is_empty() => Some((from, to)),
        _ => None,
    }
}

/// Parses `[dari X] ke Y REST` at the start of `text`. The outer `Option` fails on a `dari`
/// clause that names no language; the inner is `None` when there is no target clause.
#[allow(clippy::type_complexity)]
fn leading_langs(text: &str) -> Option<Option<(Option<Lang>, Lang, &str)>> {
    let mut rest = text.trim_start();
    let mut from = None;
    if let Some(after) = ["dari", "from"].iter().find_map(|w| strip_word(rest, w)) {
        let (lang, after) = lang_name(after)?;
        from = Some(lang);
        rest = after;
    }
    let target = ["ke dalam", "ke", "into", "to"]
        .iter()
        .find_map(|w| strip_word(rest, w))
        .and_then(lang_name);
    Some(target.map(|(to, after)| (from, to, after)))
}

/// `TEXT ke bahasa Y` / `TEXT into Y` at the end of `text`.
fn trailing_target(text: &str) -> Option<(Option<Lang>, Lang, &str)> {
    let lower = text.to_ascii_lowercase();
    for marker in [" ke dalam ", " ke ", " into ", " to "] {
        let Some(at) = lower.rfind(marker) else {
            continue;
        };
        if let Some((to, rest)) = lang_name(&text[at + marker.len()..])
            && rest.trim().trim_end_matches(['?', '.', '!']).is_empty()
        {
            return Some((None, to, &text[..at]));
        }
    }
    None
}

/// `apa bahasa Y-nya TEXT`, `apa bahasa Y dari TEXT`, `bahasa Y-nya TEXT apa`.
fn indonesian_question(text: &str) -> Option<Request> {
    let from = Some(Lang::Indonesian);
    if let Some(rest) = strip_word(text, "apa") {
        let (to, rest) = lang_name(rest)?;
        let rest = strip_nya(rest)
            .or_else(|| ["dari", "untuk"].iter().find_map(|w| strip_word(rest, w)))?;
        return Some(request(from, to, rest.trim_end().trim_end_matches('?')));
    }
    let (to, rest) = lang_name(text)?;
    let rest = strip_nya(rest)?;
    let lower = rest.to_ascii_lowercase();
    let end = lower.trim_end().trim_end_matches('?').trim_end();
    let payload = end.strip_suffix(" apa")?;
    Some(request(from, to, &rest[..payload.len()]))
}

/// `what is TEXT in Y`, `how do you say TEXT in Y`.
fn english_question(text: &str) -> Option<Request> {
    let openers = [
        "what is",
        "what's",
        "how do you say",
        "how to say",
        "how do i say",
    ];
    let rest = openers.iter().find_map(|o| strip_word(text, o))?;
    let lower = rest.to_ascii_lowercase();
    let at = lower.rfind(" in ")?;
    let (to, after) = lang_name(&rest[at + 4..])?;
    if !after.trim().trim_end_matches('?').is_empty() {
        return None;
    }
    Some(request(None, to, &rest[..at]))
}

/// Reads a language name (with optional `bahasa` before it) at the start of `text`.
fn lang_name(text: &str) -> Option<(Lang, &str)> {
    let text = strip_word(text, "bahasa").unwrap_or(text).trim_start();
    let names = [
        ("indonesian", Lang::Indonesian),
        ("indonesia", Lang::Indonesian),
        ("inggris", Lang::English),
        ("english", Lang::English),
    ];
    if let Some((lang, rest)) = names
        .iter()
        .find_map(|(n, l)| strip_word_or_nya(text, n).map(|r| (*l, r)))
    {
        return Some((lang, rest));
    }
    let rest = strip_word_or_nya(text, "lampung")?;
    let after_label = ["dialek", "dialect"]
        .iter()
        .find_map(|w| strip_word(rest, w))
        .unwrap_or(rest);
    let dialects = [
        ("nyo", Dialect::Nyo),
        ("o", Dialect::Nyo),
        ("api", Dialect::Api),
        ("a", Dialect::Api),
    ];
    for (name, dialect) in dialects {
        if let Some(after) = strip_word_or_nya(after_label, name) {
            return Some((Lang::Lampung(dialect), after));
        }
    }
    Some((Lang::Lampung(Dialect::Unknown), rest))
}

/// Strips `word` (ASCII case-insensitive) from the start of `text` when a word boundary follows.
fn strip_word<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    let text = text.trim_start();
    let head = text.get(..word.len())?;
    let rest = &text[word.len()..];
    let boundary = rest.chars().next().is_none_or(|c| !c.is_alphanumeric());
    (head.eq_ignore_ascii_case(word) && boundary).then_some(rest)
}

/// Like [`strip_word`], but also accepts the word followed directly by `nya` (`lampungnya`),
/// leaving the `nya` for [`strip_nya`].
fn strip_word_or_nya<'a>(text: &'a str, word: &str) -> Option<&'a str> {
    strip_word(text, word).or_else(|| {
        let text = text.trim_start();
        let rest = text.get(word.len()..)?;
        let head = &text[..word.len()];
        (head.eq_ignore_ascii_case(word) && strip_nya(rest).is_some()).then_some(rest)
    })
}

/// Strips `nya` or `-nya` at the start of `text`.
fn strip_nya(text: &str) -> Option<&str> {
    let text = text.strip_prefix('-').unwrap_or(text);
    strip_word(text, "nya").filter(|_| !text.starts_with(char::is_whitespace))
}

fn request(from: Option<Lang>, to: Lang, payload: &str) -> Request {
    let quotes: &[char] = &['"', '\'', '“', '”', '‘', '’', '«', '»'];
    let payload = payload.trim().trim_start_matches(':').trim();
    Request {
        from,
        to,
        payload: payload.trim_matches(quotes).trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (Option<Lang>, Lang, String) {
        let r = is_translation_request(text).unwrap_or_else(|| panic!("not recognised: {text}"));
        (r.from, r.to, r.payload)
    }

    const NYO: Lang = Lang::Lampung(Dialect::Nyo);
    const LPG: Lang = Lang::Lampung(Dialect::Unknown);

    #[test]
    fn imperatives_in_both_languages() {
        let id = Lang::Indonesian;
        assert_eq!(
            parsed("Terjemahkan ke bahasa Lampung: saya mau makan"),
            (None, LPG, "saya mau makan".into())
        );
        assert_eq!(
            parsed("terjemahkan ke dalam bahasa lampung nyo : Apa kabar?"),
            (None, NYO, "Apa kabar?".into())
        );
        assert_eq!(
            parsed("Terjemahkan dari bahasa Lampung ke bahasa Indonesia: nyak haga mengan"),
            (Some(LPG), id, "nyak haga mengan".into())
        );
        assert_eq!(
            parsed("terjemahkan 'selamat pagi' ke bahasa Lampung"),
            (None, LPG, "selamat pagi".into())
        );
        assert_eq!(
            parsed("Translate to Indonesian: tabik pun"),
            (None, id, "tabik pun".into())
        );
        assert_eq!(
            parsed("please translate \"good morning\" into Lampung dialect O"),
            (None, NYO, "good morning".into())
        );
        assert_eq!(
            parsed("Translate from English to Indonesian: I want to eat").0,
            Some(Lang::English)
        );
    }

    #[test]
    fn questions_in_both_languages() {
        let id = Some(Lang::Indonesian);
        assert_eq!(
            parsed("apa bahasa Lampungnya saya mau makan?"),
            (id, LPG, "saya mau makan".into())
        );
        assert_eq!(
            parsed("Apa bahasa Lampung-nya 'terima kasih'"),
            (id, LPG, "terima kasih".into())
        );
        assert_eq!(
            parsed("apa bahasa lampung dari rumah"),
            (id, LPG, "rumah".into())
        );
        assert_eq!(
            parsed("bahasa lampungnya rumah apa?"),
            (id, LPG, "rumah".into())
        );
        assert_eq!(
            parsed("How do you say thank you in Lampung?"),
            (None, LPG, "thank you".into())
        );
        assert_eq!(
            parsed("what is 'makan' in English"),
            (None, Lang::English, "makan".into())
        );
    }

    #[test]
    fn other_text_is_not_a_request() {
        for text in [
            "saya mau makan",
            "apa kabar",
            "terjemahkan",
            "terjemahkan ke bahasa Lampung:",
            "translate this",
            "what is your name",
            "bahasa lampung itu indah",
            "translates to nothing",
        ] {
            assert_eq!(is_translation_request(text), None, "{text}");
        }
    }
}
