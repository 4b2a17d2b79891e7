//! Words as grounding compares them: cut from the text with their exact spans, lower-cased,
//! and given *keys* so that forms of one root meet.
//!
//! A word's keys are its own form, its modern spelling (`Soekarno` → `sukarno`, `djalan` →
//! `jalan`), the parts of a hyphenated word (`kupu-kupu` → `kupu`), and every root the
//! translator's Indonesian morphology proposes for it (`menguap`, `penguapan` → `uap`).
//! Morphology only proposes: with no root dictionary, a word keeps all its candidate roots
//! (`menguap` → `uap` and `kuap`), and two words match when their key sets meet. A match on the
//! form itself counts fully, a match through a root a little less ([`ROOT_MATCH`]); rare
//! spurious roots are weighed down by their document frequency like any term.

use std::collections::HashMap;
use std::ops::Range;

use crate::translate::Lang;
use crate::translate::morphology;

/// What a match through a shared root (not the same form) counts, against 1 for the same form.
pub const ROOT_MATCH: f32 = 0.8;

/// One word of a text.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    /// Byte range in the text it was cut from.
    pub span: Range<usize>,
    /// Lower-cased form, accents folded (`é` → `e`).
    pub form: String,
    /// Whether it was written with a capital letter.
    pub capitalized: bool,
    /// Whether it is written with digits (`1945`, `3,5`, `ke-8`).
    pub numeric: bool,
}

/// Function words and the frame of a question (`apa`, `yang dimaksud`): they carry no content,
/// so they neither retrieve passages nor need support in an answer.
const STOPWORDS: &[&str] = &[
    "yang",
    "dan",
    "di",
    "ke",
    "dari",
    "ini",
    "itu",
    "dengan",
    "untuk",
    "pada",
    "adalah",
    "ialah",
    "merupakan",
    "dalam",
    "atau",
    "juga",
    "akan",
    "oleh",
    "sebagai",
    "karena",
    "ada",
    "para",
    "sang",
    "si",
    "telah",
    "sudah",
    "masih",
    "lebih",
    "sangat",
    "tersebut",
    "tsb",
    "bahwa",
    "agar",
    "supaya",
    "namun",
    "tetapi",
    "tapi",
    "serta",
    "maupun",
    "pun",
    "lah",
    "kah",
    "nya",
    "tak",
    "tidak",
    "bukan",
    "belum",
    "bisa",
    "dapat",
    "harus",
    "saat",
    "ketika",
    "jika",
    "kalau",
    "maka",
    "lalu",
    "kemudian",
    "setelah",
    "sebelum",
    "antara",
    "hingga",
    "sampai",
    "secara",
    "yaitu",
    "yakni",
    "seperti",
    "begitu",
    "sini",
    "situ",
    "sana",
    "kita",
    "kami",
    "kamu",
    "aku",
    "saya",
    "ia",
    "dia",
    "mereka",
    "anda",
    "engkau",
    "nya",
    "the",
    "of",
    "and",
    "a",
    "an",
    "is",
    "are",
    "to",
    "in",
    "apa",
    "apakah",
    "siapa",
    "siapakah",
    "kapan",
    "kapankah",
    "mana",
    "manakah",
    "dimana",
    "kemana",
    "darimana",
    "berapa",
    "berapakah",
    "mengapa",
    "kenapa",
    "bagaimana",
    "bagaimanakah",
    "bilamana",
    "sebutkan",
    "jelaskan",
    "tuliskan",
    "dimaksud",
    "maksud",
    "pengertian",
    "arti",
    "disebut",
    "dinamakan",
    "sebut",
    "tahukah",
    "coba",
    "menurut",
    "bacaan",
    "teks",
    "sumber",
    "paragraf",
    "tentang",
    "mengenai",
    "hal",
    "apa-apa",
    "saja",
    "sajakah",
    "sebaiknya",
    "biasanya",
    "cara",
    "tolong",
    "mohon",
    "dong",
    "sih",
    "kok",
    "ya",
    "nama",
    "sebutan",
    "istilah",
    "contoh",
    "contohnya",
    "macam",
    "jenis",
    "bagian",
    "salah",
    "sebuah",
    "seberapa",
    "terjadi",
    "menjadi",
    "jadi",
    "bagi",
];

/// Whether `form` (lower-cased) is a stopword or part of a question's frame.
pub fn is_stopword(form: &str) -> bool {
    STOPWORDS.contains(&form)
}

/// The words of `text`, with spans offset by `base`.
pub fn words(text: &str, base: usize) -> Vec<Word> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].1.is_alphanumeric() || joins(&chars, i)) {
            i += 1;
        }
        let from = chars[start].0;
        let to = chars.get(i).map_or(text.len(), |&(b, _)| b);
        let written = &text[from..to];
        found.push(Word {
            span: base + from..base + to,
            form: fold(written),
            capitalized: written.chars().next().is_some_and(char::is_uppercase),
            numeric: written.chars().any(|c| c.is_ascii_digit()),
        });
    }
    found
}

