//! The OpenAI-compatible provider against a real model: llama.cpp's server (the xllamacpp
//! wheel) serving Qwen2.5-Coder-0.5B-Instruct with its stock chat template, started by
//! `scripts/local-llm.sh serve qwen PORT`. Point `WARROOM_TEST_LLM_URL` at its API root
//! (`http://127.0.0.1:PORT/v1`; `.ci/run` does); without it every test here is skipped with a
//! printed reason. `WARROOM_TEST_LLM_MODEL` names the model in requests (default `qwen`).
//!
//! A plain answer, a stream that ends properly with usage, json_schema output, and a tool call
//! that the small model writes as text under its stock template and the provider turns into a
//! real call (a native `tool_calls` answer is accepted too).

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::json;
use warroom::core::llm::openai::{OpenAiProvider, OpenAiSettings};
use warroom::core::llm::text_tools::tool_calls_in_text;
use warroom::core::llm::{
    ChatProvider, ChatRequest, FinishReason, Message, Params, ResponseFormat, Role, StreamEvent,
    ToolCall, ToolSpec, Usage,
};

/// The provider for the server under test, or `None` (with the reason printed) when there is
/// none.
fn provider(test: &str, text_tool_calls: bool) -> Option<OpenAiProvider> {
    let Ok(url) = std::env::var("WARROOM_TEST_LLM_URL") else {
        eprintln!(
            "skipped {test}: WARROOM_TEST_LLM_URL is not set (start a model with \
             `scripts/local-llm.sh serve qwen 8431` and set it to http://127.0.0.1:8431/v1)"
        );
        return None;
    };
    let settings = OpenAiSettings {
        connect_timeout: Duration::from_secs(5),
        // A 2-core machine shared with a compiler reads a prompt at a few tokens a second.
        first_byte_timeout: Duration::from_secs(120),
        idle_timeout: Duration::from_secs(60),
        text_tool_calls,
        ..OpenAiSettings::new("local", url)
    };
    Some(OpenAiProvider::new(settings).expect("provider"))
}

fn model() -> String {
    std::env::var("WARROOM_TEST_LLM_MODEL").unwrap_or_else(|_| "qwen".into())
}

fn request(system: &str, user: &str, params: Params) -> ChatRequest {
    ChatRequest {
        model: model(),
        messages: vec![
            Message::text(Role::System, system),
            Message::text(Role::User, user),
        ],
        tools: Vec::new(),
        params,
    }
}

/// Every event of a whole answer; fails the test on any error, or after 5 minutes.
async fn answer(provider: &OpenAiProvider, request: &ChatRequest) -> Vec<StreamEvent> {
    let started = Instant::now();
    let events = tokio::time::timeout(Duration::from_secs(300), async {
        let mut stream = provider.stream(request).await.expect("the call starts");
        let mut events = Vec::new();
        while let Some(item) = stream.next().await {
            events.push(item.expect("the stream goes on"));
        }
        events
    })
    .await
    .expect("the model answered within 5 minutes");
    eprintln!(
        "answered in {:.1} s: {:?}",
        started.elapsed().as_secs_f64(),
        text(&events)
    );
    events
}

