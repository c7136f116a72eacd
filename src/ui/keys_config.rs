//! The person's own keys: the `[keys]` config table laid over the built-in key table
//! (`keymap::BINDINGS`), which stays as it is. An action named in `[keys]` gets the listed keys
//! instead of its defaults in every group that binds it; while typing (chat, an inbox prompt)
//! only ctrl and named keys apply, since a character is typed there. The result is checked:
//! an unknown action name, an action whose keys cannot be changed, or one key that would mean
//! two actions in one context is an error naming it. Key handling and the help overlay both
//! read the result, so help shows the keys that work. Pure: no IO.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent};

use crate::config::{KeyList, KeyName, NamedKey};

use super::keymap::{BINDINGS, Context, Group, Key, KeyAction, matches};
use super::panes::PaneId;

/// One line of the effective table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// Where it applies.
    pub group: Group,
    /// The keys that trigger it now.
    pub keys: Vec<Key>,
    /// What they ask for.
    pub action: KeyAction,
    /// The help overlay's words.
    pub help: &'static str,
}

/// The key table in effect: the built-in one with the person's `[keys]` over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Effective>,
}

/// What is wrong with a `[keys]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeysError {
    /// The name is not an action.
    UnknownAction {
        /// As written.
        name: String,
        /// Every action name, sorted.
        valid: Vec<String>,
    },
    /// The action's keys carry meaning of their own.
    Fixed {
        /// The action.
        name: String,
        /// Why.
        why: &'static str,
    },
    /// One key means two actions where both apply.
    Clash {
        /// The key, as config spells it.
        key: String,
        /// Where (e.g. "the logs pane").
        context: String,
        /// The two actions.
        first: String,
        /// The other one.
        second: String,
    },
}

impl fmt::Display for KeysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeysError::UnknownAction { name, valid } => write!(
                f,
                "[keys] {name:?} is not an action; the actions are: {}",
                valid.join(", ")
            ),
            KeysError::Fixed { name, why } => write!(f, "[keys] {name} cannot be remapped: {why}"),
            KeysError::Clash {
                key,
                context,
                first,
                second,
            } => write!(
                f,
                "[keys] key {key:?} is bound twice in {context}: to {first} and to {second}; \
                 give one of them another key in [keys]"
            ),
        }
    }
}

impl std::error::Error for KeysError {}

/// The config name of an action: its variant in snake case (`InboxApprove` -> `inbox_approve`).
pub fn action_name(action: KeyAction) -> String {
    let mut name = String::new();
    for (i, c) in format!("{action:?}").chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                name.push('_');
            }
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    name
}

/// Every action the table binds, by config name, sorted.
pub fn action_names() -> Vec<String> {
    let mut names: Vec<String> = BINDINGS.iter().map(|b| action_name(b.action)).collect();
    names.sort();
    names.dedup();
    names
}

/// The contexts besides the panes, with how an error names them.
const OTHER_CONTEXTS: &[(Context, &str)] = &[
    (Context::Typing, "chat typing"),
    (Context::Help, "the help overlay"),
    (Context::Quit, "the quit question"),
    (Context::Inbox, "the approval inbox"),
    (Context::InboxPrompt, "the inbox prompt"),
    (Context::InboxScope, "the inbox's always-allow question"),
    (Context::LogSearch, "the logs search"),
    (Context::MemoryInput, "the memory search or editor"),
];

/// Every context a key can be pressed in.
fn contexts() -> Vec<Context> {
    let panes = PaneId::ALL.iter().map(|p| Context::Pane(*p));
    panes
        .chain(OTHER_CONTEXTS.iter().map(|(c, _)| *c))
        .collect()
}

fn context_words(context: Context) -> String {
    if let Context::Pane(pane) = context {
        return format!("the {} pane", pane.title().to_lowercase());
    }
    OTHER_CONTEXTS
        .iter()
        .find(|(c, _)| *c == context)
        .map_or_else(|| format!("{context:?}"), |(_, words)| words.to_string())
}

/// Whether characters are typed as text where `group` applies: a group whose built-in keys
/// are all ctrl or named keys (chat, the inbox's prompt, searches, editors) leaves every
/// character to the text, so a remapped character must not be bound there.
fn is_typing(group: Group) -> bool {
    BINDINGS
        .iter()
        .filter(|b| b.group == group)
        .all(|b| b.keys.iter().all(|k| !matches!(k, Key::Char(_))))
}

/// The chains of groups a key is looked up in, with how an error names them: every known
/// context, then every group no known context reaches, on its own.
fn chains() -> Vec<(String, &'static [Group])> {
    let mut chains: Vec<(String, &'static [Group])> = contexts()
        .into_iter()
        .map(|c| (context_words(c), c.groups()))
        .collect();
    let all: &'static [Group] = &Group::ALL;
    for (i, group) in all.iter().enumerate() {
        if !chains.iter().any(|(_, groups)| groups.contains(group)) {
            chains.push((format!("\"{}\"", group.title()), &all[i..=i]));
        }
    }
    chains
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: BINDINGS
                .iter()
                .map(|b| Effective {
                    group: b.group,
                    keys: b.keys.to_vec(),
                    action: b.action,
                    help: b.help,
                })
                .collect(),
        }
    }
}

