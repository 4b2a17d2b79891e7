//! The fuzz targets: each builds valid seed inputs and a parse function over untrusted bytes.

use burn::backend::NdArray;
use siger::ModelConfig;
use siger::infer::chat::{Chat, ReplyOptions};
use siger::infer::sampling::Sampler;
use siger::io::checkpoint::{
    self, CONFIG_FILE, CheckpointFiles, LoadOptions, MANIFEST_FILE, Manifest, TOKENIZER_FILE,
    WEIGHTS_FILE,
};
use siger::quant::{QuantOptions, QuantScheme};
use siger::text::{Message, Role, Tokenizer};
use siger::translate::load_lexicon;
use siger::translate::ngram::{NgramModel, TrainOptions, train};

use crate::fuzz::{Report, run};

type B = NdArray<f32>;

/// The names `siger-fuzz` accepts, in the order it runs them.
pub const TARGETS: [&str; 7] = [
    "lexicon",
    "ngram",
    "options",
    "request",
    "tokenizer",
    "session",
    "checkpoint",
];

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut context) {
            return out;
        }
    }
}

fn tokenizer() -> Tokenizer {
    let corpus = ["Selamat pagi, apa kabar?", "Tabik pun, nyak haga belajagh."];
    Tokenizer::train(corpus.iter().cycle().take(40).copied(), 300).expect("tokenizer trains")
}

fn tiny() -> (ModelConfig, siger::Model<B>) {
    let config = ModelConfig::tiny().with_vocab_size(300);
    let model = config.init::<B>(&Default::default()).expect("tiny model");
    (config, model)
}

/// Runs target `name` for `executions` inputs from `seed`; `None` for an unknown name.
pub fn run_target(name: &str, executions: u64, seed: u64) -> Option<Report> {
    Some(match name {
        "lexicon" => lexicon(executions, seed),
        "ngram" => ngram(executions, seed),
        "options" => options(executions, seed),
        "request" => request(executions, seed),
        "tokenizer" => {
            let seeds = [tokenizer().to_json().into_bytes()];
            run("tokenizer", &seeds, executions, seed, |b| {
                Tokenizer::from_json_bounded(b, 300).is_ok()
            })
        }
        "session" => session(executions, seed),
        "checkpoint" => checkpoint(executions, seed),
        _ => return None,
    })
}

fn lexicon(executions: u64, seed: u64) -> Report {
    let seeds = [
        b"lampung\tindonesian\tenglish\tdialect\tpos\tsource\tnote\nnyak\tsaya\tI\tnyo\tpron\tt\t\nhaga\tmau\t\tboth\t\tt\n"
            .to_vec(),
        b"{\"lampung\": \"tabik pun\", \"indonesian\": \"salam hormat\", \"dialect\": \"both\", \"source\": \"s\"}\n"
            .to_vec(),
        b"[{\"idkata\":\"saya\",\"lpgkata\":\"nyak, ikam\",\"lpgaksara\":\"nyak\",\"lpgdialek\":\"nyow\"},{\"idkata\":null,\"lpgkata\":null,\"lpgaksara\":null,\"lpgdialek\":null}]"
            .to_vec(),
    ];
    run("lexicon", &seeds, executions, seed, |b| {
        std::str::from_utf8(b).is_ok_and(|text| load_lexicon("f", text).is_ok())
    })
}

fn ngram(executions: u64, seed: u64) -> Report {
    let text = "saya mau makan\nkamu mau minum\nsaya sudah makan nasi\n".to_string();
    let model = train("id", &[("t".into(), text)], &TrainOptions::every_ngram());
    let seeds = [model.to_bytes()];
    run("ngram", &seeds, executions, seed, |b| {
        NgramModel::from_bytes("f", b).is_ok()
    })
}

