//! A stable-toolchain fuzzer for every parser of untrusted bytes: seeded mutation of valid
//! inputs (bit flips, interesting bytes, deleted, duplicated and spliced ranges, truncation,
//! huge numbers in text), each input run under `catch_unwind`. A target passes when no input
//! panics: a parser must answer bad bytes with an error. `pkg-scripts/fuzz` runs it.
//!
//! Checkpoint inputs are also re-signed (the manifest's sizes and hashes recomputed after the
//! mutation), so the parsers behind the hash check see the mutated bytes too.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

/// A small deterministic generator (xorshift64*), so a run is reproducible from its seed.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced by a fixed odd constant).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` ≥ 1).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = b"\x00\xff\x7f\x80\"\\{}[],:-09eE\n\t ";
const HUGE: &[&[u8]] = &[
    b"99999999999999999999999",
    b"4294967295",
    b"18446744073709551616",
    b"-1",
    b"1e39",
    b"1e-46",
    b"NaN",
    b"null",
    b"\"\"",
];

/// `input` changed by one to four random edits.
pub fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        let at = rng.below(len + 1);
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 if len > 0 => {
                let end = (at + 1 + rng.below(64)).min(len);
                out.drain(at.min(end)..end);
            }
            3 if len > 0 => {
                let end = (at + 1 + rng.below(64)).min(len);
                let piece = out[at.min(end)..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, piece);
            }
            4 => out.truncate(at),
            5 => {
                let huge = HUGE[rng.below(HUGE.len())];
                let end = (at + rng.below(8)).min(len);
                out.splice(at..end, huge.iter().copied());
            }
            _ => {
                let byte = rng.next_u64() as u8;
                out.insert(at.min(out.len()), byte);
            }
        }
    }
    out
}

/// One target's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The target's name.
    pub target: &'static str,
    /// Inputs run.
    pub executions: u64,
    /// Inputs the parser accepted (the rest were errors, as they should be).
    pub accepted: u64,
    /// Inputs that panicked, with the first one's bytes.
    pub panics: u64,
    /// The first panicking input, if any.
    pub first_panic: Option<Vec<u8>>,
    /// Seconds taken.
    pub seconds: f64,
}

/// Runs `parse` on `executions` mutations of the seeds; `parse` returns whether it accepted.
pub fn run(
    target: &'static str,
    seeds: &[Vec<u8>],
    executions: u64,
    seed: u64,
    mut parse: impl FnMut(&[u8]) -> bool,
) -> Report {
    let mut rng = Rng::new(seed);
    let started = Instant::now();
    let (mut accepted, mut panics, mut first_panic) = (0, 0, None);
    for _ in 0..executions {
        let input = mutate(&seeds[rng.below(seeds.len())], &mut rng);
        match catch_unwind(AssertUnwindSafe(|| parse(&input))) {
            Ok(true) => accepted += 1,
            Ok(false) => {}
            Err(_) => {
                panics += 1;
                first_panic.get_or_insert(input);
            }
        }
    }
    Report {
        target,
        executions,
        accepted,
        panics,
        first_panic,
        seconds: started.elapsed().as_secs_f64(),
    }
}
