//! What happened inside each task, for the tasks pane's details and verdict column: the
//! patches proposed for it (`PatchProposed`), the verifier's verdict on each (`PatchJudged`),
//! and the test runs (`TestsRan`, matched to a task through the patch its label names, or else
//! the running task its agent owns). A fold; bounded per task. Pure: no IO, no ratatui.

use std::collections::HashMap;

use crate::protocol::{AgentId, Event, PatchId, TaskId};

use super::super::text;

/// The most test runs kept per task (the newest).
const RUNS_KEPT: usize = 16;

/// A patch and its verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchRecord {
    /// The patch.
    pub id: PatchId,
    /// Who wrote it.
    pub agent: AgentId,
    /// The files it touches.
    pub files: Vec<String>,
    /// The verdict: verified or not, and why (`None`: not judged yet).
    pub verdict: Option<(bool, String)>,
}

/// One test run.
#[derive(Debug, Clone, PartialEq)]
pub struct TestRun {
    /// What it was for ("baseline", "patch 3").
    pub label: String,
    /// The command line.
    pub command: String,
    /// The exit code (`None`: killed).
    pub exit_code: Option<i32>,
    /// Passed tests.
    pub passed: usize,
    /// Failed tests, by name.
    pub failed: Vec<String>,
    /// How long it took.
    pub duration_ms: u64,
}

/// The patches and test runs of each task.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskRecords {
    patches: HashMap<TaskId, Vec<PatchRecord>>,
    patch_task: HashMap<PatchId, TaskId>,
    runs: HashMap<TaskId, Vec<TestRun>>,
}

impl TaskRecords {
    /// Folds one event; `running_task_of` names the task an agent is running, for test runs
    /// whose label names no known patch. Returns whether anything changed.
    pub fn apply(
        &mut self,
        event: &Event,
        running_task_of: impl Fn(AgentId) -> Option<TaskId>,
    ) -> bool {
        match event {
            Event::PatchProposed {
                patch,
                task: Some(task),
                agent,
                files,
                ..
            } => {
                self.patch_task.insert(*patch, *task);
                let list = self.patches.entry(*task).or_default();
                list.retain(|p| p.id != *patch);
                list.push(PatchRecord {
                    id: *patch,
                    agent: *agent,
                    files: files
                        .iter()
                        .map(|f| text::clean_line(f, 200).text)
                        .collect(),
                    verdict: None,
                });
                true
            }
            Event::PatchJudged {
                patch,
                verified,
                reason,
            } => {
                let Some(task) = self.patch_task.get(patch) else {
                    return false;
                };
                let Some(p) = self
                    .patches
                    .get_mut(task)
                    .and_then(|l| l.iter_mut().find(|p| p.id == *patch))
                else {
                    return false;
                };
                p.verdict = Some((*verified, text::clean_line(reason, 400).text));
                true
            }
            Event::TestsRan {
                agent,
                label,
                command,
                exit_code,
                passed,
                failed,
                duration_ms,
            } => {
                let by_patch = label
                    .strip_prefix("patch ")
                    .and_then(|n| n.trim().parse::<i64>().ok())
                    .and_then(|n| self.patch_task.get(&PatchId(n)).copied());
                let Some(task) = by_patch.or_else(|| running_task_of(*agent)) else {
                    return false;
                };
                let runs = self.runs.entry(task).or_default();
                runs.push(TestRun {
                    label: text::clean_line(label, 80).text,
                    command: text::clean_line(command, 200).text,
                    exit_code: *exit_code,
                    passed: passed.len(),
                    failed: failed
                        .iter()
                        .take(20)
                        .map(|f| text::clean_line(f, 120).text)
                        .collect(),
                    duration_ms: *duration_ms,
                });
                if runs.len() > RUNS_KEPT {
                    runs.remove(0);
                }
                true
            }
            _ => false,
        }
    }

    /// The patches of a task, oldest first.
    pub fn patches(&self, task: TaskId) -> &[PatchRecord] {
        self.patches.get(&task).map_or(&[], Vec::as_slice)
    }

    /// Whether any task has a patch.
    pub fn any_patches(&self) -> bool {
        !self.patch_task.is_empty()
    }

    /// The test runs of a task, oldest first.
    pub fn runs(&self, task: TaskId) -> &[TestRun] {
        self.runs.get(&task).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proposed(patch: i64, task: u32) -> Event {
        Event::PatchProposed {
            patch: PatchId(patch),
            task: Some(TaskId(task)),
            agent: AgentId(3),
            files: vec!["src/a.rs".into()],
            diff: String::new(),
        }
    }

    fn ran(label: &str) -> Event {
        Event::TestsRan {
            agent: AgentId(4),
            label: label.into(),
            command: "cargo test".into(),
            exit_code: Some(1),
            passed: vec!["a".into()],
            failed: vec!["parse_dates".into()],
            duration_ms: 1200,
        }
    }

    #[test]
    fn verdicts_and_test_runs_find_their_task() {
        let mut r = TaskRecords::default();
        r.apply(&proposed(1, 5), |_| None);
        r.apply(&proposed(2, 5), |_| None);
        assert!(r.apply(
            &Event::PatchJudged {
                patch: PatchId(2),
                verified: true,
                reason: "all green".into()
            },
            |_| None
        ));
        assert!(!r.apply(
            &Event::PatchJudged {
                patch: PatchId(9),
                verified: true,
                reason: String::new()
            },
            |_| None
        ));
        let verdicts: Vec<_> = r
            .patches(TaskId(5))
            .iter()
            .map(|p| p.verdict.clone())
            .collect();
        assert_eq!(verdicts, vec![None, Some((true, "all green".into()))]);
        assert!(r.apply(&ran("patch 2"), |_| None));
        assert!(r.apply(&ran("baseline"), |_| Some(TaskId(6))));
        assert!(!r.apply(&ran("baseline"), |_| None));
        assert_eq!(r.runs(TaskId(5)).len(), 1);
        assert_eq!(r.runs(TaskId(6))[0].failed, vec!["parse_dates".to_string()]);
    }
}
