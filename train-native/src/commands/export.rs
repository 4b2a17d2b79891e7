//! `export`: writes the bundle the browser loads, f32 or block-quantized.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use siger::io::checkpoint::Manifest;
use siger::quant::{QuantOptions, QuantScheme};

use super::common::load_checkpoint;
use crate::cli::QuantBlocks;

/// Flags of `export`.
#[derive(Args)]
pub struct ExportArgs {
    /// Checkpoint folder (or run folder).
    #[arg(long)]
    model: PathBuf,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Weight format: f32, or symmetric block quantization (int4 keeps the router and the
    /// embedding / LM head at int8).
    #[arg(long, value_enum, default_value_t = Quant::None)]
    quant: Quant,
    #[command(flatten)]
    blocks: QuantBlocks,
}

/// Export weight formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Quant {
    /// f32 weights.
    None,
    /// 8-bit block quantization.
    Int8,
    /// 4-bit block quantization.
    Int4,
}

impl Quant {
    /// The core's scheme; `None` for f32.
    fn scheme(self) -> Option<QuantScheme> {
        match self {
            Quant::None => None,
            Quant::Int8 => Some(QuantScheme::Int8),
            Quant::Int4 => Some(QuantScheme::Int4),
        }
    }
}

impl ExportArgs {
    /// Writes the bundle (on the CPU) and says what it holds.
    pub fn run(self) -> Result<(), String> {
        type Cpu = burn::backend::NdArray<f32>;
        let ckpt = load_checkpoint::<Cpu>(&self.model, &Default::default())?;
        let scheme = self.quant.scheme();
        let options = scheme.map(|scheme| QuantOptions {
            scheme,
            block: self.blocks.block,
            scales: self.blocks.scales.dtype(),
        });
        let manifest = ckpt
            .export(&self.out, options)
            .map_err(|e| format!("{}: {e}", self.model.display()))?;
        let bytes: u64 = manifest.files.values().map(|f| f.bytes).sum();
        let format = scheme.map_or("f32", |s| s.name());
        println!(
            "{format} bundle written to {} ({:.2} MB)",
            self.out.display(),
            bytes as f64 / 1e6
        );
        print_quantized_counts(&manifest);
        Ok(())
    }
}

/// How many tensors each scheme quantized, when any was.
fn print_quantized_counts(manifest: &Manifest) {
    let mut counts = std::collections::BTreeMap::new();
    for entry in manifest.quantization.values() {
        *counts.entry(entry.scheme.as_str()).or_insert(0) += 1;
    }
    if !counts.is_empty() {
        let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        println!("quantized tensors: {} (the rest f32)", summary.join(", "));
    }
}
