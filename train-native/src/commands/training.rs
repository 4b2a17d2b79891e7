//! What `pretrain` and `finetune` share: the run's hyper-parameters from the flags, and
//! training with a progress bar, then saving the model and the loss curve.

use std::path::Path;
use std::time::Instant;

use burn::tensor::backend::AutodiffBackend;
use siger::io::atomic;

use crate::cli::TrainArgs;
use crate::dataset::Windows;
use crate::plot;
use crate::schedule::Schedule;
use crate::train::{StepMetrics, TrainConfig, Trainer};

/// The run's hyper-parameters (nothing held out).
pub fn train_config(args: &TrainArgs) -> TrainConfig {
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

/// Runs the scan and expert dispatch the flags ask for on their backend.
pub fn set_execution<B: AutodiffBackend>(trainer: &mut Trainer<B>, args: &TrainArgs) {
    trainer.set_execution(
        args.scan.mode(args.backend),
        args.moe_dispatch.mode(args.backend),
    );
}

/// Trains to the last step, then writes `loss.svg` (also after a failed run) and `model/`.
pub fn train_and_save<B: AutodiffBackend>(
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
    atomic::write_file(&out.join("loss.svg"), svg.as_bytes()).map_err(|e| e.to_string())?;
    let metrics = result.map_err(|e| e.to_string())?;
    let saved = out.join(trainer.output_name());
    trainer.save_model(&saved).map_err(|e| e.to_string())?;
    if let Some(last) = metrics.last() {
        eprintln!(
            "done: step {}, loss {:.4}, {:.0} s; saved in {}, curve in {}",
            last.step,
            last.loss,
            started.elapsed().as_secs_f64(),
            saved.display(),
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

/// Shows a step's figures on the bar, or (quiet) prints every tenth step.
fn report(bar: &indicatif::ProgressBar, m: &StepMetrics, quiet: bool) {
    let mut line = format!(
        "loss {:.4} lr {:.2e} gnorm {:.2} {:.0} tok/s dead {:.2}",
        m.loss, m.lr, m.grad_norm, m.tokens_per_s, m.dead_expert_fraction
    );
    if m.ponder > 0.0 {
        line.push_str(&format!(" ponder {:.2}", m.ponder));
    }
    if quiet {
        if m.step.is_multiple_of(10) || m.step == 1 {
            eprintln!("step {} {line}", m.step);
        }
    } else {
        bar.set_position(m.step);
        bar.set_message(line);
    }
}
