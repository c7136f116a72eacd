//! Pure tests of the stream decoder (`events.rs`) and the error mapping (`errors.rs`). The
//! HTTP exchange is tested against a real server in `tests/llm_anthropic.rs`.

use std::time::Duration;

use serde_json::{Value, json};

use super::errors::{Who, http_error};
use super::events::Decoder;
use super::request::JsonAnswer;
use crate::core::llm::{FinishReason, LlmError, StreamEvent, ToolCall, Usage};

fn call(id: &str, name: &str, arguments: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
    }
}

fn who() -> Who {
    Who {
        provider: "anthropic".into(),
        key_source: "environment variable ANTHROPIC_API_KEY".into(),
    }
}

/// Feeds `(event, data)` pairs to a decoder; the first error stops it.
fn decode(
    json_answer: Option<JsonAnswer>,
    events: &[(&str, Value)],
) -> Result<Vec<StreamEvent>, LlmError> {
    let mut decoder = Decoder::new(who(), json_answer);
    let mut out = Vec::new();
    for (name, data) in events {
        out.extend(decoder.on_event(name, &data.to_string())?);
    }
    Ok(out)
}

fn start(input: u64, cache_read: u64, cache_write: u64) -> (&'static str, Value) {
    let usage = json!({"input_tokens": input, "output_tokens": 1,
        "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": cache_write});
    (
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_1",
        "type": "message", "role": "assistant", "content": [], "usage": usage}}),
    )
}

fn block_start(index: usize, block: Value) -> (&'static str, Value) {
    (
        "content_block_start",
        json!({"type": "content_block_start", "index": index, "content_block": block}),
    )
}

fn text(index: usize, text: &str) -> (&'static str, Value) {
    (
        "content_block_delta",
        json!({"type": "content_block_delta", "index": index,
        "delta": {"type": "text_delta", "text": text}}),
    )
}

fn input(index: usize, partial: &str) -> (&'static str, Value) {
    (
        "content_block_delta",
        json!({"type": "content_block_delta", "index": index,
        "delta": {"type": "input_json_delta", "partial_json": partial}}),
    )
}

fn block_stop(index: usize) -> (&'static str, Value) {
    (
        "content_block_stop",
        json!({"type": "content_block_stop", "index": index}),
    )
}

fn message_delta(stop_reason: &str, output: u64) -> (&'static str, Value) {
    (
        "message_delta",
        json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
        "usage": {"output_tokens": output}}),
    )
}

fn stop() -> (&'static str, Value) {
    ("message_stop", json!({"type": "message_stop"}))
}

fn tool_block(id: &str, name: &str) -> Value {
    json!({"type": "tool_use", "id": id, "name": name, "input": {}})
}

