//! Reading the database in pages: runs, the snapshot a screen starts from, events after an id
//! (tailing), log lines before an id (scrolling back). Used by viewers in other processes and
//! by the owner's own screen; never writes. A stored row this build cannot decode (an unknown
//! event kind from a newer warroom, a damaged body) is skipped and reported, never fatal.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::protocol::{
    AgentId, AgentStatus, ApprovalId, ApprovalSubject, Event, EventId, LogLevel, MemoryId, Millis,
    Record, RunId, RunState, TaskId, TaskStatus,
};

use super::{LogKind, StoreError, from_tag, schema};

/// A read-only view of a database.
pub struct Reader {
    conn: Connection,
    path: PathBuf,
}

/// A run as listed by `warroom runs`.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRow {
    /// The run.
    pub id: RunId,
    /// The person's goal.
    pub goal: String,
    /// The repository.
    pub repo: String,
    /// Its lifecycle state (`Failed` for a state this build does not know).
    pub state: RunState,
    /// The final summary, empty until it finishes.
    pub summary: String,
    /// When it began.
    pub started_at: Millis,
    /// When it ended.
    pub finished_at: Option<Millis>,
    /// Tokens used by all its agents.
    pub tokens: u64,
    /// Dollars spent by all its agents.
    pub cost_usd: f64,
}

/// An agent as it stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentRow {
    /// The agent.
    pub id: AgentId,
    /// Its parent in the family tree.
    pub parent: Option<AgentId>,
    /// Its role.
    pub role: String,
    /// Its model.
    pub model: String,
    /// What it is doing.
    pub status: AgentStatus,
    /// Its current task.
    pub task: Option<TaskId>,
    /// Prompt tokens so far.
    pub input_tokens: u64,
    /// Completion tokens so far.
    pub output_tokens: u64,
    /// Dollars so far.
    pub cost_usd: f64,
    /// When it joined.
    pub spawned_at: Millis,
}

/// A task as it stands now.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    /// The task.
    pub id: TaskId,
    /// Its parent.
    pub parent: Option<TaskId>,
    /// Its title.
    pub title: String,
    /// Tasks it waits for.
    pub deps: Vec<TaskId>,
    /// Its owner.
    pub owner: Option<AgentId>,
    /// Its status.
    pub status: TaskStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// Fraction done.
    pub progress: f64,
    /// When it was created.
    pub created_at: Millis,
}

/// An approval that waits for the person.
#[derive(Debug, Clone, PartialEq)]
pub struct ApprovalRow {
    /// The approval.
    pub id: ApprovalId,
    /// Who asked.
    pub agent: AgentId,
    /// What is asked.
    pub subject: ApprovalSubject,
    /// When it was asked.
    pub requested_at: Millis,
    /// The files changed in the working tree since it was asked (`approval_stale`).
    pub stale_files: Vec<String>,
}

/// A memory entry.
#[derive(Debug, Clone, PartialEq)]
pub struct MemoryRow {
    /// The entry.
    pub id: MemoryId,
    /// Its kind's name.
    pub kind: String,
    /// Its text.
    pub text: String,
    /// Whether the person pinned it.
    pub pinned: bool,
    /// When it was written.
    pub created_at: Millis,
}

/// A chat message is an event; this names the use.
pub type ChatRow = Record;

/// A stored event this build could not decode.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedRow {
    /// Its id.
    pub id: EventId,
    /// Its `kind` column.
    pub kind: String,
    /// Why it was skipped.
    pub reason: String,
}

/// A page of events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The events, oldest first.
    pub records: Vec<Record>,
    /// Rows that were skipped.
    pub skipped: Vec<SkippedRow>,
    /// The highest id looked at (decoded or skipped); the next page starts after it.
    pub last_id: Option<EventId>,
}

/// Which log lines to read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogFilter {
    /// Only this agent's lines.
    pub agent: Option<AgentId>,
    /// Only lines at least this severe.
    pub min_level: Option<LogLevel>,
    /// Only lines of this sort.
    pub kind: Option<LogKind>,
}

/// Everything a screen needs to draw a run, read in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSnapshot {
    /// The run.
    pub run: RunRow,
    /// Its agents.
    pub agents: Vec<AgentRow>,
    /// Its tasks.
    pub tasks: Vec<TaskRow>,
    /// Its pending approvals.
    pub approvals: Vec<ApprovalRow>,
    /// Its most recent chat messages, oldest first.
    pub chat: Page,
    /// Its most recent log lines, oldest first.
    pub logs: Page,
    /// The most recent memory entries of the repository, newest first.
    pub memory: Vec<MemoryRow>,
    /// The last event id the snapshot includes; tail from here.
    pub last_event: EventId,
}

