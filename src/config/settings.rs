//! Every section and key of warroom's config: its type, default and allowed values, generated
//! twice by one macro — the effective [`Config`] and the all-`Option` [`ConfigLayer`] that one
//! source (a file, the environment, `--set`) deserializes into. Validation lives in the layer's
//! field types, so a bad value fails while the deserializer still knows its key and span.
//! Reads no files and no environment: `mod.rs` does the layering, `error.rs` the wording.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::error::ConfigError;
use super::keys::KeyList;
use super::llm::{
    Located, MapLayers, PriceConfig, PriceLayer, ProviderConfig, ProviderLayer, RoleConfig,
    RoleLayer,
};
use super::team::{CommandOverride, Policy, Prefixes};
use super::values::{Dollars, Tokens};
use crate::store::StoreOptions;

/// Declares the sections. Per section it emits the effective struct (with `Default` = the
/// built-in defaults) and its layer twin whose fields are `Option<checked type>`; plus
/// [`Config`], [`ConfigLayer`] and the [`SECTIONS`] catalog used to resolve env names and to
/// word unknown-key errors. `key: T as Checked = default` deserializes `Checked` in layers and
/// stores `T` (via `From`) in the config; `key: T = default` uses `T` for both.
macro_rules! sections {
    ($(
        $(#[doc = $section_doc:literal])*
        [$section:ident] $Section:ident / $Layer:ident, expecting $expecting:literal {
            $(
                $(#[doc = $doc:literal])*
                $key:ident: $ty:ty $(as $checked:ty)? = $default:expr;
            )*
        }
    )*) => {
        /// warroom's effective configuration: the built-in defaults (its `Default`) with every
        /// layer applied.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct Config {
            $( $(#[doc = $section_doc])* pub $section: $Section, )*
            /// `[providers.NAME]`: where models are served, by the name roles use.
            pub providers: BTreeMap<String, ProviderConfig>,
            /// `[roles.ROLE]`: each role's chain of models, primary first.
            pub roles: BTreeMap<String, RoleConfig>,
            /// `[pricing."MODEL"]`: overrides of the built-in prices.
            pub pricing: BTreeMap<String, PriceConfig>,
            /// `[keys]`: action names mapped to the keys that replace their defaults.
            pub keys: BTreeMap<String, KeyList>,
        }

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $( $section: $Section::default(), )*
                    providers: BTreeMap::new(),
                    roles: BTreeMap::new(),
                    pricing: BTreeMap::new(),
                    keys: BTreeMap::new(),
                }
            }
        }

        /// What one source sets: every key optional, unknown keys and bad values rejected while
        /// deserializing. Apply it over a [`Config`] with [`ConfigLayer::apply_to`].
        #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct ConfigLayer {
            $( #[serde(default)] $section: $Layer, )*
            #[serde(default)]
            providers: BTreeMap<String, Located<ProviderLayer>>,
            #[serde(default)]
            roles: BTreeMap<String, Located<RoleLayer>>,
            #[serde(default)]
            pricing: BTreeMap<String, PriceLayer>,
            #[serde(default)]
            keys: BTreeMap<String, KeyList>,
        }

        impl ConfigLayer {
            /// Overwrites in `config` every key this layer sets and merges its `[providers]`,
            /// `[roles]` and `[pricing]` entries key by key; leaves the others alone. Fails when
            /// an entry cannot stand (a new provider without a kind, an `openai` provider without
            /// a URL, ...); cross-table references are checked by [`load`](super::load).
            pub fn apply_to(self, config: &mut Config) -> Result<(), ConfigError> {
                $( self.$section.apply_to(&mut config.$section); )*
                config.keys.extend(self.keys);
                let maps = MapLayers {
                    providers: self.providers,
                    roles: self.roles,
                    pricing: self.pricing,
                };
                maps.apply_to(config)
            }

            /// Records, in every map entry, where it was written.
            pub(crate) fn locate(mut self, place: super::error::Place<'_>) -> Self {
                super::llm::locate(&mut self.providers, &mut self.roles, place);
                self
            }
        }

        /// Every section with its keys, in the order `config.toml` documents them.
        pub const SECTIONS: &[(&str, &[&str])] = &[
            $( (stringify!($section), &[ $( stringify!($key), )* ]), )*
        ];

        $(
            $(#[doc = $section_doc])*
            #[derive(Debug, Clone, PartialEq, Serialize)]
            pub struct $Section {
                $( $(#[doc = $doc])* pub $key: $ty, )*
            }

            impl Default for $Section {
                fn default() -> Self {
                    $Section { $( $key: $default, )* }
                }
            }

            #[derive(Debug, Clone, Default, PartialEq, Deserialize)]
            #[serde(deny_unknown_fields, expecting = $expecting)]
            struct $Layer {
                $( $key: Option<layer_type!($ty $(, $checked)?)>, )*
            }

            impl $Layer {
                fn apply_to(self, config: &mut $Section) {
                    $( if let Some(value) = self.$key { config.$key = value.into(); } )*
                }
            }
        )*
    };
}

/// The type a layer deserializes for one key: its checked type when it has one.
macro_rules! layer_type {
    ($ty:ty) => {
        $ty
    };
    ($ty:ty, $checked:ty) => {
        $checked
    };
}

sections! {
    /// `[store]`: how the owner process writes the event log.
    [store] StoreConfig / StoreLayer, expecting "a table of [store] settings" {
        /// Commit a batch once it holds this many events (1..=100000).
        batch_max_events: usize as Bounded<usize, 1, 100_000> = 2048;
        /// ...or once its first event has waited this many milliseconds (1..=1000).
        batch_max_delay_ms: u64 as Bounded<u64, 1, 1000> = 5;
        /// How long a connection waits for another connection's lock, in ms (1..=600000).
        busy_timeout_ms: u64 as Bounded<u64, 1, 600_000> = 5000;
        /// How often the owner rewrites its heartbeat in the lock file, in ms (100..=60000).
        heartbeat_ms: u64 as Bounded<u64, 100, 60_000> = 2000;
    }

    /// `[ui]`: the terminal front end.
    [ui] UiConfig / UiLayer, expecting "a table of [ui] settings" {
        /// Whether to use ANSI colors.
        color: ColorChoice = ColorChoice::Auto;
        /// Show HH:MM:SS in the logs pane.
        log_timestamps: bool = true;
        /// Log lines the logs pane holds in memory (100..=100000).
        log_window: usize as Bounded<usize, 100, 100_000> = 2000;
        /// How often the status bar's elapsed-time clock redraws while a run is active, in ms
        /// (100..=60000).
        tick_ms: u64 as Bounded<u64, 100, 60_000> = 1000;
        /// Mouse support (wheel scrolls, click focuses) in the owner's and attached screens;
        /// `warroom watch` never takes the mouse.
        mouse: bool = true;
    }

    /// `[watch]`: how viewers follow a database that another process owns.
    [watch] WatchConfig / WatchLayer, expecting "a table of [watch] settings" {
        /// Fallback poll of the database when file notifications are unavailable, in ms
        /// (10..=10000).
        poll_ms: u64 as Bounded<u64, 10, 10_000> = 250;
    }

    /// `[log]`: warroom's own log file (tracing), not the logs pane.
    [log] LogConfig / LogLayer, expecting "a table of [log] settings" {
        /// The filter used when `WARROOM_LOG` and `RUST_LOG` are unset (a tracing filter
        /// string, e.g. `info` or `warroom=debug,info`).
        level: String as TracingFilter = "info".to_string();
        /// Rotated daily log files to keep (1..=365).
        keep_files: usize as Bounded<usize, 1, 365> = 7;
    }

    /// `[budget]`: limits that refuse the next model call once reached; 0 = no limit.
    [budget] BudgetConfig / BudgetLayer, expecting "a table of [budget] settings" {
        /// Dollars one run may spend on models.
        run_usd: f64 as Dollars = 0.0;
        /// Tokens (prompt + completion) one run may use.
        run_tokens: u64 as Tokens = 0;
        /// Dollars one agent may spend.
        agent_usd: f64 as Dollars = 0.0;
        /// Tokens one agent may use.
        agent_tokens: u64 as Tokens = 0;
    }

    /// `[router]`: retries, backoff and the circuit breaker of model calls.
    [router] RouterConfig / RouterLayer, expecting "a table of [router] settings" {
        /// Retries of a failing call on the same provider before falling back (0..=10).
        max_retries: u32 as Bounded<u32, 0, 10> = 3;
        /// The first retry's backoff ceiling, in ms, doubled for each later retry (1..=60000).
        base_backoff_ms: u64 as Bounded<u64, 1, 60_000> = 250;
        /// The most any retry waits, in ms, even when the provider asks for more (1..=600000).
        max_backoff_ms: u64 as Bounded<u64, 1, 600_000> = 8000;
        /// Consecutive failures after which a provider is skipped (1..=100).
        breaker_failures: u32 as Bounded<u32, 1, 100> = 3;
        /// How long a provider is skipped before one trial call, in ms (100..=3600000).
        breaker_cooldown_ms: u64 as Bounded<u64, 100, 3_600_000> = 30_000;
    }

    /// `[cache]`: warroom's response cache of model answers (in the repository's state.db).
    [cache] CacheConfig / CacheLayer, expecting "a table of [cache] settings" {
        /// Whether answers are stored and served from the cache.
        enabled: bool = true;
        /// How long a stored answer is served, in seconds (1..=31536000).
        ttl_secs: u64 as Bounded<u64, 1, 31_536_000> = 604_800;
        /// Cache only requests with temperature 0 (a sampled answer is one draw of many).
        only_deterministic: bool = true;
    }

    /// `[team]`: how the agent team works on a run.
    [team] TeamConfig / TeamLayer, expecting "a table of [team] settings" {
        /// Tasks that run at once (1..=64).
        concurrency: usize as Bounded<usize, 1, 64> = 4;
        /// Patches the analyst may try before the run asks the person for help (1..=20).
        max_attempts: u32 as Bounded<u32, 1, 20> = 3;
        /// Model turns one agent may take for one task or attempt (1..=200).
        max_steps: u32 as Bounded<u32, 1, 200> = 16;
        /// Bytes of a tool's output sent back to a model (1024..=1048576).
        tool_output_bytes: usize as Bounded<usize, 1024, 1_048_576> = 12_000;
    }

    /// `[sentinel]`: the watchdog that notices a busy agent making no progress. Each wait is
    /// counted from the agent's last sign of life or the previous step, whichever is later.
    [sentinel] SentinelConfig / SentinelLayer, expecting "a table of [sentinel] settings" {
        /// Whether runs are watched at all.
        enabled: bool = true;
        /// Seconds of silence before the agent is warned about in the logs (1..=86400).
        warn_after_secs: u64 as Bounded<u64, 1, 86_400> = 120;
        /// Further seconds before its model call is cancelled and sent again (1..=86400).
        retry_after_secs: u64 as Bounded<u64, 1, 86_400> = 180;
        /// Further seconds after the retry before the person is asked (1..=86400).
        escalate_after_secs: u64 as Bounded<u64, 1, 86_400> = 300;
    }

    /// `[sandbox]`: limits of every command an agent runs (tests included).
    [sandbox] SandboxConfig / SandboxLayer, expecting "a table of [sandbox] settings" {
        /// CPU seconds (1..=86400).
        cpu_secs: u64 as Bounded<u64, 1, 86_400> = 300;
        /// Address space in MiB (64..=1048576).
        memory_mb: u64 as Bounded<u64, 64, 1_048_576> = 4096;
        /// Largest file a command may write, in MiB (1..=1048576).
        file_size_mb: u64 as Bounded<u64, 1, 1_048_576> = 512;
        /// Processes (1..=100000).
        processes: u64 as Bounded<u64, 1, 100_000> = 512;
        /// Wall-clock seconds before the whole process tree is killed (1..=86400).
        timeout_secs: u64 as Bounded<u64, 1, 86_400> = 300;
        /// Output kept per command, in KiB, head and tail (1..=65536).
        output_kb: usize as Bounded<usize, 1, 65_536> = 256;
    }

    /// `[approvals]`: what agents may do without asking.
    [approvals] ApprovalsConfig / ApprovalsLayer, expecting "a table of [approvals] settings" {
        /// Writing a patch into the run's worktree.
        patch: Policy = Policy::Auto;
        /// Running a command in the sandbox.
        command: Policy = Policy::Auto;
        /// Applying a verified patch to the working tree.
        apply: Policy = Policy::Ask;
        /// A command that needs the network, a path outside the worktree, or runs without a
        /// sandbox.
        outside: Policy = Policy::Ask;
        /// Command prefixes that run without asking (inside the sandbox).
        allow: Vec<String> as Prefixes = Vec::new();
        /// Command prefixes that always ask.
        ask: Vec<String> as Prefixes = Vec::new();
        /// Command prefixes that are refused.
        deny: Vec<String> as Prefixes = Vec::new();
    }

    /// `[repo]`: overrides of what the observer detects; empty = detect.
    [repo] RepoConfig / RepoLayer, expecting "a table of [repo] settings" {
        /// The build command.
        build: String as CommandOverride = String::new();
        /// The test command.
        test: String as CommandOverride = String::new();
        /// The run command.
        run: String as CommandOverride = String::new();
    }

    /// `[memory]`: what the team remembers across runs, and how it is searched and injected.
    [memory] MemoryConfig / MemoryLayer, expecting "a table of [memory] settings" {
        /// The `[providers]` entry whose `/v1/embeddings` embeds memory for semantic search;
        /// empty = full-text search only.
        embeddings: String = String::new();
        /// The embedding model sent to that provider.
        embedding_model: String = "text-embedding-3-small".to_string();
        /// Tokens of memories put into a task's brief (0..=32768; 0 = none).
        inject_tokens: usize as Bounded<usize, 0, 32_768> = 1000;
        /// The role whose models write task summaries (falls back to `[roles.default]`);
        /// empty = no model, only the facts known for sure.
        synthesis: String = "synthesizer".to_string();
        /// Chat turns with the planner sent as they are; older ones are summarized (2..=200).
        chat_turns: usize as Bounded<usize, 2, 200> = 12;
    }

    /// `[repo_watch]`: how the owner process watches the person's working tree for edits.
    [repo_watch] RepoWatchConfig / RepoWatchLayer, expecting "a table of [repo_watch] settings" {
        /// Whether edits are watched (while a run is active).
        enabled: bool = true;
        /// Quiet time before a batch of changes is reported, in ms (10..=10000).
        debounce_ms: u64 as Bounded<u64, 10, 10_000> = 50;
        /// The longest a batch waits while the tree keeps changing, in ms (10..=60000).
        max_wait_ms: u64 as Bounded<u64, 10, 60_000> = 1000;
        /// Poll instead of using inotify (network and some container file systems).
        poll: bool = false;
        /// How often polling scans the watched folders, in ms (100..=60000).
        poll_ms: u64 as Bounded<u64, 100, 60_000> = 1000;
    }
}

impl StoreConfig {
    /// The writer's tuning, as the store takes it.
    pub fn options(&self) -> StoreOptions {
        StoreOptions {
            batch_max_events: self.batch_max_events,
            batch_max_delay: Duration::from_millis(self.batch_max_delay_ms),
            busy_timeout: Duration::from_millis(self.busy_timeout_ms),
            heartbeat: Duration::from_millis(self.heartbeat_ms),
        }
    }
}

/// When to use ANSI colors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColorChoice {
    /// Color on a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    /// Color even when not writing to a terminal.
    Always,
    /// Never color.
    Never,
}

impl ColorChoice {
    const NAMES: [&'static str; 3] = ["auto", "always", "never"];

    /// Whether to color, given whether `NO_COLOR` is set (non-empty) and the output is a tty.
    pub fn enabled(self, no_color: bool, is_tty: bool) -> bool {
        match self {
            ColorChoice::Auto => is_tty && !no_color,
            ColorChoice::Always => true,
            ColorChoice::Never => false,
        }
    }
}

// By hand rather than derived: toml's enum path says only "wanted string or table" for a
// wrong type, and serde's unknown-variant message quotes with backticks.
impl<'de> Deserialize<'de> for ColorChoice {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ColorVisitor;
        impl Visitor<'_> for ColorVisitor {
            type Value = ColorChoice;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "one of {}", quoted_list(&ColorChoice::NAMES))
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<ColorChoice, E> {
                match value {
                    "auto" => Ok(ColorChoice::Auto),
                    "always" => Ok(ColorChoice::Always),
                    "never" => Ok(ColorChoice::Never),
                    other => Err(E::custom(format_args!(
                        "unknown variant {other:?}, expected one of {}",
                        quoted_list(&ColorChoice::NAMES)
                    ))),
                }
            }
        }
        deserializer.deserialize_str(ColorVisitor)
    }
}

