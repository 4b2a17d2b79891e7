//! Token windows for training and evaluation, their deterministic batch order, and the
//! tensors of a batch of them.
//!
//! Every window holds `seq_len + 1` ids and a 0/1 mask per id: the model reads ids `0..seq_len`
//! and is scored on predicting ids `1..=seq_len` where their mask is 1. Where conversations
//! declare a topic or context (`Topik:`, `Konteks:` in the system message), every id also
//! records which conversation's it is, for conditioned models.

use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use siger::Model;
use siger::text::{ConditionIds, Tokenizer, TokenizerError, TopicContext};

use crate::data::Example;

/// Which tokens count in the loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossMask {
    /// Every token (pre-training).
    All,
    /// Only what the assistant says in chats; plain text still counts fully (chat tuning).
    AssistantOnly,
}

/// Fixed-length training windows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Windows {
    /// `seq_len + 1` ids each.
    pub ids: Vec<Vec<u32>>,
    /// Matching 0/1 masks.
    pub masks: Vec<Vec<u8>>,
    /// Tokens per window that the model reads.
    pub seq_len: usize,
    /// Per window, each id's entry of [`Self::table`] (0: none, k: `table[k - 1]`); empty when
    /// no example declared a topic or context.
    pub conditions: Vec<Vec<u32>>,
    /// The topics and contexts the examples declared, tokenised.
    pub table: Vec<ConditionIds>,
}

impl Windows {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// UTF-8 bytes of the scored tokens' text (special tokens, which stand for no text, count
    /// none): the denominator of bits per byte.
    pub fn scored_bytes(&self, tokenizer: &Tokenizer) -> usize {
        self.ids
            .iter()
            .zip(&self.masks)
            .map(|(ids, mask)| {
                ids[1..]
                    .iter()
                    .zip(&mask[1..])
                    .filter(|(_, m)| **m == 1)
                    .map(|(&id, _)| tokenizer.token_bytes(id).len())
                    .sum::<usize>()
            })
            .sum()
    }

    /// Tokens scored (mask 1, excluding each window's first id).
    pub fn scored_tokens(&self) -> usize {
        self.masks
            .iter()
            .map(|m| m[1..].iter().map(|&b| b as usize).sum::<usize>())
            .sum()
    }
}

/// Every example's ids one after the other, each followed by `<|endoftext|>`, with the loss
/// mask of every id: what [`cut`] makes windows of, and what token shards store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stream {
    /// The ids.
    pub ids: Vec<u32>,
    /// 1 where the id is scored as a target, else 0.
    pub mask: Vec<u8>,
    /// Each id's entry of `table` (0: none, k: `table[k - 1]`); empty when no example declared
    /// a topic or context (token shards store none).
    pub condition: Vec<u32>,
    /// The topics and contexts the examples declared, tokenised.
    pub table: Vec<ConditionIds>,
}

impl Stream {
    /// A stream of `ids` with their loss `mask` and no declared topics (as token shards hold).
    pub fn new(ids: Vec<u32>, mask: Vec<u8>) -> Self {
        Self {
            ids,
            mask,
            ..Self::default()
        }
    }
}

/// Tokenises `examples` into one [`Stream`]. A text the tokenizer cannot encode is an error,
/// never an example silently dropped.
pub fn stream(
    examples: &[Example],
    tokenizer: &Tokenizer,
    mask: LossMask,
) -> Result<Stream, TokenizerError> {
    let special = tokenizer.special();
    let mut out = Stream::default();
    for example in examples {
        let (ids, m, entry) = match example {
            Example::Text(text) => {
                let ids = tokenizer.encode(text)?;
                let m = vec![1; ids.len()];
                (ids, m, 0)
            }
            Example::Chat(messages) => {
                let (ids, m) = tokenizer.encode_chat_for_training(messages)?;
                let entry = match TopicContext::of(messages) {
                    Some(declared) => {
                        out.table.push(declared.encode(tokenizer)?);
                        out.table.len() as u32
                    }
                    None => 0,
                };
                match mask {
                    LossMask::All => (ids.clone(), vec![1; ids.len()], entry),
                    LossMask::AssistantOnly => (ids, m, entry),
                }
            }
        };
        out.condition
            .extend(std::iter::repeat_n(entry, ids.len() + 1));
        out.ids.extend(ids);
        out.mask.extend(m);
        out.ids.push(special.end_of_text);
        out.mask.push(u8::from(mask == LossMask::All));
    }
    if out.table.is_empty() {
        out.condition = Vec::new();
    }
    Ok(out)
}

