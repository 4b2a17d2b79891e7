#!/usr/bin/env python3
"""Siger's model in PyTorch (CPU or CUDA), for comparing training throughput with `siger-train`.

It mirrors the Rust crate module for module, under the same parameter names
(crate/src/io/names.rs), so a Siger safetensors file loads into it after transposing the Linear
weights (burn stores them [d_in, d_out]; nn.Linear keeps [d_out, d_in]):

  crate/src/ssm.rs + scan.rs  -> SsmMixer: in_proj to x and z; causal depthwise conv (kernel
                                 d_conv, left padding); SiLU; x_proj to dt, B, C; dt_proj +
                                 softplus; A = -exp(A_log); a sequential selective scan (a Python
                                 loop over time, as the Rust default `ScanMode::Sequential`);
                                 D skip; y * silu(z); out_proj.
  crate/src/moe.rs            -> Moe: softmax router, top-k, gates renormalised to 1, routed
                                 SwiGLU experts run only on their tokens (index_select /
                                 index_add_, as `ExpertDispatch::Gather`), shared experts on every
                                 token, Switch load-balancing loss.
  crate/src/block.rs          -> Layer: x + mixer(rmsnorm(x)); on MoE layers
                                 (i % moe_every == moe_every - 1) also h + moe(rmsnorm(h)).
  crate/src/model.rs          -> SigerModel: embedding, layers, final RMSNorm, logits = h @ E^T
                                 (tied head) or an untied lm_head.

The training step mirrors train-native/src/train/ (the loss in src/loss.rs): masked cross-entropy (every position scored
here) + aux_loss_weight * the load-balancing loss averaged over MoE layers; global-norm clipping
at 1.0; AdamW with betas (0.9, 0.95), eps 1e-8, weight decay 0.1. Initialisation follows the
Rust scales but not its random streams.

Usage:
  torch_siger.py --config models/configs/small.json --batch 8 --seq-len 128 --steps 5 --warmup 2 --threads 2
      train on random tokens; prints one JSON line with tokens_per_s
  torch_siger.py --config models/configs/base.json --device cuda --scan chunked --dtype bf16 --compile ...
      the same on a GPU with the reference's best scan (pkg-scripts/bench-train-gpu); adds the
      parameter count and peak GPU memory
  torch_siger.py --config models/configs/small.json --check-shapes [--manifest run/model/manifest.json]
      builds the model, runs a forward pass and checks the parameter count against the Rust count
  torch_siger.py --check-parity
      loads tests/reference/fixtures/parity.safetensors and reproduces its logits (1e-4)
"""
import argparse
import json
import math
import struct
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent

# ModelConfig / MoeConfig defaults (crate/src/config.rs), for keys a config file leaves out.
DEFAULTS = {
    "vocab_size": 8192, "d_model": 256, "n_layers": 8, "d_state": 16, "d_conv": 4, "expand": 2,
    "dt_rank": "auto", "dt_min": 0.001, "dt_max": 0.1, "dt_init_floor": 1e-4, "norm_eps": 1e-5,
    "tie_embeddings": True, "init_std": 0.02,
}
MOE_DEFAULTS = {
    "moe_every": 2, "routed_experts": 8, "experts_per_token": 2, "shared_experts": 1,
    "expert_hidden": 256, "aux_loss_weight": 0.01, "router_jitter": 0.0,
}


def load_config(path):
    """A config.json as written by Siger, with the Rust defaults filled in."""
    raw = json.loads(Path(path).read_text())
    config = {**DEFAULTS, **{k: v for k, v in raw.items() if k != "moe"}}
    config["moe"] = {**MOE_DEFAULTS, **raw.get("moe", {})}
    return config


def d_inner(c):
    return c["expand"] * c["d_model"]


