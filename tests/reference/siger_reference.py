#!/usr/bin/env python3
"""Independent numpy reference for Siger's model, written from the equations, not from the Rust.

It builds deterministic weights (scaled sines of `arange`), runs the model in float64 and writes
`fixtures/parity.safetensors` (weights, the `fixture.tokens` batch and the expected
`fixture.logits`) and `fixtures/parity-config.json`, and the same for a hybrid whose middle layer
is attention (`parity-hybrid.*`). The Rust test `tests/tests/parity.rs` loads the same weights
into `siger::Model` and must reproduce the logits within 1e-4.

Equations (Mamba, Gu & Dao 2023, Algorithm 2; Switch/DeepSeekMoE routing):
  layer:   h = x + out_proj(SSM(rmsnorm(x)));   on MoE layers  h = h + MoE(rmsnorm(h))
  SSM:     [u, z] = in_proj(x);  u = silu(causal_depthwise_conv(u) + bias)
           [dt, B, C] = x_proj(u);  delta = softplus(dt_proj(dt));  A = -exp(A_log)
           s_t = exp(delta_t A) * s_{t-1} + delta_t B_t u_t;   y_t = C_t . s_t + D u_t
           out = out_proj(y * silu(z))
  MoE:     p = softmax(router(x)); top-k of p; gates renormalised to sum 1
           out = sum_k gate_k expert_k(x) + sum shared(x);  expert(x) = down(silu(gate(x)) * up(x))
  MLA:     (DeepSeek-V2 eq. 9-19, no query compression) per head j:
           [qc_j, qr_j] = q_proj(x);  [c, kr] = kv_down(x);  c = rmsnorm(c)
           kc_j = k_up(c)_j;  v_j = v_up(c)_j;  rope on qr_j and kr (pairs i, i + d_R/2,
           angle pos * theta^(-2i/d_R))
           o_j = softmax_causal((qc_j kc_j^T + qr_j kr^T) / sqrt(d_h + d_R)) v_j
           out = out_proj([o_1 .. o_h])
  logits:  rmsnorm(h) @ embedding^T   (tied head)

Usage: siger_reference.py            write the fixtures
       siger_reference.py --check    recompute and compare with the committed fixtures
"""
import json
import sys
import zlib
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"

CONFIG = {
    "vocab_size": 64,
    "d_model": 16,
    "n_layers": 2,
    "d_state": 4,
    "d_conv": 4,
    "expand": 2,
    "dt_rank": "auto",
    "dt_min": 0.001,
    "dt_max": 0.1,
    "dt_init_floor": 1e-4,
    "norm_eps": 1e-5,
    "tie_embeddings": True,
    "init_std": 0.02,
    "moe": {
        "moe_every": 2,
        "routed_experts": 4,
        "experts_per_token": 2,
        "shared_experts": 1,
        "expert_hidden": 24,
        "aux_loss_weight": 0.01,
        "router_jitter": 0.0,
    },
}

HYBRID = {
    **CONFIG,
    "n_layers": 3,
    "attention": {
        "layers": [1],
        "heads": 2,
        "head_dim": 8,
        "kv_rank": 6,
        "rope_dim": 4,
        "rope_theta": 10000.0,
    },
}

# fixture name -> configuration
FIXTURE_CONFIGS = {"parity": CONFIG, "parity-hybrid": HYBRID}


def is_attention(c, i):
    return i in c.get("attention", {}).get("layers", [])


def wave(name, shape, scale, offset=0.0):
    """scale * sin(arange * 0.7 + phase) + offset, the phase fixed by the tensor's name."""
    phase = (zlib.crc32(name.encode()) % 10_000) / 1_000.0
    n = int(np.prod(shape))
    return (np.sin(np.arange(n) * 0.7 + phase) * scale + offset).reshape(shape)


def build_weights(c):
    d = c["d_model"]
    m = c["moe"]
    w = {"embedding.weight": wave("embedding.weight", (c["vocab_size"], d), 1.0)}
    for i in range(c["n_layers"]):
        p = f"layers.{i}."
        w[p + "norm.gamma"] = wave(p + "norm.gamma", (d,), 0.1, 1.0)
        if is_attention(c, i):
            attention_weights(w, p, c)
        else:
            ssm_weights(w, p, c)
        if m["moe_every"] and i % m["moe_every"] == m["moe_every"] - 1:
            f = p + "feed_forward."
            w[f + "norm.gamma"] = wave(f + "norm", (d,), 0.1, 1.0)
            w[f + "moe.router.weight"] = wave(f + "router", (d, m["routed_experts"]), 0.8)
            h = m["expert_hidden"]
            for kind, count in (("experts", m["routed_experts"]), ("shared_experts", m["shared_experts"])):
                for e in range(count):
                    q = f"{f}moe.{kind}.{e}."
                    w[q + "gate_proj.weight"] = wave(q + "g", (d, h), 0.3)
                    w[q + "up_proj.weight"] = wave(q + "u", (d, h), 0.3)
                    w[q + "down_proj.weight"] = wave(q + "dn", (h, d), 0.2)
    w["norm_f.gamma"] = wave("norm_f", (d,), 0.1, 1.0)
    return w


