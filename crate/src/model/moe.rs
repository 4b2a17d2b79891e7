//! Sparse mixture-of-experts feed-forward: a softmax router picks the top-k of E routed SwiGLU
//! experts per token (gates renormalised to sum to 1), and shared experts see every token
//! (DeepSeekMoE-style). Training gets the Switch Transformer load-balancing loss and per-expert
//! token counts.
//!
//! # Shapes
//! N = tokens (batch × length flattened), E = routed experts, k = experts per token.

use burn::module::Module;
use burn::nn::LinearConfig;

use crate::ops::linear::Linear;
use burn::tensor::activation::softmax;

use crate::ops::activation::silu;
use burn::tensor::{Distribution, IndexingUpdateOp, Int, Tensor, TensorData, backend::Backend};

use crate::model::config::ModelConfig;

/// How routed experts are evaluated. Both give the same numbers; they differ in cost and in
/// whether the host must read the routing decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpertDispatch {
    /// Read the top-k choices back to the host and run each expert only on its tokens.
    /// Cheapest in compute; needs one synchronous read per MoE layer (fine natively).
    #[default]
    Gather,
    /// Run every expert on every token and weight by the (mostly zero) gates. No host read,
    /// so it suits WebGPU, where synchronous reads are not allowed.
    Dense,
}

/// One SwiGLU expert: `down(SiLU(gate(x)) ⊙ up(x))`.
#[derive(Module, Debug)]
pub struct Expert<B: Backend> {
    /// d_model → hidden, no bias.
    pub gate_proj: Linear<B>,
    /// d_model → hidden, no bias.
    pub up_proj: Linear<B>,
    /// hidden → d_model, no bias; scaled by 1/sqrt(2·n_layers) at init.
    pub down_proj: Linear<B>,
}

impl<B: Backend> Expert<B> {
    /// # Shapes
    /// `[N, d_model]` → `[N, d_model]`.
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let hidden = silu(self.gate_proj.forward(x.clone())) * self.up_proj.forward(x);
        self.down_proj.forward(hidden)
    }
}

/// The routing decision for a batch of tokens.
#[derive(Debug, Clone)]
pub struct Routing<B: Backend> {
    /// Router softmax over all routed experts, `[N, E]`.
    pub probs: Tensor<B, 2>,
    /// The chosen experts, `[N, k]`.
    pub top_experts: Tensor<B, 2, Int>,
    /// Gates of the chosen experts, renormalised to sum to 1 per token, `[N, k]`.
    pub gates: Tensor<B, 2>,
    /// The gates scattered over all experts (zero for unchosen ones), `[N, E]`.
    pub combine: Tensor<B, 2>,
}

/// What a MoE layer returns besides its output.
#[derive(Debug, Clone)]
pub struct MoeOutput<B: Backend> {
    /// `[N, d_model]`.
    pub output: Tensor<B, 2>,
    /// Switch load-balancing loss, `[1]`.
    pub aux_loss: Tensor<B, 1>,
    /// Tokens routed to each expert (counting each of a token's k choices), `[E]`.
    pub expert_load: Tensor<B, 1>,
}

/// The MoE feed-forward sublayer's experts and router.
#[derive(Module, Debug)]
pub struct Moe<B: Backend> {
    /// d_model → E, no bias.
    pub router: Linear<B>,
    /// The routed experts.
    pub experts: Vec<Expert<B>>,
    /// The always-on shared experts.
    pub shared_experts: Vec<Expert<B>>,
    experts_per_token: usize,
    router_jitter: f64,
    #[module(skip)]
    dispatch: ExpertDispatch,
}

/// Indices of the `k` largest scores of each row, largest first, `[N, k]`, by repeated argmax
/// (ties go to the lower index). burn 0.21 has no GPU sort: its `topk` reads the tensor back
/// synchronously, which WebGPU forbids; argmax is a GPU reduction on every backend.
fn top_k_indices<B: Backend>(mut scores: Tensor<B, 2>, k: usize) -> Tensor<B, 2, Int> {
    let [n, _] = scores.dims();
    let device = scores.device();
    let mut picks = Vec::with_capacity(k);
    for _ in 0..k {
        let pick = scores.clone().argmax(1);
        let drop = Tensor::full([n, 1], f32::NEG_INFINITY, &device);
        scores = scores.scatter(1, pick.clone(), drop, IndexingUpdateOp::Add);
        picks.push(pick);
    }
    Tensor::cat(picks, 1)
}

