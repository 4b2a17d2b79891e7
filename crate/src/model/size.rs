//! What a configuration implies in numbers of tensors and parameters, computed with checked
//! arithmetic so a hostile `config.json` (a million layers, experts of 10⁵ × 10⁵) is an error
//! before anything is allocated, and the same on wasm32 (32-bit `usize`) as natively.

use super::config::{ConfigError, ModelConfig};

/// Tensors and parameters of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImpliedSize {
    /// Number of tensors (weights, biases, norms).
    pub tensors: u64,
    /// Number of parameters (elements of all tensors).
    pub parameters: u64,
}

/// Tensors per SSM mixer layer: norm, in/x/dt/out projections, dt bias, conv weight and bias,
/// A, D.
const MIXER_TENSORS: u64 = 10;

/// Tensors per attention layer: norm, q/kv_down/k_up/v_up/out projections, the latent's norm.
const ATTENTION_TENSORS: u64 = 7;

fn overflow() -> ConfigError {
    ConfigError::Overflow
}

fn mul(values: &[u64]) -> Result<u64, ConfigError> {
    values
        .iter()
        .try_fold(1u64, |acc, &v| acc.checked_mul(v))
        .ok_or_else(overflow)
}

fn add(values: &[u64]) -> Result<u64, ConfigError> {
    values
        .iter()
        .try_fold(0u64, |acc, &v| acc.checked_add(v))
        .ok_or_else(overflow)
}

impl ModelConfig {
    /// `d_model · expand`, or an error when it does not fit a `usize`.
    pub fn checked_d_inner(&self) -> Result<usize, ConfigError> {
        self.d_model.checked_mul(self.expand).ok_or_else(overflow)
    }

    /// `dt_rank + 2 · d_state` (the width of `x_proj`), or an error on overflow.
    pub fn checked_x_proj_width(&self) -> Result<usize, ConfigError> {
        self.d_state
            .checked_mul(2)
            .and_then(|w| w.checked_add(self.dt_rank()))
            .ok_or_else(overflow)
    }

    /// The tensors and parameters [`ModelConfig::init`] would allocate.
    pub fn implied_size(&self) -> Result<ImpliedSize, ConfigError> {
        let u = |v: usize| v as u64;
        let (d, v) = (u(self.d_model), u(self.vocab_size));
        let (di, n, k) = (u(self.checked_d_inner()?), u(self.d_state), u(self.d_conv));
        let (r, x_width) = (u(self.dt_rank()), u(self.checked_x_proj_width()?));
        let mixer = add(&[
            d,
            mul(&[d, 2, di])?,
            mul(&[di, k])?,
            di,
            mul(&[di, x_width])?,
            mul(&[r, di])?,
            di,
            mul(&[di, n])?,
            di,
            mul(&[di, d])?,
        ])?;
        let (attention_layers, attention) = self.attention_size()?;
        let layers = u(self.n_layers) - attention_layers;
        let moe_layers = u(self.moe_layers());
        let moe = &self.moe;
        let experts = add(&[u(moe.routed_experts), u(moe.shared_experts)])?;
        let ffn = add(&[
            d,
            mul(&[d, u(moe.routed_experts)])?,
            mul(&[experts, 3, d, u(moe.expert_hidden)])?,
        ])?;
        let head = if self.tie_embeddings {
            0
        } else {
            mul(&[d, v])?
        };
        let (option_tensors, option_parameters) = self.options_size()?;
        let parameters = add(&[
            option_parameters,
            mul(&[v, d])?,
            mul(&[layers, mixer])?,
            mul(&[attention_layers, attention])?,
            mul(&[moe_layers, ffn])?,
            d,
            head,
        ])?;
        let tensors = add(&[
            2 + u64::from(!self.tie_embeddings),
            option_tensors,
            mul(&[layers, MIXER_TENSORS])?,
            mul(&[attention_layers, ATTENTION_TENSORS])?,
            mul(&[moe_layers, add(&[2, mul(&[3, experts])?])?])?,
        ])?;
        Ok(ImpliedSize {
            tensors,
            parameters,
        })
    }

    /// Tensors and parameters of the recurrent-depth halting unit (norm, weight, bias) and of
    /// the conditioning maps, where the config has them.
    fn options_size(&self) -> Result<(u64, u64), ConfigError> {
        let d = self.d_model as u64;
        let mut size = (0, 0);
        if self.recurrent.is_some() {
            size = (3, add(&[mul(&[2, d])?, 1])?);
        }
        if self.conditioning.is_some() {
            size = (size.0 + 2, add(&[size.1, mul(&[2, d, d])?])?);
        }
        Ok(size)
    }

    /// How many layers are attention layers (each index below `n_layers` counted once) and the
    /// parameters of one.
    fn attention_size(&self) -> Result<(u64, u64), ConfigError> {
        let Some(a) = &self.attention else {
            return Ok((0, 0));
        };
        let u = |v: usize| v as u64;
        let layers: std::collections::BTreeSet<usize> = a
            .layers
            .iter()
            .copied()
            .filter(|&i| i < self.n_layers)
            .collect();
        let (d, h, dh, c, dr) = (
            u(self.d_model),
            u(a.heads),
            u(a.head_dim),
            u(a.kv_rank),
            u(a.rope_dim),
        );
        let parameters = add(&[
            d,
            mul(&[d, h, add(&[dh, dr])?])?,
            mul(&[d, add(&[c, dr])?])?,
            c,
            mul(&[2, c, h, dh])?,
            mul(&[h, dh, d])?,
        ])?;
        Ok((layers.len() as u64, parameters))
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::MoeConfig;
    use super::*;

    #[test]
    fn overflowing_sizes_are_errors_not_wraps() {
        let huge = ModelConfig::tiny()
            .with_d_model(usize::MAX / 2)
            .with_expand(4);
        assert_eq!(huge.checked_d_inner(), Err(ConfigError::Overflow));
        assert_eq!(huge.implied_size(), Err(ConfigError::Overflow));
        let wide = ModelConfig::tiny().with_d_state(usize::MAX / 2 + 1);
        assert_eq!(wide.checked_x_proj_width(), Err(ConfigError::Overflow));
        let experts = ModelConfig::tiny().with_moe(
            MoeConfig::new()
                .with_routed_experts(usize::MAX / 4)
                .with_expert_hidden(usize::MAX / 4),
        );
        assert_eq!(experts.implied_size(), Err(ConfigError::Overflow));
    }
}
