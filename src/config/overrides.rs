//! The two layers that are not files: `WARROOM_<SECTION>_<KEY>` environment variables and
//! `--set section.key=value` arguments, each turned into a one-key [`ConfigLayer`]. Values are
//! TOML (so numbers and booleans work), and a value that is not TOML is taken as a string.
//! Reads no environment itself: the caller passes the variables in.

use serde::Deserialize;

use super::error::{ConfigError, Place, rejected};
use super::settings::{ConfigLayer, SECTIONS};

/// What every config variable's name starts with.
pub(crate) const ENV_PREFIX: &str = "WARROOM_";

/// `WARROOM_*` variables that are not config and must be left alone: `WARROOM_LOG` is the
/// tracing filter of warroom's own log, read by the logging setup.
pub const NOT_CONFIG: &[&str] = &["WARROOM_LOG"];

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
    if !var.starts_with(ENV_PREFIX) || NOT_CONFIG.contains(&var) {
        return None;
    }
    let found = SECTIONS.iter().find_map(|(section, keys)| {
        keys.iter()
            .find(|key| env_name(section, key) == var)
            .map(|key| (*section, *key))
    });
    Some(match found {
        Some((section, key)) => one_key(section, key, value, Place::Env(var)),
        None => Err(ConfigError::UnknownVariable {
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
    let parts: Vec<&str> = path.trim().split('.').map(str::trim).collect();
    let [section, key] = parts.as_slice() else {
        return Err(bad(&format!(
            "{:?} is not a section.key path, expected section.key=value, e.g. ui.color=never",
            path.trim()
        )));
    };
    if section.is_empty() || key.is_empty() {
        return Err(bad("expected section.key=value, e.g. ui.color=never"));
    }
    one_key(section, key, value.trim(), Place::Override(arg))
}

/// Deserializes `{ section: { key: value } }` as a layer, so unknown names and bad values get
/// the same checks and wording as in a file.
fn one_key(
    section: &str,
    key: &str,
    raw: &str,
    place: Place<'_>,
) -> Result<ConfigLayer, ConfigError> {
    let mut table = toml::Table::new();
    table.insert(key.to_string(), toml_or_string(raw));
    let mut root = toml::Table::new();
    root.insert(section.to_string(), toml::Value::Table(table));
    serde_path_to_error::deserialize(toml::Value::Table(root))
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
