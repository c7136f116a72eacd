//! The router over real providers: OpenAI-compatible servers on 127.0.0.1 (tests/support/
//! fake_http.rs) that fail with 500s, refuse a key, or answer; events go to a real store, so
//! the `llm_calls` row the call leaves is checked too. Real time, default backoff with random
//! jitter: a provider judged failing must give way within a second.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use support::chat_chunks::{text, within};
use support::fake_http::{FakeServer, Script};
use warroom::config::{Config, ModelRef, ProviderConfig, ProviderKind, RoleConfig};
use warroom::core::llm::openai::{OpenAiProvider, OpenAiSettings};
use warroom::core::llm::router::{BreakerState, CallContext, EventSink, Router, build_providers};
use warroom::core::llm::{ChatProvider, ChatRequest, LlmError, Message, Params, Role};
use warroom::paths::RepoPaths;
use warroom::protocol::{AgentId, EventId, LlmCallId, RunId};
use warroom::store::{OwnedStore, Reader, StoreOptions};

const KEY: &str = "sk-test-router-0123456789abcdef";

/// "Hello!" in two pieces, 12 prompt tokens (2 cached), 3 completion tokens.
fn hello() -> Script {
    Script::sse([
        text("Hel"),
        text("lo!"),
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}).to_string(),
        json!({"choices": [], "usage": {"prompt_tokens": 12, "completion_tokens": 3,
            "prompt_tokens_details": {"cached_tokens": 2}}})
        .to_string(),
        "[DONE]".into(),
    ])
}

