//! The table of tensor names: what every weights file, bundle, loader and counter calls each
//! tensor, and what kind of tensor a name denotes.
//!
//! A tensor's name is its module path, fields joined with `.` and list entries by index (burn's
//! module visitor gives exactly these paths; `weights::named_tensors` walks them):
//!
//! | name | shape |
//! |---|---|
//! | `embedding.weight` | `[vocab, d_model]` |
//! | `layers.{i}.norm.gamma` | `[d_model]` |
//! | `layers.{i}.mixer.in_proj.weight` | `[d_model, 2·d_inner]` |
//! | `layers.{i}.mixer.conv_weight`, `conv_bias` | `[d_inner, d_conv]`, `[d_inner]` |
//! | `layers.{i}.mixer.x_proj.weight` | `[d_inner, dt_rank + 2·d_state]` |
//! | `layers.{i}.mixer.dt_proj.weight`, `.bias` | `[dt_rank, d_inner]`, `[d_inner]` |
//! | `layers.{i}.mixer.a_log`, `d` | `[d_inner, d_state]`, `[d_inner]` |
//! | `layers.{i}.mixer.out_proj.weight` | `[d_inner, d_model]` |
//! | attention layers (`attention.layers`) instead of the six SSM rows above: | |
//! | `layers.{i}.mixer.q_proj.weight` | `[d_model, heads·(head_dim + rope_dim)]` |
//! | `layers.{i}.mixer.kv_down.weight` | `[d_model, kv_rank + rope_dim]` |
//! | `layers.{i}.mixer.kv_norm.gamma` | `[kv_rank]` |
//! | `layers.{i}.mixer.{k_up,v_up}.weight` | `[kv_rank, heads·head_dim]` |
//! | `layers.{i}.mixer.out_proj.weight` | `[heads·head_dim, d_model]` |
//! | `layers.{i}.feed_forward.norm.gamma` | `[d_model]` |
//! | `layers.{i}.feed_forward.moe.router.weight` | `[d_model, routed_experts]` |
//! | `layers.{i}.feed_forward.moe.{experts,shared_experts}.{j}.{gate_proj,up_proj}.weight` | `[d_model, expert_hidden]` |
//! | `layers.{i}.feed_forward.moe.{experts,shared_experts}.{j}.down_proj.weight` | `[expert_hidden, d_model]` |
//! | `norm_f.gamma` | `[d_model]` |
//! | `lm_head.weight` (untied head only) | `[d_model, vocab]` |
//! | `halting.norm.gamma`, `halting.weight` (recurrent depth only) | `[d_model]` |
//! | `halting.bias` (recurrent depth only) | `[1]` |
//! | `conditioning.topic`, `conditioning.context` (conditioning only) | `[d_model, d_model]` |
//!
//! Linear weights are stored `[d_in, d_out]` (y = x W), as burn keeps them; transpose for
//! PyTorch's `nn.Linear`. A quantized bundle stores a quantized tensor under the same name
//! (plus `name.scales`; see `bundle.rs`). Any rename between file names and field paths
//! belongs here.

use std::collections::BTreeMap;

use crate::model::ModelConfig;

/// The token embedding (also the tied LM head).
pub const EMBEDDING: &str = "embedding.weight";
/// The untied LM head.
pub const LM_HEAD: &str = "lm_head.weight";
/// The final norm's scale.
pub const FINAL_NORM: &str = "norm_f.gamma";
/// The conditioning's map of the pooled topic.
pub const CONDITIONING_TOPIC: &str = "conditioning.topic";
/// The conditioning's map of the pooled context.
pub const CONDITIONING_CONTEXT: &str = "conditioning.context";
/// The recurrent-depth halting unit's norm scale, weight and bias.
pub const HALTING_NORM: &str = "halting.norm.gamma";
/// See [`HALTING_NORM`].
pub const HALTING_WEIGHT: &str = "halting.weight";
/// See [`HALTING_NORM`].
pub const HALTING_BIAS: &str = "halting.bias";

/// An expert's linear projections.
pub const EXPERT_LINEARS: [&str; 3] = ["gate_proj", "up_proj", "down_proj"];

/// Layer `i`'s pre-mixer norm scale.
pub fn layer_norm(i: usize) -> String {
    format!("layers.{i}.norm.gamma")
}

