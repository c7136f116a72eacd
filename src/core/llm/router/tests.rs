//! Router tests over in-test scripted providers (the chain walk, retries, breakers, budgets,
//! events and cancellation). Time is tokio's paused clock: backoffs take no real time and
//! elapsed virtual time is exact. Real HTTP providers are exercised in `tests/llm_router.rs`.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream;
use tokio::sync::mpsc;

use super::*;
use crate::config::{ModelRef, ProviderConfig, ProviderKind, RoleConfig};
use crate::core::llm::{FinishReason, Message, Params, Role, Usage};
use crate::protocol::{CallOutcome, LogLevel};

/// What a scripted provider does for one request.
#[derive(Clone)]
enum Reply {
    /// Refuses before answering.
    Refuse(LlmError),
    /// Answers with these items, then ends.
    Answer(Vec<Result<StreamEvent, LlmError>>),
    /// Answers with these items, then never finishes.
    AnswerThenHang(Vec<Result<StreamEvent, LlmError>>),
}

struct Scripted {
    name: String,
    replies: Mutex<VecDeque<Reply>>,
    otherwise: Reply,
    requests: Mutex<Vec<ChatRequest>>,
}

impl Scripted {
    fn new(name: &str, replies: Vec<Reply>, otherwise: Reply) -> Arc<Scripted> {
        Arc::new(Scripted {
            name: name.into(),
            replies: Mutex::new(replies.into()),
            otherwise,
            requests: Mutex::new(Vec::new()),
        })
    }

