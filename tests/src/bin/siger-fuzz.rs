//! `siger-fuzz [EXECUTIONS] [SEED] [TARGET…]`: runs the fuzz targets (all by default) and
//! prints executions, executions per second, accepted inputs and panics per target. Exits 1
//! if any input panicked, writing the first one to `fuzz-crash-<target>.bin`.

use siger_tests::fuzz_targets::{TARGETS, run_target};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let executions: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seed: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let chosen: Vec<&str> = if args.len() > 2 {
        args[2..].iter().map(String::as_str).collect()
    } else {
        TARGETS.to_vec()
    };
    // A panic is the finding, reported below; print where the first few came from.
    let shown = std::sync::atomic::AtomicUsize::new(0);
    std::panic::set_hook(Box::new(move |info| {
        if shown.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 3 {
            eprintln!("panic: {info}");
        }
    }));
    let mut failed = false;
    println!(
        "{:<12} {:>12} {:>12} {:>10} {:>8}",
        "target", "executions", "exec/s", "accepted", "panics"
    );
    for name in chosen {
        let Some(report) = run_target(name, executions, seed) else {
            eprintln!("unknown target `{name}`: use one of {}", TARGETS.join(", "));
            return std::process::ExitCode::FAILURE;
        };
        println!(
            "{:<12} {:>12} {:>12.0} {:>10} {:>8}",
            report.target,
            report.executions,
            report.executions as f64 / report.seconds.max(1e-9),
            report.accepted,
            report.panics
        );
        if report.panics > 0 {
            eprintln!("{}: {} inputs panicked", report.target, report.panics);
        }
        if let Some(input) = report.first_panic {
            let file = format!("fuzz-crash-{}.bin", report.target);
            let _ = std::fs::write(&file, input);
            eprintln!("{}: a panicking input is in {file}", report.target);
            failed = true;
        }
    }
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
