//! Unit tests of the config layering, the environment and `--set` layers and error wording.
//! Files are real temp files; the environment is passed in through `LoadOptions`, never set on
//! the process. The folder-driven file tests live in `tests/config.rs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::line_column;
use super::*;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load_err(options: LoadOptions<'_>) -> String {
    load(options).unwrap_err().to_string()
}

#[test]
fn defaults_match_the_store_defaults() {
    assert_eq!(
        Config::default().store.options(),
        crate::store::StoreOptions::default()
    );
}

#[test]
fn options_convert_milliseconds() {
    let mut config = Config::default();
    config.store.batch_max_delay_ms = 7;
    config.store.heartbeat_ms = 150;
    let options = config.store.options();
    assert_eq!(options.batch_max_delay, Duration::from_millis(7));
    assert_eq!(options.heartbeat, Duration::from_millis(150));
}

#[test]
fn nothing_to_read_gives_the_defaults() {
    let (config, sources) = load(LoadOptions::default()).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(sources, Sources::default());
}

#[test]
fn each_layer_overrides_the_one_below() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(
        dir.path(),
        "user.toml",
        "[store]\nbatch_max_events = 10\nbatch_max_delay_ms = 10\nbusy_timeout_ms = 10\n\
         heartbeat_ms = 100\n[watch]\npoll_ms = 11\n",
    );
    let repo = write(
        dir.path(),
        "repo.toml",
        "[store]\nbatch_max_delay_ms = 20\nbusy_timeout_ms = 20\nheartbeat_ms = 200\n",
    );
    let overrides = vec![
        "store.heartbeat_ms=400".to_string(),
        "ui.color = always".to_string(),
        "ui.color=never".to_string(),
    ];
    let (config, sources) = load(LoadOptions {
        user_file: Some(user.clone()),
        repo_file: Some(repo.clone()),
        env: env(&[
            ("WARROOM_STORE_BUSY_TIMEOUT_MS", "30"),
            ("WARROOM_STORE_HEARTBEAT_MS", "300"),
            ("WARROOM_UI_COLOR", "always"),
            ("HOME", "/nowhere"),
        ]),
        overrides: &overrides,
    })
    .unwrap();
    assert_eq!(config.store.batch_max_events, 10, "user");
    assert_eq!(config.watch.poll_ms, 11, "user");
    assert_eq!(config.store.batch_max_delay_ms, 20, "repo over user");
    assert_eq!(config.store.busy_timeout_ms, 30, "env over repo");
    assert_eq!(config.store.heartbeat_ms, 400, "--set over env");
    assert_eq!(config.ui.color, ColorChoice::Never, "a later --set wins");
    assert_eq!(config.ui.log_window, 2000, "default where no layer sets it");
    assert_eq!(sources.user, Some(user));
    assert_eq!(sources.repo, Some(repo));
    assert_eq!(
        sources.env,
        vec![
            "WARROOM_STORE_BUSY_TIMEOUT_MS",
            "WARROOM_STORE_HEARTBEAT_MS",
            "WARROOM_UI_COLOR"
        ]
    );
    assert_eq!(sources.overrides, overrides);
}

#[test]
fn env_values_are_toml_or_strings() {
    let (config, _) = load(LoadOptions {
        env: env(&[
            ("WARROOM_STORE_BATCH_MAX_EVENTS", "500"),
            ("WARROOM_UI_LOG_TIMESTAMPS", "false"),
            ("WARROOM_UI_COLOR", "\"never\""),
            ("WARROOM_LOG_LEVEL", "warroom=debug,info"),
        ]),
        ..LoadOptions::default()
    })
    .unwrap();
    assert_eq!(config.store.batch_max_events, 500);
    assert!(!config.ui.log_timestamps);
    assert_eq!(config.ui.color, ColorChoice::Never);
    assert_eq!(config.log.level, "warroom=debug,info");
}

#[test]
fn warroom_log_and_test_variables_are_not_config() {
    let (config, sources) = load(LoadOptions {
        env: env(&[
            ("WARROOM_LOG", "trace"),
            ("RUST_LOG", "debug"),
            ("WARROOM_LLM_HOME", "/tmp/llm"),
            ("WARROOM_TEST_LLM_URL", "http://127.0.0.1:1/v1"),
            ("WARROOM_BENCH_QUICK", "1"),
        ]),
        ..LoadOptions::default()
    })
    .unwrap();
    assert_eq!(config, Config::default());
    assert!(sources.env.is_empty());
}

