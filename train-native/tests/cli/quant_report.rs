//! `quant-report`.

use crate::{arg, ok, siger_train, trained_run};

#[test]
fn quant_report_gives_finite_figures_for_each_format() {
    let (ws, run) = trained_run();
    let report = ok(&siger_train(&[
        "quant-report",
        "--model",
        arg(&run),
        "--data",
        arg(&ws.data),
        "--seq-len",
        "16",
        "--json",
    ]));
    let report: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    for format in ["f32", "int8", "int4"] {
        for key in [
            "perplexity",
            "top1_agreement",
            "max_abs_logit_diff",
            "bytes",
        ] {
            let v = report[format][key].as_f64();
            assert!(v.is_some_and(f64::is_finite), "{format}.{key} in {report}");
        }
    }
    assert_eq!(report["f32"]["top1_agreement"], 1.0);
    let bytes = |f: &str| report[f]["bytes"].as_f64().unwrap();
    assert!(bytes("int4") < bytes("int8") && bytes("int8") < bytes("f32"));
}
