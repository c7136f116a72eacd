//! The config tables whose names the person chooses: `[providers.NAME]` (where models are
//! served), `[roles.ROLE]` (which models a role uses, primary first) and `[pricing."MODEL"]`
//! (price overrides). An entry is merged key by key over the same entry of lower layers, so a
//! repo file or `--set providers.local.base_url=...` can change one key of a provider the user
//! file defines; a layer that introduces a provider must give its kind. References between
//! tables (a role naming a provider) are checked by [`check_references`] once every layer is
//! applied. Knows key names and URLs, never keys themselves; reads nothing.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize, Serializer};

use super::Config;
use super::error::{ConfigError, Origin, Place, key_path};
use super::settings::{Bounded, quoted_list};
use super::values::{
    BaseUrl, CommandLine, Dollars, EnvVarName, FilePath, HealthPath, ModelChain, Temperature,
};

/// The tables that are maps of named entries, with the keys each entry may have.
pub const MAP_SECTIONS: &[(&str, &[&str])] = &[
    (
        "providers",
        &[
            "kind",
            "base_url",
            "api_key_env",
            "api_key_file",
            "connect_timeout_ms",
            "first_byte_timeout_ms",
            "idle_timeout_ms",
            "text_tool_calls",
            "command",
            "model",
            "port",
            "health_path",
            "startup_timeout_ms",
            "log_file",
            "file",
        ],
    ),
    (
        "roles",
        &[
            "models",
            "temperature",
            "max_tokens",
            "tools",
            "prompt",
            "about",
        ],
    ),
    ("pricing", &["input", "output", "cached", "cache_write"]),
];

/// Anthropic's API, for an `anthropic` provider that names no `base_url`.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// The variable an `anthropic` provider reads its key from when it names no key source.
pub const ANTHROPIC_KEY_ENV: &str = "ANTHROPIC_API_KEY";

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ProviderKind {
    /// OpenAI's chat completions (OpenAI, Ollama, vLLM, LM Studio, OpenRouter, llama.cpp).
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic's Messages API.
    #[serde(rename = "anthropic")]
    Anthropic,
    /// A server warroom starts itself (`command`) on 127.0.0.1 and then talks to as `openai`.
    #[serde(rename = "local")]
    Local,
    /// Answers from a recording (`file`), for demos and tests; no network.
    #[serde(rename = "replay")]
    Replay,
}

impl ProviderKind {
    /// Every kind's name, as config spells it.
    pub const NAMES: [&'static str; 4] = ["openai", "anthropic", "local", "replay"];

    /// The kind config spells `name`.
    pub fn from_name(name: &str) -> Option<ProviderKind> {
        match name {
            "openai" => Some(ProviderKind::OpenAi),
            "anthropic" => Some(ProviderKind::Anthropic),
            "local" => Some(ProviderKind::Local),
            "replay" => Some(ProviderKind::Replay),
            _ => None,
        }
    }

    /// Its name as config spells it.
    pub fn name(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Local => "local",
            ProviderKind::Replay => "replay",
        }
    }
}

/// `[providers.NAME]`: one place models are served from. Equality ignores `origin`.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderConfig {
    /// The wire format.
    pub kind: ProviderKind,
    /// The API's base URL, without a trailing `/`; `None` only for `anthropic` (see
    /// [`ProviderConfig::url`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The environment variable that holds the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// The file that holds the key (must be mode 0600 or stricter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_file: Option<PathBuf>,
    /// How long to wait for the connection, in ms.
    pub connect_timeout_ms: u64,
    /// How long to wait for the first byte of the answer, in ms.
    pub first_byte_timeout_ms: u64,
    /// How long to wait between two chunks of a streamed answer, in ms.
    pub idle_timeout_ms: u64,
    /// Whether tool calls written as text are turned into tool calls; `None` = by the URL
    /// (see [`ProviderConfig::text_tool_calls`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_tool_calls: Option<bool>,
    /// `local` only: the server's command line, with `{model}` and `{port}` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `local` only: the model file that replaces `{model}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<PathBuf>,
    /// `local` only: the port that replaces `{port}`; `None` or 0 = a free one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `local` only: the path that answers 200 once the server is ready; `None` = `/health`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_path: Option<String>,
    /// `local` only: how long the server may take to become healthy, in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_timeout_ms: Option<u64>,
    /// `local` only: where the server's output goes; `None` = `<state dir>/logs/local-NAME.log`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_file: Option<PathBuf>,
    /// `replay` only: the recording it serves (JSON lines written by `--record`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    /// Where the provider was first defined, for messages about it.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