fn options(executions: u64, seed: u64) -> Report {
    let seeds = [br#"{"temperature":0.7,"top_p":0.9,"top_k":40,"repetition_penalty":1.1,"seed":1,"max_tokens":64}"#.to_vec()];
    run("options", &seeds, executions, seed, |b| {
        serde_json::from_slice::<ReplyOptions>(b).is_ok_and(|o| Sampler::new(o.sampling).is_ok())
    })
}

/// A chat request as the web engine receives it (`Engine.start(messages, options)`): the
/// messages and the options parsed, the reply started on a tiny model, one step taken, stopped.
fn request(executions: u64, seed: u64) -> Report {
    #[derive(serde::Deserialize)]
    struct Request {
        messages: Vec<Message>,
        #[serde(default)]
        options: ReplyOptions,
    }
    let (_, model) = tiny();
    let mut chat = Chat::new(model, tokenizer(), "w");
    let seeds = [
        br#"{"messages":[{"role":"user","content":"apa kabar?"}],"options":{"max_tokens":4}}"#
            .to_vec(),
        br#"{"messages":[{"role":"system","content":"Topik: salam"},{"role":"user","content":"Tabik pun"},{"role":"assistant","content":"Tabik"},{"role":"user","content":"nyak haga belajagh"}],"options":{"temperature":0.7,"top_p":0.9,"seed":3,"max_tokens":2}}"#
            .to_vec(),
    ];
    run("request", &seeds, executions, seed, |b| {
        let Ok(request) = serde_json::from_slice::<Request>(b) else {
            return false;
        };
        if chat.start(&request.messages, &request.options).is_err() {
            return false;
        }
        let stepped = block_on(chat.next()).is_none_or(|piece| piece.is_ok());
        chat.stop();
        stepped
    })
}

fn session(executions: u64, seed: u64) -> Report {
    let (_, model) = tiny();
    let mut chat = Chat::new(model, tokenizer(), "w");
    let options = ReplyOptions {
        max_tokens: 4,
        ..ReplyOptions::default()
    };
    chat.start(&[Message::new(Role::User, "apa kabar?")], &options)
        .expect("starts");
    while block_on(chat.next()).is_some() {}
    let seeds = [block_on(chat.save()).expect("saves")];
    run("session", &seeds, executions, seed, |b| {
        chat.restore(b).is_ok()
    })
}

/// Inputs are `[file index, re-sign flag, file bytes…]`.
fn checkpoint(executions: u64, seed: u64) -> Report {
    let (config, model) = tiny();
    let tok = tokenizer();
    let plain = checkpoint::checkpoint_files(&config, &model, &tok, None).expect("exports");
    let int4 = QuantOptions::new(QuantScheme::Int4);
    let quantized = checkpoint::checkpoint_files(&config, &model, &tok, Some(int4)).expect("q");
    let mut seeds = Vec::new();
    for files in [&plain, &quantized] {
        for (i, bytes) in [
            &files.manifest,
            &files.config,
            &files.weights,
            &files.tokenizer,
        ]
        .into_iter()
        .enumerate()
        {
            seeds.push([vec![i as u8, 1], bytes.clone()].concat());
        }
    }
    let limits = LoadOptions {
        max_parameters: Some(1 << 24),
    };
    let mut count = 0u64;
    run("checkpoint", &seeds, executions, seed, |input| {
        count += 1;
        let base = if count.is_multiple_of(2) {
            &plain
        } else {
            &quantized
        };
        let Some(files) = replaced(base, input) else {
            return false;
        };
        checkpoint::load_files_with::<B>(&files, &Default::default(), &limits).is_ok()
    })
}

/// `base` with the file `input` names replaced by the rest of `input`, its manifest entry
/// recomputed when the flag asks for it.
fn replaced(base: &CheckpointFiles, input: &[u8]) -> Option<CheckpointFiles> {
    let (&index, rest) = input.split_first()?;
    let (&flag, bytes) = rest.split_first()?;
    let mut files = base.clone();
    let name = [MANIFEST_FILE, CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE][usize::from(index % 4)];
    let slot = match index % 4 {
        0 => &mut files.manifest,
        1 => &mut files.config,
        2 => &mut files.weights,
        _ => &mut files.tokenizer,
    };
    *slot = bytes.to_vec();
    if flag & 1 == 1 && name != MANIFEST_FILE {
        let mut manifest: Manifest = serde_json::from_slice(&files.manifest).ok()?;
        manifest
            .files
            .insert(name.to_string(), checkpoint::entry(bytes));
        files.manifest = serde_json::to_vec(&manifest).ok()?;
    }
    Some(files)
}
