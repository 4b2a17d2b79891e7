//! The translation pipeline: lookup first, guesses only when allowed, silence otherwise.
//!
//! 1. normalise ([`super::normalize`]); detect the source language if the caller did not say;
//! 2. the whole input, then each sentence, as an exact phrasebook phrase (the phrase's own
//!    punctuation is replaced by the sentence's leading and trailing marks);
//! 3. otherwise word by word: the longest phrasebook or lexicon match, then a Lampung spelling
//!    variant, then morphology, then a clitic written apart ([`super::lookup`]);
//! 4. runs of words still untranslated go to the [`Guesser`] if, and only if,
//!    [`Options::allow_guesses`] is set; its words are marked [`Source::Model`];
//! 5. anything left is a [`Source::Unknown`] token keeping the input word.
//!
//! Punctuation is copied with [`Source::Punctuation`].

use super::decode::{Alternatives, decode};
use super::detect::detect;
use super::guess::Guesser;
use super::lang::Lang;
use super::lookup::Lookup;
use super::normalize::{self, Piece};
use super::options::Options;
use super::rank;
use super::resources::Resources;
use super::token::{Source, Token, Translation};

/// Translates `text` from `from` (`None`: detect it) to `to`.
pub fn translate(
    text: &str,
    from: Option<Lang>,
    to: Lang,
    resources: &Resources,
    options: &Options,
) -> Translation {
    let detected = from.is_none().then(|| detect(text, resources));
    let from = from.unwrap_or_else(|| detected.as_ref().map_or(Lang::Indonesian, |d| d.lang));
    let lookup = Lookup {
        from,
        to,
        resources,
        options,
    };
    let pieces = normalize::normalize(text);
    let mut tokens = phrase(&pieces, &lookup).unwrap_or_default();
    if tokens.is_empty() {
        for range in normalize::sentences(&pieces) {
            let sentence = &pieces[range];
            let translated = phrase(sentence, &lookup).unwrap_or_else(|| {
                let models = resources.language_models_of(to);
                decode(words(sentence, &lookup), &models, &options.decode)
            });
            tokens.extend(translated);
        }
    }
    if options.allow_guesses
        && let Some(guesser) = &resources.guesser
    {
        tokens = guess_unknown_runs(tokens, guesser.as_ref(), from, to);
    }
    Translation {
        tokens,
        from,
        to,
        detected,
    }
}

/// The pieces as one phrasebook phrase, with their leading and trailing punctuation.
fn phrase(pieces: &[Piece], lookup: &Lookup) -> Option<Vec<Token>> {
    let key = normalize::words_key(pieces);
    if key.is_empty() {
        return None;
    }
    let candidates = lookup
        .resources
        .phrasebook
        .lexicon()
        .lookup(lookup.from.side(), &key);
    let query = rank::Query {
        from: lookup.from,
        to: lookup.to,
        source_key: &key,
        lexicon: &lookup.resources.lexicon,
    };
    let best = rank::best(&candidates, query)?;
    let stored = candidates[best];
    let first_word = pieces.iter().position(Piece::is_word)?;
    let last_word = pieces.iter().rposition(Piece::is_word)?;
    let punctuation = |p: &Piece| Token::verbatim(&p.text, Source::Punctuation);
    let mut tokens: Vec<Token> = pieces[..first_word].iter().map(punctuation).collect();
    tokens.push(Token {
        text: stored.entry.text(lookup.to.side())?.to_string(),
        source: Source::Phrasebook,
        entry: stored.entry.text(lookup.from.side()).map(str::to_string),
        source_name: Some(stored.origin.clone()),
        dialect: stored.entry.dialect.single(),
        input: key,
        rule: None,
        joined: false,
    });
    tokens.extend(pieces[last_word + 1..].iter().map(punctuation));
    Some(tokens)
}

/// Word-by-word translations of one sentence: a lattice of alternatives per stretch.
fn words(pieces: &[Piece], lookup: &Lookup) -> Vec<Alternatives> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        if !pieces[i].is_word() {
            tokens.push(single(Token::verbatim(
                &pieces[i].text,
                Source::Punctuation,
            )));
            i += 1;
            continue;
        }
        let run_end = pieces[i..]
            .iter()
            .position(|p| !p.is_word())
            .map_or(pieces.len(), |n| i + n);
        let run: Vec<String> = pieces[i..run_end].iter().map(|p| p.text.clone()).collect();
        tokens.extend(word_run(&run, lookup));
        i = run_end;
    }
    tokens
}

/// A slot with one alternative.
fn single(token: Token) -> Alternatives {
    vec![(token, 0.0)]
}

