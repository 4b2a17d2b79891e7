//! `quant-report`: how far int8 and int4 bundles of a model are from its f32 weights, on
//! held-out text: perplexity, top-1 next-token agreement with f32, the largest logit
//! difference, and the bundle size. The quantized models are exactly what `export --quant`
//! writes: their bundles are built in memory and loaded through the same loader.

use std::path::PathBuf;

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use serde::Serialize;
use siger::Model;
use siger::checkpoint::{self, CheckpointFiles};
use siger::quant::{QuantOptions, QuantScheme, ScaleDtype};

use crate::backend::Job;
use crate::commands::load_checkpoint;
use crate::data::{self, OnError};
use crate::dataset::{LossMask, windows};
use crate::train::{batch_tensors, masked_nll_sum};

/// The command's arguments.
pub struct QuantReport {
    /// Float checkpoint folder.
    pub model: PathBuf,
    /// Held-out data.
    pub data: Vec<PathBuf>,
    /// Tokens per window.
    pub seq_len: usize,
    /// Windows per forward pass.
    pub batch_size: usize,
    /// Keep only every N-th example (0: all).
    pub holdout_every: usize,
    /// Values per block.
    pub block: usize,
    /// Scale storage.
    pub scales: ScaleDtype,
    /// Print JSON.
    pub json: bool,
    /// Malformed rows.
    pub on_error: OnError,
    /// Expert evaluation strategy for this backend.
    pub dispatch: siger::ExpertDispatch,
}

/// One format's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    /// Perplexity on the data.
    pub perplexity: f64,
    /// Fraction of scored positions whose most likely next token equals f32's.
    pub top1_agreement: f64,
    /// Largest |logit − f32 logit| over scored positions.
    pub max_abs_logit_diff: f64,
    /// Bytes of the bundle (all files).
    pub bytes: u64,
}

struct Variant<B: Backend> {
    name: &'static str,
    model: Model<B>,
    bytes: u64,
    nll: f64,
    agree: f64,
    max_diff: f64,
}

fn bundle_bytes(files: &CheckpointFiles) -> u64 {
    [
        &files.manifest,
        &files.config,
        &files.weights,
        &files.tokenizer,
    ]
    .iter()
    .map(|f| f.len() as u64)
    .sum()
}

impl Job for QuantReport {
    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let device = &devices[0];
        let ckpt = load_checkpoint::<B::InnerBackend>(&self.model, device)?;
        if !ckpt.manifest.quantization.is_empty() {
            return Err(format!(
                "{} is already a quantized bundle; quant-report compares against the f32 checkpoint it was exported from",
                self.model.display()
            ));
        }
        let examples = data::load(&self.data, self.on_error).map_err(|e| e.to_string())?;
        let examples = match self.holdout_every {
            0 => examples,
            every => data::split_holdout(examples, every).1,
        };
        let data = windows(&examples, &ckpt.tokenizer, self.seq_len, LossMask::All);
        let positions = data.scored_tokens();
        if positions == 0 {
            return Err("the data gives no token to score".into());
        }
        let mut variants = Vec::new();
        for (name, scheme) in [
            ("f32", None),
            ("int8", Some(QuantScheme::Int8)),
            ("int4", Some(QuantScheme::Int4)),
        ] {
            let options = scheme.map(|scheme| QuantOptions {
                scheme,
                block: self.block,
                scales: self.scales,
            });
            let files =
                checkpoint::checkpoint_files(&ckpt.config, &ckpt.model, &ckpt.tokenizer, options)
                    .map_err(|e| e.to_string())?;
            let loaded = checkpoint::load_files::<B::InnerBackend>(&files, device)
                .map_err(|e| format!("{name} bundle: {e}"))?;
            variants.push(Variant {
                name,
                model: loaded.model.with_dispatch(self.dispatch),
                bytes: bundle_bytes(&files),
                nll: 0.0,
                agree: 0.0,
                max_diff: 0.0,
            });
        }
        let all: Vec<usize> = (0..data.len()).collect();
        for batch in all.chunks(self.batch_size.max(1)) {
            let (inputs, targets, mask) = batch_tensors::<B::InnerBackend>(&data, batch, device);
            let reference = variants[0].model.forward(inputs.clone()).logits;
            let reference_top = reference.clone().argmax(2);
            for (i, v) in variants.iter_mut().enumerate() {
                // variants[0] is f32: its logits are the reference, computed once.
                let logits = match i {
                    0 => reference.clone(),
                    _ => v.model.forward(inputs.clone()).logits,
                };
                v.nll += scalar(masked_nll_sum(
                    logits.clone(),
                    targets.clone(),
                    mask.clone(),
                ));
                let same = logits
                    .clone()
                    .argmax(2)
                    .equal(reference_top.clone())
                    .float();
                v.agree += scalar((same.squeeze_dim::<2>(2) * mask.clone()).sum());
                let diff = (logits - reference.clone())
                    .abs()
                    .max_dim(2)
                    .squeeze_dim::<2>(2);
                v.max_diff = v.max_diff.max(scalar((diff * mask.clone()).max()));
            }
        }
        let figures: Vec<(&str, Figures)> = variants
            .iter()
            .map(|v| {
                let figures = Figures {
                    perplexity: (v.nll / positions as f64).exp(),
                    top1_agreement: v.agree / positions as f64,
                    max_abs_logit_diff: v.max_diff,
                    bytes: v.bytes,
                };
                (v.name, figures)
            })
            .collect();
        if self.json {
            let mut object: serde_json::Map<String, serde_json::Value> = figures
                .iter()
                .map(|(n, f)| (n.to_string(), serde_json::to_value(f).expect("figures")))
                .collect();
            object.insert("positions".into(), positions.into());
            println!("{}", serde_json::Value::Object(object));
        } else {
            print_table(&figures, positions);
        }
        Ok(())
    }
}

fn scalar<B: Backend>(t: Tensor<B, 1>) -> f64 {
    t.into_scalar().elem()
}

fn print_table(figures: &[(&str, Figures)], positions: usize) {
    let base = figures[0].1.perplexity;
    println!(
        "{:<6} {:>10} {:>11} {:>8} {:>13} {:>13}",
        "format", "bundle", "perplexity", "vs f32", "top-1 agree", "max |Δlogit|"
    );
    for (name, f) in figures {
        println!(
            "{:<6} {:>7.2} MB {:>11.3} {:>+7.2}% {:>13.4} {:>13.4}",
            name,
            f.bytes as f64 / 1e6,
            f.perplexity,
            100.0 * (f.perplexity / base - 1.0),
            f.top1_agreement,
            f.max_abs_logit_diff
        );
    }
    println!("{positions} scored positions");
    if positions < 1000 {
        println!(
            "note: fewer than 1000 positions; give more held-out text for a stable agreement figure"
        );
    }
    let goal = |name: &str, max_ppl: f64, min_agree: f64| {
        if let Some((_, f)) = figures.iter().find(|(n, _)| *n == name) {
            let ppl_ok = f.perplexity <= base * (1.0 + max_ppl);
            let agree_ok = f.top1_agreement >= min_agree;
            println!(
                "{name}: perplexity within +{:.0}% {}; top-1 agreement ≥ {min_agree} {}",
                max_ppl * 100.0,
                if ppl_ok { "met" } else { "NOT met" },
                if agree_ok { "met" } else { "NOT met" },
            );
        }
    };
    goal("int8", 0.01, 0.95);
    goal("int4", 0.05, 0.85);
}
