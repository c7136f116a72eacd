//! Memory through the real binary on real SQLite files: ranking (an exact error signature
//! beats loosely related text), FTS syntax characters searched as text, pin / forget / edit
//! (recorded as events with no owner running, queued for a running owner), an unknown id,
//! embeddings through a fake `/v1/embeddings` server (what is sent, semantic hits, a corrupt
//! vector row skipped with a message naming the entry), and through the real local server when
//! `WARROOM_TEST_LLM_URL` is set. Injection and synthesis are in `tests/memory_team.rs`.

#![allow(clippy::expect_used, clippy::panic, clippy::unwrap_used)]

mod support;

use std::time::Duration;

use support::TempRepo;
use support::fake_http::{FakeServer, Script};
use warroom::core::memory::Embedder;
use warroom::paths::RepoPaths;
use warroom::protocol::{AgentId, Command, Event, MemoryId, MemoryKind, RunId, TaskId};
use warroom::store::{OwnedStore, Reader, StoreOptions};

const SIGNATURE: &str = "NameError: name 'RATES' is not defined";

fn run(repo: &TempRepo, args: &[&str]) -> (bool, String, String) {
    let out = repo.command(args).output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn written(id: i64, kind: MemoryKind, text: &str) -> Event {
    Event::MemoryWritten {
        memory: MemoryId(id),
        memory_kind: kind,
        text: text.into(),
        agent: Some(AgentId(2)),
        task: Some(TaskId(1)),
    }
}

/// Opens the store as owner, creates run 1 and writes the entries to it.
fn owner_with(repo: &TempRepo, entries: &[(MemoryKind, &str)]) -> OwnedStore {
    let paths = RepoPaths::new(&repo.repo).unwrap();
    let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
    let run = rt()
        .block_on(owned.store.create_run("fix booking", "repo"))
        .unwrap();
    for (i, (kind, text)) in entries.iter().enumerate() {
        let event = written(i as i64 + 1, *kind, text);
        owned.store.append_blocking(run, event).unwrap();
    }
    owned.store.flush_blocking().unwrap();
    owned
}

fn seeded(entries: &[(MemoryKind, &str)]) -> TempRepo {
    let repo = TempRepo::new();
    owner_with(&repo, entries).close().unwrap();
    repo
}

/// The id in the first column of each table row after the header.
fn ids(table: &str) -> Vec<i64> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

const ENTRIES: &[(MemoryKind, &str)] = &[
    (
        MemoryKind::TaskSummary,
        "a name was not defined somewhere in the billing code; renaming things fixed it",
    ),
    (
        MemoryKind::ErrorResolution,
        "NameError: name 'RATES' is not defined -> renamed RATES to NIGHTLY_CENTS in booking.py",
    ),
    (MemoryKind::RepoFact, "tests run with `pytest -q`"),
    (
        MemoryKind::TaskSummary,
        "the error message is defined in errors.py and names the field",
    ),
];

#[test]
fn an_exact_error_signature_beats_loosely_related_text() {
    let repo = seeded(ENTRIES);
    let (ok, out, err) = run(&repo, &["memory", "search", SIGNATURE]);
    assert!(ok, "{err}");
    let found = ids(&out);
    assert_eq!(found.first(), Some(&2), "{out}");
    assert!(found.contains(&1) && !found.contains(&3), "{out}");
    assert!(out.contains("error_resolution"), "{out}");
}

#[test]
fn fts_syntax_characters_are_searched_as_text() {
    let repo = seeded(ENTRIES);
    for query in [
        "\"RATES",
        "RATES*",
        "NEAR(RATES defined)",
        "-q",
        "pytest: -q",
        "(((",
        "NOT AND OR",
        "\"\"",
    ] {
        let (ok, out, err) = run(&repo, &["memory", "search", query]);
        assert!(ok, "{query:?}: {err}");
        assert!(!err.contains("syntax"), "{query:?}: {err}");
        if query.contains("RATES") {
            assert_eq!(ids(&out).first(), Some(&2), "{query:?}: {out}");
        }
    }
    let (ok, out, _) = run(&repo, &["memory", "search", "pytest: -q"]);
    assert!(ok);
    assert_eq!(ids(&out), vec![3], "{out}");
    let (ok, out, _) = run(&repo, &["memory", "search", "\"\""]);
    assert!(ok);
    assert!(out.contains("nothing in memory matches"), "{out}");
}

#[test]
fn pin_edit_and_forget_are_recorded_and_shown() {
    let repo = seeded(ENTRIES);
    let (ok, out, err) = run(&repo, &["memory", "pin", "4"]);
    assert!(ok, "{err}");
    assert!(out.contains("pinned memory 4 (run 1)"), "{out}");
    let (_, out, _) = run(&repo, &["memory", "list"]);
    assert_eq!(ids(&out).first(), Some(&4), "pinned first: {out}");
    // A pinned entry that matches at all comes before better matches.
    let (_, out, _) = run(&repo, &["memory", "search", SIGNATURE]);
    assert_eq!(ids(&out).first(), Some(&4), "{out}");

    let (ok, _, err) = run(
        &repo,
        &["memory", "edit", "3", "tests run with `pytest -q -rA`"],
    );
    assert!(ok, "{err}");
    let (ok, out, _) = run(&repo, &["memory", "show", "3"]);
    assert!(ok);
    assert!(out.contains("tests run with `pytest -q -rA`"), "{out}");
    assert!(
        out.contains("run:        1") && out.contains("task:       1"),
        "{out}"
    );
    assert!(
        out.contains("agent:      2") && out.contains("pinned:     no"),
        "{out}"
    );
    assert!(!out.contains("edited:     -"), "edited time shown: {out}");

    let (ok, _, err) = run(&repo, &["memory", "forget", "2"]);
    assert!(ok, "{err}");
    let (_, out, _) = run(&repo, &["memory", "search", SIGNATURE]);
    assert!(!ids(&out).contains(&2), "{out}");
    let (_, out, _) = run(&repo, &["memory", "list"]);
    assert!(!ids(&out).contains(&2), "{out}");
    let (_, out, _) = run(&repo, &["memory", "list", "--all"]);
    assert!(ids(&out).contains(&2), "{out}");
    let (ok, _, err) = run(&repo, &["memory", "pin", "2"]);
    assert!(!ok && err.contains("memory 2 is forgotten"), "{err}");

    // Each change is an event in the log.
    let paths = RepoPaths::new(&repo.repo).unwrap();
    let reader = Reader::open(&paths.db, Duration::from_secs(5)).unwrap();
    let kinds: Vec<&str> = reader
        .events_after(Some(RunId(1)), warroom::protocol::EventId(0), 1000)
        .unwrap()
        .records
        .iter()
        .map(|r| r.event.kind())
        .collect();
    for kind in ["memory_pinned", "memory_edited", "memory_forgotten"] {
        assert!(kinds.contains(&kind), "{kinds:?}");
    }
}

#[test]
fn unknown_ids_and_kinds_are_named() {
    let repo = seeded(ENTRIES);
    for args in [
        vec!["memory", "show", "99"],
        vec!["memory", "pin", "99"],
        vec!["memory", "forget", "99"],
        vec!["memory", "edit", "99", "x"],
    ] {
        let (ok, _, err) = run(&repo, &args);
        assert!(!ok, "{args:?}");
        assert!(err.contains("no memory 99"), "{args:?}: {err}");
    }
    let (ok, _, err) = run(&repo, &["memory", "list", "--kind", "gossip"]);
    assert!(
        !ok && err.contains("unknown memory kind \"gossip\""),
        "{err}"
    );
    let (ok, _, err) = run(&repo, &["memory", "edit", "1", "  "]);
    assert!(
        !ok && err.contains("new text of memory 1 is empty"),
        "{err}"
    );
}

#[test]
fn a_running_owner_gets_the_change_as_a_command() {
    let repo = TempRepo::new();
    let owned = owner_with(&repo, ENTRIES);
    let (ok, out, err) = run(&repo, &["memory", "pin", "1"]);
    assert!(ok, "{err}");
    assert!(out.contains("queued: pin memory 1"), "{out}");
    let (ok, _, err) = run(&repo, &["memory", "edit", "1", "new words"]);
    assert!(ok, "{err}");
    let taken = rt().block_on(owned.store.take_commands()).unwrap();
    let taken: Vec<Command> = taken.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        taken,
        vec![
            Command::PinMemory {
                memory: MemoryId(1),
                pinned: true
            },
            Command::EditMemory {
                memory: MemoryId(1),
                text: "new words".into()
            }
        ]
    );
    owned.close().unwrap();
}

