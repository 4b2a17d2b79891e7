//! Corpus BLEU and chrF, computed as sacrebleu computes them with its defaults, on lower-cased
//! text, so figures can be compared with published ones.
//!
//! - BLEU: n-grams up to 4, brevity penalty, `exp` smoothing (an order with no match counts
//!   as 1/2, then 1/4, ... of a match), `13a` tokenization (mteval-v13a).
//! - chrF: character n-grams up to 6 with whitespace removed, no word n-grams, β = 2; precision
//!   and recall are averaged over the orders both sides have n-grams of.
//!
//! Both return a score in 0..=100. Each hypothesis has exactly one reference.

use std::collections::HashMap;
use std::hash::Hash;

const BLEU_ORDER: usize = 4;
const CHRF_ORDER: usize = 6;
const CHRF_BETA: f64 = 2.0;

/// sacrebleu's `corpus_bleu(hyps, [refs])` on lower-cased text.
///
/// # Panics
/// If `hyps` and `refs` differ in length.
pub fn corpus_bleu<H: AsRef<str>, R: AsRef<str>>(hyps: &[H], refs: &[R]) -> f64 {
    assert_eq!(hyps.len(), refs.len(), "one reference per hypothesis");
    let mut correct = [0usize; BLEU_ORDER];
    let mut total = [0usize; BLEU_ORDER];
    let (mut sys_len, mut ref_len) = (0usize, 0usize);
    for (hyp, reference) in hyps.iter().zip(refs) {
        let hyp = bleu_tokens(hyp.as_ref());
        let reference = bleu_tokens(reference.as_ref());
        sys_len += hyp.len();
        ref_len += reference.len();
        for n in 1..=BLEU_ORDER {
            let (matched, count) = clipped_matches(&ngrams(&hyp, n), &ngrams(&reference, n));
            correct[n - 1] += matched;
            total[n - 1] += count;
        }
    }
    bleu_from_stats(&correct, &total, sys_len, ref_len)
}

/// sacrebleu's `BLEU.compute_bleu` with `smooth_method="exp"`.
fn bleu_from_stats(correct: &[usize], total: &[usize], sys_len: usize, ref_len: usize) -> f64 {
    if correct.iter().all(|&c| c == 0) {
        return 0.0;
    }
    let brevity_penalty = match sys_len {
        0 => 0.0,
        s if s < ref_len => (1.0 - ref_len as f64 / s as f64).exp(),
        _ => 1.0,
    };
    let mut smooth = 1.0;
    let mut log_sum = 0.0;
    for (&c, &t) in correct.iter().zip(total) {
        let precision = if t == 0 {
            0.0
        } else if c == 0 {
            smooth *= 2.0;
            100.0 / (smooth * t as f64)
        } else {
            100.0 * c as f64 / t as f64
        };
        // sacrebleu's `my_log`: log(0) is floored to -9999999999.
        log_sum += if precision == 0.0 {
            -9_999_999_999.0
        } else {
            precision.ln()
        };
    }
    brevity_penalty * (log_sum / correct.len() as f64).exp()
}

fn bleu_tokens(line: &str) -> Vec<String> {
    tokenize_13a(line.to_lowercase().trim_end())
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// The `13a` tokenizer (mteval-v13a), as sacrebleu implements it.
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        for (entity, c) in [
            ("&quot;", "\""),
            ("&amp;", "&"),
            ("&lt;", "<"),
            ("&gt;", ">"),
        ] {
            line = line.replace(entity, c);
        }
    }
    let chars: Vec<char> = format!(" {line} ").chars().collect();
    let mut spaced = Vec::with_capacity(chars.len() * 2);
    for c in chars {
        if is_13a_symbol(c) {
            spaced.extend([' ', c, ' ']);
        } else {
            spaced.push(c);
        }
    }
    let not_digit = |c: char| !c.is_ascii_digit();
    let period_comma = |c: char| c == '.' || c == ',';
    // ([^0-9])([\.,]) → "\1 \2 "; then ([\.,])([^0-9]) → " \1 \2"; then ([0-9])(-) → "\1 \2 ".
    let spaced = pair_rule(&spaced, not_digit, period_comma, &[0, 2, 1, 2]);
    let spaced = pair_rule(&spaced, period_comma, not_digit, &[2, 0, 2, 1]);
    let spaced = pair_rule(&spaced, |c| c.is_ascii_digit(), |c| c == '-', &[0, 2, 1, 2]);
    let text: String = spaced.into_iter().collect();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// First regex of sacrebleu's 13a tokenizer: these ASCII symbols get spaces around them
