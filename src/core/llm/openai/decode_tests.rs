//! Unit tests of the chat-completions stream decoder, payload by payload.

use super::*;

fn text_chunk(text: &str) -> String {
    serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}}]}).to_string()
}

fn finish_chunk(reason: &str) -> String {
    serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]}).to_string()
}

fn usage_chunk() -> String {
    serde_json::json!({"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 3,
        "prompt_tokens_details": {"cached_tokens": 4}}})
    .to_string()
}

/// Feeds every payload; returns the events, or the first fault.
fn run(decoder: &mut Decoder, payloads: &[String]) -> Result<Vec<StreamEvent>, Fault> {
    let mut events = Vec::new();
    for payload in payloads {
        events.extend(decoder.on_data(payload)?);
    }
    Ok(events)
}

fn done(reason: FinishReason) -> StreamEvent {
    StreamEvent::Done {
        finish_reason: reason,
    }
}

#[test]
fn text_usage_and_done() {
    let mut d = Decoder::new(None);
    let role = r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#;
    let events = run(
        &mut d,
        &[
            role.into(),
            text_chunk("Hel"),
            text_chunk("lo"),
            finish_chunk("stop"),
            usage_chunk(),
            "[DONE]".into(),
        ],
    )
    .unwrap();
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta { text: "Hel".into() },
            StreamEvent::TextDelta { text: "lo".into() },
            StreamEvent::Usage {
                usage: Usage {
                    input_tokens: 10,
                    output_tokens: 3,
                    cached_tokens: 4,
                    cache_write_tokens: 0,
                },
            },
            done(FinishReason::Stop),
        ]
    );
    assert!(d.is_done());
    assert_eq!(d.on_data("{not json").unwrap(), vec![]);
}

#[test]
fn parallel_tool_calls_are_assembled_per_index() {
    let mut d = Decoder::new(None);
    let frag = |index: usize, id: Option<&str>, name: Option<&str>, args: &str| {
        let mut function = serde_json::json!({"arguments": args});
        if let Some(name) = name {
            function["name"] = name.into();
        }
        let mut call =
            serde_json::json!({"index": index, "type": "function", "function": function});
        if let Some(id) = id {
            call["id"] = id.into();
        }
        serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [call]}}]}).to_string()
    };
    let events = run(
        &mut d,
        &[
            frag(0, Some("call_a"), Some("read_file"), ""),
            frag(1, Some("call_b"), Some("run_command"), "{\"cmd\":"),
            frag(0, None, None, "{\"path\""),
            frag(1, None, None, "\"ls\"}"),
            frag(0, None, None, ":\"a\"}"),
            finish_chunk("tool_calls"),
            "[DONE]".into(),
        ],
    )
    .unwrap();
    let complete: Vec<&ToolCall> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCall { call } => Some(call),
            _ => None,
        })
        .collect();
    assert_eq!(complete.len(), 2);
    assert_eq!(
        (complete[0].id.as_str(), complete[0].name.as_str()),
        ("call_a", "read_file")
    );
    assert_eq!(complete[0].arguments, "{\"path\":\"a\"}");
    assert_eq!(complete[1].arguments, "{\"cmd\":\"ls\"}");
    let deltas = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::ToolCallDelta { .. }))
        .count();
    assert_eq!(deltas, 5);
    assert_eq!(events.last(), Some(&done(FinishReason::ToolCalls)));
}

#[test]
fn fragments_without_index_follow_their_ids_and_arguments_may_be_objects() {
    let mut d = Decoder::new(None);
    let call = |id: &str, name: &str, args: serde_json::Value| {
        serde_json::json!({"choices": [{"delta": {"tool_calls": [
            {"id": id, "function": {"name": name, "arguments": args}}]}}]})
        .to_string()
    };
    let events = run(
        &mut d,
        &[
            call("x", "read_file", serde_json::json!({"path": "a"})),
            call("y", "read_file", serde_json::json!("{\"path\":\"b\"}")),
            finish_chunk("stop"),
            "[DONE]".into(),
        ],
    )
    .unwrap();
    let args: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            StreamEvent::ToolCall { call } => Some(format!("{}={}", call.id, call.arguments)),
            _ => None,
        })
        .collect();
    assert_eq!(args, ["x={\"path\":\"a\"}", "y={\"path\":\"b\"}"]);
    // "stop" with tool calls (Ollama) is reported as a tool-calls finish.
    assert_eq!(events.last(), Some(&done(FinishReason::ToolCalls)));
}

#[test]
fn invalid_tool_arguments_pass_through_and_missing_ids_are_generated() {
    let mut d = Decoder::new(None);
    let chunk = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":3,"function":{"name":"read_file","arguments":"{\"path\": "}}]},"finish_reason":"tool_calls"}]}"#;
    let events = run(&mut d, &[chunk.into(), "[DONE]".into()]).unwrap();
    let StreamEvent::ToolCall { call } = &events[1] else {
        panic!("{events:?}")
    };
    assert_eq!(call.id, "call_3");
    assert!(
        call.parsed_arguments()
            .unwrap_err()
            .contains("not valid JSON")
    );
}

