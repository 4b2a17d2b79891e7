#!/usr/bin/env python3
"""Writes models/siger-demo/README.md, the demo model's card, from the files of its training run.

Usage: demo-card.py RUN_DIR MODEL_DIR STEPS CHAT_STEPS SAMPLES_FILE
(called by pkg-scripts/train-demo; SAMPLES_FILE holds "prompt<TAB>reply" records separated by NUL;
MODEL_DIR/eval-gen1.json holds the first-generation model's figures on the same sets)
"""
import json
import os
import sys
from pathlib import Path

LICENCES = {
    "id-wikipedia-passages.txt": "Contains material from Wikipedia (Indonesian), CC BY-SA 4.0, "
    "as collected in the IDK-MRC training split",
    "id-wikipedia-sentences.txt": "Contains material from Wikipedia (Indonesian), CC BY-SA 4.0, "
    "via the Leipzig Corpora Collection (ind_wikipedia_2021_10K)",
    "id-news-kumparan.txt": "News sentences, MIT licence, © 2025 kumparan.com (PyPI nlp-id)",
    "id-reviews-news-indonlu.txt": "Reviews and news sentences from IndoNLU (SmSA, CASA, HoASA, "
    "POSP, NERP training splits), Apache-2.0",
    "id-ud-csui.txt": "UD Indonesian-CSUI training split, CC BY-SA 4.0",
    "id-nusax-senti.txt": "NusaX sentiment (Indonesian), CC BY-SA 4.0, Winata et al. 2023",
    "id-legislation.txt": "Indonesian laws and regulations: public domain (UU 28/2014 Pasal 42 "
    "huruf b), from mblonyox/data-peraturan and mashanz/peraturan-perundang-undangan",
    "en-gutenberg.txt": "Project Gutenberg books #3261, 972, 9198, 16215, 14263, 14881: public "
    "domain in the USA",
}


def last_metrics(run):
    return json.loads((run / "metrics.jsonl").read_text().strip().splitlines()[-1])


def bpb(table, name, missing="(not measured)"):
    return f"{table[name]['bits_per_byte']:.3f}" if name in table else missing


def eval_rows(shipped, f32, old):
    return "\n".join(
        f"| {name} | {figures['bytes']:,} | {bpb(old, name, '—')} | {bpb(f32, name, '—')} | "
        f"**{figures['bits_per_byte']:.3f}** |"
        for name, figures in shipped.items()
    )


def mix_rows(mix):
    return "\n".join(
        f"| `{s['file']}` | {s['share']:g} | {s['train_bytes'] / 1e6:.2f} MB | "
        f"{s['heldout_bytes'] / 1e3:.0f} KB | {LICENCES[s['file']]} |"
        for s in mix["sources"]
    )


def quant_rows(quant):
    base = quant["f32"]["perplexity"]
    return "\n".join(
        f"| {name} | {q['bytes'] / 1e6:.2f} MB | {q['perplexity']:.2f} "
        f"({100 * (q['perplexity'] / base - 1):+.2f}%) | {q['top1_agreement']:.4f} | "
        f"{q['max_abs_logit_diff']:.3f} |"
        for name, q in ((n, quant[n]) for n in ("f32", "int8", "int4"))
    )