def dt_rank(c):
    return -(-c["d_model"] // 16) if c["dt_rank"] == "auto" else int(c["dt_rank"])


def is_moe_layer(c, index):
    every = c["moe"]["moe_every"]
    return every > 0 and index % every == every - 1


def linear(d_in, d_out, bias=False, scale=1.0):
    """nn.Linear with PyTorch's default init (= burn's default), optionally scaled."""
    layer = nn.Linear(d_in, d_out, bias=bias)
    if scale != 1.0:
        with torch.no_grad():
            layer.weight.mul_(scale)
    return layer


class RmsNorm(nn.Module):
    """burn's RmsNorm: x / sqrt(mean(x^2) + eps) * gamma."""

    def __init__(self, dim, eps):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.gamma


def selective_scan(x, delta, a, b, c, d):
    """Sequential scan (scan.rs `scan_reference`): h_t = exp(Δ_t A) h_{t-1} + Δ_t B_t x_t,
    y_t = C_t · h_t + D x_t. Shapes: x, delta [b, l, d]; a [d, n]; b, c [b, l, n]; d [d]."""
    batch, length, channels = x.shape
    a_bar = torch.exp(delta.unsqueeze(-1) * a)  # [b, l, d, n]
    bx = delta.unsqueeze(-1) * b.unsqueeze(2) * x.unsqueeze(-1)  # [b, l, d, n]
    h = x.new_zeros(batch, channels, a.shape[1])
    states = []
    for t in range(length):
        h = a_bar[:, t] * h + bx[:, t]
        states.append(h)
    hs = torch.stack(states, dim=1)  # [b, l, d, n]
    return (hs * c.unsqueeze(2)).sum(-1) + x * d


def selective_scan_chunked(x, delta, a, b, c, d, chunk=64):
    """The same scan as scan.rs `scan_chunked`: chunks of `chunk` tokens, each a Hillis-Steele
    prefix scan over the maps h -> A_bar h + B_bar x (log2(chunk) rounds of whole-chunk ops,
    no Python loop over time), the state carried between chunks. For GPUs and torch.compile."""
    batch, length, channels = x.shape
    h = x.new_zeros(batch, channels, a.shape[1])
    ys = []
    for start in range(0, length, chunk):
        part = slice(start, start + chunk)
        dl = delta[:, part].unsqueeze(-1)  # [b, t, d, 1]
        decay = torch.exp(dl * a)  # [b, t, d, n]
        acc = dl * b[:, part].unsqueeze(2) * x[:, part].unsqueeze(-1)
        acc = torch.cat([decay[:, :1] * h.unsqueeze(1) + acc[:, :1], acc[:, 1:]], dim=1)
        offset, t = 1, acc.shape[1]
        while offset < t:
            # Position i combines with position i - offset (identity maps before the start).
            prev_acc = F.pad(acc[:, :-offset], (0, 0, 0, 0, offset, 0))
            prev_decay = F.pad(decay[:, :-offset], (0, 0, 0, 0, offset, 0), value=1.0)
            acc = decay * prev_acc + acc
            decay = decay * prev_decay
            offset *= 2
        h = acc[:, -1]
        ys.append((acc * c[:, part].unsqueeze(2)).sum(-1))
    return torch.cat(ys, dim=1) + x * d


SCANS = {"sequential": selective_scan, "chunked": selective_scan_chunked}


class SsmMixer(nn.Module):
    """crate/src/ssm.rs `SsmMixer` with Mamba's initialisation."""

    def __init__(self, c):
        super().__init__()
        self.scan = SCANS[c.get("scan", "sequential")]
        di, n, r, k = d_inner(c), c["d_state"], dt_rank(c), c["d_conv"]
        self.d_inner, self.d_state, self.dt_rank, self.d_conv = di, n, r, k
        self.in_proj = linear(c["d_model"], 2 * di)
        bound = 1.0 / math.sqrt(k)
        self.conv_weight = nn.Parameter(torch.empty(di, k).uniform_(-bound, bound))
        self.conv_bias = nn.Parameter(torch.empty(di).uniform_(-bound, bound))
        self.x_proj = linear(di, r + 2 * n)
        self.dt_proj = nn.Linear(r, di, bias=True)
        with torch.no_grad():
            self.dt_proj.weight.uniform_(-r ** -0.5, r ** -0.5)
            self.dt_proj.bias.copy_(dt_bias_init(c, di))
        self.a_log = nn.Parameter(torch.log(torch.arange(1, n + 1, dtype=torch.float32)).repeat(di, 1))
        self.d = nn.Parameter(torch.ones(di))
        self.out_proj = linear(di, c["d_model"], scale=(2 * c["n_layers"]) ** -0.5)

    def forward(self, u):
        """[b, l, d_model] -> [b, l, d_model], from a zero state."""
        x, z = self.in_proj(u).split(self.d_inner, dim=-1)
        x = F.silu(self.causal_conv(x))
        dt, b, c = self.x_proj(x).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))
        y = self.scan(x, delta, -torch.exp(self.a_log), b, c, self.d)
        return self.out_proj(y * F.silu(z))

    def causal_conv(self, x):
        """Depthwise conv over time; column d_conv - 1 of the kernel multiplies the current token."""
        padded = F.pad(x.transpose(1, 2), (self.d_conv - 1, 0))  # [b, d, l + k - 1]
        out = F.conv1d(padded, self.conv_weight.unsqueeze(1), self.conv_bias, groups=self.d_inner)
        return out.transpose(1, 2)


