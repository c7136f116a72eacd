//! Concrete providers from `[providers.NAME]` tables: the settings each provider takes, with
//! the key read through `credentials` (the key goes into the provider's settings and nowhere
//! else). Does no network IO: a provider connects on its first call; a `local` provider starts
//! its server process here and the first call waits for it to be ready.

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::{Config, ProviderConfig, ProviderKind};
use crate::core::llm::anthropic::{AnthropicProvider, AnthropicSettings};
use crate::core::llm::credentials::{self, describe_source};
use crate::core::llm::local::{LocalProvider, LocalSettings};
use crate::core::llm::openai::{OpenAiProvider, OpenAiSettings};
use crate::core::llm::replay::ReplayProvider;
use crate::core::llm::{ChatProvider, LlmError};

/// The providers that some role's chain names, built from config, by name. Providers no role
/// uses are not built, so a missing key of an unused provider does not stop a run.
pub fn build_providers(
    config: &Config,
) -> Result<HashMap<String, Arc<dyn ChatProvider>>, LlmError> {
    let mut providers = HashMap::new();
    for role in config.roles.values() {
        for entry in &role.models {
            if providers.contains_key(&entry.provider) {
                continue;
            }
            let provider_config = config.providers.get(&entry.provider).ok_or_else(|| {
                LlmError::Config(format!(
                    "model {entry} names provider {:?}, which no [providers.{}] table defines",
                    entry.provider, entry.provider
                ))
            })?;
            let provider = build_provider(&entry.provider, provider_config)?;
            providers.insert(entry.provider.clone(), provider);
        }
    }
    Ok(providers)
}

/// One provider from its table; reads its key (from the environment or its key file).
pub fn build_provider(
    name: &str,
    config: &ProviderConfig,
) -> Result<Arc<dyn ChatProvider>, LlmError> {
    let key = credentials::resolve(name, config)?;
    let key_source = describe_source(config);
    match config.kind {
        ProviderKind::OpenAi => {
            let mut settings = OpenAiSettings::new(name, config.url());
            settings.key_source = key_source;
            settings.api_key = key.map(|key| key.expose().to_string());
            settings.connect_timeout = config.connect_timeout();
            settings.first_byte_timeout = config.first_byte_timeout();
            settings.idle_timeout = config.idle_timeout();
            settings.text_tool_calls = config.text_tool_calls();
            Ok(Arc::new(OpenAiProvider::new(settings)?))
        }
        ProviderKind::Anthropic => {
            let key = key.ok_or_else(|| {
                LlmError::Config(format!(
                    "provider {name}: an \"anthropic\" provider needs a key: set api_key_env or \
                     api_key_file in [providers.{name}]"
                ))
            })?;
            let mut settings = AnthropicSettings::new(name, key.expose(), key_source);
            settings.base_url = config.url().to_string();
            settings.connect_timeout = config.connect_timeout();
            settings.first_byte_timeout = config.first_byte_timeout();
            settings.idle_timeout = config.idle_timeout();
            Ok(Arc::new(AnthropicProvider::new(settings)?))
        }
        ProviderKind::Replay => Ok(Arc::new(ReplayProvider::from_config(name, config)?)),
        ProviderKind::Local => {
            let settings = LocalSettings::from_config(name, config)?;
            let provider =
                LocalProvider::spawn(settings).map_err(|e| LlmError::Config(e.to_string()))?;
            Ok(Arc::new(provider))
        }
    }
}
