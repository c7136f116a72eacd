//! Tests of key sources, key files and redaction. Key files are real temp files with real
//! modes; the environment is passed in, never set on the process.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;

use super::*;

fn provider(kind: ProviderKind) -> ProviderConfig {
    ProviderConfig {
        base_url: Some("https://api.example.com/v1".into()),
        ..ProviderConfig::new(kind)
    }
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
    let map: HashMap<String, OsString> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    move |var| map.get(var).cloned()
}

fn key_file(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn config_message(result: Result<Option<Secret>, LlmError>) -> String {
    match result {
        Err(LlmError::Config(message)) => message,
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn a_secret_never_prints() {
    let secret = Secret::new("sk-live-1234567890");
    assert_eq!(format!("{secret}"), "***");
    assert_eq!(format!("{secret:?}"), "***");
    assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
    assert_eq!(secret.expose(), "sk-live-1234567890");
}

#[test]
fn the_key_comes_from_the_named_variable() {
    let mut openai = provider(ProviderKind::OpenAi);
    openai.api_key_env = Some("MY_OPENAI".into());
    let env = env_of(&[("MY_OPENAI", "  sk-abc123\n")]);
    let key = resolve_with("openai", &openai, &env).unwrap().unwrap();
    assert_eq!(key.expose(), "sk-abc123", "trimmed");
    assert_eq!(describe_source(&openai), "environment variable MY_OPENAI");

    let message = config_message(resolve_with("openai", &openai, &env_of(&[])));
    assert_eq!(
        message,
        "provider openai: environment variable MY_OPENAI is not set (it is the api_key_env of \
         [providers.openai]); export it with the key, or change api_key_env"
    );
    let message = config_message(resolve_with(
        "openai",
        &openai,
        &env_of(&[("MY_OPENAI", " ")]),
    ));
    assert!(message.contains("MY_OPENAI is empty"), "{message}");
}

#[test]
fn anthropic_defaults_to_its_variable_and_a_local_server_needs_no_key() {
    let claude = provider(ProviderKind::Anthropic);
    assert_eq!(
        KeySource::of(&claude),
        Some(KeySource::Env("ANTHROPIC_API_KEY".into()))
    );
    let message = config_message(resolve_with("claude", &claude, &env_of(&[])));
    assert!(
        message.contains("ANTHROPIC_API_KEY is not set"),
        "{message}"
    );

    let local = provider(ProviderKind::OpenAi);
    assert_eq!(resolve_with("local", &local, &env_of(&[])).unwrap(), None);
    assert_eq!(describe_source(&local), NO_KEY);
}

#[test]
fn a_private_key_file_is_read_and_a_wider_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = provider(ProviderKind::OpenAi);

    let private = key_file(dir.path(), "private.key", "sk-from-file-1\n", 0o600);
    p.api_key_file = Some(private.clone());
    let key = resolve_with("p", &p, &env_of(&[])).unwrap().unwrap();
    assert_eq!(key.expose(), "sk-from-file-1");
    assert_eq!(
        describe_source(&p),
        format!("key file {}", private.display())
    );

    let read_only = key_file(dir.path(), "ro.key", "k", 0o400);
    assert!(
        read_key_file("p", &read_only).is_ok(),
        "stricter than 0600 is fine"
    );

    let wide = key_file(dir.path(), "wide.key", "sk-x", 0o644);
    let message = match read_key_file("p", &wide) {
        Err(LlmError::Config(message)) => message,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        message,
        format!(
            "provider p: key file {0} has mode 0644, so others than you can read it; a key file \
             must be mode 0600 or stricter: run `chmod 600 {0}`",
            wide.display()
        )
    );
    let group = key_file(dir.path(), "group.key", "sk-x", 0o640);
    assert!(read_key_file("p", &group).is_err());
}

#[test]
fn missing_empty_and_odd_key_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            dir.path().join("nope.key"),
            "does not exist (it is the api_key_file of [providers.p])",
        ),
        (key_file(dir.path(), "empty.key", " \n", 0o600), "is empty"),
        (
            key_file(dir.path(), "two.key", "a b\n", 0o600),
            "holds more than one word",
        ),
        (dir.path().to_path_buf(), "is not a file"),
    ];
    for (path, expected) in cases {
        let message = match read_key_file("p", &path) {
            Err(LlmError::Config(message)) => message,
            other => panic!("{other:?}"),
        };
        assert!(
            message.starts_with(&format!("provider p: key file {} ", path.display()))
                && message.contains(expected),
            "{message}"
        );
    }
}

#[test]
fn a_key_file_under_home_is_expanded() {
    let dir = tempfile::tempdir().unwrap();
    key_file(dir.path(), "k", "sk-home", 0o600);
    let mut p = provider(ProviderKind::OpenAi);
    p.api_key_file = Some(PathBuf::from("~/k"));
    let home = dir.path().to_str().unwrap().to_string();
    let env = env_of(&[("HOME", home.as_str())]);
    assert_eq!(
        resolve_with("p", &p, &env).unwrap().unwrap().expose(),
        "sk-home"
    );
}

#[test]
fn key_shaped_text_is_redacted() {
    let cases = [
        (
            "auth failed for sk-proj-AbCdEf0123456789xyz",
            "auth failed for [redacted]",
        ),
        ("key sk-ant-api03-AbCdEf0123456789-xyz!", "key [redacted]!"),
        (
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc",
            "Authorization: Bearer [redacted]",
        ),
        (
            "x-api-key: sk-ant-abcdefgh12345678",
            "x-api-key: [redacted]",
        ),
        ("x-api-key: 0123456789abcdef", "x-api-key: [redacted]"),
        (
            "GET /v1?key=AIzaSyD3adb33f0123456789abcdef&alt=sse",
            "GET /v1?key=[redacted]&alt=sse",
        ),
        (
            "access_token: \"dGhpcyBpcyBhIHNlY3JldCB0b2tlbjEy\"",
            "access_token: \"[redacted]\"",
        ),
        ("password=hunter2hunter2hunter2", "password=[redacted]"),
    ];
    for (text, expected) in cases {
        assert_eq!(redact(text), expected, "{text}");
    }
}

#[test]
fn ordinary_text_survives_redaction() {
    for text in [
        "the key is in OPENAI_API_KEY",
        "monkey=bananabananabanana1234",
        "key=value",
        "token: short1",
        "a key: averyveryverylongwordwithoutdigits",
        "commit 4f2a9c0e1b7d and sha256 1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "ünïcödé key=ü token:",
        "",
    ] {
        assert_eq!(redact(text), text);
    }
}
