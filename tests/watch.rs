//! Repo watching with real parts: a real git repository in a temp folder, the real SQLite
//! store, the real notify backends (inotify, and polling when asked), and files written the
//! way a person's editor writes them. Each test waits for the events it expects on the store's
//! broadcast, with a generous timeout and no timing threshold (the bench measures latency).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::fs;
use std::path::Path;
use std::time::Duration;

use tokio::sync::broadcast;
use warroom::config::Config;
use warroom::core::watch::{self, RepoWatcher};
use warroom::paths::RepoPaths;
use warroom::protocol::{
    AgentId, ApprovalId, ApprovalSubject, Event, LogLevel, MemoryId, MemoryKind, RunId,
};
use warroom::store::{Committed, OwnedStore, Reader, StoreOptions};

use support::git;

/// Far longer than any batch needs; only a broken watcher waits this long.
const PATIENCE: Duration = Duration::from_secs(20);

/// A repository with a run in progress and a watcher on it.
struct Scene {
    dir: tempfile::TempDir,
    owned: Option<OwnedStore>,
    run: RunId,
    events: broadcast::Receiver<Committed>,
    watcher: Option<RepoWatcher>,
}

impl Scene {
    /// A git repository with `src/app.py`, `src/util.py`, `src/gen/model.py`, a `.gitignore`
    /// that leaves out `build/` and `*.log`, one commit; a run started; the watcher armed.
    async fn start(configure: impl FnOnce(&mut Config)) -> Scene {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q", "-b", "main"]);
        fs::create_dir_all(root.join("src/gen")).unwrap();
        fs::write(root.join("src/app.py"), numbered("app", 12)).unwrap();
        fs::write(root.join("src/util.py"), numbered("util", 12)).unwrap();
        fs::write(root.join("src/gen/model.py"), "MODEL = 1\n").unwrap();
        fs::write(root.join(".gitignore"), "build/\n*.log\n.warroom/\n").unwrap();
        git(root, &["add", "."]);
        git(root, &["commit", "-q", "-m", "start"]);
        // Written an hour ago, as files usually are: polling compares modification times in
        // whole seconds, so an edit within the second the file was written could go unseen.
        let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        for file in [
            "src/app.py",
            "src/util.py",
            "src/gen/model.py",
            ".gitignore",
        ] {
            let handle = fs::File::options()
                .write(true)
                .open(root.join(file))
                .unwrap();
            handle.set_modified(hour_ago).unwrap();
        }
        fs::create_dir_all(root.join("build")).unwrap();

        let paths = RepoPaths::new(root).unwrap();
        let owned = OwnedStore::open(&paths, StoreOptions::default()).unwrap();
        let store = owned.store.clone();
        let mut events = store.subscribe();
        let run = store
            .create_run("fix it", &root.display().to_string())
            .await
            .unwrap();
        let mut config = Config::default();
        config.repo_watch.debounce_ms = 30;
        configure(&mut config);
        let watcher = watch::spawn(store, &config);
        wait_for(&mut events, "the watcher to start", |e| {
            log_contains(e, "watching your edits in")
        })
        .await;
        Scene {
            dir,
            owned: Some(owned),
            run,
            events,
            watcher: Some(watcher),
        }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn store(&self) -> &warroom::store::Store {
        &self.owned.as_ref().unwrap().store
    }

    async fn append(&self, event: Event) {
        self.store().append(self.run, event).await.unwrap();
        self.store().flush().await.unwrap();
    }

    /// Waits for an event matching `want`; returns every event seen up to and including it.
    async fn wait(&mut self, what: &str, want: impl Fn(&Event) -> bool) -> Vec<Event> {
        wait_for(&mut self.events, what, want).await
    }

    /// Waits for a `FilesChanged` naming `path`; returns every event seen up to it.
    async fn wait_changed(&mut self, path: &str) -> Vec<Event> {
        let what = format!("files_changed naming {path}");
        self.wait(&what, |e| {
            changed(e).is_some_and(|p| p.iter().any(|p| p == path))
        })
        .await
    }

    /// Waits until `done` holds for the events seen so far; returns them.
    async fn wait_seen(&mut self, what: &str, done: impl Fn(&[Event]) -> bool) -> Vec<Event> {
        let mut seen = Vec::new();
        let found = tokio::time::timeout(PATIENCE, async {
            loop {
                let batch = self.events.recv().await.expect("the store's broadcast");
                seen.extend(batch.iter().map(|r| r.event.clone()));
                if done(&seen) {
                    return;
                }
            }
        })
        .await;
        assert!(
            found.is_ok(),
            "no {what} within {PATIENCE:?}; saw {seen:#?}"
        );
        seen
    }

    /// Writes `marker.txt` and waits for its `FilesChanged`: everything changed before it has
    /// then been reported (or filtered out). Returns every path reported on the way.
    async fn settle(&mut self, n: u32) -> Vec<String> {
        fs::write(self.root().join("marker.txt"), format!("{n}\n")).unwrap();
        let seen = self.wait_changed("marker.txt").await;
        seen.iter().filter_map(changed).flatten().cloned().collect()
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        self.watcher.take();
        if let Some(owned) = self.owned.take() {
            let _ = std::thread::spawn(move || owned.close()).join();
        }
    }
}

fn numbered(name: &str, lines: usize) -> String {
    (1..=lines).map(|i| format!("{name}_{i} = {i}\n")).collect()
}

fn changed(event: &Event) -> Option<&Vec<String>> {
    match event {
        Event::FilesChanged { paths } => Some(paths),
        _ => None,
    }
}

fn log_contains(event: &Event, text: &str) -> bool {
    matches!(event, Event::LogLine { text: t, .. } if t.contains(text))
}

async fn wait_for(
    events: &mut broadcast::Receiver<Committed>,
    what: &str,
    want: impl Fn(&Event) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            let batch = events.recv().await.expect("the store's broadcast");
            for record in batch.iter() {
                seen.push(record.event.clone());
                if want(&record.event) {
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "no event for {what} within {PATIENCE:?}; saw {seen:#?}"
    );
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_during_a_run_is_reported_as_files_changed() {
    let mut scene = Scene::start(|_| {}).await;
    fs::write(scene.root().join("src/app.py"), numbered("app", 13)).unwrap();
    let seen = scene.wait_changed("src/app.py").await;
    let paths = seen.iter().filter_map(changed).next_back().unwrap();
    assert_eq!(paths, &vec!["src/app.py".to_string()], "relative, once");

    // A new folder with a file: the folder is watched from now on, and the file is reported.
    fs::create_dir_all(scene.root().join("src/pkg/inner")).unwrap();
    fs::write(scene.root().join("src/pkg/inner/a.py"), "A = 1\n").unwrap();
    let reported = scene.settle(1).await;
    assert!(
        reported.iter().any(|p| p == "src/pkg/inner/a.py"),
        "{reported:?}"
    );
    fs::write(scene.root().join("src/pkg/inner/b.py"), "B = 1\n").unwrap();
    scene.wait_changed("src/pkg/inner/b.py").await;

    // Every batch is sorted and has no duplicates.
    fs::write(scene.root().join("src/util.py"), "x = 1\n").unwrap();
    fs::write(scene.root().join("src/app.py"), "y = 2\n").unwrap();
    fs::write(scene.root().join("src/app.py"), "y = 3\n").unwrap();
    let seen = scene.wait_changed("src/util.py").await;
    for paths in seen.iter().filter_map(changed) {
        let mut sorted = paths.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(&sorted, paths);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_files_and_warroom_itself_produce_nothing() {
    let mut scene = Scene::start(|_| {}).await;
    let root = scene.root().to_path_buf();
    fs::write(root.join("build/out.o"), "obj").unwrap();
    fs::write(root.join("server.log"), "log").unwrap();
    fs::write(root.join("src/debug.log"), "log").unwrap();
    fs::create_dir_all(root.join(".warroom/worktrees/1/src")).unwrap();
    fs::write(root.join(".warroom/worktrees/1/src/app.py"), "agent's copy").unwrap();
    fs::write(root.join(".warroom/scratch"), "x").unwrap();
    git(&root, &["add", "src/app.py"]); // .git/index changes
    let reported = scene.settle(1).await;
    assert_eq!(reported, vec!["marker.txt".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_gitignore_changes_what_is_reported() {
    let mut scene = Scene::start(|_| {}).await;
    let root = scene.root().to_path_buf();
    fs::write(root.join(".gitignore"), "build/\n*.log\n.warroom/\n*.tmp\n").unwrap();
    let reported = scene.settle(1).await;
    assert!(reported.iter().any(|p| p == ".gitignore"), "{reported:?}");
    fs::write(root.join("src/x.tmp"), "t").unwrap();
    fs::write(root.join("src/x.log"), "t").unwrap();
    let reported = scene.settle(2).await;
    assert_eq!(reported, vec!["marker.txt".to_string()]);
}

/// A patch of `file` made by git: the same edit the analyst would propose.
fn patch_of(root: &Path, file: &str, from: &str, to: &str) -> String {
    let path = root.join(file);
    let original = fs::read_to_string(&path).unwrap();
    fs::write(&path, original.replace(from, to)).unwrap();
    let diff = git(root, &["diff", "--", file]);
    fs::write(&path, original).unwrap();
    assert!(diff.contains(to), "{diff}");
    diff
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_approval_is_flagged_and_checked_again() {
    let mut scene = Scene::start(|_| {}).await;
    let root = scene.root().to_path_buf();
    let fits = patch_of(&root, "src/app.py", "app_2 = 2", "app_2 = 20");
    let clashes = patch_of(&root, "src/util.py", "util_6 = 6", "util_6 = 60");
    for (id, diff, file) in [(1, &fits, "src/app.py"), (2, &clashes, "src/util.py")] {
        scene
            .append(Event::ApprovalRequested {
                approval: ApprovalId(id),
                agent: AgentId(1),
                subject: ApprovalSubject::Patch {
                    diff: diff.clone(),
                    files: vec![file.to_string()],
                },
            })
            .await;
    }
    // The person edits far from approval 1's hunk, and right on approval 2's line.
    let app = fs::read_to_string(root.join("src/app.py")).unwrap();
    fs::write(
        root.join("src/app.py"),
        app.replace("app_12 = 12", "app_12 = 99"),
    )
    .unwrap();
    let util = fs::read_to_string(root.join("src/util.py")).unwrap();
    fs::write(
        root.join("src/util.py"),
        util.replace("util_6 = 6", "util_6 = 7"),
    )
    .unwrap();

    let seen = scene
        .wait_seen("both re-checks", |seen| {
            seen.iter().filter(|e| log_contains(e, "approval ")).count() >= 2
        })
        .await;
    let stale: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            Event::ApprovalStale { approval, files } => Some((approval.0, files.clone())),
            _ => None,
        })
        .collect();
    assert!(
        stale.contains(&(1, vec!["src/app.py".to_string()])),
        "{stale:?}"
    );
    assert!(
        stale.contains(&(2, vec!["src/util.py".to_string()])),
        "{stale:?}"
    );
    let line = |id: u32| {
        seen.iter()
            .find_map(|e| match e {
                Event::LogLine { level, text, .. }
                    if text.starts_with(&format!("approval {id}:")) =>
                {
                    Some((*level, text.clone()))
                }
                _ => None,
            })
            .unwrap()
    };
    let (level, text) = line(1);
    assert_eq!(level, LogLevel::Info, "{text}");
    assert!(text.contains("still applies"), "{text}");
    let (level, text) = line(2);
    assert_eq!(level, LogLevel::Warn, "{text}");
    assert!(text.contains("no longer applies"), "{text}");
    assert!(text.contains("src/util.py"), "{text}");

    // The projection keeps the stale files for the approvals pane.
    let reader = Reader::open(&scene.store().paths().db, Duration::from_secs(5)).unwrap();
    let pending = reader.pending_patches(scene.run).unwrap();
    assert_eq!(pending.len(), 2);
    assert_eq!(pending[0].stale_files, vec!["src/app.py".to_string()]);

    // A file no approval touches changes nothing about them.
    let reported = scene.settle(1).await;
    assert_eq!(reported, vec!["marker.txt".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_manifest_runs_detection_again() {
    let mut scene = Scene::start(|_| {}).await;
    fs::write(
        scene.root().join("pyproject.toml"),
        "[project]\nname = \"app\"\n\n[tool.pytest.ini_options]\naddopts = \"-q\"\n",
    )
    .unwrap();
    let seen = scene
        .wait("repo_detected", |e| matches!(e, Event::RepoDetected { .. }))
        .await;
    let Some(Event::RepoDetected {
        languages,
        test,
        sources,
        ..
    }) = seen.last()
    else {
        panic!("{seen:?}")
    };
    assert!(languages.iter().any(|l| l == "python"), "{languages:?}");
    assert!(
        test.as_deref().is_some_and(|t| t.contains("pytest")),
        "{test:?}"
    );
    assert!(
        sources.iter().any(|s| s.contains("pyproject.toml")),
        "{sources:?}"
    );
    // An ordinary file does not.
    fs::write(scene.root().join("src/app.py"), "z = 1\n").unwrap();
    let seen = scene
        .wait_seen("the marker", |seen| {
            seen.iter()
                .filter_map(changed)
                .any(|p| p.iter().any(|p| p == "src/app.py"))
        })
        .await;
    assert!(!seen.iter().any(|e| matches!(e, Event::RepoDetected { .. })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_that_names_a_changed_file_is_flagged() {
    let mut scene = Scene::start(|_| {}).await;
    for (id, text) in [
        (1, "the crash was in src/app.py, in the rate table"),
        (2, "tests run with `pytest -q`"),
        (3, "util.py holds the helpers"),
    ] {
        scene
            .append(Event::MemoryWritten {
                memory: MemoryId(id),
                memory_kind: MemoryKind::RepoFact,
                text: text.to_string(),
                agent: None,
                task: None,
            })
            .await;
    }
    fs::write(scene.root().join("src/app.py"), "rates = []\n").unwrap();
    let seen = scene
        .wait("memory_flagged", |e| {
            matches!(e, Event::MemoryFlagged { .. })
        })
        .await;
    let Some(Event::MemoryFlagged { memory, reason }) = seen.last() else {
        panic!()
    };
    assert_eq!(*memory, MemoryId(1));
    assert!(reason.contains("src/app.py"), "{reason}");

    // The next batch flags the entry naming util.py by its file name, and not entry 1 again.
    fs::write(scene.root().join("src/util.py"), "helpers = []\n").unwrap();
    fs::write(scene.root().join("src/app.py"), "rates = [1]\n").unwrap();
    let seen = scene
        .wait("memory 3 flagged", |e| {
            matches!(e, Event::MemoryFlagged { .. })
        })
        .await;
    let flagged: Vec<MemoryId> = seen
        .iter()
        .filter_map(|e| match e {
            Event::MemoryFlagged { memory, .. } => Some(*memory),
            _ => None,
        })
        .collect();
    assert_eq!(flagged, vec![MemoryId(3)]);
    let reported = scene.settle(1).await;
    assert!(!reported.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_deleted_under_the_watcher_is_told_and_watched_again_when_back() {
    let mut scene = Scene::start(|_| {}).await;
    let gen_dir = scene.root().join("src/gen");
    fs::remove_dir_all(&gen_dir).unwrap();
    let seen = scene
        .wait("the warning", |e| {
            log_contains(e, "the folder src/gen was deleted")
        })
        .await;
    assert!(
        seen.iter().any(|e| matches!(e, Event::LogLine { level: LogLevel::Warn, text, .. } if text.contains("src/gen"))),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .filter_map(changed)
            .any(|p| p.iter().any(|p| p == "src/gen" || p == "src/gen/model.py")),
        "{seen:?}"
    );
    // It comes back: watched again.
    fs::create_dir_all(&gen_dir).unwrap();
    fs::write(gen_dir.join("model.py"), "MODEL = 2\n").unwrap();
    scene.settle(1).await;
    fs::write(gen_dir.join("model.py"), "MODEL = 3\n").unwrap();
    scene.wait_changed("src/gen/model.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_repository_folder_deleted_stops_the_watch_until_it_is_back() {
    let mut scene = Scene::start(|_| {}).await;
    let root = scene.root().to_path_buf();
    // The database lives under the root: the store keeps writing to its open file.
    fs::remove_dir_all(&root).unwrap();
    scene
        .wait("the warning", |e| {
            log_contains(
                e,
                "was deleted under the watcher; your edits are not watched",
            )
        })
        .await;
    fs::create_dir_all(root.join("src")).unwrap();
    scene
        .wait_seen("the watch again", |seen| {
            seen.iter()
                .any(|e| log_contains(e, "is back; watching it again"))
                && seen
                    .iter()
                    .any(|e| log_contains(e, "watching your edits in"))
        })
        .await;
    fs::write(root.join("src/new.py"), "n = 1\n").unwrap();
    scene.wait_changed("src/new.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_reports_edits_when_inotify_is_not_used() {
    let mut scene = Scene::start(|config| {
        config.repo_watch.poll = true;
        config.repo_watch.poll_ms = 100;
    })
    .await;
    fs::write(scene.root().join("src/app.py"), "polled = 1\n").unwrap();
    fs::write(scene.root().join("build/ignored.o"), "o").unwrap();
    let seen = scene.wait_changed("src/app.py").await;
    assert!(
        !seen
            .iter()
            .filter_map(changed)
            .flatten()
            .any(|p| p.starts_with("build")),
        "{seen:?}"
    );
    // A new folder is picked up by polling too, and a deleted one is told.
    fs::create_dir_all(scene.root().join("src/more")).unwrap();
    fs::write(scene.root().join("src/more/m.py"), "m = 1\n").unwrap();
    let seen = scene.wait_changed("src/more/m.py").await;
    let paths: Vec<&String> = seen.iter().filter_map(changed).flatten().collect();
    assert!(
        !paths.iter().any(|p| *p == "src"),
        "a watched folder's own mtime is not a change: {paths:?}"
    );
    fs::remove_dir_all(scene.root().join("src/gen")).unwrap();
    scene
        .wait("the deleted folder by polling", |e| {
            log_contains(e, "the folder src/gen was deleted")
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watch_ends_with_the_run() {
    let mut scene = Scene::start(|_| {}).await;
    scene
        .append(Event::RunFinished {
            state: warroom::protocol::RunState::Done,
            summary: "done".into(),
        })
        .await;
    // A new run: armed again, and its edits go to it.
    let run = scene
        .store()
        .create_run("next", &scene.root().display().to_string())
        .await
        .unwrap();
    let seen = scene
        .wait("armed for the new run", |e| {
            log_contains(e, "watching your edits in")
        })
        .await;
    let _ = seen;
    fs::write(scene.root().join("src/app.py"), "second = 1\n").unwrap();
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            let batch = scene.events.recv().await.unwrap();
            if let Some(record) = batch
                .iter()
                .find(|r| matches!(r.event, Event::FilesChanged { .. }))
            {
                return record.run;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(found, run);
}