/// An embeddings answer with these vectors.
/// Three entries, one of them about cars in other words (found "by meaning" for "car").
const CAR_ENTRIES: &[(MemoryKind, &str)] = &[
    (MemoryKind::RepoFact, "tests run with `pytest -q`"),
    (MemoryKind::TaskSummary, "automobile maintenance schedule"),
    (MemoryKind::TaskSummary, "the parser handles dates"),
];

/// The vectors of [`CAR_ENTRIES`], as the first search embeds them on its way.
fn entry_vectors() -> Script {
    vectors(&[[0.0, 0.0, 1.0], [1.0, 0.1, 0.0], [0.0, 1.0, 0.0]])
}

fn vectors(rows: &[[f32; 3]]) -> Script {
    let data: Vec<serde_json::Value> = rows
        .iter()
        .enumerate()
        .map(|(i, v)| serde_json::json!({"object": "embedding", "index": i, "embedding": v}))
        .collect();
    Script::json(
        200,
        &serde_json::json!({"object": "list", "model": "m", "data": data}).to_string(),
    )
}

#[test]
fn embeddings_rank_by_meaning_and_a_corrupt_vector_is_skipped_by_name() {
    let repo = seeded(CAR_ENTRIES);
    let rt = rt();
    let server = rt.block_on(FakeServer::start(vec![
        // The three entries, embedded on the way of the first search; then the query.
        entry_vectors(),
        vectors(&[[1.0, 0.0, 0.0]]),
        // The second search: only the query (every entry has a vector now).
        vectors(&[[0.9, 0.0, 0.4]]),
    ]));
    let config = format!(
        "[providers.emb]\nkind = \"openai\"\nbase_url = \"{}/v1\"\napi_key_env = \"EMB_KEY\"\n\n\
         [memory]\nembeddings = \"emb\"\nembedding_model = \"tiny-embed\"\n",
        server.url()
    );
    std::fs::write(repo.repo.join(".warroom/config.toml"), config).unwrap();
    let search = |query: &str| {
        let out = repo
            .command(&["memory", "search", query])
            .env("EMB_KEY", "sk-test-embed")
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = search("car");
    assert!(ok, "{err}");
    assert_eq!(ids(&out), vec![2], "found by meaning alone: {out}");
    assert!(err.is_empty(), "{err}");
    let sent = server.requests();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].path, "/v1/embeddings");
    assert_eq!(
        sent[0].header("authorization"),
        Some("Bearer sk-test-embed")
    );
    assert_eq!(sent[0].json()["model"], "tiny-embed");
    assert_eq!(
        sent[0].json()["input"],
        serde_json::json!([
            "tests run with `pytest -q`",
            "automobile maintenance schedule",
            "the parser handles dates"
        ])
    );
    assert_eq!(sent[1].json()["input"], serde_json::json!(["car"]));

    // Damage entry 2's vector: it is skipped with a message naming it; the rest still works.
    let db = RepoPaths::new(&repo.repo).unwrap().db;
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE memory_vectors SET vector = x'0000803f' WHERE memory_id = 2",
        [],
    )
    .unwrap();
    drop(conn);
    let (ok, out, err) = search("car");
    assert!(ok, "{err}");
    assert!(
        err.contains("memory 2: vector skipped: its vector has 4 bytes but dim 3 needs 12"),
        "{err}"
    );
    assert_eq!(ids(&out), vec![1], "{out}");
}

