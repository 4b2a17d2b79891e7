//! Why a model configuration is refused.

/// Why a configuration cannot build a model.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// A size that must be positive is zero.
    #[error("config field `{0}` must be greater than zero")]
    Zero(&'static str),
    /// More experts chosen per token than there are experts.
    #[error("moe.experts_per_token ({k}) must be between 1 and moe.routed_experts ({e})")]
    TopK {
        /// Experts per token requested.
        k: usize,
        /// Routed experts available.
        e: usize,
    },
    /// The sizes multiply to more than a machine word holds.
    #[error(
        "the configuration's sizes multiply to more than 2^64 (or than this machine's usize): it cannot describe a real model"
    )]
    Overflow,
    /// An integer field is below its minimum.
    #[error("config field `{field}` = {value} must be at least {min}")]
    TooSmall {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: usize,
        /// The least valid value.
        min: usize,
    },
    /// A float field is outside its meaningful range.
    #[error("config field `{field}` = {value} is out of range: {expected}")]
    Range {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: f64,
        /// What would be valid.
        expected: &'static str,
    },
}
