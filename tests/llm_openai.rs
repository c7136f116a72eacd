//! The OpenAI-compatible provider against a real HTTP server on 127.0.0.1 (tests/support/
//! fake_http.rs) that speaks the chat-completions event stream with scripted bodies and
//! faults: what is sent, what comes back, and how every fault ends (a clear error, never a hang
//! or a panic, never the key in a message).

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use serde_json::{Value, json};
use support::chat_chunks::{call_fragment, finish, text, usage, within};
use support::fake_http::{Blackhole, FakeServer, Script, refused_url};
use warroom::core::llm::openai::{OpenAiProvider, OpenAiSettings};
use warroom::core::llm::{
    ChatProvider, ChatRequest, FinishReason, LlmError, Message, Params, ResponseFormat, Role,
    StreamEvent, ToolCall, ToolSpec, Usage,
};

const KEY: &str = "sk-test-0123456789abcdefghij";
const KEY_SOURCE: &str = "environment variable OPENAI_API_KEY";

fn settings(base_url: &str) -> OpenAiSettings {
    OpenAiSettings {
        connect_timeout: Duration::from_secs(2),
        first_byte_timeout: Duration::from_secs(5),
        idle_timeout: Duration::from_secs(5),
        ..OpenAiSettings::new("openai", base_url).with_key(KEY, KEY_SOURCE)
    }
}

fn base(server: &FakeServer) -> String {
    format!("{}/v1", server.url())
}

fn provider(server: &FakeServer) -> OpenAiProvider {
    OpenAiProvider::new(settings(&base(server))).unwrap()
}

fn request() -> ChatRequest {
    ChatRequest {
        model: "gpt-test".into(),
        messages: vec![
            Message::text(Role::System, "Be brief."),
            Message::text(Role::User, "Say hello."),
        ],
        tools: Vec::new(),
        params: Params::default(),
    }
}

fn read_file_tool() -> ToolSpec {
    ToolSpec {
        name: "read_file".into(),
        description: "Read a file of the repository.".into(),
        parameters: json!({"type": "object", "properties": {"path": {"type": "string"}},
            "required": ["path"]}),
    }
}

/// A whole good answer: "Hello!" in two pieces, stop, usage, [DONE].
fn hello() -> Script {
    Script::sse([
        text("Hel"),
        text("lo!"),
        finish("stop"),
        usage(12, 3, 2),
        "[DONE]".into(),
    ])
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

    fn done(&self) -> Option<FinishReason> {
        match self.events.last() {
            Some(StreamEvent::Done { finish_reason }) => Some(finish_reason.clone()),
            _ => None,
        }
    }

    fn ok(self) -> Outcome {
        assert!(self.error.is_none(), "failed: {:?}", self.error);
        self
    }

    fn error(self) -> LlmError {
        let error = self.error.expect("the stream should have failed");
        assert_no_key(&error);
        error
    }
}

