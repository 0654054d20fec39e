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

/// The JSON Schema of [`Report`] (`repro-report/1`), generated from the types; committed as
/// `docs/report.schema.json` (a test keeps the two equal).
pub fn report_json_schema() -> serde_json::Value {
    let mut v = serde_json::to_value(schemars::schema_for!(Report)).expect("schema serializes");
    if let Some(o) = v.as_object_mut() {
        o.insert("title".into(), "repro report (repro-report/1)".into());
    }
    v
}

/// The JSON Schema of [`Batch`] (`repro-batch/1`), generated from the types; committed as
/// `docs/batch.schema.json` (a test keeps the two equal).
pub fn batch_json_schema() -> serde_json::Value {
    let mut v = serde_json::to_value(schemars::schema_for!(Batch)).expect("schema serializes");
    if let Some(o) = v.as_object_mut() {
        o.insert("title".into(), "repro batch (repro-batch/1)".into());
        o.insert(
            "description".into(),
            "The outcome of many jobs (one per recipe × platform): written by `repro check` over \
             many recipes and by `repro report merge`. See docs/ci.md."
                .into(),
        );
    }
    v
}
