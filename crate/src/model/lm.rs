//! The language model: token embedding (plus, optionally, the conversation's topic and context
//! vector) → layers (one of them, optionally, looped per token with adaptive halting) → final
//! RMSNorm → LM head (tied to the embedding by default).
//!
//! Three entry points share the same layers: [`Model::forward`] over whole sequences (training;
//! returns logits for every position and the MoE signals), [`Model::prefill`] (reads a prompt
//! into a [`State`], returns the last position's logits) and [`Model::step`] (one token).

use burn::module::Module;
use burn::nn::RmsNorm;
use burn::tensor::{Int, Tensor, backend::Backend};

use crate::model::block::{Layer, MoeSignals};
use crate::model::condition::Conditioning;
use crate::model::moe::ExpertDispatch;
use crate::model::recurrent::Halting;
use crate::model::ssm::ScanMode;
use crate::model::state::{LayerState, State};
use crate::ops::linear::{Embedding, Linear};
use crate::text::{ConditionIds, Message, Tokenizer, TokenizerError, TopicContext};

/// The model.
#[derive(Module, Debug)]
pub struct Model<B: Backend> {
    /// Token embedding, `[vocab_size, d_model]`.
    pub embedding: Embedding<B>,
    /// The layers, in order.
    pub layers: Vec<Layer<B>>,
    /// Final norm.
    pub norm_f: RmsNorm<B>,
    /// LM head (d_model → vocab), absent when tied to the embedding.
    pub lm_head: Option<Linear<B>>,
    /// The halting unit of the recurrent-depth layer (`recurrent` in the config), absent
    /// without one.
    pub halting: Option<Halting<B>>,
    /// The topic and context maps (`conditioning` in the config), absent without them.
    pub conditioning: Option<Conditioning<B>>,
}

/// What a full-sequence forward pass returns.
#[derive(Debug, Clone)]
pub struct ModelOutput<B: Backend> {
    /// Next-token logits for every position, `[b, l, vocab_size]`.
    pub logits: Tensor<B, 3>,
    /// Load-balancing loss averaged over MoE layers (zero without MoE), `[1]`. Not yet weighted
    /// by `moe.aux_loss_weight`.
    pub aux_loss: Tensor<B, 1>,
    /// Tokens per routed expert for each MoE layer, in layer order, each `[E]`.
    pub expert_load: Vec<Tensor<B, 1>>,
    /// The recurrent-depth layer's ponder cost, loops + remainder averaged over positions (zero
    /// without one), `[1]`. Not yet weighted by `recurrent.ponder_weight`.
    pub ponder: Tensor<B, 1>,
    /// Loops the recurrent-depth layer ran at each position, `[b, l]`; `None` without one.
    pub loops: Option<Tensor<B, 2>>,
}

impl<B: Backend> ModelOutput<B> {
    /// Fraction of (layer, expert) pairs that received no token in this batch. Reads the counts
    /// back to the host.
    pub fn dead_expert_fraction(&self) -> f32 {
        let counts: Vec<f32> = self
            .expert_load
            .iter()
            .flat_map(|load| {
                load.to_data()
                    .convert::<f32>()
                    .to_vec::<f32>()
                    .unwrap_or_default()
            })
            .collect();
        if counts.is_empty() {
            return 0.0;
        }
        counts.iter().filter(|&&c| c == 0.0).count() as f32 / counts.len() as f32
    }
}

impl<B: Backend> Model<B> {
    /// The same model evaluating its routed experts with `dispatch` (see [`ExpertDispatch`]).
    pub fn with_dispatch(mut self, dispatch: ExpertDispatch) -> Self {
        self.layers = self
            .layers
            .into_iter()
            .map(|l| l.with_dispatch(dispatch))
            .collect();
        self
    }

    /// The same model running the selective scan with `mode` (see [`ScanMode`]).
    pub fn with_scan(mut self, mode: ScanMode) -> Self {
        self.layers = self.layers.into_iter().map(|l| l.with_scan(mode)).collect();
        self
    }

