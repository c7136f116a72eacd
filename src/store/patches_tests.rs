//! The patches table through the real writer and a real file: the projection of each patch
//! event, listing, loading with the diff, id allocation, and a damaged row.

use super::*;
use crate::paths::RepoPaths;
use crate::protocol::Event;
use crate::store::{OwnedStore, StoreOptions};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(5);

fn diff(n: usize) -> String {
    let mut text =
        String::from("diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1,2 +1,2 @@\n");
    for i in 0..n {
        text.push_str(&format!("-old line {i}\n+new line {i}\n"));
    }
    text
}

fn proposed(id: i64, lines: usize) -> Event {
    Event::PatchProposed {
        patch: PatchId(id),
        task: Some(TaskId(4)),
        agent: AgentId(2),
        files: vec!["a.txt".into()],
        diff: diff(lines),
    }
}

/// Writes `events` to run 1 (and `other` to run 2) and returns a reader of the file.
fn store_with(events: Vec<Event>, other: Vec<Event>) -> (tempfile::TempDir, Reader) {
    let dir = tempfile::tempdir().unwrap();
    let paths = RepoPaths::new(dir.path()).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    for event in events {
        owned.store.append_blocking(RunId(1), event).unwrap();
    }
    for event in other {
        owned.store.append_blocking(RunId(2), event).unwrap();
    }
    owned.close().unwrap();
    let reader = Reader::open(&paths.db, WAIT).unwrap();
    (dir, reader)
}

#[test]
fn a_patch_goes_from_proposed_to_rolled_back() {
    let judged = Event::PatchJudged {
        patch: PatchId(1),
        verified: true,
        reason: "test_dates passes; 14 others still pass".into(),
    };
    let applied = Event::PatchApplied {
        patch: PatchId(1),
        files: vec!["a.txt".into()],
    };
    let rolled = Event::PatchRolledBack { patch: PatchId(1) };
    let steps = [
        (vec![proposed(1, 3)], PatchState::Proposed),
        (vec![proposed(1, 3), judged.clone()], PatchState::Verified),
        (
            vec![proposed(1, 3), judged.clone(), applied.clone()],
            PatchState::Applied,
        ),
        (
            vec![proposed(1, 3), judged.clone(), applied, rolled],
            PatchState::RolledBack,
        ),
    ];
    for (events, state) in steps {
        let (_dir, reader) = store_with(events, Vec::new());
        let row = reader.patch(PatchId(1)).unwrap().unwrap();
        assert_eq!(row.state, state);
        assert_eq!(row.diff.as_deref(), Some(diff(3).as_str()));
        assert_eq!(
            (row.added, row.removed, row.bytes),
            (3, 3, diff(3).len() as u64)
        );
        assert_eq!(
            (row.run, row.task, row.agent),
            (RunId(1), Some(TaskId(4)), AgentId(2))
        );
        assert_eq!(row.files, ["a.txt"]);
        assert_eq!(
            row.applied_at.is_some(),
            matches!(state, PatchState::Applied | PatchState::RolledBack)
        );
        assert_eq!(
            row.rolled_back_at.is_some(),
            state == PatchState::RolledBack
        );
        if state != PatchState::Proposed {
            assert_eq!(row.reason, "test_dates passes; 14 others still pass");
        }
    }
}

#[test]
fn a_late_verdict_does_not_undo_an_apply_and_a_rejection_keeps_its_reason() {
    let (_dir, reader) = store_with(
        vec![
            proposed(1, 1),
            Event::PatchApplied {
                patch: PatchId(1),
                files: Vec::new(),
            },
            Event::PatchJudged {
                patch: PatchId(1),
                verified: false,
                reason: "late".into(),
            },
            proposed(2, 1),
            Event::PatchJudged {
                patch: PatchId(2),
                verified: false,
                reason: "test_x still fails".into(),
            },
            // Rolling back a patch that was never applied changes nothing.
            Event::PatchRolledBack { patch: PatchId(2) },
        ],
        Vec::new(),
    );
    assert_eq!(
        reader.patch(PatchId(1)).unwrap().unwrap().state,
        PatchState::Applied
    );
    let rejected = reader.patch(PatchId(2)).unwrap().unwrap();
    assert_eq!(
        (rejected.state, rejected.reason.as_str()),
        (PatchState::Rejected, "test_x still fails")
    );
    assert_eq!(rejected.rolled_back_at, None);
}

#[test]
fn listing_is_newest_first_per_run_without_diffs_and_ids_come_from_the_max() {
    let (_dir, reader) = store_with(Vec::new(), Vec::new());
    assert_eq!(reader.max_patch_id().unwrap(), PatchId(0));
    assert!(reader.patches(None, 10).unwrap().is_empty());
    assert_eq!(reader.patch(PatchId(1)).unwrap(), None);

    let (_dir, reader) = store_with(vec![proposed(1, 1), proposed(3, 2)], vec![proposed(2, 5)]);
    let all: Vec<i64> = reader
        .patches(None, 10)
        .unwrap()
        .iter()
        .map(|p| p.id.0)
        .collect();
    assert_eq!(all, [3, 2, 1]);
    let run1 = reader.patches(Some(RunId(1)), 10).unwrap();
    assert_eq!(run1.iter().map(|p| p.id.0).collect::<Vec<_>>(), [3, 1]);
    assert!(run1.iter().all(|p| p.diff.is_none()));
    assert_eq!(reader.patches(None, 1).unwrap().len(), 1);
    assert_eq!(reader.max_patch_id().unwrap(), PatchId(3));
}

#[test]
fn the_diff_is_stored_compressed() {
    let (dir, reader) = store_with(vec![proposed(1, 2000)], Vec::new());
    let row = reader.patch(PatchId(1)).unwrap().unwrap();
    assert_eq!(row.diff.unwrap(), diff(2000));
    let conn = rusqlite::Connection::open(dir.path().join(".warroom/state.db")).unwrap();
    let stored: i64 = conn
        .query_row("SELECT length(diff) FROM patches WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(
        stored * 4 < row.bytes as i64,
        "{stored} bytes stored for {}",
        row.bytes
    );
}

#[test]
fn a_damaged_row_is_an_error_naming_the_patch() {
    let (dir, reader) = store_with(vec![proposed(5, 1), proposed(6, 1)], Vec::new());
    {
        let conn = rusqlite::Connection::open(dir.path().join(".warroom/state.db")).unwrap();
        conn.execute("UPDATE patches SET diff = x'00112233' WHERE id = 5", [])
            .unwrap();
        conn.execute("UPDATE patches SET state = 'sideways' WHERE id = 6", [])
            .unwrap();
    }
    let err = reader.patch(PatchId(5)).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("patch 5: its diff does not decompress"),
        "{err}"
    );
    let err = reader.patch(PatchId(6)).unwrap_err();
    assert!(
        err.to_string()
            .contains("patch 6: unknown state \"sideways\""),
        "{err}"
    );
    assert!(reader.patches(None, 10).is_err());
    {
        let conn = rusqlite::Connection::open(dir.path().join(".warroom/state.db")).unwrap();
        conn.execute("UPDATE patches SET state = 'proposed' WHERE id = 6", [])
            .unwrap();
    }
    // A listing does not read the diff, so patch 5 still lists.
    let ids: Vec<i64> = reader
        .patches(None, 10)
        .unwrap()
        .iter()
        .map(|p| p.id.0)
        .collect();
    assert_eq!(ids, [6, 5]);
}
