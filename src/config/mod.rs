//! Layered configuration, lowest to highest: built-in defaults < user file
//! (`$XDG_CONFIG_HOME/warroom/config.toml`) < repo file (`<repo>/.warroom/config.toml`) <
//! `WARROOM_<SECTION>_<KEY>` environment variables < `--set section.key=value` flags.
//!
//! Every layer is deserialized on its own into an all-`Option` [`ConfigLayer`] that rejects
//! unknown keys and bad values, so every error names its source, line:column (for files) and
//! full key path; the layers are then applied over [`Config::default`]. The tables of named
//! entries (`[providers.NAME]`, `[roles.ROLE]`, `[pricing."MODEL"]`) merge key by key across
//! layers and can be set by files and `--set` but not by environment variables; references
//! between them are checked once every layer is applied. The project's top-level `config.toml`
//! documents every key and is the source of [`repo_template`].
//!
//! This module reads config files and, in [`LoadOptions::from_environment`] only, the process
//! environment; it writes nothing and knows nothing of the store, core or UI beyond the
//! `StoreOptions` it hands the store.

mod error;
mod keys;
mod llm;
mod overrides;
mod settings;
mod team;
mod values;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub use error::{ConfigError, Origin};
pub use keys::{KeyList, KeyName, NamedKey, parse_key};
pub use llm::{
    ANTHROPIC_BASE_URL, ANTHROPIC_KEY_ENV, MAP_SECTIONS, ModelRef, PriceConfig, ProviderConfig,
    ProviderKind, RoleConfig, check_references,
};
pub use overrides::{NOT_CONFIG, env_name};
pub use settings::{
    ApprovalsConfig, BudgetConfig, CacheConfig, ColorChoice, Config, ConfigLayer, LogConfig,
    MemoryConfig, RepoConfig, RepoWatchConfig, RouterConfig, SECTIONS, SandboxConfig,
    SentinelConfig, StoreConfig, TeamConfig, UiConfig, WatchConfig,
};
pub use team::Policy;

/// What to read. Tests build one by hand; the program uses [`LoadOptions::from_environment`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions<'a> {
    /// The user file; `None` when there is no home to find it in.
    pub user_file: Option<PathBuf>,
    /// The repository's file.
    pub repo_file: Option<PathBuf>,
    /// Environment variables (`WARROOM_*` ones are read; others are ignored).
    pub env: Vec<(String, String)>,
    /// `--set` arguments, in the order given (a later one wins).
    pub overrides: &'a [String],
}

impl<'a> LoadOptions<'a> {
    /// The real user file (`paths::user_config_dir()/config.toml`), the given repo file, the
    /// process's `WARROOM_*` variables and the given `--set` arguments.
    pub fn from_environment(repo_file: PathBuf, overrides: &'a [String]) -> LoadOptions<'a> {
        let env = std::env::vars_os()
            .filter_map(|(name, value)| {
                let name = name.into_string().ok()?;
                name.starts_with(overrides::ENV_PREFIX)
                    .then(|| (name, value.to_string_lossy().into_owned()))
            })
            .collect();
        LoadOptions {
            user_file: crate::paths::user_config_dir().map(|dir| dir.join("config.toml")),
            repo_file: Some(repo_file),
            env,
            overrides,
        }
    }
}

/// Where the effective values came from, for `warroom doctor`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The user file, when it existed and was read.
    pub user: Option<PathBuf>,
    /// The repo file, when it existed and was read.
    pub repo: Option<PathBuf>,
    /// The `WARROOM_*` variables that set a key, by name, sorted.
    pub env: Vec<String>,
    /// The `--set` arguments applied, in order.
    pub overrides: Vec<String>,
}

/// Reads and applies every layer, then checks references between tables. Missing files are
/// skipped; an unreadable or invalid layer is an error naming where it is.
pub fn load(options: LoadOptions<'_>) -> Result<(Config, Sources), ConfigError> {
    let mut config = Config::default();
    let mut sources = Sources::default();
    for (file, source) in [
        (options.user_file, &mut sources.user),
        (options.repo_file, &mut sources.repo),
    ] {
        let Some(path) = file else { continue };
        if let Some(layer) = read_file(&path)? {
            layer.apply_to(&mut config)?;
            *source = Some(path);
        }
    }
    let mut env = options.env;
    env.sort();
    for (var, value) in &env {
        if let Some(layer) = overrides::env_layer(var, value) {
            layer?.apply_to(&mut config)?;
            sources.env.push(var.clone());
        }
    }
    for arg in options.overrides {
        overrides::override_layer(arg)?.apply_to(&mut config)?;
        sources.overrides.push(arg.clone());
    }
    check_references(&config)?;
    Ok((config, sources))
}

/// Reads one config file: `None` when it does not exist; an error when it cannot be read, is
/// not UTF-8, or does not parse.
pub fn read_file(path: &Path) -> Result<Option<ConfigLayer>, ConfigError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(not_utf8) => {
            let valid_up_to = not_utf8.utf8_error().valid_up_to();
            return Err(error::not_utf8(path, not_utf8.as_bytes(), valid_up_to));
        }
    };
    parse_file(path, &text).map(Some)
}

/// Parses the text of one config file (`path` is only for the messages).
pub fn parse_file(path: &Path, text: &str) -> Result<ConfigLayer, ConfigError> {
    let deserializer =
        toml::Deserializer::parse(text).map_err(|e| error::syntax(path, text, &e))?;
    let place = error::Place::File { path, text };
    serde_path_to_error::deserialize(deserializer)
        .map(|layer: ConfigLayer| layer.locate(place))
        .map_err(|e| error::rejected(place, e))
}

/// The commented repo config that `warroom init` writes: the documented `config.toml` with
/// every key commented out at its default, under a header that says where it sits.
pub fn repo_template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| commented(DOCUMENTED))
}

/// The project's top-level `config.toml`: every key, documented, at its default.
pub const DOCUMENTED: &str = include_str!("../../config.toml");

const TEMPLATE_HEADER: &str = "\
# warroom settings for this repository.
#
# They override your user file ($XDG_CONFIG_HOME/warroom/config.toml) and are overridden by
# WARROOM_<SECTION>_<KEY> environment variables and --set section.key=value flags.
# Every key below is commented out at its default: uncomment a line to change it.
# Unknown keys are errors.
";

/// `documented` without its preamble (up to the first blank line), every `key = value` line
/// commented out, under [`TEMPLATE_HEADER`]. Section headers stay, so uncommenting one line
/// is enough.
fn commented(documented: &str) -> String {
    let body = documented
        .split_once("\n\n")
        .map_or(documented, |(_, body)| body);
    let mut out = String::from(TEMPLATE_HEADER);
    out.push('\n');
    for line in body.lines() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('[') {
            out.push_str(line);
        } else {
            out.push_str("# ");
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
