//! A [`Library`]: sources cut into passages and sentences, and a lexical index over their
//! content words' keys, built once and asked many questions.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::passages::{self, Passage, Source};
use super::terms::{self, KeyCache};

/// Why a set of sources cannot form a library.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LibraryError {
    /// Two sources share a name, so citations could not tell them apart.
    #[error("two sources are both named `{0}`: give each source its own name")]
    DuplicateName(String),
    /// A source has no name.
    #[error("source {0} has no name: give each source a name that citations can show")]
    Unnamed(usize),
}

/// One occurrence of a key: the sentence it is in, and whether the key is the word's own form.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Posting {
    pub sentence: u32,
    /// Which content word of the sentence it is (for proximity), saturating.
    pub position: u16,
    pub same_form: bool,
}

/// A content word of a sentence, as answers inspect it.
#[derive(Clone, Debug)]
pub(crate) struct ContentWord {
    pub form: String,
    pub capitalized: bool,
    pub numeric: bool,
    /// Whether it is the sentence's first word (a capital there may say nothing about names).
    pub first: bool,
}

/// One sentence in the index.
#[derive(Clone, Debug)]
pub(crate) struct SentenceEntry {
    pub passage: u32,
    /// 1-based number within its passage.
    pub number: u32,
    pub span: Range<usize>,
    pub words: Vec<ContentWord>,
}

/// Sources, their passages and sentences, and an index from each key to where it occurs.
pub struct Library {
    pub(crate) sources: Vec<Source>,
    pub(crate) passages: Vec<Passage>,
    /// For each passage, the index of its first sentence in `sentences`.
    pub(crate) first_sentence: Vec<u32>,
    pub(crate) sentences: Vec<SentenceEntry>,
    pub(crate) postings: HashMap<String, Vec<Posting>>,
    /// Content words per passage (BM25's document length).
    pub(crate) passage_len: Vec<u32>,
    /// Each source's title, as key sets of its content words.
    pub(crate) titles: Vec<Vec<Vec<(String, bool)>>>,
    pub(crate) keys: KeyCache,
    /// Forms the sources write in lower case somewhere: a capital on such a word at a
    /// sentence's start says nothing about a name.
    pub(crate) written_lower: HashSet<String>,
}

impl Library {
    /// Cuts the sources into passages and indexes them.
    pub fn new(sources: Vec<Source>) -> Result<Library, LibraryError> {
        for (i, source) in sources.iter().enumerate() {
            if source.name.trim().is_empty() {
                return Err(LibraryError::Unnamed(i + 1));
            }
            if sources[..i].iter().any(|s| s.name == source.name) {
                return Err(LibraryError::DuplicateName(source.name.clone()));
            }
        }
        let mut library = Library {
            sources: Vec::new(),
            passages: Vec::new(),
            first_sentence: Vec::new(),
            sentences: Vec::new(),
            postings: HashMap::new(),
            passage_len: Vec::new(),
            titles: Vec::new(),
            keys: KeyCache::default(),
            written_lower: HashSet::new(),
        };
        for source in sources {
            library.add(source);
        }
        Ok(library)
    }

    fn add(&mut self, source: Source) {
        let index = self.sources.len();
        let title = source.title.as_deref().unwrap_or("");
        let title_keys = terms::words(title, 0)
            .iter()
            .filter(|w| !terms::is_stopword(&w.form))
            .map(|w| self.keys.keys(&w.form).to_vec())
            .collect();
        self.titles.push(title_keys);
        for passage in passages::split(index, &source.text) {
            self.add_passage(&source.text, passage);
        }
        self.sources.push(source);
    }

