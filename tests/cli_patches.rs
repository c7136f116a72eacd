//! `warroom patches`, `warroom rollback`, `warroom approve` and `warroom deny` through the real
//! binary, on real git repositories whose state is written with the library's store.

// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use support::{TempRepo, git};
use warroom::core::patches;
use warroom::paths::RepoPaths;
use warroom::protocol::{
    AgentId, ApprovalId, ApprovalSubject, Decision, Event, EventId, PatchId, RunId,
};
use warroom::store::{OwnedStore, PatchState, Reader, StoreOptions};

const ORIGINAL: &str = "one\ntwo\nthree\n";

fn run(repo: &TempRepo, args: &[&str]) -> (bool, String, String) {
    let out = repo.command(args).output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A repository with one committed file and the diff that changes its second line.
fn repo_with_diff() -> (TempRepo, String) {
    let repo = TempRepo::new();
    std::fs::write(repo.repo.join("a.txt"), ORIGINAL).unwrap();
    git(&repo.repo, &["add", "-A"]);
    git(&repo.repo, &["commit", "-q", "-m", "start"]);
    std::fs::write(repo.repo.join("a.txt"), "one\nTWO\nthree\n").unwrap();
    let diff = git(&repo.repo, &["diff", "--no-color"]);
    git(&repo.repo, &["checkout", "--", "a.txt"]);
    (repo, diff)
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Opens the store as owner, creates run 1 and writes `events` to it.
fn owner_with(repo: &TempRepo, events: Vec<Event>) -> OwnedStore {
    let paths = RepoPaths::new(&repo.repo).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let run = rt()
        .block_on(
            owned
                .store
                .create_run("fix the second line", &repo.repo.display().to_string()),
        )
        .unwrap();
    assert_eq!(run, RunId(1));
    for event in events {
        owned.store.append_blocking(run, event).unwrap();
    }
    owned.store.flush_blocking().unwrap();
    owned
}

fn proposed(id: i64, diff: &str) -> Event {
    Event::PatchProposed {
        patch: PatchId(id),
        task: None,
        agent: AgentId(3),
        files: vec!["a.txt".into()],
        diff: diff.into(),
    }
}

fn applied(id: i64) -> Event {
    Event::PatchApplied {
        patch: PatchId(id),
        files: vec!["a.txt".into()],
    }
}

fn reader(repo: &TempRepo) -> Reader {
    Reader::open(
        &repo.repo.join(".warroom/state.db"),
        std::time::Duration::from_secs(5),
    )
    .unwrap()
}

fn read(repo: &TempRepo) -> String {
    std::fs::read_to_string(repo.repo.join("a.txt")).unwrap()
}

/// A patch really applied to the working tree, and recorded as such.
fn applied_patch(repo: &TempRepo, diff: &str) -> Vec<Event> {
    patches::apply(&repo.repo, diff).unwrap();
    vec![
        proposed(1, diff),
        Event::PatchJudged {
            patch: PatchId(1),
            verified: true,
            reason: "test_second_line passes\nand 3 more".into(),
        },
        applied(1),
    ]
}

#[test]
fn patches_lists_each_patch_with_its_state_counts_and_verdict() {
    let (repo, diff) = repo_with_diff();
    let (ok, _, err) = run(&repo, &["patches"]);
    assert!(!ok && err.contains("no warroom database"), "{err}");
    owner_with(&repo, Vec::new()).close().unwrap();
    let (ok, out, err) = run(&repo, &["patches"]);
    assert!(ok && out.starts_with("no patches yet"), "{out}{err}");

    let events = vec![
        proposed(1, &diff),
        Event::PatchJudged {
            patch: PatchId(1),
            verified: false,
            reason: "test_second_line still fails\ntraceback...".into(),
        },
        proposed(2, &diff),
    ];
    std::fs::remove_dir_all(repo.repo.join(".warroom")).unwrap();
    owner_with(&repo, events).close().unwrap();
    let (ok, out, err) = run(&repo, &["patches"]);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].contains("state") && lines[0].contains("verdict"),
        "{out}"
    );
    let cells = |line: &str| {
        line.split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        cells(lines[1])[..5],
        ["2", "1", "proposed", "a.txt", "+1/-1"],
        "{out}"
    );
    assert_eq!(
        cells(lines[2])[..5],
        ["1", "1", "rejected", "a.txt", "+1/-1"],
        "{out}"
    );
    assert!(lines[2].ends_with("test_second_line still fails"), "{out}");
    let (ok, out, _) = run(&repo, &["patches", "--limit", "1"]);
    assert!(ok && out.lines().count() == 2, "{out}");
    let (ok, _, err) = run(&repo, &["patches", "--run", "4"]);
    assert!(!ok && err.contains("no run 4"), "{err}");
}

