//! Orchestration: check, explain, build, diff, and batches of many recipes × platforms.
pub mod batch;
pub mod build;
pub mod check;
pub mod deps;
pub mod diff;
pub mod graph;
pub mod plan;
pub mod products;
pub mod recipe_input;
pub mod variations;
pub mod verify;
