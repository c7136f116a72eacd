//! One agent's conversation as a pure state machine: the tool loop. It is given a brief, asks
//! the model, runs the tools the model calls one by one, feeds their results back, and ends when
//! the model answers in words. It guards against the ways a model goes wrong: turns are
//! bounded, a call repeated with the same arguments is answered with a nudge and then stops the
//! agent, and a malformed call is answered as an error the model can correct. No IO: the driver
//! (`run.rs`) performs the [`Effect`]s and feeds back [`Input`]s.

use std::collections::VecDeque;

use crate::core::llm::{Message, Role, ToolCall, ToolSpec};

/// How many times in a row the same call (name and arguments) is tolerated.
const REPEAT_LIMIT: usize = 3;
/// Characters of conversation sent to a model before old tool output is dropped (about 5,000
/// tokens of code: small local models have 8k-token windows, and a long fix loop outgrows
/// them; the tool schemas and the answer need the rest).
const HISTORY_CHARS: usize = 16_000;
/// The newest messages that are never shortened.
const KEEP_RECENT: usize = 4;
/// What replaces dropped tool output.
const DROPPED: &str = "(older tool output dropped to keep the conversation short)";

/// What the driver tells the agent.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Begin work on this brief.
    Start {
        /// The task, in words, with what the agent needs to know.
        brief: String,
    },
    /// The model answered.
    Answer {
        /// Its text.
        text: String,
        /// The tools it called.
        tool_calls: Vec<ToolCall>,
    },
    /// The model could not be reached or refused (after the router's retries and fallbacks).
    ModelFailed {
        /// Why, in words.
        error: String,
    },
    /// A tool finished; `content` is what the model sees (a result or an error).
    ToolDone {
        /// The call's id.
        call_id: String,
        /// The result.
        content: String,
    },
    /// More work after a finished turn: the verifier's findings, the person's words.
    Feedback {
        /// What to act on.
        text: String,
    },
}

/// What the agent asks the driver to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Ask the model.
    CallModel {
        /// The whole conversation, system prompt first.
        messages: Vec<Message>,
        /// The tools it may call.
        tools: Vec<ToolSpec>,
    },
    /// Run one tool call and answer with [`Input::ToolDone`].
    RunTool {
        /// The call.
        call: ToolCall,
    },
    /// The agent is done with this turn; `summary` is its final answer.
    Finished {
        /// The answer.
        summary: String,
    },
    /// The agent cannot go on (turns spent, a loop, the model unreachable).
    Stuck {
        /// Why, in words for the person.
        why: String,
    },
}

/// The state of one agent's tool loop.
#[derive(Debug, Clone)]
pub struct Agent {
    messages: Vec<Message>,
    tools: Vec<ToolSpec>,
    max_steps: u32,
    steps: u32,
    queue: VecDeque<ToolCall>,
    waiting: Option<String>,
    recent: VecDeque<(String, String)>,
    nudged: bool,
    done: bool,
    tools_run: u32,
}

impl Agent {
    /// An agent with this system prompt and these tools, taking at most `max_steps` model
    /// turns per brief or feedback.
    pub fn new(system: &str, tools: Vec<ToolSpec>, max_steps: u32) -> Agent {
        Agent {
            messages: vec![Message::text(Role::System, system)],
            tools,
            max_steps: max_steps.max(1),
            steps: 0,
            queue: VecDeque::new(),
            waiting: None,
            recent: VecDeque::new(),
            nudged: false,
            done: false,
            tools_run: 0,
        }
    }

    /// Tool calls run so far (answered ones; nudged repeats not counted).
    pub fn tools_run(&self) -> u32 {
        self.tools_run
    }

