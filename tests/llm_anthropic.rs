//! The Anthropic provider against a real HTTP server on 127.0.0.1 (tests/support/fake_http.rs)
//! that speaks the Messages API's event stream with scripted bodies and faults: what is sent,
//! what comes back, and how every fault ends (a clear error, never a hang or a panic).

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::chat_chunks::within;
use support::fake_http::{Blackhole, FakeServer, Script, refused_url};
use warroom::core::llm::anthropic::{AnthropicProvider, AnthropicSettings};
use warroom::core::llm::{
    ChatProvider, ChatRequest, FinishReason, LlmError, Message, Params, ResponseFormat, Role,
    StreamEvent, ToolCall, ToolSpec, Usage,
};

const KEY: &str = "sk-ant-api03-test-key-0123456789abcdef";
const KEY_SOURCE: &str = "environment variable ANTHROPIC_API_KEY";

fn settings(base_url: &str) -> AnthropicSettings {
    AnthropicSettings {
        base_url: base_url.to_string(),
        connect_timeout: Duration::from_secs(2),
        first_byte_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        prompt_caching: false,
        ..AnthropicSettings::new("anthropic", KEY, KEY_SOURCE)
    }
}

fn provider(server: &FakeServer) -> AnthropicProvider {
    AnthropicProvider::new(settings(&server.url())).unwrap()
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "claude-sonnet-4-5".into(),
        messages: vec![
            Message::text(Role::System, "Be brief."),
            Message::text(Role::User, "Say hello."),
        ],
        tools: Vec::new(),
        params: Params::default(),
    }
}

/// What a stream gave: its events, and the error that ended it, if any.
#[derive(Debug)]
struct Outcome {
    events: Vec<StreamEvent>,
    error: Option<LlmError>,
}

impl Outcome {
    fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::TextDelta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn calls(&self) -> Vec<ToolCall> {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCall { call } => Some(call.clone()),
                _ => None,
            })
            .collect()
    }

    fn error(self) -> LlmError {
        let error = self.error.expect("the stream should have failed");
        assert_no_key(&error);
        error
    }
}

/// Starts the call and reads the stream to its end; an error before the stream is `Err`.
async fn run(provider: &AnthropicProvider, request: &ChatRequest) -> Result<Outcome, LlmError> {
    let mut stream = provider.stream(request).await.inspect_err(assert_no_key)?;
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => events.push(event),
            Err(error) => {
                assert!(
                    stream.next().await.is_none(),
                    "the stream goes on after {error}"
                );
                return Ok(Outcome {
                    events,
                    error: Some(error),
                });
            }
        }
    }
    Ok(Outcome {
        events,
        error: None,
    })
}

fn assert_no_key(error: &LlmError) {
    let shown = format!("{error} {error:?}");
    eprintln!("error: {error}");
    assert!(!shown.contains(KEY), "the key leaked: {shown}");
}

/// An event stream of these `(event, data)` pairs, one chunk each.
fn stream_of(events: &[(&str, Value)]) -> Script {
    events
        .iter()
        .fold(Script::event_stream(), |s, (name, data)| {
            s.sse_event(name, &data.to_string())
        })
}

fn message_start(input: u64, cache_read: u64, cache_write: u64) -> (&'static str, Value) {
    let usage = json!({"input_tokens": input, "output_tokens": 1,
        "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_write});
    let message = json!({"id": "msg_01", "type": "message", "role": "assistant",
        "model": "claude-sonnet-4-5", "content": [], "stop_reason": null, "usage": usage});
    (
        "message_start",
        json!({"type": "message_start", "message": message}),
    )
}

fn block_start(index: usize, block: Value) -> (&'static str, Value) {
    let data = json!({"type": "content_block_start", "index": index, "content_block": block});
    ("content_block_start", data)
}

fn text_start(index: usize) -> (&'static str, Value) {
    block_start(index, json!({"type": "text", "text": ""}))
}

fn tool_start(index: usize, id: &str, name: &str) -> (&'static str, Value) {
    block_start(
        index,
        json!({"type": "tool_use", "id": id, "name": name, "input": {}}),
    )
}

fn text_delta(index: usize, text: &str) -> (&'static str, Value) {
    let delta = json!({"type": "text_delta", "text": text});
    let data = json!({"type": "content_block_delta", "index": index, "delta": delta});
    ("content_block_delta", data)
}

fn input_delta(index: usize, partial: &str) -> (&'static str, Value) {
    let delta = json!({"type": "input_json_delta", "partial_json": partial});
    let data = json!({"type": "content_block_delta", "index": index, "delta": delta});
    ("content_block_delta", data)
}

fn block_stop(index: usize) -> (&'static str, Value) {
    let data = json!({"type": "content_block_stop", "index": index});
    ("content_block_stop", data)
}

fn message_delta(stop_reason: &str, output: u64) -> (&'static str, Value) {
    let data = json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
        "usage": {"output_tokens": output}});
    ("message_delta", data)
}

