//! The planner's model calls: decomposing the goal (structured output, checked by `plan.rs`,
//! one retry with the error, then the fix-loop plan) and answering the person in chat
//! (classifying the message as a new goal, a status question or a change to the running goal).

use std::sync::Arc;

use tokio::sync::mpsc;

use super::plan::{self, Intent, PlannedTask};
use super::prompts;
use super::run::RunInput;
use super::shared::{Shared, lock};
use crate::core::llm::{Message, ResponseFormat, Role};
use crate::protocol::{AgentId, AgentStatus, ChatRole, Event, LogLevel};

/// Asks the planner for the task list; never fails (a bad answer gets the default plan).
pub async fn decompose(shared: &Arc<Shared>, planner: AgentId) -> Vec<PlannedTask> {
    let config = &shared.env.config;
    let team = prompts::team_roles(config);
    let roles: Vec<String> = team.iter().map(|(r, _)| r.clone()).collect();
    let system = match prompts::system_prompt(config, &shared.env.repo, "planner") {
        Ok(s) => s,
        Err(why) => {
            shared.log(Some(planner), LogLevel::Warn, why).await;
            prompts::builtin("planner").to_string()
        }
    };
    let members: Vec<String> = team
        .iter()
        .map(|(r, about)| format!("- {r}: {about}"))
        .collect();
    let mut messages = vec![
        Message::text(
            Role::System,
            format!("{system}\nYour team:\n{}", members.join("\n")),
        ),
        Message::text(
            Role::User,
            format!(
                "Goal: {}\n\nAnswer with JSON: {{\"summary\": \"...\", \"tasks\": [{{\"title\": \"...\", \"role\": \"...\", \"depends_on\": []}}]}}",
                shared.goal
            ),
        ),
    ];
    let format = ResponseFormat::JsonSchema {
        name: "plan".into(),
        schema: plan::plan_schema(&roles),
    };
    for round in 0..2 {
        let answer = shared
            .ask_model(
                planner,
                "planner",
                messages.clone(),
                Vec::new(),
                Some(format.clone()),
            )
            .await;
        match answer {
            Ok(answer) => match plan::parse_plan(&answer.text, &roles) {
                Ok(tasks) => return tasks,
                Err(why) if round == 0 => {
                    messages.push(Message::text(Role::Assistant, answer.text));
                    messages.push(Message::text(
                        Role::User,
                        format!("That cannot be used: {why}. Answer again with the JSON only."),
                    ));
                }
                Err(why) => {
                    shared
                        .log(
                            Some(planner),
                            LogLevel::Warn,
                            format!(
                                "planner: {why}; using the standard plan (reproduce, then fix)"
                            ),
                        )
                        .await;
                }
            },
            Err(e) => {
                shared
                    .log(Some(planner), LogLevel::Warn, format!("planner: no plan from the model ({e}); using the standard plan (reproduce, then fix)"))
                    .await;
                break;
            }
        }
    }
    plan::default_plan()
}

/// Answers a chat message in the background: classifies it, replies, and for a change to the
/// running goal records the hint (and asks the driver to try again when the run is blocked).
pub fn chat(
    shared: Arc<Shared>,
    planner: AgentId,
    text: String,
    blocked: bool,
    tx: mpsc::Sender<RunInput>,
) {
    tokio::spawn(async move {
        shared
            .emit(Event::ChatMessagePosted {
                role: ChatRole::User,
                text: text.clone(),
            })
            .await;
        shared.status(planner, AgentStatus::Thinking, None).await;
        let messages = vec![
            Message::text(
                Role::System,
                "You are the planner of a team of coding agents. Classify the person's message \
                 about the running goal as new_goal, status or change, and write a one-line reply. \
                 Answer with JSON only.",
            ),
            Message::text(
                Role::User,
                format!(
                    "{}Running goal: {}\nMessage: {text}",
                    super::conversation::context(&shared, planner, &text).await,
                    shared.goal
                ),
            ),
        ];
        let format = ResponseFormat::JsonSchema {
            name: "intent".into(),
            schema: plan::intent_schema(),
        };
        let (intent, reply) = match shared
            .ask_model(planner, "planner", messages, Vec::new(), Some(format))
            .await
        {
            Ok(answer) => plan::parse_intent(&answer.text, &text),
            Err(_) => (plan::guess_intent(&text), None),
        };
        shared.status(planner, AgentStatus::Idle, None).await;
        let answer = match intent {
            Intent::Status => {
                let baseline = lock(&shared.baseline).clone();
                let tests = match baseline {
                    Some(b) => format!("{} tests failed before any change", b.failed.len()),
                    None => "the tests have not run yet".to_string(),
                };
                format!(
                    "{}{tests}.",
                    reply.map(|r| format!("{r} ")).unwrap_or_default()
                )
            }
            Intent::Change => {
                lock(&shared.hints).push(text.clone());
                if blocked {
                    let _ = tx.send(RunInput::Retry).await;
                    "Noted; the analyst tries again with your hint.".to_string()
                } else {
                    "Noted; the analyst gets your hint with its next feedback.".to_string()
                }
            }
            Intent::NewGoal => format!(
                "Run {} is still working on its goal; cancel it first (the run's cancel key, or \
                 /cancel), then give the new goal.",
                shared.run
            ),
        };
        shared
            .emit(Event::ChatMessagePosted {
                role: ChatRole::Planner,
                text: answer,
            })
            .await;
    });
}
