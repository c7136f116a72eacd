//! [`ConfigError`] and the wording of every config error: which source (file and line:column,
//! environment variable, or `--set` argument), which key, and what was expected. Turns toml's
//! byte spans into line:column. Decides nothing about layering and reads nothing.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_path_to_error::Segment;

use super::llm::MAP_SECTIONS;
use super::settings::{SECTIONS, keys_of, quoted_list};

/// Everything that can be wrong with the configuration, worded for the person who must fix it.
/// `Display` is the whole message, source first.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config file exists but cannot be read (permissions, a directory in its place, ...).
    #[error("{}: cannot read config file: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A config file is not UTF-8 text.
    #[error(
        "{}:{line}:{column}: not valid UTF-8 (a config file must be UTF-8 text)",
        path.display()
    )]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Line of the first invalid byte, from 1.
        line: usize,
        /// Column (in characters) of the first invalid byte, from 1.
        column: usize,
    },
    /// A config file is not valid TOML.
    #[error("{}:{line}:{column}: invalid TOML: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column in characters, from 1.
        column: usize,
        /// The parser's words.
        message: String,
    },
    /// A known key has a value of the wrong type, out of range, or not among the allowed ones.
    #[error("{origin}: {key}: {message}")]
    Invalid {
        /// Where the value came from.
        origin: Origin,
        /// The full key path, e.g. `ui.color`.
        key: String,
        /// What was wrong and what was expected.
        message: String,
    },
    /// A key that its section does not have.
    #[error(
        "{origin}: {section}.{name}: unknown key {name:?} in [{section}], expected one of {}",
        quoted_list(&valid.iter().map(String::as_str).collect::<Vec<_>>())
    )]
    UnknownKey {
        /// Where the key came from.
        origin: Origin,
        /// The section.
        section: String,
        /// The unknown key.
        name: String,
        /// The section's keys.
        valid: Vec<String>,
    },
    /// A top-level key or table that is not a section.
    #[error(
        "{origin}: {name}: unknown section {name:?}, expected one of {}",
        quoted_list(&valid.iter().map(String::as_str).collect::<Vec<_>>())
    )]
    UnknownSection {
        /// Where it came from.
        origin: Origin,
        /// The unknown name.
        name: String,
        /// The sections.
        valid: Vec<String>,
    },
    /// A `WARROOM_*` environment variable that names no setting.
    #[error(
        "environment variable {var}: not a warroom setting, expected one of {}",
        valid.join(", ")
    )]
    UnknownVariable {
        /// The variable.
        var: String,
        /// The variables that would be understood (of its section, or all of them).
        valid: Vec<String>,
    },
    /// A table that lacks a key it needs, or names something no table defines (a role's model
    /// on an undefined provider). Found after deserializing, so the position is the table's or
    /// the value's.
    #[error("{}{key}: {message}", origin.as_ref().map(|o| format!("{o}: ")).unwrap_or_default())]
    Check {
        /// Where the table or value was written, when known.
        origin: Option<Origin>,
        /// The full key path, e.g. `roles.analyst.models`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A `WARROOM_*` variable aimed at a table of named entries, which the environment cannot
    /// set.
    #[error(
        "environment variable {var}: [{section}.NAME] tables cannot be set from the environment; \
         use a config file or --set {section}.NAME.KEY=VALUE"
    )]
    MapVariable {
        /// The variable.
        var: String,
        /// The table it seems to aim at.
        section: String,
    },
    /// A `--set` argument that is not `section.key=value`.
    #[error("--set {arg}: {reason}")]
    BadOverride {
        /// The argument as given.
        arg: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A config file; the position is where in it, when the parser knew.
    File {
        /// The file.
        path: PathBuf,
        /// Line and column, from 1.
        position: Option<(usize, usize)>,
    },
    /// An environment variable.
    Env {
        /// Its name.
        var: String,
    },
    /// A `--set` argument.
    Override {
        /// The argument as given.
        arg: String,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File {
                path,
                position: Some((line, column)),
            } => write!(f, "{}:{line}:{column}", path.display()),
            Origin::File {
                path,
                position: None,
            } => write!(f, "{}", path.display()),
            Origin::Env { var } => write!(f, "environment variable {var}"),
            Origin::Override { arg } => write!(f, "--set {arg}"),
        }
    }
}