#[test]
fn rollback_with_no_owner_restores_the_file_and_records_it() {
    let (repo, diff) = repo_with_diff();
    let events = applied_patch(&repo, &diff);
    owner_with(&repo, events).close().unwrap();
    assert_eq!(read(&repo), "one\nTWO\nthree\n");

    let (ok, out, err) = run(&repo, &["rollback", "1"]);
    assert!(ok, "{err}");
    assert!(out.contains("rolled back patch 1 (run 1): a.txt"), "{out}");
    assert_eq!(read(&repo), ORIGINAL);
    let reader = reader(&repo);
    let row = reader.patch(PatchId(1)).unwrap().unwrap();
    assert_eq!(row.state, PatchState::RolledBack);
    let last = reader
        .events_after(Some(RunId(1)), EventId(0), 100)
        .unwrap();
    assert_eq!(
        last.records.last().unwrap().event,
        Event::PatchRolledBack { patch: PatchId(1) }
    );
    // The lock was released: nothing still owns the repository.
    OwnedStore::open(
        &RepoPaths::new(&repo.repo).unwrap(),
        StoreOptions::default(),
    )
    .unwrap()
    .close()
    .unwrap();

    let (ok, _, err) = run(&repo, &["rollback", "1"]);
    assert!(
        !ok && err.contains("patch 1 is already rolled back"),
        "{err}"
    );
    let (ok, _, err) = run(&repo, &["rollback", "9"]);
    assert!(!ok && err.contains("no patch 9"), "{err}");
    assert_eq!(read(&repo), ORIGINAL);
}

#[test]
fn rollback_refuses_a_patch_that_is_not_applied_or_no_longer_fits() {
    let (repo, diff) = repo_with_diff();
    let mut events = applied_patch(&repo, &diff);
    events.push(proposed(2, &diff));
    owner_with(&repo, events).close().unwrap();
    let (ok, _, err) = run(&repo, &["rollback", "2"]);
    assert!(!ok && err.contains("patch 2 is only proposed"), "{err}");

    // The person edits the line the patch changed.
    std::fs::write(repo.repo.join("a.txt"), "one\nTwo, mine\nthree\n").unwrap();
    let (ok, _, err) = run(&repo, &["rollback", "1"]);
    assert!(!ok, "{err}");
    assert!(
        err.contains("nothing was changed")
            && err.contains("you changed a.txt since the patch was applied"),
        "{err}"
    );
    assert_eq!(read(&repo), "one\nTwo, mine\nthree\n");
    assert_eq!(
        reader(&repo).patch(PatchId(1)).unwrap().unwrap().state,
        PatchState::Applied
    );
}

#[test]
fn rollback_with_an_owner_running_is_queued_for_it() {
    let (repo, diff) = repo_with_diff();
    let events = applied_patch(&repo, &diff);
    let owned = owner_with(&repo, events);
    let (ok, out, err) = run(&repo, &["rollback", "1"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("queued: roll back patch 1")
            && out.contains(&format!("pid {}", std::process::id())),
        "{out}"
    );
    // The owner does the work: the working tree is untouched by the CLI.
    assert_eq!(read(&repo), "one\nTWO\nthree\n");
    let commands = rt().block_on(owned.store.take_commands()).unwrap();
    assert_eq!(
        commands,
        [Ok(warroom::protocol::Command::RollbackPatch {
            patch: PatchId(1)
        })]
    );
    owned.close().unwrap();
}

#[test]
fn approve_and_deny_queue_decisions_for_pending_approvals_only() {
    let (repo, diff) = repo_with_diff();
    let asked = |id: u32, subject: ApprovalSubject| Event::ApprovalRequested {
        approval: ApprovalId(id),
        agent: AgentId(2),
        subject,
    };
    let owned = owner_with(
        &repo,
        vec![
            asked(
                1,
                ApprovalSubject::Patch {
                    diff,
                    files: vec!["a.txt".into()],
                },
            ),
            asked(
                2,
                ApprovalSubject::Command {
                    command: "curl example.com".into(),
                    reason: "network".into(),
                },
            ),
            asked(
                3,
                ApprovalSubject::Command {
                    command: "make".into(),
                    reason: "no sandbox".into(),
                },
            ),
            Event::ApprovalDecided {
                approval: ApprovalId(3),
                decision: Decision::Approved,
                by: "owner".into(),
            },
        ],
    );
    let (ok, out, err) = run(&repo, &["approve", "1"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("queued: approve approval 1 of run 1 (apply a patch to a.txt)"),
        "{out}"
    );
    assert!(
        out.contains("the running warroom") && out.contains("first decision wins"),
        "{out}"
    );
    let (ok, out, err) = run(
        &repo,
        &["deny", "2", "--run", "1", "--reason", "no network, please"],
    );
    assert!(
        ok && out.contains("queued: deny approval 2 of run 1 (run `curl example.com`)"),
        "{out}{err}"
    );

    let (ok, _, err) = run(&repo, &["approve", "3"]);
    assert!(
        !ok && err.contains("approval 3 of run 1 is already approved"),
        "{err}"
    );
    let (ok, _, err) = run(&repo, &["deny", "9"]);
    assert!(
        !ok && err.contains("run 1 has no approval 9; pending ones: 1, 2"),
        "{err}"
    );
    let (ok, _, err) = run(&repo, &["approve", "1", "--run", "5"]);
    assert!(!ok && err.contains("no run 5"), "{err}");

    use warroom::protocol::Command as C;
    let commands = rt().block_on(owned.store.take_commands()).unwrap();
    assert_eq!(
        commands,
        [
            Ok(C::DecideApproval {
                run: RunId(1),
                approval: ApprovalId(1),
                decision: Decision::Approved
            }),
            Ok(C::DecideApproval {
                run: RunId(1),
                approval: ApprovalId(2),
                decision: Decision::Denied {
                    reason: "no network, please".into()
                }
            }),
        ]
    );
    owned.close().unwrap();
    // With no owner running, the decision waits for the next one, and the CLI says so.
    let (ok, out, err) = run(&repo, &["approve", "1"]);
    assert!(ok && out.contains("no warroom is running"), "{out}{err}");
}
