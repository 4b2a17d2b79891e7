//! `shard`: tokenizes a corpus once into token shards that `pretrain --data SHARDS` reads
//! without tokenizing again.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;

use super::common::read_tokenizer;
use crate::data;
use crate::data::OnError;
use crate::dataset::{LossMask, stream};
use crate::shards::{self, Made};

/// Flags of `shard`.
#[derive(Args)]
pub struct ShardArgs {
    /// Training data: files or folders (as `pretrain --data`).
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// The tokenizer.json (or a folder holding one) to tokenize with; it is stored with the
    /// shards.
    #[arg(long)]
    tokenizer: PathBuf,
    /// The shard folder to write.
    #[arg(long)]
    out: PathBuf,
    /// Hold out every N-th example (0 = none), as `pretrain --holdout-every N` does; the held-out
    /// examples stay out of the shards, for `eval --holdout-every N` on the original files.
    #[arg(long, default_value_t = 0)]
    holdout_every: usize,
    /// What to do with a malformed row.
    #[arg(long, value_enum, default_value_t = OnError::Fail)]
    on_error: OnError,
}

impl ShardArgs {
    /// Tokenizes the data and writes the shard folder.
    pub fn run(self) -> Result<(), String> {
        let started = Instant::now();
        let tokenizer = read_tokenizer(&self.tokenizer)?;
        let all = data::load(&self.data, self.on_error).map_err(|e| e.to_string())?;
        let (examples, held) = data::split_holdout(all, self.holdout_every);
        let stream = stream(&examples, &tokenizer, LossMask::All).map_err(|e| e.to_string())?;
        let made = Made {
            tokenizer: &tokenizer,
            examples: examples.len(),
            holdout_every: self.holdout_every,
            held_out: held.len(),
            sources: &self.data,
        };
        let manifest = shards::write(&self.out, &stream, &made)?;
        eprintln!(
            "{} ids from {} examples ({} held out) in {}, {} bytes per id, {:.1} s",
            manifest.tokens,
            manifest.examples,
            manifest.held_out,
            self.out.display(),
            manifest.id_bytes,
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
