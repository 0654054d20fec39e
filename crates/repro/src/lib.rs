//! Orchestration: check, explain, build, diff.
pub mod diff;
pub mod variations;