/// (`\u{7b}` is `{`, escaped so that line-based tools see balanced braces).
fn is_13a_symbol(c: char) -> bool {
    matches!(c, '\u{7b}'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/')
}

/// Applies a two-character regex substitution left to right without overlaps, as `re.sub`
/// does. `layout` spells the replacement: 0 = first char, 1 = second char, 2 = a space.
fn pair_rule(
    chars: &[char],
    first: impl Fn(char) -> bool,
    second: impl Fn(char) -> bool,
    layout: &[u8],
) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len() && first(chars[i]) && second(chars[i + 1]) {
            out.extend(layout.iter().map(|&part| match part {
                0 => chars[i],
                1 => chars[i + 1],
                _ => ' ',
            }));
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// sacrebleu's `corpus_chrf(hyps, [refs])` on lower-cased text.
///
/// # Panics
/// If `hyps` and `refs` differ in length.
pub fn corpus_chrf<H: AsRef<str>, R: AsRef<str>>(hyps: &[H], refs: &[R]) -> f64 {
    assert_eq!(hyps.len(), refs.len(), "one reference per hypothesis");
    // Per order: [hypothesis n-grams, reference n-grams, matches].
    let mut stats = [[0usize; 3]; CHRF_ORDER];
    for (hyp, reference) in hyps.iter().zip(refs) {
        let hyp = chrf_chars(hyp.as_ref());
        let reference = chrf_chars(reference.as_ref());
        for (n, order) in (1..=CHRF_ORDER).zip(stats.iter_mut()) {
            let (matched, hyp_count) = clipped_matches(&ngrams(&hyp, n), &ngrams(&reference, n));
            order[0] += hyp_count;
            order[1] += reference.len().saturating_sub(n - 1);
            order[2] += matched;
        }
    }
    chrf_from_stats(&stats)
}

/// sacrebleu's `CHRF._compute_f_score` without eps smoothing.
fn chrf_from_stats(stats: &[[usize; 3]]) -> f64 {
    let (mut precision, mut recall, mut orders) = (0.0, 0.0, 0usize);
    for &[hyp, reference, matched] in stats {
        if hyp > 0 && reference > 0 {
            precision += matched as f64 / hyp as f64;
            recall += matched as f64 / reference as f64;
            orders += 1;
        }
    }
    if orders == 0 {
        return 0.0;
    }
    let (precision, recall) = (precision / orders as f64, recall / orders as f64);
    let factor = CHRF_BETA * CHRF_BETA;
    if precision + recall == 0.0 {
        return 0.0;
    }
    100.0 * (1.0 + factor) * precision * recall / (factor * precision + recall)
}

fn chrf_chars(line: &str) -> Vec<char> {
    line.to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Counts of the n-grams of `items`.
fn ngrams<T: Eq + Hash>(items: &[T], n: usize) -> HashMap<&[T], usize> {
    let mut counts = HashMap::new();
    if n > 0 && items.len() >= n {
        for window in items.windows(n) {
            *counts.entry(window).or_insert(0) += 1;
        }
    }
    counts
}

/// (matches clipped by the reference's counts, n-grams in the hypothesis).
fn clipped_matches<T: Eq + Hash>(
    hyp: &HashMap<&[T], usize>,
    reference: &HashMap<&[T], usize>,
) -> (usize, usize) {
    let matched = hyp
        .iter()
        .map(|(gram, &count)| count.min(reference.get(gram).copied().unwrap_or(0)))
        .sum();
    (matched, hyp.values().sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pairs of `tests/reference/translate_metrics.py`.
    const PAIRS: [(&str, &str); 8] = [
        (
            "saya mau makan nasi goreng.",
            "saya ingin makan nasi goreng.",
        ),
        ("Apa kabar kamu hari ini?", "apa kabar anda hari ini ?"),
        (
            "anak-anak bermain di halaman sekolah",
            "anak-anak sedang bermain di halaman sekolah",
        ),
        (
            "harga beras naik 1.000 rupiah, katanya.",
            "katanya harga beras naik 1.000 rupiah.",
        ),
        (
            "kami pergi ke pasar",
            "kami pergi ke pasar pagi tadi bersama ibu",
        ),
        ("Terima kasih banyak!", "terima kasih banyak !"),
        (
            "dia tidak tahu jalan pulang",
            "ia tidak mengetahui jalan ke rumah",
        ),
        (
            "buku itu ada di atas meja (merah)",
            "bukunya ada di atas meja merah",
        ),
    ];

    // Figures printed by tests/reference/translate_metrics.py (sacrebleu 2.6.0).
    #[test]
    fn matches_sacrebleu_on_the_reference_sample() {
        let hyps: Vec<&str> = PAIRS.iter().map(|p| p.0).collect();
        let refs: Vec<&str> = PAIRS.iter().map(|p| p.1).collect();
        let close = |a: f64, b: f64| (a - b).abs() < 0.01;
        let bleu = corpus_bleu(&hyps, &refs);
        assert!(close(bleu, 47.63), "BLEU {bleu}");
        let chrf = corpus_chrf(&hyps, &refs);
        assert!(close(chrf, 67.46), "chrF {chrf}");
        let smoothed = corpus_bleu(&hyps[6..7], &refs[6..7]);
        assert!(close(smoothed, 10.40), "BLEU (pair 7 alone) {smoothed}");
    }

    #[test]
    fn identical_text_scores_100_and_disjoint_text_0() {
        let text = ["saya mau makan nasi goreng di warung"];
        assert!((corpus_bleu(&text, &text) - 100.0).abs() < 1e-9);
        assert!((corpus_chrf(&text, &text) - 100.0).abs() < 1e-9);
        assert_eq!(corpus_bleu(&["xyz"], &["abc"]), 0.0);
        assert_eq!(corpus_chrf(&["xyz"], &["abc"]), 0.0);
        assert_eq!(corpus_bleu(&[""], &["abc"]), 0.0);
    }

    #[test]
    fn tokenizer_13a_splits_like_mteval() {
        assert_eq!(tokenize_13a("Harga: 1.000, ya."), "Harga : 1.000 , ya .");
        assert_eq!(
            tokenize_13a("anak-anak (dia) 5-6"),
            "anak-anak ( dia ) 5 - 6"
        );
        assert_eq!(tokenize_13a("a..b &amp; c"), "a . . b & c");
    }
}
