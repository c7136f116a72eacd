//! Config files on disk: every file in `tests/config/valid/` must load, every file in
//! `tests/config/invalid/` must fail with an error containing each of its leading
//! `# expect: <substring>` lines (so adding a file adds a case), and the documented top-level
//! `config.toml` and the repo template must stay in step with `Config`. Reads only files of
//! this repository; touches no environment.

// The helpers below are test code too; clippy's test exemption covers only `#[test]` fns.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use warroom::config::{
    self, ColorChoice, Config, ConfigLayer, DOCUMENTED, SECTIONS, parse_file, read_file,
    repo_template,
};

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/config")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "too few fixtures in {}", dir.display());
    files
}

fn load_one(path: &Path) -> Config {
    let mut config = Config::default();
    read_file(path).unwrap().unwrap().apply_to(&mut config);
    config
}

/// The `# expect:` lines at the top of a file (read as bytes: some fixtures are not UTF-8).
fn expectations(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    String::from_utf8_lossy(&bytes)
        .lines()
        .map_while(|line| line.strip_prefix("# expect:"))
        .map(|expected| expected.trim().to_string())
        .collect()
}

#[test]
fn every_valid_file_loads() {
    for path in fixtures("valid") {
        if let Err(error) = read_file(&path) {
            panic!("{} should load, got: {error}", path.display());
        }
    }
}

#[test]
fn every_invalid_file_fails_with_its_expected_message() {
    let mut failures = Vec::new();
    for path in fixtures("invalid") {
        let expected = expectations(&path);
        assert!(
            !expected.is_empty(),
            "{} has no `# expect:` first line",
            path.display()
        );
        let message = match read_file(&path) {
            Ok(_) => {
                failures.push(format!("{}: loaded, but should fail", path.display()));
                continue;
            }
            Err(error) => error.to_string(),
        };
        if !message.starts_with(&path.display().to_string()) {
            failures.push(format!(
                "{}: message does not name the file: {message}",
                path.display()
            ));
        }
        for substring in expected {
            if !message.contains(&substring) {
                failures.push(format!(
                    "{}:\n  expected: {substring}\n  got:      {message}",
                    path.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn empty_and_comment_only_files_are_empty_layers() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/valid");
    for name in ["empty.toml", "comments_only.toml", "empty_sections.toml"] {
        let layer = read_file(&dir.join(name)).unwrap().unwrap();
        assert_eq!(layer, ConfigLayer::default(), "{name}");
    }
}

#[test]
fn valid_files_set_what_they_say() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/valid");
    let config = load_one(&dir.join("every_key.toml"));
    assert_eq!(config, every_key_changed());

    let config = load_one(&dir.join("dotted_and_inline.toml"));
    assert_eq!(config.ui.color, ColorChoice::Never);
    assert_eq!(config.watch.poll_ms, 500);

    let config = load_one(&dir.join("crlf.toml"));
    assert_eq!(config.store.batch_max_events, 1);

    let config = load_one(&dir.join("underscored_numbers.toml"));
    assert_eq!(config.store.batch_max_events, 10_000);
    assert_eq!(config.store.busy_timeout_ms, 4096);
}

/// What `valid/every_key.toml` sets: every key away from its default.
fn every_key_changed() -> Config {
    let mut config = Config::default();
    config.store.batch_max_events = 100_000;
    config.store.batch_max_delay_ms = 1000;
    config.store.busy_timeout_ms = 1;
    config.store.heartbeat_ms = 100;
    config.ui.color = ColorChoice::Never;
    config.ui.log_timestamps = false;
    config.ui.log_window = 100;
    config.ui.tick_ms = 60_000;
    config.watch.poll_ms = 10;
    config.log.level = "warroom=debug,info".to_string();
    config.log.keep_files = 365;
    config
}

#[test]
fn documented_config_sets_every_key_to_its_default() {
    let layer = parse_file(Path::new("config.toml"), DOCUMENTED).unwrap();
    // Applied over a config where every key differs from its default, so a key the file
    // forgot would show.
    let mut config = every_key_changed();
    let changed = toml::Table::try_from(&config).unwrap();
    let defaults = toml::Table::try_from(Config::default()).unwrap();
    for (section, keys) in SECTIONS {
        for key in *keys {
            assert_ne!(
                changed[*section][*key], defaults[*section][*key],
                "every_key_changed() leaves {section}.{key} at its default"
            );
        }
    }
    layer.apply_to(&mut config);
    assert_eq!(config, Config::default());
}

#[test]
fn documented_config_names_and_documents_every_key() {
    let documented: toml::Table = toml::from_str(DOCUMENTED).unwrap();
    assert_eq!(table_keys(&documented), toml_keys(&Config::default()));

    let catalog: BTreeSet<String> = SECTIONS
        .iter()
        .flat_map(|(section, keys)| keys.iter().map(move |key| format!("{section}.{key}")))
        .collect();
    assert_eq!(catalog, toml_keys(&Config::default()));

    // Each key line follows a comment block that ends with its default.
    let lines: Vec<&str> = DOCUMENTED.lines().collect();
    for (index, line) in lines.iter().enumerate() {
        let is_key = !line.is_empty() && !line.starts_with('#') && !line.starts_with('[');
        if is_key {
            let previous = index.checked_sub(1).map_or("", |i| lines[i]);
            assert!(
                previous.starts_with("# ") && previous.contains("Default: "),
                "config.toml line {}: `{line}` lacks a `# ... Default: ...` comment above it",
                index + 1
            );
        }
    }
}

#[test]
fn repo_template_is_all_comments_and_mentions_every_key() {
    let template = repo_template();
    let layer = parse_file(Path::new(".warroom/config.toml"), template).unwrap();
    assert_eq!(layer, ConfigLayer::default());
    for (section, keys) in SECTIONS {
        assert!(
            template.lines().any(|line| line == format!("[{section}]")),
            "[{section}] missing from the template"
        );
        for key in *keys {
            assert!(
                template
                    .lines()
                    .any(|line| line.starts_with(&format!("# {key} = "))),
                "{section}.{key} missing from the template"
            );
        }
    }
    assert!(template.starts_with("# warroom settings for this repository."));
}

#[test]
fn uncommenting_a_template_line_sets_that_key() {
    let edited = repo_template().replacen("# color = \"auto\"", "color = \"never\"", 1);
    let layer = parse_file(Path::new(".warroom/config.toml"), &edited).unwrap();
    let mut config = Config::default();
    layer.apply_to(&mut config);
    assert_eq!(config.ui.color, ColorChoice::Never);
}

#[test]
fn load_reads_the_repo_file_through_the_public_api() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("config.toml");
    std::fs::write(&repo, "[watch]\npoll_ms = 42\n").unwrap();
    let (config, sources) = config::load(config::LoadOptions {
        repo_file: Some(repo.clone()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(config.watch.poll_ms, 42);
    assert_eq!(sources.repo, Some(repo));
}

/// `section.key` for every key of a serialized config.
fn toml_keys(config: &Config) -> BTreeSet<String> {
    table_keys(&toml::Table::try_from(config).unwrap())
}

fn table_keys(table: &toml::Table) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (section, value) in table {
        let inner = value.as_table().unwrap();
        for key in inner.keys() {
            keys.insert(format!("{section}.{key}"));
        }
    }
    keys
}
