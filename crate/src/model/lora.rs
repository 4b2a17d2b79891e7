//! LoRA adapters (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"): a
//! frozen linear `y = x W` learns `y = x W + (α / r) · x A B`, with `A` `[d_in, r]` drawn small
//! and `B` `[r, d_out]` zero, so training starts from the base model exactly and only `A` and `B`
//! (and their optimizer state) are trained.
//!
//! Adapters ([`Lora`]) go on the projections the [`LoraConfig`] names in every layer: the SSM
//! mixer's `in_proj`, `x_proj`, `dt_proj`, `out_proj` and the attention mixer's `q_proj`,
//! `kv_down`, `k_up`, `v_up`, `out_proj` (the default: every mixer projection) and the experts'
//! `gate_proj`, `up_proj`, `down_proj`. [`attach`] freezes every base parameter and
//! adds fresh adapters; [`merge`] folds them into the weights (`W + (α / r) A B`) and removes
//! them, leaving a normal model that saves, exports and quantizes as any other. Moving just the
//! adapters to and from files (named `layers.3.mixer.in_proj.lora.a`) is the adapter folder
//! module of `io`.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Tensor, backend::Backend};
use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::model::init::{ModulePath, materialize};
use crate::ops::linear::{Linear, Weight};
use crate::ops::lora::Lora;

/// A projection an adapter can go on: the SSM mixer's four, the attention mixer's five (its
/// `out_proj` shares the SSM's name), or the experts' three (every routed and shared expert of
/// every MoE layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoraTarget {
    /// d_model → 2·d_inner (x and z).
    InProj,
    /// d_inner → Δ's low rank, B, C.
    XProj,
    /// Δ's low rank → d_inner.
    DtProj,
    /// The mixer's output → d_model (SSM and attention).
    OutProj,
    /// Attention: d_model → queries.
    QProj,
    /// Attention: d_model → the cached latent and rotary key.
    KvDown,
    /// Attention: latent → keys.
    KUp,
    /// Attention: latent → values.
    VUp,
    /// An expert's d_model → hidden gate.
    GateProj,
    /// An expert's d_model → hidden.
    UpProj,
    /// An expert's hidden → d_model.
    DownProj,
}

impl LoraTarget {
    /// Every target, in the order a token meets them.
    pub const ALL: [Self; 11] = [
        Self::InProj,
        Self::XProj,
        Self::DtProj,
        Self::OutProj,
        Self::QProj,
        Self::KvDown,
        Self::KUp,
        Self::VUp,
        Self::GateProj,
        Self::UpProj,
        Self::DownProj,
    ];

    /// Every mixer projection (each layer has those of its mixer), the first eight of
    /// [`Self::ALL`]: the default targets.
    pub const MIXER: &'static [Self] = Self::ALL.split_at(8).0;

    /// The projection's name (`in_proj`, …): its field in the mixer or the expert.
    pub fn name(self) -> &'static str {
        match self {
            Self::InProj => "in_proj",
            Self::XProj => "x_proj",
            Self::DtProj => "dt_proj",
            Self::OutProj => "out_proj",
            Self::QProj => "q_proj",
            Self::KvDown => "kv_down",
            Self::KUp => "k_up",
            Self::VUp => "v_up",
            Self::GateProj => "gate_proj",
            Self::UpProj => "up_proj",
            Self::DownProj => "down_proj",
        }
    }

    /// Every target's name, comma-separated (for messages).
    pub fn names() -> String {
        Self::ALL.map(Self::name).join(", ")
    }

    /// The target named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name.trim())
    }
}

/// Where adapters go and how large they are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoraConfig {
    /// `r`: the adapters' inner width.
    pub rank: usize,
    /// `α`: the update is scaled by `α / r`.
    pub alpha: f64,
    /// The projections adapted in every layer.
    pub targets: Vec<LoraTarget>,
}

impl LoraConfig {
    /// Rank `rank` on every mixer projection, `α = r` (scale 1).
    pub fn new(rank: usize) -> Self {
        Self {
            rank,
            alpha: rank as f64,
            targets: LoraTarget::MIXER.to_vec(),
        }
    }

    /// Checks the rank, α and targets, saying what to change.
    pub fn validate(&self) -> Result<(), LoraError> {
        if self.rank == 0 {
            return Err(LoraError::Config("the LoRA rank must be at least 1".into()));
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(LoraError::Config(format!(
                "LoRA alpha must be a positive number, not {}",
                self.alpha
            )));
        }
        if self.targets.is_empty() {
            return Err(LoraError::Config(format!(
                "name at least one LoRA target ({})",
                LoraTarget::names()
            )));
        }
        Ok(())
    }

    /// `α / r`.
    pub fn scale(&self) -> f64 {
        self.alpha / self.rank as f64
    }
}

/// Why adapters could not be attached, loaded or merged.
#[derive(Debug, thiserror::Error)]
pub enum LoraError {
    /// The configuration is unusable.
    #[error("{0}")]
    Config(String),
    /// A projection is quantized: adapters train and merge on float weights only.
    #[error("`{0}` is quantized: dequantize the bundle first (`io::weights::dequantize`)")]
    Quantized(String),
}