def ssm_weights(w, p, c):
    d, di, n, k = c["d_model"], c["d_model"] * c["expand"], c["d_state"], c["d_conv"]
    r = -(-d // 16)
    w[p + "mixer.in_proj.weight"] = wave(p + "in", (d, 2 * di), 0.3)
    w[p + "mixer.conv_weight"] = wave(p + "conv", (di, k), 0.4)
    w[p + "mixer.conv_bias"] = wave(p + "conv_b", (di,), 0.1)
    w[p + "mixer.x_proj.weight"] = wave(p + "x", (di, r + 2 * n), 0.3)
    w[p + "mixer.dt_proj.weight"] = wave(p + "dt", (r, di), 0.5)
    w[p + "mixer.dt_proj.bias"] = wave(p + "dt_b", (di,), 1.0, -3.0)
    w[p + "mixer.a_log"] = np.log(np.tile(np.arange(1, n + 1), (di, 1))) + wave(p + "a", (di, n), 0.1)
    w[p + "mixer.d"] = wave(p + "d", (di,), 0.2, 1.0)
    w[p + "mixer.out_proj.weight"] = wave(p + "out", (di, d), 0.2)


def attention_weights(w, p, c):
    a, d = c["attention"], c["d_model"]
    h, dh, kc, dr = a["heads"], a["head_dim"], a["kv_rank"], a["rope_dim"]
    w[p + "mixer.q_proj.weight"] = wave(p + "q", (d, h * (dh + dr)), 0.4)
    w[p + "mixer.kv_down.weight"] = wave(p + "kv", (d, kc + dr), 0.4)
    w[p + "mixer.kv_norm.gamma"] = wave(p + "kv_norm", (kc,), 0.1, 1.0)
    w[p + "mixer.k_up.weight"] = wave(p + "k_up", (kc, h * dh), 0.4)
    w[p + "mixer.v_up.weight"] = wave(p + "v_up", (kc, h * dh), 0.4)
    w[p + "mixer.out_proj.weight"] = wave(p + "out", (h * dh, d), 0.2)


def rmsnorm(x, gamma, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * gamma


def silu(x):
    return x / (1.0 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0.0, x)


def ssm(w, p, x, c):
    di, n, k = c["d_model"] * c["expand"], c["d_state"], c["d_conv"]
    r = -(-c["d_model"] // 16)
    b, l, _ = x.shape
    uz = x @ w[p + "in_proj.weight"]
    u, z = uz[..., :di], uz[..., di:]
    padded = np.concatenate([np.zeros((b, k - 1, di)), u], axis=1)
    conv = np.zeros_like(u) + w[p + "conv_bias"]
    for t in range(l):
        window = padded[:, t : t + k, :]  # [b, k, di]; the last row is token t
        conv[:, t, :] += np.einsum("bkd,dk->bd", window, w[p + "conv_weight"])
    u = silu(conv)
    x_dbl = u @ w[p + "x_proj.weight"]
    dt, B, C = x_dbl[..., :r], x_dbl[..., r : r + n], x_dbl[..., r + n :]
    delta = softplus(dt @ w[p + "dt_proj.weight"] + w[p + "dt_proj.bias"])
    A = -np.exp(w[p + "a_log"])
    s = np.zeros((b, di, n))
    ys = []
    for t in range(l):
        s = np.exp(delta[:, t, :, None] * A) * s + delta[:, t, :, None] * B[:, t, None, :] * u[:, t, :, None]
        ys.append(np.einsum("bdn,bn->bd", s, C[:, t]) + w[p + "d"] * u[:, t])
    y = np.stack(ys, axis=1)
    return (y * silu(z)) @ w[p + "out_proj.weight"]


def rope(x, positions, theta):
    """Turns each pair (x_i, x_{i + d/2}) of x [..., l, d] by angle position * theta^(-2i/d)."""
    half = x.shape[-1] // 2
    angle = positions[:, None] * theta ** (-2.0 * np.arange(half) / x.shape[-1])[None, :]
    cos, sin = np.cos(angle), np.sin(angle)
    x1, x2 = x[..., :half], x[..., half:]
    return np.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos], axis=-1)


def attention(w, p, x, c):
    a = c["attention"]
    h, dh, kc, dr, theta = a["heads"], a["head_dim"], a["kv_rank"], a["rope_dim"], a["rope_theta"]
    b, l, _ = x.shape
    positions = np.arange(l, dtype=np.float64)
    q = (x @ w[p + "q_proj.weight"]).reshape(b, l, h, dh + dr)
    kv = x @ w[p + "kv_down.weight"]
    latent = rmsnorm(kv[..., :kc], w[p + "kv_norm.gamma"], c["norm_eps"])
    key_rope = rope(kv[..., kc:], positions, theta)
    keys = (latent @ w[p + "k_up.weight"]).reshape(b, l, h, dh)
    values = (latent @ w[p + "v_up.weight"]).reshape(b, l, h, dh)
    future = np.triu(np.full((l, l), -np.inf), 1)
    heads = []
    for j in range(h):
        q_rope = rope(q[:, :, j, dh:], positions, theta)
        scores = q[:, :, j, :dh] @ keys[:, :, j].transpose(0, 2, 1)
        scores = (scores + q_rope @ key_rope.transpose(0, 2, 1)) / np.sqrt(dh + dr) + future
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        heads.append(probs @ values[:, :, j])
    return np.concatenate(heads, axis=-1) @ w[p + "out_proj.weight"]


def expert(w, q, x):
    return (silu(x @ w[q + "gate_proj.weight"]) * (x @ w[q + "up_proj.weight"])) @ w[q + "down_proj.weight"]


def moe(w, f, x, m):
    logits = x @ w[f + "router.weight"]
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape[:-1]):
        top = np.argsort(-probs[idx], kind="stable")[: m["experts_per_token"]]
        gates = probs[idx][top] / probs[idx][top].sum()
        for g, e in zip(gates, top):
            out[idx] += g * expert(w, f"{f}experts.{e}.", x[idx])
    for e in range(m["shared_experts"]):
        out += expert(w, f"{f}shared_experts.{e}.", x)
    return out


