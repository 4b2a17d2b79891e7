//! What a configuration implies about the tensors of its model, checked against a file before
//! anything is allocated, and the parameter counts a manifest records.

use std::collections::BTreeMap;

use burn::tensor::backend::Backend;

use crate::io::checkpoint::manifest::ParameterCounts;
use crate::io::error::WeightsError;
use crate::io::names::{self, ExpertGroup, Role};
use crate::io::weights;
use crate::model::{Model, ModelConfig};

/// Counts parameters, treating routed experts as active `experts_per_token / routed_experts`
/// of the time.
pub fn parameter_counts<B: Backend>(config: &ModelConfig, model: &Model<B>) -> ParameterCounts {
    let mut total = 0u64;
    let mut routed = 0u64;
    for (name, data) in weights::named_tensors(model) {
        let n = data.num_elements() as u64;
        total += n;
        if Role::of(&name) == Role::RoutedExpert {
            routed += n;
        }
    }
    let (k, e) = (
        config.moe.experts_per_token as u64,
        config.moe.routed_experts.max(1) as u64,
    );
    ParameterCounts {
        total,
        active_per_token: total - routed + routed * k / e,
    }
}

/// Checks the shapes that bound every allocation `config.init` makes (embedding, projections,
/// layer and expert counts, expert size) against the tensors in the file, so a config that
/// disagrees with its weights is an error before anything is allocated.
pub(super) fn precheck(
    config: &ModelConfig,
    shapes: &BTreeMap<String, Vec<usize>>,
) -> Result<(), WeightsError> {
    let (d, di, last) = (config.d_model, config.d_inner(), config.n_layers - 1);
    let mut expect = vec![
        (names::EMBEDDING.to_string(), vec![config.vocab_size, d]),
        (names::mixer_linear(0, "in_proj"), vec![d, 2 * di]),
        (
            names::mixer_linear(0, "x_proj"),
            vec![di, config.dt_rank() + 2 * config.d_state],
        ),
        (names::mixer(0, "conv_weight"), vec![di, config.d_conv]),
        (names::layer_norm(last), vec![d]),
    ];
    if let Some(i) = (0..config.n_layers).find(|&i| config.is_moe_layer(i)) {
        let moe = &config.moe;
        expect.push((names::router(i), vec![d, moe.routed_experts]));
        let first = names::expert_linear(i, ExpertGroup::Routed, 0, "gate_proj");
        expect.push((first, vec![d, moe.expert_hidden]));
        if let Some(s) = moe.shared_experts.checked_sub(1) {
            let last = names::expert_linear(i, ExpertGroup::Shared, s, "gate_proj");
            expect.push((last, vec![d, moe.expert_hidden]));
        }
    }
    for (name, shape) in expect {
        match shapes.get(&name) {
            Some(found) if *found == shape => {}
            Some(found) => {
                let found = found.clone();
                return Err(WeightsError::Shape {
                    name,
                    expected: shape,
                    found,
                });
            }
            None => return Err(WeightsError::Missing(name)),
        }
    }
    let beyond = names::layer_norm(config.n_layers);
    if shapes.contains_key(&beyond) {
        return Err(WeightsError::Unexpected(beyond));
    }
    Ok(())
}
