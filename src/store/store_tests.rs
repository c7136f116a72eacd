//! Store tests against real temp files.
