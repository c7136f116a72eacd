//! Config files on disk: every file in `tests/config/valid/` must load (as the repo file of a
//! full [`config::load`], so cross-table references are checked too), every file in
//! `tests/config/invalid/` must fail with an error containing each of its leading
//! `# expect: <substring>` lines (so adding a file adds a case), and the documented top-level
//! `config.toml` and the repo template must stay in step with `Config`; its commented examples
//! must load when uncommented. Reads only files of this repository; touches no environment.

// The helpers below are test code too; clippy's test exemption covers only `#[test]` fns.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use warroom::config::{
    self, ColorChoice, Config, ConfigError, ConfigLayer, DOCUMENTED, LoadOptions, ModelRef, Policy,
    PriceConfig, ProviderConfig, ProviderKind, RoleConfig, SECTIONS, Sources, parse_file,
    read_file, repo_template,
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

/// `path` as the only layer of a full load.
fn load_file(path: &Path) -> Result<(Config, Sources), ConfigError> {
    config::load(LoadOptions {
        repo_file: Some(path.to_path_buf()),
        ..LoadOptions::default()
    })
}

fn load_one(path: &Path) -> Config {
    load_file(path).unwrap().0
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
        if let Err(error) = load_file(&path) {
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
        let message = match load_file(&path) {
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

#[test]
fn provider_tables_merge_and_resolve() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/config/valid");
    let config = load_one(&dir.join("providers_and_roles.toml"));
    let local = &config.providers["local"];
    assert!(local.is_local() && local.text_tool_calls());
    assert_eq!(local.url(), "http://127.0.0.1:8080/v1");
    let router = &config.providers["openrouter"];
    assert!(!router.is_local() && !router.text_tool_calls());
    assert_eq!(
        router.api_key_file.as_deref(),
        Some(dir.join("keys/openrouter.key").as_path()),
        "a relative key file is relative to the config file's folder"
    );
    let claude = &config.providers["claude"];
    assert_eq!(claude.url(), config::ANTHROPIC_BASE_URL);
    assert_eq!(claude.first_byte_timeout_ms, 120_000);
    let planner = &config.roles["planner"];
    assert_eq!(
        planner.models[0],
        ModelRef {
            provider: "openrouter".into(),
            model: "anthropic/claude-3.5-sonnet".into()
        },
        "a model name may contain /"
    );
    assert_eq!(planner.models.len(), 3);
    assert_eq!(planner.temperature, Some(0.0));
    assert_eq!(config.pricing["my-finetune"].output, Some(2.0));
    assert_eq!(config.pricing["my-finetune"].cached, None);
}

#[test]
fn documented_examples_load_when_uncommented() {
    // Uncomment the example tables ("# [providers.x]" and the "# key = value" lines below them).
    let mut in_example = false;
    let mut text = String::new();
    for line in DOCUMENTED.lines() {
        let body = line.strip_prefix("# ").unwrap_or("");
        let is_header = body.ends_with(']')
            && ["[providers.", "[roles.", "[pricing."]
                .iter()
                .any(|start| body.starts_with(start));
        in_example = is_header || (in_example && body.contains(" = "));
        text.push_str(if in_example { body } else { line });
        text.push('\n');
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, &text).unwrap();
    let config = load_one(&path);
    assert_eq!(
        config.providers.keys().collect::<Vec<_>>(),
        ["claude", "demo", "llama", "local", "openai"]
    );
    assert_eq!(
        config.roles.keys().collect::<Vec<_>>(),
        ["analyst", "default"]
    );
    assert_eq!(config.pricing["gpt-4.1"].cached, Some(0.5));
    assert_eq!(config.providers["local"].first_byte_timeout_ms, 300_000);
    assert_eq!(config.providers["llama"].kind, ProviderKind::Local);
}

/// What `valid/every_key.toml` sets: every key away from its default.
fn every_key_changed() -> Config {
    let mut config = Config::default();
    config.store.batch_max_events = 100_000;
    config.store.batch_max_delay_ms = 1000;
    config.store.busy_timeout_ms = 1;
    config.store.heartbeat_ms = 100;
    config.ui.color = ColorChoice::Never;
    config.ui.mouse = false;
    config.ui.log_timestamps = false;
    config.ui.log_window = 100;
    config.ui.tick_ms = 60_000;
    config.watch.poll_ms = 10;
    config.repo_watch.enabled = false;
    config.repo_watch.debounce_ms = 10_000;
    config.repo_watch.max_wait_ms = 10;
    config.repo_watch.poll = true;
    config.repo_watch.poll_ms = 100;
    config.log.level = "warroom=debug,info".to_string();
    config.log.keep_files = 365;
    config.budget.run_usd = 1.5;
    config.budget.run_tokens = 200_000;
    config.budget.agent_usd = 0.25;
    config.budget.agent_tokens = 50_000;
    config.router.max_retries = 0;
    config.router.base_backoff_ms = 100;
    config.router.max_backoff_ms = 1000;
    config.router.breaker_failures = 5;
    config.router.breaker_cooldown_ms = 1000;
    config.cache.enabled = false;
    config.cache.ttl_secs = 60;
    config.cache.only_deterministic = false;
    config.team.concurrency = 2;
    config.team.max_attempts = 5;
    config.team.max_steps = 40;
    config.team.tool_output_bytes = 4096;
    config.sentinel.enabled = false;
    config.sentinel.warn_after_secs = 1;
    config.sentinel.retry_after_secs = 86_400;
    config.sentinel.escalate_after_secs = 2;
    config.sandbox.cpu_secs = 30;
    config.sandbox.memory_mb = 1024;
    config.sandbox.file_size_mb = 64;
    config.sandbox.processes = 64;
    config.sandbox.timeout_secs = 60;
    config.sandbox.output_kb = 64;
    config.approvals.patch = Policy::Ask;
    config.approvals.command = Policy::Ask;
    config.approvals.apply = Policy::Auto;
    config.approvals.outside = Policy::Deny;
    config.approvals.allow = vec!["cargo test".into(), "pytest".into()];
    config.approvals.ask = vec!["git push".into()];
    config.approvals.deny = vec!["rm -rf".into()];
    config.repo.build = "make build".into();
    config.repo.test = "make test".into();
    config.repo.run = "make run".into();
    config.memory.embeddings = "openai".into();
    config.memory.embedding_model = "nomic-embed-text".into();
    config.memory.inject_tokens = 0;
    config.memory.synthesis = String::new();
    config.memory.chat_turns = 2;
    config.providers.insert(
        "openai".into(),
        ProviderConfig {
            base_url: Some("https://api.openai.com/v1".into()),
            api_key_env: Some("OPENAI_API_KEY".into()),
            connect_timeout_ms: 5000,
            first_byte_timeout_ms: 20_000,
            idle_timeout_ms: 7000,
            text_tool_calls: Some(true),
            ..ProviderConfig::new(ProviderKind::OpenAi)
        },
    );
    config.providers.insert(
        "claude".into(),
        ProviderConfig {
            api_key_file: Some("/etc/warroom/anthropic.key".into()),
            ..ProviderConfig::new(ProviderKind::Anthropic)
        },
    );
    config.roles.insert(
        "analyst".into(),
        RoleConfig {
            models: vec![
                ModelRef::parse("claude/claude-sonnet-4").unwrap(),
                ModelRef::parse("openai/gpt-4.1").unwrap(),
            ],
            temperature: Some(0.2),
            max_tokens: Some(4096),
            tools: Some(vec!["read_file".into(), "apply_patch".into()]),
            prompt: Some("/etc/warroom/analyst.md".into()),
            about: Some("writes the patches".into()),
            ..RoleConfig::default()
        },
    );
    config.pricing.insert(
        "gpt-4.1".into(),
        PriceConfig {
            input: Some(2.0),
            output: Some(8.0),
            cached: Some(0.5),
            cache_write: Some(2.5),
        },
    );
    config
}

#[test]
fn documented_config_sets_every_key_to_its_default() {
    let layer = parse_file(Path::new("config.toml"), DOCUMENTED).unwrap();
    // Applied over a config where every key differs from its default, so a key the file
    // forgot would show. The tables of named entries have no defaults to document.
    let mut config = every_key_changed();
    config.providers.clear();
    config.roles.clear();
    config.pricing.clear();
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
    layer.apply_to(&mut config).unwrap();
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
    layer.apply_to(&mut config).unwrap();
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