impl Keymap {
    /// The built-in table with `keys` (the `[keys]` config table) over it.
    pub fn from_config(keys: &BTreeMap<String, KeyList>) -> Result<Keymap, KeysError> {
        let mut map = Keymap::default();
        let mut remapped: Vec<KeyAction> = Vec::new();
        for (name, list) in keys {
            let action = BINDINGS
                .iter()
                .map(|b| b.action)
                .find(|a| action_name(*a) == *name)
                .ok_or_else(|| KeysError::UnknownAction {
                    name: name.clone(),
                    valid: action_names(),
                })?;
            if action == KeyAction::FocusNumber {
                return Err(KeysError::Fixed {
                    name: name.clone(),
                    why: "its keys are the pane numbers 1-5",
                });
            }
            let wanted: Vec<Key> = list.0.iter().map(|k| to_key(*k)).collect();
            for binding in map.bindings.iter_mut().filter(|b| b.action == action) {
                let keys: Vec<Key> = if is_typing(binding.group) {
                    wanted
                        .iter()
                        .copied()
                        .filter(|k| !matches!(k, Key::Char(_)))
                        .collect()
                } else {
                    wanted.clone()
                };
                if !keys.is_empty() {
                    binding.keys = keys;
                }
            }
            remapped.push(action);
        }
        map.check(&remapped)?;
        Ok(map)
    }

