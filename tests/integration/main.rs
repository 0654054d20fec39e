//! Workspace integration tests: the `repro` binary driven as a user would.
//!
//! Tests that need Docker call `support::docker_or_skip()`: with `CI` set, a missing daemon fails
//! the test; without it, the test is skipped with a loud message.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a terminal tool or test harness; libraries never print

mod support;

mod batch;
mod build;
mod check;
mod cross;
mod deps;
mod diff;
mod fetch;
mod hash;
mod image;
mod import;
mod install;
mod interrupt;
mod real;
mod recipe;
mod remote;
mod verify;
