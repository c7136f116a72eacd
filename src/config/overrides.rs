//! The two layers that are not files: `WARROOM_<SECTION>_<KEY>` environment variables and
//! `--set section.key=value` (or `--set table.NAME.key=value` for the tables of named entries)
//! arguments, each turned into a one-key [`ConfigLayer`]. Values are TOML (so numbers and
//! booleans work), and a value that is not TOML is taken as a string. Reads no environment
//! itself: the caller passes the variables in.

use serde::Deserialize;

use super::error::{ConfigError, Place, key_path, rejected};
use super::llm::MAP_SECTIONS;
use super::settings::{ConfigLayer, SECTIONS};

/// What every config variable's name starts with.
pub(crate) const ENV_PREFIX: &str = "WARROOM_";

/// `WARROOM_*` variables that are not config and must be left alone: `WARROOM_LOG` is the
/// tracing filter of warroom's own log, read by the logging setup; `WARROOM_DETECT_PORTS` lists
/// the local ports zero config probes (`core::llm::detect`); `WARROOM_LLM_HOME` is where
/// `scripts/local-llm.sh` keeps its server and models.
pub const NOT_CONFIG: &[&str] = &["WARROOM_LOG", "WARROOM_DETECT_PORTS", "WARROOM_LLM_HOME"];

/// Variables under this prefix belong to warroom's own tests and benchmarks
/// (`WARROOM_TEST_LLM_URL`, `WARROOM_BENCH_QUICK`, ...), never to config.
const NOT_CONFIG_PREFIXES: &[&str] = &["WARROOM_TEST_", "WARROOM_BENCH_"];

/// The environment variable that sets `section.key`.
pub fn env_name(section: &str, key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}_{}",
        section.to_ascii_uppercase(),
        key.to_ascii_uppercase()
    )
}

/// The layer of one `WARROOM_*` variable, or `None` for a variable that is not config
/// (another prefix, or one of [`NOT_CONFIG`]).
pub(crate) fn env_layer(var: &str, value: &str) -> Option<Result<ConfigLayer, ConfigError>> {
    if !var.starts_with(ENV_PREFIX)
        || NOT_CONFIG.contains(&var)
        || NOT_CONFIG_PREFIXES.iter().any(|p| var.starts_with(p))
    {
        return None;
    }
    let found = SECTIONS.iter().find_map(|(section, keys)| {
        keys.iter()
            .find(|key| env_name(section, key) == var)
            .map(|key| (*section, *key))
    });
    let map = MAP_SECTIONS.iter().find(|(section, _)| {
        var.starts_with(&format!("{ENV_PREFIX}{}_", section.to_ascii_uppercase()))
    });
    Some(match (found, map) {
        (Some((section, key)), _) => one_key(&[section, key], value, Place::Env(var)),
        (None, Some((section, _))) => Err(ConfigError::MapVariable {
            var: var.to_string(),
            section: section.to_string(),
        }),
        (None, None) => Err(ConfigError::UnknownVariable {
            var: var.to_string(),
            valid: env_candidates(var),
        }),
    })
}

/// The layer of one `--set section.key=value` argument.
pub(crate) fn override_layer(arg: &str) -> Result<ConfigLayer, ConfigError> {
    let bad = |reason: &str| ConfigError::BadOverride {
        arg: arg.to_string(),
        reason: reason.to_string(),
    };
    let Some((path, value)) = arg.split_once('=') else {
        return Err(bad("expected section.key=value, e.g. ui.color=never"));
    };
    let Some(parts) = split_path(path.trim()) else {
        return Err(bad("unclosed quote in the key path"));
    };
    if parts.len() < 2 {
        return Err(bad(&format!(
            "{:?} is not a section.key path, expected section.key=value, e.g. ui.color=never",
            path.trim()
        )));
    }
    if parts.len() > 3 {
        return Err(bad(&format!(
            "{:?} has too many parts, expected section.key=value or table.NAME.key=value, e.g. \
             providers.local.base_url=http://127.0.0.1:8080/v1",
            path.trim()
        )));
    }
    if parts.iter().any(String::is_empty) {
        return Err(bad("expected section.key=value, e.g. ui.color=never"));
    }
    let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
    // A key pasted where its variable's name belongs must not be echoed back in the error.
    let shown;
    let arg = if parts.last() == Some(&"api_key_env") && !is_env_name(value.trim()) {
        shown = format!("{}=(value not shown)", path.trim());
        shown.as_str()
    } else {
        arg
    };
    one_key(&parts, value.trim(), Place::Override(arg))
}

fn is_env_name(text: &str) -> bool {
    let text = text.trim_matches('"');
    text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && text.chars().next().is_some_and(|c| !c.is_ascii_digit())
}

/// Splits a dotted key path; a part may be double-quoted to hold dots
/// (`pricing."gpt-4.1".input`). `None` for an unclosed quote.
fn split_path(path: &str) -> Option<Vec<String>> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in path.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(String::new()),
            c => parts.last_mut()?.push(c),
        }
    }
    (!quoted).then(|| parts.iter().map(|part| part.trim().to_string()).collect())
}

/// Deserializes `{ a: { b: value } }` (or `{ a: { b: { c: value } } }`) as a layer, so unknown
/// names and bad values get the same checks and wording as in a file. Goes through TOML text
/// because map entries remember their position with `toml::Spanned`, which only the document
/// deserializer provides.
fn one_key(path: &[&str], raw: &str, place: Place<'_>) -> Result<ConfigLayer, ConfigError> {
    let mut value = toml_or_string(raw);
    for key in path.iter().rev() {
        let mut table = toml::Table::new();
        table.insert(key.to_string(), value);
        value = toml::Value::Table(table);
    }
    // Neither step fails for a table of parsed values; if one did, say so at the key.
    let cannot = |message: String| ConfigError::Invalid {
        origin: place.origin(None),
        key: key_path(path),
        message,
    };
    let text = toml::to_string(&value).map_err(|e| cannot(e.to_string()))?;
    let deserializer = toml::Deserializer::parse(&text).map_err(|e| cannot(e.to_string()))?;
    serde_path_to_error::deserialize(deserializer)
        .map(|layer: ConfigLayer| layer.locate(place))
        .map_err(|error| rejected(place, error))
}

/// `500` is an integer, `true` a boolean, `"x"` a string; anything that is not a TOML value
/// (`never`, `warroom=debug`) is the string itself.
fn toml_or_string(raw: &str) -> toml::Value {
    toml::de::ValueDeserializer::parse(raw.trim())
        .and_then(toml::Value::deserialize)
        .unwrap_or_else(|_| toml::Value::String(raw.to_string()))
}

/// The variables of the section `var` seems to aim at, or every variable when it names none.
fn env_candidates(var: &str) -> Vec<String> {
    let section = SECTIONS.iter().find(|(section, _)| {
        var.starts_with(&format!("{ENV_PREFIX}{}_", section.to_ascii_uppercase()))
    });
    match section {
        Some((section, keys)) => keys.iter().map(|key| env_name(section, key)).collect(),
        None => SECTIONS
            .iter()
            .flat_map(|(section, keys)| keys.iter().map(|key| env_name(section, key)))
            .collect(),
    }
}
