//! Placeholder: filled in by the tools work of issue 4.