const EVENT_COLUMNS: &str = "id, run_id, at, kind, CAST(body AS BLOB)";

impl Reader {
    /// Opens `path` read-only.
    pub fn open(path: &Path, busy_timeout: Duration) -> Result<Self, StoreError> {
        Ok(Reader {
            conn: schema::open_ro(path, busy_timeout)?,
            path: path.to_path_buf(),
        })
    }

    /// The file this reader reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Changes whenever another connection commits (SQLite's `data_version`).
    pub fn data_version(&self) -> Result<i64, StoreError> {
        self.conn
            .pragma_query_value(None, "data_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// The newest runs first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRow>, StoreError> {
        let sql = format!("{RUN_SELECT} ORDER BY r.id DESC LIMIT ?1");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![limit as i64], run_row)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// One run.
    pub fn run(&self, id: RunId) -> Result<Option<RunRow>, StoreError> {
        let sql = format!("{RUN_SELECT} WHERE r.id = ?1");
        self.conn
            .query_row(&sql, params![id.0], run_row)
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The newest run, if any.
    pub fn latest_run(&self) -> Result<Option<RunRow>, StoreError> {
        Ok(self.runs(1)?.into_iter().next())
    }

    /// The highest event id in the file (0 when empty).
    pub fn last_event_id(&self) -> Result<EventId, StoreError> {
        self.conn
            .query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))
            .map(EventId)
            .map_err(|e| self.err(e))
    }

