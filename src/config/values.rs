//! Checked value types of the LLM settings (`[budget]`, `[router]`, `[providers.NAME]`,
//! `[roles.ROLE]`, `[pricing."MODEL"]`): each rejects a bad value while the deserializer still
//! knows its key and position, and says what it expected. Only layers hold them; the effective
//! config stores the plain value. No IO.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::llm::{ModelRef, ProviderKind};
use super::settings::quoted_list;

/// An amount of US dollars, `>= 0` and finite; an integer is accepted too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Dollars(pub f64);

impl<'de> Deserialize<'de> for Dollars {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_f64(NumberVisitor {
                expecting: "an amount of US dollars (a number, 0 or more)",
                min: 0.0,
                max: f64::MAX,
            })
            .map(Dollars)
    }
}

impl From<Dollars> for f64 {
    fn from(value: Dollars) -> f64 {
        value.0
    }
}

/// A sampling temperature, 0.0 to 2.0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Temperature(pub f32);

impl<'de> Deserialize<'de> for Temperature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer
            .deserialize_f64(NumberVisitor {
                expecting: "a temperature from 0.0 to 2.0",
                min: 0.0,
                max: 2.0,
            })
            // In range 0..=2, so the narrowing loses only precision nobody can hear.
            .map(|t| Temperature(t as f32))
    }
}

struct NumberVisitor {
    expecting: &'static str,
    min: f64,
    max: f64,
}

impl Visitor<'_> for NumberVisitor {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<f64, E> {
        if value.is_finite() && (self.min..=self.max).contains(&value) {
            Ok(value)
        } else if value.is_finite() && value < 0.0 {
            Err(E::custom(format_args!(
                "{value} is negative, expected {}",
                self.expecting
            )))
        } else {
            Err(E::custom(format_args!(
                "{value} is out of range, expected {}",
                self.expecting
            )))
        }
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<f64, E> {
        self.visit_f64(value as f64)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<f64, E> {
        self.visit_f64(value as f64)
    }
}

/// A number of tokens, 0 or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tokens(pub u64);

impl<'de> Deserialize<'de> for Tokens {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TokensVisitor;
        impl Visitor<'_> for TokensVisitor {
            type Value = Tokens;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of tokens (an integer, 0 or more)")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Tokens, E> {
                u64::try_from(value).map(Tokens).map_err(|_| {
                    E::custom(format_args!(
                        "{value} is negative, expected a number of tokens (an integer, 0 or more)"
                    ))
                })
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Tokens, E> {
                Ok(Tokens(value))
            }
        }
        deserializer.deserialize_u64(TokensVisitor)
    }
}

impl From<Tokens> for u64 {
    fn from(value: Tokens) -> u64 {
        value.0
    }
}

/// An `http://` or `https://` URL with a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl(pub String);

impl<'de> Deserialize<'de> for BaseUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct UrlVisitor;
        impl Visitor<'_> for UrlVisitor {
            type Value = BaseUrl;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"an http(s) URL such as "https://api.openai.com/v1""#)
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<BaseUrl, E> {
                let parsed = reqwest::Url::parse(value).map_err(|error| {
                    E::custom(format_args!(
                        "{value:?} is not a URL ({error}), expected {}",
                        Expecting(&self)
                    ))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(E::custom(format_args!(
                        "{value:?} is not an http(s) URL with a host, expected {}",
                        Expecting(&self)
                    )));
                }
                Ok(BaseUrl(value.trim_end_matches('/').to_string()))
            }
        }
        deserializer.deserialize_str(UrlVisitor)
    }
}

/// The name of an environment variable (letters, digits and `_`, not starting with a digit).
/// A value that is not a name is not echoed: it may be the key itself, pasted in by mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvVarName(pub String);

impl<'de> Deserialize<'de> for EnvVarName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = EnvVarName;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"the name of an environment variable, such as "OPENAI_API_KEY""#)
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<EnvVarName, E> {
                let is_name = value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && value.chars().next().is_some_and(|c| !c.is_ascii_digit());
                if is_name {
                    Ok(EnvVarName(value.to_string()))
                } else {
                    Err(E::custom(format_args!(
                        "not a variable name (letters, digits and _; the value is not shown in \
                         case it is a key: put the key in the variable, and its name here), \
                         expected {}",
                        Expecting(&self)
                    )))
                }
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

/// A non-empty path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilePath(pub std::path::PathBuf);

impl<'de> Deserialize<'de> for FilePath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PathVisitor;
        impl Visitor<'_> for PathVisitor {
            type Value = FilePath;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("the path of a file")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<FilePath, E> {
                if value.trim().is_empty() {
                    return Err(E::custom("the path is empty, expected the path of a file"));
                }
                Ok(FilePath(value.into()))
            }
        }
        deserializer.deserialize_str(PathVisitor)
    }
}