    /// A key bound to two actions in one context, where one of them was remapped, is an error
    /// (the built-in table's own overlaps, a pane's meaning over a list's, are by design).
    fn check(&self, remapped: &[KeyAction]) -> Result<(), KeysError> {
        for (place, groups) in chains() {
            let live: Vec<&Effective> = groups
                .iter()
                .flat_map(|g| self.bindings.iter().filter(move |b| b.group == *g))
                .collect();
            for (i, a) in live.iter().enumerate() {
                for b in &live[i + 1..] {
                    if a.action == b.action
                        || !(remapped.contains(&a.action) || remapped.contains(&b.action))
                    {
                        continue;
                    }
                    if let Some(key) = a.keys.iter().find(|k| b.keys.contains(k)) {
                        return Err(KeysError::Clash {
                            key: key_config_name(*key),
                            context: place.clone(),
                            first: action_name(a.action),
                            second: action_name(b.action),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// What `event` asks for in `context`.
    pub fn resolve(&self, context: Context, event: &KeyEvent) -> Option<KeyAction> {
        context.groups().iter().find_map(|group| {
            self.bindings
                .iter()
                .filter(|b| b.group == *group)
                .find(|b| b.keys.iter().any(|k| matches(*k, event)))
                .map(|b| b.action)
        })
    }

    /// How the first key bound to `action` reads ("a", "C-c"); `?` when no key is bound.
    pub fn label_of(&self, action: KeyAction) -> String {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first())
            .map_or_else(|| "?".to_string(), |k| super::keymap::key_label(*k))
    }

    /// The keys the status bar and chat name for deciding approvals.
    pub fn decide_keys(&self) -> super::panes::status_bar::DecideKeys {
        super::panes::status_bar::DecideKeys {
            approve: self.label_of(KeyAction::Approve),
            deny: self.label_of(KeyAction::Deny),
            inbox: self.label_of(KeyAction::OpenInbox),
        }
    }

    /// The bindings of `group`, in table order.
    pub fn group(&self, group: Group) -> impl Iterator<Item = &Effective> {
        self.bindings.iter().filter(move |b| b.group == group)
    }
}

fn to_key(name: KeyName) -> Key {
    match name {
        KeyName::Char(c) => Key::Char(c),
        KeyName::Ctrl(c) => Key::Ctrl(c),
        KeyName::Named(named) => Key::Code(match named {
            NamedKey::Enter => KeyCode::Enter,
            NamedKey::Esc => KeyCode::Esc,
            NamedKey::Tab => KeyCode::Tab,
            NamedKey::BackTab => KeyCode::BackTab,
            NamedKey::Backspace => KeyCode::Backspace,
            NamedKey::Delete => KeyCode::Delete,
            NamedKey::Insert => KeyCode::Insert,
            NamedKey::Up => KeyCode::Up,
            NamedKey::Down => KeyCode::Down,
            NamedKey::Left => KeyCode::Left,
            NamedKey::Right => KeyCode::Right,
            NamedKey::PageUp => KeyCode::PageUp,
            NamedKey::PageDown => KeyCode::PageDown,
            NamedKey::Home => KeyCode::Home,
            NamedKey::End => KeyCode::End,
            NamedKey::F(n) => KeyCode::F(n),
        }),
    }
}

/// How `[keys]` spells a key of the table (for error messages).
fn key_config_name(key: Key) -> String {
    match key {
        Key::Char(' ') => "space".into(),
        Key::Char(c) => c.to_string(),
        Key::Ctrl(c) => format!("ctrl-{c}"),
        Key::Code(KeyCode::F(n)) => format!("f{n}"),
        Key::Code(code) => format!("{code:?}").to_ascii_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyModifiers;

    use super::*;
    use crate::config::parse_key;

    fn table(pairs: &[(&str, &[&str])]) -> BTreeMap<String, KeyList> {
        pairs
            .iter()
            .map(|(name, keys)| {
                let list = keys.iter().map(|k| parse_key(k).unwrap()).collect();
                (name.to_string(), KeyList(list))
            })
            .collect()
    }

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn names_are_snake_case_and_cover_the_table() {
        assert_eq!(action_name(KeyAction::InboxApprove), "inbox_approve");
        assert_eq!(action_name(KeyAction::Quit), "quit");
        let names = action_names();
        assert!(names.contains(&"toggle_help".to_string()), "{names:?}");
        for binding in BINDINGS {
            assert!(names.contains(&action_name(binding.action)));
        }
    }

    #[test]
    fn the_default_table_resolves_like_the_built_in_one() {
        let map = Keymap::default();
        for context in contexts() {
            for c in "aAqjkgG?zi1yn ".chars() {
                assert_eq!(
                    map.resolve(context, &press(c)),
                    super::super::keymap::resolve(context, &press(c)),
                    "{c:?} in {context:?}"
                );
            }
        }
    }

    #[test]
    fn a_remapped_action_takes_its_new_keys_and_drops_the_old() {
        let map = Keymap::from_config(&table(&[("approve", &["Y"]), ("quit", &["Q", "ctrl-q"])]))
            .unwrap();
        let pane = Context::Pane(PaneId::Agents);
        assert_eq!(map.resolve(pane, &press('Y')), Some(KeyAction::Approve));
        assert_eq!(map.resolve(pane, &press('a')), None);
        assert_eq!(map.resolve(pane, &press('Q')), Some(KeyAction::Quit));
        assert_eq!(map.resolve(pane, &press('q')), None);
        let ctrl_q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL);
        // While typing, Q is text; ctrl-q quits.
        assert_eq!(map.resolve(Context::Typing, &press('Q')), None);
        assert_eq!(map.resolve(Context::Typing, &ctrl_q), Some(KeyAction::Quit));
    }

    #[test]
    fn errors_name_the_action_or_the_key() {
        let unknown = Keymap::from_config(&table(&[("aprove", &["y"])])).unwrap_err();
        let text = unknown.to_string();
        assert!(text.contains("\"aprove\" is not an action"), "{text}");
        assert!(text.contains("approve, "), "{text}");

        let clash = Keymap::from_config(&table(&[("approve", &["j"])])).unwrap_err();
        assert_eq!(
            clash.to_string(),
            "[keys] key \"j\" is bound twice in the agents pane: to down and to approve; give \
             one of them another key in [keys]"
        );

        let fixed = Keymap::from_config(&table(&[("focus_number", &["x"])])).unwrap_err();
        assert!(
            fixed
                .to_string()
                .contains("focus_number cannot be remapped")
        );
    }

    #[test]
    fn typing_groups_are_the_ones_without_character_keys() {
        assert!(is_typing(Group::Typing));
        assert!(is_typing(Group::InboxPrompt));
        for group in [
            Group::Global,
            Group::Lists,
            Group::Help,
            Group::Inbox,
            Group::Quit,
        ] {
            assert!(!is_typing(group), "{group:?}");
        }
        // Every group is checked for clashes somewhere.
        let chains = chains();
        for group in Group::ALL {
            assert!(chains.iter().any(|(_, g)| g.contains(&group)), "{group:?}");
        }
    }

    /// docs/keybindings.md names every action `[keys]` accepts.
    #[test]
    fn the_keybindings_doc_names_every_action() {
        let doc = include_str!("../../docs/keybindings.md");
        for name in action_names() {
            assert!(doc.contains(&format!("| `{name}` |")), "{name} missing");
        }
    }

    #[test]
    fn a_remap_that_frees_the_old_key_is_no_clash() {
        // d denies by default; moving deny to D and approve to d is consistent.
        let map = Keymap::from_config(&table(&[("deny", &["D"]), ("approve", &["d"])])).unwrap();
        let pane = Context::Pane(PaneId::Logs);
        assert_eq!(map.resolve(pane, &press('d')), Some(KeyAction::Approve));
        assert_eq!(map.resolve(pane, &press('D')), Some(KeyAction::Deny));
    }
}