def dt_bias_init(c, size):
    """Δ0 = exp(U(ln dt_min, ln dt_max)) floored, stored as softplus^-1(Δ0)."""
    lo, hi = math.log(c["dt_min"]), math.log(c["dt_max"])
    dt = torch.exp(torch.empty(size).uniform_(lo, hi)).clamp_min(c["dt_init_floor"])
    return dt + torch.log(-torch.expm1(-dt))


class Expert(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x))."""

    def __init__(self, c):
        super().__init__()
        d, h = c["d_model"], c["moe"]["expert_hidden"]
        self.gate_proj = linear(d, h)
        self.up_proj = linear(d, h)
        self.down_proj = linear(h, d, scale=(2 * c["n_layers"]) ** -0.5)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Moe(nn.Module):
    """crate/src/moe.rs `Moe` with `ExpertDispatch::Gather`."""

    def __init__(self, c):
        super().__init__()
        m = c["moe"]
        self.router = linear(c["d_model"], m["routed_experts"])
        nn.init.normal_(self.router.weight, std=c["init_std"])
        self.experts = nn.ModuleList(Expert(c) for _ in range(m["routed_experts"]))
        self.shared_experts = nn.ModuleList(Expert(c) for _ in range(m["shared_experts"]))
        self.k = m["experts_per_token"]
        self.jitter = m["router_jitter"]

    def forward(self, x):
        """x [N, d_model] -> (output [N, d_model], load-balancing loss, tokens per expert [E])."""
        if self.training and self.jitter > 0:
            x_route = x * torch.empty_like(x).uniform_(1 - self.jitter, 1 + self.jitter)
        else:
            x_route = x
        probs = torch.softmax(self.router(x_route), dim=-1)
        top = probs.detach().topk(self.k, dim=-1).indices  # [N, k]
        chosen = probs.gather(1, top)
        gates = chosen / chosen.sum(-1, keepdim=True)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            rows, slot = (top == e).nonzero(as_tuple=True)
            if rows.numel() == 0:
                continue
            y = expert(x.index_select(0, rows)) * gates[rows, slot].unsqueeze(1)
            out.index_add_(0, rows, y.to(out.dtype))
        for expert in self.shared_experts:
            out = out + expert(x)
        load = torch.bincount(top.flatten(), minlength=len(self.experts)).to(x.dtype)
        return out, self.balancing_loss(probs, load, top.numel()), load

    def balancing_loss(self, probs, load, choices):
        """Switch eq. 4: E * sum_e f_e P_e; gradients through P only."""
        return len(self.experts) * (load / choices * probs.mean(0)).sum()


class FeedForward(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = RmsNorm(c["d_model"], c["norm_eps"])
        self.moe = Moe(c)


class Layer(nn.Module):
    """crate/src/block.rs `Layer`."""

    def __init__(self, c, index):
        super().__init__()
        self.norm = RmsNorm(c["d_model"], c["norm_eps"])
        self.mixer = SsmMixer(c)
        self.feed_forward = FeedForward(c) if is_moe_layer(c, index) else None

    def forward(self, x):
        """[b, l, d] -> ([b, l, d], aux loss or None)."""
        x = x + self.mixer(self.norm(x))
        if self.feed_forward is None:
            return x, None
        b, l, d = x.shape
        out, aux, _ = self.feed_forward.moe(self.feed_forward.norm(x).reshape(b * l, d))
        return x + out.reshape(b, l, d), aux


class SigerModel(nn.Module):
    """crate/src/model.rs `Model`."""

    def __init__(self, c):
        super().__init__()
        self.config = c
        self.embedding = nn.Embedding(c["vocab_size"], c["d_model"])
        nn.init.normal_(self.embedding.weight, std=c["init_std"])
        self.layers = nn.ModuleList(Layer(c, i) for i in range(c["n_layers"]))
        self.norm_f = RmsNorm(c["d_model"], c["norm_eps"])
        self.lm_head = None if c["tie_embeddings"] else linear(c["d_model"], c["vocab_size"])

    def forward(self, tokens):
        """tokens [b, l] -> (logits [b, l, vocab], aux loss averaged over MoE layers)."""
        h = self.embedding(tokens)
        aux = []
        for layer in self.layers:
            h, layer_aux = layer(h)
            if layer_aux is not None:
                aux.append(layer_aux)
        h = self.norm_f(h)
        logits = h @ self.embedding.weight.T if self.lm_head is None else self.lm_head(h)
        aux_loss = torch.stack(aux).mean() if aux else h.new_zeros(())
        return logits, aux_loss


def training_loss(model, batch, config):
    """batch [b, l + 1] -> cross-entropy over every position + weighted aux loss."""
    logits, aux = model(batch[:, :-1])
    ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
    return ce + config["moe"]["aux_loss_weight"] * aux


def train_benchmark(config_path, batch, seq_len, steps, warmup_steps, threads, seed=0,
                    device="cpu", scan="sequential", dtype="f32", compile_model=False):
    """Tokens per second of AdamW training steps on random tokens, timed over `steps` steps
    after `warmup_steps` untimed ones (forward + backward + clipping + optimizer step).
    On CUDA, `dtype` bf16 runs the forward pass under autocast (f32 master weights and optimizer
    state), and the peak of allocated GPU memory is returned too."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    config = dict(load_config(config_path), scan=scan)
    model = SigerModel(config).train().to(device)
    parameters = sum(p.numel() for p in model.parameters())
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), eps=1e-8,
                              weight_decay=0.1)
    step_model = torch.compile(model) if compile_model else model
    autocast = torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16,
                              enabled=dtype == "bf16")
    gen = torch.Generator().manual_seed(seed)
    cuda = device.startswith("cuda")
    elapsed = 0.0
    for step in range(warmup_steps + steps):
        tokens = torch.randint(config["vocab_size"], (batch, seq_len + 1), generator=gen).to(device)
        if cuda:
            torch.cuda.synchronize()
        started = time.perf_counter()
        optim.zero_grad(set_to_none=True)
        with autocast:
            loss = training_loss(step_model, tokens, config)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        if not math.isfinite(loss.item()):  # .item() waits for the step
            raise RuntimeError(f"loss became {loss.item()} at step {step + 1}")
        if step >= warmup_steps:
            elapsed += time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated() if cuda else None
    return batch * seq_len * steps / elapsed, peak, parameters


