//! The environment a command gets: built from nothing, never inherited, and never holding a
//! variable whose name looks like a credential.

/// The command's `HOME`: a folder in its private `/tmp` (created by the sandbox, or made fresh
/// per command by `run` when there is no sandbox).
pub const PRIVATE_HOME: &str = "/tmp/warroom-home";

/// Folders searched for programs when warroom's own PATH is unset.
const FALLBACK_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The whole environment of a command: `PATH`, `HOME` ([`PRIVATE_HOME`]), `LANG=C.UTF-8`,
/// `TERM=dumb`, then `extra` (a later name replaces an earlier one).
///
/// Nothing else comes from warroom's own environment: API keys, tokens, `SSH_AUTH_SOCK`,
/// cloud credentials and the like are simply never there. `PATH` is the one value taken from
/// warroom's environment (a list of folders, so that the person's toolchains are found).
/// An extra whose name looks like a secret (`*_KEY`, `*_TOKEN`, `*_SECRET`, `*PASSWORD*`,
/// `*_CREDENTIALS`, `*_AUTH*`, ...) or that is not a valid variable is dropped and logged, by
/// name only.
pub fn clean_env(extra: &[(String, String)]) -> Vec<(String, String)> {
    let path = std::env::var("PATH").unwrap_or_else(|_| FALLBACK_PATH.to_string());
    let mut env: Vec<(String, String)> = vec![
        ("PATH".into(), path),
        ("HOME".into(), PRIVATE_HOME.into()),
        ("LANG".into(), "C.UTF-8".into()),
        ("TERM".into(), "dumb".into()),
    ];
    for (name, value) in extra {
        if let Some(why) = refusal(name, value) {
            tracing::warn!("exec: environment variable {name:?} dropped: {why}");
            continue;
        }
        env.retain(|(n, _)| n != name);
        env.push((name.clone(), value.clone()));
    }
    env
}

/// Whether a variable name looks like it holds a credential.
pub fn looks_secret(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "KEY",
        "KEYS",
        "APIKEY",
        "TOKEN",
        "TOKENS",
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWD",
        "PASSPHRASE",
        "CREDENTIAL",
        "CREDENTIALS",
        "AUTH",
        "COOKIE",
        "PRIVATE",
        "SESSION",
        "SIGNATURE",
    ];
    let upper = name.to_ascii_uppercase();
    upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| {
            WORDS.contains(&word)
                || word.ends_with("KEY")
                || word.ends_with("TOKEN")
                || word.ends_with("SECRET")
                || word.contains("PASSWORD")
        })
}

/// Why an extra variable is refused, if it is.
fn refusal(name: &str, value: &str) -> Option<&'static str> {
    let valid_name = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid_name {
        Some("not a valid variable name")
    } else if value.contains('\0') {
        Some("the value holds a NUL byte")
    } else if looks_secret(name) {
        Some("its name looks like a credential, and commands never get credentials")
    } else {
        None
    }
}
