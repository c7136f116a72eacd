//! Fuzzes the chat-completions stream reader as the provider runs it: arbitrary bytes, cut
//! into arbitrary chunks, go through eventsource-stream and then the OpenAI decoder (with text
//! tool calls on). It must never panic, whatever the bytes; events after `Done` or after an
//! error must not exist.

#![no_main]

use eventsource_stream::Eventsource;
use futures_util::{FutureExt, StreamExt, stream};
use libfuzzer_sys::fuzz_target;
use warroom::core::llm::StreamEvent;
use warroom::core::llm::openai::Decoder;

fuzz_target!(|input: &[u8]| {
    // The first byte sets the chunk size, so that lines and UTF-8 sequences are split at
    // every possible place.
    let Some((size, body)) = input.split_first() else {
        return;
    };
    let size = usize::from(*size % 64) + 1;
    let chunks: Vec<Result<Vec<u8>, ()>> = body.chunks(size).map(|c| Ok(c.to_vec())).collect();
    let mut events = stream::iter(chunks).eventsource();
    let mut decoder = Decoder::new(Some(vec!["read_file".into(), "run_command".into()]));
    let mut finished = false;
    // The chunks are all there already, so every poll is ready.
    while let Some(Some(item)) = events.next().now_or_never() {
        let Ok(event) = item else {
            return;
        };
        match decoder.on_data(&event.data) {
            Ok(out) => {
                if let Some(done_at) = out
                    .iter()
                    .position(|e| matches!(e, StreamEvent::Done { .. }))
                {
                    assert_eq!(done_at, out.len() - 1, "events after Done");
                    assert!(!finished, "two Dones");
                    finished = true;
                }
                assert!(!decoder.is_done() || finished || out.is_empty());
            }
            Err(_) => return,
        }
    }
    if !decoder.is_done() {
        let _ = decoder.ended_early();
    }
});