impl PartialEq for ProviderConfig {
    fn eq(&self, other: &Self) -> bool {
        let ProviderConfig {
            kind,
            base_url,
            api_key_env,
            api_key_file,
            connect_timeout_ms,
            first_byte_timeout_ms,
            idle_timeout_ms,
            text_tool_calls,
            command,
            model,
            port,
            health_path,
            startup_timeout_ms,
            log_file,
            file,
            origin: _,
        } = self;
        *kind == other.kind
            && *base_url == other.base_url
            && *api_key_env == other.api_key_env
            && *api_key_file == other.api_key_file
            && *connect_timeout_ms == other.connect_timeout_ms
            && *first_byte_timeout_ms == other.first_byte_timeout_ms
            && *idle_timeout_ms == other.idle_timeout_ms
            && *text_tool_calls == other.text_tool_calls
            && *command == other.command
            && *model == other.model
            && *port == other.port
            && *health_path == other.health_path
            && *startup_timeout_ms == other.startup_timeout_ms
            && *log_file == other.log_file
            && *file == other.file
    }
}

impl Eq for ProviderConfig {}

impl ProviderConfig {
    /// Default connect timeout, in ms.
    pub const CONNECT_TIMEOUT_MS: u64 = 10_000;
    /// Default first-byte timeout, in ms (a local model reads the whole prompt first).
    pub const FIRST_BYTE_TIMEOUT_MS: u64 = 120_000;
    /// Default idle timeout between chunks, in ms.
    pub const IDLE_TIMEOUT_MS: u64 = 60_000;
    /// Default path a `local` server answers 200 on once ready (llama.cpp's).
    pub const HEALTH_PATH: &'static str = "/health";
    /// Default time a `local` server may take to load its model and become healthy, in ms.
    pub const STARTUP_TIMEOUT_MS: u64 = 120_000;

    /// A provider of `kind` with every other key at its default.
    pub fn new(kind: ProviderKind) -> ProviderConfig {
        ProviderConfig {
            kind,
            base_url: None,
            api_key_env: None,
            api_key_file: None,
            connect_timeout_ms: Self::CONNECT_TIMEOUT_MS,
            first_byte_timeout_ms: Self::FIRST_BYTE_TIMEOUT_MS,
            idle_timeout_ms: Self::IDLE_TIMEOUT_MS,
            text_tool_calls: None,
            command: None,
            model: None,
            port: None,
            health_path: None,
            startup_timeout_ms: None,
            log_file: None,
            file: None,
            origin: None,
        }
    }

    /// The base URL in effect: the configured one, or Anthropic's for an `anthropic` provider.
    pub fn url(&self) -> &str {
        match (&self.base_url, self.kind) {
            (Some(url), _) => url,
            (None, ProviderKind::Anthropic) => ANTHROPIC_BASE_URL,
            // Config refuses an openai provider without a URL; an empty one fails loudly later.
            // A local server's URL is known once it runs (its port may be picked then).
            // A replay provider has no URL at all.
            (None, ProviderKind::OpenAi | ProviderKind::Local | ProviderKind::Replay) => "",
        }
    }

    /// Whether the server is on this machine: a `local` provider, or a URL whose host is
    /// 127.0.0.1, localhost or ::1.
    pub fn is_local(&self) -> bool {
        self.kind == ProviderKind::Local
            || reqwest::Url::parse(self.url()).is_ok_and(|url| {
                matches!(
                    url.host_str(),
                    Some("127.0.0.1" | "localhost" | "[::1]" | "::1")
                )
            })
    }

