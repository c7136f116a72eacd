//! The response cache and record/replay, end to end with real parts: the real OpenAI provider
//! talking to a real HTTP server on 127.0.0.1 (tests/support/fake_http.rs) with scripted event
//! streams, and the cache in a real SQLite file with the real migrations. The server counts
//! requests, so "served from the cache" means "no request was sent". A small in-process
//! provider covers the two endings HTTP cannot produce (a stream that ends without `Done` or
//! an error, and events after `Done`).

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use serde_json::json;
use support::chat_chunks::{call_fragment, finish, text, usage, within};
use support::fake_http::{FakeServer, Script};
use warroom::core::llm::cache::{CacheOptions, CachingProvider, ResponseCache, read_stats};
use warroom::core::llm::openai::{OpenAiProvider, OpenAiSettings};
use warroom::core::llm::record::{Recorder, RecordingProvider};
use warroom::core::llm::replay::ReplayProvider;
use warroom::core::llm::{
    ChatProvider, ChatRequest, FinishReason, LlmError, LlmStream, Message, Params, Role,
    StreamEvent, ToolSpec, Usage,
};
use warroom::store::cache::CacheStore;

const KEY: &str = "sk-test-0123456789abcdefghij";
const WAIT: Duration = Duration::from_secs(5);

fn openai(server: &FakeServer) -> Arc<dyn ChatProvider> {
    let settings = OpenAiSettings {
        connect_timeout: WAIT,
        first_byte_timeout: WAIT,
        idle_timeout: WAIT,
        ..OpenAiSettings::new("openai", format!("{}/v1", server.url()))
            .with_key(KEY, "environment variable OPENAI_API_KEY")
    };
    Arc::new(OpenAiProvider::new(settings).unwrap())
}

fn request(text: &str, temperature: Option<f32>) -> ChatRequest {
    ChatRequest {
        model: "gpt-test".into(),
        messages: vec![
            Message::text(Role::System, "Be brief."),
            Message::text(Role::User, text),
        ],
        tools: Vec::new(),
        params: Params {
            temperature,
            ..Params::default()
        },
    }
}

/// A whole answer: `words` as text deltas, stop, usage, [DONE].
fn answer(words: &[&str]) -> Script {
    let mut data: Vec<String> = words.iter().map(|w| text(w)).collect();
    data.extend([finish("stop"), usage(12, 3, 0), "[DONE]".into()]);
    Script::sse(data)
}

/// What a call gave: refused before a stream, or the stream's events and its error if any.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Refused(LlmError),
    Streamed {
        events: Vec<StreamEvent>,
        error: Option<LlmError>,
    },
}

impl Outcome {
    fn events(&self) -> &[StreamEvent] {
        match self {
            Outcome::Streamed { events, error } => {
                assert!(error.is_none(), "the stream failed: {error:?}");
                events
            }
            Outcome::Refused(e) => panic!("the call was refused: {e}"),
        }
    }