    fn add_passage(&mut self, text: &str, passage: Passage) {
        let passage_index = self.passages.len() as u32;
        self.first_sentence.push(self.sentences.len() as u32);
        let mut length = 0;
        for (n, span) in passage.sentences.iter().enumerate() {
            let sentence = self.sentences.len() as u32;
            let mut words = Vec::new();
            for (i, word) in terms::words(&text[span.clone()], span.start)
                .into_iter()
                .enumerate()
            {
                if terms::is_stopword(&word.form) {
                    continue;
                }
                if !word.capitalized {
                    self.written_lower.insert(word.form.clone());
                }
                let position = u16::try_from(words.len()).unwrap_or(u16::MAX);
                for (key, same_form) in self.keys.keys(&word.form) {
                    let list = self.postings.entry(key.clone()).or_default();
                    list.push(Posting {
                        sentence,
                        position,
                        same_form: *same_form,
                    });
                }
                words.push(ContentWord {
                    form: word.form,
                    capitalized: word.capitalized,
                    numeric: word.numeric,
                    first: i == 0,
                });
            }
            length += words.len() as u32;
            self.sentences.push(SentenceEntry {
                passage: passage_index,
                number: n as u32 + 1,
                span: span.clone(),
                words,
            });
        }
        self.passage_len.push(length);
        self.passages.push(passage);
    }

    /// Whether `word` of a sentence is written as a name: with a capital that is not just the
    /// sentence's (a first word counts when the sources never write it in lower case).
    pub(crate) fn is_name(&self, word: &ContentWord) -> bool {
        word.capitalized
            && !word.numeric
            && (!word.first || !self.written_lower.contains(&word.form))
    }

    /// The sources, in the order given.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Number of passages (paragraphs) over all sources.
    pub fn passage_count(&self) -> usize {
        self.passages.len()
    }

    /// Number of sentences over all sources.
    pub fn sentence_count(&self) -> usize {
        self.sentences.len()
    }

    /// The sentences of passage `p`, as indices into the sentence table.
    pub(crate) fn sentences_of(&self, p: usize) -> Range<usize> {
        let start = self.first_sentence[p] as usize;
        let end = self
            .first_sentence
            .get(p + 1)
            .map_or(self.sentences.len(), |&s| s as usize);
        start..end
    }

    /// The stable id of passage `p`: `source#p2`.
    pub fn passage_id(&self, p: usize) -> String {
        let passage = &self.passages[p];
        format!(
            "{}#p{}",
            self.sources[passage.source].name, passage.paragraph
        )
    }

    /// The stable id of sentence `s`: `source#p2.s3`.
    pub(crate) fn sentence_id(&self, s: usize) -> String {
        let sentence = &self.sentences[s];
        format!(
            "{}.s{}",
            self.passage_id(sentence.passage as usize),
            sentence.number
        )
    }

    /// The text of sentence `s`, exactly as its source writes it.
    pub(crate) fn sentence_text(&self, s: usize) -> &str {
        let sentence = &self.sentences[s];
        let source = self.passages[sentence.passage as usize].source;
        &self.sources[source].text[sentence.span.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_texts_point_at_the_source() {
        let library = Library::new(vec![
            Source::new("a", "Satu dua. Tiga empat.\n\nLima enam."),
            Source::new("b", "Tujuh."),
        ])
        .unwrap();
        assert_eq!(library.passage_count(), 3);
        assert_eq!(library.sentence_count(), 4);
        assert_eq!(library.sentence_id(1), "a#p1.s2");
        assert_eq!(library.sentence_text(1), "Tiga empat.");
        assert_eq!(library.sentence_id(2), "a#p2.s1");
        assert_eq!(library.sentence_id(3), "b#p1.s1");
        assert_eq!(library.sentences_of(0), 0..2);
    }

    #[test]
    fn names_must_be_given_and_unique() {
        let twice = vec![Source::new("a", "x"), Source::new("a", "y")];
        assert_eq!(
            Library::new(twice).err(),
            Some(LibraryError::DuplicateName("a".into()))
        );
        assert_eq!(
            Library::new(vec![Source::new(" ", "x")]).err(),
            Some(LibraryError::Unnamed(1))
        );
    }
}