/// Cuts a stream into windows of `seq_len + 1` ids overlapping by one; the tail is padded with
/// `pad` (mask 0), and a window with nothing to score is left out.
pub fn cut(stream: &Stream, pad: u32, seq_len: usize) -> Windows {
    let mut out = Windows {
        ids: Vec::new(),
        masks: Vec::new(),
        seq_len,
        conditions: Vec::new(),
        table: stream.table.clone(),
    };
    let mut start = 0;
    while start + 1 < stream.ids.len() {
        let end = (start + seq_len + 1).min(stream.ids.len());
        let mut ids = stream.ids[start..end].to_vec();
        let mut m = stream.mask[start..end].to_vec();
        ids.resize(seq_len + 1, pad);
        m.resize(seq_len + 1, 0);
        if m[1..].contains(&1) {
            out.ids.push(ids);
            out.masks.push(m);
            if !stream.condition.is_empty() {
                let mut c = stream.condition[start..end].to_vec();
                c.resize(seq_len + 1, 0);
                out.conditions.push(c);
            }
        }
        start += seq_len;
    }
    out
}

/// [`stream`] then [`cut`]: the training windows of `examples`.
pub fn windows(
    examples: &[Example],
    tokenizer: &Tokenizer,
    seq_len: usize,
    mask: LossMask,
) -> Result<Windows, TokenizerError> {
    let stream = stream(examples, tokenizer, mask)?;
    Ok(cut(&stream, tokenizer.special().pad, seq_len))
}

/// The window order of one epoch: a permutation seeded by `(seed, epoch)`.
pub fn epoch_order(windows: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..windows).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    order.shuffle(&mut rng);
    order
}

/// Inputs `[b, seq_len]`, targets `[b, seq_len]` and the float mask `[b, seq_len]` of windows.
pub fn batch_tensors<B: Backend>(
    data: &Windows,
    windows: &[usize],
    device: &B::Device,
) -> (Tensor<B, 2, Int>, Tensor<B, 2, Int>, Tensor<B, 2>) {
    let (b, l) = (windows.len(), data.seq_len);
    let mut inputs = Vec::with_capacity(b * l);
    let mut targets = Vec::with_capacity(b * l);
    let mut mask = Vec::with_capacity(b * l);
    for &w in windows {
        inputs.extend(data.ids[w][..l].iter().map(|&i| i as i64));
        targets.extend(data.ids[w][1..].iter().map(|&i| i as i64));
        mask.extend(data.masks[w][1..].iter().map(|&m| m as f32));
    }
    (
        Tensor::from_data(TensorData::new(inputs, [b, l]), device),
        Tensor::from_data(TensorData::new(targets, [b, l]), device),
        Tensor::from_data(TensorData::new(mask, [b, l]), device),
    )
}