    /// The same model running every loop of its recurrent-depth layer on every backend (see
    /// [`Halting::with_all_loops`]); no change without one.
    pub fn with_all_loops(mut self, all: bool) -> Self {
        self.halting = self.halting.map(|h| h.with_all_loops(all));
        self
    }

    /// The state before any token, for `batch` sequences.
    pub fn zero_state(&self, batch: usize, device: &B::Device) -> State<B> {
        let looped = self.halting.as_ref().map(|h| (h.layer(), h.max_loops()));
        let layer_state = |(i, layer): (usize, &Layer<B>)| match (
            looped,
            layer.mixer.zero_state(batch, device),
        ) {
            (Some((at, loops)), LayerState::Ssm(s)) if at == i => {
                LayerState::Looped(vec![s; loops])
            }
            (_, state) => state,
        };
        let d_model = self.norm_f.gamma.dims()[0];
        State {
            layers: self.layers.iter().enumerate().map(layer_state).collect(),
            position: 0,
            loops: None,
            condition: self
                .conditioning
                .as_ref()
                .map(|_| Tensor::zeros([batch, d_model], device)),
        }
    }

    /// For a conditioned model, the vector each of `conditions` adds to every token's
    /// embedding, `[n, d_model]` (put a conversation's in [`State::condition`]); `None` for a
    /// model without conditioning. Ids must be below [`Self::vocab_size`].
    pub fn condition(&self, conditions: &[ConditionIds]) -> Option<Tensor<B, 2>> {
        let conditioning = self.conditioning.as_ref()?;
        Some(conditioning.vectors(&self.embedding, conditions))
    }

    /// The device the model's tensors are on.
    pub fn device(&self) -> B::Device {
        self.norm_f.gamma.device()
    }

    /// Vocabulary size of the embedding.
    pub fn vocab_size(&self) -> usize {
        self.embedding.vocab_size()
    }

    /// Full sequences from a zero state, as for evaluation. Token ids must be below
    /// [`Self::vocab_size`].
    ///
    /// # Shapes
    /// tokens `[b, l]` → logits `[b, l, vocab_size]`.
    pub fn forward(&self, tokens: Tensor<B, 2, Int>) -> ModelOutput<B> {
        self.forward_conditioned(tokens, None, false)
    }

    /// As [`Self::forward`], with the training-only router jitter applied.
    pub fn forward_train(&self, tokens: Tensor<B, 2, Int>) -> ModelOutput<B> {
        self.forward_conditioned(tokens, None, true)
    }

    /// Full sequences from a zero state, each position adding its own condition vector
    /// (`[b, l, d_model]`, rows of [`Self::condition`]: packed windows hold several
    /// conversations), the router jittered when `train`.
    pub fn forward_conditioned(
        &self,
        tokens: Tensor<B, 2, Int>,
        condition: Option<Tensor<B, 3>>,
        train: bool,
    ) -> ModelOutput<B> {
        let state = self.zero_state(tokens.dims()[0], &tokens.device());
        self.run(tokens, state, train, condition).0
    }

    /// Full sequences continuing from `state`; returns the outputs and the state after them.
    pub fn forward_with_state(
        &self,
        tokens: Tensor<B, 2, Int>,
        state: State<B>,
    ) -> (ModelOutput<B>, State<B>) {
        self.run(tokens, state, false, None)
    }

    /// Reads `tokens` into `state` and returns the logits after the last one.
    ///
    /// # Shapes
    /// tokens `[b, l]` (l ≥ 1) → logits `[b, vocab_size]`.
    pub fn prefill(&self, tokens: Tensor<B, 2, Int>, state: &mut State<B>) -> Tensor<B, 2> {
        let (hidden, next, _) = self.trunk(tokens, state.clone(), false, None);
        *state = next.state;
        let [_, l, _] = hidden.dims();
        self.head(hidden.narrow(1, l - 1, 1)).squeeze_dim(1)
    }

