//! `eval-ask`: scores grounded answers on passages and questions in JSON lines (accuracy,
//! abstention precision and recall, unsupported sentences), at one threshold or a sweep.

use std::path::{Path, PathBuf};

use clap::Args;
use siger::ground::Library;
use siger::ground::eval::{self, Evaluation};

use super::ask::AskFlags;

/// Flags of `eval-ask`.
#[derive(Args)]
pub struct EvalAskArgs {
    /// Passages, one `{"id", "title", "text"}` a line; together they form one source.
    #[arg(long)]
    passages: PathBuf,
    /// Questions, one `{"p", "q", "a": [[phrase, …], …], "answerable"}` a line.
    #[arg(long)]
    qa: PathBuf,
    #[command(flatten)]
    options: AskFlags,
    /// Also print the figures at thresholds from 0 to 1 in steps of 0.05 (calibration).
    #[arg(long)]
    sweep: bool,
    /// Also calibrate the threshold on these questions (the one maximising the mean of
    /// accuracy, abstention precision and recall) and report K-fold cross-validated figures:
    /// each fold judged at the threshold calibrated on the others.
    #[arg(long, value_name = "K")]
    cross_validate: Option<usize>,
    /// Print each wrongly answered or wrongly abstained question after the figures.
    #[arg(long)]
    errors: bool,
    /// Print JSON (`accuracy`, `abstain_precision`, `abstain_recall`, `unsupported`,
    /// `questions`, …; with `--sweep`, a `sweep` list too).
    #[arg(long)]
    json: bool,
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

impl EvalAskArgs {
    /// Answers every question and prints the figures.
    pub fn run(self) -> Result<(), String> {
        let options = self.options.options()?;
        let passages = eval::read_passages(&read(&self.passages)?)
            .map_err(|e| format!("{}: {e}", self.passages.display()))?;
        let questions = eval::read_questions(&read(&self.qa)?)
            .map_err(|e| format!("{}: {e}", self.qa.display()))?;
        let library = Library::new(passages).map_err(|e| e.to_string())?;
        let started = std::time::Instant::now();
        let asked = eval::ask_all(&library, &questions, &options);
        let per_question_ms = started.elapsed().as_secs_f64() * 1e3 / questions.len().max(1) as f64;
        let figures = eval::score(&asked, options.threshold);
        let sweep: Vec<Evaluation> = if self.sweep {
            (0..=20)
                .map(|i| eval::score(&asked, i as f32 * 0.05))
                .collect()
        } else {
            Vec::new()
        };
        let calibrated = match self.cross_validate {
            Some(k) if k < 2 => return Err("--cross-validate needs at least 2 folds".into()),
            Some(k) => Some((eval::calibrate(&asked), eval::cross_validated(&asked, k))),
            None => None,
        };
        if self.json {
            let mut value = serde_json::to_value(&figures).map_err(|e| e.to_string())?;
            if self.sweep {
                value["sweep"] = serde_json::to_value(&sweep).map_err(|e| e.to_string())?;
            }
            if let Some((threshold, (cv, folds))) = &calibrated {
                value["calibrated_threshold"] = (*threshold).into();
                value["cross_validated"] = serde_json::to_value(cv).map_err(|e| e.to_string())?;
                value["fold_thresholds"] =
                    serde_json::to_value(folds).map_err(|e| e.to_string())?;
            }
            println!("{value}");
        } else {
            print_figures(&figures, per_question_ms);
            if let Some((threshold, (cv, folds))) = &calibrated {
                println!(
                    "calibrated threshold {threshold:.2}; cross-validated (fold thresholds {folds:?}):"
                );
                print_figures(cv, per_question_ms);
            }
            for row in &sweep {
                println!(
                    "  threshold {:.2}: accuracy {:.3}  abstain P {:.3} R {:.3}",
                    row.threshold, row.accuracy, row.abstain_precision, row.abstain_recall
                );
            }
        }
        if self.errors {
            print_errors(&asked, options.threshold);
        }
        Ok(())
    }
}

fn print_figures(e: &Evaluation, per_question_ms: f64) {
    println!(
        "accuracy {:.3}  abstain precision {:.3} recall {:.3}  unsupported {}  cited passage {:.3}  over {} questions ({} answerable), threshold {:.2}, {:.2} ms a question",
        e.accuracy,
        e.abstain_precision,
        e.abstain_recall,
        e.unsupported,
        e.cited_passage,
        e.questions,
        e.answerable,
        e.threshold,
        per_question_ms
    );
}

fn print_errors(asked: &[eval::Asked], threshold: f32) {
    for item in asked {
        let abstains = item.answer.abstained || item.answer.score < threshold;
        let q = &item.question;
        let wrong = if q.answerable {
            abstains || !eval::is_correct(&item.answer.text, &q.a)
        } else {
            !abstains
        };
        if wrong {
            let what = if abstains { "ABSTAINED" } else { "ANSWERED" };
            println!(
                "\n[{}] {} ({:.3}, {}): {}",
                q.p,
                what,
                item.answer.score,
                if q.answerable {
                    "answerable"
                } else {
                    "unanswerable"
                },
                q.q
            );
            println!("   expected {:?}", q.a);
            println!(
                "   got [{}] {}",
                item.answer
                    .citations
                    .first()
                    .map_or("", |c| c.sentence.as_str()),
                item.answer.text
            );
        }
    }
}