    /// The ids of every event of `run`, oldest first (`warroom replay` steps through them).
    pub fn event_ids(&self, run: RunId) -> Result<Vec<EventId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM events WHERE run_id = ?1 ORDER BY id")
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![run.0], |r| r.get(0).map(EventId))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))
    }

    /// Up to `limit` events after `after`, of one run or of all runs, oldest first.
    pub fn events_after(
        &self,
        run: Option<RunId>,
        after: EventId,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let (sql, run_arg) = match run {
            Some(run) => (
                format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE run_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
                ),
                run.0,
            ),
            None => (
                format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE ?1 = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
                ),
                0,
            ),
        };
        self.page(&sql, params![run_arg, after.0, limit as i64], false)
    }

    /// Up to `limit` log-pane lines of `run` before `before` (or the newest when `None`),
    /// returned oldest first.
    pub fn log_lines(
        &self,
        run: RunId,
        filter: LogFilter,
        before: Option<EventId>,
        limit: usize,
    ) -> Result<Page, StoreError> {
        let before = before.map_or(i64::MAX, |b| b.0);
        let level = filter.min_level.map_or(0, LogLevel::as_i64);
        let kind = filter
            .kind
            .map_or(String::new(), |k| format!(" AND {}", k.sql()));
        let page = match filter.agent {
            Some(agent) => {
                let sql = format!(
                    "SELECT {EVENT_COLUMNS} FROM events INDEXED BY events_run_agent
                     WHERE run_id = ?1 AND agent = ?2 AND agent IS NOT NULL AND id < ?3
                       AND level IS NOT NULL AND level >= ?4{kind}
                     ORDER BY id DESC LIMIT ?5"
                );
                self.page(
                    &sql,
                    params![run.0, agent.0, before, level, limit as i64],
                    true,
                )?
            }
            None => {
                let sql = format!(
                    "SELECT {EVENT_COLUMNS} FROM events INDEXED BY events_run_log
                     WHERE run_id = ?1 AND level IS NOT NULL AND id < ?2 AND level >= ?3{kind}
                     ORDER BY id DESC LIMIT ?4"
                );
                self.page(&sql, params![run.0, before, level, limit as i64], true)?
            }
        };
        Ok(page)
    }

    /// Everything a screen needs for `run`, consistent as of one moment.
    pub fn snapshot(
        &self,
        run: RunId,
        log_lines: usize,
    ) -> Result<Option<RunSnapshot>, StoreError> {
        self.conn.execute_batch("BEGIN").map_err(|e| self.err(e))?;
        let result = self.snapshot_in_tx(run, log_lines);
        let _ = self.conn.execute_batch("COMMIT");
        result
    }

    fn snapshot_in_tx(
        &self,
        run: RunId,
        log_lines: usize,
    ) -> Result<Option<RunSnapshot>, StoreError> {
        let Some(run_row) = self.run(run)? else {
            return Ok(None);
        };
        let last_event = self.last_event_id()?;
        let chat_sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events INDEXED BY events_run_chat
             WHERE run_id = ?1 AND kind = 'chat_message_posted' ORDER BY id DESC LIMIT 500"
        );
        Ok(Some(RunSnapshot {
            agents: self.agents(run)?,
            tasks: self.tasks(run, None, usize::MAX)?,
            approvals: self.pending_approvals(run)?,
            chat: self.page(&chat_sql, params![run.0], true)?,
            logs: self.log_lines(run, LogFilter::default(), None, log_lines)?,
            memory: self.memory(200)?,
            last_event,
            run: run_row,
        }))
    }

    /// The agents of a run, in spawn order.
    pub fn agents(&self, run: RunId) -> Result<Vec<AgentRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, parent, role, model, status, task, input_tokens, output_tokens,
                        cost_usd, spawned_at
                 FROM agents WHERE run_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![run.0], |r| {
            Ok(AgentRow {
                id: AgentId(r.get(0)?),
                parent: r.get::<_, Option<u32>>(1)?.map(AgentId),
                role: r.get(2)?,
                model: r.get(3)?,
                status: from_tag(&r.get::<_, String>(4)?).unwrap_or(AgentStatus::Failed),
                task: r.get::<_, Option<u32>>(5)?.map(TaskId),
                input_tokens: r.get::<_, i64>(6)?.max(0) as u64,
                output_tokens: r.get::<_, i64>(7)?.max(0) as u64,
                cost_usd: r.get(8)?,
                spawned_at: Millis(r.get(9)?),
            })
        })
        .map_err(|e| self.err(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.err(e))
    }

    /// Up to `limit` tasks of a run with ids after `after`, in id order.
    pub fn tasks(
        &self,
        run: RunId,
        after: Option<TaskId>,
        limit: usize,
    ) -> Result<Vec<TaskRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, parent, title, deps, owner, status, attempts, progress, created_at
                 FROM tasks WHERE run_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )
            .map_err(|e| self.err(e))?;
        let after = after.map_or(-1, |t| i64::from(t.0));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        stmt.query_map(params![run.0, after, limit], |r| {
            let deps: String = r.get(3)?;
            Ok(TaskRow {
                id: TaskId(r.get(0)?),
                parent: r.get::<_, Option<u32>>(1)?.map(TaskId),
                title: r.get(2)?,
                deps: serde_json::from_str::<Vec<u32>>(&deps)
                    .unwrap_or_default()
                    .into_iter()
                    .map(TaskId)
                    .collect(),
                owner: r.get::<_, Option<u32>>(4)?.map(AgentId),
                status: from_tag(&r.get::<_, String>(5)?).unwrap_or(TaskStatus::Failed),
                attempts: r.get(6)?,
                progress: r.get(7)?,
                created_at: Millis(r.get(8)?),
            })
        })
        .map_err(|e| self.err(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.err(e))
    }

    /// The approvals of a run that wait for a decision, oldest first.
    pub fn pending_approvals(&self, run: RunId) -> Result<Vec<ApprovalRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, agent, subject, requested_at, stale_files FROM approvals
                 WHERE run_id = ?1 AND status = 'pending' ORDER BY requested_at, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![run.0], |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                ))
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, agent, subject, at, stale)| {
                Some(ApprovalRow {
                    id: ApprovalId(id),
                    agent: AgentId(agent),
                    subject: serde_json::from_str(&subject).ok()?,
                    requested_at: Millis(at),
                    stale_files: stale
                        .and_then(|s| serde_json::from_str(&s).ok())
                        .unwrap_or_default(),
                })
            })
            .collect())
    }

    /// The newest memory entries that are not forgotten.
    pub fn memory(&self, limit: usize) -> Result<Vec<MemoryRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, kind, text, pinned, created_at FROM memory
                 WHERE forgotten_at IS NULL ORDER BY id DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map(params![limit as i64], |r| {
            Ok(MemoryRow {
                id: MemoryId(r.get(0)?),
                kind: r.get(1)?,
                text: r.get(2)?,
                pinned: r.get(3)?,
                created_at: Millis(r.get(4)?),
            })
        })
        .map_err(|e| self.err(e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| self.err(e))
    }

    /// Runs a query over `EVENT_COLUMNS`, decoding what it can. `newest_first` queries are
    /// reversed so every page is oldest first.
    fn page(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        newest_first: bool,
    ) -> Result<Page, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query(params).map_err(|e| self.err(e))?;
        let mut page = Page::default();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let id = EventId(row.get(0).map_err(|e| self.err(e))?);
            page.last_id = Some(page.last_id.map_or(id, |last: EventId| last.max(id)));
            match decode(row) {
                Ok(record) => page.records.push(record),
                Err(reason) => {
                    let kind = row.get::<_, String>(3).unwrap_or_default();
                    tracing::warn!(
                        id = id.0,
                        kind,
                        "skipping an event this build cannot read: {reason}"
                    );
                    page.skipped.push(SkippedRow { id, kind, reason });
                }
            }
        }
        if newest_first {
            page.records.reverse();
            page.skipped.reverse();
        }
        Ok(page)
    }

    /// The decisions viewers queued for `run`'s approvals, oldest first, carried out or not
    /// (a resumed run applies those whose approval still waits: the owner that took the
    /// command may have died before its decision was recorded).
    pub fn queued_decisions(
        &self,
        run: RunId,
    ) -> Result<Vec<(ApprovalId, crate::protocol::Decision)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM commands ORDER BY id")
            .map_err(|e| self.err(e))?;
        let bodies = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(bodies
            .iter()
            .filter_map(|b| serde_json::from_str::<crate::protocol::Command>(b).ok())
            .filter_map(|c| match c {
                crate::protocol::Command::DecideApproval {
                    run: r,
                    approval,
                    decision,
                } if r == run => Some((approval, decision)),
                _ => None,
            })
            .collect())
    }

    /// What a resume needs of `run`: every event except the log-pane chatter (log lines and
    /// streamed deltas), oldest first, and the run's last event id. Rows this build cannot
    /// read are skipped with a warning.
    pub fn journal_events(&self, run: RunId) -> Result<(Vec<Record>, EventId), StoreError> {
        let page = self.page(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE run_id = ?1
                 AND kind NOT IN ('log_line', 'llm_delta', 'tool_output_delta') ORDER BY id"
            ),
            params![run.0],
            false,
        )?;
        let last = self
            .conn
            .query_row(
                "SELECT coalesce(max(id), 0) FROM events WHERE run_id = ?1",
                params![run.0],
                |r| r.get(0),
            )
            .map(EventId)
            .map_err(|e| self.err(e))?;
        Ok((page.records, last))
    }

    /// How an approval stands: `pending`, `approved` or `denied`; `None` when the run never
    /// asked for it.
    pub fn approval_status(
        &self,
        run: RunId,
        approval: ApprovalId,
    ) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT status FROM approvals WHERE run_id = ?1 AND id = ?2",
                params![run.0, approval.0],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The connection, for the other tables' readers in this module's siblings.
    pub(super) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(super) fn err(&self, e: rusqlite::Error) -> StoreError {
        schema::classify(&self.path, e)
    }
}