def rust_parameter_count(c):
    """The Rust model's parameter total (io/checkpoint/precheck.rs `parameter_counts`), from the config."""
    d, di, n, k, r, v = c["d_model"], d_inner(c), c["d_state"], c["d_conv"], dt_rank(c), c["vocab_size"]
    m = c["moe"]
    mixer = d * 2 * di + di * k + di + di * (r + 2 * n) + r * di + di + di * n + di + di * d
    expert = 3 * d * m["expert_hidden"]
    moe = d + d * m["routed_experts"] + (m["routed_experts"] + m["shared_experts"]) * expert
    moe_layers = sum(is_moe_layer(c, i) for i in range(c["n_layers"]))
    head = 0 if c["tie_embeddings"] else d * v
    return v * d + c["n_layers"] * (d + mixer) + moe_layers * moe + d + head


def check_shapes(config_path, manifest=None):
    config = load_config(config_path)
    torch.manual_seed(0)
    model = SigerModel(config).eval()
    tokens = torch.randint(config["vocab_size"], (2, 8))
    with torch.no_grad():
        logits, aux = model(tokens)
    assert logits.shape == (2, 8, config["vocab_size"]), logits.shape
    assert torch.isfinite(logits).all() and torch.isfinite(aux)
    torch_count = sum(p.numel() for p in model.parameters())
    report = {"torch_parameters": torch_count, "rust_formula_parameters": rust_parameter_count(config),
              "logits_shape": list(logits.shape), "aux_loss": round(aux.item(), 4)}
    if manifest:
        report["rust_manifest_parameters"] = json.loads(Path(manifest).read_text())["parameters"]["total"]
    print(json.dumps(report))
    counts = {v for k, v in report.items() if k.endswith("_parameters")}
    if len(counts) != 1:
        sys.exit("parameter counts differ")


