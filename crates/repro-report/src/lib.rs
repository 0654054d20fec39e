//! Report model (repro-report/1) and its renderers.
//!
//! [`model`] holds the serde model every flow fills; [`render`] turns a report into bytes
//! (terminal text, JSON, Markdown, HTML, JUnit, diffoscope JSON v1);
//! [`batch`] holds the `repro-batch/1` model of many jobs, rendered by `render::batch_*`. Renderers are pure functions: they never
//! compute anything the differ should.

pub mod batch;
pub mod model;
pub mod render;

pub use batch::{BATCH_SCHEMA, Batch, Job, Outcome, Totals, job_id};
pub use model::*;