#[test]
fn a_failing_embeddings_server_leaves_full_text_search_working() {
    let repo = seeded(ENTRIES);
    let rt = rt();
    let server = rt.block_on(FakeServer::start(vec![Script::json(
        401,
        r#"{"error":{"message":"bad key sk-abcdefghijklmnopqrstuvwx"}}"#,
    )]));
    std::fs::write(
        repo.repo.join(".warroom/config.toml"),
        format!(
            "[providers.emb]\nkind = \"openai\"\nbase_url = \"{}/v1\"\n\n[memory]\nembeddings = \"emb\"\n",
            server.url()
        ),
    )
    .unwrap();
    let (ok, out, err) = run(&repo, &["memory", "search", SIGNATURE]);
    assert!(ok, "{err}");
    assert_eq!(ids(&out).first(), Some(&2), "{out}");
    assert!(err.contains("semantic search left out"), "{err}");
    assert!(err.contains("HTTP 401"), "{err}");
    assert!(
        !err.contains("sk-abcdefghijklmnopqrstuvwx"),
        "a key never shows: {err}"
    );

    std::fs::write(
        repo.repo.join(".warroom/config.toml"),
        "[memory]\nembeddings = \"nowhere\"\n",
    )
    .unwrap();
    let (ok, out, err) = run(&repo, &["memory", "search", SIGNATURE]);
    assert!(ok, "{err}");
    assert_eq!(ids(&out).first(), Some(&2), "{out}");
    assert!(
        err.contains("names provider \"nowhere\", which is not in [providers]"),
        "{err}"
    );
}