/// Alternatives for each stretch of a run of words with no punctuation between them.
fn word_run(run: &[String], lookup: &Lookup) -> Vec<Alternatives> {
    let mut tokens: Vec<Alternatives> = Vec::new();
    let mut k = 0;
    while k < run.len() {
        if let Some(found) = locative_place_word(&run[k..], lookup) {
            tokens.push(found);
            k += 2;
            continue;
        }
        if let Some((n, found)) = lookup.longest_match(&run[k..]) {
            tokens.push(found);
            k += n;
            continue;
        }
        let word = &run[k];
        let clitic = || {
            (k > 0)
                .then(|| lookup.standalone_clitic(word).map(single))
                .flatten()
        };
        let found = lookup
            .word(word)
            .or_else(clitic)
            .or_else(|| lookup.by_sound(word))
            .or_else(|| lookup.morphology_by_sound(word))
            .unwrap_or_else(|| single(Token::verbatim(word, Source::Unknown)));
        tokens.push(found);
        k += 1;
    }
    tokens
}

/// Indonesian `di` before a place word (`sini`, `situ`, `sana`) whose every Lampung entry
/// already carries the locative (`sini` → `dija`, `dijou`): one token for both words, citing the
/// place word's entry, so Lampung output does not say `di dijou`.
fn locative_place_word(run: &[String], lookup: &Lookup) -> Option<Alternatives> {
    if lookup.from != Lang::Indonesian || !matches!(lookup.to, Lang::Lampung(_)) {
        return None;
    }
    let [di, place, ..] = run else {
        return None;
    };
    let place_key = normalize::key(place);
    if normalize::key(di) != "di" || !matches!(place_key.as_str(), "sini" | "situ" | "sana") {
        return None;
    }
    let (_, found) = lookup.longest_match(std::slice::from_ref(place))?;
    let carries =
        |t: &Token| t.source == Source::Lexicon && normalize::key(&t.text).starts_with("di");
    if !found.iter().all(|(t, _)| carries(t)) {
        return None;
    }
    let rule = format!("di + {place_key}: the Lampung word carries the locative di");
    let joined = found.into_iter().map(|(t, score)| {
        let token = Token {
            input: format!("di {place_key}"),
            rule: Some(rule.clone()),
            ..t
        };
        (token, score)
    });
    Some(joined.collect())
}

/// Offers each run of consecutive unknown tokens to the guesser; keeps them if it is silent.
fn guess_unknown_runs(
    tokens: Vec<Token>,
    guesser: &dyn Guesser,
    from: Lang,
    to: Lang,
) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut run: Vec<Token> = Vec::new();
    for token in tokens {
        if token.source == Source::Unknown {
            run.push(token);
        } else {
            flush_run(&mut run, &mut out, guesser, from, to);
            out.push(token);
        }
    }
    flush_run(&mut run, &mut out, guesser, from, to);
    out
}

