//! The only code that speaks to models. Agents see one interface: a [`ChatRequest`] (messages,
//! tools, parameters) goes in, and an [`LlmStream`] of typed [`StreamEvent`]s (text delta,
//! tool-call delta, usage, done) comes out; dropping the stream cancels the call and closes its
//! connection. Every failure is an [`LlmError`] a person can read, and says whether retrying
//! can help. Providers implement [`ChatProvider`]; the router picks among them.
//!
//! Never imports the UI, never writes a key anywhere.

pub mod anthropic;
pub mod budget;
pub mod cache;
pub mod cost;
pub mod credentials;
pub mod detect;
pub mod exchange;
pub mod fingerprint;
pub mod local;
pub mod openai;
pub mod record;
pub mod redact;
pub mod replay;
pub mod router;
pub mod sse;
pub mod text_tools;
pub mod types;

pub use types::{
    ChatRequest, FinishReason, LlmError, Message, Params, ResponseFormat, Role, StreamEvent,
    ToolCall, ToolSpec, Usage,
};

use std::pin::Pin;

use futures_util::Stream;
use futures_util::future::BoxFuture;

/// A model's answer as it arrives. Ends after `StreamEvent::Done` or the first error.
pub type LlmStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, LlmError>> + Send>>;

/// Something that can answer a chat request: an OpenAI-compatible server, Anthropic, a
/// replayed recording.
pub trait ChatProvider: Send + Sync {
    /// The provider's name from config (used in errors, events and `llm_calls`).
    fn name(&self) -> &str;

    /// Starts a streamed answer. Errors before the first byte (refused, unreachable,
    /// unauthorized) come back here; errors after it come through the stream.
    fn stream<'a>(&'a self, request: &'a ChatRequest)
    -> BoxFuture<'a, Result<LlmStream, LlmError>>;
}
