//! Choosing the compute backend at run time. Each command is a [`Job`] generic over an autodiff
//! backend; inference commands use its inner backend.

use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::AutodiffBackend;

use crate::cli::BackendKind;

/// A command that runs on any backend: its arguments say which backend and devices.
pub trait Job {
    /// The backend asked for.
    fn backend(&self) -> BackendKind;

    /// Device indices asked for (the first is the main one); one device unless overridden.
    fn devices(&self) -> &[usize] {
        &[0]
    }

    /// Runs on backend `B` with these devices (the first is the main one).
    fn run<B: AutodiffBackend>(self, devices: Vec<B::Device>) -> Result<(), String>;
}

/// Runs `job` on the backend and devices it asks for.
pub fn dispatch<J: Job>(job: J) -> Result<(), String> {
    let indices = match job.devices() {
        [] => vec![0],
        indices => indices.to_vec(),
    };
    let indices = &indices[..];
    match job.backend() {
        BackendKind::Cpu => {
            let devices = indices
                .iter()
                .map(|_| burn::backend::ndarray::NdArrayDevice::Cpu)
                .collect();
            job.run::<Autodiff<NdArray<f32>>>(devices)
        }
        BackendKind::Wgpu => wgpu(indices, job),
        BackendKind::Cuda => cuda(indices, job),
    }
}

#[cfg(feature = "wgpu")]
fn wgpu<J: Job>(indices: &[usize], job: J) -> Result<(), String> {
    use burn::backend::wgpu::{Wgpu, WgpuDevice};
    let devices = indices
        .iter()
        .map(|&i| {
            if indices.len() == 1 {
                WgpuDevice::DefaultDevice
            } else {
                WgpuDevice::DiscreteGpu(i)
            }
        })
        .collect();
    job.run::<Autodiff<Wgpu>>(devices)
}

#[cfg(not(feature = "wgpu"))]
fn wgpu<J: Job>(_: &[usize], _: J) -> Result<(), String> {
    Err("this siger-train was built without wgpu: cargo build -p siger-train --release --features wgpu".into())
}

#[cfg(feature = "cuda")]
fn cuda<J: Job>(indices: &[usize], job: J) -> Result<(), String> {
    use burn::backend::cuda::{Cuda, CudaDevice};
    let devices: Vec<CudaDevice> = indices.iter().map(|&i| CudaDevice::new(i)).collect();
    // With no driver, cudarc panics on a device thread; turn that into an error.
    let probe = devices[0].clone();
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let ok = std::panic::catch_unwind(move || {
        let t = burn::tensor::Tensor::<Cuda, 1>::zeros([1], &probe);
        t.into_data().to_vec::<f32>().is_ok()
    });
    std::panic::set_hook(quiet);
    if !matches!(ok, Ok(true)) {
        return Err("CUDA is not usable here: no NVIDIA driver (libcuda) or no GPU was found. Use --backend cpu or wgpu".into());
    }
    job.run::<Autodiff<Cuda>>(devices)
}

#[cfg(not(feature = "cuda"))]
fn cuda<J: Job>(_: &[usize], _: J) -> Result<(), String> {
    Err("this siger-train was built without CUDA: cargo build -p siger-train --release --features cuda".into())
}
