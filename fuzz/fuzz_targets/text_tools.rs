//! Fuzzes the reader of tool calls written as text: any text, any declared names. It must
//! never panic, and every call it returns must name a declared tool and carry a JSON object.

#![no_main]

use libfuzzer_sys::fuzz_target;
use warroom::core::llm::text_tools::tool_calls_in_text;

fuzz_target!(|text: &str| {
    let declared = ["read_file", "run_command", ""];
    for (i, call) in tool_calls_in_text(text, &declared).iter().enumerate() {
        assert!(declared.contains(&call.name.as_str()));
        assert_eq!(call.id, format!("text_call_{i}"));
        let arguments = call.parsed_arguments().expect("arguments are JSON");
        assert!(arguments.is_object());
    }
});