fn server_error() -> Script {
    Script::json(500, r#"{"error":{"message":"upstream exploded"}}"#)
}

fn provider(name: &str, server: &FakeServer, key_source: &str) -> Arc<dyn ChatProvider> {
    let settings = OpenAiSettings {
        connect_timeout: Duration::from_secs(2),
        first_byte_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        ..OpenAiSettings::new(name, format!("{}/v1", server.url())).with_key(KEY, key_source)
    };
    Arc::new(OpenAiProvider::new(settings).unwrap())
}

fn role(models: &[&str]) -> RoleConfig {
    RoleConfig {
        models: models.iter().map(|m| ModelRef::parse(m).unwrap()).collect(),
        temperature: None,
        max_tokens: None,
        ..RoleConfig::default()
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        model: String::new(),
        messages: vec![Message::text(Role::User, "Say hello.")],
        tools: Vec::new(),
        params: Params::default(),
    }
}

fn ctx(run: RunId, call: u32) -> CallContext {
    CallContext {
        run,
        agent: AgentId(1),
        call: LlmCallId(call),
        role: "analyst".into(),
    }
}

/// A row of `llm_calls`.
struct CallRow {
    provider: String,
    model: String,
    tokens: (i64, i64, i64),
    cost: f64,
    ttft: Option<i64>,
    latency: Option<i64>,
    cache_hit: bool,
    outcome: String,
}

/// Reads a whole answer's text, or the error that ended it.
async fn answer(router: &Router, ctx: CallContext) -> Result<String, LlmError> {
    let mut stream = router.stream(ctx, request()).await?;
    let mut out = String::new();
    while let Some(item) = stream.next().await {
        if let warroom::core::llm::StreamEvent::TextDelta { text } = item? {
            out.push_str(&text);
        }
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_failing_with_500s_gives_way_and_the_call_is_recorded() {
    within(async {
        let failing = FakeServer::start(vec![server_error(), server_error(), server_error()]).await;
        let healthy = FakeServer::start(vec![hello(), hello()]).await;
        let dir = tempfile::tempdir().unwrap();
        let paths = RepoPaths::new(dir.path()).unwrap();
        let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
        let run = owned.store.create_run("say hello", "/r").await.unwrap();

        let mut config = Config::default();
        config.roles.insert(
            "analyst".into(),
            role(&["primary/gpt-4o-mini", "backup/gpt-4o"]),
        );
        let providers = HashMap::from([
            (
                "primary".to_string(),
                provider("primary", &failing, "environment variable P"),
            ),
            (
                "backup".to_string(),
                provider("backup", &healthy, "environment variable B"),
            ),
        ]);
        let router =
            Router::new(&config, &providers, EventSink::Store(owned.store.clone())).unwrap();

        // Three 500s open the primary's circuit (the default breaker_failures), and the call
        // moves on at once: two backoffs of at most 250 and 500 ms, then the backup answers.
        let started = Instant::now();
        assert_eq!(answer(&router, ctx(run, 1)).await.unwrap(), "Hello!");
        let took = started.elapsed();
        assert!(took < Duration::from_millis(1500), "took {took:?}");
        assert_eq!((failing.request_count(), healthy.request_count()), (3, 1));
        assert_eq!(healthy.requests()[0].json()["model"], "gpt-4o");
        assert!(matches!(
            router.breaker("primary"),
            BreakerState::Open { .. }
        ));

        // With the circuit open, the next call skips the primary without touching it.
        let started = Instant::now();
        assert_eq!(answer(&router, ctx(run, 2)).await.unwrap(), "Hello!");
        let took = started.elapsed();
        assert!(took < Duration::from_secs(1), "fell back in {took:?}");
        assert_eq!(failing.request_count(), 3);

        owned.store.flush().await.unwrap();
        let reader = Reader::open(&paths.db, Duration::from_secs(5)).unwrap();
        let kinds: Vec<&str> = reader
            .events_after(Some(run), EventId(0), 1000)
            .unwrap()
            .records
            .iter()
            .map(|r| r.event.kind())
            .filter(|k| *k != "run_started")
            .collect();
        let first_call = [
            "llm_call_began",
            "llm_retried",
            "llm_retried",
            "llm_fell_back",
            "llm_call_began",
            "llm_delta",
            "llm_delta",
            "llm_call_ended",
            "agent_usage_updated",
        ];
        assert_eq!(kinds[..first_call.len()], first_call, "{kinds:?}");
        assert_eq!(
            kinds[first_call.len()..first_call.len() + 3],
            ["llm_call_began", "llm_fell_back", "llm_call_began"]
        );

        let db = rusqlite::Connection::open(&paths.db).unwrap();
        let row = db
            .query_row(
                "SELECT provider, model, input_tokens, output_tokens, cached_tokens, cost_usd,
                        ttft_ms, latency_ms, cache_hit, outcome
                 FROM llm_calls WHERE run_id = ?1 AND id = 1",
                [run.0],
                |r| {
                    Ok(CallRow {
                        provider: r.get(0)?,
                        model: r.get(1)?,
                        tokens: (r.get(2)?, r.get(3)?, r.get(4)?),
                        cost: r.get(5)?,
                        ttft: r.get(6)?,
                        latency: r.get(7)?,
                        cache_hit: r.get(8)?,
                        outcome: r.get(9)?,
                    })
                },
            )
            .unwrap();
        let CallRow {
            provider,
            model,
            tokens: (input, output, cached),
            cost,
            ttft,
            latency,
            cache_hit,
            outcome,
        } = row;
        assert_eq!((provider.as_str(), model.as_str()), ("backup", "gpt-4o"));
        assert_eq!((input, output, cached), (12, 3, 2));
        // gpt-4o: 10 uncached at $2.50, 2 cached at $1.25, 3 out at $10, per million.
        let expected = (10.0 * 2.5 + 2.0 * 1.25 + 3.0 * 10.0) / 1e6;
        assert!((cost - expected).abs() < 1e-12, "{cost}");
        assert!(ttft.is_some() && latency.is_some());
        assert!(!cache_hit);
        assert_eq!(outcome, "ok");
        drop(router);
        tokio::task::spawn_blocking(move || owned.close())
            .await
            .unwrap()
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_refused_key_surfaces_at_once_naming_where_it_came_from() {
    within(async {
        let refusing = FakeServer::start(vec![Script::json(
            401,
            r#"{"error":{"message":"bad key"}}"#,
        )])
        .await;
        let healthy = FakeServer::start(vec![hello()]).await;
        let mut config = Config::default();
        config
            .roles
            .insert("analyst".into(), role(&["primary/gpt-4o", "backup/gpt-4o"]));
        let providers = HashMap::from([
            (
                "primary".to_string(),
                provider("primary", &refusing, "environment variable PRIMARY_KEY"),
            ),
            (
                "backup".to_string(),
                provider("backup", &healthy, "environment variable B"),
            ),
        ]);
        let router = Router::new(&config, &providers, EventSink::Discard).unwrap();
        let error = answer(&router, ctx(RunId(1), 1)).await.unwrap_err();
        assert!(matches!(error, LlmError::Unauthorized { .. }), "{error:?}");
        let message = error.to_string();
        assert!(
            message.contains("environment variable PRIMARY_KEY"),
            "{message}"
        );
        assert!(!message.contains(KEY), "{message}");
        assert_eq!((refusing.request_count(), healthy.request_count()), (1, 0));
    })
    .await;
}

#[tokio::test]
async fn providers_built_from_config_send_the_key_from_a_private_file() {
    within(async {
        let server = FakeServer::start(vec![hello()]).await;
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("openai.key");
        std::fs::write(&key_file, format!("{KEY}\n")).unwrap();
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).unwrap();

        let mut config = Config::default();
        config.providers.insert(
            "remote".into(),
            ProviderConfig {
                base_url: Some(format!("{}/v1", server.url())),
                api_key_file: Some(key_file.clone()),
                ..ProviderConfig::new(ProviderKind::OpenAi)
            },
        );
        // Defined but used by no role, and its key is missing: not built, so no error.
        config.providers.insert(
            "unused".into(),
            ProviderConfig {
                api_key_env: Some("WARROOM_TEST_SURELY_UNSET_KEY".into()),
                ..ProviderConfig::new(ProviderKind::Anthropic)
            },
        );
        config
            .roles
            .insert("analyst".into(), role(&["remote/gpt-4o"]));
        let providers = build_providers(&config).unwrap();
        assert_eq!(providers.keys().collect::<Vec<_>>(), ["remote"]);
        let router = Router::new(&config, &providers, EventSink::Discard).unwrap();
        assert_eq!(answer(&router, ctx(RunId(1), 1)).await.unwrap(), "Hello!");
        let sent = &server.requests()[0];
        assert_eq!(
            sent.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );

        // The same file readable by others is refused, naming the file and the fix.
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = build_providers(&config).err().unwrap();
        let message = error.to_string();
        assert!(
            message.contains(&format!("key file {} has mode 0644", key_file.display()))
                && message.contains(&format!("chmod 600 {}", key_file.display())),
            "{message}"
        );
    })
    .await;
}
