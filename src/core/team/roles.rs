//! What each role does with a task. The observer detects the repo's commands (the Repo
//! Runner), has the verifier run the baseline, and looks for the fault with read-only tools.
//! The analyst runs the fix loop: it patches the worktree, the verifier runs the tests and
//! judges the diff, and the trimmed failures go back to the analyst until a patch is verified
//! or the attempts are spent. Other roles run the tool loop on their task. Every model
//! conversation is an [`Agent`] state machine; [`drive`] performs its effects.

use std::sync::Arc;

use super::agent::{Agent, Input};
use super::drive::drive;
use super::prompts;
use super::shared::{Shared, lock};
use super::toolbox;
use super::verdict::judge;
use super::verify;
use crate::core::tools::detect::{self, Overrides};
use crate::core::worktree::Worktree;
use crate::protocol::{AgentId, AgentStatus, Event, LogLevel, PatchId, TaskId, TaskStatus};

/// How a task ended.
#[derive(Debug, Clone, PartialEq)]
pub enum TaskOutcome {
    /// Done; what was found or done.
    Done(String),
    /// The analyst's patch is verified.
    Verified {
        /// The patch.
        patch: PatchId,
        /// Its diff.
        diff: String,
        /// The files it touches.
        files: Vec<String>,
    },
    /// The task cannot go on without the person; a summary of where it stands.
    NeedsHelp(String),
    /// The task failed.
    Failed(String),
}

/// One task given to one agent.
#[derive(Debug, Clone)]
pub struct Job {
    /// The task.
    pub task: TaskId,
    /// Its title.
    pub title: String,
    /// The role doing it.
    pub role: String,
    /// The agent doing it.
    pub agent: AgentId,
}

/// Runs `job` to its end.
pub async fn run(shared: Arc<Shared>, job: Job, worktree: Arc<Worktree>) -> TaskOutcome {
    let outcome = match job.role.as_str() {
        // Only the first observer task detects and takes the baseline; later ones look around.
        "observer" if lock(&shared.baseline).is_none() => observe(&shared, &job).await,
        "analyst" => fix(&shared, &job, &worktree).await,
        _ => custom(&shared, &job).await,
    };
    super::recall::task_ended(&shared, &job, &outcome).await;
    outcome
}

async fn observe(shared: &Arc<Shared>, job: &Job) -> TaskOutcome {
    let Some(ws) = shared.workspace() else {
        return TaskOutcome::Failed("the run's worktree is not ready".into());
    };
    let repo_config = &shared.env.config.repo;
    let overrides = Overrides {
        build: Some(repo_config.build.clone()).filter(|s| !s.is_empty()),
        test: Some(repo_config.test.clone()).filter(|s| !s.is_empty()),
        run: Some(repo_config.run.clone()).filter(|s| !s.is_empty()),
    };
    let root = ws.root().to_path_buf();
    // A step: a resumed run knows the profile without detecting (and telling) it again.
    let detected = shared
        .step(Some(job.task), "detect", async {
            let profile =
                tokio::task::spawn_blocking(move || detect::detect_with(&root, &overrides))
                    .await
                    .map_err(|e| format!("repo detection stopped: {e}"))?;
            announce_profile(shared, &profile).await;
            Ok::<_, String>(profile)
        })
        .await;
    let profile = match detected {
        Ok(profile) => profile,
        Err(why) => return TaskOutcome::Failed(why),
    };
    let has_tests = profile.test.is_some();
    let description = profile.describe().join("\n");
    *lock(&shared.profile) = Some(profile);
    if !has_tests {
        return TaskOutcome::NeedsHelp(format!(
            "I found no test command in this repository, so I cannot reproduce the problem or \
             verify a fix. {description}\nSet one in .warroom/config.toml ([repo] test = \"...\") \
             and start the goal again."
        ));
    }
    shared.progress(job.task, 0.3).await;
    // The verifier runs the baseline: its verdicts compare against this run.
    let verifier = shared.verifier().await;
    shared
        .status(verifier, AgentStatus::CallingTool, Some(job.task))
        .await;
    let baseline = shared
        .step(Some(job.task), "baseline", async {
            verify::run_tests(shared, verifier, "baseline")
                .await
                .map_err(|e| e.to_string())
        })
        .await;
    shared.status(verifier, AgentStatus::Idle, None).await;
    let baseline = match baseline {
        Ok(outcome) => outcome,
        Err(e) => {
            return TaskOutcome::Failed(format!("the baseline test run failed to start: {e}"));
        }
    };
    let tests_line = baseline.tool_output().content;
    *lock(&shared.baseline) = Some(baseline.run.clone());
    shared.progress(job.task, 0.6).await;
    let brief = format!(
        "Goal: {}\n\nHow this repository is built and tested:\n{description}\n\nThe tests, run \
         once before any change:\n{tests_line}",
        shared.goal
    );
    let findings = match converse_counting(shared, job, brief).await {
        Ok((summary, tools)) if tools > 0 => summary,
        // Notes written without looking at a single file are guesses (small models invent
        // files); the analyst is better off without them.
        Ok(_) => {
            shared
                .log(
                    Some(job.agent),
                    LogLevel::Info,
                    "observer: notes left out of the analyst's brief (no file was read)",
                )
                .await;
            String::new()
        }
        // The observer's notes help the analyst but are not needed: go on without them.
        Err(why) => {
            shared
                .log(Some(job.agent), LogLevel::Warn, format!("observer: {why}"))
                .await;
            String::new()
        }
    };
    let mut found = format!("Tests before any change:\n{tests_line}");
    if !findings.is_empty() {
        found.push_str(&format!("\n\nThe observer's notes:\n{findings}"));
    }
    let found = shared
        .step(Some(job.task), "finding", async { found })
        .await;
    lock(&shared.findings).push(found);
    TaskOutcome::Done(format!(
        "{} failing, {} passing before any change",
        baseline.run.failed.len(),
        baseline.run.passed.len()
    ))
}