const RUN_SELECT: &str =
    "SELECT r.id, r.goal, r.repo, r.state, r.summary, r.started_at, r.finished_at,
        (SELECT coalesce(sum(input_tokens + output_tokens), 0) FROM agents a WHERE a.run_id = r.id),
        (SELECT coalesce(sum(cost_usd), 0) FROM agents a WHERE a.run_id = r.id)
     FROM runs r";

fn run_row(r: &Row<'_>) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: RunId(r.get(0)?),
        goal: r.get(1)?,
        repo: r.get(2)?,
        state: from_tag(&r.get::<_, String>(3)?).unwrap_or(RunState::Failed),
        summary: r.get(4)?,
        started_at: Millis(r.get(5)?),
        finished_at: r.get::<_, Option<i64>>(6)?.map(Millis),
        tokens: r.get::<_, i64>(7)?.max(0) as u64,
        cost_usd: r.get(8)?,
    })
}

/// Decodes one `EVENT_COLUMNS` row; the body is read as bytes so invalid UTF-8 is a skip.
fn decode(row: &Row<'_>) -> Result<Record, String> {
    let id = EventId(row.get(0).map_err(|e| e.to_string())?);
    let run = RunId(row.get(1).map_err(|e| e.to_string())?);
    let at = Millis(row.get(2).map_err(|e| e.to_string())?);
    let body: Vec<u8> = row.get(4).map_err(|e| e.to_string())?;
    let event: Event = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
    Ok(Record { id, run, at, event })
}