/// An integer that must lie in `LO..=HI`, stored as `T`. Only layers hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Bounded<T, const LO: i64, const HI: i64>(pub(super) T);

impl<'de, T: TryFrom<i64>, const LO: i64, const HI: i64> Deserialize<'de> for Bounded<T, LO, HI> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let n = deserializer.deserialize_i64(IntegerIn::<LO, HI>)?;
        T::try_from(n)
            .map(Bounded)
            .map_err(|_| de::Error::custom(out_of_range(n, LO, HI)))
    }
}

impl<const LO: i64, const HI: i64> From<Bounded<usize, LO, HI>> for usize {
    fn from(value: Bounded<usize, LO, HI>) -> usize {
        value.0
    }
}

impl<const LO: i64, const HI: i64> From<Bounded<u32, LO, HI>> for u32 {
    fn from(value: Bounded<u32, LO, HI>) -> u32 {
        value.0
    }
}

impl<const LO: i64, const HI: i64> From<Bounded<u64, LO, HI>> for u64 {
    fn from(value: Bounded<u64, LO, HI>) -> u64 {
        value.0
    }
}

struct IntegerIn<const LO: i64, const HI: i64>;

impl<const LO: i64, const HI: i64> Visitor<'_> for IntegerIn<LO, HI> {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an integer from {LO} to {HI}")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<i64, E> {
        if (LO..=HI).contains(&value) {
            Ok(value)
        } else {
            Err(E::custom(out_of_range(value, LO, HI)))
        }
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<i64, E> {
        match i64::try_from(value) {
            Ok(value) => self.visit_i64(value),
            Err(_) => Err(E::custom(out_of_range(value, LO, HI))),
        }
    }
}

