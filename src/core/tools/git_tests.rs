//! Tests of git_status and git_diff on real repositories.
