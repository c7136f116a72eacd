//! Pure tests of the request bodies `request.rs` builds. The HTTP exchange is tested against a
//! real server in `tests/llm_anthropic.rs`.

use serde_json::{Value, json};

use super::request::{JsonAnswer, build};
use crate::core::llm::{ChatRequest, Message, Params, ResponseFormat, Role, ToolCall, ToolSpec};

fn request(messages: Vec<Message>) -> ChatRequest {
    ChatRequest {
        model: "claude-test".into(),
        messages,
        tools: Vec::new(),
        params: Params::default(),
    }
}

fn call(id: &str, name: &str, arguments: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: arguments.into(),
    }
}

fn assistant_calling(calls: Vec<ToolCall>) -> Message {
    Message {
        tool_calls: calls,
        ..Message::text(Role::Assistant, "")
    }
}

fn body(request: &ChatRequest) -> Value {
    build(request, 4096, false).unwrap().body
}

#[test]
fn system_messages_become_the_top_level_system_prompt() {
    let mut req = request(vec![
        Message::text(Role::System, "You are terse."),
        Message::text(Role::User, "hi"),
        Message::text(Role::System, "Answer in French."),
    ]);
    req.params = Params {
        temperature: Some(0.5),
        max_tokens: None,
        stop: vec!["END".into()],
        response_format: None,
    };
    let b = body(&req);
    assert_eq!(b["system"], "You are terse.\n\nAnswer in French.");
    assert_eq!(
        b["messages"],
        json!([{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
    );
    assert_eq!(b["model"], "claude-test");
    assert_eq!(
        b["max_tokens"], 4096,
        "the default fills the mandatory max_tokens"
    );
    assert_eq!(b["temperature"], 0.5);
    assert_eq!(b["stop_sequences"], json!(["END"]));
    assert_eq!(b["stream"], true);
    assert!(b.get("tools").is_none() && b.get("tool_choice").is_none());

    req.params.max_tokens = Some(12);
    req.messages.retain(|m| m.role != Role::System);
    let b = body(&req);
    assert_eq!(b["max_tokens"], 12);
    assert!(b.get("system").is_none(), "no system prompt, no field");
}

#[test]
fn consecutive_messages_of_one_role_are_merged_and_tool_results_are_user_blocks() {
    let req = request(vec![
        Message::text(Role::User, "first"),
        Message::text(Role::User, "second"),
        Message {
            tool_calls: vec![
                call("toolu_1", "read_file", r#"{"path":"a.rs"}"#),
                call("toolu_2", "list", ""),
            ],
            ..Message::text(Role::Assistant, "Let me look.")
        },
        Message::tool_result("toolu_1", "fn main() {}"),
        Message::text(Role::User, "and hurry"),
        Message::tool_result("toolu_2", "a.rs"),
        Message::text(Role::Assistant, ""),
        Message::text(Role::Assistant, "Done."),
    ]);
    let b = body(&req);
    assert_eq!(
        b["messages"],
        json!([
            {"role": "user", "content": [
                {"type": "text", "text": "first"},
                {"type": "text", "text": "second"}]},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Let me look."},
                {"type": "tool_use", "id": "toolu_1", "name": "read_file", "input": {"path": "a.rs"}},
                {"type": "tool_use", "id": "toolu_2", "name": "list", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "fn main() {}"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "a.rs"},
                {"type": "text", "text": "and hurry"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
        ])
    );
}

#[test]
fn a_past_tool_call_with_broken_arguments_is_sent_as_an_object_that_keeps_them() {
    let req = request(vec![
        Message::text(Role::User, "go"),
        assistant_calling(vec![call("toolu_1", "read_file", r#"{"path": "#)]),
        Message::tool_result("toolu_1", "error: the arguments are not valid JSON"),
    ]);
    let b = body(&req);
    assert_eq!(
        b["messages"][1]["content"][0]["input"],
        json!({"_unparsed_arguments": r#"{"path": "#})
    );
}

#[test]
fn a_tool_result_without_a_call_id_is_refused_before_sending() {
    let mut result = Message::tool_result("x", "ok");
    result.tool_call_id = None;
    let err = build(
        &request(vec![Message::text(Role::User, "go"), result]),
        4096,
        false,
    )
    .unwrap_err();
    assert!(
        err.contains("message 2") && err.contains("tool_call_id"),
        "{err}"
    );
}

#[test]
fn tools_are_sent_with_their_input_schema() {
    let mut req = request(vec![Message::text(Role::User, "go")]);
    let schema = json!({"type": "object", "properties": {"path": {"type": "string"}}});
    req.tools = vec![ToolSpec {
        name: "read_file".into(),
        description: "Reads a file.".into(),
        parameters: schema.clone(),
    }];
    let b = body(&req);
    assert_eq!(
        b["tools"],
        json!([{"name": "read_file", "description": "Reads a file.", "input_schema": schema}])
    );
    assert!(b.get("tool_choice").is_none());
}

#[test]
fn a_json_schema_is_asked_for_by_a_forced_tool() {
    let schema = json!({"type": "object", "properties": {"verdict": {"type": "string"}},
        "required": ["verdict"]});
    let mut req = request(vec![Message::text(Role::User, "judge")]);
    req.params.response_format = Some(ResponseFormat::JsonSchema {
        name: "verdict".into(),
        schema: schema.clone(),
    });
    let wire = build(&req, 4096, false).unwrap();
    assert_eq!(
        wire.json_answer,
        Some(JsonAnswer {
            tool: "verdict".into(),
            wrapped: false
        })
    );
    assert_eq!(
        wire.body["tool_choice"],
        json!({"type": "tool", "name": "verdict"})
    );
    assert_eq!(wire.body["tools"][0]["name"], "verdict");
    assert_eq!(wire.body["tools"][0]["input_schema"], schema);
    assert!(wire.body.get("response_format").is_none());

    // A schema that is not an object's is wrapped; an odd name is made valid and kept apart
    // from the request's own tools.
    req.params.response_format = Some(ResponseFormat::JsonSchema {
        name: "a list".into(),
        schema: json!({"type": "array", "items": {"type": "string"}}),
    });
    req.tools = vec![ToolSpec {
        name: "a_list".into(),
        description: "taken".into(),
        parameters: json!({"type": "object"}),
    }];
    let wire = build(&req, 4096, false).unwrap();
    assert_eq!(
        wire.json_answer,
        Some(JsonAnswer {
            tool: "a_list_answer1".into(),
            wrapped: true
        })
    );
    assert_eq!(wire.body["tools"][1]["name"], "a_list_answer1");
    assert_eq!(
        wire.body["tools"][1]["input_schema"],
        json!({"type": "object", "properties": {"value": {"type": "array", "items": {"type": "string"}}},
            "required": ["value"]})
    );
    assert_eq!(wire.body["tool_choice"]["name"], "a_list_answer1");
}

#[test]
fn prompt_caching_marks_the_system_prompt_and_the_last_block() {
    let req = request(vec![
        Message::text(Role::System, "rules"),
        Message::text(Role::User, "one"),
        Message::text(Role::Assistant, "two"),
        Message::text(Role::User, "three"),
    ]);
    let b = build(&req, 4096, true).unwrap().body;
    let ephemeral = json!({"type": "ephemeral"});
    assert_eq!(
        b["system"],
        json!([{"type": "text", "text": "rules", "cache_control": ephemeral}])
    );
    assert_eq!(b["messages"][2]["content"][0]["cache_control"], ephemeral);
    assert!(
        b["messages"][0]["content"][0]
            .get("cache_control")
            .is_none()
    );
}