impl ModelConfig {
    /// Builds one layer's MoE feed-forward.
    pub(crate) fn init_moe<B: Backend>(&self, device: &B::Device) -> Moe<B> {
        let moe = &self.moe;
        let expert = || {
            let proj = |i, o| LinearConfig::new(i, o).with_bias(false);
            Expert {
                gate_proj: proj(self.d_model, moe.expert_hidden).init(device).into(),
                up_proj: proj(self.d_model, moe.expert_hidden).init(device).into(),
                down_proj: proj(moe.expert_hidden, self.d_model)
                    .with_initializer(self.residual_init())
                    .init(device)
                    .into(),
            }
        };
        let router_init = burn::module::Initializer::Normal {
            mean: 0.0,
            std: self.init_std,
        };
        Moe {
            router: LinearConfig::new(self.d_model, moe.routed_experts)
                .with_bias(false)
                .with_initializer(router_init)
                .init(device)
                .into(),
            experts: (0..moe.routed_experts).map(|_| expert()).collect(),
            shared_experts: (0..moe.shared_experts).map(|_| expert()).collect(),
            experts_per_token: moe.experts_per_token,
            router_jitter: moe.router_jitter,
            dispatch: ExpertDispatch::default(),
        }
    }
}

impl<B: Backend> Moe<B> {
    /// The same layer evaluating its routed experts with `dispatch`.
    pub fn with_dispatch(mut self, dispatch: ExpertDispatch) -> Self {
        self.dispatch = dispatch;
        self
    }

    /// Routes tokens: softmax over experts, top-k, renormalised gates.
    /// With `train`, applies the configured router jitter.
    pub fn route(&self, x: Tensor<B, 2>, train: bool) -> Routing<B> {
        let x = if train && self.router_jitter > 0.0 {
            let eps = self.router_jitter;
            let noise = x.random_like(Distribution::Uniform(1.0 - eps, 1.0 + eps));
            x * noise
        } else {
            x
        };
        let probs = softmax(self.router.forward(x), 1);
        let top_experts = top_k_indices(probs.clone().detach(), self.experts_per_token);
        let chosen = probs.clone().gather(1, top_experts.clone());
        let gates = chosen.clone() / chosen.sum_dim(1);
        let combine = probs.zeros_like().scatter(
            1,
            top_experts.clone(),
            gates.clone(),
            IndexingUpdateOp::Add,
        );
        Routing {
            probs,
            top_experts,
            gates,
            combine,
        }
    }

    /// Runs the sublayer (without its norm and residual).
    ///
    /// # Shapes
    /// x `[N, d_model]` → output `[N, d_model]`.
    pub fn forward(&self, x: Tensor<B, 2>, train: bool) -> MoeOutput<B> {
        let routing = self.route(x.clone(), train);
        let output = self.experts_output(x, &routing);
        let expert_load = self.expert_load(&routing);
        let aux_loss = self.load_balancing_loss(&routing, expert_load.clone());
        MoeOutput {
            output,
            aux_loss,
            expert_load,
        }
    }

    /// The output alone, without the load-balancing statistics (decoding needs none).
    ///
    /// # Shapes
    /// x `[N, d_model]` → `[N, d_model]`.
    pub fn infer(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let routing = self.route(x.clone(), false);
        self.experts_output(x, &routing)
    }

    /// Routed experts (as `routing` says) plus the shared ones.
    fn experts_output(&self, x: Tensor<B, 2>, routing: &Routing<B>) -> Tensor<B, 2> {
        let mut output = match self.dispatch {
            ExpertDispatch::Dense => self.routed_dense(x.clone(), routing),
            ExpertDispatch::Gather => self.routed_gather(x.clone(), routing),
        };
        for expert in &self.shared_experts {
            output = output + expert.forward(x.clone());
        }
        output
    }

    fn routed_dense(&self, x: Tensor<B, 2>, routing: &Routing<B>) -> Tensor<B, 2> {
        let mut out = x.zeros_like();
        for (e, expert) in self.experts.iter().enumerate() {
            let gate = routing.combine.clone().narrow(1, e, 1);
            out = out + expert.forward(x.clone()) * gate;
        }
        out
    }

