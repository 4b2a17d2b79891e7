//! The subcommands: each file holds one command's flags and what it does.

mod ask;
mod common;
mod eval;
mod eval_ask;
mod eval_translate;
mod export;
mod finetune;
mod generate;
mod merge;
mod pretrain;
mod quant_report;
mod recall;
mod shard;
mod tokenizer;
mod training;
mod translate;
mod translation_lm;

use clap::Subcommand;

use crate::backend::dispatch;

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Train a byte-level BPE tokenizer with Siger's special tokens on text, dialog or JSONL files.
    Tokenizer(tokenizer::TokenizerArgs),
    /// Tokenize a corpus once into token shards that `pretrain --data SHARDS` reads directly.
    Shard(shard::ShardArgs),
    /// Train a model from scratch (every token counts in the loss).
    Pretrain(pretrain::PretrainArgs),
    /// Supervised chat tuning of a trained model: the loss counts only assistant tokens.
    Finetune(finetune::FinetuneArgs),
    /// Perplexity and speed of a model on text, JSONL or TSV data.
    Eval(eval::EvalArgs),
    /// Stream a reply to stdout as tokens arrive.
    Generate(generate::GenerateArgs),
    /// Fold a LoRA adapter folder into its base, giving a normal checkpoint.
    Merge(merge::MergeArgs),
    /// Write the bundle the browser loads.
    Export(export::ExportArgs),
    /// Compare int8 and int4 bundles of a model with its f32 weights on held-out text:
    /// perplexity, top-1 agreement, max logit difference, bundle bytes.
    QuantReport(quant_report::QuantReportArgs),
    /// Train a configuration from scratch on multi-query associative recall (synthetic
    /// key–value pairs asked again) and report how often it copies the right value.
    Recall(recall::RecallArgs),
    /// Translate Lampung ↔ Indonesian lookup-first, showing where every word came from.
    Translate(translate::TranslateArgs),
    /// Score the translator on sentence pairs: BLEU, chrF, coverage, provenance counts.
    EvalTranslate(eval_translate::EvalTranslateArgs),
    /// Train the target-side trigram model the translator chooses among senses with.
    TranslationLm(translation_lm::TranslationLmArgs),
    /// Answer a question from source files, quoting and citing the sentences the answer comes
    /// from, or say that the sources do not answer it.
    Ask(ask::AskArgs),
    /// Score grounded answers on passages and questions (JSON lines): accuracy, abstention
    /// precision and recall, unsupported sentences.
    EvalAsk(eval_ask::EvalAskArgs),
}

/// Runs one subcommand: the ones that compute with a model on the backend they ask for.
pub fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Tokenizer(args) => args.run(),
        Command::Shard(args) => args.run(),
        Command::Pretrain(args) => dispatch(args),
        Command::Finetune(args) => dispatch(args),
        Command::Eval(args) => dispatch(args),
        Command::Generate(args) => dispatch(args),
        Command::Merge(args) => args.run(),
        Command::Export(args) => args.run(),
        Command::QuantReport(args) => dispatch(args),
        Command::Recall(args) => dispatch(args),
        Command::Translate(args) => args.run(),
        Command::EvalTranslate(args) => args.run(),
        Command::TranslationLm(args) => args.run(),
        Command::Ask(args) => args.run(),
        Command::EvalAsk(args) => args.run(),
    }
}