    /// Whether tool calls written as text are turned into real ones: as configured, else on
    /// for a local server (small local models often write them as text).
    pub fn text_tool_calls(&self) -> bool {
        self.text_tool_calls.unwrap_or_else(|| self.is_local())
    }

    /// The connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    /// The first-byte timeout.
    pub fn first_byte_timeout(&self) -> Duration {
        Duration::from_millis(self.first_byte_timeout_ms)
    }

    /// The idle timeout between chunks.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    /// `local`: the health path in effect.
    pub fn health_path(&self) -> &str {
        self.health_path.as_deref().unwrap_or(Self::HEALTH_PATH)
    }

    /// `local`: the startup timeout in effect.
    pub fn startup_timeout(&self) -> Duration {
        Duration::from_millis(self.startup_timeout_ms.unwrap_or(Self::STARTUP_TIMEOUT_MS))
    }
}

/// One entry of a role's chain: a provider's name and a model it serves.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModelRef {
    /// The provider, a key of `[providers]`.
    pub provider: String,
    /// The model's name at that provider (may itself contain `/`).
    pub model: String,
}

impl ModelRef {
    /// Splits `"provider/model"` at its first `/`; `None` when either side is empty.
    pub fn parse(text: &str) -> Option<ModelRef> {
        let (provider, model) = text.split_once('/')?;
        let (provider, model) = (provider.trim(), model.trim());
        (!provider.is_empty() && !model.is_empty()).then(|| ModelRef {
            provider: provider.to_string(),
            model: model.to_string(),
        })
    }
}

impl fmt::Display for ModelRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

impl Serialize for ModelRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// `[roles.ROLE]`: the models a role's agents use and their default sampling. Equality ignores
/// `origin`: two roles that behave alike are equal wherever they were written.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RoleConfig {
    /// Primary first, then fallbacks in order.
    pub models: Vec<ModelRef>,
    /// Default temperature for the role's calls (a request's own value wins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Default most tokens to generate (a request's own value wins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// The tools the role's agents may call (`None`: the role's built-in set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<String>>,
    /// The role's system prompt file (`None`: `assets/prompts/<role>.md`, built in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<std::path::PathBuf>,
    /// What the role does, in one line, for the planner choosing whom to delegate to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    /// Where `models` was set (or the role first appeared), for the reference check's message.
    #[serde(skip)]
    pub origin: Option<Origin>,
}

impl PartialEq for RoleConfig {
    fn eq(&self, other: &Self) -> bool {
        self.models == other.models
            && self.temperature == other.temperature
            && self.max_tokens == other.max_tokens
            && self.tools == other.tools
            && self.prompt == other.prompt
            && self.about == other.about
    }
}

/// `[pricing."MODEL"]`: dollars per million tokens, overriding `assets/pricing.toml` key by key.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PriceConfig {
    /// Prompt tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<f64>,
    /// Completion tokens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<f64>,
    /// Prompt tokens read from the provider's cache.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cached: Option<f64>,
    /// Prompt tokens written to the provider's cache (Anthropic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
}

/// A value with where it was written: the byte span while deserializing, then the [`Origin`]
/// once the layer knows its source. Equality looks at the value only.
#[derive(Debug, Clone)]
pub(crate) struct Located<T> {
    pub value: T,
    span: Range<usize>,
    pub origin: Option<Origin>,
}

impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = toml::Spanned::<T>::deserialize(deserializer)?;
        Ok(Located {
            span: spanned.span(),
            value: spanned.into_inner(),
            origin: None,
        })
    }
}

