//! What each subcommand does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::tensor::ElementConversion;
use burn::tensor::backend::{AutodiffBackend, Backend};
use siger::ModelConfig;
use siger::checkpoint::{self, Checkpoint};
use siger::generate::{GenerationConfig, Generator};
use siger::quant::{QuantOptions, QuantScheme};
use siger::sampling::{Sampler, SamplingConfig};
use siger::tokenizer::{Message, Role, Tokenizer};

use crate::backend::{Job, dispatch};
use crate::cli::{Command, DispatchArg, Quant, QuantBlocks, TrainArgs};
use crate::data::{self, Example, OnError};
use crate::dataset::{LossMask, Windows, windows};
use crate::plot;
use crate::quant_report::QuantReport;
use crate::schedule::Schedule;
use crate::train::{StepMetrics, TrainConfig, Trainer, batch_tensors, masked_nll_sum};

/// Runs one subcommand.
pub fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Tokenizer {
            input,
            vocab_size,
            out,
            on_error,
        } => tokenizer(&input, vocab_size, &out, on_error),
        Command::Pretrain {
            config,
            data,
            tokenizer,
            out,
            holdout_every,
            resume,
            train,
        } => {
            let (backend, devices) = (train.backend, train.devices.clone());
            dispatch(
                backend,
                &devices,
                Pretrain {
                    config,
                    data,
                    tokenizer,
                    out,
                    holdout_every,
                    resume,
                    train,
                },
            )
        }
        Command::Finetune {
            from,
            data,
            out,
            train,
        } => {
            let (backend, devices) = (train.backend, train.devices.clone());
            dispatch(
                backend,
                &devices,
                Finetune {
                    from,
                    data,
                    out,
                    train,
                },
            )
        }
        Command::Eval {
            model,
            data,
            seq_len,
            batch_size,
            holdout_every,
            json,
            on_error,
            backend,
        } => dispatch(
            backend,
            &[0],
            Eval {
                model,
                data,
                seq_len,
                batch_size,
                holdout_every,
                json,
                on_error,
            },
        ),
        Command::Generate {
            backend,
            model,
            prompt,
            system,
            raw,
            temperature,
            top_p,
            top_k,
            repetition_penalty,
            seed,
            max_tokens,
        } => {
            let sampling = SamplingConfig {
                temperature,
                top_p,
                top_k,
                repetition_penalty,
                seed,
            };
            dispatch(
                backend,
                &[0],
                Generate {
                    model,
                    prompt,
                    system,
                    raw,
                    sampling,
                    max_tokens,
                },
            )
        }
        Command::Translate {
            text,
            from,
            to,
            sources,
            json,
        } => crate::translate_cmd::run_translate(&text, from.as_deref(), &to, &sources, json),
        Command::EvalTranslate {
            pairs,
            from,
            to,
            sources,
            json,
        } => crate::translate_cmd::run_eval(&pairs, &from, &to, &sources, json),
        Command::Export {
            model,
            out,
            quant,
            blocks,
        } => export(&model, &out, quant, blocks),
        Command::QuantReport {
            model,
            data,
            seq_len,
            batch_size,
            holdout_every,
            blocks,
            json,
            on_error,
            backend,
        } => dispatch(
            backend,
            &[0],
            QuantReport {
                model,
                data,
                seq_len,
                batch_size,
                holdout_every,
                block: blocks.block,
                scales: blocks.scales.dtype(),
                json,
                on_error,
                dispatch: DispatchArg::Auto.mode(backend),
            },
        ),
    }
}

/// A checkpoint folder, or a run folder's `model/`.
pub fn model_dir(path: &Path) -> Result<PathBuf, String> {
    for candidate in [path.to_path_buf(), path.join("model")] {
        if candidate.join(checkpoint::MANIFEST_FILE).exists() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "{}: not a checkpoint folder (no manifest.json here or in model/)",
        path.display()
    ))
}

pub(crate) fn load_checkpoint<B: Backend>(
    path: &Path,
    device: &B::Device,
) -> Result<Checkpoint<B>, String> {
    let dir = model_dir(path)?;
    checkpoint::load::<B>(&dir, device).map_err(|e| format!("{}: {e}", dir.display()))
}

