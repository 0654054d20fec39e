//! Orchestration: check, explain, build, diff.
pub mod build;
pub mod check;
pub mod diff;
pub mod variations;
