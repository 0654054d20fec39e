//! Orchestration: check, explain, build, diff.
