//! A supervised local server as a [`ChatProvider`]: every request waits for the server to be
//! ready, then goes to it as to any OpenAI-compatible server. A request that finds the
//! connection refused because the server just died waits for the restart and is sent once
//! more; anything else is the OpenAI provider's answer as it is.

use std::time::Duration;

use futures_util::future::BoxFuture;

use super::{LocalError, LocalModel, LocalSettings};
use crate::core::llm::openai::OpenAiProvider;
use crate::core::llm::{ChatProvider, ChatRequest, LlmError, LlmStream};

/// How long a refused request waits to learn whether the server died (the supervisor sees a
/// death within milliseconds).
const DEATH_NOTICE: Duration = Duration::from_millis(500);

/// A local server, supervised, answering chat requests.
pub struct LocalProvider {
    model: LocalModel,
    client: OpenAiProvider,
}

impl LocalProvider {
    /// Starts the server and waits until it is ready: an error names what failed and shows
    /// the last lines of its log.
    pub async fn start(settings: LocalSettings) -> Result<LocalProvider, LocalError> {
        let provider = LocalProvider::spawn(settings)?;
        provider.model.ready().await?;
        Ok(provider)
    }

    /// Starts the server without waiting: the first request waits for it.
    pub fn spawn(settings: LocalSettings) -> Result<LocalProvider, LocalError> {
        let mut client = settings.client.clone();
        let name = settings.name.clone();
        let model = LocalModel::spawn(settings)?;
        client.base_url = model.base_url();
        let client = OpenAiProvider::new(client).map_err(|e| LocalError::Setup {
            name,
            message: e.to_string(),
        })?;
        Ok(LocalProvider { model, client })
    }

    /// The supervised server.
    pub fn model(&self) -> &LocalModel {
        &self.model
    }

    async fn start_stream(&self, request: &ChatRequest) -> Result<LlmStream, LlmError> {
        self.model.ready().await.map_err(|e| self.unavailable(e))?;
        let generation = self.model.state().generation;
        match self.client.stream(request).await {
            Err(LlmError::Connection { .. })
                if self.model.left_generation(generation, DEATH_NOTICE).await =>
            {
                tracing::info!(name = %self.model.name(), "local model died under a request; waiting for its restart");
                self.model.ready().await.map_err(|e| self.unavailable(e))?;
                self.client.stream(request).await
            }
            other => other,
        }
    }

    fn unavailable(&self, error: LocalError) -> LlmError {
        match error {
            LocalError::Setup { .. } => LlmError::Config(error.to_string()),
            _ => LlmError::Connection {
                provider: self.model.name().to_string(),
                message: error.to_string(),
            },
        }
    }
}

impl ChatProvider for LocalProvider {
    fn name(&self) -> &str {
        self.model.name()
    }

    fn stream<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<LlmStream, LlmError>> {
        Box::pin(self.start_stream(request))
    }
}
