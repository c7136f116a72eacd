//! Performing one agent's effects: asking its model, running its tools, feeding the results
//! back. Every input the agent is fed is recorded (`AgentInput`), so a resumed run rebuilds the
//! agent by feeding it the same inputs: while the log has them, no model is asked and no tool
//! runs. Before each model call the context view (`ContextUpdated`) says what the agent's
//! context window holds, part by part, with token counts.

use std::sync::Arc;

use super::agent::{Agent, Effect, Input};
use super::resume;
use super::roles::Job;
use super::shared::Shared;
use super::toolbox;
use crate::core::llm::{Message, Role, ToolCall};
use crate::protocol::{AgentInputRecord, AgentStatus, ContextPart, Event, RecordedToolCall};

/// What the agent is told about a tool call the stop cut off.
pub const INTERRUPTED: &str = "interrupted: warroom stopped while this tool was running, so it \
     may or may not have taken effect. Look at the files it touches before doing it again.";

/// What the agent is told about a tool call that finished as warroom stopped, before its
/// result was recorded.
pub const LOST: &str = "this tool finished just as warroom stopped, and its full result was \
     lost. Look at the files it touches before doing it again.";

/// Performs an agent's effects until it finishes (its summary) or is stuck (why).
pub async fn drive(
    shared: &Arc<Shared>,
    job: &Job,
    agent: &mut Agent,
    allowed: &[String],
    input: Input,
) -> Result<String, String> {
    // A task catching up starts (or goes on) exactly as it did before the stop.
    let input = match recorded(shared, job) {
        Some(r @ (AgentInputRecord::Start { .. } | AgentInputRecord::Feedback { .. })) => {
            from_record(r)
        }
        Some(_) => {
            diverged(shared, job);
            record(shared, job, &input).await;
            input
        }
        None => {
            resume::go_live();
            record(shared, job, &input).await;
            input
        }
    };
    let mut effects = agent.handle(input);
    loop {
        let Some(effect) = effects.pop() else {
            return Err("the agent stopped without an answer".into());
        };
        let next = match effect {
            Effect::CallModel { messages, tools } => match recorded(shared, job) {
                Some(
                    r @ (AgentInputRecord::Answer { .. } | AgentInputRecord::ModelFailed { .. }),
                ) => from_record(r),
                other => {
                    if other.is_some() {
                        diverged(shared, job);
                    }
                    let next = ask(shared, job, messages, tools).await;
                    record(shared, job, &next).await;
                    next
                }
            },
            Effect::RunTool { call } => match recorded(shared, job) {
                Some(AgentInputRecord::ToolDone { call_id, content }) if call_id == call.id => {
                    Input::ToolDone { call_id, content }
                }
                other => {
                    if other.is_some() {
                        diverged(shared, job);
                    }
                    let content = run_tool(shared, job, allowed, &call).await;
                    let next = Input::ToolDone {
                        call_id: call.id,
                        content,
                    };
                    record(shared, job, &next).await;
                    next
                }
            },
            Effect::Finished { summary } => return Ok(summary),
            Effect::Stuck { why } => return Err(why),
        };
        effects = agent.handle(next);
    }
}

/// Asks the model (live), after telling what the context holds.
async fn ask(
    shared: &Arc<Shared>,
    job: &Job,
    messages: Vec<Message>,
    tools: Vec<crate::core::llm::ToolSpec>,
) -> Input {
    resume::go_live();
    shared
        .emit(Event::ContextUpdated {
            agent: job.agent,
            parts: context_parts(&messages, &tools),
            window: 0,
        })
        .await;
    shared
        .status(job.agent, AgentStatus::Thinking, Some(job.task))
        .await;
    match shared
        .ask_model(job.agent, &job.role, messages, tools, None)
        .await
    {
        Ok(answer) => Input::Answer {
            text: answer.text,
            tool_calls: answer.tool_calls,
        },
        Err(e) => Input::ModelFailed {
            error: e.to_string(),
        },
    }
}

/// Runs a tool call (live). One the stop cut off runs again only if it just reads (or still
/// waited for an approval); otherwise the agent hears it was interrupted.
async fn run_tool(shared: &Arc<Shared>, job: &Job, allowed: &[String], call: &ToolCall) -> String {
    resume::go_live();
    let open = shared
        .replay
        .as_ref()
        .and_then(|r| r.open_tool(job.agent, &call.name, &call.arguments));
    if let Some(open) = open {
        if !open.read_only() && !open.awaiting_approval {
            if let Some(replay) = &shared.replay {
                replay.note_interrupted(open.describe());
            }
            return match open.ended {
                Some(summary) => format!("{LOST} It said: {summary}"),
                None => INTERRUPTED.to_string(),
            };
        }
    }
    toolbox::dispatch(shared, job.agent, Some(job.task), allowed, call).await
}

/// The next recorded input of the job's agent, while its task catches up.
fn recorded(shared: &Shared, job: &Job) -> Option<AgentInputRecord> {
    shared.replay.as_ref()?.next_input(job.agent)
}

/// The log and the agent went different ways: the rest of its record is dropped and it
/// goes on live.
fn diverged(shared: &Shared, job: &Job) {
    if let Some(replay) = &shared.replay {
        replay.forget_inputs(job.agent);
    }
    tracing::warn!(run = %shared.run, agent = %job.agent, "resume: the agent's record and its replay differ; it goes on live");
    resume::go_live();
}

/// Records an input the agent is about to be fed.
async fn record(shared: &Shared, job: &Job, input: &Input) {
    shared
        .emit(Event::AgentInput {
            agent: job.agent,
            task: Some(job.task),
            input: to_record(input),
        })
        .await;
}

