//! A saved checkpoint's weights load in Python's `safetensors` under the documented names.

use siger::io::checkpoint::{WEIGHTS_FILE, save};
use siger::text::Tokenizer;
use siger::{Model, ModelConfig};
use siger_tests::python_with_safetensors;

type B = burn::backend::NdArray<f32>;

#[test]
fn python_safetensors_reads_a_checkpoint() {
    let Some(python) = python_with_safetensors() else {
        eprintln!(
            "skipped: python3 with numpy and safetensors is not installed (pip install numpy safetensors)"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ckpt");
    let config = ModelConfig::tiny();
    let model: Model<B> = config.init(&Default::default()).unwrap();
    let tokenizer = Tokenizer::train(
        ["Apa kabar? Baik, terima kasih."]
            .into_iter()
            .cycle()
            .take(20),
        300,
    )
    .unwrap();
    let manifest = save(&dir, &config, &model, &tokenizer).unwrap();

    let script = r#"
import sys
from safetensors.numpy import load_file
t = load_file(sys.argv[1])
d = int(sys.argv[2])
assert t["embedding.weight"].shape == (512, d), t["embedding.weight"].shape
assert t["layers.0.mixer.in_proj.weight"].shape == (d, 4 * d)
assert "layers.1.feed_forward.moe.router.weight" in t
print(sum(v.size for v in t.values()))
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(dir.join(WEIGHTS_FILE))
        .arg(config.d_model.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(count, manifest.parameters.total);
}