#[test]
fn faults_are_named() {
    let protocol = |payloads: &[String]| match run(&mut Decoder::new(None), payloads) {
        Err(Fault::Protocol(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(protocol(&["{\"choices\": [".into()]).contains("not valid JSON"));
    assert!(protocol(&["[1, 2]".into()]).contains("not valid JSON"));
    assert!(protocol(&[text_chunk("hi"), "[DONE]".into()]).contains("without a finish reason"));
    assert!(protocol(&[finish_chunk("stop"), "[DONE]".into()]).contains("empty answer"));
    let nothing = protocol(&[r#"{"choices":[]}"#.into(), "[DONE]".into()]);
    assert!(nothing.contains("no choices"), "{nothing}");
    let nameless = r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#;
    assert!(protocol(&[nameless.into(), "[DONE]".into()]).contains("no name"));

    let mut d = Decoder::new(None);
    run(&mut d, &[text_chunk("partial")]).unwrap();
    let Fault::Protocol(m) = d.ended_early() else {
        panic!()
    };
    assert!(
        m.contains("stream cut before [DONE]") && m.contains("7 bytes"),
        "{m}"
    );
}

#[test]
fn empty_choices_are_skipped_when_something_else_came() {
    let mut d = Decoder::new(None);
    let filter = r#"{"choices":[],"prompt_filter_results":[]}"#;
    let events = run(
        &mut d,
        &[
            filter.into(),
            text_chunk("ok"),
            finish_chunk("stop"),
            usage_chunk(),
            "[DONE]".into(),
        ],
    )
    .unwrap();
    assert_eq!(events.len(), 3);
    // Usage alone is not an answer.
    let mut d = Decoder::new(None);
    let result = run(
        &mut d,
        &[usage_chunk(), finish_chunk("length"), "[DONE]".into()],
    );
    assert!(
        matches!(result, Err(Fault::Protocol(ref m)) if m.contains("empty answer") && m.contains("length")),
        "{result:?}"
    );
}

#[test]
fn errors_inside_the_stream_keep_their_code() {
    let mut d = Decoder::new(None);
    let e = d
        .on_data(r#"{"error":{"message":"Rate limit reached","code":429}}"#)
        .unwrap_err();
    assert_eq!(
        e,
        Fault::Api {
            status: Some(429),
            message: "error in the stream: Rate limit reached".into()
        }
    );
    let e = d
        .on_data(r#"{"error":{"message":"too long","code":"context_length_exceeded","type":"invalid_request_error"}}"#)
        .unwrap_err();
    assert_eq!(
        e,
        Fault::Api {
            status: None,
            message: "error in the stream: context_length_exceeded: too long".into()
        }
    );
    let e = d.on_data(r#"{"error":"model crashed"}"#).unwrap_err();
    assert!(
        matches!(e, Fault::Api { status: None, ref message } if message.ends_with("model crashed"))
    );
}

#[test]
fn calls_written_as_text_become_calls_only_when_enabled_and_declared() {
    let payloads = [
        text_chunk(
            "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\n</tool_call>",
        ),
        finish_chunk("stop"),
        "[DONE]".into(),
    ];
    let events = run(&mut Decoder::new(Some(vec!["read_file".into()])), &payloads).unwrap();
    assert!(matches!(&events[1], StreamEvent::ToolCall { call }
        if call.id == "text_call_0" && call.name == "read_file" && call.arguments == "{\"path\":\"a\"}"));
    assert_eq!(events.last(), Some(&done(FinishReason::ToolCalls)));

    let off = run(&mut Decoder::new(None), &payloads).unwrap();
    assert_eq!(off.len(), 2);
    let undeclared = run(&mut Decoder::new(Some(vec!["other".into()])), &payloads).unwrap();
    assert_eq!(undeclared.last(), Some(&done(FinishReason::Stop)));
}

#[test]
fn odd_but_valid_chunks_are_read() {
    let mut d = Decoder::new(None);
    let events = run(
        &mut d,
        &[
            r#"{"choices":null,"usage":null}"#.into(),
            r#"{"choices":[{"index":null,"delta":{"content":null,"tool_calls":null},"finish_reason":null}]}"#.into(),
            r#"{"choices":[{"index":1,"delta":{"content":"second choice, ignored"}}]}"#.into(),
            r#"{"choices":[{"index":0,"delta":{"refusal":"I can't"},"finish_reason":"content_filter"}]}"#.into(),
            " [DONE] ".into(),
        ],
    )
    .unwrap();
    assert_eq!(
        events,
        vec![
            StreamEvent::TextDelta {
                text: "I can't".into()
            },
            done(FinishReason::ContentFilter)
        ]
    );
}
