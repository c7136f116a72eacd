//! Target: a response-cache lookup with 100,000 entries, p99 <= 1 ms.
//!
//! The cache is filled through its real API (`CacheStore::put`, then `flush`) in a fresh
//! database with the real migrations (WAL, `synchronous=NORMAL`), under cargo's target/tmp.
//! Entry `i` answers a synthetic request `i` (a 1.2 KB system prompt, a question naming `i`,
//! temperature 0), keyed by its real fingerprint; the answer is about 1 KB of stream events.
//! Then, timing each call on its own from a tokio runtime like the binary's (multi-thread, 2
//! workers), in random order:
//!
//! - store hit: `CacheStore::get` of a stored key: the channel hand-off to the cache thread,
//!   the indexed read, the reply. What the target names.
//! - store miss: `CacheStore::get` of a key never stored.
//! - cache hit, end to end: `ResponseCache::stream` of a stored request through a provider that
//!   must not be called, up to the first event: fingerprinting (canonical JSON + sha256), the
//!   lookup, and decoding the stored events.
//! - store hit under writes: store hits while another task stores 500 new answers a second.
//!
//! Lookups run on the cache's reader thread and connection; the hit and miss counts they
//! produce are written by its writer thread, in batches, during the measurement: that load is
//! inside the run, though no measured call waits for it.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use warroom::core::llm::cache::{CacheOptions, ResponseCache};
use warroom::core::llm::fingerprint::Fingerprint;
use warroom::core::llm::{
    ChatProvider, ChatRequest, FinishReason, LlmError, LlmStream, Message, Params, Role,
    StreamEvent, Usage,
};
use warroom::protocol::Millis;
use warroom::store::cache::{CacheEntry, CacheStore, CachedTokens};

mod common;
use common::{Res, Stats, banner, ms, size, verdict};

const TARGET_P99: Duration = Duration::from_millis(1);
const PROVIDER: &str = "bench";

fn main() -> Res<()> {
    if common::skip_unless_bench("llm_cache") {
        return Ok(());
    }
    banner("llm_cache");
    let entries = size(100_000, 10_000);
    let samples = size(20_000, 2_000);
    println!(
        "{entries} entries, {samples} timed lookups per case; {}",
        common::machine()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(entries, samples))
}

async fn run(entries: usize, samples: usize) -> Res<()> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let db = dir.path().join("state.db");
    let store = CacheStore::open(&db, Duration::from_secs(5))?;
    let answer = answer_json();

    let started = Instant::now();
    for i in 0..entries {
        store.put(entry(&request(i), &answer))?;
        // `put` never waits: drain the queue now and then so that no entry is dropped.
        if i % 512 == 511 {
            store.flush().await?;
        }
    }
    store.flush().await?;
    let filled = started.elapsed();
    let stats = store.stats().await?;
    println!(
        "filled {} entries in {:.1} s ({:.0} puts/s); database {:.1} MB + WAL {:.1} MB",
        stats.entries,
        filled.as_secs_f64(),
        entries as f64 / filled.as_secs_f64(),
        std::fs::metadata(&db)?.len() as f64 / 1e6,
        wal_len(&db) as f64 / 1e6
    );

    let mut order = Lcg(42);
    let now = Millis::now();
    let mut hits = Vec::with_capacity(samples);
    for _ in 0..samples {
        let key = *Fingerprint::for_provider(PROVIDER, &request(order.below(entries))).bytes();
        let t = Instant::now();
        let found = store.get(&key, now).await?;
        hits.push(t.elapsed());
        if found.is_none() {
            return Err("a stored key was not found".into());
        }
    }

    let mut misses = Vec::with_capacity(samples);
    for _ in 0..samples {
        let key =
            *Fingerprint::for_provider(PROVIDER, &request(entries + order.below(entries))).bytes();
        let t = Instant::now();
        let found = store.get(&key, now).await?;
        misses.push(t.elapsed());
        if found.is_some() {
            return Err("a key never stored was found".into());
        }
    }

    let cache = ResponseCache::new(store.clone(), CacheOptions::default());
    let never = Never;
    let mut end_to_end = Vec::with_capacity(samples);
    for _ in 0..samples {
        let r = request(order.below(entries));
        let t = Instant::now();
        let mut answer = cache.stream(&never, &r).await?;
        let first = answer.stream.next().await;
        end_to_end.push(t.elapsed());
        if !answer.cache_hit || !matches!(first, Some(Ok(StreamEvent::TextDelta { .. }))) {
            return Err("the end-to-end lookup did not hit".into());
        }
    }

    let writer = {
        let store = store.clone();
        let answer = answer.clone();
        tokio::spawn(async move {
            let mut i = 10 * entries;
            let mut tick = tokio::time::interval(Duration::from_millis(2));
            loop {
                tick.tick().await;
                if store.put(entry(&request(i), &answer)).is_err() {
                    return;
                }
                i += 1;
            }
        })
    };
    let mut loaded = Vec::with_capacity(samples);
    for _ in 0..samples {
        let key = *Fingerprint::for_provider(PROVIDER, &request(order.below(entries))).bytes();
        let t = Instant::now();
        let found = store.get(&key, now).await?;
        loaded.push(t.elapsed());
        if found.is_none() {
            return Err("a stored key was not found under writes".into());
        }
    }
    writer.abort();

    println!();
    println!("| case | n | p50 ms | p99 ms | max ms | mean ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut store_hit_p99 = Duration::ZERO;
    for (name, set) in [
        ("store hit", &hits),
        ("store miss", &misses),
        ("cache hit, end to end (first event)", &end_to_end),
        ("store hit under 500 puts/s", &loaded),
    ] {
        let s = Stats::of(set);
        if name == "store hit" {
            store_hit_p99 = s.p99;
        }
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            s.n,
            ms(s.p50),
            ms(s.p99),
            ms(s.max),
            ms(s.mean)
        );
    }
    let stats = store.stats().await?;
    println!(
        "\ncounters after the run: hits {}, misses {}, hit rate {:.3}",
        stats.hits, stats.misses, stats.hit_rate
    );
    println!(
        "target: store hit p99 <= {} ms with {entries} entries: {} ms -> {}",
        ms(TARGET_P99),
        ms(store_hit_p99),
        verdict(store_hit_p99 <= TARGET_P99)
    );
    Ok(())
}