    fn text(&self) -> String {
        self.events()
            .iter()
            .filter_map(|e| match e {
                StreamEvent::TextDelta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

async fn read_all(mut stream: LlmStream) -> Outcome {
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(error) => {
                return Outcome::Streamed {
                    events,
                    error: Some(error),
                };
            }
        }
    }
    Outcome::Streamed {
        events,
        error: None,
    }
}

async fn run(provider: &dyn ChatProvider, request: &ChatRequest) -> Outcome {
    match provider.stream(request).await {
        Ok(stream) => read_all(stream).await,
        Err(error) => Outcome::Refused(error),
    }
}

/// A cache in a fresh database, and the folder that holds it.
fn cache(options: CacheOptions) -> (tempfile::TempDir, ResponseCache) {
    let dir = tempfile::tempdir().unwrap();
    let store = CacheStore::open(&dir.path().join("state.db"), WAIT).unwrap();
    // $0.01 per completion token: each hit of the 3-token answers saves $0.03.
    let price = Arc::new(|_: &str, _: &str, usage: &Usage| usage.output_tokens as f64 * 0.01);
    (dir, ResponseCache::new(store, options).with_pricing(price))
}

/// Calls through the cache; returns the outcome and whether the cache answered.
async fn cached(
    cache: &ResponseCache,
    provider: &dyn ChatProvider,
    r: &ChatRequest,
) -> (Outcome, bool) {
    match cache.stream(provider, r).await {
        Ok(answer) => (read_all(answer.stream).await, answer.cache_hit),
        Err(error) => (Outcome::Refused(error), false),
    }
}

#[tokio::test]
async fn a_deterministic_answer_is_replayed_from_the_cache_without_a_request() {
    within(async {
        let server = FakeServer::start(vec![answer(&["Hel", "lo!"]), answer(&["Other"])]).await;
        let live = openai(&server);
        let (dir, cache) = cache(CacheOptions::default());
        let r = request("Say hello.", Some(0.0));

        let (first, hit) = cached(&cache, live.as_ref(), &r).await;
        assert!(!hit);
        assert_eq!(first.text(), "Hello!");
        let (second, hit) = cached(&cache, live.as_ref(), &r).await;
        assert!(hit, "the second identical request is a hit");
        assert_eq!(
            second, first,
            "a hit replays the very same events, usage included"
        );
        assert_eq!(server.request_count(), 1, "a hit sends nothing");

        // Another question is a miss.
        let (other, hit) = cached(&cache, live.as_ref(), &request("Other?", Some(0.0))).await;
        assert!(!hit);
        assert_eq!(other.text(), "Other");

        let stats = cache.stats().await.unwrap();
        assert_eq!((stats.entries, stats.hits, stats.misses), (2, 1, 2));
        assert!((stats.hit_rate - 1.0 / 3.0).abs() < 1e-9, "{stats:?}");
        assert!((stats.dollars_saved - 0.03).abs() < 1e-9, "{stats:?}");
        // Another process (doctor) reads the same counters from the file.
        let read = read_stats(&dir.path().join("state.db"), WAIT).unwrap();
        assert_eq!((read.hits, read.misses), (1, 2));
    })
    .await;
}

#[tokio::test]
async fn the_caching_provider_wraps_any_provider_and_tells_hits_apart() {
    within(async {
        let server = FakeServer::start(vec![answer(&["Hi"])]).await;
        let (_dir, cache) = cache(CacheOptions::default());
        let provider = CachingProvider::new(openai(&server), cache);
        assert_eq!(provider.name(), "openai");
        let r = request("Say hi.", Some(0.0));
        let first = provider.stream_cached(&r).await.unwrap();
        assert!(!first.cache_hit);
        let first = read_all(first.stream).await;
        // Through the plain trait, as a router holding `Arc<dyn ChatProvider>` would call it.
        let second = run(&provider, &r).await;
        assert_eq!(second, first);
        assert!(provider.stream_cached(&r).await.unwrap().cache_hit);
        assert_eq!(server.request_count(), 1);
    })
    .await;
}

#[tokio::test]
async fn only_deterministic_requests_are_cached_unless_configured() {
    within(async {
        let server = FakeServer::start(vec![
            answer(&["one"]),
            answer(&["two"]),
            answer(&["three"]),
            answer(&["four"]),
        ])
        .await;
        let live = openai(&server);
        let (_dir, strict) = cache(CacheOptions::default());
        for temperature in [Some(0.7), None] {
            let r = request("Sample.", temperature);
            assert!(!cached(&strict, live.as_ref(), &r).await.1);
            assert!(!cached(&strict, live.as_ref(), &r).await.1);
        }
        assert_eq!(server.request_count(), 4);
        let stats = strict.stats().await.unwrap();
        assert_eq!((stats.entries, stats.hits, stats.misses), (0, 0, 0));

        let server = FakeServer::start(vec![answer(&["sampled"])]).await;
        let live = openai(&server);
        let (_dir, all) = cache(CacheOptions {
            only_deterministic: false,
            ..CacheOptions::default()
        });
        let r = request("Sample.", Some(0.7));
        assert!(!cached(&all, live.as_ref(), &r).await.1);
        let (again, hit) = cached(&all, live.as_ref(), &r).await;
        assert!(hit);
        assert_eq!(again.text(), "sampled");

        let (_dir, off) = cache(CacheOptions {
            enabled: false,
            ..CacheOptions::default()
        });
        let server = FakeServer::start(vec![answer(&["a"]), answer(&["b"])]).await;
        let live = openai(&server);
        let r = request("Off.", Some(0.0));
        assert_eq!(cached(&off, live.as_ref(), &r).await.0.text(), "a");
        assert_eq!(cached(&off, live.as_ref(), &r).await.0.text(), "b");
    })
    .await;
}

#[tokio::test]
async fn errors_are_never_cached() {
    within(async {
        let server = FakeServer::start(vec![
            // Refused before the stream.
            Script::json(500, r#"{"error":{"message":"boom"}}"#),
            // Failed in the middle.
            Script::sse([text("Hel"), "{not json".into()]),
            // Cut before [DONE].
            Script::sse([text("Hel"), text("lo"), "[DONE]".into()]).abort_after(1),
            answer(&["Fine"]),
        ])
        .await;
        let live = openai(&server);
        let (_dir, cache) = cache(CacheOptions::default());
        let r = request("Try.", Some(0.0));
        let (refused, _) = cached(&cache, live.as_ref(), &r).await;
        assert!(matches!(
            refused,
            Outcome::Refused(LlmError::Server { status: 500, .. })
        ));
        for _ in 0..2 {
            let (outcome, hit) = cached(&cache, live.as_ref(), &r).await;
            assert!(!hit);
            assert!(
                matches!(&outcome, Outcome::Streamed { error: Some(_), .. }),
                "{outcome:?}"
            );
        }
        let (fine, hit) = cached(&cache, live.as_ref(), &r).await;
        assert!(!hit, "nothing failed was stored");
        assert_eq!(fine.text(), "Fine");
        let (again, hit) = cached(&cache, live.as_ref(), &r).await;
        assert!(hit);
        assert_eq!(again, fine);
        assert_eq!(server.request_count(), 4);
    })
    .await;
}

#[tokio::test]
async fn a_stream_the_caller_dropped_is_not_cached() {
    within(async {
        let server = FakeServer::start(vec![answer(&["a", "b", "c"]), answer(&["abc"])]).await;
        let live = openai(&server);
        let (_dir, cache) = cache(CacheOptions::default());
        let r = request("Drop me.", Some(0.0));
        let mut stream = cache.stream(live.as_ref(), &r).await.unwrap().stream;
        assert!(stream.next().await.unwrap().is_ok());
        drop(stream);
        let (outcome, hit) = cached(&cache, live.as_ref(), &r).await;
        assert!(!hit);
        assert_eq!(outcome.text(), "abc");
        assert!(cached(&cache, live.as_ref(), &r).await.1);
    })
    .await;
}

/// Plays fixed events, with no HTTP: for endings a real server cannot produce.
struct Scripted {
    events: Vec<StreamEvent>,
}

impl ChatProvider for Scripted {
    fn name(&self) -> &str {
        "scripted"
    }

    fn stream<'a>(&'a self, _: &'a ChatRequest) -> BoxFuture<'a, Result<LlmStream, LlmError>> {
        let events = self.events.clone();
        Box::pin(async move { Ok(futures_util::stream::iter(events.into_iter().map(Ok)).boxed()) })
    }
}

#[tokio::test]
async fn a_stream_that_ends_without_done_is_not_cached_and_events_after_done_are_not_kept() {
    let (_dir, cache) = cache(CacheOptions::default());
    let r = request("Scripted.", Some(0.0));
    let cut = Scripted {
        events: vec![StreamEvent::TextDelta {
            text: "half".into(),
        }],
    };
    assert!(!cached(&cache, &cut, &r).await.1);
    assert!(!cached(&cache, &cut, &r).await.1, "a cut answer was stored");

    let done = StreamEvent::Done {
        finish_reason: FinishReason::Stop,
    };
    let chatty = Scripted {
        events: vec![
            StreamEvent::TextDelta { text: "ok".into() },
            done.clone(),
            StreamEvent::TextDelta {
                text: "late".into(),
            },
        ],
    };
    assert!(!cached(&cache, &chatty, &r).await.1);
    let (outcome, hit) = cached(&cache, &chatty, &r).await;
    assert!(hit);
    assert_eq!(
        outcome.events(),
        [StreamEvent::TextDelta { text: "ok".into() }, done]
    );
}

#[tokio::test]
async fn an_expired_answer_is_fetched_again() {
    within(async {
        let server = FakeServer::start(vec![answer(&["old"]), answer(&["new"])]).await;
        let live = openai(&server);
        let (_dir, cache) = cache(CacheOptions {
            ttl: Duration::from_millis(50),
            ..CacheOptions::default()
        });
        let r = request("Fresh?", Some(0.0));
        assert_eq!(cached(&cache, live.as_ref(), &r).await.0.text(), "old");
        assert!(
            cached(&cache, live.as_ref(), &r).await.1,
            "fresh within its TTL"
        );
        tokio::time::sleep(Duration::from_millis(120)).await;
        let (outcome, hit) = cached(&cache, live.as_ref(), &r).await;
        assert!(!hit, "expired");
        assert_eq!(outcome.text(), "new");
        assert!(cached(&cache, live.as_ref(), &r).await.1);
    })
    .await;
}

fn read_file_tool() -> ToolSpec {
    ToolSpec {
        name: "read_file".into(),
        description: "Read a file of the repository.".into(),
        parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
    }
}

/// The requests of a small run, in order, with what the server answers to each.
fn a_small_run() -> (Vec<ChatRequest>, Vec<Script>) {
    let hello = request("Say hello.", Some(0.0));
    let mut tools = request("Read main.rs.", Some(0.0));
    tools.tools = vec![read_file_tool()];
    let flaky = request("Count to two.", None);
    let requests = vec![
        hello.clone(),
        tools,
        flaky.clone(),
        flaky,
        hello,
        request("Fail midway.", Some(0.0)),
    ];
    let scripts = vec![
        answer(&["Hel", "lo!"]),
        Script::sse([
            call_fragment(0, Some("call_1"), Some("read_file"), "{\"pa"),
            call_fragment(0, None, None, "th\": \"main.rs\"}"),
            finish("tool_calls"),
            usage(30, 9, 0),
            "[DONE]".into(),
        ]),
        Script::json(429, r#"{"error":{"message":"slow down"}}"#).header("retry-after", "2"),
        answer(&["one", " two"]),
        // The same request as the first, answered differently: replay keeps the order.
        answer(&["Hello again!"]),
        Script::sse([text("Hal"), "{not json".into()]),
    ];
    (requests, scripts)
}

#[tokio::test]
async fn a_recorded_run_replays_the_same_events_errors_and_order() {
    within(async {
        let (requests, scripts) = a_small_run();
        let server = FakeServer::start(scripts).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let recorder = Recorder::create(&path).unwrap();
        let recording = RecordingProvider::new(openai(&server), recorder.clone());
        let mut live = Vec::new();
        for r in &requests {
            live.push(run(&recording, r).await);
        }
        assert!(matches!(
            live[2],
            Outcome::Refused(LlmError::RateLimited { .. })
        ));
        assert!(matches!(
            &live[5],
            Outcome::Streamed {
                error: Some(LlmError::Protocol { .. }),
                ..
            }
        ));
        assert_eq!(live[4].text(), "Hello again!");
        assert_eq!(recorder.failed_writes(), 0);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a recording holds prompts: private");
        let lines = std::fs::read_to_string(&path).unwrap();
        assert_eq!(lines.lines().count(), requests.len());
        assert!(
            !lines.contains("0123456789abcdef"),
            "no key in the recording"
        );

        let replay = ReplayProvider::open("demo", &path).unwrap();
        assert_eq!((replay.name(), replay.len()), ("demo", requests.len()));
        let mut replayed = Vec::new();
        for r in &requests {
            replayed.push(run(&replay, r).await);
        }
        assert_eq!(replayed, live, "the replay is the run");
        assert_eq!(replay.unserved(), 0);
        assert_eq!(
            server.request_count(),
            requests.len(),
            "replay sends nothing"
        );

        // Asked once more than recorded: a clear error, not a repeat.
        let err = match run(&replay, &requests[0]).await {
            Outcome::Refused(e) => e.to_string(),
            other => panic!("served again: {other:?}"),
        };
        assert!(
            err.contains("recorded 2 time(s)") && err.contains("run.jsonl"),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_dropped_stream_is_recorded_where_it_stopped() {
    within(async {
        let server = FakeServer::start(vec![answer(&["a", "b", "c"])]).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("drop.jsonl");
        let recording = RecordingProvider::new(openai(&server), Recorder::create(&path).unwrap());
        let r = request("Stop early.", Some(0.0));
        let mut stream = recording.stream(&r).await.unwrap();
        let first = stream.next().await.unwrap().unwrap();
        drop(stream);
        let line: serde_json::Value =
            serde_json::from_str(std::fs::read_to_string(&path).unwrap().trim()).unwrap();
        assert_eq!(line["outcome"]["kind"], "cancelled");
        assert_eq!(line["events"].as_array().unwrap().len(), 1);

        let replay = ReplayProvider::open("demo", &path).unwrap();
        match run(&replay, &r).await {
            Outcome::Streamed {
                events,
                error: Some(LlmError::Protocol { message, .. }),
            } => {
                assert_eq!(events, [first]);
                assert!(message.contains("stopped reading"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    })
    .await;
}

/// A replay of one recorded exchange, written by hand.
fn hand_written(dir: &Path, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join("hand.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

fn exchange_line(r: &ChatRequest) -> String {
    json!({"v": 1, "request": r, "events": [{"type": "text_delta", "text": "hi"},
        {"type": "done", "finish_reason": "stop"}], "outcome": {"kind": "done"}})
    .to_string()
}

#[tokio::test]
async fn an_unknown_request_names_the_file_the_model_and_the_last_message() {
    let dir = tempfile::tempdir().unwrap();
    let known = request("Say hi.", Some(0.0));
    let path = hand_written(dir.path(), &[exchange_line(&known)]);
    let replay = ReplayProvider::open("demo", &path).unwrap();
    // A hand-written line without a hash matches its request.
    assert_eq!(run(&replay, &known).await.text(), "hi");

    let long = format!("Please fix {} and more", "the failing test ".repeat(10));
    let err = match run(&replay, &request(&long, Some(0.0))).await {
        Outcome::Refused(e @ LlmError::Config(_)) => e.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains("no recorded exchange"), "{err}");
    assert!(err.contains("model \"gpt-test\""), "{err}");
    let excerpt: String = long.chars().take(80).collect();
    assert!(err.contains(&format!("{excerpt}…")), "{err}");
    assert!(!err.contains("and more"), "only 80 characters: {err}");

    let mut other_model = known.clone();
    other_model.model = "gpt-other".into();
    let err = match run(&replay, &other_model).await {
        Outcome::Refused(e) => e.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(
        err.contains("line 1 has the same request for model \"gpt-test\""),
        "{err}"
    );
}

#[tokio::test]
async fn malformed_recordings_name_the_file_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = exchange_line(&request("ok", Some(0.0)));
    let cases: Vec<(Vec<String>, &str)> = vec![
        (vec![good.clone(), "{not json".into()], ":2: column 2: not a recorded exchange: key must be a string"),
        (vec![good.clone(), String::new(), "[1, 2]".into()], ":3: not a recorded exchange: expected a JSON object"),
        (
            vec![json!({"v": 1, "request": {"model": 5, "messages": []}, "outcome": {"kind": "done"}}).to_string()],
            ": request.model: invalid type: integer `5`, expected a string",
        ),
        (
            vec![json!({"v": 1, "request": request("x", None), "outcome": {"kind": "exploded"}}).to_string()],
            "outcome.kind: unknown variant `exploded`, expected one of `done`, `refused`",
        ),
        (
            vec![json!({"v": 2, "question": "x", "outcome": {"kind": "done"}}).to_string()],
            ":1: recording format version 2, but this warroom reads version 1",
        ),
        (
            vec![json!({"v": 1, "hash": "xyz", "request": request("x", None), "outcome": {"kind": "done"}}).to_string()],
            ":1: \"hash\" must be 64 hex digits",
        ),
        (vec![format!("{good} trailing")], ":1: column"),
    ];
    for (lines, expected) in cases {
        let path = hand_written(dir.path(), &lines);
        let err = match ReplayProvider::open("demo", &path) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{lines:?} should not load"),
        };
        let prefix = format!("config: {}", path.display());
        assert!(err.starts_with(&prefix), "{err}");
        eprintln!("{err}");
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
    let missing = dir.path().join("nope.jsonl");
    let err = ReplayProvider::open("demo", &missing)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("cannot read the recording") && err.contains("nope.jsonl"),
        "{err}"
    );
}

#[tokio::test]
async fn keys_in_messages_are_redacted_in_the_recording_yet_replay_still_matches() {
    within(async {
        let secret = "sk-proj-a1b2c3d4e5f6g7h8i9j0";
        let server = FakeServer::start(vec![answer(&["Your key ", secret, " is set."])]).await;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.jsonl");
        let recording = RecordingProvider::new(openai(&server), Recorder::create(&path).unwrap());
        let r = request(
            &format!("My .env says OPENAI_API_KEY={secret}; is it set?"),
            Some(0.0),
        );
        let live = run(&recording, &r).await;
        assert!(
            live.text().contains(secret),
            "the caller gets the real answer"
        );

        let recorded = std::fs::read_to_string(&path).unwrap();
        assert!(!recorded.contains("a1b2c3d4"), "{recorded}");
        assert!(recorded.contains("[redacted]"), "{recorded}");
        assert!(
            recorded.contains("My .env says"),
            "the rest of the text is kept"
        );

        // The same request (secret and all) still finds its exchange; the answer comes back
        // as recorded, redacted.
        let replay = ReplayProvider::open("demo", &path).unwrap();
        let replayed = run(&replay, &r).await;
        assert_eq!(replayed.text(), "Your key [redacted] is set.");
    })
    .await;
}

#[tokio::test]
async fn recording_through_the_cache_replays_hits_too() {
    within(async {
        let server = FakeServer::start(vec![answer(&["cached"])]).await;
        let (_cache_dir, cache) = cache(CacheOptions::default());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let caching: Arc<dyn ChatProvider> = Arc::new(CachingProvider::new(openai(&server), cache));
        let recording = RecordingProvider::new(caching, Recorder::create(&path).unwrap());
        let r = request("Twice.", Some(0.0));
        let first = run(&recording, &r).await;
        let second = run(&recording, &r).await;
        assert_eq!(first, second);
        assert_eq!(server.request_count(), 1);
        let replay = ReplayProvider::open("demo", &path).unwrap();
        assert_eq!(run(&replay, &r).await, first);
        assert_eq!(run(&replay, &r).await, second);
    })
    .await;
}

#[tokio::test]
async fn the_router_way_records_around_the_cache_and_still_learns_of_hits() {
    within(async {
        let server = FakeServer::start(vec![answer(&["once"])]).await;
        let live = openai(&server);
        let (_cache_dir, cache) = cache(CacheOptions::default());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.jsonl");
        let recorder = Recorder::create(&path).unwrap();
        let r = request("Twice, the router's way.", Some(0.0));
        let mut seen = Vec::new();
        for _ in 0..2 {
            let call = recorder.begin(live.name(), &r);
            let (started, hit) = match cache.stream(live.as_ref(), &r).await {
                Ok(answer) => (Ok(answer.stream), answer.cache_hit),
                Err(e) => (Err(e), false),
            };
            let outcome = match call.follow(started) {
                Ok(stream) => read_all(stream).await,
                Err(e) => Outcome::Refused(e),
            };
            seen.push((outcome, hit));
        }
        assert_eq!(
            seen.iter().map(|(_, hit)| *hit).collect::<Vec<_>>(),
            [false, true]
        );
        let replay = ReplayProvider::open("demo", &path).unwrap();
        assert_eq!(replay.len(), 2, "the hit was recorded too");
        for (outcome, _) in &seen {
            assert_eq!(&run(&replay, &r).await, outcome);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_the_router_a_hit_is_marked_and_costs_nothing() {
    use std::collections::HashMap;
    use warroom::config::{Config, ModelRef, RoleConfig};
    use warroom::core::llm::router::{CallContext, EventSink, Router};
    use warroom::protocol::{AgentId, Event, LlmCallId, RunId};

    within(async {
        let server = FakeServer::start(vec![answer(&["Hel", "lo!"])]).await;
        let mut config = Config::default();
        config.roles.insert(
            "analyst".into(),
            RoleConfig {
                models: vec![ModelRef::parse("openai/gpt-4o").unwrap()],
                temperature: Some(0.0),
                max_tokens: None,
                ..RoleConfig::default()
            },
        );
        let providers = HashMap::from([("openai".to_string(), openai(&server))]);
        let (tx, mut events) = tokio::sync::mpsc::channel(256);
        let (_dir, cache) = cache(CacheOptions::default());
        let router = Router::new(&config, &providers, EventSink::Channel(tx))
            .unwrap()
            .with_opener(Arc::new(cache.clone()));
        let mut texts = Vec::new();
        for call in 1..=2 {
            let ctx = CallContext {
                run: RunId(1),
                agent: AgentId(1),
                call: LlmCallId(call),
                role: "analyst".into(),
            };
            let r = ChatRequest {
                model: String::new(),
                ..request("Say hello.", None)
            };
            let stream = router.stream(ctx, r).await.unwrap();
            texts.push(read_all(stream).await.text());
        }
        assert_eq!(texts, ["Hello!", "Hello!"]);
        assert_eq!(
            server.request_count(),
            1,
            "the role's temperature 0 made it cacheable"
        );
        let mut ended = Vec::new();
        while ended.len() < 2 {
            let (_, event) = events.recv().await.unwrap();
            if let Event::LlmCallEnded {
                cache_hit,
                cost_usd,
                ..
            } = event
            {
                ended.push((cache_hit, cost_usd));
            }
        }
        assert!(!ended[0].0, "the first call was live");
        assert_eq!(ended[1], (true, 0.0), "a hit is marked and costs nothing");
        assert_eq!(cache.stats().await.unwrap().hits, 1);
    })
    .await;
}