impl<T> Located<T> {
    fn locate(&mut self, place: Place<'_>) {
        self.origin = Some(place.origin(Some(self.span.clone())));
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table of [providers.NAME] settings"
)]
pub(crate) struct ProviderLayer {
    kind: Option<ProviderKind>,
    base_url: Option<BaseUrl>,
    api_key_env: Option<EnvVarName>,
    api_key_file: Option<FilePath>,
    connect_timeout_ms: Option<Bounded<u64, 1, 3_600_000>>,
    first_byte_timeout_ms: Option<Bounded<u64, 1, 3_600_000>>,
    idle_timeout_ms: Option<Bounded<u64, 1, 3_600_000>>,
    text_tool_calls: Option<bool>,
    command: Option<CommandLine>,
    model: Option<FilePath>,
    port: Option<Bounded<u16, 0, 65_535>>,
    health_path: Option<HealthPath>,
    startup_timeout_ms: Option<Bounded<u64, 1, 3_600_000>>,
    log_file: Option<FilePath>,
    file: Option<FilePath>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table of [roles.ROLE] settings")]
pub(crate) struct RoleLayer {
    models: Option<Located<ModelChain>>,
    temperature: Option<Temperature>,
    max_tokens: Option<Bounded<u32, 1, 10_000_000>>,
    tools: Option<ToolNames>,
    prompt: Option<FilePath>,
    about: Option<String>,
}

/// A list of tool names: lowercase letters, digits and `_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolNames(pub Vec<String>);

impl<'de> Deserialize<'de> for ToolNames {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        for name in &names {
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(serde::de::Error::custom(format_args!(
                    "invalid tool name {name:?}: tool names are lowercase letters, digits and \"_\" (e.g. \"read_file\")"
                )));
            }
        }
        Ok(ToolNames(names))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table of [pricing.\"MODEL\"] prices"
)]
pub(crate) struct PriceLayer {
    input: Option<Dollars>,
    output: Option<Dollars>,
    cached: Option<Dollars>,
    cache_write: Option<Dollars>,
}

/// Turns every span of one layer's map entries into an origin in `place`.
pub(crate) fn locate(
    providers: &mut BTreeMap<String, Located<ProviderLayer>>,
    roles: &mut BTreeMap<String, Located<RoleLayer>>,
    place: Place<'_>,
) {
    for provider in providers.values_mut() {
        provider.locate(place);
    }
    for role in roles.values_mut() {
        role.locate(place);
        if let Some(models) = &mut role.value.models {
            models.locate(place);
        }
    }
}

/// The map tables of one layer.
pub(crate) struct MapLayers {
    pub providers: BTreeMap<String, Located<ProviderLayer>>,
    pub roles: BTreeMap<String, Located<RoleLayer>>,
    pub pricing: BTreeMap<String, PriceLayer>,
}

impl MapLayers {
    /// Merges every entry into `config`, key by key.
    pub(crate) fn apply_to(self, config: &mut Config) -> Result<(), ConfigError> {
        for (name, layer) in self.providers {
            apply_provider(&name, layer, &mut config.providers)?;
        }
        for (name, layer) in self.roles {
            let role = config.roles.entry(name).or_insert_with(|| RoleConfig {
                models: Vec::new(),
                temperature: None,
                max_tokens: None,
                tools: None,
                prompt: None,
                about: None,
                origin: layer.origin.clone(),
            });
            let layer = layer.value;
            if let Some(models) = layer.models {
                role.models = models.value.0;
                role.origin = models.origin;
            }
            if let Some(temperature) = layer.temperature {
                role.temperature = Some(temperature.0);
            }
            if let Some(max_tokens) = layer.max_tokens {
                role.max_tokens = Some(max_tokens.0);
            }
            if let Some(tools) = layer.tools {
                role.tools = Some(tools.0);
            }
            if let Some(prompt) = layer.prompt {
                role.prompt = Some(prompt.0);
            }
            if let Some(about) = layer.about {
                role.about = Some(about);
            }
        }
        for (model, layer) in self.pricing {
            let price = config.pricing.entry(model).or_default();
            let set = |slot: &mut Option<f64>, value: Option<Dollars>| {
                if let Some(value) = value {
                    *slot = Some(value.0);
                }
            };
            set(&mut price.input, layer.input);
            set(&mut price.output, layer.output);
            set(&mut price.cached, layer.cached);
            set(&mut price.cache_write, layer.cache_write);
        }
        Ok(())
    }
}