fn text(events: &[StreamEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

fn usage(events: &[StreamEvent]) -> Option<Usage> {
    events.iter().rev().find_map(|e| match e {
        StreamEvent::Usage { usage } => Some(*usage),
        _ => None,
    })
}

fn finish(events: &[StreamEvent]) -> FinishReason {
    match events.last() {
        Some(StreamEvent::Done { finish_reason }) => finish_reason.clone(),
        other => panic!("the stream did not end with Done: {other:?}"),
    }
}

fn calls(events: &[StreamEvent]) -> Vec<ToolCall> {
    events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCall { call } => Some(call.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_plain_answer() {
    let Some(provider) = provider("a_plain_answer", false) else {
        return;
    };
    let request = request(
        "You are a helpful assistant. Answer in one short sentence.",
        "What is the capital of France?",
        Params {
            temperature: Some(0.0),
            max_tokens: Some(40),
            ..Params::default()
        },
    );
    let events = answer(&provider, &request).await;
    let text = text(&events);
    assert!(text.contains("Paris"), "{text}");
    assert_eq!(finish(&events), FinishReason::Stop);
}

#[tokio::test]
async fn a_stream_ends_properly_with_usage() {
    let Some(provider) = provider("a_stream_ends_properly_with_usage", false) else {
        return;
    };
    let request = request(
        "You are a helpful assistant.",
        "Count from one to fifty in words, separated by commas.",
        Params {
            temperature: Some(0.0),
            max_tokens: Some(12),
            ..Params::default()
        },
    );
    let events = answer(&provider, &request).await;
    // Cut by max_tokens: the finish reason says so, and the usage counts exactly those tokens.
    assert_eq!(finish(&events), FinishReason::Length);
    let usage = usage(&events).expect("usage");
    assert_eq!(usage.output_tokens, 12, "{usage:?}");
    assert!(usage.input_tokens > 10, "{usage:?}");
    let deltas = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::TextDelta { .. }))
        .count();
    assert!(deltas > 1, "the text came in one piece: {events:?}");
    let usage_at = events
        .iter()
        .position(|e| matches!(e, StreamEvent::Usage { .. }))
        .unwrap();
    assert_eq!(
        usage_at,
        events.len() - 2,
        "usage right before Done: {events:?}"
    );
}

#[tokio::test]
async fn json_schema_output_parses_and_matches() {
    let Some(provider) = provider("json_schema_output_parses_and_matches", false) else {
        return;
    };
    let schema = json!({
        "type": "object",
        "properties": {
            "language": {"type": "string", "enum": ["rust", "python", "go"]},
            "functions": {"type": "integer"}
        },
        "required": ["language", "functions"],
        "additionalProperties": false
    });
    let request = request(
        "You classify code. Answer in JSON.",
        "Which language is this, and how many functions does it define?\n\n\
         fn main() { helper(); }\nfn helper() {}",
        Params {
            temperature: Some(0.0),
            max_tokens: Some(60),
            response_format: Some(ResponseFormat::JsonSchema {
                name: "classification".into(),
                schema,
            }),
            ..Params::default()
        },
    );
    let events = answer(&provider, &request).await;
    let text = text(&events);
    let value: serde_json::Value = serde_json::from_str(&text).expect("the answer is JSON");
    let object = value.as_object().expect("an object");
    assert_eq!(object.len(), 2, "{value}");
    assert_eq!(value["language"], "rust", "{value}");
    assert!(
        value["functions"].is_i64() || value["functions"].is_u64(),
        "{value}"
    );
    assert_eq!(finish(&events), FinishReason::Stop);
}

#[tokio::test]
async fn a_tool_call_from_qwen_with_its_stock_template() {
    let Some(provider) = provider("a_tool_call_from_qwen_with_its_stock_template", true) else {
        return;
    };
    let mut request = request(
        "You are a coding agent working in a repository. Use the tools to act.",
        "Read the file src/main.rs.",
        Params {
            temperature: Some(0.0),
            max_tokens: Some(120),
            ..Params::default()
        },
    );
    request.tools = vec![
        ToolSpec {
            name: "read_file".into(),
            description: "Read a file of the repository and return its text.".into(),
            parameters: json!({
                "type": "object",
                "properties": {"path": {"type": "string", "description": "path from the repository root"}},
                "required": ["path"]
            }),
        },
        ToolSpec {
            name: "run_command".into(),
            description: "Run a shell command in the repository.".into(),
            parameters: json!({
                "type": "object",
                "properties": {"command": {"type": "string"}},
                "required": ["command"]
            }),
        },
    ];
    let events = answer(&provider, &request).await;
    let calls = calls(&events);
    assert_eq!(calls.len(), 1, "one call expected: {events:?}");
    let call = &calls[0];
    assert_eq!(call.name, "read_file");
    let path = call.parsed_arguments().unwrap()["path"].clone();
    assert!(
        path.as_str().is_some_and(|p| p.ends_with("main.rs")),
        "{path}"
    );
    assert_eq!(finish(&events), FinishReason::ToolCalls);
    let raw = text(&events);
    if call.id.starts_with("text_call_") {
        // The stock template made the model write the call as text: the text is still there,
        // and converting it again gives the same call.
        eprintln!("converted from text: {raw:?}");
        assert_eq!(
            tool_calls_in_text(&raw, &["read_file", "run_command"]),
            calls
        );
    } else {
        eprintln!("the server returned a native tool call: {call:?}");
        assert!(tool_calls_in_text(&raw, &["read_file"]).is_empty());
    }
}