fn message_stop() -> (&'static str, Value) {
    ("message_stop", json!({"type": "message_stop"}))
}

fn ping() -> (&'static str, Value) {
    ("ping", json!({"type": "ping"}))
}

fn error_event(kind: &str, message: &str) -> (&'static str, Value) {
    let data = json!({"type": "error", "error": {"type": kind, "message": message}});
    ("error", data)
}

/// A complete text answer in these pieces.
fn text_answer(pieces: &[&str]) -> Vec<(&'static str, Value)> {
    let mut events = vec![message_start(12, 0, 0), text_start(0), ping()];
    events.extend(pieces.iter().map(|p| text_delta(0, p)));
    events.extend([block_stop(0), message_delta("end_turn", 6), message_stop()]);
    events
}

fn error_body(kind: &str, message: &str) -> String {
    json!({"type": "error", "error": {"type": kind, "message": message}}).to_string()
}

#[tokio::test]
async fn sends_a_messages_request_with_the_key_version_and_mapped_body() {
    within(async {
        let server = FakeServer::start(vec![stream_of(&text_answer(&["Hi"]))]).await;
        let mut req = request();
        req.messages.extend([
            Message {
                tool_calls: vec![ToolCall {
                    id: "toolu_1".into(),
                    name: "read_file".into(),
                    arguments: r#"{"path":"README.md"}"#.into(),
                }],
                ..Message::text(Role::Assistant, "")
            },
            Message::tool_result("toolu_1", "# warroom"),
        ]);
        req.tools = vec![ToolSpec {
            name: "read_file".into(),
            description: "Reads a file.".into(),
            parameters: json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        }];
        req.params = Params {
            temperature: Some(0.0),
            max_tokens: Some(256),
            stop: vec!["</end>".into()],
            response_format: None,
        };
        let outcome = run(&provider(&server), &req).await.unwrap();
        assert_eq!(outcome.text(), "Hi");

        let sent = server.requests();
        assert_eq!(sent.len(), 1);
        let sent = &sent[0];
        assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/v1/messages"));
        assert_eq!(sent.header("x-api-key"), Some(KEY));
        assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(sent.header("content-type"), Some("application/json"));
        assert_eq!(sent.header("authorization"), None);
        assert_eq!(
            sent.json(),
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 256,
                "system": "Be brief.",
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "Say hello."}]},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1",
                        "name": "read_file", "input": {"path": "README.md"}}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                        "content": "# warroom"}]},
                ],
                "tools": [{"name": "read_file", "description": "Reads a file.",
                    "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}],
                "temperature": 0.0,
                "stop_sequences": ["</end>"],
                "stream": true,
            })
        );
    })
    .await;
}

#[tokio::test]
async fn streams_text_and_usage_with_cache_tokens() {
    within(async {
        let mut events = text_answer(&["Hel", "lo, ", "world"]);
        events[0] = message_start(20, 1000, 300);
        let server = FakeServer::start(vec![stream_of(&events)]).await;
        let outcome = run(&provider(&server), &request()).await.unwrap();
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        assert_eq!(outcome.text(), "Hello, world");
        let usage = outcome.events.iter().rev().find_map(|e| match e {
            StreamEvent::Usage { usage } => Some(*usage),
            _ => None,
        });
        assert_eq!(
            usage,
            Some(Usage {
                input_tokens: 1320,
                output_tokens: 6,
                cached_tokens: 1000,
                cache_write_tokens: 300,
            })
        );
        assert_eq!(
            outcome.events.last(),
            Some(&StreamEvent::Done {
                finish_reason: FinishReason::Stop
            })
        );
    })
    .await;
}