fn out_of_range(value: impl fmt::Display, lo: i64, hi: i64) -> String {
    format!("{value} is out of range, expected an integer from {lo} to {hi}")
}

/// A tracing filter string (`info`, `warroom=debug,info`), checked with the parser that will
/// use it, so a typo fails at load time rather than silently logging nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TracingFilter(String);

impl<'de> Deserialize<'de> for TracingFilter {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FilterVisitor;
        impl Visitor<'_> for FilterVisitor {
            type Value = TracingFilter;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a tracing filter string such as "info" or "warroom=debug,info""#)
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<TracingFilter, E> {
                if value.trim().is_empty() {
                    return Err(E::custom(format_args!(
                        "the filter is empty, expected {}",
                        Expecting(&self)
                    )));
                }
                match tracing_subscriber::EnvFilter::builder().parse(value) {
                    Ok(_) => Ok(TracingFilter(value.to_string())),
                    Err(error) => Err(E::custom(format_args!(
                        "{value:?} is not a valid tracing filter: {error}"
                    ))),
                }
            }
        }
        deserializer.deserialize_str(FilterVisitor)
    }
}

impl From<TracingFilter> for String {
    fn from(value: TracingFilter) -> String {
        value.0
    }
}

/// Displays a visitor's `expecting` text.
struct Expecting<'a, V>(&'a V);

impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
}

/// The keys of `section`, or `None` when there is no such section.
pub(crate) fn keys_of(section: &str) -> Option<&'static [&'static str]> {
    SECTIONS
        .iter()
        .find(|(name, _)| *name == section)
        .map(|(_, keys)| *keys)
}

/// `"a", "b", "c"`.
pub(crate) fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("{name:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