/// Every projection of `model` among `targets`, with the name its adapter's tensors go under
/// (`layers.3.mixer.in_proj.lora`).
pub fn targets_mut<'m, B: Backend>(
    model: &'m mut Model<B>,
    targets: &[LoraTarget],
) -> Vec<(String, &'m mut Linear<B>)> {
    let mut out = Vec::new();
    for (i, layer) in model.layers.iter_mut().enumerate() {
        for (field, linear) in layer.mixer.linears_mut() {
            if targets.iter().any(|t| t.name() == field) {
                out.push((format!("layers.{i}.mixer.{field}.lora"), linear));
            }
        }
        let Some(feed_forward) = layer.feed_forward.as_mut() else {
            continue;
        };
        let moe = &mut feed_forward.moe;
        for (group, experts) in [
            ("experts", &mut moe.experts),
            ("shared_experts", &mut moe.shared_experts),
        ] {
            for (j, expert) in experts.iter_mut().enumerate() {
                let all = [
                    (LoraTarget::GateProj, &mut expert.gate_proj),
                    (LoraTarget::UpProj, &mut expert.up_proj),
                    (LoraTarget::DownProj, &mut expert.down_proj),
                ];
                for (target, linear) in all {
                    if targets.contains(&target) {
                        let name = target.name();
                        let prefix = format!("layers.{i}.feed_forward.moe.{group}.{j}.{name}.lora");
                        out.push((prefix, linear));
                    }
                }
            }
        }
    }
    out
}

/// `model` with every base parameter frozen and fresh adapters (`B` = 0: the same outputs) on
/// `config`'s targets. The base must be float (not a quantized bundle). Adapters draw `A` from
/// the backend's RNG (seed it for a reproducible run).
pub fn attach<B: Backend>(model: Model<B>, config: &LoraConfig) -> Result<Model<B>, LoraError> {
    config.validate()?;
    let mut model = model;
    let device = model.device();
    let targets = targets_mut(&mut model, &config.targets);
    if targets.is_empty() {
        let asked: Vec<&str> = config.targets.iter().map(|t| t.name()).collect();
        return Err(LoraError::Config(format!(
            "this model has none of the LoRA targets {} (attention targets exist only on attention layers, SSM targets only on SSM layers)",
            asked.join(", ")
        )));
    }
    for (name, linear) in targets {
        let Weight::Float(weight) = &linear.weight else {
            return Err(LoraError::Quantized(name));
        };
        let [d_in, d_out] = weight.dims();
        linear.lora = Some(Lora::new(d_in, d_out, config.rank, config.scale(), &device));
    }
    Ok(freeze_base(materialize(model)))
}

/// `module` with only its adapters (parameters under a `lora` module) trainable. Trainability
/// is not part of what is saved, so a loaded model is frozen again with this.
pub fn freeze_base<B: Backend, M: Module<B>>(module: M) -> M {
    struct Freeze {
        path: ModulePath,
    }
    impl<B: Backend> ModuleMapper<B> for Freeze {
        fn enter_module(&mut self, name: &str, container: &str) {
            self.path.enter(name, container);
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.exit();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let adapter = self.path.within("lora");
            param.set_require_grad(adapter)
        }
    }
    module.map(&mut Freeze {
        path: ModulePath::default(),
    })
}

/// `module` with every parameter trainable.
fn thaw<B: Backend, M: Module<B>>(module: M) -> M {
    struct Thaw;
    impl<B: Backend> ModuleMapper<B> for Thaw {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            param.set_require_grad(true)
        }
    }
    module.map(&mut Thaw)
}

/// Whether `model` carries adapters.
pub fn has_adapters<B: Backend>(model: &Model<B>) -> bool {
    struct Find {
        depth_in_lora: usize,
        found: bool,
    }
    impl<B: Backend> ModuleVisitor<B> for Find {
        fn enter_module(&mut self, name: &str, _: &str) {
            if name == "lora" || self.depth_in_lora > 0 {
                self.depth_in_lora += 1;
            }
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.depth_in_lora = self.depth_in_lora.saturating_sub(1);
        }
        fn visit_float<const D: usize>(&mut self, _: &Param<Tensor<B, D>>) {
            self.found |= self.depth_in_lora > 0;
        }
    }
    let mut find = Find {
        depth_in_lora: 0,
        found: false,
    };
    model.visit(&mut find);
    find.found
}