/// Layer `i`'s mixer tensor `part` (`conv_weight`, `a_log`, …).
pub fn mixer(i: usize, part: &str) -> String {
    format!("layers.{i}.mixer.{part}")
}

/// The weight of layer `i`'s mixer projection `linear` (`in_proj`, `q_proj`, …).
pub fn mixer_linear(i: usize, linear: &str) -> String {
    format!("layers.{i}.mixer.{linear}.weight")
}

/// Layer `i`'s router weight.
pub fn router(i: usize) -> String {
    format!("layers.{i}.feed_forward.moe.router.weight")
}

/// Which experts of a MoE layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpertGroup {
    /// Chosen per token by the router.
    Routed,
    /// Run on every token.
    Shared,
}

impl ExpertGroup {
    /// Both groups, routed first.
    pub const ALL: [Self; 2] = [Self::Routed, Self::Shared];

    /// The field name in tensor names.
    pub fn field(self) -> &'static str {
        match self {
            Self::Routed => "experts",
            Self::Shared => "shared_experts",
        }
    }
}

/// The weight of projection `linear` (one of [`EXPERT_LINEARS`]) of expert `j` in layer `i`.
pub fn expert_linear(i: usize, group: ExpertGroup, j: usize, linear: &str) -> String {
    format!(
        "layers.{i}.feed_forward.moe.{}.{j}.{linear}.weight",
        group.field()
    )
}

/// Every tensor of `config`'s model, name → shape, as the table above gives them. Call it on a
/// validated config whose [`ModelConfig::implied_size`] was compared with the file first: it
/// makes one entry per tensor.
pub fn tensor_shapes(config: &ModelConfig) -> BTreeMap<String, Vec<usize>> {
    let (d, v) = (config.d_model, config.vocab_size);
    let mut out = BTreeMap::from([
        (EMBEDDING.to_string(), vec![v, d]),
        (FINAL_NORM.to_string(), vec![d]),
    ]);
    if !config.tie_embeddings {
        out.insert(LM_HEAD.into(), vec![d, v]);
    }
    if config.conditioning.is_some() {
        out.insert(CONDITIONING_TOPIC.into(), vec![d, d]);
        out.insert(CONDITIONING_CONTEXT.into(), vec![d, d]);
    }
    if config.recurrent.is_some() {
        out.insert(HALTING_NORM.into(), vec![d]);
        out.insert(HALTING_WEIGHT.into(), vec![d]);
        out.insert(HALTING_BIAS.into(), vec![1]);
    }
    for i in 0..config.n_layers {
        out.insert(layer_norm(i), vec![d]);
        match &config.attention {
            Some(a) if config.is_attention_layer(i) => {
                let (h, dh, c, dr) = (a.heads, a.head_dim, a.kv_rank, a.rope_dim);
                out.insert(mixer_linear(i, "q_proj"), vec![d, h * (dh + dr)]);
                out.insert(mixer_linear(i, "kv_down"), vec![d, c + dr]);
                out.insert(mixer(i, "kv_norm.gamma"), vec![c]);
                out.insert(mixer_linear(i, "k_up"), vec![c, h * dh]);
                out.insert(mixer_linear(i, "v_up"), vec![c, h * dh]);
                out.insert(mixer_linear(i, "out_proj"), vec![h * dh, d]);
            }
            _ => ssm_shapes(&mut out, config, i),
        }
        if !config.is_moe_layer(i) {
            continue;
        }
        let moe = &config.moe;
        out.insert(format!("layers.{i}.feed_forward.norm.gamma"), vec![d]);
        out.insert(router(i), vec![d, moe.routed_experts]);
        let counts = [moe.routed_experts, moe.shared_experts];
        for (group, count) in ExpertGroup::ALL.into_iter().zip(counts) {
            for j in 0..count {
                for linear in ["gate_proj", "up_proj"] {
                    out.insert(
                        expert_linear(i, group, j, linear),
                        vec![d, moe.expert_hidden],
                    );
                }
                out.insert(
                    expert_linear(i, group, j, "down_proj"),
                    vec![moe.expert_hidden, d],
                );
            }
        }
    }
    out
}

