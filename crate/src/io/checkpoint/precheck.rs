//! What a configuration implies about the tensors of its model, checked against a file before
//! anything is allocated, and the parameter counts a manifest records.

use std::collections::BTreeMap;

use burn::tensor::backend::Backend;

use crate::io::checkpoint::manifest::ParameterCounts;
use crate::io::error::WeightsError;
use crate::io::names::{self, Role};
use crate::io::weights;
use crate::model::{ImpliedSize, Model, ModelConfig};

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

/// Checks, before anything is allocated, that the file holds exactly the tensors (names and
/// shapes) `config` implies, so `config.init` allocates no more than the file describes; and
/// that the model is within `max_parameters`. `size` is `config.implied_size()` (checked
/// arithmetic); the counts are compared first, so a hostile config (a million layers) is
/// refused without enumerating its tensors.
pub(super) fn precheck(
    config: &ModelConfig,
    size: ImpliedSize,
    shapes: &BTreeMap<String, Vec<usize>>,
    max_parameters: Option<u64>,
) -> Result<(), WeightsError> {
    if let Some(cap) = max_parameters.filter(|&cap| size.parameters > cap) {
        return Err(WeightsError::TooManyParameters {
            parameters: size.parameters,
            cap,
        });
    }
    if size.tensors != shapes.len() as u64 {
        return Err(WeightsError::TensorCount {
            expected: size.tensors,
            found: shapes.len(),
        });
    }
    let expected = names::tensor_shapes(config);
    for (name, shape) in &expected {
        match shapes.get(name) {
            Some(found) if found == shape => {}
            Some(found) => {
                return Err(WeightsError::Shape {
                    name: name.clone(),
                    expected: shape.clone(),
                    found: found.clone(),
                });
            }
            None => return Err(WeightsError::Missing(name.clone())),
        }
    }
    if let Some(extra) = shapes.keys().find(|n| !expected.contains_key(*n)) {
        return Err(WeightsError::Unexpected(extra.clone()));
    }
    Ok(())
}
