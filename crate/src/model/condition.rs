//! Topic and context conditioning: a conversation's topic and context texts, pooled by the
//! model's own embedding (the mean of their token embeddings), each mapped by a learned matrix
//! and added to the embedding of every token the model reads — the founding documents'
//! e_w + e_T + e_C. The maps start at zero, so a conditioned model starts as its base.
//!
//! Decoding keeps the conversation's vector in [`crate::model::State::condition`] (sessions
//! save it); training gives each token the vector of the example it belongs to (windows pack
//! several examples).

use burn::module::{Module, Param};
use burn::tensor::{Int, Tensor, TensorData, backend::Backend};

use crate::model::config::{ConditioningConfig, ModelConfig};
use crate::ops::linear::Embedding;
use crate::text::ConditionIds;

/// The two learned maps.
#[derive(Module, Debug)]
pub struct Conditioning<B: Backend> {
    /// W_T, `[d_model, d_model]`: the pooled topic → the added vector.
    pub topic: Param<Tensor<B, 2>>,
    /// W_C, `[d_model, d_model]`: the pooled context → the added vector.
    pub context: Param<Tensor<B, 2>>,
    max_tokens: usize,
}

impl ModelConfig {
    /// Zero maps: the conditioned model computes what the unconditioned one does until trained.
    pub(crate) fn init_conditioning<B: Backend>(
        &self,
        config: &ConditioningConfig,
        device: &B::Device,
    ) -> Conditioning<B> {
        let zeros = || Param::from_tensor(Tensor::zeros([self.d_model, self.d_model], device));
        Conditioning {
            topic: zeros(),
            context: zeros(),
            max_tokens: config.max_tokens,
        }
    }
}

impl<B: Backend> Conditioning<B> {
    /// Tokens of a text that are pooled.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    /// The added vector of each of `conditions` (empty texts pool to zero), `[n, d_model]`.
    /// Ids must be below the embedding's vocabulary.
    pub fn vectors(&self, embedding: &Embedding<B>, conditions: &[ConditionIds]) -> Tensor<B, 2> {
        let device = self.topic.device();
        let topics: Vec<&[u32]> = conditions.iter().map(|c| c.topic.as_slice()).collect();
        let contexts: Vec<&[u32]> = conditions.iter().map(|c| c.context.as_slice()).collect();
        let topic = self.pool(embedding, &topics, &device);
        let context = self.pool(embedding, &contexts, &device);
        topic.matmul(self.topic.val()) + context.matmul(self.context.val())
    }