/// Layer `i`'s SSM mixer tensors.
fn ssm_shapes(out: &mut BTreeMap<String, Vec<usize>>, config: &ModelConfig, i: usize) {
    let (d, n, k) = (config.d_model, config.d_state, config.d_conv);
    let (di, r) = (config.d_inner(), config.dt_rank());
    out.insert(mixer_linear(i, "in_proj"), vec![d, 2 * di]);
    out.insert(mixer(i, "conv_weight"), vec![di, k]);
    out.insert(mixer(i, "conv_bias"), vec![di]);
    out.insert(mixer_linear(i, "x_proj"), vec![di, r + 2 * n]);
    out.insert(mixer_linear(i, "dt_proj"), vec![r, di]);
    out.insert(mixer(i, "dt_proj.bias"), vec![di]);
    out.insert(mixer(i, "a_log"), vec![di, n]);
    out.insert(mixer(i, "d"), vec![di]);
    out.insert(mixer_linear(i, "out_proj"), vec![di, d]);
}

/// What a tensor is, as far as quantizing and counting need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The token embedding.
    Embedding,
    /// The untied LM head's weight.
    LmHead,
    /// A router's weight.
    Router,
    /// The weight of an SSM projection on the recurrence's input side (`in_proj`, `x_proj`,
    /// `dt_proj`): its errors are carried forward by the recurrence.
    MixerInput,
    /// A mixer's output projection's weight (SSM or attention).
    MixerOutput,
    /// The weight of an attention projection into queries or the cached latent (`q_proj`,
    /// `kv_down`).
    AttentionInput,
    /// The weight of an attention projection out of the latent (`k_up`, `v_up`): decoding uses
    /// it as a float matrix (absorbed into the queries and the output).
    AttentionUp,
    /// Any tensor of an expert the router chooses.
    RoutedExpert,
    /// Any tensor of an expert every token runs.
    SharedExpert,
    /// Norms, biases, the convolution, A and D.
    Other,
}

impl Role {
    /// The role of tensor `name`.
    pub fn of(name: &str) -> Self {
        let parts: Vec<&str> = name.split('.').collect();
        match parts[..] {
            ["embedding", "weight"] => Self::Embedding,
            ["lm_head", "weight"] => Self::LmHead,
            ["layers", _, "mixer", "out_proj", "weight"] => Self::MixerOutput,
            [
                "layers",
                _,
                "mixer",
                "in_proj" | "x_proj" | "dt_proj",
                "weight",
            ] => Self::MixerInput,
            ["layers", _, "mixer", "q_proj" | "kv_down", "weight"] => Self::AttentionInput,
            ["layers", _, "mixer", "k_up" | "v_up", "weight"] => Self::AttentionUp,
            ["layers", _, "feed_forward", "moe", "router", "weight"] => Self::Router,
            ["layers", _, "feed_forward", "moe", "experts", ..] => Self::RoutedExpert,
            ["layers", _, "feed_forward", "moe", "shared_experts", ..] => Self::SharedExpert,
            _ => Self::Other,
        }
    }

    /// Whether `name` is a Linear layer's weight (stored `[d_in, d_out]`).
    pub fn is_linear_weight(name: &str) -> bool {
        !matches!(Self::of(name), Self::Embedding | Self::Other) && name.ends_with(".weight")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_roles_agree() {
        assert_eq!(Role::of(EMBEDDING), Role::Embedding);
        assert_eq!(Role::of(LM_HEAD), Role::LmHead);
        assert_eq!(Role::of(&router(3)), Role::Router);
        assert_eq!(Role::of(&mixer_linear(0, "x_proj")), Role::MixerInput);
        assert_eq!(Role::of(&mixer_linear(0, "out_proj")), Role::MixerOutput);
        assert_eq!(Role::of(&mixer(0, "conv_weight")), Role::Other);
        assert_eq!(Role::of(&mixer_linear(1, "kv_down")), Role::AttentionInput);
        assert_eq!(Role::of(&mixer_linear(1, "v_up")), Role::AttentionUp);
        assert_eq!(Role::of(&layer_norm(2)), Role::Other);
        let routed = expert_linear(1, ExpertGroup::Routed, 4, "down_proj");
        assert_eq!(Role::of(&routed), Role::RoutedExpert);
        let shared = expert_linear(1, ExpertGroup::Shared, 0, "gate_proj");
        assert_eq!(Role::of(&shared), Role::SharedExpert);
        assert!(Role::is_linear_weight(&routed));
        assert!(!Role::is_linear_weight(EMBEDDING));
        assert!(!Role::is_linear_weight("layers.0.mixer.dt_proj.bias"));
    }
}