fn flush_run(
    run: &mut Vec<Token>,
    out: &mut Vec<Token>,
    guesser: &dyn Guesser,
    from: Lang,
    to: Lang,
) {
    if run.is_empty() {
        return;
    }
    let words: Vec<String> = run.iter().map(|t| t.input.clone()).collect();
    match guesser.guess(&words, from, to) {
        Some(guess) if !guess.is_empty() => {
            out.push(Token {
                text: guess.join(" "),
                source: Source::Model,
                entry: None,
                source_name: Some(guesser.name().to_string()),
                dialect: None,
                input: words.join(" "),
                rule: None,
                joined: false,
            });
            run.clear();
        }
        _ => out.append(run),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::super::lang::Dialect;
    use super::*;

    const NYO: Lang = Lang::Lampung(Dialect::Nyo);

    /// Words of the founding examples, `lulih` (ask) of the brief's `ngelulih`, and made-up
    /// `aa`, `bb`, `aa bb` for segmentation.
    fn resources() -> Resources {
        let mut resources = Resources::builtin();
        let tsv = "lampung\tindonesian\tenglish\tdialect\tpos\tsource\tnote\n\
                   mak\ttidak\t\tboth\t\tt\t\n\
                   dijou\tsini\t\tnyo\t\tt\t\n\
                   nyak\tsaya\t\tunknown\t\tt\t\n\
                   haga\tmau\t\tunknown\t\tt\t\n\
                   mengan\tmakan\t\tunknown\t\tt\t\n\
                   manuk\tayam\t\tunknown\t\tt\t\n\
                   paghek\tdekat\t\tunknown\t\tt\t\n\
                   lulih\ttanya\t\tunknown\t\tt\t\n\
                   aa\tx\t\tunknown\t\tt\t\n\
                   bb\ty\t\tunknown\t\tt\t\n\
                   aa bb\tz\t\tunknown\t\tt\t\n";
        resources.add_lexicon("test.tsv", tsv).unwrap();
        resources
    }

    fn run(text: &str, from: Lang, to: Lang) -> Translation {
        translate(text, Some(from), to, &resources(), &Options::default())
    }

    /// Panics if called: with guesses off the pipeline must never ask.
    struct PanickingGuesser;

    impl Guesser for PanickingGuesser {
        fn guess(&self, words: &[String], _: Lang, _: Lang) -> Option<Vec<String>> {
            panic!("guesser called for {words:?} although guesses are off")
        }
    }

    /// Answers every call with `?` per word, and counts the calls.
    struct CountingGuesser(Rc<Cell<usize>>);

    impl Guesser for CountingGuesser {
        fn guess(&self, words: &[String], _: Lang, _: Lang) -> Option<Vec<String>> {
            self.0.set(self.0.get() + 1);
            Some(words.iter().map(|w| format!("{w}?")).collect())
        }
    }

    #[test]
    fn whole_phrases_come_from_the_phrasebook_ignoring_case_and_punctuation() {
        let t = run("  API kabar,  Niku ?!", NYO, Lang::Indonesian);
        assert_eq!(t.text(), "apa kabar kamu?!");
        assert_eq!(t.tokens[0].source, Source::Phrasebook);
        assert_eq!(t.tokens[0].source_name.as_deref(), Some("siger-phrasebook"));
        assert_eq!(t.tokens[0].entry.as_deref(), Some("api kabar niku"));
        let back = run("Saya mau makan.", Lang::Indonesian, NYO);
        assert_eq!(back.text(), "nyak haga mengan.");
    }

    #[test]
    fn each_sentence_can_be_a_phrase() {
        let t = run("Tabik pun! Api kabar niku?", NYO, Lang::Indonesian);
        assert_eq!(t.text(), "salam hormat! apa kabar kamu?");
    }

    #[test]
    fn longest_match_beats_word_by_word() {
        let t = run("aa bb", NYO, Lang::Indonesian);
        assert_eq!(t.text(), "z");
        assert_eq!(t.tokens.len(), 1);
        assert_eq!(t.tokens[0].input, "aa bb");
        assert_eq!(run("bb aa", NYO, Lang::Indonesian).text(), "y x");
        assert_eq!(run("x", Lang::Indonesian, NYO).text(), "aa");
    }

    #[test]
    fn di_before_a_place_word_whose_lampung_carries_it_is_not_doubled() {
        let t = run("saya di sini", Lang::Indonesian, NYO).tokens;
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(
            (t[1].text.as_str(), t[1].input.as_str()),
            ("dijou", "di sini")
        );
        assert_eq!(t[1].entry.as_deref(), Some("sini"));
        assert!(
            t[1].rule
                .as_deref()
                .unwrap_or_default()
                .contains("carries the locative")
        );
        // Alone, or the other way, `sini` is translated as usual.
        assert_eq!(run("sini", Lang::Indonesian, NYO).text(), "dijou");
        assert_eq!(run("dijou", NYO, Lang::Indonesian).text(), "sini");
    }

    #[test]
    fn morphology_reaches_roots_and_rebuilds_the_target() {
        let t = run("ngelulih-lulih manukno dipagghek", NYO, Lang::Indonesian);
        assert_eq!(t.text(), "menanya-tanya ayamnya didekat");
        assert!(t.tokens.iter().all(|tok| tok.source == Source::Morphology));
        let entries: Vec<_> = t.tokens.iter().map(|t| t.entry.as_deref()).collect();
        assert_eq!(entries, [Some("lulih"), Some("manuk"), Some("paghek")]);
        let rule = t.tokens[2].rule.as_deref().unwrap_or_default();
        assert_eq!(rule, "di- + pagghek (spelling: pagghek ~ paghek)");
        assert_eq!(
            run("mengan-mengan", NYO, Lang::Indonesian).text(),
            "makan-makan"
        );
        assert_eq!(run("ayamnya", Lang::Indonesian, NYO).text(), "manuk no");
        let api = Lang::Lampung(Dialect::Api);
        assert_eq!(run("ayamnya", Lang::Indonesian, api).text(), "manukni");
    }

    #[test]
    fn spelling_variants_cite_the_entry_they_found() {
        let t = run("pagghek", NYO, Lang::Indonesian);
        assert_eq!(
            (t.text().as_str(), t.tokens[0].source),
            ("dekat", Source::Lexicon)
        );
        assert_eq!(t.tokens[0].entry.as_deref(), Some("paghek"));
        let off = Options {
            spelling_variants: false,
            ..Options::default()
        };
        let t = translate("pagghek", Some(NYO), Lang::Indonesian, &resources(), &off);
        assert_eq!(t.tokens[0].source, Source::Unknown);
    }

    #[test]
    fn clitics_written_apart_join_the_previous_word() {
        let t = run("manuk no", NYO, Lang::Indonesian);
        assert_eq!(t.text(), "ayamnya");
        assert!(t.tokens[1].joined && t.tokens[1].is_traceable());
        let first = run("no manuk", NYO, Lang::Indonesian);
        assert_eq!(first.tokens[0].source, Source::Unknown);
    }

    #[test]
    fn every_token_has_provenance_and_unknown_words_stay_as_written() {
        let t = run("Nyak ikam Budi, mak?", NYO, Lang::Indonesian);
        for token in &t.tokens {
            let traced = token.is_traceable() || token.source == Source::Unknown;
            assert!(traced, "{token:?}");
            if token.source == Source::Unknown {
                assert_eq!(token.text, token.input);
            }
        }
        assert_eq!(t.unknown_words(), ["ikam", "budi"]);
        assert_eq!(t.text(), "saya ikam budi, tidak?");
    }

    #[test]
    fn guesser_is_never_called_when_guesses_are_off() {
        let resources = resources().with_guesser(Box::new(PanickingGuesser));
        let t = translate(
            "manuk ikam",
            Some(NYO),
            Lang::Indonesian,
            &resources,
            &Options::default(),
        );
        assert_eq!(t.tokens[1].source, Source::Unknown);
    }

    #[test]
    fn guesses_fill_only_unknown_runs_and_are_marked() {
        let calls = Rc::new(Cell::new(0));
        let resources = resources().with_guesser(Box::new(CountingGuesser(calls.clone())));
        let options = Options {
            allow_guesses: true,
            ..Options::default()
        };
        let t = translate(
            "ikam sekam manuk budi",
            Some(NYO),
            Lang::Indonesian,
            &resources,
            &options,
        );
        assert_eq!(calls.get(), 2);
        assert_eq!(t.text(), "ikam? sekam? ayam budi?");
        assert_eq!(t.tokens[0].source, Source::Model);
        assert_eq!(t.tokens[0].input, "ikam sekam");
    }

    #[test]
    fn a_language_model_chooses_senses_and_attests_sound_rules() {
        use super::super::ngram::{TrainOptions, train};
        let mut resources = resources();
        let tsv = "lampung\tindonesian\tenglish\tdialect\tpos\tsource\tnote\n\
                   kak\tbuka\t\tunknown\t\tt\t\n\
                   kak\tsudah\t\tunknown\t\tt\t\n";
        resources.add_lexicon("senses.tsv", tsv).unwrap();
        // The everyday-word ranking prefers `sudah`; a model of text that says `buka` overrules it.
        let text = "saya buka makan di sekolah\n".repeat(6);
        let options = TrainOptions {
            min_count: 1,
            ..TrainOptions::default()
        };
        let sentence = "nyak kak mengan di sekulah";
        let without = translate(
            sentence,
            Some(NYO),
            Lang::Indonesian,
            &resources,
            &Options::default(),
        );
        assert_eq!(without.text(), "saya sudah makan di sekulah");
        assert_eq!(without.tokens[4].source, Source::Unknown);
        let model = train("id", &[("t".into(), text)], &options);
        resources.language_models.push(model);
        let t = translate(
            "nyak kak mengan di sekulah",
            Some(NYO),
            Lang::Indonesian,
            &resources,
            &Options::default(),
        );
        assert_eq!(t.text(), "saya buka makan di sekolah");
        assert_eq!(t.tokens[1].source_name.as_deref(), Some("senses.tsv"));
        assert_eq!(t.tokens[4].source, Source::Rule);
        assert!(t.tokens[4].is_traceable() && t.tokens[4].rule.is_some());
        let off = Options {
            sound_rules: false,
            ..Options::default()
        };
        let t = translate("sekulah", Some(NYO), Lang::Indonesian, &resources, &off);
        assert_eq!(t.tokens[0].source, Source::Unknown);
    }

    #[test]
    fn detects_the_source_when_asked() {
        let t = translate(
            "api kabar niku",
            None,
            Lang::Indonesian,
            &resources(),
            &Options::default(),
        );
        assert_eq!(t.from, NYO);
        assert!(t.detected.is_some());
    }
}
