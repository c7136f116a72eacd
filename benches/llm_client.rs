//! Targets of the LLM client layer (issue 3, "Benchmarks"):
//!
//! 1. Time to first token added by the client over a raw HTTP read of the same local stream:
//!    p50 and p99 of the difference <= 2 ms. The same chat-completions SSE body (the first
//!    `data:` line carries the first token, 40 more follow, one HTTP chunk per event) is served
//!    by the scripted HTTP/1.1 server of the tests on 127.0.0.1, alternately to a raw `reqwest`
//!    POST (send -> first body chunk holding the first `data:` line) and to
//!    `OpenAiProvider::stream` (call -> first `StreamEvent::TextDelta`). Each request opens a
//!    new connection (the server answers `connection: close`) on both sides.
//! 2. SSE parse throughput: a 50 MB body of realistic chat-completions chunks (64 KiB HTTP
//!    chunks) read through `OpenAiProvider::stream` to `Done`, in MB/s and events/s, next to a
//!    raw `reqwest` read of the same body.
//! 3. Fallback latency after a provider starts failing with 5xx: <= 1 s once the provider is
//!    judged failing. A `Router` over two OpenAI providers on two local servers, the first of
//!    which answers every request with a 500: (a) the first call, which retries the failing
//!    provider with the configured backoff until its breaker opens and then falls back, for
//!    information; (b) calls made while the breaker is open, call -> first `TextDelta` from
//!    the fallback, which the target judges.

// Harness code: a failed setup should stop the bench loudly, and it prints its table.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use warroom::config::{Config, ModelRef, RoleConfig};
use warroom::core::llm::openai::{OpenAiProvider, OpenAiSettings};
use warroom::core::llm::router::{BreakerState, CallContext, EventSink, Router};
use warroom::core::llm::{ChatProvider, ChatRequest, Message, Params, Role, StreamEvent};
use warroom::protocol::{AgentId, LlmCallId, RunId};

mod common;
use common::{Res, Stats, banner, ms, size, verdict};

// The tests' scripted server; it panics on a malformed request, as harness code may.
#[allow(dead_code, clippy::panic)]
#[path = "../tests/support/fake_http.rs"]
mod fake_http;
use fake_http::{FakeServer, Script};

const TARGET_TTFT_ADDED: Duration = Duration::from_millis(2);
const TARGET_FALLBACK: Duration = Duration::from_secs(1);

// The `[router]` settings of part 3: quick retries, a breaker that stays open for the run.
const MAX_RETRIES: u32 = 2;
const BASE_BACKOFF_MS: u64 = 20;
const MAX_BACKOFF_MS: u64 = 100;
const BREAKER_FAILURES: u32 = 3;
const BREAKER_COOLDOWN_MS: u64 = 600_000;

fn main() -> Res<()> {
    if common::skip_unless_bench("llm_client") {
        return Ok(());
    }
    banner("llm_client");
    println!("{}", common::machine());
    common::runtime()?.block_on(run())
}

async fn run() -> Res<()> {
    ttft().await?;
    throughput().await?;
    fallback().await?;
    Ok(())
}

/// One streamed chunk as OpenAI sends it.
fn chunk_json(i: usize, content: &str) -> String {
    json!({
        "id": "chatcmpl-9xQ3bench000000000000000000",
        "object": "chat.completion.chunk",
        "created": 1_763_700_000 + i,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_0123456789",
        "choices": [{"index": 0, "delta": {"content": content}, "logprobs": null,
            "finish_reason": null}]
    })
    .to_string()
}

fn finish_json() -> String {
    json!({"id": "chatcmpl-9xQ3bench000000000000000000", "object": "chat.completion.chunk",
        "created": 1_763_700_000, "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    .to_string()
}

fn usage_json(completion: usize) -> String {
    json!({"id": "chatcmpl-9xQ3bench000000000000000000", "object": "chat.completion.chunk",
        "choices": [], "usage": {"prompt_tokens": 120, "completion_tokens": completion,
        "total_tokens": 120 + completion}})
    .to_string()
}

const WORDS: [&str; 8] = [
    "The ", "build ", "failed ", "because ", "the ", "linker ", "ran ", "out ",
];

/// The short answer of part 1: 41 tokens, finish, usage, `[DONE]`.
fn short_answer() -> Script {
    let mut data: Vec<String> = (0..41).map(|i| chunk_json(i, WORDS[i % 8])).collect();
    data.push(finish_json());
    data.push(usage_json(41));
    data.push("[DONE]".into());
    Script::sse(data)
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "gpt-4o-mini".into(),
        messages: vec![
            Message::text(Role::System, "You are a careful build engineer."),
            Message::text(Role::User, "Why did the build fail?"),
        ],
        tools: Vec::new(),
        params: Params::default(),
    }
}

fn settings(name: &str, server: &FakeServer) -> OpenAiSettings {
    OpenAiSettings {
        connect_timeout: Duration::from_secs(2),
        first_byte_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(10),
        ..OpenAiSettings::new(name, format!("{}/v1", server.url()))
            .with_key("sk-bench-0123456789abcdef", "the bench")
    }
}

fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
}

