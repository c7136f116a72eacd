//! Store tests against real temp files: round trips, batching, reopening, migrations, refusals.

use super::*;
use crate::protocol::*;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

fn repo() -> (tempfile::TempDir, RepoPaths) {
    let dir = tempfile::tempdir().unwrap();
    let paths = RepoPaths::new(dir.path()).unwrap();
    (dir, paths)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn log(agent: Option<u32>, level: LogLevel, text: &str) -> Event {
    Event::LogLine {
        agent: agent.map(AgentId),
        level,
        text: text.into(),
    }
}

fn reader(paths: &RepoPaths) -> Reader {
    Reader::open(&paths.db, WAIT).unwrap()
}

#[test]
fn events_round_trip_through_the_file_with_contiguous_ids() {
    let (_dir, paths) = repo();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let store = owned.store.clone();
    let events: Vec<Event> = (0..100)
        .map(|i| log(Some(i % 3), LogLevel::Info, &format!("line {i}")))
        .collect();
    let run = rt().block_on(async {
        let run = store.create_run("fix it", "/repo").await.unwrap();
        for event in &events {
            store.append(run, event.clone()).await.unwrap();
        }
        store.flush().await.unwrap();
        run
    });
    let page = reader(&paths)
        .events_after(Some(run), EventId(0), 1000)
        .unwrap();
    assert_eq!(page.records.len(), 101);
    assert!(page.skipped.is_empty());
    let ids: Vec<i64> = page.records.iter().map(|r| r.id.0).collect();
    assert_eq!(ids, (1..=101).collect::<Vec<_>>());
    assert_eq!(
        page.records[0].event,
        Event::RunStarted {
            goal: "fix it".into(),
            repo: "/repo".into()
        }
    );
    let stored: Vec<Event> = page.records[1..].iter().map(|r| r.event.clone()).collect();
    assert_eq!(stored, events);
    owned.close().unwrap();
}

#[test]
fn appends_are_batched_by_count_and_by_delay() {
    let (_dir, paths) = repo();
    let options = StoreOptions {
        batch_max_events: 10,
        batch_max_delay: Duration::from_millis(200),
        ..StoreOptions::default()
    };
    let owned = OwnedStore::open(&paths, options).unwrap();
    let store = owned.store.clone();
    let mut sub = store.subscribe();
    let run = RunId(1);
    for i in 0..25 {
        store
            .append_blocking(run, log(None, LogLevel::Info, &i.to_string()))
            .unwrap();
    }
    let sizes: Vec<usize> = (0..3).map(|_| sub.blocking_recv().unwrap().len()).collect();
    // Two full batches, then the remaining five once the delay has passed.
    assert_eq!(sizes, vec![10, 10, 5]);
    owned.close().unwrap();
}

#[test]
fn reopening_continues_ids_and_keeps_everything() {
    let (_dir, paths) = repo();
    let run = {
        let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
        let run = rt().block_on(owned.store.create_run("a", "/r")).unwrap();
        owned
            .store
            .append_blocking(run, log(None, LogLevel::Warn, "before"))
            .unwrap();
        owned.close().unwrap();
        run
    };
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let second = rt().block_on(owned.store.create_run("b", "/r")).unwrap();
    assert_eq!(second.0, run.0 + 1);
    owned
        .store
        .append_blocking(second, log(None, LogLevel::Warn, "after"))
        .unwrap();
    owned.close().unwrap();
    let page = reader(&paths).events_after(None, EventId(0), 100).unwrap();
    let ids: Vec<i64> = page.records.iter().map(|r| r.id.0).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    let runs = reader(&paths).runs(10).unwrap();
    assert_eq!(
        runs.iter().map(|r| r.goal.as_str()).collect::<Vec<_>>(),
        ["b", "a"]
    );
}

#[test]
fn an_older_schema_is_migrated_without_losing_rows() {
    let (_dir, paths) = repo();
    paths.ensure_dir().unwrap();
    {
        let conn = rusqlite::Connection::open(&paths.db).unwrap();
        schema::migrate_from(&paths.db, &conn, 0, 1).unwrap();
        conn.execute(
            "INSERT INTO runs(id, goal, repo, state, started_at) VALUES (1, 'old', '/r', 'done', 5)",
            [],
        )
        .unwrap();
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, 1);
    }
    // A viewer refuses a file its owner has not upgraded yet.
    let err = Reader::open(&paths.db, WAIT).err().unwrap();
    assert!(
        matches!(err, StoreError::OlderSchema { found: 1, .. }),
        "{err}"
    );
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    owned.close().unwrap();
    let reader = reader(&paths);
    assert_eq!(reader.runs(5).unwrap()[0].goal, "old");
    assert!(reader.memory(5).unwrap().is_empty());
}

