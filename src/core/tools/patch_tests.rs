//! Tests of apply_patch.
