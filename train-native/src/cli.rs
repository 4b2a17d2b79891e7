//! Command-line arguments of `siger-train`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::data::OnError;

/// Train, evaluate and export Siger models natively, with the same model code the browser runs.
#[derive(Parser)]
#[command(name = "siger-train", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Train a byte-level BPE tokenizer with Siger's special tokens on text, dialog or JSONL files.
    Tokenizer {
        /// Files or folders to read (.txt, .md, .jsonl, .tsv; folders recursively).
        #[arg(long, required = true, num_args = 1..)]
        input: Vec<PathBuf>,
        /// Number of ids, special tokens included.
        #[arg(long, default_value_t = 8192)]
        vocab_size: usize,
        /// Folder to write tokenizer.json into.
        #[arg(long)]
        out: PathBuf,
        /// What to do with malformed rows.
        #[arg(long, value_enum, default_value_t = OnError::Fail)]
        on_error: OnError,
    },
    /// Train a model from scratch (every token counts in the loss).
    Pretrain {
        /// A preset (`tiny`, `small`, `base`) or a config.json path.
        #[arg(long, default_value = "small")]
        config: String,
        /// Training data: files or folders.
        #[arg(long, required = true, num_args = 1..)]
        data: Vec<PathBuf>,
        /// A tokenizer.json (or a folder holding one); without it one is trained on --data.
        #[arg(long)]
        tokenizer: Option<PathBuf>,
        /// Run folder: checkpoints/, model/, metrics.jsonl, loss.svg.
        #[arg(long)]
        out: PathBuf,
        /// Hold out every N-th example (0 = none) for `eval --holdout-every N`.
        #[arg(long, default_value_t = 0)]
        holdout_every: usize,
        /// Continue a run from its latest checkpoint (a run folder or a checkpoint folder). The
        /// saved hyper-parameters are used (training flags given with --resume are ignored).
        #[arg(long)]
        resume: Option<PathBuf>,
        #[command(flatten)]
        train: TrainArgs,
    },
    /// Supervised chat tuning of a trained model: the loss counts only assistant tokens.
    Finetune {
        /// The checkpoint folder to start from (a model/ folder or a run folder).
        #[arg(long)]
        from: PathBuf,
        /// Chat or instruction JSONL, or dialog files.
        #[arg(long, required = true, num_args = 1..)]
        data: Vec<PathBuf>,
        /// Run folder to write.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        train: TrainArgs,
    },
    /// Perplexity and speed of a model on text, JSONL or TSV data.
    Eval {
        /// Checkpoint folder (or run folder).
        #[arg(long)]
        model: PathBuf,
        /// Files or folders.
        #[arg(long, required = true, num_args = 1..)]
        data: Vec<PathBuf>,
        /// Tokens per evaluation window.
        #[arg(long, default_value_t = 256, value_parser = positive)]
        seq_len: usize,
        /// Windows per forward pass.
        #[arg(long, default_value_t = 8, value_parser = positive)]
        batch_size: usize,
        /// Evaluate only every N-th example: the slice `pretrain --holdout-every N` left out.
        #[arg(long, default_value_t = 0)]
        holdout_every: usize,
        /// Print JSON (`perplexity`, `tokens`, `tokens_per_s`) instead of text.
        #[arg(long)]
        json: bool,
        /// What to do with malformed rows.
        #[arg(long, value_enum, default_value_t = OnError::Fail)]
        on_error: OnError,
        /// Compute backend.
        #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
        backend: BackendKind,
    },
    /// Stream a reply to stdout as tokens arrive.
    Generate {
        /// Checkpoint folder (or run folder).
        #[arg(long)]
        model: PathBuf,
        /// The user's message (wrapped in the chat template unless --raw).
        #[arg(long)]
        prompt: String,
        /// Optional system message.
        #[arg(long)]
        system: Option<String>,
        /// Feed the prompt as plain text, without the chat template.
        #[arg(long)]
        raw: bool,
        /// Sampling temperature; 0 = greedy.
        #[arg(long, default_value_t = 0.7)]
        temperature: f32,
        /// Nucleus sampling threshold in (0, 1].
        #[arg(long, default_value_t = 0.9)]
        top_p: f32,
        /// Keep only the k most likely tokens.
        #[arg(long)]
        top_k: Option<usize>,
        /// Penalty for repeating tokens (1 = off).
        #[arg(long, default_value_t = 1.1)]
        repetition_penalty: f32,
        /// Sampling seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Most tokens to generate.
        #[arg(long, default_value_t = 200)]
        max_tokens: usize,
        /// Compute backend.
        #[arg(long, value_enum, default_value_t = BackendKind::Cpu)]
        backend: BackendKind,
    },
    /// Write the bundle the browser loads.
    Export {
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
    },
    /// Compare int8 and int4 bundles of a model with its f32 weights on held-out text:
    /// perplexity, top-1 agreement, max logit difference, bundle bytes.
    QuantReport {
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
    },
    /// Translate Lampung ↔ Indonesian lookup-first, showing where every word came from.
    Translate {
        /// The text.
        #[arg(long)]
        text: String,
        /// Source language (id, en, lpg, lpg-nyo, lpg-api); detected when left out.
        #[arg(long)]
        from: Option<String>,
        /// Target language.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        sources: TranslationSources,
        /// Print the translation with its tokens as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Score the translator on sentence pairs: BLEU, chrF, coverage, provenance counts.
    EvalTranslate {
        /// Two-column TSV with a header, source first (e.g. nyo-dev.tsv).
        #[arg(long)]
        pairs: PathBuf,
        /// Source language (id, en, lpg, lpg-nyo, lpg-api).
        #[arg(long)]
        from: String,
        /// Target language.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        sources: TranslationSources,
        /// Print JSON (`bleu`, `chrf`, `coverage`, `by_source`, `invented`).
        #[arg(long)]
        json: bool,
    },
}

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
fn positive(text: &str) -> Result<usize, String> {
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
    /// One step per token: fastest on CPUs.
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
            _ => siger::ScanMode::Chunked(siger::ssm::SCAN_CHUNK),
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