    /// Reads one token per sequence and returns the next-token logits.
    ///
    /// # Shapes
    /// tokens `[b]` → logits `[b, vocab_size]`.
    pub fn step(&self, tokens: Tensor<B, 1, Int>, state: &mut State<B>) -> Tensor<B, 2> {
        let mut x = self
            .embedding
            .forward(tokens.unsqueeze_dim(1))
            .squeeze_dim::<2>(1);
        if let Some(condition) = &state.condition {
            x = x + condition.clone();
        }
        let mut loops = None;
        for (layer, layer_state) in self.layers.iter().zip(state.layers.iter_mut()) {
            x = match (layer_state, &self.halting) {
                (LayerState::Looped(states), Some(halting)) => {
                    let out = halting.run(layer, x.unsqueeze_dim(1), std::mem::take(states), false);
                    *states = out.states;
                    loops = Some(out.loops);
                    out.hidden.squeeze_dim(1)
                }
                (layer_state, _) => layer.step(x, layer_state),
            };
        }
        state.position += 1;
        state.loops = loops;
        self.head(x.unsqueeze_dim(1)).squeeze_dim(1)
    }

    fn run(
        &self,
        tokens: Tensor<B, 2, Int>,
        state: State<B>,
        train: bool,
        condition: Option<Tensor<B, 3>>,
    ) -> (ModelOutput<B>, State<B>) {
        let (hidden, trunk, signals) = self.trunk(tokens, state, train, condition);
        let logits = self.head(hidden);
        let device = logits.device();
        let ponder = match &trunk.ponder {
            Some(p) => p.clone().mean(),
            None => Tensor::zeros([1], &device),
        };
        let aux_loss = match signals.len() {
            0 => Tensor::zeros([1], &device),
            n => {
                Tensor::cat(signals.iter().map(|s| s.aux_loss.clone()).collect(), 0).sum()
                    / n as f64
            }
        };
        let expert_load = signals.into_iter().map(|s| s.expert_load).collect();
        (
            ModelOutput {
                logits,
                aux_loss,
                expert_load,
                ponder,
                loops: trunk.state.loops.clone(),
            },
            trunk.state,
        )
    }

    /// The layers over `tokens` from `state`; each position adds `condition`'s row where given,
    /// else the state's condition.
    fn trunk(
        &self,
        tokens: Tensor<B, 2, Int>,
        state: State<B>,
        train: bool,
        condition: Option<Tensor<B, 3>>,
    ) -> (Tensor<B, 3>, Trunk<B>, Vec<MoeSignals<B>>) {
        let length = tokens.dims()[1];
        let mut x = self.embedding.forward(tokens);
        match (condition, &state.condition) {
            (Some(per_position), _) => x = x + per_position,
            (None, Some(conversation)) => x = x + conversation.clone().unsqueeze_dim(1),
            (None, None) => {}
        }
        let mut layer_states = Vec::with_capacity(self.layers.len());
        let mut signals = Vec::new();
        let (mut loops, mut ponder) = (None, None);
        for (layer, layer_state) in self.layers.iter().zip(state.layers) {
            let (out, next, moe) = match (layer_state, &self.halting) {
                (LayerState::Looped(states), Some(halting)) => {
                    let out = halting.run(layer, x, states, train);
                    loops = Some(out.loops);
                    ponder = Some(out.ponder);
                    (out.hidden, LayerState::Looped(out.states), out.signals)
                }
                (layer_state, _) => {
                    let (out, next, moe) = layer.forward(x, layer_state, train);
                    (out, next, moe.into_iter().collect())
                }
            };
            x = out;
            layer_states.push(next);
            signals.extend(moe);
        }
        let state = State {
            layers: layer_states,
            position: state.position + length,
            loops,
            condition: state.condition,
        };
        (x, Trunk { state, ponder }, signals)
    }

