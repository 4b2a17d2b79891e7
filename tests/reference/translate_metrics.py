"""Reference figures for crate/src/translate/metrics.rs (test `matches_sacrebleu_on_the_reference_sample`).

Prints sacrebleu's corpus BLEU (defaults: 4-gram, exp smoothing, 13a tokenizer) and chrF
(defaults: char order 6, word order 0, beta 2) on lower-cased text for a fixed sample of
Indonesian hypothesis/reference pairs. The Rust test holds the same pairs and these figures.

    python3 -m venv ~/.cache/siger/venv-metrics
    ~/.cache/siger/venv-metrics/bin/pip install sacrebleu   # measured with sacrebleu 2.6.0
    ~/.cache/siger/venv-metrics/bin/python tests/reference/translate_metrics.py
"""

import sacrebleu

PAIRS = [
    ("saya mau makan nasi goreng.", "saya ingin makan nasi goreng."),
    ("Apa kabar kamu hari ini?", "apa kabar anda hari ini ?"),
    ("anak-anak bermain di halaman sekolah", "anak-anak sedang bermain di halaman sekolah"),
    ("harga beras naik 1.000 rupiah, katanya.", "katanya harga beras naik 1.000 rupiah."),
    ("kami pergi ke pasar", "kami pergi ke pasar pagi tadi bersama ibu"),
    ("Terima kasih banyak!", "terima kasih banyak !"),
    ("dia tidak tahu jalan pulang", "ia tidak mengetahui jalan ke rumah"),
    ("buku itu ada di atas meja (merah)", "bukunya ada di atas meja merah"),
]


def main() -> None:
    hyps = [h.lower() for h, _ in PAIRS]
    refs = [r.lower() for _, r in PAIRS]
    bleu = sacrebleu.corpus_bleu(hyps, [refs])
    chrf = sacrebleu.corpus_chrf(hyps, [refs])
    print(f"sacrebleu {sacrebleu.__version__}")
    print(f"BLEU {bleu.score:.4f}")
    print(f"chrF {chrf.score:.4f}")
    # One pair with no matching bigrams or longer: exercises the "exp" smoothing path.
    last = sacrebleu.corpus_bleu(hyps[6:7], [refs[6:7]])
    print(f"BLEU (pair 7 alone) {last.score:.4f}")


if __name__ == "__main__":
    main()
