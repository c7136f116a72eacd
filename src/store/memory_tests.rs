//! Memory search through the real writer and a real file: safe FTS terms, BM25 with pinned
//! entries first, forgotten entries left out, listing, provenance, vectors (cosine top-k, a
//! corrupt row skipped by name) and the cross-run chat history.

use super::*;
use crate::paths::RepoPaths;
use crate::protocol::{ChatRole, Event, MemoryKind};
use crate::store::{OwnedStore, StoreOptions};

const WAIT: Duration = Duration::from_secs(5);

fn written(id: i64, kind: MemoryKind, text: &str) -> Event {
    Event::MemoryWritten {
        memory: MemoryId(id),
        memory_kind: kind,
        text: text.into(),
        agent: Some(AgentId(2)),
        task: Some(TaskId(3)),
    }
}

/// Writes `events` to run 1 and returns the folder, the db path and a reader.
fn store_with(events: Vec<Event>) -> (tempfile::TempDir, PathBuf, Reader) {
    let dir = tempfile::tempdir().unwrap();
    let paths = RepoPaths::new(dir.path()).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    for event in events {
        owned.store.append_blocking(RunId(1), event).unwrap();
    }
    owned.close().unwrap();
    let reader = Reader::open(&paths.db, WAIT).unwrap();
    (dir, paths.db, reader)
}

#[test]
fn fts_query_quotes_every_word_and_adds_the_phrase() {
    assert_eq!(fts_query("  "), None);
    assert_eq!(fts_query("\"*()-:"), None);
    assert_eq!(fts_query("pytest"), Some("\"pytest\"".into()));
    assert_eq!(
        fts_query("NameError: name 'x' is not"),
        Some("\"NameError\" OR \"name\" OR \"x\" OR \"not\" OR \"NameError name x is not\"".into())
    );
    assert_eq!(
        fts_query("x NEAR b"),
        Some("\"x\" OR \"NEAR\" OR \"b\" OR \"x NEAR b\"".into())
    );
    assert_eq!(
        fts_query("the"),
        Some("\"the\"".into()),
        "only stop words: kept"
    );
}

#[test]
fn syntax_characters_are_searched_as_text() {
    let (_dir, _db, reader) = store_with(vec![
        written(1, MemoryKind::RepoFact, "tests run with `pytest -q`"),
        written(
            2,
            MemoryKind::RepoFact,
            "NEAR the end of main.rs a panic happens",
        ),
    ]);
    for query in [
        "\"pytest",
        "pytest*",
        "NEAR(main panic)",
        "-q",
        "pytest: -q",
        "(((",
        "\"\"",
        "NOT AND OR",
        "col:pytest",
    ] {
        let hits = reader.memory_search(query, 10);
        assert!(hits.is_ok(), "{query:?}: {hits:?}");
    }
    let hits = reader.memory_search("NEAR(main panic)", 10).unwrap();
    assert_eq!(hits[0].entry.id, MemoryId(2));
    let hits = reader.memory_search("\"pytest*", 10).unwrap();
    assert_eq!(hits[0].entry.id, MemoryId(1));
}