    fn routed_gather(&self, x: Tensor<B, 2>, routing: &Routing<B>) -> Tensor<B, 2> {
        let device = x.device();
        let choices: Vec<i64> = routing
            .top_experts
            .to_data()
            .convert::<i64>()
            .to_vec()
            .expect("routing indices are integers");
        let k = self.experts_per_token;
        let mut out = x.zeros_like();
        for (e, expert) in self.experts.iter().enumerate() {
            let rows: Vec<i64> = choices
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == e as i64)
                .map(|(i, _)| (i / k) as i64)
                .collect();
            if rows.is_empty() {
                continue;
            }
            let count = rows.len();
            let rows = Tensor::<B, 1, Int>::from_data(TensorData::new(rows, [count]), &device);
            let gate = routing
                .combine
                .clone()
                .select(0, rows.clone())
                .narrow(1, e, 1);
            let y = expert.forward(x.clone().select(0, rows.clone())) * gate;
            out = out.select_assign(0, rows, y, IndexingUpdateOp::Add);
        }
        out
    }

    /// Tokens per routed expert, counting each of a token's k choices. Not differentiable.
    fn expert_load(&self, routing: &Routing<B>) -> Tensor<B, 1> {
        let [n, k] = routing.top_experts.dims();
        let flat = routing.top_experts.clone().reshape([n * k]);
        let device = flat.device();
        Tensor::zeros([self.experts.len()], &device).scatter(
            0,
            flat,
            Tensor::ones([n * k], &device),
            IndexingUpdateOp::Add,
        )
    }

    /// Switch Transformer (Fedus et al. 2021, eq. 4): E · Σ_e f_e · P_e, where f_e is the
    /// fraction of routing choices that went to expert e and P_e its mean router probability.
    /// 1.0 when balanced; gradients flow through P only.
    fn load_balancing_loss(&self, routing: &Routing<B>, expert_load: Tensor<B, 1>) -> Tensor<B, 1> {
        let [n, k] = routing.top_experts.dims();
        let experts = self.experts.len() as f64;
        let fraction = expert_load.detach() / (n * k) as f64;
        let mean_prob = routing.probs.clone().mean_dim(0).squeeze_dim::<1>(0);
        (fraction * mean_prob).sum() * experts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::MoeConfig;
    use crate::model::init::materialize;
    use crate::ops::linear::Weight;
    use crate::test_util::{TestAutodiff, TestBackend, assert_close, random, random_on, seeded};
    use burn::module::Param;

    fn config() -> ModelConfig {
        ModelConfig::tiny().with_moe(
            MoeConfig::new()
                .with_routed_experts(6)
                .with_experts_per_token(2)
                .with_expert_hidden(16),
        )
    }

    #[test]
    fn exactly_k_experts_get_weight_and_gates_sum_to_one() {
        let device = Default::default();
        let moe = seeded(1, || materialize(config().init_moe::<TestBackend>(&device)));
        let routing = moe.route(random([40, 32], 1, &device), false);
        let combine: Vec<f32> = routing.combine.to_data().to_vec().unwrap();
        for row in combine.chunks(6) {
            assert_eq!(row.iter().filter(|g| **g > 0.0).count(), 2, "{row:?}");
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{row:?}");
        }
        // The chosen experts are the most probable ones.
        let probs: Vec<f32> = routing.probs.to_data().to_vec().unwrap();
        for (p, c) in probs.chunks(6).zip(combine.chunks(6)) {
            let min_chosen = (0..6)
                .filter(|&e| c[e] > 0.0)
                .map(|e| p[e])
                .fold(f32::MAX, f32::min);
            let max_other = (0..6)
                .filter(|&e| c[e] == 0.0)
                .map(|e| p[e])
                .fold(0.0, f32::max);
            assert!(min_chosen >= max_other);
        }
    }

    #[test]
    fn gather_and_dense_dispatch_agree() {
        let device = Default::default();
        let moe = seeded(1, || materialize(config().init_moe::<TestBackend>(&device)));
        let x = random([30, 32], 2, &device);
        let gather = moe
            .clone()
            .with_dispatch(ExpertDispatch::Gather)
            .forward(x.clone(), false);
        let dense = moe
            .clone()
            .with_dispatch(ExpertDispatch::Dense)
            .forward(x.clone(), false);
        assert_close(gather.output.clone(), dense.output, 1e-5, "moe output");
        assert_close(moe.infer(x), gather.output, 0.0, "inference output");
        let load: Vec<f32> = gather.expert_load.to_data().to_vec().unwrap();
        assert_eq!(load.iter().sum::<f32>(), 60.0);
    }

    #[test]
    fn uniform_router_has_the_analytic_aux_loss() {
        // A zero router gives p = 1/E for every expert, so E · Σ f_e / E = Σ f_e = 1.
        let device = Default::default();
        let mut moe = seeded(1, || materialize(config().init_moe::<TestBackend>(&device)));
        moe.router.weight = Weight::Float(Param::from_tensor(Tensor::zeros([32, 6], &device)));
        let out = moe.forward(random([25, 32], 3, &device), false);
        let aux: f32 = out.aux_loss.into_scalar();
        assert!((aux - 1.0).abs() < 1e-6, "aux loss {aux}");
    }

    #[test]
    fn gradients_reach_router_routed_and_shared_experts() {
        let device = Default::default();
        let moe = seeded(2, || {
            materialize(config().init_moe::<TestAutodiff>(&device))
        });
        let x = random_on::<TestAutodiff, 2>([20, 32], 4, &device);
        let out = moe.forward(x, true);
        let loss = out.output.powi_scalar(2).mean() + out.aux_loss;
        let grads = loss.backward();
        let norm = |w: &Weight<TestAutodiff>| -> f32 {
            let p = w.float().expect("float weight");
            p.grad(&grads).expect("gradient").abs().sum().into_scalar()
        };
        assert!(norm(&moe.router.weight) > 0.0, "router");
        assert!(
            norm(&moe.shared_experts[0].down_proj.weight) > 0.0,
            "shared expert"
        );
        let routed: f32 = moe.experts.iter().map(|e| norm(&e.up_proj.weight)).sum();
        assert!(routed > 0.0, "routed experts");
    }
}
