//! Unit tests of `text_tools`: every way small models write a call, and every way a text that
//! looks like one is not.

use super::*;

const TOOLS: &[&str] = &["read_file", "run_command"];

fn calls(text: &str) -> Vec<(String, serde_json::Value)> {
    tool_calls_in_text(text, TOOLS)
        .into_iter()
        .map(|c| {
            let args = c.parsed_arguments().unwrap();
            (c.name, args)
        })
        .collect()
}

fn one(name: &str, args: serde_json::Value) -> Vec<(String, serde_json::Value)> {
    vec![(name.to_string(), args)]
}

#[test]
fn a_json_fence_is_a_call() {
    let text = "I will read it.\n```json\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"src/main.rs\"}}\n```\n";
    assert_eq!(
        calls(text),
        one("read_file", serde_json::json!({"path": "src/main.rs"}))
    );
    let ids: Vec<String> = tool_calls_in_text(text, TOOLS)
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["text_call_0"]);
}

#[test]
fn tool_call_and_untagged_fences_and_one_line_fences_count() {
    let args = serde_json::json!({"path": "a"});
    for text in [
        "```tool_call\n{\"name\":\"read_file\",\"arguments\":{\"path\":\"a\"}}\n```",
        "```\n{\"name\":\"read_file\",\"arguments\":{\"path\":\"a\"}}\n```",
        "```JSON\n{\"name\":\"read_file\",\"arguments\":{\"path\":\"a\"}}\n```",
        "```{\"name\":\"read_file\",\"arguments\":{\"path\":\"a\"}}```",
        "```json {\"name\":\"read_file\",\"arguments\":{\"path\":\"a\"}}```",
        // An unclosed fence at the very end of the answer.
        "```json\n{\"name\":\"read_file\",\"arguments\":{\"path\":\"a\"}}",
    ] {
        assert_eq!(calls(text), one("read_file", args.clone()), "{text}");
    }
}

#[test]
fn qwen_tool_call_tags_count_also_unclosed_and_inside_a_fence() {
    let args = serde_json::json!({"path": "a"});
    for text in [
        "<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\n</tool_call>",
        "Sure.<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}",
        "<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\nthen I will look.",
        "```xml\n<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}</tool_call>\n```",
        "```\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\n</tool_call>\n```",
    ] {
        let got = calls(text);
        if text.starts_with("```xml") {
            // A fence of another language is not read at all.
            assert!(got.is_empty(), "{text}");
        } else {
            assert_eq!(got, one("read_file", args.clone()), "{text}");
        }
    }
}

#[test]
fn an_answer_that_is_only_a_call_counts_but_a_call_inside_prose_does_not() {
    assert_eq!(
        calls("  {\"name\": \"run_command\", \"arguments\": {\"cmd\": \"ls\"}}\n"),
        one("run_command", serde_json::json!({"cmd": "ls"}))
    );
    assert!(
        calls(
            "You could call {\"name\": \"run_command\", \"arguments\": {\"cmd\": \"ls\"}} yourself."
        )
        .is_empty()
    );
}

#[test]
fn nested_braces_and_braces_fences_and_tags_inside_strings() {
    let text = concat!(
        "```json\n",
        r#"{"name": "run_command", "arguments": {"cmd": "echo '}```</tool_call>{'", "env": {"A": {"B": [1, {"c": "}"}]}}}}"#,
        "\n```"
    );
    assert_eq!(
        calls(text),
        one(
            "run_command",
            serde_json::json!({"cmd": "echo '}```</tool_call>{'", "env": {"A": {"B": [1, {"c": "}"}]}}})
        )
    );
    let tagged =
        r#"<tool_call>{"name": "read_file", "arguments": {"path": "</tool_call>"}}</tool_call>"#;
    assert_eq!(
        calls(tagged),
        one("read_file", serde_json::json!({"path": "</tool_call>"}))
    );
}

