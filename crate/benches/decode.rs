//! Prints greedy decode speed (tokens/s) of a model's f32, int8 and int4 weights, natively on
//! the CPU backend and — built with `--features wgpu` — on wgpu, in one run, with each
//! quantized format's ratio to f32 on the same backend. A benchmark that prints figures, not a
//! test. The int8 and int4 models are built exactly as `export --quant` writes them (bundle
//! bytes in memory, loaded by the same loader). Beside the speed: how many leading greedy ids
//! equal the f32 run's on the same backend, and the CPU run's of the same format (a wrong GPU
//! kernel shows up there).
//!
//! Run: `pkg-scripts/bench-quant` (an f32 checkpoint: `SIGER_BENCH_MODEL`, default
//! `target/siger-demo-run/f32`, which `pkg-scripts/train-demo` leaves; without it, the committed
//! int8 and int4 bundles of `models/siger-demo` as they are; tokens per run:
//! `SIGER_BENCH_TOKENS`, default 64; formats: `SIGER_BENCH_FORMATS`, default `f32,int8,int4`;
//! the "÷ f32" column is relative to the first).

use std::path::PathBuf;
use std::time::Instant;

use burn::tensor::{Int, Tensor, TensorData, backend::Backend};
use siger::io::checkpoint::{self, CheckpointFiles};
use siger::quant::{QuantOptions, QuantScheme};
use siger::{ExpertDispatch, Model};

const FORMATS: [(&str, Option<QuantScheme>); 3] = [
    ("f32", None),
    ("int8", Some(QuantScheme::Int8)),
    ("int4", Some(QuantScheme::Int4)),
];

/// Decodes `tokens` greedily after a short prompt; returns (prefill seconds, tokens/s, ids).
fn decode<B: Backend>(model: &Model<B>, tokens: usize, device: &B::Device) -> (f64, f64, Vec<i64>) {
    let prompt: Vec<i64> = (0..16).map(|i| 10 + i * 37).collect();
    let prompt = Tensor::<B, 2, Int>::from_data(TensorData::new(prompt, [1, 16]), device);
    let mut state = model.zero_state(1, device);
    let started = Instant::now();
    let mut logits = model.prefill(prompt, &mut state);
    let mut next = logits.clone().argmax(1).into_data();
    let prefill = started.elapsed().as_secs_f64();
    let mut ids = Vec::with_capacity(tokens);
    let started = Instant::now();
    for _ in 0..tokens {
        ids.push(
            next.clone()
                .convert::<i64>()
                .into_vec::<i64>()
                .expect("ids")[0],
        );
        let token = Tensor::<B, 2, Int>::from_data(next, device).reshape([1]);
        logits = model.step(token, &mut state);
        next = logits.clone().argmax(1).into_data();
    }
    (
        prefill,
        tokens as f64 / started.elapsed().as_secs_f64(),
        ids,
    )
}

/// `k/n`: the first `k` of `n` greedy ids are the same (after a first difference, greedy
/// decoding follows another path, so later positions say nothing).
fn same_prefix(a: &[i64], b: &[i64]) -> String {
    let k = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    format!("{k}/{}", a.len())
}

/// Runs every format on backend `B`; returns each format's greedy ids. `cpu_ids` (the CPU
/// run's) are compared with this backend's, format by format.
fn run<B: Backend>(
    backend: &str,
    files: &[(&str, CheckpointFiles)],
    dispatch: ExpertDispatch,
    tokens: usize,
    device: &B::Device,
    cpu_ids: &[Vec<i64>],
) -> Vec<Vec<i64>> {
    let mut base = None;
    let mut all_ids = Vec::new();
    for (name, files) in files {
        let model = checkpoint::load_files::<B>(files, device)
            .expect("bundle loads")
            .model
            .with_dispatch(dispatch);
        decode(&model, 4, device); // warm-up: kernels compiled, caches filled
        let (prefill, speed, ids) = decode(&model, tokens, device);
        let ratio = speed / *base.get_or_insert(speed);
        let f32_ids = all_ids.first().unwrap_or(&ids);
        let vs_cpu = cpu_ids
            .get(all_ids.len())
            .map_or("-".to_string(), |c| same_prefix(&ids, c));
        println!(
            "{backend:<22} {name:<5} {speed:>10.1} {:>12.1} {ratio:>8.2} {:>12} {vs_cpu:>10}",
            prefill * 1e3,
            same_prefix(&ids, f32_ids),
        );
        all_ids.push(ids);
    }
    all_ids
}