#[test]
fn a_newer_schema_is_refused_by_name() {
    let (_dir, paths) = repo();
    paths.ensure_dir().unwrap();
    {
        let conn = rusqlite::Connection::open(&paths.db).unwrap();
        conn.execute_batch("CREATE TABLE future(x); PRAGMA user_version = 99;")
            .unwrap();
    }
    let err = OwnedStore::open(&paths, StoreOptions::default()).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, StoreError::NewerSchema { found: 99, .. }));
    assert!(
        message.contains("state.db") && message.contains("99"),
        "{message}"
    );
    // Nothing was changed.
    let conn = rusqlite::Connection::open(&paths.db).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 99);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    let (_dir, paths) = repo();
    paths.ensure_dir().unwrap();
    let junk = "this is a text file, not a database\n".repeat(200);
    std::fs::write(&paths.db, &junk).unwrap();
    let err = OwnedStore::open(&paths, StoreOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("not an SQLite file"));
    assert_eq!(std::fs::read_to_string(&paths.db).unwrap(), junk);
    let err = Reader::open(&paths.db, WAIT).err().unwrap();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
}

#[test]
fn a_corrupt_file_is_reported_as_corrupt() {
    let (_dir, paths) = repo();
    {
        let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
        let run = rt().block_on(owned.store.create_run("x", "/r")).unwrap();
        for i in 0..2000 {
            owned
                .store
                .append_blocking(run, log(None, LogLevel::Info, &format!("{i:0>200}")))
                .unwrap();
        }
        owned.close().unwrap();
    }
    // Keep the header (so it is still "SQLite") but scribble over the schema page and beyond.
    let mut bytes = std::fs::read(&paths.db).unwrap();
    assert!(bytes.len() > 64 * 1024);
    for b in &mut bytes[100..60_000] {
        *b = 0xA5;
    }
    std::fs::write(&paths.db, &bytes).unwrap();
    let err = OwnedStore::open(&paths, StoreOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Corrupt { .. } | StoreError::NotADatabase { .. }
        ),
        "{err}"
    );
}

#[test]
fn a_second_owner_is_refused_naming_the_first() {
    let (_dir, paths) = repo();
    let first = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let err = OwnedStore::open(&paths, StoreOptions::default()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!("pid {}", std::process::id())),
        "{message}"
    );
    assert!(message.contains("warroom watch"), "{message}");
    assert!(matches!(probe_owner(&paths.lock), OwnerState::Alive { .. }));
    first.close().unwrap();
    assert_eq!(probe_owner(&paths.lock), OwnerState::NoOwner);
    OwnedStore::open(&paths, StoreOptions::default())
        .unwrap()
        .close()
        .unwrap();
}

#[test]
fn the_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, paths) = repo();
    OwnedStore::open(&paths, StoreOptions::default())
        .unwrap()
        .close()
        .unwrap();
    let mode = std::fs::metadata(&paths.db).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {:o}", mode & 0o777);
    let mode = std::fs::metadata(&paths.lock).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn unknown_kinds_and_broken_bodies_are_skipped_not_fatal() {
    let (_dir, paths) = repo();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let run = rt().block_on(owned.store.create_run("x", "/r")).unwrap();
    owned.store.flush_blocking().unwrap();
    {
        let conn = rusqlite::Connection::open(&paths.db).unwrap();
        conn.execute(
            "INSERT INTO events(id, run_id, at, kind, level, body) VALUES (2, ?1, 0, 'from_the_future', 1, '{\"kind\":\"from_the_future\"}')",
            [run.0],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO events(id, run_id, at, kind, level, body) VALUES (3, ?1, 0, 'log_line', 1, CAST(X'FFFE00' AS TEXT))",
            [run.0],
        )
        .unwrap();
    }
    owned.close().unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    owned
        .store
        .append_blocking(run, log(None, LogLevel::Info, "still fine"))
        .unwrap();
    owned.close().unwrap();
    let page = reader(&paths)
        .events_after(Some(run), EventId(0), 100)
        .unwrap();
    assert_eq!(page.records.len(), 2);
    assert_eq!(page.records[1].id, EventId(4));
    assert_eq!(page.skipped.len(), 2);
    assert_eq!(page.skipped[0].kind, "from_the_future");
    assert_eq!(page.last_id, Some(EventId(4)));
    let logs = reader(&paths)
        .log_lines(run, LogFilter::default(), None, 10)
        .unwrap();
    assert_eq!(logs.records.len(), 2, "run started and the line after");
    assert_eq!(logs.skipped.len(), 2);
}