#[test]
fn an_exact_signature_beats_loosely_related_text_and_pins_come_first() {
    let (_dir, _db, reader) = store_with(vec![
        written(
            1,
            MemoryKind::TaskSummary,
            "a name was not defined somewhere; the error went away after a rename",
        ),
        written(
            2,
            MemoryKind::ErrorResolution,
            "NameError: name 'RATES' is not defined -> renamed RATES to NIGHTLY_CENTS in booking.py",
        ),
        written(3, MemoryKind::RepoFact, "tests run with `pytest -q`"),
        written(
            4,
            MemoryKind::TaskSummary,
            "the error is defined in errors.py",
        ),
    ]);
    let hits = reader
        .memory_search("NameError: name 'RATES' is not defined", 10)
        .unwrap();
    let ids: Vec<i64> = hits.iter().map(|h| h.entry.id.0).collect();
    assert_eq!(ids[0], 2, "{hits:?}");
    assert!(!ids.contains(&3));
    assert!(hits[0].bm25 < hits[1].bm25);

    // Pin the loose one: it comes first; forget the exact one: it is gone.
    let dir = tempfile::tempdir().unwrap();
    let paths = RepoPaths::new(dir.path()).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    for event in [
        written(
            1,
            MemoryKind::TaskSummary,
            "a name was not defined somewhere",
        ),
        written(
            2,
            MemoryKind::ErrorResolution,
            "NameError: name 'RATES' is not defined",
        ),
        Event::MemoryPinned {
            memory: MemoryId(1),
            pinned: true,
        },
    ] {
        owned.store.append_blocking(RunId(1), event).unwrap();
    }
    owned.store.flush_blocking().unwrap();
    let reader = Reader::open(&paths.db, WAIT).unwrap();
    let hits = reader.memory_search("NameError RATES defined", 10).unwrap();
    assert_eq!(hits[0].entry.id, MemoryId(1));
    assert!(hits[0].entry.pinned);
    owned
        .store
        .append_blocking(
            RunId(1),
            Event::MemoryForgotten {
                memory: MemoryId(2),
            },
        )
        .unwrap();
    owned.close().unwrap();
    let hits = reader.memory_search("NameError RATES defined", 10).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].entry.id, MemoryId(1));
}

#[test]
fn list_and_show_carry_provenance() {
    let (_dir, _db, reader) = store_with(vec![
        written(1, MemoryKind::RepoFact, "tests run with `cargo test`"),
        written(2, MemoryKind::TaskSummary, "fixed the parser"),
        Event::MemoryEdited {
            memory: MemoryId(2),
            text: "fixed the date parser".into(),
        },
        Event::MemoryFlagged {
            memory: MemoryId(1),
            reason: "Cargo.toml changed".into(),
        },
        written(3, MemoryKind::TaskSummary, "old news"),
        Event::MemoryForgotten {
            memory: MemoryId(3),
        },
    ]);
    let facts = reader.memory_list(Some("repo_fact"), false, 10).unwrap();
    assert_eq!(facts.len(), 1);
    let all = reader.memory_list(None, false, 10).unwrap();
    assert_eq!(
        all.iter().map(|e| e.id.0).collect::<Vec<_>>(),
        vec![2, 1],
        "newest first, forgotten left out"
    );
    assert_eq!(reader.memory_list(None, true, 10).unwrap().len(), 3);
    let edited = reader.memory_entry(MemoryId(2)).unwrap().unwrap();
    assert_eq!(edited.text, "fixed the date parser");
    assert!(edited.edited_at.is_some());
    assert_eq!(edited.run, Some(RunId(1)));
    assert_eq!(edited.task, Some(TaskId(3)));
    assert_eq!(edited.agent, Some(AgentId(2)));
    assert!(edited.source_event.is_some());
    let flagged = reader.memory_entry(MemoryId(1)).unwrap().unwrap();
    assert_eq!(flagged.flagged.as_deref(), Some("Cargo.toml changed"));
    assert!(
        reader
            .memory_entry(MemoryId(3))
            .unwrap()
            .unwrap()
            .forgotten_at
            .is_some()
    );
    assert_eq!(reader.memory_entry(MemoryId(9)).unwrap(), None);
    assert_eq!(reader.max_memory_id().unwrap(), MemoryId(3));
    // The edited text is what FTS finds now.
    assert_eq!(reader.memory_search("date", 5).unwrap().len(), 1);
}