fn example_texts(examples: &[Example]) -> impl Iterator<Item = String> + Send + '_ {
    examples.iter().map(|e| match e {
        Example::Text(t) => t.clone(),
        Example::Chat(m) => Tokenizer::render_chat(m, false),
    })
}

fn tokenizer(
    input: &[PathBuf],
    vocab_size: usize,
    out: &Path,
    on_error: OnError,
) -> Result<(), String> {
    let examples = data::load(input, on_error).map_err(|e| e.to_string())?;
    let tok = Tokenizer::train(example_texts(&examples), vocab_size).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    write_atomically(
        &out.join(checkpoint::TOKENIZER_FILE),
        tok.to_json().as_bytes(),
    )?;
    println!(
        "tokenizer with {} ids written to {}",
        tok.vocab_size(),
        out.join(checkpoint::TOKENIZER_FILE).display()
    );
    Ok(())
}

/// Writes `path` through a temporary sibling and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn model_config(spec: &str) -> Result<ModelConfig, String> {
    if let Some(preset) = ModelConfig::preset(spec) {
        return Ok(preset);
    }
    let text = std::fs::read_to_string(spec).map_err(|e| {
        format!("--config {spec}: not a preset (tiny, small, base) and not a readable file: {e}")
    })?;
    let config: ModelConfig = serde_json::from_str(&text).map_err(|e| format!("{spec}: {e}"))?;
    config.validate().map_err(|e| format!("{spec}: {e}"))?;
    Ok(config)
}

fn train_config(args: &TrainArgs) -> TrainConfig {
    TrainConfig {
        seq_len: args.seq_len,
        batch_size: args.batch_size,
        grad_accum: args.grad_accum.max(1),
        steps: args.steps,
        schedule: Schedule {
            peak: args.lr,
            floor: args.lr * args.min_lr_ratio,
            warmup: args.warmup,
            total: args.steps,
        },
        weight_decay: args.weight_decay,
        grad_clip: args.grad_clip,
        checkpoint_every: args.checkpoint_every,
        keep_checkpoints: args.keep_checkpoints,
        seed: args.seed,
        holdout_every: 0,
    }
}

struct Pretrain {
    config: String,
    data: Vec<PathBuf>,
    tokenizer: Option<PathBuf>,
    out: PathBuf,
    holdout_every: usize,
    resume: Option<PathBuf>,
    train: TrainArgs,
}

impl Job for Pretrain {
    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let all = data::load(&self.data, self.train.on_error).map_err(|e| e.to_string())?;
        // A resumed run keeps the held-out slice it started with.
        let resumed = match &self.resume {
            Some(from) => Some(
                Trainer::<B>::resume(from, devices.clone(), &self.out)
                    .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        let holdout = resumed
            .as_ref()
            .map_or(self.holdout_every, |t| t.state.config.holdout_every);
        let (examples, held) = data::split_holdout(all, holdout);
        if !held.is_empty() {
            eprintln!(
                "holding out {} of {} examples for evaluation",
                held.len(),
                held.len() + examples.len()
            );
        }
        let mut trainer = match resumed {
            Some(t) => {
                let mut expected = train_config(&self.train);
                expected.holdout_every = self.holdout_every;
                if t.state.config != expected {
                    eprintln!(
                        "note: resuming with the run's saved hyper-parameters; training flags given now are ignored"
                    );
                }
                t
            }
            None => {
                let mut config = model_config(&self.config)?;
                let tok = match &self.tokenizer {
                    Some(path) => read_tokenizer(path)?,
                    None => {
                        eprintln!("training a {}-id tokenizer on the data", config.vocab_size);
                        Tokenizer::train(example_texts(&examples), config.vocab_size)
                            .map_err(|e| e.to_string())?
                    }
                };
                if tok.vocab_size() != config.vocab_size {
                    eprintln!(
                        "vocab_size set to the tokenizer's {} ids (config said {})",
                        tok.vocab_size(),
                        config.vocab_size
                    );
                    config.vocab_size = tok.vocab_size();
                }
                B::seed(&devices[0], self.train.seed);
                let model = config.init::<B>(&devices[0]).map_err(|e| e.to_string())?;
                let mut train = train_config(&self.train);
                train.holdout_every = self.holdout_every;
                Trainer::new(model, config, tok, train, devices, &self.out)
            }
        };
        trainer.set_execution(
            self.train.scan.mode(self.train.backend),
            self.train.moe_dispatch.mode(self.train.backend),
        );
        let data = windows(
            &examples,
            trainer.tokenizer(),
            trainer.state.config.seq_len,
            LossMask::All,
        );
        train_and_save(&mut trainer, &data, &self.out, self.train.quiet)
    }
}

struct Finetune {
    from: PathBuf,
    data: Vec<PathBuf>,
    out: PathBuf,
    train: TrainArgs,
}

impl Job for Finetune {
    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let examples = data::load(&self.data, self.train.on_error).map_err(|e| e.to_string())?;
        let ckpt = load_checkpoint::<B>(&self.from, &devices[0])?;
        let config = train_config(&self.train);
        let data = windows(
            &examples,
            &ckpt.tokenizer,
            config.seq_len,
            LossMask::AssistantOnly,
        );
        eprintln!(
            "{} windows, {} assistant tokens scored",
            data.len(),
            data.scored_tokens()
        );
        let mut trainer = Trainer::new(
            ckpt.model,
            ckpt.config,
            ckpt.tokenizer,
            config,
            devices,
            &self.out,
        );
        trainer.set_execution(
            self.train.scan.mode(self.train.backend),
            self.train.moe_dispatch.mode(self.train.backend),
        );
        train_and_save(&mut trainer, &data, &self.out, self.train.quiet)
    }
}

