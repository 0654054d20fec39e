//! Orchestration: check, explain, build, diff.
pub mod build;
pub mod diff;
pub mod variations;
pub mod check;
