use burn::tensor::quantization::{QuantLevel, QuantParam, QuantScheme, QuantStore, QuantValue};
use burn::tensor::{Distribution, Tensor, TensorData, backend::Backend};

fn quant(values: &[f32], cols: usize, block: usize, qmax: f32) -> (Vec<i8>, Vec<f32>) {
    let mut q = Vec::new();
    let mut s = Vec::new();
    for chunk in values.chunks(block) {
        let m = chunk.iter().fold(0f32, |a, v| a.max(v.abs()));
        let sc = if m == 0.0 { 1.0 } else { m / qmax };
        s.push(sc);
        for v in chunk {
            q.push((v / sc).round().clamp(-qmax, qmax) as i8);
        }
    }
    let _ = cols;
    (q, s)
}

fn pack4(q: &[i8]) -> Vec<u8> {
    q.chunks(2)
        .map(|p| (p[0] as u8 & 0xF) | ((p[1] as u8 & 0xF) << 4))
        .collect()
}

fn data(
    q: &[i8],
    s: &[f32],
    shape: [usize; 2],
    block: usize,
    int4: bool,
    store: QuantStore,
) -> TensorData {
    let scheme = QuantScheme::default()
        .with_value(if int4 {
            QuantValue::Q4S
        } else {
            QuantValue::Q8S
        })
        .with_level(QuantLevel::block([block as u8]))
        .with_store(store)
        .with_param(QuantParam::F32);
    let mut bytes: Vec<u8> = if int4 && matches!(store, QuantStore::PackedU32(_)) {
        pack4(q)
    } else {
        q.iter().map(|v| *v as u8).collect()
    };
    while bytes.len() % 4 != 0 {
        bytes.push(0);
    }
    for v in s {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    TensorData::from_bytes_vec(bytes, shape, burn::tensor::DType::QFloat(scheme))
}

fn run<B: Backend>(dev: &B::Device, store: QuantStore, name: &str) {
    for int4 in [false, true] {
        let (k, n, block) = (192usize, 384usize, 32usize);
        let w: Tensor<B, 2> = Tensor::random([k, n], Distribution::Normal(0.0, 0.05), dev);
        let wv: Vec<f32> = w.to_data().to_vec().unwrap();
        let qmax = if int4 { 7.0 } else { 127.0 };
        let (q, s) = quant(&wv, n, block, qmax);
        let deq: Vec<f32> = q
            .iter()
            .enumerate()
            .map(|(i, v)| *v as f32 * s[i / block])
            .collect();
        let wd = Tensor::<B, 2>::from_data(TensorData::new(deq, [k, n]), dev);
        let x: Tensor<B, 2> = Tensor::random([3, k], Distribution::Normal(0.0, 1.0), dev);
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let wq = Tensor::<B, 2>::from_data(data(&q, &s, [k, n], block, int4, store), dev);
            let y = x.clone().matmul(wq.clone());
            let yr = x.clone().matmul(wd.clone());
            let d = (y - yr).abs().max().into_scalar();
            println!("{name} int4={int4} matmul maxdiff {d:?}");
            // transposed (tied head): x[3, n] @ wq^T [n, k]
            let x2: Tensor<B, 2> = Tensor::random([3, n], Distribution::Normal(0.0, 1.0), dev);
            let y = x2.clone().matmul(wq.clone().transpose());
            let yr = x2.matmul(wd.clone().transpose());
            println!(
                "{name} int4={int4} transposed maxdiff {:?}",
                (y - yr).abs().max().into_scalar()
            );
            let t = std::time::Instant::now();
            let x1: Tensor<B, 2> = Tensor::random([1, k], Distribution::Normal(0.0, 1.0), dev);
            let mut acc = x1.clone().matmul(wd.clone());
            for _ in 0..200 {
                acc = acc + x1.clone().matmul(wd.clone());
            }
            let _ = acc.into_data();
            let tf = t.elapsed();
            let t = std::time::Instant::now();
            let mut acc = x1.clone().matmul(wq.clone());
            for _ in 0..200 {
                acc = acc + x1.clone().matmul(wq.clone());
            }
            let _ = acc.into_data();
            println!(
                "{name} int4={int4} 200 matvec f32 {:?} quant {:?}",
                tf,
                t.elapsed()
            );
        }));
        if r.is_err() {
            println!("{name} int4={int4} PANIC");
        }
    }
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    if which == "cpu" {
        run::<burn::backend::NdArray>(&Default::default(), QuantStore::Native, "ndarray");
    } else {
        #[cfg(feature = "wgpu")]
        run::<burn::backend::Wgpu>(&Default::default(), QuantStore::PackedU32(0), "wgpu");
    }
}