/// Starts the call and reads the stream to its end; an error before the stream is `Err`.
async fn run(provider: &OpenAiProvider, request: &ChatRequest) -> Result<Outcome, LlmError> {
    let mut stream = provider.stream(request).await.inspect_err(assert_no_key)?;
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(event) => {
                assert!(
                    !matches!(events.last(), Some(StreamEvent::Done { .. })),
                    "an event after Done: {event:?}"
                );
                events.push(event);
            }
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

/// The error of a call that fails before its stream starts.
async fn refused(provider: &OpenAiProvider, request: &ChatRequest) -> LlmError {
    match run(provider, request).await {
        Err(error) => error,
        Ok(outcome) => panic!("the call should have been refused: {outcome:?}"),
    }
}

fn assert_no_key(error: &LlmError) {
    let shown = format!("{error} {error:?}");
    eprintln!("error: {error}");
    assert!(
        !shown.contains("0123456789abcdef"),
        "the key leaked: {shown}"
    );
}

#[tokio::test]
async fn sends_what_the_chat_completions_api_expects() {
    within(async {
        let server = FakeServer::start(vec![hello()]).await;
        let mut s = settings(&format!("{}/v1/", server.url()));
        s.extra_headers = vec![("HTTP-Referer".into(), "https://example.test".into())];
        let provider = OpenAiProvider::new(s).unwrap();
        let mut request = request();
        request.tools = vec![read_file_tool()];
        request.messages.push(Message {
            role: Role::Assistant,
            content: String::new(),
            tool_calls: vec![ToolCall {
                id: "call_9".into(),
                name: "read_file".into(),
                arguments: "{\"path\":\"a\"}".into(),
            }],
            tool_call_id: None,
        });
        request
            .messages
            .push(Message::tool_result("call_9", "fn main() {}"));
        request.params = Params {
            temperature: Some(0.0),
            max_tokens: Some(100),
            stop: vec!["\n\n".into()],
            response_format: Some(ResponseFormat::JsonSchema {
                name: "answer".into(),
                schema: json!({"type": "object", "properties": {"ok": {"type": "boolean"}}}),
            }),
        };
        let outcome = run(&provider, &request).await.unwrap().ok();
        assert_eq!(outcome.text(), "Hello!");

        let sent = server.requests();
        assert_eq!(sent.len(), 1);
        let sent = &sent[0];
        assert_eq!(sent.method, "POST");
        assert_eq!(sent.path, "/v1/chat/completions");
        assert_eq!(
            sent.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
        assert_eq!(sent.header("content-type"), Some("application/json"));
        assert_eq!(sent.header("accept"), Some("text/event-stream"));
        assert_eq!(sent.header("http-referer"), Some("https://example.test"));
        assert!(sent.header("user-agent").unwrap().starts_with("warroom/"));
        let body = sent.json();
        assert_eq!(body["model"], "gpt-test");
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"], json!({"include_usage": true}));
        assert_eq!(body["temperature"], 0.0);
        assert_eq!(body["max_tokens"], 100);
        assert_eq!(body["stop"], json!(["\n\n"]));
        assert_eq!(
            body["response_format"],
            json!({"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
                "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}})
        );
        assert_eq!(
            body["tools"],
            json!([{"type": "function", "function": {"name": "read_file",
                "description": "Read a file of the repository.",
                "parameters": read_file_tool().parameters}}])
        );
        let roles: Vec<&str> = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant", "tool"]);
        assert_eq!(body["messages"][2]["tool_calls"][0]["id"], "call_9");
        assert_eq!(body["messages"][2]["content"], Value::Null);
        assert_eq!(body["messages"][3]["tool_call_id"], "call_9");
    })
    .await;
}

#[tokio::test]
async fn streams_text_then_usage_then_done() {
    within(async {
        let server = FakeServer::start(vec![hello()]).await;
        let outcome = run(&provider(&server), &request()).await.unwrap().ok();
        assert_eq!(
            outcome.events,
            vec![
                StreamEvent::TextDelta { text: "Hel".into() },
                StreamEvent::TextDelta { text: "lo!".into() },
                StreamEvent::Usage {
                    usage: Usage {
                        input_tokens: 12,
                        output_tokens: 3,
                        cached_tokens: 2,
                        cache_write_tokens: 0,
                    }
                },
                StreamEvent::Done {
                    finish_reason: FinishReason::Stop
                },
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn two_parallel_tool_calls_are_assembled_across_chunks() {
    within(async {
        let server = FakeServer::start(vec![Script::sse([
            call_fragment(0, Some("call_a"), Some("read_file"), ""),
            call_fragment(1, Some("call_b"), Some("read_file"), ""),
            call_fragment(0, None, None, "{\"pa"),
            call_fragment(1, None, None, "{\"path\": \"src/"),
            call_fragment(0, None, None, "th\": \"README.md\"}"),
            call_fragment(1, None, None, "lib.rs\"}"),
            finish("tool_calls"),
            usage(50, 20, 0),
            "[DONE]".into(),
        ])])
        .await;
        let mut request = request();
        request.tools = vec![read_file_tool()];
        let outcome = run(&provider(&server), &request).await.unwrap().ok();
        let calls = outcome.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].id.as_str(), calls[0].name.as_str()),
            ("call_a", "read_file")
        );
        assert_eq!(
            calls[0].parsed_arguments().unwrap(),
            json!({"path": "README.md"})
        );
        assert_eq!(
            (calls[1].id.as_str(), calls[1].name.as_str()),
            ("call_b", "read_file")
        );
        assert_eq!(
            calls[1].parsed_arguments().unwrap(),
            json!({"path": "src/lib.rs"})
        );
        let deltas: Vec<usize> = outcome
            .events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::ToolCallDelta { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        assert_eq!(deltas, [0, 1, 0, 1, 0, 1]);
        assert_eq!(outcome.done(), Some(FinishReason::ToolCalls));
        // The complete calls come after their last fragment and before Done.
        let first_call = outcome
            .events
            .iter()
            .position(|e| matches!(e, StreamEvent::ToolCall { .. }))
            .unwrap();
        let last_delta = outcome
            .events
            .iter()
            .rposition(|e| matches!(e, StreamEvent::ToolCallDelta { .. }))
            .unwrap();
        assert!(first_call > last_delta);
    })
    .await;
}

#[tokio::test]
async fn tool_arguments_that_are_not_json_pass_through_as_a_call() {
    within(async {
        let server = FakeServer::start(vec![Script::sse([
            call_fragment(
                0,
                Some("call_x"),
                Some("read_file"),
                "{\"path\": src/main.rs",
            ),
            finish("tool_calls"),
            "[DONE]".into(),
        ])])
        .await;
        let outcome = run(&provider(&server), &request()).await.unwrap().ok();
        let calls = outcome.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].arguments, "{\"path\": src/main.rs");
        let error = calls[0].parsed_arguments().unwrap_err();
        assert!(
            error.contains("call_x") && error.contains("not valid JSON"),
            "{error}"
        );
    })
    .await;
}

#[tokio::test]
async fn rate_limits_carry_retry_after_in_seconds_or_as_a_date() {
    within(async {
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        let server = FakeServer::start(vec![
            Script::json(
                429,
                r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#,
            )
            .header("retry-after", "2"),
            Script::json(429, "{}").header("retry-after", &date),
            Script::json(429, "{}"),
        ])
        .await;
        let provider = provider(&server);
        let e = refused(&provider, &request()).await;
        assert_eq!(e.retry_after(), Some(Duration::from_secs(2)));
        assert!(e.is_retryable());
        let e = refused(&provider, &request()).await;
        let wait = e.retry_after().unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        let e = refused(&provider, &request()).await;
        assert!(matches!(
            e,
            LlmError::RateLimited {
                retry_after: None,
                ..
            }
        ));
    })
    .await;
}

#[tokio::test]
async fn http_errors_map_to_their_kinds() {
    within(async {
        let server = FakeServer::start(vec![
            Script::json(500, r#"{"error":{"message":"The server had an error"}}"#),
            Script::text(502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
            Script::json(403, r#"{"error":{"message":"Project does not have access to model"}}"#),
            Script::json(
                400,
                r#"{"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
            ),
            Script::json(400, r#"{"error":{"message":"Invalid schema for function 'read_file'"}}"#),
            Script::json(404, r#"{"error":"model \"gpt-test\" not found, try pulling it first"}"#),
        ])
        .await;
        let provider = provider(&server);
        let e = refused(&provider, &request()).await;
        assert!(matches!(e, LlmError::Server { status: 500, ref message, .. } if message.contains("had an error")), "{e}");
        let e = refused(&provider, &request()).await;
        assert!(matches!(e, LlmError::Server { status: 502, ref message, .. } if message.contains("502 Bad Gateway")), "{e}");
        let e = refused(&provider, &request()).await;
        assert!(matches!(e, LlmError::Forbidden { .. }) && !e.is_retryable(), "{e}");
        let e = refused(&provider, &request()).await;
        assert!(matches!(e, LlmError::ContextTooLong { .. }) && !e.allows_fallback(), "{e}");
        let e = refused(&provider, &request()).await;
        assert!(matches!(e, LlmError::BadRequest { status: 400, .. }) && !e.is_retryable(), "{e}");
        let e = refused(&provider, &request()).await;
        let text = e.to_string();
        assert!(text.contains("/v1/chat/completions") && text.contains("base_url") && text.contains("not found"), "{text}");
    })
    .await;
}

#[tokio::test]
async fn unauthorized_names_where_the_key_came_from_and_never_shows_it() {
    within(async {
        let echo = format!(
            r#"{{"error":{{"message":"Incorrect API key provided: {KEY}. Authorization: Bearer {KEY}","code":"invalid_api_key"}}}}"#
        );
        let server = FakeServer::start(vec![
            Script::json(401, &echo),
            Script::json(400, &echo),
            Script::sse([text("hi"), format!(r#"{{"error":{{"message":"bad key {KEY}"}}}}"#)]),
        ])
        .await;
        let provider = provider(&server);
        let e = refused(&provider, &request()).await;
        assert!(matches!(e, LlmError::Unauthorized { .. }), "{e}");
        assert!(e.to_string().contains("OPENAI_API_KEY"), "{e}");
        assert!(!e.is_retryable() && !e.allows_fallback());
        // A server that echoes the key in other errors: redacted (assert_no_key checks).
        let e = refused(&provider, &request()).await;
        assert!(e.to_string().contains("[redacted]"), "{e}");
        let e = run(&provider, &request()).await.unwrap().error();
        assert!(e.to_string().contains("[redacted]"), "{e}");
        // Nor does the settings' Debug show it.
        let shown = format!("{:?}", provider.settings());
        assert!(!shown.contains(KEY) && shown.contains("[redacted]"), "{shown}");
    })
    .await;
}

#[tokio::test]
async fn a_connection_reset_mid_stream_is_a_connection_error() {
    within(async {
        let server = FakeServer::start(vec![
            Script::sse([text("Hel"), text("lo"), finish("stop"), "[DONE]".into()]).reset_after(1),
        ])
        .await;
        let outcome = run(&provider(&server), &request()).await.unwrap();
        assert_eq!(outcome.text(), "Hel");
        let e = outcome.error();
        assert!(
            matches!(e, LlmError::Connection { .. }) && e.is_retryable(),
            "{e}"
        );
        assert!(e.to_string().contains("mid-answer"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_stream_cut_before_done_is_an_error_whether_clean_or_broken() {
    within(async {
        let server = FakeServer::start(vec![
            // The body ends properly, but the answer never does.
            Script::sse([text("Hel"), text("lo")]),
            // The usage and [DONE] are missing even though the finish reason came.
            Script::sse([text("Hello"), finish("stop")]),
            // The connection closes in the middle of the chunked body.
            Script::sse([text("Hel"), text("lo"), "[DONE]".into()]).abort_after(1),
        ])
        .await;
        let provider = provider(&server);
        let outcome = run(&provider, &request()).await.unwrap();
        assert_eq!(outcome.text(), "Hello");
        let e = outcome.error();
        assert!(matches!(e, LlmError::Protocol { ref message, .. } if message.contains("stream cut before [DONE]")), "{e}");
        let e = run(&provider, &request()).await.unwrap().error();
        assert!(e.to_string().contains("stream cut before [DONE] (after the finish reason)"), "{e}");
        let e = run(&provider, &request()).await.unwrap().error();
        assert!(matches!(e, LlmError::Connection { .. }), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_malformed_json_chunk_is_a_protocol_error() {
    within(async {
        let server = FakeServer::start(vec![Script::sse([
            text("ok"),
            r#"{"choices": [{"index": 0, "delta": {"content": "unterminated}]"#.into(),
            finish("stop"),
            "[DONE]".into(),
        ])])
        .await;
        let outcome = run(&provider(&server), &request()).await.unwrap();
        assert_eq!(outcome.text(), "ok");
        let e = outcome.error();
        assert!(matches!(e, LlmError::Protocol { ref message, .. } if message.contains("not valid JSON") && message.contains("unterminated")), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_slow_drip_finishes_within_the_idle_timeout_and_fails_past_it() {
    within(async {
        let every = Duration::from_millis(100);
        let dripping = || {
            Script::sse([text("slow"), finish("stop"), usage(1, 1, 0)])
                .drip_chunk(every, "data: [DONE]\n\n")
        };
        let server = FakeServer::start(vec![dripping(), dripping()]).await;
        let patient = OpenAiProvider::new(OpenAiSettings {
            idle_timeout: Duration::from_secs(1),
            ..settings(&base(&server))
        })
        .unwrap();
        let started = Instant::now();
        let outcome = run(&patient, &request()).await.unwrap().ok();
        assert_eq!(outcome.text(), "slow");
        assert_eq!(outcome.done(), Some(FinishReason::Stop));
        assert!(
            started.elapsed() >= Duration::from_millis(1300),
            "{:?}",
            started.elapsed()
        );

        let impatient = OpenAiProvider::new(OpenAiSettings {
            idle_timeout: Duration::from_millis(40),
            ..settings(&base(&server))
        })
        .unwrap();
        let outcome = run(&impatient, &request()).await.unwrap();
        assert_eq!(outcome.text(), "slow");
        let e = outcome.error();
        assert!(
            matches!(
                e,
                LlmError::Timeout {
                    phase: "next chunk",
                    ..
                }
            ) && e.is_retryable(),
            "{e}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_ten_megabyte_chunk_is_read_whole() {
    within(async {
        let big = "x".repeat(10 * 1024 * 1024);
        let server = FakeServer::start(vec![Script::sse([
            text(&big),
            finish("stop"),
            "[DONE]".into(),
        ])])
        .await;
        let outcome = run(&provider(&server), &request()).await.unwrap().ok();
        assert_eq!(outcome.text().len(), big.len());
        assert_eq!(outcome.done(), Some(FinishReason::Stop));
    })
    .await;
}

#[tokio::test]
async fn empty_choices_are_skipped_unless_nothing_else_came() {
    within(async {
        let server = FakeServer::start(vec![
            Script::sse([
                r#"{"choices":[],"prompt_filter_results":[{"prompt_index":0}]}"#.to_string(),
                text("fine"),
                finish("stop"),
                usage(5, 1, 0),
                "[DONE]".into(),
            ]),
            Script::sse([r#"{"choices":[]}"#, r#"{"choices":[]}"#, "[DONE]"]),
            Script::sse([finish("stop"), usage(5, 0, 0), "[DONE]".into()]),
        ])
        .await;
        let provider = provider(&server);
        let outcome = run(&provider, &request()).await.unwrap().ok();
        assert_eq!(outcome.text(), "fine");
        let e = run(&provider, &request()).await.unwrap().error();
        assert!(
            matches!(e, LlmError::Protocol { ref message, .. } if message.contains("no choices")),
            "{e}"
        );
        // A model that answers nothing at all.
        let e = run(&provider, &request()).await.unwrap().error();
        assert!(
            matches!(e, LlmError::Protocol { ref message, .. } if message.contains("empty answer")),
            "{e}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_200_that_is_not_an_event_stream_names_its_content_type() {
    within(async {
        let server = FakeServer::start(vec![
            Script::text(
                200,
                "text/html; charset=utf-8",
                "<!doctype html><html><title>Welcome to nginx</title></html>",
            ),
            Script::json(
                200,
                r#"{"choices":[{"message":{"content":"not streamed"}}]}"#,
            ),
        ])
        .await;
        let provider = provider(&server);
        let e = refused(&provider, &request()).await;
        let text = e.to_string();
        assert!(matches!(e, LlmError::Protocol { .. }), "{e}");
        assert!(
            text.contains("text/html") && text.contains("Welcome to nginx"),
            "{text}"
        );
        let e = refused(&provider, &request()).await;
        assert!(e.to_string().contains("application/json"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn an_error_event_inside_the_stream_keeps_its_kind() {
    within(async {
        let server = FakeServer::start(vec![
            Script::sse([text("par"), r#"{"error":{"message":"Rate limit exceeded","code":429}}"#.into()]),
            Script::sse([r#"{"error":{"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}}"#]),
            Script::sse([r#"{"error":"model crashed"}"#]),
        ])
        .await;
        let provider = provider(&server);
        let e = run(&provider, &request()).await.unwrap().error();
        assert!(matches!(e, LlmError::RateLimited { .. }), "{e}");
        let e = run(&provider, &request()).await.unwrap().error();
        assert!(matches!(e, LlmError::ContextTooLong { .. }), "{e}");
        let e = run(&provider, &request()).await.unwrap().error();
        assert!(matches!(e, LlmError::Server { .. }) && e.to_string().contains("model crashed"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    within(async {
        let server =
            FakeServer::start(vec![Script::sse([text("Hel"), text("lo")]).hang_after(1)]).await;
        let provider = provider(&server);
        let request = request();
        let mut stream = provider.stream(&request).await.unwrap();
        let first = stream.next().await.unwrap().unwrap();
        assert_eq!(first, StreamEvent::TextDelta { text: "Hel".into() });
        assert!(
            !server
                .wait_client_closed(0, Duration::from_millis(200))
                .await
        );
        drop(stream);
        assert!(server.wait_client_closed(0, Duration::from_secs(5)).await);
    })
    .await;
}

#[tokio::test]
async fn waiting_for_the_first_byte_has_a_deadline() {
    within(async {
        let server = FakeServer::start(vec![
            // No status line in time.
            Script::sse([text("late")]).head_delay(Duration::from_secs(3)),
            // Headers at once, but the first chunk too late.
            Script::event_stream().chunk_after(
                Duration::from_secs(3),
                format!("data: {}\n\n", text("late")),
            ),
        ])
        .await;
        let provider = OpenAiProvider::new(OpenAiSettings {
            first_byte_timeout: Duration::from_millis(300),
            ..settings(&base(&server))
        })
        .unwrap();
        let started = Instant::now();
        let e = refused(&provider, &request()).await;
        assert!(
            matches!(
                e,
                LlmError::Timeout {
                    phase: "first byte",
                    ..
                }
            ),
            "{e}"
        );
        let e = run(&provider, &request()).await.unwrap().error();
        assert!(
            matches!(
                e,
                LlmError::Timeout {
                    phase: "first byte",
                    ..
                }
            ),
            "{e}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    })
    .await;
}

#[tokio::test]
async fn connecting_has_a_deadline_and_a_refusal_is_a_connection_error() {
    within(async {
        let hole = Blackhole::start().await;
        let provider = OpenAiProvider::new(OpenAiSettings {
            connect_timeout: Duration::from_millis(300),
            ..settings(&format!("{}/v1", hole.url()))
        })
        .unwrap();
        let e = refused(&provider, &request()).await;
        assert!(
            matches!(
                e,
                LlmError::Timeout {
                    phase: "connect",
                    ..
                }
            ),
            "{e}"
        );

        let provider =
            OpenAiProvider::new(settings(&format!("{}/v1", refused_url().await))).unwrap();
        let e = refused(&provider, &request()).await;
        assert!(
            matches!(e, LlmError::Connection { .. }) && e.is_retryable(),
            "{e}"
        );
        assert!(e.to_string().contains("refused"), "{e}");
    })
    .await;
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    within(async {
        let server = FakeServer::start(vec![
            Script::new(301).header("location", "https://elsewhere.test/v1/chat/completions"),
        ])
        .await;
        let e = refused(&provider(&server), &request()).await;
        assert!(matches!(e, LlmError::BadRequest { status: 301, .. }), "{e}");
        assert!(e.to_string().contains("elsewhere.test"), "{e}");
        assert_eq!(server.request_count(), 1);
    })
    .await;
}

#[tokio::test]
async fn calls_written_as_text_become_tool_calls_when_enabled() {
    within(async {
        let qwen = || {
            Script::sse([
                text("<tool_call>\n{\"name\": \"read_file\", \"argu"),
                text("ments\": {\"path\": \"src/main.rs\"}}\n</tool_call>"),
                finish("stop"),
                "[DONE]".into(),
            ])
        };
        let server = FakeServer::start(vec![qwen(), qwen()]).await;
        let mut request = request();
        request.tools = vec![read_file_tool()];
        let local = OpenAiProvider::new(OpenAiSettings {
            text_tool_calls: true,
            ..settings(&base(&server))
        })
        .unwrap();
        let outcome = run(&local, &request).await.unwrap().ok();
        let calls = outcome.calls();
        assert_eq!(calls.len(), 1);
        assert_eq!(
            (calls[0].id.as_str(), calls[0].name.as_str()),
            ("text_call_0", "read_file")
        );
        assert_eq!(
            calls[0].parsed_arguments().unwrap(),
            json!({"path": "src/main.rs"})
        );
        assert_eq!(outcome.done(), Some(FinishReason::ToolCalls));

        let outcome = run(&provider(&server), &request).await.unwrap().ok();
        assert!(outcome.calls().is_empty());
        assert!(outcome.text().contains("<tool_call>"));
        assert_eq!(outcome.done(), Some(FinishReason::Stop));
    })
    .await;
}

#[tokio::test]
async fn broken_settings_are_config_errors_that_name_the_problem() {
    for (base_url, says) in [
        ("not a url", "is not a URL"),
        ("ftp://127.0.0.1/v1", "http:// or https://"),
        ("", "is not a URL"),
    ] {
        let e = OpenAiProvider::new(settings(base_url)).err().unwrap();
        assert!(
            matches!(e, LlmError::Config(ref m) if m.contains(says)),
            "{base_url}: {e}"
        );
    }
    let e = OpenAiProvider::new(
        OpenAiSettings::new("local", "http://127.0.0.1:1/v1")
            .with_key("sk-bad\nkey-0123456789abcdef", "key file /tmp/k"),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("/tmp/k"), "{e}");
    assert_no_key(&e);
    let e = OpenAiProvider::new(OpenAiSettings {
        extra_headers: vec![("bad header".into(), "x".into())],
        ..settings("http://127.0.0.1:1/v1")
    })
    .err()
    .unwrap();
    assert!(e.to_string().contains("bad header"), "{e}");
}

#[tokio::test]
async fn the_fake_server_does_what_its_scripts_say() {
    within(async {
        let server = FakeServer::start(vec![
            Script::sse(["a"]).chunk_after(Duration::from_millis(20), "data: [DONE]\n\n"),
            Script::sse(["x", "y"]).reset_after(1),
        ])
        .await;
        let client = reqwest::Client::new();
        let url = format!("{}/x", server.url());
        let r = client.post(&url).body("{\"a\":1}").send().await.unwrap();
        assert_eq!(r.headers()["content-type"], "text/event-stream");
        assert_eq!(r.text().await.unwrap(), "data: a\n\ndata: [DONE]\n\n");
        let r = client.post(&url).send().await.unwrap();
        let e = r.text().await.unwrap_err();
        assert!(format!("{e:?}").contains("ConnectionReset"), "{e:?}");
        // Past the scripts: a 500 that says so.
        let r = client.post(&url).send().await.unwrap();
        assert_eq!(r.status(), 500);
        assert!(r.text().await.unwrap().contains("no script left"));
        assert_eq!(server.requests()[0].json()["a"], 1);
        assert_eq!(server.scripts_left(), 0);
    })
    .await;
}