    /// # Shapes
    /// `[b, l, d_model]` → `[b, l, vocab_size]`.
    fn head(&self, hidden: Tensor<B, 3>) -> Tensor<B, 3> {
        let hidden = self.norm_f.forward(hidden);
        match &self.lm_head {
            Some(head) => head.forward(hidden),
            None => self.embedding.head(hidden),
        }
    }
}

/// Conversations.
impl<B: Backend> Model<B> {
    /// The state before any token of a conversation of `messages` (one sequence): a
    /// conditioned model's carries the topic and context they declare ([`TopicContext::of`];
    /// zeros when they declare none).
    pub fn conversation_state(
        &self,
        messages: &[Message],
        tokenizer: &Tokenizer,
    ) -> Result<State<B>, TokenizerError> {
        let mut state = self.zero_state(1, &self.device());
        if let Some(declared) = TopicContext::of(messages)
            && self.conditioning.is_some()
        {
            state.condition = self.condition(&[declared.encode(tokenizer)?]);
        }
        Ok(state)
    }
}

/// The state after a pass through the layers, and the recurrent-depth layer's ponder cost.
struct Trunk<B: Backend> {
    state: State<B>,
    ponder: Option<Tensor<B, 2>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::{ModelConfig, MoeConfig};
    use crate::model::state::LayerState;
    use crate::test_util::{TestBackend, assert_close, random, seeded};
    use burn::tensor::TensorData;

    type B = TestBackend;

    fn tokens(batch: usize, len: usize, vocab: usize) -> Tensor<B, 2, Int> {
        let ids: Vec<i64> = (0..batch * len)
            .map(|i| ((i * 7919 + 13) % vocab) as i64)
            .collect();
        Tensor::from_data(TensorData::new(ids, [batch, len]), &Default::default())
    }

    fn model(config: &ModelConfig) -> Model<B> {
        seeded(7, || config.init(&Default::default()).unwrap())
    }

    fn random_state(model: &Model<B>, batch: usize) -> State<B> {
        let mut state = model.zero_state(batch, &Default::default());
        for (i, layer) in state.layers.iter_mut().enumerate() {
            if let LayerState::Ssm(layer) = layer {
                let device = Default::default();
                layer.conv_state = random(layer.conv_state.dims(), 100 + i as u64, &device);
                layer.ssm_state = random(layer.ssm_state.dims(), 200 + i as u64, &device);
            }
        }
        state
    }

    /// Logits of a loop of `step` over `tokens`, from `state`.
    fn stepped(
        model: &Model<B>,
        tokens: Tensor<B, 2, Int>,
        mut state: State<B>,
    ) -> (Tensor<B, 3>, State<B>) {
        let [_, len] = tokens.dims();
        let logits = (0..len)
            .map(|t| {
                let token = tokens.clone().narrow(1, t, 1).squeeze_dim::<1>(1);
                model.step(token, &mut state).unsqueeze_dim(1)
            })
            .collect();
        (Tensor::cat(logits, 1), state)
    }

    #[test]
    fn forward_equals_a_loop_of_step_from_zero_and_random_state() {
        let config = ModelConfig::tiny();
        assert!(config.moe_layers() > 0);
        let model = model(&config);
        let tokens = tokens(2, 70, config.vocab_size);
        let cases = [
            (
                "zero",
                model.zero_state(2, &Default::default()),
                ScanMode::Sequential,
            ),
            (
                "zero",
                model.zero_state(2, &Default::default()),
                ScanMode::Chunked(16),
            ),
            ("random", random_state(&model, 2), ScanMode::Sequential),
            ("random", random_state(&model, 2), ScanMode::Chunked(64)),
        ];
        for (what, state, scan) in cases {
            let chunked = model.clone().with_scan(scan);
            let (out, after) = chunked.forward_with_state(tokens.clone(), state.clone());
            let (logits, after_steps) = stepped(&model, tokens.clone(), state);
            assert_close(
                out.logits,
                logits,
                1e-4,
                &format!("logits from {what} state"),
            );
            for (a, b) in after.layers.into_iter().zip(after_steps.layers) {
                let (LayerState::Ssm(a), LayerState::Ssm(b)) = (a, b) else {
                    panic!("tiny has SSM layers only");
                };
                assert_close(a.ssm_state, b.ssm_state, 1e-4, "ssm state");
                assert_close(a.conv_state, b.conv_state, 1e-6, "conv state");
            }
            assert_eq!(after.position, 70);
        }
    }

