//! Orchestration: check, explain, build, diff.
pub mod variations;
