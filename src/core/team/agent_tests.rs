use super::*;

fn call(id: &str, name: &str, args: &str) -> ToolCall {
    ToolCall {
        id: id.into(),
        name: name.into(),
        arguments: args.into(),
    }
}

fn agent(max_steps: u32) -> Agent {
    Agent::new("system", Vec::new(), max_steps)
}

#[test]
fn a_brief_asks_the_model_with_system_prompt_first() {
    let mut a = agent(4);
    let effects = a.handle(Input::Start {
        brief: "fix it".into(),
    });
    let [Effect::CallModel { messages, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].role, Role::System);
    assert_eq!(messages[1].content, "fix it");
}

#[test]
fn tool_calls_run_one_by_one_then_the_model_is_asked_again() {
    let mut a = agent(4);
    a.handle(Input::Start { brief: "b".into() });
    let effects = a.handle(Input::Answer {
        text: String::new(),
        tool_calls: vec![call("1", "read_file", "{}"), call("2", "search", "{}")],
    });
    assert!(matches!(&effects[..], [Effect::RunTool { call }] if call.id == "1"));
    // An answer for a call that is not awaited is ignored.
    assert!(
        a.handle(Input::ToolDone {
            call_id: "2".into(),
            content: "x".into()
        })
        .is_empty()
    );
    let effects = a.handle(Input::ToolDone {
        call_id: "1".into(),
        content: "one".into(),
    });
    assert!(matches!(&effects[..], [Effect::RunTool { call }] if call.id == "2"));
    let effects = a.handle(Input::ToolDone {
        call_id: "2".into(),
        content: "two".into(),
    });
    let [Effect::CallModel { messages, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(messages.last().map(|m| m.content.as_str()), Some("two"));
    assert_eq!(a.steps(), 2);
}

#[test]
fn a_plain_answer_finishes_and_feedback_starts_a_new_turn() {
    let mut a = agent(4);
    a.handle(Input::Start { brief: "b".into() });
    let effects = a.handle(Input::Answer {
        text: " changed x ".into(),
        tool_calls: Vec::new(),
    });
    assert_eq!(
        effects,
        vec![Effect::Finished {
            summary: "changed x".into()
        }]
    );
    let effects = a.handle(Input::Feedback {
        text: "test_a still fails".into(),
    });
    assert!(matches!(&effects[..], [Effect::CallModel { .. }]));
    assert_eq!(a.steps(), 1);
}

#[test]
fn turns_are_bounded() {
    let mut a = agent(2);
    a.handle(Input::Start { brief: "b".into() });
    a.handle(Input::Answer {
        text: String::new(),
        tool_calls: vec![call("1", "list_files", "{}")],
    });
    let effects = a.handle(Input::ToolDone {
        call_id: "1".into(),
        content: "x".into(),
    });
    assert!(matches!(&effects[..], [Effect::CallModel { .. }]));
    a.handle(Input::Answer {
        text: String::new(),
        tool_calls: vec![call("2", "read_file", r#"{"path":"a"}"#)],
    });
    let effects = a.handle(Input::ToolDone {
        call_id: "2".into(),
        content: "x".into(),
    });
    assert!(
        matches!(&effects[..], [Effect::Stuck { why }] if why.contains("2 model turns")),
        "{effects:?}"
    );
}

#[test]
fn the_same_call_repeated_is_nudged_once_then_stops_the_agent() {
    let mut a = agent(50);
    a.handle(Input::Start { brief: "b".into() });
    let mut nudged = false;
    for i in 0..10 {
        let id = i.to_string();
        let args = if i % 2 == 0 {
            r#"{"path":"a.py"}"#
        } else {
            r#"{ "path": "a.py" }"#
        };
        let effects = a.handle(Input::Answer {
            text: String::new(),
            tool_calls: vec![call(&id, "read_file", args)],
        });
        match effects.as_slice() {
            [Effect::RunTool { .. }] => {
                a.handle(Input::ToolDone {
                    call_id: id,
                    content: "same".into(),
                });
            }
            [Effect::CallModel { messages, .. }] => {
                nudged = true;
                assert!(
                    messages
                        .last()
                        .is_some_and(|m| m.content.contains("3 times"))
                );
            }
            [Effect::Stuck { why }] => {
                assert!(nudged, "stopped before a nudge");
                assert!(why.contains("read_file"));
                return;
            }
            other => panic!("{other:?}"),
        }
    }
    panic!("a looping model was never stopped");
}

#[test]
fn a_failed_model_call_stops_the_agent_and_late_inputs_are_ignored() {
    let mut a = agent(4);
    a.handle(Input::Start { brief: "b".into() });
    let effects = a.handle(Input::ModelFailed {
        error: "budget spent".into(),
    });
    assert!(matches!(&effects[..], [Effect::Stuck { why }] if why.contains("budget spent")));
    assert!(
        a.handle(Input::Answer {
            text: "late".into(),
            tool_calls: Vec::new()
        })
        .is_empty()
    );
}

#[test]
fn a_call_to_an_unknown_tool_written_as_text_is_answered_with_the_real_tools() {
    let spec = ToolSpec {
        name: "read_file".into(),
        description: String::new(),
        parameters: serde_json::json!({}),
    };
    let mut a = Agent::new("system", vec![spec], 4);
    a.handle(Input::Start { brief: "b".into() });
    let effects = a.handle(Input::Answer {
        text: r#"{"name": "test_one_night", "arguments": {"path": "t.py"}}"#.into(),
        tool_calls: Vec::new(),
    });
    let [Effect::CallModel { messages, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let last = &messages.last().unwrap().content;
    assert!(
        last.contains("test_one_night") && last.contains("read_file"),
        "{last}"
    );
}

#[test]
fn old_tool_output_is_dropped_when_the_conversation_grows_too_long() {
    let mut a = agent(50);
    a.handle(Input::Start { brief: "b".into() });
    let big = "x".repeat(10_000);
    for i in 0..6 {
        let id = i.to_string();
        a.handle(Input::Answer {
            text: String::new(),
            tool_calls: vec![call(&id, "read_file", &format!("{{\"n\":{i}}}"))],
        });
        a.handle(Input::ToolDone {
            call_id: id,
            content: big.clone(),
        });
    }
    let total: usize = a.messages().iter().map(|m| m.content.len()).sum();
    assert!(total <= 16_000 + 10_000, "{total}");
    // The newest output is kept whole; the oldest is dropped; every call keeps its answer.
    let tools: Vec<&Message> = a
        .messages()
        .iter()
        .filter(|m| m.role == Role::Tool)
        .collect();
    assert_eq!(tools.len(), 6);
    assert!(tools[0].content.contains("dropped"));
    assert_eq!(tools[5].content.len(), 10_000);
}