def main():
    run, model, steps, chat_steps, samples = sys.argv[1:6]
    run, model = Path(run), Path(model)
    config = json.loads((model / "config.json").read_text())
    manifest = json.loads((model / "manifest.json").read_text())
    params = manifest["parameters"]
    evals = json.loads((model / "eval.json").read_text())
    f32_path = run / "eval-f32.json"
    evals_f32 = json.loads(f32_path.read_text()) if f32_path.exists() else {}
    gen1 = json.loads((model / "eval-gen1.json").read_text())
    quant = json.loads((model / "quant-report.json").read_text())
    mix = json.loads((run / "mix.json").read_text())
    wall = json.loads((run / "wall.json").read_text())
    pre, chat = last_metrics(run / "pretrain"), last_metrics(run / "chat")
    moe = config["moe"]
    shape = (
        f"{config['n_layers']} layers, d_model {config['d_model']}, d_state {config['d_state']}, "
        f"vocab {config['vocab_size']}, MoE on every {moe['moe_every']}nd layer: "
        f"{moe['routed_experts']} routed experts (top-{moe['experts_per_token']}) + "
        f"{moe['shared_experts']} shared, hidden {moe['expert_hidden']}"
    )
    batch, seq = wall.get("batch_size", 8), wall.get("seq_len", 128)
    tokens = int(steps) * batch * seq
    where = (
        f"{os.cpu_count()} CPU cores, burn's ndarray backend, two replicas"
        if wall.get("backend", "cpu") == "cpu"
        else f"burn's {wall['backend']} backend, one device"
    )
    records = [r for r in Path(samples).read_text().split("\0") if r.strip()]
    sample_md = "\n".join(
        f"**User:** {p}\n\n**Siger:** {r.strip()}\n"
        for p, r in (rec.split("\t", 1) for rec in records)
    )
    size = sum(f["bytes"] for f in manifest["files"].values()) / 1e6
    int8_manifest = json.loads((model / "int8" / "manifest.json").read_text())
    int8_size = sum(f["bytes"] for f in int8_manifest["files"].values()) / 1e6
    minutes = (wall["pretrain_seconds"] + wall["chat_seconds"]) / 60
    dialogs = "models/corpus held-out dialogs"
    nusax = evals.get("nusax-mt-valid indonesian", {}).get("bits_per_byte")
    nusax_text = f"{nusax:.3f}" if nusax is not None else "(not measured: NusaX absent)"
    card = f"""# siger-demo (second generation)

The demo model the chat page runs: a small selective state-space (Mamba-like) language model with
sparse mixture-of-experts layers, pretrained from scratch on {mix['train_bytes'] / 1e6:.1f} MB
of licensed Indonesian (and some English) text, then tuned to chat on Siger's own dialogs, by
`pkg-scripts/train-demo`. It is small and saw {tokens / 1e6:.1f} M tokens; the samples at the end
show how it writes. It knows few facts and makes many up. **Its answers are often wrong; never present them as facts.** The chat page labels
every model reply that way, and grounded answers (with a source) never come from the model.

| | |
|---|---|
| config | `config.json` (preset `demo`): {shape} |
| parameters | {params['total']:,} total, {params['active_per_token']:,} active per token |
| files | this folder is the int4 bundle the browser loads ({size:.2f} MB); `int8/` is the int8 bundle ({int8_size:.2f} MB); the f32 checkpoint ({quant['f32']['bytes'] / 1e6:.1f} MB) is not committed: `pkg-scripts/train-demo` leaves it in `target/siger-demo-run/f32/` |
| pretraining | {steps} steps of {batch} × {seq} tokens ({tokens:,} tokens) on the mix below, AdamW (β 0.9/0.95, weight decay 0.1), lr 3e-3 after 100 warmup steps, cosine to 3e-4, clip 1.0, seed 1: {wall['pretrain_seconds'] / 60:.1f} min, final loss {pre['loss']:.3f} |
| chat tuning | {chat_steps} steps of {batch} × {seq} tokens on `models/corpus` (assistant tokens only; every 20th example held out), lr 1e-3 after 20 warmup steps: {wall['chat_seconds'] / 60:.1f} min, final loss {chat['loss']:.3f} |
| machine | {where}; {minutes:.0f} minutes of training in all |
| bits per byte, NusaX-MT valid (Indonesian), int4 bundle | **{nusax_text}** (first generation {gen1.get('nusax-mt-valid indonesian', {}).get('bits_per_byte', float('nan')):.3f}; the goal was ≤ 1.5, not reached) |

![pretraining loss](loss-pretrain.svg)
![chat-tuning loss](loss-chat.svg)

## Evaluation: bits per byte (lower is better)

Total negative log-likelihood in bits ÷ UTF-8 bytes of the text, so models with different
tokenizers compare (`siger-train eval --json`, windows of 256 tokens; `eval.json`, from
`pkg-scripts/demo-eval` on this folder's int4 bundle; the f32 column from the same script on
the run's f32 checkpoint). The first generation (preset `small`, 1 M tokens of `models/corpus`
only, f32) was measured with the same commands (`eval-gen1.json`).

| set | bytes | first generation | this model, f32 | this model, int4 (shipped) |
|---|---|---|---|---|
{eval_rows(evals, evals_f32, gen1)}

## Training data

`pkg-scripts/build-mix` builds the pretraining mix from `../shared/data/corpus/` (the files, their
sources and licences are listed in its `MANIFEST.tsv`): every {mix['holdout_every']}th document of each
source is held out first (at most {mix['holdout_max_bytes'] // 1000} KB per source), lines under
{mix['min_chars']} characters or mostly non-letters are dropped, lines whose normalised text was
already kept are dropped (across sources), lines containing a sentence of an evaluation split
are dropped ({sum(s.get('lines_dropped_evaluation', 0) for s in mix['sources'])} lines matched
{mix.get('excluded_evaluation_sentences', 0)} sentences of {', '.join(mix.get('excluded_evaluation_files', [])) or 'no file'}:
NusaX-MT's sentences come from SmSA, which the corpus also holds), and `share` keeps a seeded fraction of a source's
documents. Nothing from the corpus is stored in this repository; a user rebuilds the mix by
placing the corpus at `../shared/data/corpus` and running `pkg-scripts/build-mix` (or all of
`pkg-scripts/train-demo`).

| file | share | in the mix | held out | source and licence |
|---|---|---|---|---|
{mix_rows(mix)}

Chat tuning uses `models/corpus/` (dialogs and instructions written for Siger, Apache-2.0).
This model is trained on CC BY-SA material; the attribution above goes with it.

## Quantized bundles

`siger-train export --quant int8|int4` writes the bundles the browser loads (blocks of 32, f16
scales; int4 keeps the embedding / LM head, router and the SSM's input-side projections at
int8). Against the f32 weights on the held-out dialogs ({quant['positions']:,} positions;
`quant-report.json`, from `siger-train quant-report --model target/siger-demo-run/f32 --data
models/corpus --holdout-every 20 --seq-len 128`):

| format | bundle | perplexity (vs f32) | top-1 agreement with f32 | max abs logit diff |
|---|---|---|---|---|
{quant_rows(quant)}

## Sample generations (temperature 0.7, top-p 0.9, seed 1), as they came out

{sample_md}

## What it gets wrong

Read from the samples of the run that produced the shipped weights (re-read them after
retraining; this paragraph is not generated):
- **It does not answer the question.** Replies open with one of the tutor dialogs'
  acknowledgements ("Betul.", "Bagus.", "Tepat,", "Coba.") and go on about something else.
- **Sentences are Indonesian-shaped, not meaningful**: common words in plausible order, clauses
  that do not connect, and invented words ("hantuu", "lucung", "mengompa").
- **No fact is reliable.** Names, dates and places are made up; "Kapan Indonesia merdeka?" does
  not get 1945.
- **English is worse than Indonesian** ({bpb(evals, 'nusax-mt-valid english')} against
  {bpb(evals, 'nusax-mt-valid indonesian')} bits per byte on the same NusaX-MT sentences):
  misspelled and made-up words, no grammar beyond a few words.
- **It reads the held-out dialogs worse than the first generation**
  ({bpb(gen1, dialogs)} then, {bpb(evals, dialogs)} now): the first generation trained only on
  those dialogs, 1 M tokens of them; this one sees them for {chat_steps} tuning steps after
  pretraining on general text. On every other set it is better.
"""
    (model / "README.md").write_text(card)


if __name__ == "__main__":
    main()