fn texts(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_text_answer_streams_with_usage_that_includes_cached_tokens() {
    let events = decode(
        None,
        &[
            start(10, 100, 50),
            ("ping", json!({"type": "ping"})),
            block_start(0, json!({"type": "text", "text": ""})),
            text(0, "Hello"),
            text(0, ", world"),
            block_stop(0),
            message_delta("end_turn", 7),
            stop(),
        ],
    )
    .unwrap();
    let first = Usage {
        input_tokens: 160,
        output_tokens: 1,
        cached_tokens: 100,
        cache_write_tokens: 50,
    };
    assert_eq!(
        events,
        vec![
            StreamEvent::Usage { usage: first },
            StreamEvent::TextDelta {
                text: "Hello".into()
            },
            StreamEvent::TextDelta {
                text: ", world".into()
            },
            StreamEvent::Usage {
                usage: Usage {
                    output_tokens: 7,
                    ..first
                }
            },
            StreamEvent::Done {
                finish_reason: FinishReason::Stop
            },
        ]
    );
}

#[test]
fn tool_use_blocks_stream_as_indexed_fragments_then_complete_calls() {
    let events = decode(
        None,
        &[
            start(5, 0, 0),
            block_start(0, json!({"type": "text", "text": ""})),
            text(0, "Reading."),
            block_stop(0),
            block_start(1, tool_block("toolu_a", "read_file")),
            input(1, ""),
            input(1, r#"{"pa"#),
            input(1, r#"th": "src/"#),
            input(1, r#"main.rs"}"#),
            block_stop(1),
            block_start(2, tool_block("toolu_b", "list_dir")),
            block_stop(2),
            message_delta("tool_use", 30),
            stop(),
        ],
    )
    .unwrap();
    let fragments: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCallDelta {
                index,
                id,
                name,
                arguments,
            } => Some((*index, id.clone(), name.clone(), arguments.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        fragments[0],
        (
            0,
            Some("toolu_a".into()),
            Some("read_file".into()),
            String::new()
        )
    );
    let assembled: String = fragments
        .iter()
        .filter(|f| f.0 == 0)
        .map(|f| f.3.as_str())
        .collect();
    assert_eq!(assembled, r#"{"path": "src/main.rs"}"#);
    assert_eq!(
        fragments.last().unwrap(),
        &(
            1,
            Some("toolu_b".into()),
            Some("list_dir".into()),
            String::new()
        )
    );
    let calls: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCall { call } => Some(call.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            call("toolu_a", "read_file", r#"{"path": "src/main.rs"}"#),
            call("toolu_b", "list_dir", "{}"),
        ]
    );
    assert_eq!(
        calls[0].parsed_arguments().unwrap(),
        json!({"path": "src/main.rs"})
    );
    assert_eq!(
        events.last().unwrap(),
        &StreamEvent::Done {
            finish_reason: FinishReason::ToolCalls
        }
    );
}

#[test]
fn tool_input_that_is_not_json_is_passed_through() {
    let events = decode(
        None,
        &[
            start(5, 0, 0),
            block_start(0, tool_block("toolu_a", "read_file")),
            input(0, r#"{"path": "#),
            block_stop(0),
            message_delta("tool_use", 3),
            stop(),
        ],
    )
    .unwrap();
    let Some(StreamEvent::ToolCall { call }) = events
        .iter()
        .find(|e| matches!(e, StreamEvent::ToolCall { .. }))
    else {
        panic!("no tool call in {events:?}");
    };
    assert_eq!(call.arguments, r#"{"path": "#);
    assert!(call.parsed_arguments().unwrap_err().contains("read_file"));
}

#[test]
fn a_structured_answer_comes_back_as_text() {
    let answer = JsonAnswer {
        tool: "verdict".into(),
        wrapped: false,
    };
    let events = decode(
        Some(answer),
        &[
            start(5, 0, 0),
            block_start(0, json!({"type": "text", "text": "Sure, "})),
            block_stop(0),
            block_start(1, tool_block("toolu_x", "verdict")),
            input(1, r#"{"verdict""#),
            input(1, r#": "pass"}"#),
            block_stop(1),
            message_delta("tool_use", 9),
            stop(),
        ],
    )
    .unwrap();
    assert_eq!(texts(&events), r#"{"verdict": "pass"}"#);
    assert!(!events.iter().any(|e| matches!(
        e,
        StreamEvent::ToolCall { .. } | StreamEvent::ToolCallDelta { .. }
    )));
    assert_eq!(
        events.last().unwrap(),
        &StreamEvent::Done {
            finish_reason: FinishReason::Stop
        }
    );

    let wrapped = JsonAnswer {
        tool: "list".into(),
        wrapped: true,
    };
    let events = decode(
        Some(wrapped),
        &[
            start(5, 0, 0),
            block_start(0, tool_block("toolu_x", "list")),
            input(0, r#"{"value": ["a","#),
            input(0, r#" "b"]}"#),
            block_stop(0),
            message_delta("tool_use", 9),
            stop(),
        ],
    )
    .unwrap();
    assert_eq!(texts(&events), r#"["a","b"]"#);
}

#[test]
fn stop_reasons_map_to_finish_reasons() {
    for (reason, expected) in [
        ("end_turn", FinishReason::Stop),
        ("max_tokens", FinishReason::Length),
        ("stop_sequence", FinishReason::StopSequence),
        ("refusal", FinishReason::ContentFilter),
        ("pause_turn", FinishReason::Other("pause_turn".into())),
    ] {
        let events = decode(
            None,
            &[
                start(1, 0, 0),
                block_start(0, json!({"type": "text", "text": ""})),
                text(0, "x"),
                block_stop(0),
                message_delta(reason, 1),
                stop(),
            ],
        )
        .unwrap();
        assert_eq!(
            events.last().unwrap(),
            &StreamEvent::Done {
                finish_reason: expected
            }
        );
    }
}

#[test]
fn unknown_events_and_blocks_are_skipped() {
    let events = decode(
        None,
        &[
            start(1, 0, 0),
            ("future_event", json!({"type": "future_event", "x": 1})),
            block_start(0, json!({"type": "thinking", "thinking": ""})),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "hmm"}}),
            ),
            block_stop(0),
            block_start(1, json!({"type": "text", "text": ""})),
            text(1, "ok"),
            block_stop(1),
            message_delta("end_turn", 2),
            stop(),
        ],
    )
    .unwrap();
    assert_eq!(texts(&events), "ok");
}

#[test]
fn broken_or_empty_answers_are_protocol_errors() {
    let empty = decode(
        None,
        &[
            start(1, 0, 0),
            block_start(0, json!({"type": "text", "text": ""})),
            block_stop(0),
            message_delta("end_turn", 0),
            stop(),
        ],
    )
    .unwrap_err();
    assert!(
        matches!(&empty, LlmError::Protocol { message, .. } if message.contains("no text and no tool call")),
        "{empty}"
    );

    let mut decoder = Decoder::new(who(), None);
    let bad = decoder
        .on_event("content_block_delta", "{\"type\": \"content_blo")
        .unwrap_err();
    assert!(
        matches!(&bad, LlmError::Protocol { message, .. } if message.contains("not valid JSON")),
        "{bad}"
    );
    assert!(bad.is_retryable());

    let orphan = decode(None, &[start(1, 0, 0), text(3, "x")]).unwrap_err();
    assert!(orphan.to_string().contains("never started"), "{orphan}");

    let decoder = Decoder::new(who(), None);
    assert!(!decoder.is_done());
    assert!(decoder.ended_early().to_string().contains("message_stop"));
}

#[test]
fn error_events_are_classified() {
    let event = |kind: &str, message: &str| {
        decode(
            None,
            &[
                start(1, 0, 0),
                (
                    "error",
                    json!({"type": "error", "error": {"type": kind, "message": message}}),
                ),
            ],
        )
        .unwrap_err()
    };
    let overloaded = event("overloaded_error", "Overloaded");
    assert!(
        matches!(overloaded, LlmError::Server { status: 529, .. }) && overloaded.is_retryable()
    );
    assert!(matches!(
        event("rate_limit_error", "slow"),
        LlmError::RateLimited {
            retry_after: None,
            ..
        }
    ));
    assert!(matches!(
        event("api_error", "oops"),
        LlmError::Server { status: 500, .. }
    ));
    assert!(matches!(
        event(
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum"
        ),
        LlmError::ContextTooLong { .. }
    ));
    assert!(matches!(
        event("invalid_request_error", "bad"),
        LlmError::BadRequest { status: 400, .. }
    ));
    assert!(
        event("authentication_error", "no")
            .to_string()
            .contains("ANTHROPIC_API_KEY")
    );
    let odd = event("strange_error", "what");
    assert!(
        matches!(&odd, LlmError::Protocol { message, .. } if message.contains("strange_error")),
        "{odd}"
    );
}

#[test]
fn http_errors_are_classified_with_anthropics_messages() {
    let body = |kind: &str, message: &str| {
        json!({"type": "error", "error": {"type": kind, "message": message}}).to_string()
    };
    let who = who();
    assert_eq!(
        http_error(
            &who,
            429,
            Some(Duration::from_secs(3)),
            &body("rate_limit_error", "slow")
        ),
        LlmError::RateLimited {
            provider: "anthropic".into(),
            retry_after: Some(Duration::from_secs(3))
        }
    );
    let overloaded = http_error(&who, 529, None, &body("overloaded_error", "Overloaded"));
    assert_eq!(
        overloaded,
        LlmError::Server {
            provider: "anthropic".into(),
            status: 529,
            message: "Overloaded".into()
        }
    );
    let unauthorized = http_error(
        &who,
        401,
        None,
        &body("authentication_error", "invalid x-api-key"),
    );
    assert!(
        unauthorized
            .to_string()
            .contains("environment variable ANTHROPIC_API_KEY")
    );
    assert!(matches!(
        http_error(&who, 403, None, &body("permission_error", "no")),
        LlmError::Forbidden { .. }
    ));
    assert!(matches!(
        http_error(
            &who,
            400,
            None,
            &body("invalid_request_error", "prompt is too long: 1 > 0")
        ),
        LlmError::ContextTooLong { .. }
    ));
    let refused = http_error(
        &who,
        400,
        None,
        &body("invalid_request_error", "max_tokens: required"),
    );
    assert!(
        matches!(&refused, LlmError::BadRequest { status: 400, message, .. } if message == "max_tokens: required")
    );
    let html = http_error(
        &who,
        502,
        None,
        &format!("<html>\n<body>{}</body></html>", "x".repeat(1000)),
    );
    assert!(
        matches!(&html, LlmError::Server { status: 502, message, .. } if message.chars().count() <= 301 && !message.contains('\n'))
    );
}