    /// The mean embedding of each text's first `max_tokens` ids, `[n, d_model]`.
    fn pool(&self, embedding: &Embedding<B>, texts: &[&[u32]], device: &B::Device) -> Tensor<B, 2> {
        let n = texts.len();
        let width = texts
            .iter()
            .map(|t| t.len().min(self.max_tokens))
            .max()
            .unwrap_or(0)
            .max(1);
        let mut ids = vec![0i64; n * width];
        let mut mask = vec![0f32; n * width];
        for (row, text) in texts.iter().enumerate() {
            let text = &text[..text.len().min(self.max_tokens)];
            for (col, &id) in text.iter().enumerate() {
                ids[row * width + col] = i64::from(id);
                mask[row * width + col] = 1.0 / text.len() as f32;
            }
        }
        let ids = Tensor::<B, 2, Int>::from_data(TensorData::new(ids, [n, width]), device);
        let weights = Tensor::<B, 2>::from_data(TensorData::new(mask, [n, width]), device);
        let rows = embedding.forward(ids);
        (rows * weights.unsqueeze_dim(2)).sum_dim(1).squeeze_dim(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use crate::test_util::{TestBackend, assert_close, conditioned_config, random, seeded};

    type B = TestBackend;

    /// The tiny conditioned model with random (trained-like) maps instead of zeros.
    fn model() -> Model<B> {
        let device = Default::default();
        let mut model: Model<B> = seeded(4, || conditioned_config().init(&device).unwrap());
        let conditioning = model.conditioning.as_mut().unwrap();
        conditioning.topic = Param::from_tensor(random([32, 32], 1, &device));
        conditioning.context = Param::from_tensor(random([32, 32], 2, &device));
        model
    }

    fn ids(topic: &[u32], context: &[u32]) -> ConditionIds {
        ConditionIds {
            topic: topic.to_vec(),
            context: context.to_vec(),
        }
    }

    fn tokens(ids: &[i64]) -> Tensor<B, 2, Int> {
        Tensor::from_data(
            TensorData::new(ids.to_vec(), [1, ids.len()]),
            &Default::default(),
        )
    }

    #[test]
    fn a_fresh_model_adds_nothing_and_empty_texts_pool_to_zero() {
        let fresh: Model<B> = seeded(4, || {
            conditioned_config().init(&Default::default()).unwrap()
        });
        let vector = fresh.condition(&[ids(&[5, 9], &[7])]).unwrap();
        assert_close(
            vector.clone(),
            vector.zeros_like(),
            0.0,
            "zero maps at init",
        );
        let empty = model().condition(&[ids(&[], &[])]).unwrap();
        assert_close(empty.clone(), empty.zeros_like(), 0.0, "empty texts");
    }

    #[test]
    fn attaching_maps_to_a_trained_model_changes_nothing_until_they_train() {
        let plain: Model<B> = seeded(4, || {
            crate::ModelConfig::tiny()
                .init(&Default::default())
                .unwrap()
        });
        let attached = plain
            .clone()
            .with_new_conditioning(&ConditioningConfig::new());
        let vector = attached.condition(&[ids(&[5, 9], &[7])]).unwrap();
        let prompt = tokens(&[1, 40, 300, 2]);
        let per_position = vector.unsqueeze_dim::<3>(1).repeat_dim(1, 4);
        let out = attached.forward_conditioned(prompt.clone(), Some(per_position), false);
        assert_close(
            out.logits,
            plain.forward(prompt).logits,
            0.0,
            "attached maps are zero",
        );
        assert_eq!(
            crate::io::weights::named_tensors(&attached).len(),
            crate::io::weights::named_tensors(&plain).len() + 2
        );
    }

    #[test]
    fn the_vector_is_the_mapped_mean_of_the_first_max_tokens_embeddings() {
        let model = model();
        let conditioning = model.conditioning.as_ref().unwrap();
        // 10 topic ids, of which the first 8 (max_tokens) are pooled.
        let topic: Vec<u32> = (1..=10).collect();
        let found = model.condition(&[ids(&topic, &[3])]).unwrap();
        let rows = |ids: Vec<i64>| {
            let n = ids.len();
            model
                .embedding
                .forward(tokens(&ids))
                .squeeze_dim::<2>(0)
                .sum_dim(0)
                / n as f64
        };
        let expected = rows((1..=8).collect()).matmul(conditioning.topic.val())
            + rows(vec![3]).matmul(conditioning.context.val());
        assert_close(found, expected, 1e-5, "pooled and mapped");
    }

    #[test]
    fn decoding_with_the_state_vector_equals_training_with_per_position_vectors() {
        let model = model();
        let vector = model.condition(&[ids(&[5, 9, 11], &[7, 8])]).unwrap();
        let prompt = [1i64, 40, 300, 2, 77, 9];
        let per_position = vector
            .clone()
            .unsqueeze_dim::<3>(1)
            .repeat_dim(1, prompt.len());
        let trained = model.forward_conditioned(tokens(&prompt), Some(per_position), false);
        let mut state = model.zero_state(1, &Default::default());
        state.condition = Some(vector);
        let read = model.prefill(tokens(&prompt[..4]), &mut state);
        assert_close(
            read,
            trained.logits.clone().narrow(1, 3, 1).squeeze_dim(1),
            1e-4,
            "prefill",
        );
        for (t, &id) in prompt.iter().enumerate().skip(4) {
            let token = Tensor::from_data(TensorData::new(vec![id], [1]), &Default::default());
            let logits = model.step(token, &mut state);
            let expected = trained.logits.clone().narrow(1, t, 1).squeeze_dim(1);
            assert_close(logits, expected, 1e-4, "step");
        }
        let plain = model.forward(tokens(&prompt)).logits;
        let moved: f32 = (plain - trained.logits).abs().max().into_scalar();
        assert!(moved > 1e-3, "the topic changes the logits ({moved})");
    }
}