#[test]
fn a_one_megabyte_line_is_stored_whole() {
    let (_dir, paths) = repo();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let run = rt().block_on(owned.store.create_run("x", "/r")).unwrap();
    let big = "é".repeat(512 * 1024);
    owned
        .store
        .append_blocking(run, log(None, LogLevel::Info, &big))
        .unwrap();
    owned.close().unwrap();
    let page = reader(&paths)
        .log_lines(run, LogFilter::default(), None, 1)
        .unwrap();
    match &page.records[0].event {
        Event::LogLine { text, .. } => assert_eq!(text.len(), big.len()),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn log_lines_page_backwards_with_filters() {
    let (_dir, paths) = repo();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let run = rt().block_on(owned.store.create_run("x", "/r")).unwrap();
    for i in 0..50u32 {
        let level = if i % 5 == 0 {
            LogLevel::Error
        } else {
            LogLevel::Info
        };
        owned
            .store
            .append_blocking(run, log(Some(i % 2), level, &i.to_string()))
            .unwrap();
        // Not a log-pane line: never returned by log_lines.
        owned
            .store
            .append_blocking(
                run,
                Event::TaskProgressed {
                    task: TaskId(1),
                    progress: 0.5,
                },
            )
            .unwrap();
    }
    owned.close().unwrap();
    let reader = reader(&paths);
    let text = |page: &Page| -> Vec<String> {
        page.records
            .iter()
            .filter_map(|r| match &r.event {
                Event::LogLine { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    };
    let newest = reader
        .log_lines(run, LogFilter::default(), None, 5)
        .unwrap();
    assert_eq!(text(&newest), ["45", "46", "47", "48", "49"]);
    let before = reader
        .log_lines(run, LogFilter::default(), Some(newest.records[0].id), 3)
        .unwrap();
    assert_eq!(text(&before), ["42", "43", "44"]);
    let agent1 = LogFilter {
        agent: Some(AgentId(1)),
        min_level: None,
        ..LogFilter::default()
    };
    assert_eq!(
        text(&reader.log_lines(run, agent1, None, 3).unwrap()),
        ["45", "47", "49"]
    );
    let errors = LogFilter {
        agent: None,
        min_level: Some(LogLevel::Error),
        ..LogFilter::default()
    };
    assert_eq!(
        text(&reader.log_lines(run, errors, None, 3).unwrap()),
        ["35", "40", "45"]
    );
}

#[test]
fn projections_follow_the_events() {
    let (_dir, paths) = repo();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let s = owned.store.clone();
    let run = rt().block_on(s.create_run("goal", "/r")).unwrap();
    let events = [
        Event::AgentSpawned {
            agent: AgentId(0),
            parent: None,
            role: "planner".into(),
            model: "m".into(),
        },
        Event::AgentStatusChanged {
            agent: AgentId(0),
            status: AgentStatus::Thinking,
            task: Some(TaskId(1)),
        },
        Event::AgentUsageUpdated {
            agent: AgentId(0),
            input_tokens: 100,
            output_tokens: 20,
            cost_usd: 0.25,
        },
        Event::TaskCreated {
            task: TaskId(1),
            parent: None,
            title: "t".into(),
            deps: vec![TaskId(7)],
            owner: Some(AgentId(0)),
        },
        Event::TaskStatusChanged {
            task: TaskId(1),
            status: TaskStatus::Running,
            attempt: 2,
        },
        Event::TaskProgressed {
            task: TaskId(1),
            progress: 0.5,
        },
        Event::ApprovalRequested {
            approval: ApprovalId(1),
            agent: AgentId(0),
            subject: ApprovalSubject::Command {
                command: "curl x".into(),
                reason: "network".into(),
            },
        },
        Event::ApprovalRequested {
            approval: ApprovalId(2),
            agent: AgentId(0),
            subject: ApprovalSubject::Command {
                command: "rm -rf build".into(),
                reason: "outside".into(),
            },
        },
        Event::ApprovalDecided {
            approval: ApprovalId(2),
            decision: Decision::Approved,
            by: "owner".into(),
        },
        Event::ApprovalDecided {
            approval: ApprovalId(2),
            decision: Decision::Denied {
                reason: "late".into(),
            },
            by: "viewer".into(),
        },
        Event::MemoryWritten {
            memory: MemoryId(1),
            memory_kind: MemoryKind::RepoFact,
            text: "tests run with cargo test".into(),
            agent: Some(AgentId(0)),
            task: None,
        },
        Event::MemoryWritten {
            memory: MemoryId(2),
            memory_kind: MemoryKind::RepoFact,
            text: "forget me".into(),
            agent: None,
            task: None,
        },
        Event::MemoryForgotten {
            memory: MemoryId(2),
        },
        Event::ChatMessagePosted {
            role: ChatRole::User,
            text: "hello".into(),
        },
        Event::RunStateChanged {
            state: RunState::Working,
            reason: String::new(),
        },
    ];
    for event in events {
        s.append_blocking(run, event).unwrap();
    }
    owned.close().unwrap();
    let snap = reader(&paths).snapshot(run, 100).unwrap().unwrap();
    assert_eq!(snap.run.state, RunState::Working);
    assert_eq!(snap.run.tokens, 120);
    assert_eq!(snap.agents[0].status, AgentStatus::Thinking);
    assert_eq!(snap.agents[0].task, Some(TaskId(1)));
    assert_eq!(snap.tasks[0].deps, vec![TaskId(7)]);
    assert_eq!(
        (snap.tasks[0].status, snap.tasks[0].attempts),
        (TaskStatus::Running, 2)
    );
    assert_eq!(snap.tasks[0].progress, 0.5);
    assert_eq!(
        snap.approvals.len(),
        1,
        "the decided approval is no longer pending"
    );
    assert_eq!(snap.memory.len(), 1);
    assert_eq!(snap.chat.records.len(), 1);
    assert_eq!(snap.last_event, EventId(16));
    let conn = rusqlite::Connection::open(&paths.db).unwrap();
    let (status, by): (String, String) = conn
        .query_row(
            "SELECT status, decided_by FROM approvals WHERE id = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (status.as_str(), by.as_str()),
        ("approved", "owner"),
        "the first decision wins"
    );
    let hits: i64 = conn
        .query_row(
            "SELECT count(*) FROM memory_fts WHERE memory_fts MATCH 'cargo'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(hits, 1, "FTS5 indexes memory");
}

#[test]
fn viewer_commands_are_taken_once() {
    let (_dir, paths) = repo();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let command = Command::CancelRun { run: RunId(1) };
    queue_command(&paths, &command, "attach pid 1", WAIT).unwrap();
    {
        let conn = rusqlite::Connection::open(&paths.db).unwrap();
        conn.execute(
            "INSERT INTO commands(body, sender, created_at) VALUES ('{\"command\":\"nope\"}', 'x', 0)",
            [],
        )
        .unwrap();
    }
    let rt = rt();
    let taken = rt.block_on(owned.store.take_commands()).unwrap();
    assert_eq!(taken.len(), 2);
    assert_eq!(taken[0].as_ref().unwrap(), &command);
    assert!(taken[1].as_ref().unwrap_err().contains("not understood"));
    assert!(rt.block_on(owned.store.take_commands()).unwrap().is_empty());
    owned.close().unwrap();
}

#[test]
fn a_reader_follows_an_owner_and_still_reads_after_it_exits() {
    let (_dir, paths) = repo();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let run = rt().block_on(owned.store.create_run("x", "/r")).unwrap();
    owned.store.flush_blocking().unwrap();
    let reader = reader(&paths);
    let before = reader.data_version().unwrap();
    owned
        .store
        .append_blocking(run, log(None, LogLevel::Info, "new"))
        .unwrap();
    owned.store.flush_blocking().unwrap();
    assert_ne!(reader.data_version().unwrap(), before);
    assert_eq!(
        reader
            .events_after(None, EventId(1), 10)
            .unwrap()
            .records
            .len(),
        1
    );
    owned.close().unwrap();
    drop(reader);
    let reader = Reader::open(&paths.db, WAIT).unwrap();
    assert_eq!(
        reader
            .events_after(None, EventId(0), 10)
            .unwrap()
            .records
            .len(),
        2
    );
}

/// Makes a file immutable (root ignores permission bits, so chmod cannot make it read-only)
/// and undoes it on drop so the temp dir can be removed.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn set(path: &std::path::Path) -> Option<Immutable> {
        let ok = std::process::Command::new("chattr")
            .arg("+i")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Immutable(path.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-i")
            .arg(&self.0)
            .status();
    }
}

#[test]
fn a_read_only_file_is_refused_for_writing_and_loses_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, paths) = repo();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let run = rt()
        .block_on(owned.store.create_run("keep me", "/r"))
        .unwrap();
    owned.close().unwrap();
    std::fs::set_permissions(&paths.db, std::fs::Permissions::from_mode(0o400)).unwrap();
    let _guard = if std::fs::OpenOptions::new()
        .write(true)
        .open(&paths.db)
        .is_ok()
    {
        // Running as root: permission bits do not stop writes, the immutable flag does.
        match Immutable::set(&paths.db) {
            Some(guard) => Some(guard),
            None => {
                eprintln!("skipped: running as root and chattr +i is unavailable here");
                return;
            }
        }
    } else {
        None
    };
    let err = OwnedStore::open(&paths, StoreOptions::default()).unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
    assert!(err.to_string().contains("read-only"), "{err}");
    let reader = Reader::open(&paths.db, WAIT).unwrap();
    assert_eq!(reader.run(run).unwrap().unwrap().goal, "keep me");
}