/// `model` with every adapter folded into its weight (`W + s · A B`) and removed: a plain
/// model, trainable again.
pub fn merge<B: Backend>(model: Model<B>) -> Result<Model<B>, LoraError> {
    let mut model = model;
    for (name, linear) in targets_mut(&mut model, &LoraTarget::ALL) {
        let Some(lora) = linear.lora.take() else {
            continue;
        };
        let Weight::Float(weight) = &linear.weight else {
            return Err(LoraError::Quantized(name));
        };
        let merged = weight.val().detach() + lora.delta().detach();
        linear.weight = Weight::Float(Param::initialized(weight.id, merged));
    }
    Ok(thaw(model))
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, Int};

    use super::*;
    use crate::model::ModelConfig;
    // Autodiff, so that parameters can require gradients.
    use crate::test_util::{TestAutodiff as B, assert_close, seeded};

    fn tiny() -> (ModelConfig, Model<B>) {
        let config = ModelConfig::tiny();
        let model = config.init::<B>(&Default::default()).unwrap();
        (config, model)
    }

    fn tokens() -> Tensor<B, 2, Int> {
        Tensor::from_ints(
            [[1, 5, 9, 3, 7, 2], [4, 4, 8, 0, 6, 1]],
            &Default::default(),
        )
    }

    /// `model` with every adapter's `B` set to small random values, so adapters change outputs.
    fn with_random_b(model: Model<B>) -> Model<B> {
        let mut model = model;
        for (_, linear) in targets_mut(&mut model, &LoraTarget::ALL) {
            if let Some(lora) = linear.lora.as_mut() {
                let dims = lora.b.dims();
                let b = Tensor::random(dims, Distribution::Uniform(-0.2, 0.2), &Default::default());
                lora.b = Param::from_tensor(b);
            }
        }
        model
    }

    #[test]
    fn fresh_adapters_change_nothing_and_freeze_the_base() {
        // Holds the test RNG's lock: every draw here (init, adapters) would disturb tests
        // that seed it.
        seeded(0, || {
            let (_, model) = tiny();
            let before = model.forward(tokens()).logits;
            let adapted = attach(model, &LoraConfig::new(4)).unwrap();
            assert!(has_adapters(&adapted));
            let after = adapted.forward(tokens()).logits;
            assert_close(after, before, 1e-6, "fresh adapters");
            let trainable: Vec<String> = trainable_names(&adapted);
            assert!(!trainable.is_empty());
            assert!(
                trainable.iter().all(|n| n.contains(".lora.")),
                "{trainable:?}"
            );
        })
    }

    fn trainable_names(model: &Model<B>) -> Vec<String> {
        struct Names(Vec<String>, ModulePath);
        impl burn::module::ModuleVisitor<B> for Names {
            fn enter_module(&mut self, name: &str, container: &str) {
                self.1.enter(name, container);
            }
            fn exit_module(&mut self, _: &str, _: &str) {
                self.1.exit();
            }
            fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<B, D>>) {
                if param.is_require_grad() {
                    self.0.push(self.1.name());
                }
            }
        }
        let mut names = Names(Vec::new(), ModulePath::default());
        model.visit(&mut names);
        names.0
    }

    #[test]
    fn targets_the_model_lacks_are_refused() {
        seeded(0, || {
            let (_, model) = tiny();
            let config = LoraConfig {
                targets: vec![LoraTarget::QProj, LoraTarget::KUp],
                ..LoraConfig::new(4)
            };
            let err = attach(model, &config).unwrap_err().to_string();
            assert!(err.contains("q_proj, k_up"), "{err}");
            let hybrid = crate::test_util::hybrid_config()
                .init::<B>(&Default::default())
                .unwrap();
            let adapted = attach(hybrid, &config).unwrap();
            let names = trainable_names(&adapted);
            assert_eq!(names.len(), 4, "{names:?}");
            assert!(names.iter().all(|n| n.starts_with("layers.1.mixer.")));
        })
    }

    #[test]
    fn merged_logits_equal_base_plus_adapter() {
        // Holds the test RNG's lock: every draw here (init, adapters) would disturb tests
        // that seed it.
        seeded(0, || {
            let (_, model) = tiny();
            let config = LoraConfig {
                rank: 3,
                alpha: 6.0,
                targets: vec![
                    LoraTarget::InProj,
                    LoraTarget::DtProj,
                    LoraTarget::OutProj,
                    LoraTarget::GateProj,
                    LoraTarget::DownProj,
                ],
            };
            let adapted = with_random_b(attach(model, &config).unwrap());
            let trainable = trainable_names(&adapted);
            for name in [
                "layers.1.feed_forward.moe.experts.3.gate_proj.lora.a",
                "layers.1.feed_forward.moe.shared_experts.0.down_proj.lora.b",
            ] {
                assert!(trainable.iter().any(|n| n == name), "{name}");
            }
            assert!(
                !trainable.iter().any(|n| n.contains("up_proj")),
                "not a target"
            );
            let with_adapters = adapted.forward(tokens()).logits;
            let merged = merge(adapted).unwrap();
            assert!(!has_adapters(&merged));
            let merged_logits = merged.forward(tokens()).logits;
            assert_close(merged_logits, with_adapters, 1e-4, "merged vs adapters");
            assert!(
                trainable_names(&merged)
                    .iter()
                    .any(|n| n == "embedding.weight")
            );
        })
    }

    #[test]
    fn targets_parse_by_name() {
        for t in LoraTarget::ALL {
            assert_eq!(LoraTarget::parse(t.name()), Some(t));
        }
        assert_eq!(LoraTarget::parse("conv"), None);
        let json = serde_json::to_string(&LoraConfig::new(8)).unwrap();
        assert!(json.contains("\"in_proj\""), "{json}");
    }
}
