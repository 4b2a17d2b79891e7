//! Building a model: a validated configuration becomes a freshly initialised [`Model`] whose
//! every parameter has taken its value and carries the id of its name.

use burn::module::{Initializer, Module, ModuleMapper, Param, ParamId};
use burn::nn::{EmbeddingConfig, LinearConfig, RmsNormConfig};
use burn::tensor::{Tensor, backend::Backend};

use crate::model::config::{ConditioningConfig, ConfigError, ModelConfig};
use crate::model::lm::Model;

impl ModelConfig {
    /// Validates the configuration and builds a freshly initialised model. Initialisation draws
    /// from the backend's RNG: seed it (`B::seed`) for a reproducible model.
    pub fn init<B: Backend>(&self, device: &B::Device) -> Result<Model<B>, ConfigError> {
        self.validate()?;
        let embedding = EmbeddingConfig::new(self.vocab_size, self.d_model)
            .with_initializer(Initializer::Normal {
                mean: 0.0,
                std: self.init_std,
            })
            .init(device)
            .into();
        let lm_head = (!self.tie_embeddings).then(|| {
            LinearConfig::new(self.d_model, self.vocab_size)
                .with_bias(false)
                .init(device)
                .into()
        });
        let model = Model {
            embedding,
            layers: (0..self.n_layers)
                .map(|i| self.init_layer(i, device))
                .collect(),
            norm_f: RmsNormConfig::new(self.d_model)
                .with_epsilon(self.norm_eps)
                .init(device),
            lm_head,
            halting: self
                .recurrent
                .as_ref()
                .map(|r| self.init_halting(r, device)),
            conditioning: self
                .conditioning
                .as_ref()
                .map(|c| self.init_conditioning(c, device)),
        };
        Ok(materialize(model))
    }
}

impl<B: Backend> Model<B> {
    /// The same model with zero conditioning maps attached, so that it still computes exactly
    /// what it did, for fine-tuning a model pretrained without them (`finetune --conditioning`).
    /// A model that has maps keeps them.
    pub fn with_new_conditioning(mut self, config: &ConditioningConfig) -> Self {
        if self.conditioning.is_some() {
            return self;
        }
        let device = self.device();
        let d_model = self.norm_f.gamma.dims()[0];
        let shape = ModelConfig::new().with_d_model(d_model);
        self.conditioning = Some(shape.init_conditioning(config, &device));
        materialize(self)
    }
}

/// Forces every lazily initialised parameter to take its value now, in module order, and gives
/// each the [`ParamId`] of its name ([`param_id`]).
///
/// burn initialises parameters on first use, and a clone made before that draws its own random
/// values; materialising right after `init` keeps clones identical and a seeded init
/// reproducible. Name-derived ids keep optimizer state (keyed by id) valid across save and load.
pub fn materialize<B: Backend, M: Module<B>>(module: M) -> M {
    struct Materialize {
        path: ModulePath,
    }
    impl<B: Backend> ModuleMapper<B> for Materialize {
        fn enter_module(&mut self, name: &str, container: &str) {
            self.path.enter(name, container);
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.exit();
        }
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (_, tensor, mapper) = param.consume();
            Param::from_mapped_value(param_id(&self.path.name()), tensor, mapper)
        }
    }
    module.map(&mut Materialize {
        path: ModulePath::default(),
    })
}

/// Where a module visitor is, as a tensor name: the fields entered, joined with `.`.
///
/// An enum module's variant adds no segment (burn's visitors enter `Ssm` for `Mixer::Ssm`), so
/// a layer's tensors are `layers.0.mixer.in_proj.weight` whichever mixer the layer has, and
/// files written before mixers were an enum still load.
#[derive(Debug, Default)]
pub struct ModulePath {
    /// One entry per module entered; `None` for an enum variant.
    segments: Vec<Option<String>>,
}

impl ModulePath {
    /// Enters field or variant `name` of a module of kind `container` (burn's `Struct:…`,
    /// `Enum:…`).
    pub fn enter(&mut self, name: &str, container: &str) {
        let variant = container.starts_with("Enum:");
        self.segments.push((!variant).then(|| name.to_string()));
    }

    /// Leaves the module entered last.
    pub fn exit(&mut self) {
        self.segments.pop();
    }

    /// The tensor name here.
    pub fn name(&self) -> String {
        let fields: Vec<&str> = self.segments.iter().flatten().map(String::as_str).collect();
        fields.join(".")
    }

    /// Whether field `field` is one of the modules entered.
    pub fn within(&self, field: &str) -> bool {
        self.segments.iter().flatten().any(|s| s == field)
    }
}

/// The parameter id of a tensor name: 64-bit FNV-1a of the name, stable across runs and builds.
pub fn param_id(name: &str) -> ParamId {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    ParamId::from(hash)
}