/// For a conditioned model, each input position's topic and context vector (`[b, seq_len,
/// d_model]`, the vectors of the conversations the batch's windows hold, zero where none is
/// declared); `None` for other models or data without topics.
pub fn batch_condition<B: Backend>(
    model: &Model<B>,
    data: &Windows,
    windows: &[usize],
    device: &B::Device,
) -> Option<Tensor<B, 3>> {
    model.conditioning.as_ref()?;
    if data.conditions.is_empty() {
        return None;
    }
    let l = data.seq_len;
    // The entries this batch uses, numbered in order of first use; 0 (none) first.
    let mut used = vec![0u32];
    let mut rows = Vec::with_capacity(windows.len() * l);
    for &w in windows {
        for &entry in &data.conditions[w][..l] {
            let row = match used.iter().position(|&u| u == entry) {
                Some(row) => row,
                None => {
                    used.push(entry);
                    used.len() - 1
                }
            };
            rows.push(row as i64);
        }
    }
    let conditions: Vec<ConditionIds> = used
        .iter()
        .map(|&e| match e {
            0 => ConditionIds::default(),
            k => data.table[k as usize - 1].clone(),
        })
        .collect();
    let vectors = model.condition(&conditions)?;
    let d = vectors.dims()[1];
    let rows = Tensor::<B, 1, Int>::from_data(TensorData::new(rows, [windows.len() * l]), device);
    Some(vectors.select(0, rows).reshape([windows.len(), l, d]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use siger::text::{Message, Role};

    fn tokenizer() -> Tokenizer {
        Tokenizer::train(
            ["Halo apa kabar? Baik sekali, terima kasih."]
                .into_iter()
                .cycle()
                .take(20),
            300,
        )
        .unwrap()
    }

    #[test]
    fn windows_overlap_by_one_and_pad_the_tail() {
        let tok = tokenizer();
        let text = Example::Text("Halo apa kabar? Baik sekali, terima kasih. Halo lagi.".into());
        let w = windows(&[text], &tok, 8, LossMask::All).unwrap();
        assert!(w.len() >= 2);
        for pair in w.ids.windows(2) {
            assert_eq!(pair[0][8], pair[1][0]);
        }
        assert!(w.ids.iter().all(|ids| ids.len() == 9));
        let last = w.masks.last().unwrap();
        assert!(last.contains(&0) || w.ids.last().unwrap().last() != Some(&tok.special().pad));
    }

    #[test]
    fn assistant_only_masks_everything_else() {
        let tok = tokenizer();
        let chat = Example::Chat(vec![
            Message::new(Role::User, "Halo"),
            Message::new(Role::Assistant, "Baik"),
        ]);
        let w = windows(&[chat], &tok, 64, LossMask::AssistantOnly).unwrap();
        let scored: Vec<u32> = w.ids[0]
            .iter()
            .zip(&w.masks[0])
            .filter(|(_, m)| **m == 1)
            .map(|(i, _)| *i)
            .collect();
        let mut expected = tok.encode("Baik").unwrap();
        expected.push(tok.special().end_turn);
        assert_eq!(scored, expected);
    }

    #[test]
    fn conversations_declaring_a_topic_give_their_ids_its_entry() {
        let tok = tokenizer();
        let chat = |system: &str| {
            Example::Chat(vec![
                Message::new(Role::System, system),
                Message::new(Role::User, "Halo"),
                Message::new(Role::Assistant, "Baik"),
            ])
        };
        let examples = [
            chat("Topik: Halo\nKonteks: Baik sekali"),
            Example::Text("Halo lagi.".into()),
            chat("Kamu tutor."),
            chat("Topik: Terima kasih"),
        ];
        let s = stream(&examples, &tok, LossMask::All).unwrap();
        assert_eq!(s.table.len(), 2);
        assert_eq!(s.table[0].topic, tok.encode("Halo").unwrap());
        assert_eq!(s.table[0].context, tok.encode("Baik sekali").unwrap());
        assert_eq!(s.table[1].context, Vec::<u32>::new());
        assert_eq!(s.condition.len(), s.ids.len());
        let mut runs: Vec<u32> = s.condition.clone();
        runs.dedup();
        assert_eq!(
            runs,
            vec![1, 0, 2],
            "each id carries its conversation's entry"
        );
        let w = cut(&s, tok.special().pad, 8);
        assert_eq!(w.conditions.len(), w.len());
        assert_eq!(w.conditions[0][0], 1);
        let plain = stream(&examples[1..3], &tok, LossMask::All).unwrap();
        assert!(plain.condition.is_empty() && plain.table.is_empty());
    }

    #[test]
    fn epoch_order_is_a_seeded_permutation() {
        let a = epoch_order(50, 1, 0);
        assert_eq!(a, epoch_order(50, 1, 0));
        assert_ne!(a, epoch_order(50, 1, 1));
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }
}