async fn fix(shared: &Arc<Shared>, job: &Job, worktree: &Arc<Worktree>) -> TaskOutcome {
    let Some(baseline) = lock(&shared.baseline).clone() else {
        return TaskOutcome::Failed(
            "there is no baseline test run to judge patches against".into(),
        );
    };
    let max_attempts = shared.env.config.team.max_attempts;
    let (mut agent, allowed) = match machine(shared, &job.role) {
        Ok(m) => m,
        Err(why) => return TaskOutcome::Failed(why),
    };
    let mut input = Input::Start {
        brief: super::recall::inject(shared, job, brief(shared, job)).await,
    };
    let mut last_reason = String::new();
    for attempt in 1..=max_attempts {
        shared
            .emit(Event::TaskStatusChanged {
                task: job.task,
                status: TaskStatus::Running,
                attempt,
            })
            .await;
        let said = drive(shared, job, &mut agent, &allowed, input).await;
        if let Err(why) = &said {
            shared
                .log(Some(job.agent), LogLevel::Warn, format!("analyst: {why}"))
                .await;
        }
        // The diff and its proposal are one step: a resumed run judges the diff it proposed,
        // not what the worktree holds by now.
        let proposed = shared
            .step(Some(job.task), "propose", propose(shared, job, worktree))
            .await;
        let (patch, diff, files) = match proposed {
            Ok(Some(p)) => p,
            Ok(None) => {
                last_reason = match &said {
                    Err(why) => format!("attempt {attempt} ended without a change: {why}"),
                    Ok(_) => format!("attempt {attempt} ended without changing any file"),
                };
                shared
                    .log(Some(job.agent), LogLevel::Warn, last_reason.clone())
                    .await;
                input = Input::Feedback {
                    text: "No file has changed: a fix described in words changes nothing. Call \
                           edit_file now with the path of the file to fix, the exact text to \
                           replace (old_text) and the corrected text (new_text)."
                        .into(),
                };
                continue;
            }
            Err(why) => return TaskOutcome::Failed(why),
        };
        let verdict = shared
            .step(
                Some(job.task),
                "verify",
                verify_patch(shared, job, attempt, &baseline),
            )
            .await;
        let (verdict, excerpt) = match verdict {
            Ok(v) => v,
            Err(why) => return TaskOutcome::Failed(why),
        };
        shared
            .emit(Event::PatchJudged {
                patch,
                verified: verdict.verified,
                reason: verdict.reason.clone(),
            })
            .await;
        if verdict.verified {
            return TaskOutcome::Verified { patch, diff, files };
        }
        last_reason = format!("patch {patch}: {}", verdict.reason);
        shared
            .progress(job.task, f64::from(attempt) / f64::from(max_attempts))
            .await;
        let hints = lock(&shared.hints).join("\n");
        input = Input::Feedback {
            text: format!(
                "The verifier ran the tests on your change and it is not good yet: {}.\n\n{}{}",
                verdict.reason,
                excerpt,
                if hints.is_empty() {
                    String::new()
                } else {
                    format!("\n\nThe person says:\n{hints}")
                }
            ),
        };
    }
    TaskOutcome::NeedsHelp(format!(
        "{max_attempts} attempt(s) and no verified patch. Last: {last_reason}. The worktree keeps \
         the last change; tell me a hint in chat and I will try again."
    ))
}