fn read_tokenizer(path: &Path) -> Result<Tokenizer, String> {
    let file = if path.is_dir() {
        path.join(checkpoint::TOKENIZER_FILE)
    } else {
        path.to_path_buf()
    };
    let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    Tokenizer::from_json(&bytes).map_err(|e| format!("{}: {e}", file.display()))
}

fn train_and_save<B: AutodiffBackend>(
    trainer: &mut Trainer<B>,
    data: &Windows,
    out: &Path,
    quiet: bool,
) -> Result<(), String> {
    let config = trainer.state.config.clone();
    eprintln!(
        "{} windows of {} tokens; {} steps of {}×{} windows from step {}",
        data.len(),
        data.seq_len,
        config.steps,
        config.batch_size,
        config.grad_accum,
        trainer.state.step
    );
    let bar = progress_bar(config.steps, trainer.state.step, quiet);
    let started = Instant::now();
    let result = trainer.run(data, |m: &StepMetrics| report(&bar, m, quiet));
    bar.finish_and_clear();
    let svg = plot::loss_svg(
        &plot::read_losses(&out.join("metrics.jsonl")),
        "Siger training loss",
    );
    write_atomically(&out.join("loss.svg"), svg.as_bytes())?;
    let metrics = result.map_err(|e| e.to_string())?;
    trainer
        .save_model(&out.join("model"))
        .map_err(|e| e.to_string())?;
    if let Some(last) = metrics.last() {
        eprintln!(
            "done: step {}, loss {:.4}, {:.0} s; model in {}, curve in {}",
            last.step,
            last.loss,
            started.elapsed().as_secs_f64(),
            out.join("model").display(),
            out.join("loss.svg").display()
        );
    }
    Ok(())
}

fn progress_bar(total: u64, position: u64, quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total).with_position(position);
    let style = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ETA {eta}")
        .expect("a valid template");
    bar.set_style(style);
    bar
}

fn report(bar: &indicatif::ProgressBar, m: &StepMetrics, quiet: bool) {
    let line = format!(
        "loss {:.4} lr {:.2e} gnorm {:.2} {:.0} tok/s dead {:.2}",
        m.loss, m.lr, m.grad_norm, m.tokens_per_s, m.dead_expert_fraction
    );
    if quiet {
        if m.step.is_multiple_of(10) || m.step == 1 {
            eprintln!("step {} {line}", m.step);
        }
    } else {
        bar.set_position(m.step);
        bar.set_message(line);
    }
}

struct Eval {
    model: PathBuf,
    data: Vec<PathBuf>,
    seq_len: usize,
    batch_size: usize,
    holdout_every: usize,
    json: bool,
    on_error: OnError,
}

