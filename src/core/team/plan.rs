//! The planner's structured answers, parsed and checked without IO: the decomposition of a goal
//! into tasks (JSON with a schema the model is asked to follow) and the classification of what
//! the person says in chat. A model that answers badly gets the fix-loop plan (reproduce, then
//! fix) and a warning, never a stuck run.

use serde::Deserialize;
use serde_json::json;

/// Most tasks a plan may hold.
pub const MAX_TASKS: usize = 6;

/// One task of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTask {
    /// A short title.
    pub title: String,
    /// The role that does it.
    pub role: String,
    /// Positions (in the plan) of the tasks that must finish first.
    pub depends_on: Vec<usize>,
}

/// The JSON schema the planner's decomposition must follow.
pub fn plan_schema(roles: &[String]) -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "summary": { "type": "string" },
            "tasks": {
                "type": "array",
                "maxItems": MAX_TASKS,
                "items": {
                    "type": "object",
                    "properties": {
                        "title": { "type": "string" },
                        "role": { "type": "string", "enum": roles },
                        "depends_on": { "type": "array", "items": { "type": "integer" } }
                    },
                    "required": ["title", "role"]
                }
            }
        },
        "required": ["tasks"]
    })
}

/// The plan used when the model gives none that can be used: reproduce, then fix.
pub fn default_plan() -> Vec<PlannedTask> {
    vec![
        PlannedTask {
            title: "Reproduce: detect the build and tests, run them".into(),
            role: "observer".into(),
            depends_on: Vec::new(),
        },
        PlannedTask {
            title: "Fix: patch the worktree until the tests pass".into(),
            role: "analyst".into(),
            depends_on: vec![0],
        },
    ]
}

#[derive(Deserialize)]
struct RawPlan {
    tasks: Vec<RawTask>,
}

#[derive(Deserialize)]
struct RawTask {
    title: String,
    role: String,
    #[serde(default)]
    depends_on: Vec<i64>,
}

/// Parses the planner's answer: JSON (possibly inside a ```json fence) with tasks whose roles
/// are in `roles`. The result always starts with an observer task and holds an analyst task;
/// the verifier is never planned (it judges every patch on its own). Errors say what was wrong.
pub fn parse_plan(text: &str, roles: &[String]) -> Result<Vec<PlannedTask>, String> {
    let body = strip_fence(text);
    let raw: RawPlan = serde_json::from_str(body)
        .map_err(|e| format!("the plan is not the JSON asked for: {e}"))?;
    if raw.tasks.is_empty() {
        return Err("the plan has no tasks".into());
    }
    let mut tasks = Vec::new();
    for (i, task) in raw.tasks.into_iter().take(MAX_TASKS).enumerate() {
        let role = task.role.trim().to_lowercase();
        if !roles.contains(&role) {
            return Err(format!(
                "task {i} names role {:?}, which is not on the team ({})",
                task.role,
                roles.join(", ")
            ));
        }
        let title: String = task.title.trim().chars().take(80).collect();
        if title.is_empty() {
            return Err(format!("task {i} has an empty title"));
        }
        let depends_on = task
            .depends_on
            .into_iter()
            .filter_map(|d| usize::try_from(d).ok())
            .filter(|d| *d < i)
            .collect();
        tasks.push(PlannedTask {
            title,
            role,
            depends_on,
        });
    }
    Ok(normalize(tasks))
}

/// Makes a plan runnable: the verifier's tasks are dropped (it runs with every patch), an
/// observer goes first, an analyst comes after it, and every other task waits for the
/// observer.
fn normalize(planned: Vec<PlannedTask>) -> Vec<PlannedTask> {
    let mut kept: Vec<(usize, PlannedTask)> = planned
        .into_iter()
        .enumerate()
        .filter(|(_, t)| t.role != "verifier")
        .collect();
    if !kept.iter().any(|(_, t)| t.role == "observer") {
        let first = default_plan().remove(0);
        kept.insert(0, (usize::MAX, first));
    } else if let Some(pos) = kept.iter().position(|(_, t)| t.role == "observer") {
        let observer = kept.remove(pos);
        kept.insert(0, observer);
    }
    if !kept.iter().any(|(_, t)| t.role == "analyst") {
        kept.push((usize::MAX - 1, default_plan().remove(1)));
    }
    // Re-number dependencies from the model's positions to the new ones.
    let old_positions: Vec<usize> = kept.iter().map(|(old, _)| *old).collect();
    kept.into_iter()
        .enumerate()
        .map(|(new, (_, mut task))| {
            let mut deps: Vec<usize> = task
                .depends_on
                .iter()
                .filter_map(|old| old_positions.iter().position(|p| p == old))
                .filter(|d| *d < new)
                .collect();
            if new > 0 && !deps.contains(&0) {
                deps.insert(0, 0);
            }
            deps.sort_unstable();
            deps.dedup();
            task.depends_on = deps;
            task
        })
        .collect()
}

/// What the person meant by a chat message during a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// A new goal (the current one is to be dropped or is done).
    NewGoal,
    /// A question about how the run is going.
    Status,
    /// A change or hint for the running goal.
    Change,
}

/// The JSON schema of the classification.
pub fn intent_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "intent": { "type": "string", "enum": ["new_goal", "status", "change"] },
            "reply": { "type": "string" }
        },
        "required": ["intent", "reply"]
    })
}

/// Parses the classification; a model that answers badly gets the heuristic one.
pub fn parse_intent(answer: &str, message: &str) -> (Intent, Option<String>) {
    #[derive(Deserialize)]
    struct Raw {
        intent: String,
        #[serde(default)]
        reply: String,
    }
    match serde_json::from_str::<Raw>(strip_fence(answer)) {
        Ok(raw) => {
            let intent = match raw.intent.as_str() {
                "new_goal" => Intent::NewGoal,
                "status" => Intent::Status,
                "change" => Intent::Change,
                _ => guess_intent(message),
            };
            let reply = Some(raw.reply.trim().to_string()).filter(|r| !r.is_empty());
            (intent, reply)
        }
        Err(_) => (guess_intent(message), None),
    }
}

/// Without a model: a question is about status, anything else hints at the running goal.
pub fn guess_intent(message: &str) -> Intent {
    let lower = message.trim().to_lowercase();
    let asks = lower.ends_with('?')
        || [
            "status",
            "how is",
            "how's",
            "what are",
            "progress",
            "where are",
        ]
        .iter()
        .any(|w| lower.starts_with(w));
    if asks {
        Intent::Status
    } else if lower.starts_with("new goal") || lower.starts_with("instead,") {
        Intent::NewGoal
    } else {
        Intent::Change
    }
}

/// The JSON inside a ```json ... ``` fence, or the text itself.
fn strip_fence(text: &str) -> &str {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix("```") else {
        return trimmed;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
