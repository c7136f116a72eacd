//! Where a provider's API key comes from, and reading it: the environment variable named by
//! `api_key_env`, or the file named by `api_key_file`, which must be mode 0600 or stricter (a
//! key others can read is refused). A key is held in a [`Secret`] that never prints, and
//! [`redact`] masks key-shaped text in anything bound for a log or the screen. Reads only the
//! variable or file it is told to; writes nothing; knows nothing of HTTP.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::config::{ANTHROPIC_KEY_ENV, ProviderConfig, ProviderKind};

use super::LlmError;

/// An API key. `Debug` and `Display` print `***`; only [`Secret::expose`] gives the text, for
/// the one header that needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Secret {
        Secret(key.into())
    }

    /// The key itself. Call it where the key is sent, nowhere else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Where a key is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// An environment variable, by name.
    Env(String),
    /// A file (`~/` not yet expanded).
    File(PathBuf),
}

impl KeySource {
    /// The provider's key source: its `api_key_env` or `api_key_file`; for an `anthropic`
    /// provider that names neither, `ANTHROPIC_API_KEY`; otherwise none (a local server).
    pub fn of(provider: &ProviderConfig) -> Option<KeySource> {
        match (&provider.api_key_env, &provider.api_key_file, provider.kind) {
            (Some(var), _, _) => Some(KeySource::Env(var.clone())),
            (None, Some(path), _) => Some(KeySource::File(path.clone())),
            (None, None, ProviderKind::Anthropic) => {
                Some(KeySource::Env(ANTHROPIC_KEY_ENV.to_string()))
            }
            (None, None, ProviderKind::OpenAi | ProviderKind::Local | ProviderKind::Replay) => None,
        }
    }
}

/// "environment variable OPENAI_API_KEY" or "key file /path": what a 401 names.
impl fmt::Display for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeySource::Env(var) => write!(f, "environment variable {var}"),
            KeySource::File(path) => write!(f, "key file {}", path.display()),
        }
    }
}

/// What a provider without a key source says where its key came from.
pub const NO_KEY: &str =
    "no key configured (set api_key_env or api_key_file in the provider's config)";

/// Where the provider's key comes from, in words, for messages (a 401 names it).
pub fn describe_source(provider: &ProviderConfig) -> String {
    KeySource::of(provider).map_or_else(|| NO_KEY.to_string(), |source| source.to_string())
}

/// Reads the key of provider `name` from the process environment or its key file; `None` when
/// it has no key source.
pub fn resolve(name: &str, provider: &ProviderConfig) -> Result<Option<Secret>, LlmError> {
    resolve_with(name, provider, &|var| std::env::var_os(var))
}

/// [`resolve`] with the environment given (`env` answers a variable's value), for tests.
pub fn resolve_with(
    name: &str,
    provider: &ProviderConfig,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Option<Secret>, LlmError> {
    match KeySource::of(provider) {
        None => Ok(None),
        Some(KeySource::Env(var)) => read_env(name, &var, env).map(Some),
        Some(KeySource::File(path)) => {
            let path = expand_home(&path, env("HOME").map(PathBuf::from).as_deref());
            read_key_file(name, &path).map(Some)
        }
    }
}

fn read_env(
    name: &str,
    var: &str,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Secret, LlmError> {
    let config = |problem: &str| {
        LlmError::Config(format!(
            "provider {name}: environment variable {var} {problem} (it is the api_key_env of \
             [providers.{name}]); export it with the key, or change api_key_env"
        ))
    };
    let value = env(var).ok_or_else(|| config("is not set"))?;
    let value = value
        .into_string()
        .map_err(|_| config("is not valid UTF-8"))?;
    let key = value.trim();
    if key.is_empty() {
        return Err(config("is empty"));
    }
    Ok(Secret::new(key))
}

/// Reads a key file, refusing one that others than its owner may read or write.
pub fn read_key_file(name: &str, path: &Path) -> Result<Secret, LlmError> {
    let config = |problem: String| {
        LlmError::Config(format!(
            "provider {name}: key file {} {problem}",
            path.display()
        ))
    };
    let metadata = std::fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => config(format!(
            "does not exist (it is the api_key_file of [providers.{name}])"
        )),
        _ => config(format!("cannot be read: {error}")),
    })?;
    if !metadata.is_file() {
        return Err(config("is not a file".into()));
    }
    check_mode(&metadata).map_err(|mode| {
        config(format!(
            "has mode {mode:04o}, so others than you can read it; a key file must be mode 0600 \
             or stricter: run `chmod 600 {}`",
            path.display()
        ))
    })?;
    let text = std::fs::read_to_string(path)
        .map_err(|error| config(format!("cannot be read: {error}")))?;
    let key = text.trim();
    if key.is_empty() {
        return Err(config("is empty".into()));
    }
    if key.contains(char::is_whitespace) {
        return Err(config(
            "holds more than one word; it must hold the key alone".into(),
        ));
    }
    Ok(Secret::new(key))
}

/// `Err(mode)` when group or others have any permission.
#[cfg(unix)]
fn check_mode(metadata: &std::fs::Metadata) -> Result<(), u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o7777;
    if mode & 0o077 == 0 { Ok(()) } else { Err(mode) }
}

#[cfg(not(unix))]
fn check_mode(_metadata: &std::fs::Metadata) -> Result<(), u32> {
    Ok(())
}

/// `~/rest` under `home`; any other path as it is.
fn expand_home(path: &Path, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// `text` with anything key-shaped replaced by `[redacted]`: `sk-...` and `sk-ant-...` words,
/// `Bearer <token>`, `x-api-key: ...` and other `api_key`/`api-key` values (all through
/// [`super::redact::redact`]), and long tokens after `key=`, `token=`, `secret=` or
/// `password=` (and their `:` forms). For log lines and error messages.
pub fn redact(text: &str) -> String {
    let out = super::redact::redact(text, None);
    redact_assignments(&out)
}

const SECRET_NAMES: [&str; 4] = ["key", "token", "secret", "password"];

/// Masks a token of 16 or more key characters, with a digit in it (words stay), that follows
/// one of [`SECRET_NAMES`] (alone or ending a name such as `access_token` or `client-secret`)
/// and a `=` or `:`.
fn redact_assignments(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut at = 0;
    while at < bytes.len() {
        let Some(name) = SECRET_NAMES
            .iter()
            .find(|name| bytes[at..].starts_with(name.as_bytes()))
        else {
            at += 1;
            continue;
        };
        let name_end = at + name.len();
        // The name must be a word or end one after `_` or `-`: "key=", "api_key=" and
        // "client-secret:" name secrets, "monkey=" and "keyboard:" do not.
        let in_word = at
            .checked_sub(1)
            .and_then(|before| bytes.get(before))
            .is_some_and(|b| b.is_ascii_alphanumeric())
            || bytes
                .get(name_end)
                .is_some_and(|b| b.is_ascii_alphanumeric());
        let gap = lower[name_end..]
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'"' | b'\'' | b'=' | b':' | b'\t'))
            .count();
        let separated = lower[name_end..name_end + gap].contains(['=', ':']);
        let token_at = name_end + gap;
        let token = lower[token_at..]
            .bytes()
            .take_while(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_' | b'.')
            })
            .count();
        let token_text = &text[token_at..token_at + token];
        if !in_word && separated && token >= 16 && token_text.bytes().any(|b| b.is_ascii_digit()) {
            out.push_str(&text[copied..token_at]);
            out.push_str(super::redact::REDACTED);
            copied = token_at + token;
            at = copied;
        } else {
            at = name_end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