fn apply_provider(
    name: &str,
    layer: Located<ProviderLayer>,
    providers: &mut BTreeMap<String, ProviderConfig>,
) -> Result<(), ConfigError> {
    let origin = layer.origin;
    let key = key_path(&["providers", name]);
    let check = |message: String| ConfigError::Check {
        origin: origin.clone(),
        key: key.clone(),
        message,
    };
    if name.contains('/') || name.trim().is_empty() {
        return Err(check(
            "a provider's name must be non-empty and cannot contain \"/\" (roles name models as \
             \"provider/model\")"
                .into(),
        ));
    }
    let layer = layer.value;
    if layer.api_key_env.is_some() && layer.api_key_file.is_some() {
        return Err(check(
            "set api_key_env or api_key_file, not both: the key comes from one place".into(),
        ));
    }
    let provider = match (providers.get_mut(name), layer.kind) {
        (Some(provider), _) => provider,
        (None, Some(kind)) => providers.entry(name.to_string()).or_insert(ProviderConfig {
            origin: origin.clone(),
            ..ProviderConfig::new(kind)
        }),
        (None, None) => {
            return Err(check(format!(
                "missing key \"kind\": a provider must say which API it speaks, one of {}",
                quoted_list(&ProviderKind::NAMES)
            )));
        }
    };
    if let Some(kind) = layer.kind {
        provider.kind = kind;
    }
    if let Some(url) = layer.base_url {
        provider.base_url = Some(url.0);
    }
    // One key source at a time: a higher layer's choice replaces a lower layer's.
    if let Some(var) = layer.api_key_env {
        provider.api_key_env = Some(var.0);
        provider.api_key_file = None;
    }
    if let Some(path) = layer.api_key_file {
        provider.api_key_file = Some(relative_to_file(path.0, origin.as_ref()));
        provider.api_key_env = None;
    }
    for (slot, value) in [
        (&mut provider.connect_timeout_ms, layer.connect_timeout_ms),
        (
            &mut provider.first_byte_timeout_ms,
            layer.first_byte_timeout_ms,
        ),
        (&mut provider.idle_timeout_ms, layer.idle_timeout_ms),
    ] {
        if let Some(value) = value {
            *slot = value.0;
        }
    }
    if let Some(on) = layer.text_tool_calls {
        provider.text_tool_calls = Some(on);
    }
    if let Some(command) = layer.command {
        provider.command = Some(command.0);
    }
    if let Some(model) = layer.model {
        provider.model = Some(relative_to_file(model.0, origin.as_ref()));
    }
    if let Some(port) = layer.port {
        provider.port = Some(port.0);
    }
    if let Some(path) = layer.health_path {
        provider.health_path = Some(path.0);
    }
    if let Some(ms) = layer.startup_timeout_ms {
        provider.startup_timeout_ms = Some(ms.0);
    }
    if let Some(path) = layer.log_file {
        provider.log_file = Some(relative_to_file(path.0, origin.as_ref()));
    }
    if let Some(path) = layer.file {
        provider.file = Some(relative_to_file(path.0, origin.as_ref()));
    }
    Ok(())
}

/// A file (key, model, log) named relative to a config file is relative to that file's folder (`~/...` is
/// left for the credentials code to expand: config reads no environment).
fn relative_to_file(path: PathBuf, origin: Option<&Origin>) -> PathBuf {
    match origin {
        Some(Origin::File { path: file, .. }) if path.is_relative() && !path.starts_with("~") => {
            file.parent()
                .map_or(path.clone(), |folder| folder.join(&path))
        }
        _ => path,
    }
}