#[test]
fn embeddings_from_the_real_local_server() {
    let Ok(url) = std::env::var("WARROOM_TEST_LLM_URL") else {
        eprintln!(
            "skipped: WARROOM_TEST_LLM_URL is not set (start a model with \
             `LOCAL_LLM_EMBEDDINGS=1 scripts/local-llm.sh serve qwen 8431` and set it to \
             http://127.0.0.1:8431/v1)"
        );
        return;
    };
    let embedder = Embedder::new(
        "local",
        &url,
        "qwen",
        None,
        Duration::from_secs(10),
        Duration::from_secs(240),
    )
    .unwrap();
    let texts = vec![
        SIGNATURE.to_string(),
        "NameError: name 'RATE' is not defined".to_string(),
        "the weather is sunny and warm today".to_string(),
    ];
    let answer = rt().block_on(embedder.embed(&texts));
    let vectors = match answer {
        Ok(vectors) => vectors,
        Err(e) if std::env::var_os("WARROOM_TEST_LLM_EMBEDDINGS").is_none() => {
            eprintln!(
                "skipped: the server at {url} does not serve embeddings ({e}); serve it with \
                 LOCAL_LLM_EMBEDDINGS=1 scripts/local-llm.sh serve qwen PORT and set \
                 WARROOM_TEST_LLM_EMBEDDINGS=1"
            );
            return;
        }
        Err(e) => panic!("WARROOM_TEST_LLM_EMBEDDINGS is set but: {e}"),
    };
    assert_eq!(vectors.len(), 3);
    assert!(vectors[0].len() >= 64, "{}", vectors[0].len());
    let cos = |a: &[f32], b: &[f32]| {
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        dot / (n(a) * n(b))
    };
    assert!(
        cos(&vectors[0], &vectors[1]) > cos(&vectors[0], &vectors[2]),
        "two NameErrors are closer than a NameError and the weather"
    );
}

/// The memory inspector's search (the screen's query thread) finds by meaning through the same
/// embeddings provider, and falls back to full text with a warning when it does not answer.
#[test]
fn the_inspector_searches_by_meaning_and_falls_back_to_words() {
    use warroom::ui::memory_search::answer_semantic;
    use warroom::ui::views::memory::MemoryQuery;
    let repo = seeded(CAR_ENTRIES);
    let rt = rt();
    let server = rt.block_on(FakeServer::start(vec![
        entry_vectors(),
        vectors(&[[1.0, 0.0, 0.0]]),
        Script::json(503, r#"{"error":{"message":"overloaded"}}"#),
    ]));
    let embedder = Embedder::new(
        "emb",
        &format!("{}/v1", server.url()),
        "tiny-embed",
        None,
        Duration::from_secs(5),
        Duration::from_secs(5),
    )
    .unwrap();
    let db = RepoPaths::new(&repo.repo).unwrap().db;
    let query = |text: &str| MemoryQuery {
        seq: 1,
        text: text.into(),
        kind: None,
    };
    let found = answer_semantic(&db, Duration::from_secs(5), &embedder, &rt, query("car")).unwrap();
    assert!(found.semantic, "{:?}", found.warnings);
    assert_eq!(found.entries.first().map(|e| e.id), Some(MemoryId(2)));
    // The server fails: full text answers, and the person is told why meaning was left out.
    let found =
        answer_semantic(&db, Duration::from_secs(5), &embedder, &rt, query("parser")).unwrap();
    assert!(!found.semantic);
    assert!(
        found
            .warnings
            .iter()
            .any(|w| w.contains("semantic search left out")),
        "{:?}",
        found.warnings
    );
    assert_eq!(found.entries.first().map(|e| e.id), Some(MemoryId(3)));
}