#[test]
fn an_unknown_variable_is_named() {
    let message = load_err(LoadOptions {
        env: env(&[("WARROOM_UI_COLOUR", "never")]),
        ..LoadOptions::default()
    });
    assert_eq!(
        message,
        "environment variable WARROOM_UI_COLOUR: not a warroom setting, expected one of \
         WARROOM_UI_COLOR, WARROOM_UI_LOG_TIMESTAMPS, WARROOM_UI_LOG_WINDOW, WARROOM_UI_TICK_MS, \
         WARROOM_UI_MOUSE"
    );
    let message = load_err(LoadOptions {
        env: env(&[("WARROOM_THEME", "dark")]),
        ..LoadOptions::default()
    });
    assert!(
        message.starts_with("environment variable WARROOM_THEME: not a warroom setting"),
        "{message}"
    );
    assert!(
        message.contains("WARROOM_STORE_BATCH_MAX_EVENTS"),
        "{message}"
    );
    assert!(message.contains("WARROOM_LOG_KEEP_FILES"), "{message}");
}

#[test]
fn a_bad_env_value_names_the_variable_and_key() {
    let message = load_err(LoadOptions {
        env: env(&[("WARROOM_UI_COLOR", "blue")]),
        ..LoadOptions::default()
    });
    assert_eq!(
        message,
        "environment variable WARROOM_UI_COLOR: ui.color: unknown variant \"blue\", \
         expected one of \"auto\", \"always\", \"never\""
    );
    let message = load_err(LoadOptions {
        env: env(&[("WARROOM_STORE_BATCH_MAX_EVENTS", "0")]),
        ..LoadOptions::default()
    });
    assert_eq!(
        message,
        "environment variable WARROOM_STORE_BATCH_MAX_EVENTS: store.batch_max_events: \
         0 is out of range, expected an integer from 1 to 100000"
    );
    let message = load_err(LoadOptions {
        env: env(&[("WARROOM_WATCH_POLL_MS", "fast")]),
        ..LoadOptions::default()
    });
    assert_eq!(
        message,
        "environment variable WARROOM_WATCH_POLL_MS: watch.poll_ms: invalid type: \
         string \"fast\", expected an integer from 10 to 10000"
    );
}

#[test]
fn set_errors_name_the_argument() {
    let cases = [
        (
            "ui.color=blue",
            "--set ui.color=blue: ui.color: unknown variant \"blue\", expected one of \
             \"auto\", \"always\", \"never\"",
        ),
        (
            "ui.colour=never",
            "--set ui.colour=never: ui.colour: unknown key \"colour\" in [ui], expected one of \
             \"color\", \"log_timestamps\", \"log_window\", \"tick_ms\", \"mouse\"",
        ),
        (
            "theme.color=never",
            "--set theme.color=never: theme: unknown section \"theme\", expected one of \
             \"store\", \"ui\", \"watch\", \"log\", \"budget\", \"router\", \"cache\", \
             \"team\", \"sentinel\", \"sandbox\", \"approvals\", \"repo\", \"memory\", \
             \"repo_watch\", \"providers\", \"roles\", \"pricing\"",
        ),
        (
            "ui.color",
            "--set ui.color: expected section.key=value, e.g. ui.color=never",
        ),
        (
            "color=never",
            "--set color=never: \"color\" is not a section.key path, expected section.key=value, \
             e.g. ui.color=never",
        ),
        (
            "ui.=never",
            "--set ui.=never: expected section.key=value, e.g. ui.color=never",
        ),
        (
            "log.keep_files=366",
            "--set log.keep_files=366: log.keep_files: 366 is out of range, expected an integer \
             from 1 to 365",
        ),
        (
            "ui.log_timestamps=yes",
            "--set ui.log_timestamps=yes: ui.log_timestamps: invalid type: string \"yes\", \
             expected a boolean",
        ),
    ];
    for (arg, expected) in cases {
        let overrides = vec![arg.to_string()];
        let message = load_err(LoadOptions {
            overrides: &overrides,
            ..LoadOptions::default()
        });
        assert_eq!(message, expected, "--set {arg}");
    }
}

#[test]
fn set_takes_toml_values_and_bare_words() {
    let overrides = vec![
        "store.batch_max_events=500".to_string(),
        "log.level=warroom=debug".to_string(),
        "ui.log_timestamps=false".to_string(),
        "ui.color=\"always\"".to_string(),
    ];
    let (config, _) = load(LoadOptions {
        overrides: &overrides,
        ..LoadOptions::default()
    })
    .unwrap();
    assert_eq!(config.store.batch_max_events, 500);
    assert_eq!(config.log.level, "warroom=debug");
    assert!(!config.ui.log_timestamps);
    assert_eq!(config.ui.color, ColorChoice::Always);
}

#[test]
fn a_missing_user_file_is_fine() {
    let dir = tempfile::tempdir().unwrap();
    let (config, sources) = load(LoadOptions {
        user_file: Some(dir.path().join("nope/config.toml")),
        repo_file: Some(dir.path().join("also-missing.toml")),
        ..LoadOptions::default()
    })
    .unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(sources.user, None);
    assert_eq!(sources.repo, None);
}