    /// The conversation so far.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Model turns taken since the last brief or feedback.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Advances the loop by one input.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        match input {
            Input::Start { brief } | Input::Feedback { text: brief } => {
                self.steps = 0;
                self.done = false;
                self.nudged = false;
                self.queue.clear();
                self.waiting = None;
                self.messages.push(Message::text(Role::User, brief));
                self.ask()
            }
            Input::Answer { .. } | Input::ModelFailed { .. } | Input::ToolDone { .. }
                if self.done =>
            {
                Vec::new()
            }
            Input::Answer { text, tool_calls } => self.on_answer(text, tool_calls),
            Input::ModelFailed { error } => self.stuck(format!("the model failed: {error}")),
            Input::ToolDone { call_id, content } => {
                if self.waiting.as_deref() != Some(call_id.as_str()) {
                    return Vec::new();
                }
                self.waiting = None;
                self.messages.push(Message::tool_result(call_id, content));
                self.next_tool()
            }
        }
    }

    fn on_answer(&mut self, text: String, tool_calls: Vec<ToolCall>) -> Vec<Effect> {
        let mut message = Message::text(Role::Assistant, text.clone());
        message.tool_calls = tool_calls.clone();
        self.messages.push(message);
        if tool_calls.is_empty() {
            if let Some(name) = written_call(&text) {
                // A small model wrote a call to a tool that does not exist as text: tell it,
                // instead of taking the JSON as its final answer.
                let names: Vec<&str> = self.tools.iter().map(|t| t.name.as_str()).collect();
                self.messages.push(Message::text(
                    Role::User,
                    format!(
                        "error: there is no tool named {name:?}. Your tools are: {}. Call one of \
                         them, or answer in plain words when you are done.",
                        names.join(", ")
                    ),
                ));
                return self.ask();
            }
            self.done = true;
            let summary = if text.trim().is_empty() {
                "(no answer)".to_string()
            } else {
                text.trim().to_string()
            };
            return vec![Effect::Finished { summary }];
        }
        self.queue.extend(tool_calls);
        self.next_tool()
    }

    /// Runs the next queued call, answers a repeated one with a nudge, or asks the model.
    fn next_tool(&mut self) -> Vec<Effect> {
        while let Some(call) = self.queue.pop_front() {
            let key = (call.name.clone(), normalize(&call.arguments));
            let repeats = self.recent.iter().filter(|k| **k == key).count();
            self.recent.push_back(key);
            while self.recent.len() > REPEAT_LIMIT {
                self.recent.pop_front();
            }
            if repeats + 1 >= REPEAT_LIMIT {
                if self.nudged {
                    return self.stuck(format!(
                        "the model keeps calling {} with the same arguments",
                        call.name
                    ));
                }
                self.nudged = true;
                self.recent.clear();
                self.messages.push(Message::tool_result(
                    call.id.clone(),
                    format!(
                        "error: you called {} with these same arguments {REPEAT_LIMIT} times; the \
                         answer will not change. Try something else, or answer in words if you \
                         are done.",
                        call.name
                    ),
                ));
                continue;
            }
            self.waiting = Some(call.id.clone());
            self.tools_run += 1;
            return vec![Effect::RunTool { call }];
        }
        self.ask()
    }

    fn ask(&mut self) -> Vec<Effect> {
        if self.steps >= self.max_steps {
            return self.stuck(format!(
                "used all {} model turns without finishing",
                self.max_steps
            ));
        }
        self.steps += 1;
        self.shorten();
        vec![Effect::CallModel {
            messages: self.messages.clone(),
            tools: self.tools.clone(),
        }]
    }

    /// Drops the oldest tool outputs (keeping the call/answer pairing) while the conversation
    /// is longer than [`HISTORY_CHARS`].
    fn shorten(&mut self) {
        let total = |m: &[Message]| m.iter().map(|m| m.content.len()).sum::<usize>();
        let protected = self.messages.len().saturating_sub(KEEP_RECENT);
        let mut index = 0;
        while total(&self.messages) > HISTORY_CHARS && index < protected {
            if let Some(message) = self.messages.get_mut(index) {
                if message.role == Role::Tool && message.content != DROPPED {
                    message.content = DROPPED.to_string();
                }
            }
            index += 1;
        }
    }

    fn stuck(&mut self, why: String) -> Vec<Effect> {
        self.done = true;
        self.queue.clear();
        self.waiting = None;
        vec![Effect::Stuck { why }]
    }
}

/// The name of a tool call written as JSON text (`{"name": ..., "arguments": ...}`), if the
/// whole answer is one.
fn written_call(text: &str) -> Option<String> {
    let body = text
        .trim()
        .trim_start_matches("```json")
        .trim_start_matches("```");
    let body = body.trim_end_matches("```").trim();
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let object = value.as_object()?;
    if !object.contains_key("arguments") && !object.contains_key("parameters") {
        return None;
    }
    object.get("name")?.as_str().map(str::to_string)
}

/// Arguments compared by meaning where they parse (`{"a":1}` equals `{ "a": 1 }`).
fn normalize(arguments: &str) -> String {
    serde_json::from_str::<serde_json::Value>(arguments)
        .map(|v| v.to_string())
        .unwrap_or_else(|_| arguments.trim().to_string())
}

#[cfg(test)]
#[path = "agent_tests.rs"]
mod tests;
