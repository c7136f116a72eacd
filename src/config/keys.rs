//! The `[keys]` table: action names mapped to the keys that trigger them (`approve = "y"`,
//! `quit = ["q", "ctrl-c"]`). This file owns only the spelling of a key ("y", "ctrl-c",
//! "enter", "f5", ...) and the value's shape (one key or a non-empty list), checked while the
//! file is read so a bad key is reported at its line and column. Which action names exist and
//! which keys clash is the screen's business (`ui::keys_config`), checked before the terminal
//! is taken.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A named key that is not a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedKey {
    /// Enter / Return.
    Enter,
    /// Escape.
    Esc,
    /// Tab.
    Tab,
    /// Shift-Tab.
    BackTab,
    /// Backspace.
    Backspace,
    /// Delete.
    Delete,
    /// Insert.
    Insert,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// A function key, F1..=F12.
    F(u8),
}

/// One key as written in `[keys]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyName {
    /// A printable character; case matters (`G` is shift-g).
    Char(char),
    /// Control plus a letter (`ctrl-c`).
    Ctrl(char),
    /// A named key (`enter`, `esc`, `f5`, ...).
    Named(NamedKey),
}

/// The names accepted for named keys, for the error message and the docs.
pub const NAMES: &str = "enter, esc, tab, backtab (shift-tab), backspace, delete, insert, up, \
                         down, left, right, pageup, pagedown, home, end, space, f1..f12";

/// Parses one key: a single character (`y`, `G`, `?`), `ctrl-LETTER`, or a name from
/// [`NAMES`]. The error says what was wrong and what is accepted.
pub fn parse_key(text: &str) -> Result<KeyName, String> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        if c.is_control() {
            return Err(format!("{text:?} is a control character, not a key name"));
        }
        return Ok(KeyName::Char(c));
    }
    let lower = text.trim().to_ascii_lowercase();
    if let Some(rest) = lower
        .strip_prefix("ctrl-")
        .or_else(|| lower.strip_prefix("ctrl+"))
        .or_else(|| lower.strip_prefix("c-"))
    {
        let mut letters = rest.chars();
        return match (letters.next(), letters.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => Ok(KeyName::Ctrl(c)),
            _ => Err(format!("{text:?}: ctrl- takes one letter, e.g. \"ctrl-c\"")),
        };
    }
    if lower.starts_with("alt-") || lower.starts_with("meta-") || lower.starts_with("a-") {
        return Err(format!(
            "{text:?}: alt keys are not supported (terminals send them as Escape first); use a \
             character, ctrl-LETTER or a named key"
        ));
    }
    let named = match lower.as_str() {
        "enter" | "return" => NamedKey::Enter,
        "esc" | "escape" => NamedKey::Esc,
        "tab" => NamedKey::Tab,
        "backtab" | "shift-tab" | "s-tab" => NamedKey::BackTab,
        "backspace" => NamedKey::Backspace,
        "delete" | "del" => NamedKey::Delete,
        "insert" | "ins" => NamedKey::Insert,
        "up" => NamedKey::Up,
        "down" => NamedKey::Down,
        "left" => NamedKey::Left,
        "right" => NamedKey::Right,
        "pageup" | "pgup" => NamedKey::PageUp,
        "pagedown" | "pgdn" => NamedKey::PageDown,
        "home" => NamedKey::Home,
        "end" => NamedKey::End,
        "space" => return Ok(KeyName::Char(' ')),
        other => match other.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
            Some(n @ 1..=12) => NamedKey::F(n),
            _ => {
                return Err(format!(
                    "{text:?} is not a key; write one character (\"y\"), ctrl-LETTER \
                     (\"ctrl-c\") or one of: {NAMES}"
                ));
            }
        },
    };
    Ok(KeyName::Named(named))
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyName::Char(' ') => f.write_str("space"),
            KeyName::Char(c) => write!(f, "{c}"),
            KeyName::Ctrl(c) => write!(f, "ctrl-{c}"),
            KeyName::Named(NamedKey::F(n)) => write!(f, "f{n}"),
            KeyName::Named(named) => f.write_str(&format!("{named:?}").to_ascii_lowercase()),
        }
    }
}

impl Serialize for KeyName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The keys of one action: one key or a non-empty list, each spelled as [`parse_key`] takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct KeyList(pub Vec<KeyName>);

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = KeyList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key (\"y\", \"ctrl-c\", \"enter\") or a list of keys")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<KeyList, E> {
                parse_key(value)
                    .map(|k| KeyList(vec![k]))
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyList, A::Error> {
                let mut keys = Vec::new();
                while let Some(text) = seq.next_element::<String>()? {
                    keys.push(parse_key(&text).map_err(de::Error::custom)?);
                }
                if keys.is_empty() {
                    return Err(de::Error::custom(
                        "an empty list would leave the action without a key; list at least one",
                    ));
                }
                Ok(KeyList(keys))
            }
        }
        deserializer.deserialize_any(ListVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_and_print_back() {
        for (text, shown) in [
            ("y", "y"),
            ("G", "G"),
            ("?", "?"),
            ("ctrl-c", "ctrl-c"),
            ("Ctrl+X", "ctrl-x"),
            ("enter", "enter"),
            ("Escape", "esc"),
            ("shift-tab", "backtab"),
            ("space", "space"),
            ("F5", "f5"),
            ("pgdn", "pagedown"),
        ] {
            let key = parse_key(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(key.to_string(), shown, "{text}");
        }
    }

    #[test]
    fn bad_keys_say_what_is_wrong() {
        for (text, words) in [
            ("ctrl-", "ctrl- takes one letter"),
            ("ctrl-1", "ctrl- takes one letter"),
            ("alt-x", "alt keys are not supported"),
            ("f13", "is not a key"),
            ("enterr", "\"enterr\" is not a key"),
            ("", "is not a key"),
        ] {
            let error = parse_key(text).expect_err(text);
            assert!(error.contains(words), "{text}: {error}");
        }
    }

    #[test]
    fn a_list_must_not_be_empty() {
        let parsed: Result<std::collections::BTreeMap<String, KeyList>, _> =
            toml::from_str("quit = []");
        let error = parsed.expect_err("empty list").to_string();
        assert!(error.contains("at least one"), "{error}");
    }
}