    #[test]
    fn prefill_then_step_continues_the_sequence() {
        let config = ModelConfig::tiny().with_tie_embeddings(false);
        let model = model(&config);
        let tokens = tokens(1, 12, config.vocab_size);
        let full = model.forward(tokens.clone()).logits;
        let mut state = model.zero_state(1, &Default::default());
        let last = model.prefill(tokens.clone().narrow(1, 0, 8), &mut state);
        assert_close(
            last,
            full.clone().narrow(1, 7, 1).squeeze_dim(1),
            1e-4,
            "prefill",
        );
        let (rest, _) = stepped(&model, tokens.narrow(1, 8, 4), state);
        assert_close(rest, full.narrow(1, 8, 4), 1e-4, "steps after prefill");
    }

    #[test]
    fn a_hybrid_model_reads_in_chunks_exactly_as_in_one_pass_or_by_steps() {
        let config = crate::test_util::hybrid_config();
        let model = model(&config);
        assert!(matches!(
            model.layers[1].mixer,
            crate::model::Mixer::Attention(_)
        ));
        let tokens = tokens(2, 20, config.vocab_size);
        let full = model.forward(tokens.clone()).logits;
        let mut state = model.zero_state(2, &Default::default());
        let last = model.prefill(tokens.clone().narrow(1, 0, 7), &mut state);
        let (middle, state) = model.forward_with_state(tokens.clone().narrow(1, 7, 6), state);
        let (rest, after) = stepped(&model, tokens.narrow(1, 13, 7), state);
        let expect = |from, len| full.clone().narrow(1, from, len);
        assert_close(last, expect(6, 1).squeeze_dim(1), 1e-4, "prefill");
        assert_close(middle.logits, expect(7, 6), 1e-4, "second chunk");
        assert_close(rest, expect(13, 7), 1e-4, "steps");
        let LayerState::Attention(cache) = &after.layers[1] else {
            panic!("layer 1 is attention");
        };
        assert_eq!((cache.len(), after.position), (20, 20));
    }

    #[test]
    fn moe_signals_and_dispatch_modes() {
        let config = ModelConfig::tiny().with_n_layers(4).with_moe(
            MoeConfig::new()
                .with_moe_every(1)
                .with_routed_experts(4)
                .with_expert_hidden(16),
        );
        let model = model(&config);
        let tokens = tokens(2, 10, config.vocab_size);
        let gather = model
            .clone()
            .with_dispatch(ExpertDispatch::Gather)
            .forward(tokens.clone());
        let dense = model.with_dispatch(ExpertDispatch::Dense).forward(tokens);
        assert_close(gather.logits.clone(), dense.logits, 1e-5, "dispatch modes");
        assert_eq!(gather.expert_load.len(), 4);
        let dead = gather.dead_expert_fraction();
        let aux: f32 = gather.aux_loss.into_scalar();
        assert!(aux.is_finite() && aux > 0.0, "aux loss {aux}");
        assert!((0.0..=1.0).contains(&dead));
    }

    #[test]
    fn a_seeded_init_is_reproducible() {
        let config = ModelConfig::tiny();
        let tokens = tokens(1, 5, config.vocab_size);
        let a = model(&config).forward(tokens.clone()).logits;
        let b = model(&config).forward(tokens).logits;
        assert_close(a, b, 0.0, "same seed, same model");
    }
}