def read_safetensors(path):
    """A minimal F32 safetensors reader (8-byte header length, JSON header, raw data)."""
    raw = Path(path).read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    data = raw[8 + size :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        start, end = info["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(info["shape"])
    return tensors


def load_siger_weights(model, tensors):
    """Copies Siger-named tensors into the model, transposing Linear weights."""
    linear_weights = {f"{name}.weight" for name, mod in model.named_modules() if isinstance(mod, nn.Linear)}
    params = dict(model.named_parameters())
    assert set(params) == set(tensors), set(params) ^ set(tensors)
    with torch.no_grad():
        for name, value in tensors.items():
            params[name].copy_(value.T if name in linear_weights else value)


def check_parity():
    """Reproduces the numpy reference's logits (tests/reference/fixtures) with this model."""
    fixtures = HERE / "fixtures"
    tensors = read_safetensors(fixtures / "parity.safetensors")
    tokens = tensors.pop("fixture.tokens").long()
    expected = tensors.pop("fixture.logits")
    model = SigerModel(load_config(fixtures / "parity-config.json")).eval()
    load_siger_weights(model, tensors)
    with torch.no_grad():
        logits, _ = model(tokens)
    worst = (logits - expected).abs().max().item()
    print(json.dumps({"parity_max_abs_diff": worst}))
    if worst > 1e-4:
        sys.exit(f"logits differ from the reference by {worst}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", default=str(HERE.parent.parent / "models/configs/small.json"))
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU benchmark")
    p.add_argument("--scan", choices=sorted(SCANS), default="sequential",
                   help="sequential (a loop over time) or chunked (prefix scans, for GPUs)")
    p.add_argument("--dtype", choices=["f32", "bf16"], default="f32",
                   help="bf16: autocast forward with f32 master weights")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--check-shapes", action="store_true", help="build, run one forward, count parameters")
    p.add_argument("--manifest", help="with --check-shapes: a Siger manifest.json to compare counts with")
    p.add_argument("--check-parity", action="store_true", help="reproduce the numpy reference's logits")
    args = p.parse_args()
    if args.check_shapes:
        return check_shapes(args.config, args.manifest)
    if args.check_parity:
        return check_parity()
    rate, peak, parameters = train_benchmark(
        args.config, args.batch, args.seq_len, args.steps, args.warmup, args.threads, args.seed,
        device=args.device, scan=args.scan, dtype=args.dtype, compile_model=args.compile)
    print(json.dumps({"tokens_per_s": rate, "batch": args.batch, "seq_len": args.seq_len,
                      "threads": args.threads, "device": args.device, "scan": args.scan,
                      "dtype": args.dtype, "compile": args.compile, "parameters": parameters,
                      "peak_memory_bytes": peak, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