/// The body the provider sends, so both sides send the same bytes.
fn request_body() -> String {
    json!({"model": "gpt-4o-mini", "stream": true,
        "stream_options": {"include_usage": true},
        "messages": [{"role": "system", "content": "You are a careful build engineer."},
            {"role": "user", "content": "Why did the build fail?"}]})
    .to_string()
}

/// Raw: send -> the first body chunk that holds a `data:` line. Then drains the body.
async fn raw_first(client: &reqwest::Client, url: &str, body: &str) -> Duration {
    let started = Instant::now();
    let mut response = client
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "text/event-stream")
        .header("authorization", "Bearer sk-bench-0123456789abcdef")
        .body(body.to_string())
        .send()
        .await
        .expect("raw send");
    assert_eq!(response.status(), 200);
    let mut first = None;
    let mut seen = Vec::new();
    while let Some(bytes) = response.chunk().await.expect("raw chunk") {
        if first.is_none() {
            seen.extend_from_slice(&bytes);
            if seen.windows(5).any(|w| w == b"data:") {
                first = Some(started.elapsed());
            }
        }
    }
    first.expect("no data line")
}

/// Client: `stream` -> the first `TextDelta`. Then drains the stream.
async fn client_first(provider: &OpenAiProvider, request: &ChatRequest) -> Duration {
    let started = Instant::now();
    let mut stream = provider.stream(request).await.expect("client stream");
    let mut first = None;
    while let Some(item) = stream.next().await {
        let event = item.expect("client event");
        if first.is_none() && matches!(event, StreamEvent::TextDelta { .. }) {
            first = Some(started.elapsed());
        }
    }
    first.expect("no text delta")
}

async fn ttft() -> Res<()> {
    let n = size(300, 40);
    let warmup = 20;
    let total = n + warmup;
    // Raw and client requests alternate; each server serves one side.
    let raw_server = FakeServer::start((0..total).map(|_| short_answer()).collect()).await;
    let client_server = FakeServer::start((0..total).map(|_| short_answer()).collect()).await;
    let raw = raw_client();
    let raw_url = format!("{}/v1/chat/completions", raw_server.url());
    let body = request_body();
    let provider = OpenAiProvider::new(settings("bench", &client_server))?;
    let request = request();
    let (mut raw_samples, mut client_samples, mut diffs) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..total {
        let (r, c) = if i % 2 == 0 {
            let r = raw_first(&raw, &raw_url, &body).await;
            (r, client_first(&provider, &request).await)
        } else {
            let c = client_first(&provider, &request).await;
            (raw_first(&raw, &raw_url, &body).await, c)
        };
        if i >= warmup {
            raw_samples.push(r);
            client_samples.push(c);
            diffs.push(c.saturating_sub(r));
        }
    }
    let raw_stats = Stats::of(&raw_samples);
    let client_stats = Stats::of(&client_samples);
    // The difference of the percentiles (pairs are independent connections, so the
    // percentiles of per-pair differences mostly measure scheduling noise; printed too).
    let added_p50 = client_stats.p50.as_secs_f64() - raw_stats.p50.as_secs_f64();
    let added_p99 = client_stats.p99.as_secs_f64() - raw_stats.p99.as_secs_f64();
    let pair = Stats::of(&diffs);
    let target = TARGET_TTFT_ADDED.as_secs_f64();
    let ok = added_p50 <= target && added_p99 <= target;
    println!();
    println!("1. time to first token, {n} requests per side (after {warmup} warm-up), ms");
    println!("   {:<36} {:>8} {:>8}", "", "p50", "p99");
    println!(
        "   {:<36} {:>8} {:>8}",
        "raw reqwest: first data: chunk",
        ms(raw_stats.p50),
        ms(raw_stats.p99)
    );
    println!(
        "   {:<36} {:>8} {:>8}",
        "OpenAiProvider: first TextDelta",
        ms(client_stats.p50),
        ms(client_stats.p99)
    );
    println!(
        "   {:<36} {:>8} {:>8}   target <= {} ms: {}",
        "added by the client (client - raw)",
        format!("{:.3}", added_p50 * 1000.0),
        format!("{:.3}", added_p99 * 1000.0),
        TARGET_TTFT_ADDED.as_millis(),
        verdict(ok)
    );
    println!(
        "   {:<36} {:>8} {:>8}   (per pair, for information)",
        "per-pair difference (negative as 0)",
        ms(pair.p50),
        ms(pair.p99)
    );
    Ok(())
}