/// Tells what detection found (`RepoDetected`).
async fn announce_profile(shared: &Shared, profile: &detect::RepoProfile) {
    let mut sources = Vec::new();
    for (what, command) in [
        ("build", &profile.build),
        ("test", &profile.test),
        ("run", &profile.run),
    ] {
        if let Some(command) = command {
            sources.push(format!("{what}: {}", command.source));
        }
    }
    sources.extend(profile.notes.iter().cloned());
    shared
        .emit(Event::RepoDetected {
            languages: profile.languages.clone(),
            build: profile.build.as_ref().map(|c| c.line.clone()),
            test: profile.test.as_ref().map(|c| c.line.clone()),
            run: profile.run.as_ref().map(|c| c.line.clone()),
            sources,
        })
        .await;
}

/// The worktree's diff, proposed as a patch; `None` when nothing changed.
async fn propose(
    shared: &Arc<Shared>,
    job: &Job,
    worktree: &Arc<Worktree>,
) -> Result<Option<(PatchId, String, Vec<String>)>, String> {
    let tree = Arc::clone(worktree);
    let diff = match tokio::task::spawn_blocking(move || tree.diff()).await {
        Ok(Ok(diff)) => without_binary(&diff),
        Ok(Err(e)) => return Err(format!("cannot read the worktree's diff: {e}")),
        Err(e) => return Err(format!("cannot read the worktree's diff: {e}")),
    };
    if diff.trim().is_empty() {
        return Ok(None);
    }
    let files = files_of(&diff);
    let patch = shared.next_patch();
    shared
        .emit(Event::PatchProposed {
            patch,
            task: Some(job.task),
            agent: job.agent,
            files: files.clone(),
            diff: diff.clone(),
        })
        .await;
    Ok(Some((patch, diff, files)))
}

/// The verifier's run on a patch, as a child task of the fix.
async fn verify_patch(
    shared: &Arc<Shared>,
    job: &Job,
    attempt: u32,
    baseline: &super::verdict::TestRun,
) -> Result<(super::verdict::Verdict, String), String> {
    let verifier = shared.verifier().await;
    let task = shared.next_task();
    shared
        .emit(Event::TaskCreated {
            task,
            parent: Some(job.task),
            title: format!("Verify attempt {attempt}: run the tests"),
            deps: Vec::new(),
            owner: Some(verifier),
        })
        .await;
    shared
        .emit(Event::TaskStatusChanged {
            task,
            status: TaskStatus::Running,
            attempt: 1,
        })
        .await;
    shared
        .status(verifier, AgentStatus::CallingTool, Some(task))
        .await;
    let outcome = verify::run_tests(shared, verifier, &format!("attempt {attempt}")).await;
    shared.status(verifier, AgentStatus::Idle, None).await;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            shared
                .emit(Event::TaskStatusChanged {
                    task,
                    status: TaskStatus::Failed,
                    attempt: 1,
                })
                .await;
            return Err(format!("the verifier could not run the tests: {e}"));
        }
    };
    let verdict = judge(baseline, &outcome.run);
    shared
        .emit(Event::TaskStatusChanged {
            task,
            status: if verdict.verified {
                TaskStatus::Done
            } else {
                TaskStatus::Failed
            },
            attempt: 1,
        })
        .await;
    Ok((verdict, outcome.tool_output().content))
}

async fn custom(shared: &Arc<Shared>, job: &Job) -> TaskOutcome {
    match converse(
        shared,
        job,
        super::recall::inject(shared, job, brief(shared, job)).await,
    )
    .await
    {
        Ok(summary) => {
            let found = format!("{} ({}): {summary}", job.title, job.role);
            let found = shared
                .step(Some(job.task), "finding", async { found })
                .await;
            lock(&shared.findings).push(found);
            TaskOutcome::Done(summary)
        }
        Err(why) => TaskOutcome::Failed(why),
    }
}

/// The brief of a task: the goal, the task, what earlier tasks found, and for a small
/// repository its source files (a small model does far better seeing the code than hunting
/// for it with tools).
fn brief(shared: &Shared, job: &Job) -> String {
    let findings = lock(&shared.findings).join("\n\n");
    let hints = lock(&shared.hints).join("\n");
    let mut text = format!("Goal: {}\n\nYour task: {}", shared.goal, job.title);
    if !findings.is_empty() {
        text.push_str(&format!("\n\nWhat the team found so far:\n{findings}"));
    }
    if job.role == "analyst" {
        if let Some(ws) = shared.workspace() {
            if let Some(sources) = small_repo_sources(ws.root()) {
                text.push_str(&format!("\n\nThe repository's files:\n{sources}"));
            }
        }
    }
    if !hints.is_empty() {
        text.push_str(&format!("\n\nThe person says:\n{hints}"));
    }
    if job.role == "analyst" {
        // Small models follow the last line best: end on what to do, not on what was found.
        text.push_str(
            "\n\nNow fix the code: call edit_file with the path, the exact text to replace \
             (old_text) and the corrected text (new_text). Do not only describe the fix.",
        );
    }
    text
}

