//! `models/configs/*.json` stay equal to the presets in code.

use siger::ModelConfig;

#[test]
fn config_files_match_the_presets() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/configs");
    for name in ["tiny", "small", "demo", "medium", "base"] {
        let path = dir.join(format!("{name}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let file: ModelConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(
            Some(file),
            ModelConfig::preset(name),
            "{} differs from ModelConfig::{name}()",
            path.display()
        );
    }
}