    fn calls(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl ChatProvider for Scripted {
    fn name(&self) -> &str {
        &self.name
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<LlmStream, LlmError>> {
        self.requests.lock().unwrap().push(request.clone());
        let reply = self
            .replies
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.otherwise.clone());
        Box::pin(async move {
            match reply {
                Reply::Refuse(error) => Err(error),
                Reply::Answer(items) => Ok(Box::pin(stream::iter(items)) as LlmStream),
                Reply::AnswerThenHang(items) => {
                    Ok(Box::pin(stream::iter(items).chain(stream::pending())) as LlmStream)
                }
            }
        })
    }
}

fn usage(input: u64, output: u64) -> StreamEvent {
    StreamEvent::Usage {
        usage: Usage {
            input_tokens: input,
            output_tokens: output,
            ..Usage::default()
        },
    }
}

fn text(t: &str) -> StreamEvent {
    StreamEvent::TextDelta { text: t.into() }
}

fn done() -> StreamEvent {
    StreamEvent::Done {
        finish_reason: FinishReason::Stop,
    }
}

/// A whole answer: `words`, 1000 prompt and 500 completion tokens.
fn answer(words: &str) -> Reply {
    Reply::Answer(vec![
        Ok(usage(1000, 0)),
        Ok(text(words)),
        Ok(usage(1000, 500)),
        Ok(done()),
    ])
}

fn server_error(provider: &str) -> LlmError {
    LlmError::Server {
        provider: provider.into(),
        status: 500,
        message: "internal error".into(),
    }
}

/// A config with these roles ("role", ["provider/model", ...]).
fn config(roles: &[(&str, &[&str])]) -> Config {
    let mut config = Config::default();
    for (role, models) in roles {
        config.roles.insert(
            role.to_string(),
            RoleConfig {
                models: models.iter().map(|m| ModelRef::parse(m).unwrap()).collect(),
                temperature: None,
                max_tokens: None,
                ..RoleConfig::default()
            },
        );
    }
    config
}

struct Harness {
    router: Router,
    events: mpsc::Receiver<(RunId, Event)>,
}

const RUN: RunId = RunId(1);
const AGENT: AgentId = AgentId(7);

fn harness(config: &Config, providers: &[&Arc<Scripted>]) -> Harness {
    let map: HashMap<String, Arc<dyn ChatProvider>> = providers
        .iter()
        .map(|p| (p.name.clone(), Arc::clone(*p) as Arc<dyn ChatProvider>))
        .collect();
    let (tx, rx) = mpsc::channel(10_000);
    let router = Router::new(config, &map, EventSink::Channel(tx))
        .unwrap()
        .with_jitter(|| 1.0);
    Harness { router, events: rx }
}

impl Harness {
    fn ctx(&self, call: u32, role: &str) -> CallContext {
        CallContext {
            run: RUN,
            agent: AGENT,
            call: LlmCallId(call),
            role: role.into(),
        }
    }

    /// Makes a call and reads its whole stream.
    async fn call(
        &self,
        call: u32,
        role: &str,
    ) -> Result<Vec<Result<StreamEvent, LlmError>>, LlmError> {
        let stream = self.router.stream(self.ctx(call, role), request()).await?;
        Ok(stream.collect().await)
    }

    /// The events sent so far (after letting detached senders run).
    async fn events(&mut self) -> Vec<Event> {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let mut out = Vec::new();
        while let Ok((run, event)) = self.events.try_recv() {
            assert_eq!(run, RUN);
            out.push(event);
        }
        out
    }
}

fn request() -> ChatRequest {
    ChatRequest {
        model: String::new(),
        messages: vec![Message::text(Role::User, "hi")],
        tools: Vec::new(),
        params: Params::default(),
    }
}

/// The event kinds in order, with the essentials: "began a/m", "retried 2 250", ... Log lines
/// (the unpriced-model warning) are left out; one test looks at them.
fn summary(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter(|event| !matches!(event, Event::LogLine { .. }))
        .map(|event| match event {
            Event::LlmCallBegan {
                provider, model, ..
            } => format!("began {provider}/{model}"),
            Event::LlmRetried {
                provider,
                attempt,
                delay_ms,
                ..
            } => format!("retried {provider} {attempt} {delay_ms}"),
            Event::LlmFellBack { from, to, .. } => format!("fell back {from} -> {to}"),
            Event::LlmDelta { text, .. } => format!("delta {text}"),
            Event::LlmCallEnded { outcome, .. } => match outcome {
                CallOutcome::Ok => "ended ok".into(),
                CallOutcome::Failed { .. } => "ended failed".into(),
                CallOutcome::Cancelled => "ended cancelled".into(),
            },
            Event::AgentUsageUpdated { .. } => "usage".into(),
            other => format!("{other:?}"),
        })
        .collect()
}

fn ended(events: &[Event]) -> &Event {
    events
        .iter()
        .find(|e| matches!(e, Event::LlmCallEnded { .. }))
        .expect("an LlmCallEnded event")
}

#[tokio::test(start_paused = true)]
async fn an_answer_streams_through_with_its_events() {
    let a = Scripted::new("a", vec![answer("hello")], answer("again"));
    let mut config = config(&[("analyst", &["a/gpt-4o"])]);
    if let Some(role) = config.roles.get_mut("analyst") {
        role.temperature = Some(0.2);
        role.max_tokens = Some(99);
    }
    let mut h = harness(&config, &[&a]);
    let items = h.call(1, "analyst").await.unwrap();
    let items: Vec<StreamEvent> = items.into_iter().map(Result::unwrap).collect();
    assert_eq!(items[1], text("hello"));
    assert_eq!(items.last(), Some(&done()));

    let sent = a.requests.lock().unwrap()[0].clone();
    assert_eq!(sent.model, "gpt-4o");
    assert_eq!(sent.params.temperature, Some(0.2), "the role's default");
    assert_eq!(sent.params.max_tokens, Some(99));

    let events = h.events().await;
    assert_eq!(
        summary(&events),
        ["began a/gpt-4o", "delta hello", "ended ok", "usage"]
    );
    let Event::LlmCallEnded {
        call,
        input_tokens,
        output_tokens,
        cost_usd,
        ttft_ms,
        cache_hit,
        ..
    } = ended(&events)
    else {
        unreachable!()
    };
    assert_eq!(
        (*call, *input_tokens, *output_tokens),
        (LlmCallId(1), 1000, 500)
    );
    let expected = (1000.0 * 2.5 + 500.0 * 10.0) / 1e6;
    assert!((cost_usd - expected).abs() < 1e-12, "{cost_usd}");
    assert_eq!(*ttft_ms, Some(0), "paused clock");
    assert!(!cache_hit);
    assert_eq!(
        events[3],
        Event::AgentUsageUpdated {
            agent: AGENT,
            input_tokens: 1000,
            output_tokens: 500,
            cost_usd: expected,
        }
    );
    assert_eq!(h.router.agent_totals(RUN, AGENT).calls, 1);
}

#[tokio::test(start_paused = true)]
async fn retryable_failures_are_retried_with_exponential_backoff() {
    let timeout = LlmError::Timeout {
        provider: "a".into(),
        phase: "first byte",
        after: Duration::from_secs(1),
    };
    let a = Scripted::new(
        "a",
        vec![Reply::Refuse(server_error("a")), Reply::Refuse(timeout)],
        answer("ok"),
    );
    let mut config = config(&[("r", &["a/m"])]);
    config.router.breaker_failures = 10;
    let mut h = harness(&config, &[&a]);
    let started = Instant::now();
    assert!(h.call(1, "r").await.is_ok());
    assert_eq!(started.elapsed(), Duration::from_millis(250 + 500));
    assert_eq!(a.calls(), 3);
    assert_eq!(
        summary(&h.events().await),
        [
            "began a/m",
            "retried a 2 250",
            "retried a 3 500",
            "delta ok",
            "ended ok",
            "usage"
        ]
    );
    assert_eq!(h.router.breaker("a"), BreakerState::Closed { failures: 0 });
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_honoured_and_capped() {
    let limited = |secs| {
        Reply::Refuse(LlmError::RateLimited {
            provider: "a".into(),
            retry_after: Some(Duration::from_secs(secs)),
        })
    };
    let a = Scripted::new("a", vec![limited(2), limited(60)], answer("ok"));
    let mut config = config(&[("r", &["a/m"])]);
    config.router.breaker_failures = 10;
    let mut h = harness(&config, &[&a]);
    let started = Instant::now();
    assert!(h.call(1, "r").await.is_ok());
    assert_eq!(started.elapsed(), Duration::from_secs(2 + 8));
    let events = h.events().await;
    assert_eq!(
        summary(&events)[1..3],
        ["retried a 2 2000", "retried a 3 8000"]
    );
    let Event::LlmRetried { reason, .. } = &events[1] else {
        unreachable!()
    };
    assert_eq!(reason, "a: rate limited (429), retry after 2000 ms");
}

#[tokio::test(start_paused = true)]
async fn an_error_in_the_stream_before_any_content_is_retried() {
    let a = Scripted::new(
        "a",
        vec![Reply::Answer(vec![
            Ok(usage(10, 0)),
            Err(server_error("a")),
        ])],
        answer("ok"),
    );
    let mut h = harness(&config(&[("r", &["a/m"])]), &[&a]);
    let items = h.call(1, "r").await.unwrap();
    assert!(items.iter().all(Result::is_ok));
    assert_eq!(a.calls(), 2);
    assert_eq!(summary(&h.events().await)[1], "retried a 2 250");
}

#[tokio::test(start_paused = true)]
async fn a_provider_that_keeps_failing_gives_way_to_the_next_model() {
    let a = Scripted::new("a", vec![], Reply::Refuse(server_error("a")));
    let b = Scripted::new("b", vec![], answer("from b"));
    let mut config = config(&[("r", &["a/m", "b/m2"])]);
    config.router.max_retries = 2;
    config.router.breaker_failures = 10;
    let mut h = harness(&config, &[&a, &b]);
    let items = h.call(1, "r").await.unwrap();
    assert_eq!(items[1].as_ref().unwrap(), &text("from b"));
    assert_eq!((a.calls(), b.calls()), (3, 1));
    assert_eq!(b.requests.lock().unwrap()[0].model, "m2");
    let events = h.events().await;
    assert_eq!(
        summary(&events),
        [
            "began a/m",
            "retried a 2 250",
            "retried a 3 500",
            "fell back a/m -> b/m2",
            "began b/m2",
            "delta from b",
            "ended ok",
            "usage"
        ]
    );
    let Event::LlmFellBack { reason, .. } = &events[3] else {
        unreachable!()
    };
    assert_eq!(reason, "a: server error 500: internal error");
}

#[tokio::test(start_paused = true)]
async fn an_open_circuit_falls_back_at_once_then_tries_once_after_the_cooldown() {
    let a = Scripted::new(
        "a",
        vec![
            Reply::Refuse(server_error("a")),
            Reply::Refuse(server_error("a")),
            Reply::Refuse(server_error("a")),
        ],
        answer("a is back"),
    );
    let b = Scripted::new("b", vec![], answer("from b"));
    let mut h = harness(&config(&[("r", &["a/m", "b/m"])]), &[&a, &b]);

    // Three consecutive failures open a's circuit: the third falls back without a 4th try.
    let started = Instant::now();
    h.call(1, "r").await.unwrap();
    assert_eq!(started.elapsed(), Duration::from_millis(250 + 500));
    assert_eq!(a.calls(), 3);
    assert!(matches!(h.router.breaker("a"), BreakerState::Open { .. }));
    assert_eq!(
        summary(&h.events().await)[..5],
        [
            "began a/m",
            "retried a 2 250",
            "retried a 3 500",
            "fell back a/m -> b/m",
            "began b/m"
        ]
    );

    // While open, a is skipped at once.
    let started = Instant::now();
    h.call(2, "r").await.unwrap();
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "falling back takes no time"
    );
    assert_eq!(a.calls(), 3, "not called");
    let events = h.events().await;
    let Event::LlmFellBack { reason, .. } = &events[1] else {
        panic!("{:?}", summary(&events))
    };
    assert_eq!(reason, "a: skipped for 30000 ms after repeated failures");

    // After the cooldown one trial goes to a; it answers, and the circuit closes.
    tokio::time::advance(Duration::from_secs(30)).await;
    let items = h.call(3, "r").await.unwrap();
    assert_eq!(items[1].as_ref().unwrap(), &text("a is back"));
    assert_eq!(h.router.breaker("a"), BreakerState::Closed { failures: 0 });
}

#[tokio::test(start_paused = true)]
async fn the_last_model_failing_surfaces_its_error() {
    let a = Scripted::new("a", vec![], Reply::Refuse(server_error("a")));
    let mut config = config(&[("r", &["a/m"])]);
    config.router.max_retries = 1;
    let mut h = harness(&config, &[&a]);
    let error = h.call(1, "r").await.err().unwrap();
    assert_eq!(error, server_error("a"));
    assert_eq!(
        summary(&h.events().await),
        ["began a/m", "retried a 2 250", "ended failed", "usage"]
    );
}

#[tokio::test(start_paused = true)]
async fn errors_retrying_cannot_fix_surface_at_once() {
    let refusals = [
        LlmError::Unauthorized {
            provider: "a".into(),
            key_source: "environment variable OPENAI_API_KEY".into(),
        },
        LlmError::BadRequest {
            provider: "a".into(),
            status: 400,
            message: "bad".into(),
        },
        LlmError::Forbidden {
            provider: "a".into(),
            message: "no".into(),
        },
        LlmError::ContextTooLong {
            provider: "a".into(),
            message: "too long".into(),
        },
    ];
    for refusal in refusals {
        let a = Scripted::new("a", vec![Reply::Refuse(refusal.clone())], answer("x"));
        let b = Scripted::new("b", vec![], answer("from b"));
        let mut h = harness(&config(&[("r", &["a/m", "b/m"])]), &[&a, &b]);
        let started = Instant::now();
        assert_eq!(h.call(1, "r").await.err(), Some(refusal.clone()));
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!((a.calls(), b.calls()), (1, 0), "{refusal}");
        let events = h.events().await;
        assert_eq!(
            summary(&events),
            ["began a/m", "ended failed", "usage"],
            "{refusal}"
        );
        let Event::LlmCallEnded {
            outcome: CallOutcome::Failed { error },
            ..
        } = ended(&events)
        else {
            unreachable!()
        };
        assert_eq!(*error, refusal.to_string());
    }
}

#[tokio::test(start_paused = true)]
async fn an_error_after_output_is_not_retried() {
    let cut = LlmError::Connection {
        provider: "a".into(),
        message: "reset".into(),
    };
    let a = Scripted::new(
        "a",
        vec![Reply::Answer(vec![
            Ok(usage(100, 0)),
            Ok(text("par")),
            Ok(usage(100, 3)),
            Err(cut.clone()),
        ])],
        answer("x"),
    );
    let b = Scripted::new("b", vec![], answer("from b"));
    let mut h = harness(&config(&[("r", &["a/m", "b/m"])]), &[&a, &b]);
    let items = h.call(1, "r").await.unwrap();
    assert_eq!(items.last(), Some(&Err(cut)));
    assert_eq!((a.calls(), b.calls()), (1, 0));
    let events = h.events().await;
    assert_eq!(
        summary(&events),
        ["began a/m", "delta par", "ended failed", "usage"]
    );
    assert!(matches!(
        ended(&events),
        Event::LlmCallEnded {
            input_tokens: 100,
            output_tokens: 3,
            ..
        }
    ));
    assert_eq!(
        h.router.breaker("a"),
        BreakerState::Closed { failures: 1 },
        "counted against the provider"
    );
}

#[tokio::test(start_paused = true)]
async fn a_stream_that_ends_without_done_is_an_error() {
    let a = Scripted::new(
        "a",
        vec![Reply::Answer(vec![Ok(text("half"))])],
        answer("x"),
    );
    let h = harness(&config(&[("r", &["a/m"])]), &[&a]);
    let items = h.call(1, "r").await.unwrap();
    assert!(matches!(
        items.last(),
        Some(Err(LlmError::Protocol { message, .. })) if message.contains("before it was complete")
    ));
}

#[tokio::test(start_paused = true)]
async fn budgets_refuse_the_next_call_before_spending() {
    let a = Scripted::new("a", vec![], answer("ok"));
    let mut config = config(&[("r", &["a/gpt-4o"])]);
    config.budget.run_usd = 0.005;
    let mut h = harness(&config, &[&a]);
    h.call(1, "r").await.unwrap(); // $0.0075: crosses the limit, but is not cut short
    h.events().await;
    let error = h.call(2, "r").await.err().unwrap();
    assert_eq!(
        error,
        LlmError::Budget(
            "run 1 has spent $0.0075 of its $0.0050 budget (budget.run_usd); the next model call \
             is refused: raise budget.run_usd or start a new run"
                .into()
        )
    );
    assert_eq!(a.calls(), 1, "nothing spent on the refused call");
    assert_eq!(
        summary(&h.events().await),
        ["began a/gpt-4o", "ended failed"],
        "the refusal is recorded; no usage changes"
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_the_stream_cancels_the_call_and_keeps_its_usage() {
    let a = Scripted::new(
        "a",
        vec![Reply::AnswerThenHang(vec![
            Ok(usage(100, 0)),
            Ok(text("a")),
            Ok(usage(100, 1)),
        ])],
        answer("x"),
    );
    let mut h = harness(&config(&[("r", &["a/m"])]), &[&a]);
    let mut stream = h.router.stream(h.ctx(1, "r"), request()).await.unwrap();
    for _ in 0..3 {
        stream.next().await.unwrap().unwrap();
    }
    drop(stream);
    let events = h.events().await;
    assert_eq!(
        summary(&events),
        ["began a/m", "delta a", "ended cancelled", "usage"]
    );
    assert_eq!(h.router.agent_totals(RUN, AGENT).tokens(), 101);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_call_while_it_waits_to_retry_cancels_it() {
    let a = Scripted::new("a", vec![], Reply::Refuse(server_error("a")));
    let mut h = harness(&config(&[("r", &["a/m"])]), &[&a]);
    let call = h.router.stream(h.ctx(1, "r"), request());
    assert!(
        tokio::time::timeout(Duration::from_millis(100), call)
            .await
            .is_err()
    );
    assert_eq!(
        summary(&h.events().await),
        ["began a/m", "retried a 2 250", "ended cancelled", "usage"]
    );
}

#[tokio::test(start_paused = true)]
async fn a_role_without_a_chain_uses_the_default_one_or_fails_clearly() {
    let a = Scripted::new("a", vec![], answer("ok"));
    let h = harness(&config(&[("default", &["a/m"])]), &[&a]);
    assert_eq!(h.router.chain("verifier").unwrap(), ["a/m"]);
    assert!(h.call(1, "verifier").await.is_ok());

    let h = harness(&config(&[("planner", &["a/m"])]), &[&a]);
    assert_eq!(
        h.call(1, "verifier").await.err(),
        Some(LlmError::Config(
            "no models for role verifier: add [roles.verifier] or [roles.default] with models = \
             [\"provider/model\", ...] to the config"
                .into()
        ))
    );
}

#[tokio::test(start_paused = true)]
async fn a_role_naming_a_provider_that_was_not_built_is_refused() {
    let config = config(&[("r", &["ghost/m"])]);
    let error = Router::new(&config, &HashMap::new(), EventSink::Discard)
        .err()
        .unwrap();
    assert_eq!(
        error,
        LlmError::Config(
            "role r: model ghost/m names provider \"ghost\", which is not set up".into()
        )
    );
}

#[tokio::test(start_paused = true)]
async fn unpriced_models_are_flagged_once_and_local_ones_are_free() {
    let remote = Scripted::new("remote", vec![], answer("ok"));
    let local = Scripted::new("local", vec![], answer("ok"));
    let mut config = config(&[("r", &["remote/mystery-model"]), ("l", &["local/qwen"])]);
    config.providers.insert(
        "local".into(),
        ProviderConfig {
            base_url: Some("http://127.0.0.1:8080/v1".into()),
            ..ProviderConfig::new(ProviderKind::OpenAi)
        },
    );
    let mut h = harness(&config, &[&remote, &local]);
    h.call(1, "r").await.unwrap();
    h.call(2, "r").await.unwrap();
    let events = h.events().await;
    let warnings: Vec<&Event> = events
        .iter()
        .filter(|e| matches!(e, Event::LogLine { .. }))
        .collect();
    assert_eq!(warnings.len(), 1, "{:?}", summary(&events));
    let Event::LogLine { text, level, .. } = warnings[0] else {
        unreachable!()
    };
    assert_eq!(*level, LogLevel::Warn);
    assert!(
        text.starts_with("model mystery-model has no price"),
        "{text}"
    );

    h.call(3, "l").await.unwrap();
    let events = h.events().await;
    assert_eq!(
        summary(&events),
        ["began local/qwen", "delta ok", "ended ok", "usage"]
    );
    assert!(matches!(ended(&events), Event::LlmCallEnded { cost_usd, .. } if *cost_usd == 0.0));
}

/// An opener that answers every request itself (a cache full of hits) when `hit`, and passes
/// it to the provider otherwise.
struct FakeCache {
    hit: bool,
}

impl Opener for FakeCache {
    fn open<'a>(
        &'a self,
        provider: &'a dyn ChatProvider,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Opened, LlmError>> {
        Box::pin(async move {
            if self.hit {
                let Reply::Answer(items) = answer("cached") else {
                    unreachable!()
                };
                return Ok(Opened {
                    stream: Box::pin(stream::iter(items)),
                    cache_hit: true,
                });
            }
            Ok(Opened {
                stream: provider.stream(request).await?,
                cache_hit: false,
            })
        })
    }
}

#[tokio::test(start_paused = true)]
async fn a_cache_hit_is_marked_costs_nothing_and_spends_no_budget() {
    let a = Scripted::new("a", vec![], answer("live"));
    let mut config = config(&[("r", &["a/gpt-4o"])]);
    config.budget.agent_tokens = 1;
    let (tx, mut rx) = mpsc::channel(100);
    let providers = HashMap::from([("a".to_string(), Arc::clone(&a) as Arc<dyn ChatProvider>)]);
    let router = Router::new(&config, &providers, EventSink::Channel(tx))
        .unwrap()
        .with_opener(Arc::new(FakeCache { hit: true }));
    let ctx = |call| CallContext {
        run: RUN,
        agent: AGENT,
        call: LlmCallId(call),
        role: "r".into(),
    };
    for call in 1..=2 {
        let items: Vec<_> = router
            .stream(ctx(call), request())
            .await
            .unwrap()
            .collect()
            .await;
        assert_eq!(items[1].as_ref().unwrap(), &text("cached"));
    }
    assert_eq!(a.calls(), 0);
    assert_eq!(
        router.agent_totals(RUN, AGENT).tokens(),
        0,
        "hits spend no budget"
    );
    let mut events = Vec::new();
    while let Ok((_, event)) = rx.try_recv() {
        events.push(event);
    }
    assert!(matches!(
        ended(&events),
        Event::LlmCallEnded { cache_hit: true, cost_usd, input_tokens: 1000, .. } if *cost_usd == 0.0
    ));

    // Misses go to the provider and are charged.
    let router = Router::new(&config, &providers, EventSink::Discard)
        .unwrap()
        .with_opener(Arc::new(FakeCache { hit: false }));
    router
        .stream(ctx(3), request())
        .await
        .unwrap()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(a.calls(), 1);
    assert!(router.agent_totals(RUN, AGENT).cost_usd > 0.0);
}

#[test]
fn the_router_prices_local_providers_at_nothing() {
    let mut config = config(&[]);
    config.providers.insert(
        "local".into(),
        ProviderConfig {
            base_url: Some("http://localhost:11434/v1".into()),
            ..ProviderConfig::new(ProviderKind::OpenAi)
        },
    );
    let router = Router::new(&config, &HashMap::new(), EventSink::Discard).unwrap();
    let usage = Usage {
        input_tokens: 1_000_000,
        ..Usage::default()
    };
    assert_eq!(router.cost("local", "gpt-4o", &usage), Cost::FREE);
    assert_eq!(router.cost("remote", "gpt-4o", &usage).usd, 2.5);
}
