//! `quant-report`: how far int8 and int4 bundles of a model are from its f32 weights, on
//! held-out text: perplexity, top-1 next-token agreement with f32, the largest logit
//! difference, and the bundle size. The quantized models are exactly what `export --quant`
//! writes: their bundles are built in memory and loaded through the same loader.

use std::path::PathBuf;

use burn::tensor::Tensor;
use burn::tensor::backend::{AutodiffBackend, Backend};
use clap::Args;
use serde::Serialize;
use siger::io::checkpoint::{self, Checkpoint, CheckpointFiles};
use siger::quant::{QuantOptions, QuantScheme};
use siger::{ExpertDispatch, Model};

use super::common::{held_out_examples, load_checkpoint};
use crate::backend::Job;
use crate::cli::{BackendKind, DispatchArg, QuantBlocks, positive};
use crate::data::OnError;
use crate::dataset::{LossMask, windows};
use crate::evaluation::{Nll, scalar, score};

/// Flags of `quant-report`.
#[derive(Args)]
pub struct QuantReportArgs {
    /// The f32 checkpoint folder (or run folder).
    #[arg(long)]
    model: PathBuf,
    /// Held-out text, JSONL or TSV files or folders.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Tokens per evaluation window.
    #[arg(long, default_value_t = 256, value_parser = positive)]
    seq_len: usize,
    /// Windows per forward pass.
    #[arg(long, default_value_t = 4, value_parser = positive)]
    batch_size: usize,
    /// Evaluate only every N-th example: the slice `pretrain --holdout-every N` left out.
    #[arg(long, default_value_t = 0)]
    holdout_every: usize,
    #[command(flatten)]
    blocks: QuantBlocks,
    /// Print JSON: `f32`, `int8`, `int4`, each with `perplexity`, `top1_agreement`,
    /// `max_abs_logit_diff`, `bytes`; and `positions`.
    #[arg(long)]
    json: bool,
    /// What to do with malformed rows.
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    on_error: OnError,
    /// Compute backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
    backend: BackendKind,
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

/// One weight format's model, loaded from its in-memory bundle.
struct Variant<B: Backend> {
    name: &'static str,
    model: Model<B>,
    bytes: u64,
}

/// How one format's logits compare with f32's, summed over the batches so far.
#[derive(Debug, Clone, Copy, Default)]
struct Agreement {
    /// Scored positions whose most likely next token equals f32's.
    same_top1: f64,
    /// Largest |logit − f32 logit| over scored positions.
    max_diff: f64,
}

impl Job for QuantReportArgs {
    fn backend(&self) -> BackendKind {
        self.backend
    }

    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let device = &devices[0];
        let ckpt = load_checkpoint::<B::InnerBackend>(&self.model, device)?;
        if !ckpt.manifest.quantization.is_empty() {
            return Err(format!(
                "{} is already a quantized bundle; quant-report compares against the f32 checkpoint it was exported from",
                self.model.display()
            ));
        }
        let examples = held_out_examples(&self.data, self.on_error, self.holdout_every, None)?;
        let data = windows(&examples, &ckpt.tokenizer, self.seq_len, LossMask::All)
            .map_err(|e| e.to_string())?;
        let positions = data.scored_tokens();
        if positions == 0 {
            return Err("the data gives no token to score".into());
        }
        let variants = self.variants(&ckpt, device)?;
        let models: Vec<&Model<B::InnerBackend>> = variants.iter().map(|v| &v.model).collect();
        let mut agreement = vec![Agreement::default(); variants.len()];
        let nll = score(&models, &data, self.batch_size, device, |logits, mask| {
            compare(&mut agreement, logits, mask)
        });
        let figures: Vec<(&str, Figures)> = variants
            .iter()
            .zip(nll.iter().zip(&agreement))
            .map(|(v, (nll, agreement))| (v.name, figures(v, nll, agreement, positions)))
            .collect();
        if self.json {
            print_json(&figures, positions);
        } else {
            print_table(&figures, positions);
        }
        Ok(())
    }
}

impl QuantReportArgs {
    /// The f32, int8 and int4 models of the checkpoint (f32 first: the reference), each loaded
    /// from the bundle `export` would write.
    fn variants<B: Backend>(
        &self,
        ckpt: &Checkpoint<B>,
        device: &B::Device,
    ) -> Result<Vec<Variant<B>>, String> {
        let dispatch: ExpertDispatch = DispatchArg::Auto.mode(self.backend);
        let mut variants = Vec::new();
        for (name, scheme) in [
            ("f32", None),
            ("int8", Some(QuantScheme::Int8)),
            ("int4", Some(QuantScheme::Int4)),
        ] {
            let options = scheme.map(|scheme| QuantOptions {
                scheme,
                block: self.blocks.block,
                scales: self.blocks.scales.dtype(),
            });
            let files =
                checkpoint::checkpoint_files(&ckpt.config, &ckpt.model, &ckpt.tokenizer, options)
                    .map_err(|e| e.to_string())?;
            let loaded = checkpoint::load_files::<B>(&files, device)
                .map_err(|e| format!("{name} bundle: {e}"))?;
            variants.push(Variant {
                name,
                model: loaded.model.with_dispatch(dispatch),
                bytes: bundle_bytes(&files),
            });
        }
        Ok(variants)
    }
}

/// Adds one batch to each format's agreement with the first (f32) logits.
///
/// # Shapes
/// each of `logits` `[b, l, vocab]`, `mask` `[b, l]`.
fn compare<B: Backend>(agreement: &mut [Agreement], logits: &[Tensor<B, 3>], mask: &Tensor<B, 2>) {
    let reference = &logits[0];
    let reference_top = reference.clone().argmax(2);
    for (a, logits) in agreement.iter_mut().zip(logits) {
        let same = logits
            .clone()
            .argmax(2)
            .equal(reference_top.clone())
            .float();
        a.same_top1 += scalar((same.squeeze_dim::<2>(2) * mask.clone()).sum());
        let diff = (logits.clone() - reference.clone())
            .abs()
            .max_dim(2)
            .squeeze_dim::<2>(2);
        a.max_diff = a.max_diff.max(scalar((diff * mask.clone()).max()));
    }
}

fn figures<B: Backend>(
    variant: &Variant<B>,
    nll: &Nll,
    agreement: &Agreement,
    positions: usize,
) -> Figures {
    Figures {
        perplexity: nll.perplexity(),
        top1_agreement: agreement.same_top1 / positions as f64,
        max_abs_logit_diff: agreement.max_diff,
        bytes: variant.bytes,
    }
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

fn print_json(figures: &[(&str, Figures)], positions: usize) {
    let mut object: serde_json::Map<String, serde_json::Value> = figures
        .iter()
        .map(|(n, f)| (n.to_string(), serde_json::to_value(f).expect("figures")))
        .collect();
    object.insert("positions".into(), positions.into());
    println!("{}", serde_json::Value::Object(object));
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