#[test]
fn an_unreadable_repo_file_is_an_error() {
    // Tests may run as root, where chmod 000 does not stop a read; a directory does.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("config.toml");
    std::fs::create_dir(&repo).unwrap();
    let error = load(LoadOptions {
        repo_file: Some(repo.clone()),
        ..LoadOptions::default()
    })
    .unwrap_err();
    assert!(matches!(&error, ConfigError::Read { path, .. } if *path == repo));
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{}: cannot read config file: ", repo.display())),
        "{message}"
    );
}

#[test]
fn a_file_error_names_file_line_column_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(
        dir.path(),
        "config.toml",
        "# mine\n[ui]\ncolor = \"blue\"\n",
    );
    let message = load_err(LoadOptions {
        user_file: Some(user.clone()),
        ..LoadOptions::default()
    });
    assert_eq!(
        message,
        format!(
            "{}:3:9: ui.color: unknown variant \"blue\", expected one of \"auto\", \"always\", \
             \"never\"",
            user.display()
        )
    );
}

#[test]
fn a_bad_lower_layer_fails_even_when_a_higher_one_sets_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(dir.path(), "config.toml", "[ui]\ntick_ms = 0\n");
    let overrides = vec!["ui.tick_ms=500".to_string()];
    let message = load_err(LoadOptions {
        user_file: Some(user),
        overrides: &overrides,
        ..LoadOptions::default()
    });
    assert!(
        message.contains(":2:11: ui.tick_ms: 0 is out of range"),
        "{message}"
    );
}

#[test]
fn line_column_counts_characters() {
    let text = "a\né = 1\n";
    assert_eq!(line_column(text, 0), (1, 1));
    assert_eq!(line_column(text, 2), (2, 1));
    // "1" sits after "é = " (é is two bytes): column 5.
    assert_eq!(line_column(text, text.find('1').unwrap()), (2, 5));
    assert_eq!(
        line_column(text, 3),
        (2, 1),
        "inside a character: its start"
    );
    assert_eq!(line_column(text, 999), (3, 1), "past the end: the end");
}

#[test]
fn color_choice_auto_follows_tty_and_no_color() {
    assert!(ColorChoice::Auto.enabled(false, true));
    assert!(!ColorChoice::Auto.enabled(true, true));
    assert!(!ColorChoice::Auto.enabled(false, false));
    assert!(ColorChoice::Always.enabled(true, false));
    assert!(!ColorChoice::Never.enabled(false, true));
}

#[test]
fn every_key_has_an_env_name() {
    let names: Vec<String> = SECTIONS
        .iter()
        .flat_map(|(section, keys)| keys.iter().map(|key| env_name(section, key)))
        .collect();
    assert!(names.contains(&"WARROOM_STORE_BATCH_MAX_EVENTS".to_string()));
    assert!(names.contains(&"WARROOM_UI_COLOR".to_string()));
    for name in &names {
        assert!(!NOT_CONFIG.contains(&name.as_str()), "{name} clashes");
    }
}

#[test]
fn from_environment_keeps_only_warroom_variables() {
    let overrides = vec!["ui.color=never".to_string()];
    let options =
        LoadOptions::from_environment(PathBuf::from("/r/.warroom/config.toml"), &overrides);
    assert_eq!(
        options.repo_file,
        Some(PathBuf::from("/r/.warroom/config.toml"))
    );
    assert!(
        options
            .env
            .iter()
            .all(|(name, _)| name.starts_with("WARROOM_"))
    );
    assert_eq!(options.overrides, overrides.as_slice());
    if let Some(user) = &options.user_file {
        assert!(user.ends_with("warroom/config.toml"), "{}", user.display());
    }
}

const PROVIDERS: &str = "[providers.local]\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:8080/v1\"\n\
                         api_key_env = \"LOCAL_KEY\"\n";

#[test]
fn set_changes_one_key_of_a_provider_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(dir.path(), "config.toml", PROVIDERS);
    let overrides = vec![
        "providers.local.base_url=https://gpu-box.example:8080/v1".to_string(),
        "providers.claude={ kind = \"anthropic\" }".to_string(),
        "roles.analyst.models=[\"local/qwen\", \"claude/claude-sonnet-4\"]".to_string(),
        "pricing.\"gpt-4.1\".input=3".to_string(),
        "budget.run_usd=2.5".to_string(),
    ];
    let (config, _) = load(LoadOptions {
        user_file: Some(user),
        overrides: &overrides,
        ..LoadOptions::default()
    })
    .unwrap();
    let local = &config.providers["local"];
    assert_eq!(local.url(), "https://gpu-box.example:8080/v1");
    assert_eq!(local.api_key_env.as_deref(), Some("LOCAL_KEY"), "kept");
    assert!(!local.text_tool_calls(), "follows the new URL");
    assert_eq!(config.providers["claude"].kind, ProviderKind::Anthropic);
    assert_eq!(
        config.roles["analyst"].models[1].to_string(),
        "claude/claude-sonnet-4"
    );
    assert_eq!(config.pricing["gpt-4.1"].input, Some(3.0));
    assert_eq!(config.budget.run_usd, 2.5);
}