/// A path relative to the workspace root when it is not found from here.
fn in_workspace(path: &str) -> PathBuf {
    let path = PathBuf::from(path);
    if path.is_relative() && !path.exists() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(path)
    } else {
        path
    }
}

/// The bundles to run: each wanted format exported from the f32 checkpoint at `dir`.
fn exported(dir: &std::path::Path, wanted: &str) -> Vec<(&'static str, CheckpointFiles)> {
    type Cpu = burn::backend::NdArray<f32>;
    let ckpt = checkpoint::load::<Cpu>(dir, &Default::default())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    FORMATS
        .iter()
        .filter(|(name, _)| wanted.split(',').any(|w| w.trim() == *name))
        .map(|(name, scheme)| {
            let options = scheme.map(QuantOptions::new);
            let files =
                checkpoint::checkpoint_files(&ckpt.config, &ckpt.model, &ckpt.tokenizer, options)
                    .expect("bundle builds");
            (*name, files)
        })
        .collect()
}

/// The committed demo bundles (int8, int4), read as they are.
fn committed(wanted: &str) -> Vec<(&'static str, CheckpointFiles)> {
    let demo = in_workspace("models/siger-demo");
    [("int8", demo.join("int8")), ("int4", demo)]
        .into_iter()
        .filter(|(name, _)| wanted.split(',').any(|w| w.trim() == *name))
        .map(|(name, dir)| {
            let files =
                checkpoint::read_files(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            (name, files)
        })
        .collect()
}

fn main() {
    let tokens: usize = std::env::var("SIGER_BENCH_TOKENS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(64);
    type Cpu = burn::backend::NdArray<f32>;
    let wanted = std::env::var("SIGER_BENCH_FORMATS").unwrap_or_else(|_| "f32,int8,int4".into());
    let asked = std::env::var("SIGER_BENCH_MODEL").ok();
    let dir = in_workspace(asked.as_deref().unwrap_or("target/siger-demo-run/f32"));
    let from_f32 = asked.is_some() || dir.join("manifest.json").exists();
    let source = if from_f32 {
        dir.display().to_string()
    } else {
        "the committed bundles of models/siger-demo".to_string()
    };
    let files = if from_f32 {
        exported(&dir, &wanted)
    } else {
        println!(
            "no f32 checkpoint at {} (pkg-scripts/train-demo leaves it there): the committed \
             int8 and int4 bundles, the first format is the reference",
            dir.display()
        );
        committed(&wanted)
    };
    println!(
        "greedy decode of {tokens} tokens after a 16-token prompt, batch 1, {source} ({})",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<22} {:<5} {:>10} {:>12} {:>8} {:>12} {:>10}",
        "backend", "fmt", "tokens/s", "prefill ms", "÷ f32", "same as f32", "as cpu"
    );
    let cpu_ids = run::<Cpu>(
        "cpu (ndarray)",
        &files,
        ExpertDispatch::Gather,
        tokens,
        &Default::default(),
        &[],
    );
    #[cfg(feature = "wgpu")]
    run::<burn::backend::Wgpu>(
        "wgpu",
        &files,
        ExpertDispatch::Dense,
        tokens,
        &Default::default(),
        &cpu_ids,
    );
    #[cfg(not(feature = "wgpu"))]
    let _ = cpu_ids;
    #[cfg(not(feature = "wgpu"))]
    println!("(wgpu: build with --features wgpu, as pkg-scripts/bench-quant does)");
}