def forward(w, tokens, c):
    h = w["embedding.weight"][tokens]
    eps = c["norm_eps"]
    for i in range(c["n_layers"]):
        p = f"layers.{i}."
        mixer = attention if is_attention(c, i) else ssm
        h = h + mixer(w, p + "mixer.", rmsnorm(h, w[p + "norm.gamma"], eps), c)
        f = p + "feed_forward."
        if f + "norm.gamma" in w:
            h = h + moe(w, f + "moe.", rmsnorm(h, w[f + "norm.gamma"], eps), c["moe"])
    return rmsnorm(h, w["norm_f.gamma"], eps) @ w["embedding.weight"].T


def compute(config):
    weights = build_weights(config)
    tokens = (np.arange(2 * 13).reshape(2, 13) * 29 + 5) % config["vocab_size"]
    logits = forward(weights, tokens, config)
    tensors = {k: v.astype(np.float32) for k, v in weights.items()}
    tensors["fixture.tokens"] = tokens.astype(np.float32)
    tensors["fixture.logits"] = logits.astype(np.float32)
    return tensors


def check(name, config, tensors):
    committed = load_file(str(FIXTURES / f"{name}.safetensors"))
    assert committed.keys() == tensors.keys(), f"{name}: fixture tensors differ: rerun this script"
    worst = max(float(np.abs(committed[k] - tensors[k]).max()) for k in tensors)
    assert worst < 1e-5, f"{name}: committed fixture differs by {worst}: rerun this script"
    stored = json.loads((FIXTURES / f"{name}-config.json").read_text())
    assert stored == config, f"committed {name}-config.json differs: rerun this script"
    print(f"{name}: reference fixture reproduced (max difference {worst:.2e})")


def main():
    for name, config in FIXTURE_CONFIGS.items():
        tensors = compute(config)
        if "--check" in sys.argv:
            check(name, config, tensors)
            continue
        FIXTURES.mkdir(exist_ok=True)
        save_file(tensors, str(FIXTURES / f"{name}.safetensors"))
        (FIXTURES / f"{name}-config.json").write_text(json.dumps(config, indent=2) + "\n")
        print(f"{name}: wrote {len(tensors)} tensors; logits {tensors['fixture.logits'].shape}")


if __name__ == "__main__":
    main()
