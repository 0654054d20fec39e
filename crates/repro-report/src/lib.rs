//! Report model (repro-report/1) and its renderers.