/// Checks what only the whole config can tell (a later layer may complete an entry): every
/// `openai` provider has a URL, every role without models has `[roles.default]` to borrow
/// them from, and every model names a provider that some layer defines.
pub fn check_references(config: &Config) -> Result<(), ConfigError> {
    for (name, provider) in &config.providers {
        check_local_keys(name, provider)?;
        check_replay_keys(name, provider)?;
        if provider.kind == ProviderKind::OpenAi && provider.base_url.is_none() {
            return Err(ConfigError::Check {
                origin: provider.origin.clone(),
                key: key_path(&["providers", name]),
                message: "missing key \"base_url\": an \"openai\" provider needs the URL of \
                          its API, e.g. \"https://api.openai.com/v1\" or \
                          \"http://127.0.0.1:11434/v1\""
                    .into(),
            });
        }
    }
    for (name, role) in &config.roles {
        let check = |message: String| ConfigError::Check {
            origin: role.origin.clone(),
            key: key_path(&["roles", name, "models"]),
            message,
        };
        let has_default = config
            .roles
            .get("default")
            .is_some_and(|d| !d.models.is_empty());
        if role.models.is_empty() && !has_default {
            return Err(check(format!(
                "missing: role {name:?} needs models = [\"provider/model\", ...] (or define \
                 [roles.default] for it to use)"
            )));
        }
        for entry in &role.models {
            if !config.providers.contains_key(&entry.provider) {
                let defined: Vec<&str> = config.providers.keys().map(String::as_str).collect();
                let defined = if defined.is_empty() {
                    "no provider is defined; add a [providers.NAME] table".to_string()
                } else {
                    format!("defined providers: {}", quoted_list(&defined))
                };
                return Err(check(format!(
                    "\"{entry}\" names provider {:?}, which no [providers.{}] table defines; \
                     {defined}",
                    entry.provider, entry.provider
                )));
            }
        }
    }
    Ok(())
}

/// A `local` provider needs its command (and the model its command names) and has no
/// `base_url`; the other kinds take none of the local keys.
fn check_local_keys(name: &str, provider: &ProviderConfig) -> Result<(), ConfigError> {
    let check = |message: String| ConfigError::Check {
        origin: provider.origin.clone(),
        key: key_path(&["providers", name]),
        message,
    };
    if provider.kind != ProviderKind::Local {
        let set = [
            ("command", provider.command.is_some()),
            ("model", provider.model.is_some()),
            ("port", provider.port.is_some()),
            ("health_path", provider.health_path.is_some()),
            ("startup_timeout_ms", provider.startup_timeout_ms.is_some()),
            ("log_file", provider.log_file.is_some()),
        ];
        if let Some((key, _)) = set.iter().find(|(_, is_set)| *is_set) {
            return Err(check(format!(
                "key \"{key}\" is only for kind = \"local\" (a server warroom starts itself); \
                 this provider is kind = \"{}\"",
                provider.kind.name()
            )));
        }
        return Ok(());
    }
    let Some(command) = &provider.command else {
        return Err(check(
            "missing key \"command\": a \"local\" provider needs the command that starts its \
             server, e.g. \"llama-server -m {model} --port {port} --host 127.0.0.1\""
                .into(),
        ));
    };
    if provider.base_url.is_some() {
        return Err(check(
            "key \"base_url\" is not for kind = \"local\": its URL is \
             http://127.0.0.1:{port}/v1 (set port, or use kind = \"openai\" for a server you \
             start yourself)"
                .into(),
        ));
    }
    if command.contains("{model}") && provider.model.is_none() {
        return Err(check(
            "missing key \"model\": the command names {model}; set model to the model file's path"
                .into(),
        ));
    }
    Ok(())
}

/// A `replay` provider needs its `file`; no other kind takes one.
fn check_replay_keys(name: &str, provider: &ProviderConfig) -> Result<(), ConfigError> {
    let check = |message: String| ConfigError::Check {
        origin: provider.origin.clone(),
        key: key_path(&["providers", name]),
        message,
    };
    match (provider.kind, &provider.file) {
        (ProviderKind::Replay, None) => Err(check(
            "missing key \"file\": a \"replay\" provider needs the recording it serves, a \
             file of recorded model calls (JSON lines), e.g. file = \"demo.jsonl\""
                .into(),
        )),
        (ProviderKind::Replay, Some(_)) | (_, None) => Ok(()),
        (kind, Some(_)) => Err(check(format!(
            "key \"file\" is only for kind = \"replay\" (answers from a recording); this \
             provider is kind = \"{}\"",
            kind.name()
        ))),
    }
}