/// An input as the log keeps it.
pub fn to_record(input: &Input) -> AgentInputRecord {
    match input {
        Input::Start { brief } => AgentInputRecord::Start {
            brief: brief.clone(),
        },
        Input::Answer { text, tool_calls } => AgentInputRecord::Answer {
            text: text.clone(),
            tool_calls: tool_calls
                .iter()
                .map(|c| RecordedToolCall {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    arguments: c.arguments.clone(),
                })
                .collect(),
        },
        Input::ModelFailed { error } => AgentInputRecord::ModelFailed {
            error: error.clone(),
        },
        Input::ToolDone { call_id, content } => AgentInputRecord::ToolDone {
            call_id: call_id.clone(),
            content: content.clone(),
        },
        Input::Feedback { text } => AgentInputRecord::Feedback { text: text.clone() },
    }
}

/// A recorded input as the agent takes it.
pub fn from_record(record: AgentInputRecord) -> Input {
    match record {
        AgentInputRecord::Start { brief } => Input::Start { brief },
        AgentInputRecord::Answer { text, tool_calls } => Input::Answer {
            text,
            tool_calls: tool_calls
                .into_iter()
                .map(|c| ToolCall {
                    id: c.id,
                    name: c.name,
                    arguments: c.arguments,
                })
                .collect(),
        },
        AgentInputRecord::ModelFailed { error } => Input::ModelFailed { error },
        AgentInputRecord::ToolDone { call_id, content } => Input::ToolDone { call_id, content },
        AgentInputRecord::Feedback { text } => Input::Feedback { text },
    }
}

/// Roughly four characters a token: close enough to show what fills a context window.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// The context view of a conversation: one part per message (tool results labelled with the
/// call they answer) and one for the tool schemas.
pub fn context_parts(
    messages: &[Message],
    tools: &[crate::core::llm::ToolSpec],
) -> Vec<ContextPart> {
    let mut names = std::collections::HashMap::new();
    let mut parts = Vec::with_capacity(messages.len() + 1);
    for (i, m) in messages.iter().enumerate() {
        for call in &m.tool_calls {
            names.insert(call.id.clone(), call.name.clone());
        }
        let calls: u64 = m
            .tool_calls
            .iter()
            .map(|c| estimate_tokens(&c.arguments) + estimate_tokens(&c.name))
            .sum();
        let (kind, label) = match m.role {
            Role::System => ("system", "system prompt".to_string()),
            Role::User if i == 1 => ("brief", "the task's brief".to_string()),
            Role::User => ("user", "feedback".to_string()),
            Role::Assistant if m.tool_calls.is_empty() => ("assistant", "answer".to_string()),
            Role::Assistant => (
                "assistant",
                format!(
                    "calls {}",
                    m.tool_calls
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            Role::Tool => (
                "tool",
                m.tool_call_id
                    .as_ref()
                    .and_then(|id| names.get(id))
                    .map_or_else(|| "tool result".to_string(), |n| format!("{n} result")),
            ),
        };
        parts.push(ContextPart {
            kind: kind.to_string(),
            label,
            tokens: estimate_tokens(&m.content) + calls,
        });
    }
    if !tools.is_empty() {
        let schema: u64 = tools
            .iter()
            .map(|t| estimate_tokens(&t.parameters.to_string()) + estimate_tokens(&t.description))
            .sum();
        parts.push(ContextPart {
            kind: "tools".to_string(),
            label: format!("{} tool schemas", tools.len()),
            tokens: schema,
        });
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::llm::ToolSpec;

    #[test]
    fn every_input_survives_the_round_trip_through_the_log() {
        let inputs = vec![
            Input::Start {
                brief: "fix it".into(),
            },
            Input::Answer {
                text: "looking".into(),
                tool_calls: vec![ToolCall {
                    id: "c1".into(),
                    name: "read_file".into(),
                    arguments: r#"{"path":"a.py"}"#.into(),
                }],
            },
            Input::ToolDone {
                call_id: "c1".into(),
                content: "print(1)".into(),
            },
            Input::ModelFailed {
                error: "timeout".into(),
            },
            Input::Feedback {
                text: "still failing".into(),
            },
        ];
        for input in inputs {
            let json = serde_json::to_string(&to_record(&input)).unwrap();
            let back: AgentInputRecord = serde_json::from_str(&json).unwrap();
            assert_eq!(from_record(back), input);
        }
    }

    #[test]
    fn the_context_view_labels_each_part_and_counts_its_tokens() {
        let call = ToolCall {
            id: "c1".into(),
            name: "read_file".into(),
            arguments: r#"{"path":"booking.py"}"#.into(),
        };
        let messages = vec![
            Message::text(Role::System, "You are the analyst."),
            Message::text(Role::User, "x".repeat(400)),
            Message {
                role: Role::Assistant,
                content: String::new(),
                tool_calls: vec![call],
                tool_call_id: None,
            },
            Message::tool_result("c1", "y".repeat(80)),
            Message::text(Role::User, "the tests still fail"),
        ];
        let tools = vec![ToolSpec {
            name: "read_file".into(),
            description: "Reads a file.".into(),
            parameters: serde_json::json!({"type": "object"}),
        }];
        let parts = context_parts(&messages, &tools);
        let labels: Vec<(&str, &str)> = parts
            .iter()
            .map(|p| (p.kind.as_str(), p.label.as_str()))
            .collect();
        assert_eq!(
            labels,
            vec![
                ("system", "system prompt"),
                ("brief", "the task's brief"),
                ("assistant", "calls read_file"),
                ("tool", "read_file result"),
                ("user", "feedback"),
                ("tools", "1 tool schemas"),
            ]
        );
        assert_eq!(parts[1].tokens, 100);
        assert_eq!(parts[3].tokens, 20);
        assert!(parts[2].tokens > 0, "a call's arguments take room too");
    }
}
