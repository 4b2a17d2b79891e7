#!/usr/bin/env python3
"""Writes models/siger-demo/README.md, the demo model's card, from the files of its training run.

Usage: demo-card.py RUN_DIR MODEL_DIR STEPS WALL_SECONDS SAMPLES_FILE
(called by pkg-scripts/train-demo; SAMPLES_FILE holds "prompt<TAB>reply" records separated by NUL)
"""
import json
import os
import sys
from pathlib import Path


def main():
    run, model, steps, wall, samples = sys.argv[1:6]
    run, model = Path(run), Path(model)
    config = json.loads((model / "config.json").read_text())
    params = json.loads((model / "manifest.json").read_text())["parameters"]
    heldout = json.loads((model / "heldout-eval.json").read_text())
    last = json.loads((run / "metrics.jsonl").read_text().strip().splitlines()[-1])
    moe = config["moe"]
    shape = (
        f"{config['n_layers']} layers, d_model {config['d_model']}, d_state {config['d_state']}, "
        f"vocab {config['vocab_size']}, MoE on every {moe['moe_every']}nd layer: "
        f"{moe['routed_experts']} routed experts (top-{moe['experts_per_token']}) + "
        f"{moe['shared_experts']} shared, hidden {moe['expert_hidden']}"
    )
    quant = json.loads((model / "quant-report.json").read_text())
    base = quant["f32"]["perplexity"]
    quant_rows = "\n".join(
        f"| {name} | {q['bytes'] / 1e6:.2f} MB | {q['perplexity']:.2f} ({100 * (q['perplexity'] / base - 1):+.2f}%) "
        f"| {q['top1_agreement']:.4f} | {q['max_abs_logit_diff']:.3f} |"
        for name, q in ((n, quant[n]) for n in ("f32", "int8", "int4"))
    )
    records = [r for r in Path(samples).read_text().split("\0") if r.strip()]
    sample_md = "\n".join(
        f"**User:** {p}\n\n**Siger:** {r.strip()}\n" for p, r in (rec.split("\t", 1) for rec in records)
    )
    card = f"""# siger-demo

The demo model the chat page runs: a small selective state-space (Mamba-like) language model with
sparse mixture-of-experts layers, trained from scratch on the CPU on Siger's own corpus by
`pkg-scripts/train-demo`. It is tiny and trained on about 0.5 MB of text: it has picked up the
chat format and the flavour of classroom conversations, not reliable knowledge. Its answers are
often wrong; never present them as facts.

| | |
|---|---|
| config | `config.json` (preset `small`): {shape} |
| parameters | {params['total']:,} total, {params['active_per_token']:,} active per token |
| size | {sum(f['bytes'] for f in json.loads((model / 'manifest.json').read_text())['files'].values()) / 1e6:.1f} MB (f32) |
| data | `models/corpus/` (dialogs and instruction rows written for Siger); every 20th example held out |
| command | `pkg-scripts/train-demo`: {steps} steps of 8 × 128 tokens, AdamW (β 0.9/0.95, weight decay 0.1), lr 3e-3 after 60 warmup steps, cosine to 3e-4, clip 1.0, seed 1 |
| machine | {os.cpu_count()} CPU cores, burn's ndarray backend |
| training time | {int(float(wall))} s ({float(wall) / 60:.1f} min) |
| final train loss | {last['loss']:.4f} (step {last['step']}) |
| held-out perplexity | {heldout['perplexity']:.2f} over {heldout['tokens']:,} tokens |

The gap between the train loss and the held-out perplexity is the honest picture: the model
has largely memorised its small corpus.

![training loss](loss.svg)

## Quantized bundles

`siger-train export --quant int8|int4` writes the bundles the browser loads (blocks of 32, f16
scales; int4 keeps the embedding / LM head, router and the SSM's input-side projections at
int8). Against the f32 weights on the held-out slice ({quant['positions']:,} positions;
`quant-report.json`, from `siger-train quant-report --model models/siger-demo --data
models/corpus --holdout-every 20 --seq-len 128`):

| format | bundle | perplexity (vs f32) | top-1 agreement with f32 | max abs logit diff |
|---|---|---|---|---|
{quant_rows}

## Sample generations (temperature 0.7, top-p 0.9, seed 1), as they came out

{sample_md}"""
    (model / "README.md").write_text(card)


if __name__ == "__main__":
    main()
