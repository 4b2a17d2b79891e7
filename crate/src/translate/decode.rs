//! Choosing one translation per stretch of input with a target-side language model.
//!
//! Lookup leaves a lattice: for each stretch of a sentence, the translations its entries allow
//! ([`Alternatives`], best first by lexicon evidence). Without a language model the first of
//! each is taken. With models, a beam search scores every path by
//!
//! ```text
//! Σ_models Σ log10 P_lm(word | two words before)  +  prior_weight · Σ (score − best of its slot)
//! ```
//!
//! and keeps the best. Every alternative is a cited lexicon form, so the choice can change which
//! entry a word cites but never invents one. Punctuation is transparent to the model.

use std::collections::HashMap;

use super::ngram::{BOS, EOS, NgramModel};
use super::normalize;
use super::token::{Source, Token};

/// Translations of one stretch of input, best first by lexicon evidence, each with its
/// [`super::rank`] score; [`decode`] may choose another than the first.
pub type Alternatives = Vec<(Token, f64)>;

/// How the beam search weighs its evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodeOptions {
    /// Weight of the lexicon ranking against the language model (log10 units per rank point).
    pub prior_weight: f64,
    /// Hypotheses kept per step.
    pub beam: usize,
    /// Alternatives considered per stretch.
    pub alternatives: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            prior_weight: 0.5,
            beam: 16,
            alternatives: 8,
        }
    }
}

#[derive(Clone)]
struct Hypothesis {
    score: f64,
    /// The last two words, as ids of each model.
    context: Vec<(u32, u32)>,
    choices: Vec<usize>,
}

/// One token per slot of `lattice`: the first alternative of each without a model, else the
/// best-scoring path.
pub fn decode(
    lattice: Vec<Alternatives>,
    models: &[&NgramModel],
    options: &DecodeOptions,
) -> Vec<Token> {
    if models.is_empty() {
        return lattice.into_iter().filter_map(first).collect();
    }
    let mut beam = vec![Hypothesis {
        score: 0.0,
        context: vec![(BOS, BOS); models.len()],
        choices: Vec::with_capacity(lattice.len()),
    }];
    for slot in &lattice {
        beam = step(&beam, slot, models, options);
    }
    let end = |h: &Hypothesis| {
        let close = models.iter().zip(&h.context);
        h.score
            + close
                .map(|(m, &(u, v))| m.log10_prob(u, v, EOS))
                .sum::<f64>()
    };
    let best = beam.into_iter().max_by(|a, b| {
        end(a)
            .total_cmp(&end(b))
            .then_with(|| b.choices.cmp(&a.choices))
    });
    let choices = best.map(|h| h.choices).unwrap_or_default();
    lattice
        .into_iter()
        .zip(choices)
        .filter_map(|(slot, choice)| slot.into_iter().nth(choice).map(|(t, _)| t))
        .collect()
}

fn first(slot: Alternatives) -> Option<Token> {
    slot.into_iter().next().map(|(token, _)| token)
}

/// Extends every hypothesis by every alternative of `slot`, recombining equal contexts.
fn step(
    beam: &[Hypothesis],
    slot: &Alternatives,
    models: &[&NgramModel],
    options: &DecodeOptions,
) -> Vec<Hypothesis> {
    let top = slot.first().map_or(0.0, |(_, s)| *s);
    let alternatives: Vec<(f64, Vec<Vec<u32>>)> = slot
        .iter()
        .take(options.alternatives)
        .map(|(token, score)| (score - top, word_ids(token, models)))
        .collect();
    let mut next: HashMap<Vec<(u32, u32)>, Hypothesis> = HashMap::new();
    for hypothesis in beam {
        for (choice, (prior, ids)) in alternatives.iter().enumerate() {
            let mut h = hypothesis.clone();
            h.choices.push(choice);
            h.score += options.prior_weight * prior;
            for ((model, context), ids) in models.iter().zip(&mut h.context).zip(ids) {
                for &w in ids {
                    h.score += model.log10_prob(context.0, context.1, w);
                    *context = (context.1, w);
                }
            }
            match next.get(&h.context) {
                Some(kept) if kept.score >= h.score => {}
                _ => {
                    next.insert(h.context.clone(), h);
                }
            }
        }
    }
    let mut kept: Vec<Hypothesis> = next.into_values().collect();
    kept.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.choices.cmp(&b.choices))
    });
    kept.truncate(options.beam.max(1));
    kept
}

/// For each model, the ids of `token`'s words (none for punctuation, which is transparent).
fn word_ids(token: &Token, models: &[&NgramModel]) -> Vec<Vec<u32>> {
    let words: Vec<String> = match token.source {
        Source::Punctuation => Vec::new(),
        _ => normalize::normalize(&token.text)
            .into_iter()
            .filter(|p| p.is_word())
            .map(|p| p.text)
            .collect(),
    };
    models
        .iter()
        .map(|m| words.iter().map(|w| m.id(w)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::ngram::{TrainOptions, train};
    use super::*;

    fn word(text: &str) -> Token {
        Token {
            rule: Some("test".into()),
            ..Token::verbatim(text, Source::Lexicon)
        }
    }

    fn model(text: &str) -> NgramModel {
        train(
            "id",
            &[("t".into(), text.into())],
            &TrainOptions::every_ngram(),
        )
    }

    fn lattice() -> Vec<Alternatives> {
        vec![
            vec![(word("daku"), 0.0), (word("saya"), -0.5)],
            vec![(word("buka"), 0.0), (word("sudah"), 0.0)],
            vec![(word("makan"), 0.0)],
            vec![(Token::verbatim(".", Source::Punctuation), 0.0)],
        ]
    }

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn without_a_model_the_first_alternative_wins() {
        let tokens = decode(lattice(), &[], &DecodeOptions::default());
        assert_eq!(texts(&tokens), ["daku", "buka", "makan", "."]);
    }

    #[test]
    fn the_model_chooses_among_the_alternatives_only() {
        let m = model("saya sudah makan\nsaya sudah mandi\nkami sudah makan\npintu buka\n");
        let tokens = decode(lattice(), &[&m], &DecodeOptions::default());
        assert_eq!(texts(&tokens), ["saya", "sudah", "makan", "."]);
        let heavy_prior = DecodeOptions {
            prior_weight: 100.0,
            ..DecodeOptions::default()
        };
        let tokens = decode(lattice(), &[&m], &heavy_prior);
        assert_eq!(texts(&tokens)[0], "daku");
    }
}
