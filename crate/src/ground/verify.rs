//! The verifier: a sentence is supported by its citations when every content word of it
//! appears in them, after normalisation. Numbers and names must appear exactly (the same digits;
//! the same name, case aside); other words may appear in another form of the same root
//! (`penguapan` is supported by `menguap`). A model may phrase an answer only through
//! [`Answer::with_phrasing`], which keeps the sentences the verifier accepts and drops the rest.

use super::answer::{Answer, Citation};
use super::passages;
use super::terms::{self, Word};

/// The content words of `text` that no citation supports, as written in `text`.
pub fn unsupported(text: &str, citations: &[Citation]) -> Vec<String> {
    let cited: Vec<Word> = citations
        .iter()
        .flat_map(|c| terms::words(&c.text, 0))
        .collect();
    let cited_keys: Vec<Vec<(String, bool)>> = cited.iter().map(|w| terms::keys(&w.form)).collect();
    let mut missing = Vec::new();
    for (i, word) in terms::words(text, 0).into_iter().enumerate() {
        if terms::is_stopword(&word.form) {
            continue;
        }
        let exact = word.numeric || (word.capitalized && !sentence_initial(text, &word, i));
        let found = if exact {
            cited.iter().any(|c| c.form == word.form)
        } else {
            let keys = terms::keys(&word.form);
            cited_keys
                .iter()
                .any(|k| terms::match_weight(&keys, k) > 0.0)
        };
        if !found {
            missing.push(text[word.span.clone()].to_string());
        }
    }
    missing
}

/// Whether `word` (the `index`-th of `text`) opens a sentence, where a capital says nothing.
fn sentence_initial(text: &str, word: &Word, index: usize) -> bool {
    index == 0
        || text[..word.span.start]
            .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '"' | '“' | '(' | '\''))
            .ends_with(['.', '?', '!', ':', '\n'])
}

impl Answer {
    /// This answer with `generated` (a model's shorter phrasing of the cited sentences) in place
    /// of its text, sentence by sentence as far as the verifier accepts them: a generated
    /// sentence with a content word its citations lack is dropped and listed in `dropped`. When
    /// none is accepted, or the answer is an abstention, the text stays what it was.
    pub fn with_phrasing(mut self, generated: &str) -> Answer {
        if self.abstained {
            return self;
        }
        let mut kept = Vec::new();
        for passage in passages::split(0, generated) {
            for span in passage.sentences {
                let sentence = &generated[span];
                if unsupported(sentence, &self.citations).is_empty() {
                    kept.push(sentence.to_string());
                } else {
                    self.dropped.push(sentence.to_string());
                }
            }
        }
        if !kept.is_empty() {
            self.text = kept.join(" ");
            self.supported = true;
        }
        self
    }
}

/// The request a model is given to phrase `answer` for `question`: the cited sentences and
/// the question, with the instruction to use nothing else.
pub fn phrasing_request(question: &str, answer: &Answer) -> String {
    let quotes: Vec<String> = answer
        .citations
        .iter()
        .map(|c| format!("- {}", c.text))
        .collect();
    format!(
        "Jawab pertanyaan berikut dengan singkat, hanya dengan kata-kata dari kutipan ini.\nKutipan:\n{}\nPertanyaan: {}",
        quotes.join("\n"),
        question.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cite(text: &str) -> Citation {
        Citation {
            source: "s".into(),
            passage: "s#p1".into(),
            sentence: "s#p1.s1".into(),
            span: 0..text.len(),
            passage_span: 0..text.len(),
            text: text.into(),
        }
    }

    fn answer(text: &str) -> Answer {
        Answer {
            text: text.into(),
            citations: vec![cite(text)],
            abstained: false,
            supported: true,
            closest: Vec::new(),
            score: 1.0,
            dropped: Vec::new(),
        }
    }

    #[test]
    fn other_forms_of_cited_roots_are_supported() {
        let cited = [cite("Air laut menguap karena panas matahari.")];
        assert_eq!(
            unsupported("Penguapan air laut terjadi karena angin.", &cited),
            ["angin"]
        );
        assert!(unsupported("Air menguap karena panas.", &cited).is_empty());
    }

    #[test]
    fn numbers_and_names_must_match_exactly() {
        let cited = [cite("Proklamasi dibacakan oleh Soekarno pada tahun 1945.")];
        assert_eq!(
            unsupported("Proklamasi dibacakan pada tahun 1954.", &cited),
            ["1954"]
        );
        assert_eq!(
            unsupported("Proklamasi dibacakan oleh Hatta.", &cited),
            ["Hatta"]
        );
        assert!(unsupported("Dibacakan oleh Soekarno tahun 1945.", &cited).is_empty());
    }

    #[test]
    fn the_verifier_drops_a_planted_unsupported_sentence() {
        let base = answer("Fotosintesis terjadi di daun dan menghasilkan oksigen.");
        let phrased = base.clone().with_phrasing(
            "Fotosintesis menghasilkan oksigen. Fotosintesis ditemukan oleh Ingenhousz pada 1779.",
        );
        assert_eq!(phrased.text, "Fotosintesis menghasilkan oksigen.");
        assert_eq!(
            phrased.dropped,
            ["Fotosintesis ditemukan oleh Ingenhousz pada 1779."]
        );
        assert!(phrased.supported);
        let refused = base.clone().with_phrasing("Daun berwarna merah.");
        assert_eq!(refused.text, base.text);
        assert_eq!(refused.dropped, ["Daun berwarna merah."]);
    }

    #[test]
    fn an_abstention_is_never_phrased() {
        let mut abstained = answer("Aku tidak menemukan jawabannya di sumber ini.");
        abstained.abstained = true;
        abstained.citations.clear();
        let phrased = abstained.clone().with_phrasing("Jawabannya 42.");
        assert_eq!(phrased, abstained);
    }
}