/// A body of about `bytes` bytes of chat-completions chunks, in 64 KiB HTTP chunks, and the
/// number of `data:` events in it.
fn big_answer(bytes: usize) -> (Script, usize, usize) {
    let mut script = Script::event_stream();
    let mut piece = String::with_capacity(70_000);
    let (mut total, mut events) = (0, 0);
    let mut i = 0;
    while total + piece.len() < bytes {
        piece.push_str("data: ");
        piece.push_str(&chunk_json(i, WORDS[i % 8]));
        piece.push_str("\n\n");
        events += 1;
        i += 1;
        if piece.len() >= 64 * 1024 {
            total += piece.len();
            script = script.chunk(&piece);
            piece.clear();
        }
    }
    for data in [finish_json(), usage_json(i), "[DONE]".to_string()] {
        piece.push_str("data: ");
        piece.push_str(&data);
        piece.push_str("\n\n");
        events += 1;
    }
    total += piece.len();
    script = script.chunk(&piece);
    (script, total, events)
}

async fn throughput() -> Res<()> {
    let target_bytes = size(50_000_000, 5_000_000);
    let runs = 3;
    let (script, bytes, data_events) = big_answer(target_bytes);
    let scripts: Vec<Script> = (0..runs + 1).map(|_| script.clone()).collect();
    drop(script);
    let server = FakeServer::start(scripts).await;
    let mb = bytes as f64 / 1e6;

    // Raw read of the same body once, for scale.
    let raw = raw_client();
    let started = Instant::now();
    let mut response = raw
        .post(format!("{}/v1/chat/completions", server.url()))
        .body(request_body())
        .send()
        .await?;
    let mut raw_bytes = 0;
    while let Some(b) = response.chunk().await? {
        raw_bytes += b.len();
    }
    let raw_time = started.elapsed();
    assert_eq!(raw_bytes, bytes);

    let provider = OpenAiProvider::new(settings("bench", &server))?;
    let request = request();
    let mut times = Vec::new();
    let mut events = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let mut stream = provider.stream(&request).await?;
        events = 0;
        let mut done = false;
        while let Some(item) = stream.next().await {
            let event = item?;
            events += 1;
            done |= matches!(event, StreamEvent::Done { .. });
        }
        times.push(started.elapsed());
        assert!(done, "the stream ended without Done");
    }
    times.sort_unstable();
    let median = times[runs / 2];
    println!();
    println!(
        "2. SSE parse throughput: {mb:.1} MB body, {data_events} data: lines, {events} \
         StreamEvents per read; median of {runs} reads"
    );
    println!(
        "   raw reqwest read of the body       {:>8.1} MB/s",
        mb / raw_time.as_secs_f64()
    );
    println!(
        "   OpenAiProvider::stream to Done     {:>8.1} MB/s  {:>10.0} events/s  ({} s; runs: {})",
        mb / median.as_secs_f64(),
        events as f64 / median.as_secs_f64(),
        ms(median / 1000),
        times
            .iter()
            .map(|t| format!("{:.0} MB/s", mb / t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

async fn first_text(router: &Router, call: u32) -> Duration {
    let ctx = CallContext {
        run: RunId(1),
        agent: AgentId(1),
        call: LlmCallId(call),
        role: "analyst".into(),
    };
    let started = Instant::now();
    let mut stream = router.stream(ctx, request()).await.expect("router stream");
    let mut first = None;
    while let Some(item) = stream.next().await {
        let event = item.expect("router event");
        if first.is_none() && matches!(event, StreamEvent::TextDelta { .. }) {
            first = Some(started.elapsed());
        }
    }
    first.expect("no text delta")
}

/// A router whose role "analyst" is primary (every request a 500) then backup (answers).
async fn fallback_router(
    router: Option<(u32, u64, u64, u32, u64)>,
    answers: usize,
) -> Res<(Router, FakeServer, FakeServer)> {
    // No scripts: the fake server answers every request with a 500.
    let failing = FakeServer::start(Vec::new()).await;
    let healthy = FakeServer::start((0..answers).map(|_| short_answer()).collect()).await;
    let mut config = Config::default();
    if let Some((retries, base, max, failures, cooldown)) = router {
        config.router.max_retries = retries;
        config.router.base_backoff_ms = base;
        config.router.max_backoff_ms = max;
        config.router.breaker_failures = failures;
        config.router.breaker_cooldown_ms = cooldown;
    }
    config.roles.insert(
        "analyst".into(),
        RoleConfig {
            models: vec![
                ModelRef::parse("primary/gpt-4o-mini").expect("model ref"),
                ModelRef::parse("backup/gpt-4o").expect("model ref"),
            ],
            temperature: None,
            max_tokens: None,
            ..RoleConfig::default()
        },
    );
    let providers: HashMap<String, Arc<dyn ChatProvider>> = HashMap::from([
        (
            "primary".to_string(),
            Arc::new(OpenAiProvider::new(settings("primary", &failing))?) as Arc<dyn ChatProvider>,
        ),
        (
            "backup".to_string(),
            Arc::new(OpenAiProvider::new(settings("backup", &healthy))?) as Arc<dyn ChatProvider>,
        ),
    ]);
    let router = Router::new(&config, &providers, EventSink::Discard)?;
    Ok((router, failing, healthy))
}

async fn fallback() -> Res<()> {
    let n = size(200, 30);
    let small = (
        MAX_RETRIES,
        BASE_BACKOFF_MS,
        MAX_BACKOFF_MS,
        BREAKER_FAILURES,
        BREAKER_COOLDOWN_MS,
    );
    let (router, failing, healthy) = fallback_router(Some(small), n + 1 + 20).await?;

    // (a) The first call after the primary starts failing.
    let first = first_text(&router, 1).await;
    let primary_requests = failing.request_count();
    let opened = matches!(router.breaker("primary"), BreakerState::Open { .. });

    // Direct calls to the fallback, for scale: the fallback's own time to first token.
    let direct = OpenAiProvider::new(settings("backup", &healthy))?;
    let mut direct_samples = Vec::new();
    for _ in 0..20 {
        direct_samples.push(client_first(&direct, &request()).await);
    }
    // (b) Calls while the breaker is open.
    let mut samples = Vec::new();
    for i in 0..n {
        samples.push(first_text(&router, 2 + i as u32).await);
    }
    let after = failing.request_count();
    let stats = Stats::of(&samples);
    let direct_stats = Stats::of(&direct_samples);
    let ok = stats.p99 <= TARGET_FALLBACK;
    println!();
    println!(
        "3. fallback after 5xx; [router] max_retries = {MAX_RETRIES}, base_backoff_ms = \
         {BASE_BACKOFF_MS}, max_backoff_ms = {MAX_BACKOFF_MS}, breaker_failures = \
         {BREAKER_FAILURES}, breaker_cooldown_ms = {BREAKER_COOLDOWN_MS}; full jitter"
    );
    println!(
        "   (a) first call: {} ms to the fallback's first token ({primary_requests} requests \
         to the failing provider; breaker open after it: {opened})",
        ms(first)
    );
    println!(
        "   (b) breaker open, {n} calls: p50 {} ms, p99 {} ms, max {} ms; requests to the \
         failing provider meanwhile: {}   target <= {} ms: {}",
        ms(stats.p50),
        ms(stats.p99),
        ms(stats.max),
        after - primary_requests,
        TARGET_FALLBACK.as_millis(),
        verdict(ok && opened)
    );
    println!(
        "   fallback called directly (no router), 20 calls: p50 {} ms, p99 {} ms",
        ms(direct_stats.p50),
        ms(direct_stats.p99)
    );

    // (a) again with the default [router] (3 retries, 250 ms base, breaker after 3 failures),
    // a fresh router each time since the jitter is random.
    let runs = size(5, 2);
    let mut firsts = Vec::new();
    for _ in 0..runs {
        let (router, _failing, _healthy) = fallback_router(None, 1).await?;
        firsts.push(first_text(&router, 1).await);
    }
    firsts.sort_unstable();
    println!(
        "   (a) with the default [router] settings, {runs} fresh routers: first call {} ms",
        firsts.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