#[test]
fn set_errors_for_tables_name_the_argument() {
    let cases = [
        (
            "providers.new.base_url=http://127.0.0.1:1/v1",
            "--set providers.new.base_url=http://127.0.0.1:1/v1: providers.new: missing key \
             \"kind\": a provider must say which API it speaks, one of \"openai\", \"anthropic\", \
             \"local\", \"replay\"",
        ),
        (
            "providers.local.kind=azure",
            "--set providers.local.kind=azure: providers.local.kind: unknown provider kind \
             \"azure\", expected one of \"openai\", \"anthropic\", \"local\", \"replay\"",
        ),
        (
            "roles.analyst.models=[\"nowhere/m\"]",
            "--set roles.analyst.models=[\"nowhere/m\"]: roles.analyst.models: \"nowhere/m\" names \
             provider \"nowhere\", which no [providers.nowhere] table defines; defined providers: \
             \"local\"",
        ),
        (
            "pricing.\"gpt-4.1.input=3",
            "--set pricing.\"gpt-4.1.input=3: unclosed quote in the key path",
        ),
        (
            "providers.local.base_url.x=1",
            "--set providers.local.base_url.x=1: \"providers.local.base_url.x\" has too many \
             parts, expected section.key=value or table.NAME.key=value, e.g. \
             providers.local.base_url=http://127.0.0.1:8080/v1",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let user = write(dir.path(), "config.toml", PROVIDERS);
    for (arg, expected) in cases {
        let overrides = vec![arg.to_string()];
        let message = load_err(LoadOptions {
            user_file: Some(user.clone()),
            overrides: &overrides,
            ..LoadOptions::default()
        });
        assert_eq!(message, expected, "--set {arg}");
    }
}

#[test]
fn tables_cannot_come_from_the_environment_but_budget_and_router_can() {
    let message = load_err(LoadOptions {
        env: env(&[("WARROOM_PROVIDERS_LOCAL_BASE_URL", "http://x")]),
        ..LoadOptions::default()
    });
    assert_eq!(
        message,
        "environment variable WARROOM_PROVIDERS_LOCAL_BASE_URL: [providers.NAME] tables cannot \
         be set from the environment; use a config file or --set providers.NAME.KEY=VALUE"
    );
    let (config, _) = load(LoadOptions {
        env: env(&[
            ("WARROOM_BUDGET_AGENT_TOKENS", "1000"),
            ("WARROOM_ROUTER_MAX_RETRIES", "0"),
        ]),
        ..LoadOptions::default()
    })
    .unwrap();
    assert_eq!(config.budget.agent_tokens, 1000);
    assert_eq!(config.router.max_retries, 0);
}

#[test]
fn a_key_pasted_into_api_key_env_is_not_echoed() {
    let key = "sk-proj-Abc123Def456Ghi789Jkl012Mno345";
    let overrides = vec![
        "providers.p.kind=openai".to_string(),
        format!("providers.p.api_key_env={key}"),
    ];
    let message = load_err(LoadOptions {
        overrides: &overrides,
        ..LoadOptions::default()
    });
    assert!(
        message.contains("providers.p.api_key_env: not a variable name"),
        "{message}"
    );
    assert!(!message.contains("Abc123"), "{message}");
}

#[test]
fn references_are_checked_after_every_layer_and_key_sources_replace_each_other() {
    let dir = tempfile::tempdir().unwrap();
    // The user file's role names a provider only the repo file defines.
    let user = write(
        dir.path(),
        "user.toml",
        "[roles.default]\nmodels = [\"local/qwen\"]\n[providers.remote]\nkind = \"anthropic\"\n\
         api_key_env = \"MY_KEY\"\n",
    );
    let repo = write(
        dir.path(),
        "repo.toml",
        &format!("{PROVIDERS}[providers.remote]\napi_key_file = \"remote.key\"\n"),
    );
    let (config, _) = load(LoadOptions {
        user_file: Some(user),
        repo_file: Some(repo),
        ..LoadOptions::default()
    })
    .unwrap();
    let remote = &config.providers["remote"];
    assert_eq!(
        remote.api_key_env, None,
        "the repo's key file replaces the user's variable"
    );
    assert_eq!(remote.api_key_file, Some(dir.path().join("remote.key")));
    assert_eq!(remote.kind, ProviderKind::Anthropic);
}