/// Most bytes of source a brief includes whole.
const SMALL_REPO_BYTES: u64 = 16 * 1024;
/// Most files a brief includes whole.
const SMALL_REPO_FILES: usize = 8;

/// Every in-scope file with its text, when the repository is small enough to show whole.
fn small_repo_sources(root: &std::path::Path) -> Option<String> {
    // The tests are seen through their failures; shown whole, they tempt a small model to
    // edit them instead of the code.
    let mut files: Vec<_> = crate::core::tools::search::scope_walk(root)
        .into_iter()
        .filter(|rel| !is_test_file(rel))
        .collect();
    if files.is_empty() || files.len() > SMALL_REPO_FILES {
        return None;
    }
    files.sort();
    let mut total = 0u64;
    let mut out = String::new();
    for rel in files {
        let path = root.join(&rel);
        total += std::fs::metadata(&path).ok()?.len();
        if total > SMALL_REPO_BYTES {
            return None;
        }
        let body = std::fs::read_to_string(&path).ok()?;
        out.push_str(&format!("\n--- {} ---\n{body}", rel.display()));
        if !body.ends_with('\n') {
            out.push('\n');
        }
    }
    Some(out)
}

/// Whether a path looks like a test (by the usual names of the ecosystems warroom detects).
fn is_test_file(rel: &std::path::Path) -> bool {
    let in_test_dir = rel.components().any(|c| {
        matches!(
            c.as_os_str().to_str(),
            Some("test" | "tests" | "__tests__" | "spec")
        )
    });
    let name = rel.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    in_test_dir
        || name.starts_with("test_")
        || name.ends_with("_test.py")
        || name.ends_with("_test.go")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name == "conftest.py"
}

/// One conversation from a brief to the agent's final answer.
async fn converse(shared: &Arc<Shared>, job: &Job, brief: String) -> Result<String, String> {
    converse_counting(shared, job, brief)
        .await
        .map(|(summary, _)| summary)
}

/// [`converse`], also saying how many tool calls the agent made.
async fn converse_counting(
    shared: &Arc<Shared>,
    job: &Job,
    brief: String,
) -> Result<(String, u32), String> {
    let (mut agent, allowed) = machine(shared, &job.role)?;
    let summary = drive(shared, job, &mut agent, &allowed, Input::Start { brief }).await?;
    Ok((summary, agent.tools_run()))
}

/// The agent machine of `role` with its prompt and tools.
fn machine(shared: &Shared, role: &str) -> Result<(Agent, Vec<String>), String> {
    let config = &shared.env.config;
    let system = prompts::system_prompt(config, &shared.env.repo, role)?;
    let allowed = config
        .roles
        .get(role)
        .and_then(|r| r.tools.clone())
        .unwrap_or_else(|| toolbox::default_tools(role));
    let agent = Agent::new(&system, toolbox::specs(&allowed), config.team.max_steps);
    Ok((agent, allowed))
}

/// The diff without its binary files (build outputs such as bytecode caches; a patch of
/// binary content cannot be reviewed or applied as text) and without warroom's own temp
/// files.
pub fn without_binary(diff: &str) -> String {
    let mut out = String::new();
    let mut section = String::new();
    let mut binary = false;
    for line in diff.split_inclusive('\n') {
        if line.starts_with("diff --git ") {
            if !binary {
                out.push_str(&section);
            }
            section.clear();
            // A file tool's temp file, left behind when warroom was killed mid-write, is
            // not part of any change.
            binary = line.contains(crate::core::tools::files::TEMP_MARK);
        }
        if line.starts_with("Binary files ") || line.starts_with("GIT binary patch") {
            binary = true;
        }
        section.push_str(line);
    }
    if !binary {
        out.push_str(&section);
    }
    out
}

/// The files a unified diff touches (the `+++ b/` side, or `--- a/` for deletions).
pub fn files_of(diff: &str) -> Vec<String> {
    let mut files = Vec::new();
    for line in diff.lines() {
        if let Some(rest) = line.strip_prefix("diff --git a/") {
            if let Some((a, _)) = rest.split_once(" b/") {
                if !files.iter().any(|f| f == a) {
                    files.push(a.to_string());
                }
            }
        }
    }
    files
}