#[test]
fn vectors_rank_by_cosine_and_a_corrupt_row_is_skipped_by_name() {
    let (_dir, db, reader) = store_with(vec![
        written(1, MemoryKind::TaskSummary, "one"),
        written(2, MemoryKind::TaskSummary, "two"),
        written(3, MemoryKind::TaskSummary, "three"),
        written(4, MemoryKind::TaskSummary, "four"),
    ]);
    let mut writer = VectorWriter::open(&db, WAIT).unwrap();
    writer
        .put_all(
            "m",
            &[
                (MemoryId(1), vec![1.0, 0.0, 0.0]),
                (MemoryId(2), vec![0.7, 0.7, 0.0]),
                (MemoryId(3), vec![0.0, 0.0, 1.0]),
            ],
        )
        .unwrap();
    writer.put(MemoryId(4), "other-model", &[1.0, 0.0]).unwrap();
    // A row whose blob disagrees with its dim.
    writer
        .conn
        .execute(
            "INSERT INTO memory_vectors(memory_id, model, dim, vector) VALUES (9, 'm', 3, x'0000')",
            [],
        )
        .unwrap();
    writer
        .conn
        .execute(
            "INSERT INTO memory(id, kind, text, created_at) VALUES (9, 'task_summary', 'nine', 0)",
            [],
        )
        .unwrap();
    assert_eq!(
        reader
            .memory_without_vectors("m", 10)
            .unwrap()
            .iter()
            .map(|(id, _)| id.0)
            .collect::<Vec<_>>(),
        vec![4]
    );
    let index = VectorIndex::load(&reader, "m").unwrap();
    assert_eq!(index.len(), 3);
    assert_eq!(index.dim(), 3);
    assert_eq!(index.skipped.len(), 1);
    assert!(index.skipped[0].contains("memory 9"), "{:?}", index.skipped);
    assert!(index.skipped[0].contains("2 bytes"), "{:?}", index.skipped);
    let found = index.top_k(&[1.0, 0.1, 0.0], 2);
    assert_eq!(
        found.hits.iter().map(|(id, _)| id.0).collect::<Vec<_>>(),
        vec![1, 2]
    );
    assert!(found.hits[0].1 > 0.99);
    let wrong = index.top_k(&[1.0, 0.0], 2);
    assert!(wrong.hits.is_empty());
    assert!(wrong.skipped.iter().any(|s| s.contains("2 values")));
    writer.remove(MemoryId(1)).unwrap();
    assert_eq!(VectorIndex::load(&reader, "m").unwrap().len(), 2);
}

#[test]
fn chat_history_spans_runs_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let paths = RepoPaths::new(dir.path()).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    for (run, text) in [(1, "first"), (1, "second"), (2, "third")] {
        let event = Event::ChatMessagePosted {
            role: ChatRole::User,
            text: text.into(),
        };
        owned.store.append_blocking(RunId(run), event).unwrap();
    }
    owned.close().unwrap();
    let reader = Reader::open(&paths.db, WAIT).unwrap();
    let page = reader.chat_history(2).unwrap();
    let texts: Vec<String> = page
        .records
        .iter()
        .filter_map(|r| match &r.event {
            Event::ChatMessagePosted { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["second", "third"]);
}

#[test]
fn the_rarest_words_are_searched_within_the_budget() {
    let docs = |w: &str| match w {
        "error" => 5000,
        "test" => 2500,
        "booking" => 600,
        _ => 1,
    };
    let planned = fts::plan(&["error", "RATES", "test", "booking"], &docs).unwrap();
    assert_eq!(
        planned.query, "\"RATES\" OR \"booking\" OR \"error RATES test booking\"",
        "RATES (1) and booking (600) fit; test (2500) would pass the budget after them"
    );
    assert!(planned.by_rank);
    let planned = fts::plan(&["error", "is", "the"], &docs).unwrap();
    assert_eq!(planned.query, "\"error\"");
    assert!(!planned.by_rank, "only a common word: newest first");
}

#[test]
fn a_large_table_ranks_by_its_rare_words_and_answers_common_ones_newest_first() {
    let mut events: Vec<Event> = (1..=3100)
        .map(|i| written(i, MemoryKind::TaskSummary, &format!("error in step {i}")))
        .collect();
    events.push(written(
        3101,
        MemoryKind::ErrorResolution,
        "error zebra in booking.py",
    ));
    events.push(Event::MemoryForgotten {
        memory: MemoryId(3100),
    });
    let (_dir, _db, reader) = store_with(events);
    let hits = reader.memory_search("error zebra", 5).unwrap();
    assert_eq!(hits[0].entry.id, MemoryId(3101));
    let hits = reader.memory_search("error", 3).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.entry.id.0).collect::<Vec<_>>(),
        vec![3101, 3099, 3098],
        "newest first, the forgotten one left out"
    );
}