/// A command line (`program arg ...`, quoted as in a POSIX shell) that splits into at least one
/// word. Its `{model}` and `{port}` placeholders are filled in when it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommandLine(pub String);

impl<'de> Deserialize<'de> for CommandLine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CommandVisitor;
        impl Visitor<'_> for CommandVisitor {
            type Value = CommandLine;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    r#"a command line such as "llama-server -m {model} --port {port} --host 127.0.0.1""#,
                )
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<CommandLine, E> {
                match shlex::split(value) {
                    None => Err(E::custom(format_args!(
                        "{value:?} has an unclosed quote or a trailing backslash, expected {}",
                        Expecting(&self)
                    ))),
                    Some(words) if words.is_empty() => Err(E::custom(format_args!(
                        "the command is empty, expected {}",
                        Expecting(&self)
                    ))),
                    Some(_) => Ok(CommandLine(value.to_string())),
                }
            }
        }
        deserializer.deserialize_str(CommandVisitor)
    }
}

/// An HTTP path that starts with `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HealthPath(pub String);

impl<'de> Deserialize<'de> for HealthPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PathVisitor;
        impl Visitor<'_> for PathVisitor {
            type Value = HealthPath;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"an HTTP path starting with "/", such as "/health""#)
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<HealthPath, E> {
                if value.starts_with('/') && !value.contains(char::is_whitespace) {
                    Ok(HealthPath(value.to_string()))
                } else {
                    Err(E::custom(format_args!(
                        "{value:?} is not a path, expected {}",
                        Expecting(&self)
                    )))
                }
            }
        }
        deserializer.deserialize_str(PathVisitor)
    }
}

// By hand, like `ColorChoice`: serde's derived message quotes with backticks.
impl<'de> Deserialize<'de> for ProviderKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KindVisitor;
        impl Visitor<'_> for KindVisitor {
            type Value = ProviderKind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "one of {}", quoted_list(&ProviderKind::NAMES))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<ProviderKind, E> {
                ProviderKind::from_name(value).ok_or_else(|| {
                    E::custom(format_args!(
                        "unknown provider kind {value:?}, expected one of {}",
                        quoted_list(&ProviderKind::NAMES)
                    ))
                })
            }
        }
        deserializer.deserialize_str(KindVisitor)
    }
}

/// A role's chain: one or more `"provider/model"` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ModelChain(pub Vec<ModelRef>);

impl<'de> Deserialize<'de> for ModelChain {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChainVisitor;
        impl<'de> Visitor<'de> for ChainVisitor {
            type Value = ModelChain;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    r#"a list of "provider/model" entries, primary first, e.g. ["openai/gpt-4o", "local/qwen2.5-coder"]"#,
                )
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<ModelChain, A::Error> {
                let mut models = Vec::new();
                while let Some(entry) = seq.next_element::<ModelEntry>()? {
                    models.push(entry.0);
                }
                if models.is_empty() {
                    return Err(de::Error::custom(format_args!(
                        "the list is empty, expected {}",
                        Expecting(&self)
                    )));
                }
                Ok(ModelChain(models))
            }
        }
        deserializer.deserialize_seq(ChainVisitor)
    }
}

struct ModelEntry(ModelRef);

impl<'de> Deserialize<'de> for ModelEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl Visitor<'_> for EntryVisitor {
            type Value = ModelEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a "provider/model" string such as "openai/gpt-4o""#)
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<ModelEntry, E> {
                ModelRef::parse(value).map(ModelEntry).ok_or_else(|| {
                    E::custom(format_args!(
                        "{value:?} is not \"provider/model\", expected {}",
                        Expecting(&self)
                    ))
                })
            }
        }
        deserializer.deserialize_str(EntryVisitor)
    }
}

/// Displays a visitor's `expecting` text.
struct Expecting<'a, V>(&'a V);

impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
}
