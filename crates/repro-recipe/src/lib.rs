//! Recipe model, TOML parsing with spans, validation, Yggdrasil importer.

pub mod model;

pub use model::*;