/// The source being deserialized, for wording its errors.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place<'a> {
    /// A file and its text (to turn spans into line:column).
    File { path: &'a Path, text: &'a str },
    /// An environment variable, by name.
    Env(&'a str),
    /// A `--set` argument.
    Override(&'a str),
}

impl Place<'_> {
    pub(crate) fn origin(self, span: Option<Range<usize>>) -> Origin {
        match self {
            Place::File { path, text } => Origin::File {
                path: path.to_path_buf(),
                position: span.map(|span| line_column(text, span.start)),
            },
            Place::Env(var) => Origin::Env {
                var: var.to_string(),
            },
            Place::Override(arg) => Origin::Override {
                arg: arg.to_string(),
            },
        }
    }
}

/// A file that toml could not parse.
pub(crate) fn syntax(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let span = error.span();
    let (line, column) = span
        .clone()
        .map_or((1, 1), |span| line_column(text, span.start));
    let mut message = error.message().trim_end().to_string();
    // toml points at the repeated key but does not say which it is.
    if message == "duplicate key" {
        if let Some(key) = span.and_then(|span| text.get(span)) {
            message = if key.starts_with(['"', '\'']) {
                format!("duplicate key {key}")
            } else {
                format!("duplicate key {key:?}")
            };
        }
    }
    ConfigError::Syntax {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// A file whose bytes are not UTF-8; `valid_up_to` is where the first bad byte is.
pub(crate) fn not_utf8(path: &Path, bytes: &[u8], valid_up_to: usize) -> ConfigError {
    let prefix = bytes
        .get(..valid_up_to)
        .and_then(|prefix| std::str::from_utf8(prefix).ok())
        .unwrap_or("");
    let (line, column) = line_column(prefix, prefix.len());
    ConfigError::NotUtf8 {
        path: path.to_path_buf(),
        line,
        column,
    }
}

/// A value or key that deserializing rejected. The key path tells an unknown key or section
/// (worded with the valid names) from a bad value (worded by its type's expectations).
pub(crate) fn rejected(
    place: Place<'_>,
    error: serde_path_to_error::Error<toml::de::Error>,
) -> ConfigError {
    // `toml::Spanned` (which map entries use to remember their position) adds a segment of
    // its own that the person never wrote.
    let keys: Vec<String> = error
        .path()
        .iter()
        .filter_map(|segment| match segment {
            Segment::Map { key } if !key.starts_with("$__serde_spanned_private") => {
                Some(key.clone())
            }
            _ => None,
        })
        .collect();
    let error = error.into_inner();
    let origin = place.origin(error.span());
    let unknown_key = |table: String, name: &String, valid: &[&str]| ConfigError::UnknownKey {
        origin: origin.clone(),
        section: table,
        name: name.clone(),
        valid: valid.iter().map(|key| key.to_string()).collect(),
    };
    match keys.as_slice() {
        [name] if keys_of(name).is_none() && map_keys_of(name).is_none() => {
            ConfigError::UnknownSection {
                origin,
                name: name.clone(),
                valid: SECTIONS
                    .iter()
                    .chain(MAP_SECTIONS)
                    .map(|(name, _)| name.to_string())
                    .collect(),
            }
        }
        [section, name] => match keys_of(section) {
            Some(valid) if !valid.contains(&name.as_str()) => {
                unknown_key(section.clone(), name, valid)
            }
            _ => invalid(origin, &keys, &error),
        },
        [map, entry, name] => match map_keys_of(map) {
            Some(valid) if !valid.contains(&name.as_str()) => {
                unknown_key(key_path(&[map, entry]), name, valid)
            }
            _ => invalid(origin, &keys, &error),
        },
        _ => invalid(origin, &keys, &error),
    }
}

/// The keys an entry of map table `section` may have, or `None` when it is not one.
fn map_keys_of(section: &str) -> Option<&'static [&'static str]> {
    MAP_SECTIONS
        .iter()
        .find(|(name, _)| *name == section)
        .map(|(_, keys)| *keys)
}

/// `a.b.c`, quoting a part that is not a bare TOML key (`pricing."gpt-4.1".input`).
pub(crate) fn key_path<S: AsRef<str>>(keys: &[S]) -> String {
    keys.iter()
        .map(|key| {
            let key = key.as_ref();
            let bare = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if bare {
                key.to_string()
            } else {
                format!("{key:?}")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

fn invalid(origin: Origin, keys: &[String], error: &toml::de::Error) -> ConfigError {
    let key = if keys.is_empty() {
        "(top level)".to_string()
    } else {
        key_path(keys)
    };
    ConfigError::Invalid {
        origin,
        key,
        message: error.message().trim_end().to_string(),
    }
}

/// Line and column (in characters), both from 1, of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let line = before.matches('\n').count() + 1;
    let column = before.get(line_start..).unwrap_or("").chars().count() + 1;
    (line, column)
}