impl Job for Eval {
    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let device = &devices[0];
        let ckpt = load_checkpoint::<B::InnerBackend>(&self.model, device)?;
        let examples = data::load(&self.data, self.on_error).map_err(|e| e.to_string())?;
        let examples = match self.holdout_every {
            0 => examples,
            every => data::split_holdout(examples, every).1,
        };
        let data = windows(&examples, &ckpt.tokenizer, self.seq_len, LossMask::All);
        let started = Instant::now();
        let mut nll = 0.0f64;
        let all: Vec<usize> = (0..data.len()).collect();
        for batch in all.chunks(self.batch_size.max(1)) {
            let (inputs, targets, mask) = batch_tensors::<B::InnerBackend>(&data, batch, device);
            let logits = ckpt.model.forward(inputs).logits;
            let sum: f64 = masked_nll_sum(logits, targets, mask).into_scalar().elem();
            nll += sum;
        }
        let seconds = started.elapsed().as_secs_f64();
        let tokens = data.scored_tokens();
        let perplexity = (nll / tokens.max(1) as f64).exp();
        let read = data.len() * data.seq_len;
        let tokens_per_s = read as f64 / seconds;
        if self.json {
            println!(
                "{}",
                serde_json::json!({ "perplexity": perplexity, "tokens": tokens, "tokens_per_s": tokens_per_s })
            );
        } else {
            println!(
                "perplexity {perplexity:.3} over {tokens} tokens ({tokens_per_s:.0} tokens/s read)"
            );
        }
        Ok(())
    }
}

struct Generate {
    model: PathBuf,
    prompt: String,
    system: Option<String>,
    raw: bool,
    sampling: SamplingConfig,
    max_tokens: usize,
}

impl Job for Generate {
    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String> {
        let sampler = Sampler::new(self.sampling).map_err(|e| e.to_string())?;
        let ckpt = load_checkpoint::<B::InnerBackend>(&self.model, &devices[0])?;
        let tok = &ckpt.tokenizer;
        let ids = if self.raw {
            tok.encode(&self.prompt)
        } else {
            let mut messages: Vec<Message> = self
                .system
                .into_iter()
                .map(|s| Message::new(Role::System, s))
                .collect();
            messages.push(Message::new(Role::User, self.prompt));
            tok.encode_chat(&messages, true)
        };
        let config = GenerationConfig::chat(tok, self.max_tokens);
        let generator =
            Generator::new(&ckpt.model, tok, &ids, sampler, config).map_err(|e| e.to_string())?;
        let mut stdout = std::io::stdout();
        for piece in generator {
            let _ = write!(stdout, "{}", piece.map_err(|e| e.to_string())?);
            let _ = stdout.flush();
        }
        println!();
        Ok(())
    }
}

fn export(model: &Path, out: &Path, quant: Quant, blocks: QuantBlocks) -> Result<(), String> {
    type Cpu = burn::backend::NdArray<f32>;
    let ckpt = load_checkpoint::<Cpu>(model, &Default::default())?;
    if !ckpt.manifest.quantization.is_empty() {
        return Err(format!(
            "{} is already a quantized bundle; export from the f32 checkpoint it came from",
            model.display()
        ));
    }
    let scheme = match quant {
        Quant::None => None,
        Quant::Int8 => Some(QuantScheme::Int8),
        Quant::Int4 => Some(QuantScheme::Int4),
    };
    let (config, weights, tokenizer) = (&ckpt.config, &ckpt.model, &ckpt.tokenizer);
    let manifest = match scheme {
        None => checkpoint::save(out, config, weights, tokenizer),
        Some(scheme) => {
            let options = QuantOptions {
                scheme,
                block: blocks.block,
                scales: blocks.scales.dtype(),
            };
            checkpoint::save_quantized(out, config, weights, tokenizer, options)
        }
    }
    .map_err(|e| e.to_string())?;
    let bytes: u64 = manifest.files.values().map(|f| f.bytes).sum();
    let format = scheme.map_or("f32", |s| s.name());
    println!(
        "{format} bundle written to {} ({:.2} MB)",
        out.display(),
        bytes as f64 / 1e6
    );
    let mut counts = std::collections::BTreeMap::new();
    for entry in manifest.quantization.values() {
        *counts.entry(entry.scheme.as_str()).or_insert(0) += 1;
    }
    if !counts.is_empty() {
        let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
        println!("quantized tensors: {} (the rest f32)", summary.join(", "));
    }
    Ok(())
}
