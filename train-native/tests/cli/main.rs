//! The `siger-train` binary end to end, one command at a time. Each test builds what it needs
//! in its own folder: a small corpus, a tokenizer, and (through [`trained_run`]) a tiny model
//! pretrained for a few steps.

mod eval;
mod export;
mod finetune;
mod generate;
mod pretrain;
mod quant_report;
mod tokenizer;
mod translate;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// Runs the binary with `args`.
pub fn siger_train(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_siger-train"))
        .args(args)
        .output()
        .expect("run siger-train")
}

/// The stdout of a run that must succeed (its stderr in the failure message).
pub fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A path as the `&str` an argument list wants.
pub fn arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

/// A dialog file and an instruction JSONL, 15 copies each.
pub fn corpus(dir: &Path) {
    let dialog = "==== Topik: Air ====\nKonteks: Di kelas.\nRina: Air mendidih pada suhu berapa?\n\
                  Bu Sari: Pada 100 derajat Celsius di permukaan laut.\n\n";
    std::fs::write(dir.join("dialog.txt"), dialog.repeat(15)).unwrap();
    let row = r#"{"instruction":"Sebutkan warna langit","input":"","output":"Langit cerah berwarna biru.","system":""}"#;
    std::fs::write(dir.join("rows.jsonl"), format!("{row}\n").repeat(15)).unwrap();
}

/// A temporary folder holding the corpus (`data/`) and its 300-id tokenizer (`tok/`).
pub struct Workspace {
    /// Removed with the workspace.
    pub tmp: TempDir,
    /// The corpus folder.
    pub data: PathBuf,
    /// The folder `tokenizer` wrote `tokenizer.json` into.
    pub tok: PathBuf,
}

/// Writes the corpus and trains its tokenizer with the `tokenizer` command.
pub fn workspace() -> Workspace {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    corpus(&data);
    let tok = tmp.path().join("tok");
    ok(&siger_train(&[
        "tokenizer",
        "--input",
        arg(&data),
        "--vocab-size",
        "300",
        "--out",
        arg(&tok),
    ]));
    Workspace { tmp, data, tok }
}

/// `pretrain` of the tiny preset on `data` into `run`: 4 steps of 2 × 16 tokens with a
/// checkpoint every 2, and `extra` flags.
pub fn pretrain_tiny(data: &Path, run: &Path, extra: &[&str]) -> Output {
    pretrain_config("tiny", data, run, extra)
}

/// [`pretrain_tiny`] with another preset or config.json.
pub fn pretrain_config(config: &str, data: &Path, run: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "pretrain",
        "--config",
        config,
        "--data",
        arg(data),
        "--out",
        arg(run),
        "--steps",
        "4",
        "--seq-len",
        "16",
        "--batch-size",
        "2",
        "--checkpoint-every",
        "2",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    siger_train(&args)
}

/// `finetune` of `from` on `data` into `out`: 2 steps of 2 × 16 tokens, and `extra` flags.
pub fn finetune_tiny(from: &Path, data: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "finetune",
        "--from",
        arg(from),
        "--data",
        arg(data),
        "--out",
        arg(out),
        "--steps",
        "2",
        "--seq-len",
        "16",
        "--batch-size",
        "2",
        "--quiet",
    ];
    args.extend_from_slice(extra);
    siger_train(&args)
}

/// `eval --json` of `model` on `data` (16-token windows), parsed.
pub fn eval_json(model: &Path, data: &Path) -> serde_json::Value {
    let out = ok(&siger_train(&[
        "eval",
        "--model",
        arg(model),
        "--data",
        arg(data),
        "--json",
        "--seq-len",
        "16",
    ]));
    serde_json::from_str(out.trim()).unwrap()
}

/// `export --quant int4` of `model` into `out`; its stdout.
pub fn export_int4(model: &Path, out: &Path) -> String {
    ok(&siger_train(&[
        "export",
        "--model",
        arg(model),
        "--out",
        arg(out),
        "--quant",
        "int4",
    ]))
}

/// The `manifest.json` of the bundle or checkpoint at `dir`, parsed.
pub fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// A workspace and a run folder (`run/`) in it: the tiny preset pretrained for 4 steps with a
/// checkpoint every 2.
pub fn trained_run() -> (Workspace, PathBuf) {
    let ws = workspace();
    let run = ws.tmp.path().join("run");
    ok(&pretrain_tiny(
        &ws.data,
        &run,
        &["--tokenizer", arg(&ws.tok)],
    ));
    (ws, run)
}

#[test]
fn missing_backends_and_models_give_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let out = siger_train(&["generate", "--model", arg(tmp.path()), "--prompt", "x"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a checkpoint folder"));
    if !cfg!(feature = "cuda") {
        let out = siger_train(&["eval", "--model", ".", "--data", ".", "--backend", "cuda"]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("--features cuda"));
    }
}