#[tokio::test]
async fn assembles_tool_use_from_input_json_fragments() {
    within(async {
        let server = FakeServer::start(vec![stream_of(&[
            message_start(30, 0, 0),
            text_start(0),
            text_delta(0, "Let me read it."),
            block_stop(0),
            tool_start(1, "toolu_01A", "read_file"),
            input_delta(1, ""),
            input_delta(1, "{\"path\": \"sr"),
            input_delta(1, "c/main"),
            input_delta(1, ".rs\", \"lines\": [1, 20]}"),
            block_stop(1),
            message_delta("tool_use", 40),
            message_stop(),
        ])])
        .await;
        let outcome = run(&provider(&server), &request()).await.unwrap();
        let fragments: String = outcome
            .events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCallDelta {
                    index: 0,
                    arguments,
                    ..
                } => Some(arguments.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(fragments, r#"{"path": "src/main.rs", "lines": [1, 20]}"#);
        let calls = outcome.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(
            (calls[0].id.as_str(), calls[0].name.as_str()),
            ("toolu_01A", "read_file")
        );
        assert_eq!(
            calls[0].parsed_arguments().unwrap(),
            json!({"path": "src/main.rs", "lines": [1, 20]})
        );
        assert_eq!(
            outcome.events.last(),
            Some(&StreamEvent::Done {
                finish_reason: FinishReason::ToolCalls
            })
        );
    })
    .await;
}

#[tokio::test]
async fn tool_input_that_is_not_json_is_passed_through() {
    within(async {
        let server = FakeServer::start(vec![stream_of(&[
            message_start(30, 0, 0),
            tool_start(0, "toolu_01B", "read_file"),
            input_delta(0, "{\"path\": src/main.rs"),
            block_stop(0),
            message_delta("tool_use", 9),
            message_stop(),
        ])])
        .await;
        let outcome = run(&provider(&server), &request()).await.unwrap();
        assert!(outcome.error.is_none());
        let calls = outcome.calls();
        assert_eq!(calls[0].arguments, "{\"path\": src/main.rs");
        let problem = calls[0].parsed_arguments().unwrap_err();
        assert!(
            problem.contains("toolu_01B") && problem.contains("read_file"),
            "{problem}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_json_schema_answer_comes_back_as_text_through_a_forced_tool() {
    within(async {
        let server = FakeServer::start(vec![stream_of(&[
            message_start(30, 0, 0),
            tool_start(0, "toolu_01C", "verdict"),
            input_delta(0, "{\"passed\": "),
            input_delta(0, "true}"),
            block_stop(0),
            message_delta("tool_use", 9),
            message_stop(),
        ])])
        .await;
        let mut req = request();
        let schema = json!({"type": "object", "properties": {"passed": {"type": "boolean"}}});
        req.params.response_format = Some(ResponseFormat::JsonSchema {
            name: "verdict".into(),
            schema: schema.clone(),
        });
        let outcome = run(&provider(&server), &req).await.unwrap();
        assert_eq!(outcome.text(), r#"{"passed": true}"#);
        assert!(outcome.calls().is_empty());
        assert_eq!(
            outcome.events.last(),
            Some(&StreamEvent::Done {
                finish_reason: FinishReason::Stop
            })
        );
        let sent = server.requests()[0].json();
        assert_eq!(
            sent["tool_choice"],
            json!({"type": "tool", "name": "verdict"})
        );
        assert_eq!(sent["tools"][0]["input_schema"], schema);
    })
    .await;
}

#[tokio::test]
async fn http_errors_are_classified_and_never_show_the_key() {
    within(async {
        let server = FakeServer::start(vec![
            Script::json(429, &error_body("rate_limit_error", "Number of requests exceeded"))
                .header("retry-after", "7"),
            Script::json(529, &error_body("overloaded_error", "Overloaded")),
            Script::text(500, "text/plain", "upstream exploded"),
            Script::json(401, &error_body("authentication_error", "invalid x-api-key")),
            Script::json(403, &error_body("permission_error", "not for this model")),
            Script::json(400, &error_body("invalid_request_error", "prompt is too long: 250000 tokens > 200000 maximum")),
            Script::json(400, &error_body("invalid_request_error", &format!("bad header {KEY}"))),
        ])
        .await;
        let provider = provider(&server);
        let mut errors = Vec::new();
        for _ in 0..7 {
            match run(&provider, &request()).await {
                Err(error) => errors.push(error),
                Ok(outcome) => panic!("no error: {:?}", outcome.events),
            }
        }
        assert_eq!(
            errors[0],
            LlmError::RateLimited {
                provider: "anthropic".into(),
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert!(errors[0].is_retryable());
        assert_eq!(
            errors[1],
            LlmError::Server {
                provider: "anthropic".into(),
                status: 529,
                message: "Overloaded".into()
            }
        );
        assert!(errors[1].is_retryable());
        assert!(
            matches!(&errors[2], LlmError::Server { status: 500, message, .. } if message == "upstream exploded")
        );
        assert!(matches!(errors[3], LlmError::Unauthorized { .. }));
        assert!(errors[3].to_string().contains("ANTHROPIC_API_KEY"), "{}", errors[3]);
        assert!(!errors[3].is_retryable());
        assert!(matches!(&errors[4], LlmError::Forbidden { message, .. } if message == "not for this model"));
        assert!(matches!(errors[5], LlmError::ContextTooLong { .. }));
        assert!(!errors[5].allows_fallback());
        assert!(matches!(&errors[6], LlmError::BadRequest { status: 400, message, .. } if message.contains("[redacted]")));
    })
    .await;
}

#[tokio::test]
async fn an_error_event_mid_stream_ends_it_with_a_classified_error() {
    within(async {
        let server = FakeServer::start(vec![
            stream_of(&[
                message_start(5, 0, 0),
                text_start(0),
                text_delta(0, "Partial"),
                error_event("overloaded_error", "Overloaded"),
            ]),
            stream_of(&[
                message_start(5, 0, 0),
                error_event("rate_limit_error", "slow down"),
            ]),
        ])
        .await;
        let provider = provider(&server);
        let outcome = run(&provider, &request()).await.unwrap();
        assert_eq!(outcome.text(), "Partial");
        let error = outcome.error();
        assert!(
            matches!(error, LlmError::Server { status: 529, .. }),
            "{error}"
        );
        assert!(error.is_retryable());
        let error = run(&provider, &request()).await.unwrap().error();
        assert!(matches!(error, LlmError::RateLimited { .. }), "{error}");
    })
    .await;
}

#[tokio::test]
async fn a_connection_reset_mid_stream_is_a_connection_error() {
    within(async {
        let server = FakeServer::start(vec![
            stream_of(&text_answer(&["a", "b", "c"])).reset_after(4),
        ])
        .await;
        let outcome = run(&provider(&server), &request()).await.unwrap();
        assert_eq!(outcome.text(), "a");
        let error = outcome.error();
        assert!(matches!(error, LlmError::Connection { .. }), "{error}");
        assert!(error.is_retryable());
    })
    .await;
}

#[tokio::test]
async fn a_stream_cut_before_message_stop_is_a_protocol_error() {
    within(async {
        let events = text_answer(&["a", "b"]);
        let server = FakeServer::start(vec![
            // The body ends properly, but without message_stop.
            stream_of(&events[..events.len() - 1]),
            // The connection closes in the middle of the chunked body.
            stream_of(&events).abort_after(5),
        ])
        .await;
        let provider = provider(&server);
        let error = run(&provider, &request()).await.unwrap().error();
        assert!(
            matches!(&error, LlmError::Protocol { message, .. } if message.contains("message_stop")),
            "{error}"
        );
        let outcome = run(&provider, &request()).await.unwrap();
        assert_eq!(outcome.text(), "ab");
        let error = outcome.error();
        assert!(matches!(error, LlmError::Connection { .. }), "{error}");
        assert!(error.is_retryable());
    })
    .await;
}

#[tokio::test]
async fn malformed_json_in_an_event_is_a_protocol_error() {
    within(async {
        let server = FakeServer::start(vec![
            Script::event_stream()
                .sse_event("message_start", &message_start(5, 0, 0).1.to_string())
                .sse_event("content_block_start", "{\"type\": \"content_block_start\", \"index\": 0,"),
        ])
        .await;
        let error = run(&provider(&server), &request()).await.unwrap().error();
        assert!(
            matches!(&error, LlmError::Protocol { message, .. } if message.contains("content_block_start") && message.contains("not valid JSON")),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_html_page_with_200_is_a_protocol_error() {
    within(async {
        let page = "<!DOCTYPE html>\n<html><head><title>Captive portal</title></head>\n<body>Log in</body></html>";
        let server = FakeServer::start(vec![Script::text(200, "text/html; charset=utf-8", page)]).await;
        let error = run(&provider(&server), &request()).await.unwrap_err();
        assert!(
            matches!(&error, LlmError::Protocol { message, .. } if message.contains("text/html") && message.contains("Captive portal")),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_empty_answer_is_a_protocol_error() {
    within(async {
        let server = FakeServer::start(vec![stream_of(&[
            message_start(5, 0, 0),
            text_start(0),
            block_stop(0),
            message_delta("end_turn", 0),
            message_stop(),
        ])])
        .await;
        let error = run(&provider(&server), &request()).await.unwrap().error();
        assert!(
            error.to_string().contains("no text and no tool call"),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_slow_drip_within_the_idle_timeout_completes() {
    within(async {
        let script = stream_of(&text_answer(&["drip"])).drip(Duration::from_millis(1));
        let server = FakeServer::start(vec![script]).await;
        let outcome = run(&provider(&server), &request()).await.unwrap();
        assert!(outcome.error.is_none(), "{:?}", outcome.error);
        assert_eq!(outcome.text(), "drip");
    })
    .await;
}

#[tokio::test]
async fn a_gap_longer_than_the_idle_timeout_times_out() {
    within(async {
        let script = stream_of(&text_answer(&["slow"])).drip(Duration::from_millis(100));
        let server = FakeServer::start(vec![script]).await;
        let provider = AnthropicProvider::new(AnthropicSettings {
            idle_timeout: Duration::from_millis(40),
            ..settings(&server.url())
        })
        .unwrap();
        let error = run(&provider, &request()).await.unwrap().error();
        assert_eq!(
            error,
            LlmError::Timeout {
                provider: "anthropic".into(),
                phase: "next chunk",
                after: Duration::from_millis(40)
            }
        );
        assert!(server.wait_client_closed(0, Duration::from_secs(2)).await);
    })
    .await;
}

#[tokio::test]
async fn no_first_byte_in_time_times_out() {
    within(async {
        let slow_head = stream_of(&text_answer(&["late"])).head_delay(Duration::from_secs(3));
        let silent_body = Script::event_stream().hang_after(0);
        let server = FakeServer::start(vec![slow_head, silent_body]).await;
        let provider = AnthropicProvider::new(AnthropicSettings {
            first_byte_timeout: Duration::from_millis(200),
            ..settings(&server.url())
        })
        .unwrap();
        let error = run(&provider, &request()).await.unwrap_err();
        assert!(
            matches!(
                error,
                LlmError::Timeout {
                    phase: "first byte",
                    ..
                }
            ),
            "{error}"
        );
        let error = run(&provider, &request()).await.unwrap().error();
        assert!(
            matches!(
                error,
                LlmError::Timeout {
                    phase: "first byte",
                    ..
                }
            ),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn unreachable_hosts_fail_fast_with_a_clear_error() {
    within(async {
        let refused = AnthropicProvider::new(settings(&refused_url().await)).unwrap();
        let error = run(&refused, &request()).await.unwrap_err();
        assert!(matches!(error, LlmError::Connection { .. }), "{error}");
        assert!(error.is_retryable());

        let blackhole = Blackhole::start().await;
        let provider = AnthropicProvider::new(AnthropicSettings {
            connect_timeout: Duration::from_millis(200),
            ..settings(&blackhole.url())
        })
        .unwrap();
        let error = run(&provider, &request()).await.unwrap_err();
        assert!(
            matches!(
                error,
                LlmError::Timeout {
                    phase: "connect",
                    ..
                }
            ),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    within(async {
        let events = text_answer(&["one", "two"]);
        let server = FakeServer::start(vec![stream_of(&events).hang_after(4)]).await;
        let provider = provider(&server);
        let mut stream = provider.stream(&request()).await.unwrap();
        loop {
            if let StreamEvent::TextDelta { text } = stream.next().await.unwrap().unwrap() {
                assert_eq!(text, "one");
                break;
            }
        }
        assert!(
            !server
                .wait_client_closed(0, Duration::from_millis(100))
                .await
        );
        drop(stream);
        assert!(server.wait_client_closed(0, Duration::from_secs(2)).await);
    })
    .await;
}

#[test]
fn settings_never_show_the_key() {
    let shown = format!("{:?}", AnthropicSettings::new("anthropic", KEY, KEY_SOURCE));
    assert!(
        !shown.contains(KEY) && shown.contains("[redacted]"),
        "{shown}"
    );
    let error = AnthropicProvider::new(AnthropicSettings::new("anthropic", "bad\nkey", KEY_SOURCE))
        .err()
        .unwrap();
    assert!(
        error.to_string().contains(KEY_SOURCE) && !error.to_string().contains("bad"),
        "{error}"
    );
}
