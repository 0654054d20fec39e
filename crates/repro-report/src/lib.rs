//! Report model (repro-report/1) and its renderers.
//!
//! [`model`] holds the serde model every flow fills; [`render`] turns a report into bytes
//! (terminal text, JSON, Markdown, diffoscope JSON v1). Renderers are pure functions: they never
//! compute anything the differ should.

pub mod model;
pub mod render;

pub use model::*;