#[test]
fn several_calls_in_order_across_blocks_arrays_and_lines() {
    let text = concat!(
        "First:\n<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}</tool_call>\n",
        "<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"b\"}}</tool_call>\n",
        "Then:\n```json\n[{\"name\": \"run_command\", \"arguments\": {\"cmd\": \"x\"}},",
        " {\"name\": \"read_file\", \"arguments\": {\"path\": \"c\"}}]\n```\n",
        "```json\n{\"name\": \"run_command\", \"arguments\": {\"cmd\": \"y\"}}\n",
        "{\"name\": \"run_command\", \"arguments\": {\"cmd\": \"z\"}}\n```",
    );
    let got = tool_calls_in_text(text, TOOLS);
    let summary: Vec<(String, String, String)> = got
        .iter()
        .map(|c| (c.id.clone(), c.name.clone(), c.arguments.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            ("text_call_0", "read_file", r#"{"path":"a"}"#),
            ("text_call_1", "read_file", r#"{"path":"b"}"#),
            ("text_call_2", "run_command", r#"{"cmd":"x"}"#),
            ("text_call_3", "read_file", r#"{"path":"c"}"#),
            ("text_call_4", "run_command", r#"{"cmd":"y"}"#),
            ("text_call_5", "run_command", r#"{"cmd":"z"}"#),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
}

#[test]
fn unknown_tools_are_left_as_text_and_known_ones_beside_them_still_count() {
    assert!(calls("```json\n{\"name\": \"delete_repo\", \"arguments\": {}}\n```").is_empty());
    let text = "<tool_call>{\"name\": \"delete_repo\", \"arguments\": {}}</tool_call>\n<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}</tool_call>";
    let got = tool_calls_in_text(text, TOOLS);
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].id.as_str(), got[0].name.as_str()),
        ("text_call_0", "read_file")
    );
    assert!(tool_calls_in_text(text, &[]).is_empty());
}

#[test]
fn invalid_json_and_wrong_shapes_are_not_calls() {
    for text in [
        "```json\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}\n```",
        "```json\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\",}}\n```",
        "<tool_call>{name: read_file}</tool_call>",
        "<tool_call></tool_call>",
        "```json\n{\"name\": \"read_file\", \"arguments\": [\"a\"]}\n```",
        "```json\n{\"name\": \"read_file\", \"arguments\": 3}\n```",
        "```json\n{\"name\": \"read_file\"}\n```",
        "```json\n{\"name\": 7, \"arguments\": {}}\n```",
        "```json\n{\"name\": \"read_file\", \"arguments\": \"not json\"}\n```",
        "```json\n{\"name\": \"read_file\", \"arguments\": \"[1]\"}\n```",
        "```json\n{\"path\": \"a\"}\n```",
        "```json\n[1, 2]\n```",
        "```json\n{\"name\": \"read_file\", \"arguments\": {}} and then prose inside\n```",
        "```python\n{\"name\": \"read_file\", \"arguments\": {}}\n```",
        "",
        "```",
        "<tool_call>",
        "just text with a { brace",
    ] {
        assert!(calls(text).is_empty(), "{text:?}");
    }
}

#[test]
fn arguments_given_as_a_json_string_or_as_parameters_or_wrapped_in_function() {
    let args = serde_json::json!({"path": "a"});
    for text in [
        r#"<tool_call>{"name": "read_file", "arguments": "{\"path\": \"a\"}"}</tool_call>"#,
        r#"<tool_call>{"name": "read_file", "parameters": {"path": "a"}}</tool_call>"#,
        r#"<tool_call>{"type": "function", "function": {"name": "read_file", "arguments": {"path": "a"}}}</tool_call>"#,
    ] {
        assert_eq!(calls(text), one("read_file", args.clone()), "{text}");
    }
}

#[test]
fn a_fence_of_another_language_does_not_swallow_the_next_block() {
    let text = "```python\nprint('{')\n```\nand\n```json\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a\"}}\n```";
    assert_eq!(
        calls(text),
        one("read_file", serde_json::json!({"path": "a"}))
    );
}

#[test]
fn odd_text_never_panics() {
    for text in [
        "```\u{e9}\u{1f600}\n{",
        "<tool_call>\u{1f600}",
        "``",
        "````json\n{}````",
        "```json\n{\"name\":\"read_file\",\"arguments\":{\"p\":\"\u{1f600}\"}}```\u{e9}",
        "<tool_call><tool_call>{\"name\":\"read_file\",\"arguments\":{}}",
    ] {
        let _ = tool_calls_in_text(text, TOOLS);
    }
}
