//! Prints the sequential and the chunked parallel scan's times, forward and forward+backward, on
//! the CPU backend, with the time ratio sequential ÷ chunked (below 1: the sequential scan is
//! faster); and forward+backward of the host scan's autodiff operation (what CPU training runs),
//! with the ratio sequential ÷ host. Only x requires a gradient here, so the recorded scans
//! differentiate less than the host operation, which computes every input's gradient. A
//! benchmark that prints figures, not a test.
//!
//! Run: `pkg-scripts/bench-scan` (or `cargo bench -p siger --features autodiff --bench scan`).

use std::time::Instant;

use burn::backend::{Autodiff, NdArray};
use burn::tensor::{Distribution, Tensor, backend::Backend};
use siger::model::scan::{HostScanInputs, ScanInputs, scan_chunked, scan_reference};
use siger::model::scan_autodiff::scan_host_autodiff;

type Cpu = NdArray<f32>;

fn inputs<B: Backend>(
    batch: usize,
    len: usize,
    d: usize,
    n: usize,
) -> (ScanInputs<B>, Tensor<B, 3>) {
    let device = Default::default();
    let normal = Distribution::Normal(0.0, 1.0);
    let inputs = ScanInputs {
        x: Tensor::random([batch, len, d], normal, &device).require_grad(),
        delta: Tensor::random([batch, len, d], Distribution::Uniform(0.001, 0.1), &device),
        a: -Tensor::random([d, n], Distribution::Uniform(0.5, 8.0), &device),
        b: Tensor::random([batch, len, n], normal, &device),
        c: Tensor::random([batch, len, n], normal, &device),
        d: Tensor::ones([d], &device),
    };
    (inputs, Tensor::zeros([batch, d, n], &device))
}

fn time<F: FnMut()>(mut f: F) -> f64 {
    f();
    let runs = 3;
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    start.elapsed().as_secs_f64() / runs as f64
}

fn main() {
    let (batch, d, n) = (4, 512, 16);
    println!(
        "selective scan on NdArray (CPU), batch {batch}, d_inner {d}, d_state {n}; mean of 3 runs"
    );
    println!(
        "{:>6} {:>14} {:>14} {:>8} {:>16} {:>16} {:>8} {:>14} {:>8}",
        "len",
        "ref fwd ms",
        "chunked fwd ms",
        "ratio",
        "ref fwd+bwd ms",
        "chunked f+b ms",
        "ratio",
        "host f+b ms",
        "ref/host"
    );
    for len in [64, 256] {
        let (fwd_ref, fwd_fast) = {
            let (inp, h0) = inputs::<Cpu>(batch, len, d, n);
            let r = time(|| {
                let (y, _) = scan_reference(inp.clone(), h0.clone());
                let _ = y.sum().into_scalar();
            });
            let f = time(|| {
                let (y, _) = scan_chunked(inp.clone(), h0.clone(), siger::model::ssm::SCAN_CHUNK);
                let _ = y.sum().into_scalar();
            });
            (r, f)
        };
        let bwd = {
            let (inp, h0) = inputs::<Autodiff<Cpu>>(batch, len, d, n);
            let r = time(|| {
                let (y, _) = scan_reference(inp.clone(), h0.clone());
                let _ = y.sum().backward();
            });
            let f = time(|| {
                let (y, _) = scan_chunked(inp.clone(), h0.clone(), siger::model::ssm::SCAN_CHUNK);
                let _ = y.sum().backward();
            });
            // The same A through A_log = ln(−A).
            let host = HostScanInputs {
                x: inp.x.clone(),
                delta: inp.delta.clone(),
                a_log: inp.a.clone().neg().log(),
                b: inp.b.clone(),
                c: inp.c.clone(),
                d: inp.d.clone(),
            };
            let h = time(|| {
                let (y, _) = scan_host_autodiff(host.clone(), h0.clone());
                let _ = y.sum().backward();
            });
            (r, f, h)
        };
        let (bwd_ref, bwd_fast, bwd_host) = bwd;
        println!(
            "{len:>6} {:>14.1} {:>14.1} {:>7.2}x {:>16.1} {:>16.1} {:>7.2}x {:>14.1} {:>7.2}x",
            fwd_ref * 1e3,
            fwd_fast * 1e3,
            fwd_ref / fwd_fast,
            bwd_ref * 1e3,
            bwd_fast * 1e3,
            bwd_ref / bwd_fast,
            bwd_host * 1e3,
            bwd_ref / bwd_host
        );
    }
}