/// Whether the character at `i` joins the characters either side into one word: a hyphen or
/// apostrophe between letters or digits, a `.` or `,` between digits (`1.500`, `3,5`).
fn joins(chars: &[(usize, char)], i: usize) -> bool {
    let (Some(&(_, before)), Some(&(_, after))) =
        (i.checked_sub(1).map(|j| &chars[j]), chars.get(i + 1))
    else {
        return false;
    };
    match chars[i].1 {
        '-' | '\'' | '’' => before.is_alphanumeric() && after.is_alphanumeric(),
        '.' | ',' => before.is_ascii_digit() && after.is_ascii_digit(),
        _ => false,
    }
}

/// Lower case with the accents Indonesian text meets folded away.
fn fold(written: &str) -> String {
    written
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            '’' => '\'',
            other => other,
        })
        .collect()
}

/// The keys of a word form: `(key, is_the_form_itself)`, the form first.
pub fn keys(form: &str) -> Vec<(String, bool)> {
    let mut keys = vec![(form.to_string(), true)];
    let add = |key: String, same: bool, keys: &mut Vec<(String, bool)>| {
        if key.chars().count() >= 2 && !keys.iter().any(|(k, _)| *k == key) {
            keys.push((key, same));
        }
    };
    let modern = modern_spelling(form);
    if modern != form {
        add(modern.clone(), true, &mut keys);
    }
    if form.contains('-') {
        for part in form.split('-').filter(|p| !is_stopword(p)) {
            add(part.to_string(), false, &mut keys);
        }
    }
    if !form.chars().any(|c| c.is_ascii_digit()) {
        let spellings = if modern == form {
            vec![form]
        } else {
            vec![form, modern.as_str()]
        };
        for spelling in spellings {
            for analysis in morphology::analyses(spelling, Lang::Indonesian) {
                add(analysis.root, false, &mut keys);
            }
        }
    }
    keys
}

/// The Indonesian spelling of a word written in the old (pre-1972) one: `oe` → `u`, `dj` →
/// `j`, `tj` → `c`. (Old `nj`, `sj`, `ch` are left: modern words write them too, as in
/// `penjahit`, `panjang`.)
fn modern_spelling(form: &str) -> String {
    const OLD: [(&str, &str); 3] = [("oe", "u"), ("dj", "j"), ("tj", "c")];
    let mut modern = form.to_string();
    for (old, new) in OLD {
        if modern.contains(old) {
            modern = modern.replace(old, new);
        }
    }
    modern
}

/// Keys computed once per distinct form (morphology proposes many candidates per word).
#[derive(Default)]
pub struct KeyCache {
    cache: HashMap<String, Vec<(String, bool)>>,
}

impl KeyCache {
    /// The keys of `form`.
    pub fn keys(&mut self, form: &str) -> &[(String, bool)] {
        if !self.cache.contains_key(form) {
            self.cache.insert(form.to_string(), keys(form));
        }
        &self.cache[form]
    }
}

/// How well two key sets match: 1 when they share a form-key on both sides, [`ROOT_MATCH`] when
/// they share any key, 0 otherwise.
pub fn match_weight(a: &[(String, bool)], b: &[(String, bool)]) -> f32 {
    let mut best = 0.0f32;
    for (key, same_a) in a {
        if let Some((_, same_b)) = b.iter().find(|(k, _)| k == key) {
            best = best.max(if *same_a && *same_b { 1.0 } else { ROOT_MATCH });
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meet(a: &str, b: &str) -> f32 {
        match_weight(&keys(a), &keys(b))
    }

    #[test]
    fn forms_of_one_root_meet() {
        assert_eq!(meet("menguap", "penguapan"), ROOT_MATCH);
        assert_eq!(meet("menguap", "uap"), ROOT_MATCH);
        assert_eq!(meet("penguapan", "uap"), ROOT_MATCH);
        assert_eq!(meet("dipimpin", "pemimpin"), ROOT_MATCH);
        assert_eq!(meet("kupu-kupu", "kupu"), ROOT_MATCH);
        assert_eq!(meet("air", "air"), 1.0);
        assert_eq!(meet("soekarno", "sukarno"), 1.0);
    }

    #[test]
    fn unrelated_words_do_not_meet() {
        assert_eq!(meet("menguap", "hujan"), 0.0);
        assert_eq!(meet("1945", "1954"), 0.0);
        assert_eq!(meet("daun", "daerah"), 0.0);
    }

    #[test]
    fn words_keep_exact_spans_numbers_and_capitals() {
        let text = "Pada 17 Agustus 1945, kupu-kupu (ke-8) berwarna 3,5 cm.";
        let found = words(text, 10);
        let forms: Vec<&str> = found.iter().map(|w| w.form.as_str()).collect();
        assert_eq!(
            forms,
            [
                "pada",
                "17",
                "agustus",
                "1945",
                "kupu-kupu",
                "ke-8",
                "berwarna",
                "3,5",
                "cm"
            ]
        );
        let agustus = &found[2];
        assert!(agustus.capitalized && !agustus.numeric);
        assert_eq!(
            &text[agustus.span.start - 10..agustus.span.end - 10],
            "Agustus"
        );
        assert!(found[1].numeric && found[5].numeric);
    }

    #[test]
    fn question_frames_are_stopwords() {
        for w in ["apa", "siapakah", "yang", "dimaksud", "berapa"] {
            assert!(is_stopword(w), "{w}");
        }
        assert!(!is_stopword("fotosintesis"));
    }
}
