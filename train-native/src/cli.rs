//! Argument groups and value types that several commands share. Each command's own flags are
//! in its file under `commands/`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::data::OnError;

/// Block quantization settings, shared by `export` and `quant-report`.
#[derive(Args, Clone, Copy, Debug)]
pub struct QuantBlocks {
    /// Values per quantization block (one scale each); rows it does not divide use one block.
    #[arg(long, default_value_t = 32, value_parser = positive)]
    pub block: usize,
    /// How block scales are stored.
    #[arg(long, value_enum, default_value_t = ScalesArg::F16)]
    pub scales: ScalesArg,
}

/// Scale storage.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScalesArg {
    /// 2 bytes per block.
    F16,
    /// 4 bytes per block.
    F32,
}

impl ScalesArg {
    /// The core's type.
    pub fn dtype(self) -> siger::quant::ScaleDtype {
        match self {
            ScalesArg::F16 => siger::quant::ScaleDtype::F16,
            ScalesArg::F32 => siger::quant::ScaleDtype::F32,
        }
    }
}

/// What the translator may draw on, shared by `translate` and `eval-translate`.
#[derive(Args, Clone, Debug)]
pub struct TranslationSources {
    /// Extra lexicons: the project's TSV/JSONL format or the meizano JSON (detected).
    #[arg(long)]
    pub lexicon: Vec<PathBuf>,
    /// Target-side language models (`siger-train translation-lm`) that choose among the senses
    /// lookup found; their vocabulary is also the word list sound rules must land on.
    #[arg(long)]
    pub language_model: Vec<PathBuf>,
    /// Let this model (a checkpoint folder) guess words no lookup found; its words are marked
    /// as model guesses (and counted as `invented`). Off by default: unknown words stay unknown.
    #[arg(long)]
    pub guess_with: Option<PathBuf>,
}

/// Training hyper-parameters shared by `pretrain` and `finetune`.
#[derive(Args, Clone, Debug)]
pub struct TrainArgs {
    /// Tokens per training window.
    #[arg(long, default_value_t = 128, value_parser = positive)]
    pub seq_len: usize,
    /// Windows per micro-batch (split across --devices).
    #[arg(long, default_value_t = 8, value_parser = positive)]
    pub batch_size: usize,
    /// Micro-batches per optimizer step.
    #[arg(long, default_value_t = 1, value_parser = positive)]
    pub grad_accum: usize,
    /// Optimizer steps.
    #[arg(long, default_value_t = 1000)]
    pub steps: u64,
    /// Peak learning rate.
    #[arg(long, default_value_t = 2e-3)]
    pub lr: f64,
    /// Final learning rate, as a fraction of the peak.
    #[arg(long, default_value_t = 0.1)]
    pub min_lr_ratio: f64,
    /// Linear warmup steps.
    #[arg(long, default_value_t = 50)]
    pub warmup: u64,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 0.1)]
    pub weight_decay: f64,
    /// Clip the global gradient norm (0 = off).
    #[arg(long, default_value_t = 1.0)]
    pub grad_clip: f64,
    /// Checkpoint every N steps (and at the end).
    #[arg(long, default_value_t = 200)]
    pub checkpoint_every: u64,
    /// Checkpoints to keep.
    #[arg(long, default_value_t = 2)]
    pub keep_checkpoints: usize,
    /// Seed for initialisation, data order and router jitter.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute backend.
    #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
    pub backend: BackendKind,
    /// Devices for data-parallel training, by index (e.g. `0,1,2,3` for four GPUs). On the CPU
    /// backend each entry is another replica on the CPU.
    #[arg(long, value_delimiter = ',', default_value = "0")]
    pub devices: Vec<usize>,
    /// How the selective scan runs: `auto` = sequential on the CPU, chunked on GPUs.
    #[arg(long, value_enum, default_value_t = ScanArg::Auto)]
    pub scan: ScanArg,
    /// How routed experts run: `auto` = gather on the CPU, dense on GPUs.
    #[arg(long, value_enum, default_value_t = DispatchArg::Auto)]
    pub moe_dispatch: DispatchArg,
    /// What to do with malformed rows.
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    pub on_error: OnError,
    /// No progress bar (one line per logged step instead).
    #[arg(long)]
    pub quiet: bool,
}

/// Parses a count that must be at least 1.
pub fn positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Compute backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// burn's ndarray backend: pure Rust, runs everywhere.
    Cpu,
    /// wgpu: Vulkan, Metal or DX12 (build with `--features wgpu`).
    Wgpu,
    /// CUDA (build with `--features cuda`; needs an NVIDIA driver at run time).
    Cuda,
}

/// Scan implementations (see `siger::ScanMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScanArg {
    /// Sequential on the CPU backend, chunked (64 tokens) on wgpu and CUDA.
    Auto,
    /// One step per token: fastest on CPUs, where it runs as one host autodiff operation
    /// (`siger::model::scan_autodiff`); elsewhere a few tensor ops per token.
    Sequential,
    /// Parallel prefix scan in chunks of 64 tokens: fewer, larger GPU kernels.
    Chunked,
}

impl ScanArg {
    /// The mode for a backend.
    pub fn mode(self, backend: BackendKind) -> siger::ScanMode {
        match (self, backend) {
            (ScanArg::Sequential, _) | (ScanArg::Auto, BackendKind::Cpu) => {
                siger::ScanMode::Sequential
            }
            _ => siger::ScanMode::Chunked(siger::model::ssm::SCAN_CHUNK),
        }
    }
}

/// Expert evaluation strategies (see `siger::ExpertDispatch`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DispatchArg {
    /// Gather on the CPU backend, dense on wgpu and CUDA.
    Auto,
    /// Each expert runs only on its tokens (reads the routing back to the host).
    Gather,
    /// Every expert runs on every token, weighted by the gates: static shapes, no host read.
    Dense,
}

impl DispatchArg {
    /// The strategy for a backend.
    pub fn mode(self, backend: BackendKind) -> siger::ExpertDispatch {
        match (self, backend) {
            (DispatchArg::Gather, _) | (DispatchArg::Auto, BackendKind::Cpu) => {
                siger::ExpertDispatch::Gather
            }
            _ => siger::ExpertDispatch::Dense,
        }
    }
}