/// Request `i`: what an agent's deterministic call looks like.
fn request(i: usize) -> ChatRequest {
    ChatRequest {
        model: "gpt-4o-mini".into(),
        messages: vec![
            Message::text(Role::System, SYSTEM.repeat(4)),
            Message::text(
                Role::User,
                format!("Task {i}: the test parse_dates_{i} fails; find why and say where."),
            ),
        ],
        tools: Vec::new(),
        params: Params {
            temperature: Some(0.0),
            max_tokens: Some(1024),
            ..Params::default()
        },
    }
}

const SYSTEM: &str = "You are the analyst of a team of coding agents. Read the code you are \
    shown, explain the fault in one paragraph, then write a unified diff that fixes it. ";

/// About 1 KB of stream events: 40 text deltas, usage, done.
fn answer_json() -> String {
    let mut events: Vec<StreamEvent> = (0..40)
        .map(|n| StreamEvent::TextDelta {
            text: format!("word{n} of the answer "),
        })
        .collect();
    events.push(StreamEvent::Usage {
        usage: Usage {
            input_tokens: 420,
            output_tokens: 160,
            ..Usage::default()
        },
    });
    events.push(StreamEvent::Done {
        finish_reason: FinishReason::Stop,
    });
    serde_json::to_string(&events).unwrap_or_default()
}

fn entry(request: &ChatRequest, answer: &str) -> CacheEntry {
    let now = Millis::now();
    CacheEntry {
        key: *Fingerprint::for_provider(PROVIDER, request).bytes(),
        provider: PROVIDER.into(),
        model: request.model.clone(),
        events: answer.to_string(),
        tokens: CachedTokens {
            input: 420,
            output: 160,
            ..CachedTokens::default()
        },
        cost_usd: 0.0002,
        created_at: now,
        expires_at: Millis(now.0 + 7 * 24 * 3600 * 1000),
    }
}

fn wal_len(db: &std::path::Path) -> u64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

/// A provider that must never be reached: every end-to-end lookup is a hit.
struct Never;

impl ChatProvider for Never {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn stream<'a>(&'a self, _: &'a ChatRequest) -> BoxFuture<'a, Result<LlmStream, LlmError>> {
        Box::pin(async { Err(LlmError::Config("the bench reached the provider".into())) })
    }
}

/// A tiny deterministic generator for the lookup order.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}
