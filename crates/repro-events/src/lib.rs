//! The one event stream of repro.
//!
//! Libraries (sources, sandbox, normalizer, differ, orchestration) never print. They report
//! progress and build output as [`Event`]s to an [`EventSink`]; the command line (or a test)
//! decides how to display them. Reports are *not* events: they are returned as values and
//! rendered by `repro-report`.

use std::sync::Arc;
use std::time::Duration;

/// Which build of a run an event belongs to (`"control"`, `"experiment"`, `"explain:time"`, ...).
pub type BuildLabel = String;

/// Where a fetched source came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FetchOrigin {
    Cache,
    Mirror,
    Network,
    Local,
}

/// Output stream of a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// A progress event.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A source fetch started (`total` bytes when known).
    FetchStarted { source: String, total: Option<u64> },
    /// Bytes of a source received so far.
    FetchProgress { source: String, bytes: u64, total: Option<u64> },
    /// A source is verified and in the cache.
    FetchFinished { source: String, origin: FetchOrigin, sha256: String },
    /// A build phase began (`phase`: "create", "upload", "start", "run", "download", "pack", ...).
    BuildPhase { build: BuildLabel, phase: String },
    /// One line of build output.
    BuildOutput { build: BuildLabel, stream: Stream, line: String },
    /// A build finished (successfully or not).
    BuildFinished { build: BuildLabel, success: bool, duration: Duration },
    /// Image work (build, load, verify) progress.
    Image { message: String },
    /// The differ compared one file.
    FileCompared { path: String, status: String },
    /// A normalization rule touched a path.
    Normalized { rule: String, path: String },
    /// A job of a batch (one recipe × platform) started; `index` counts from 0 of `total`.
    JobStarted { job: String, index: usize, total: usize },
    /// A job of a batch ended (`outcome`: reproducible, unreproducible, failed, cancelled, ...).
    JobFinished { job: String, outcome: String, duration: Duration },
    /// A free-form note for the user (warnings the library wants shown).
    Note { level: Level, message: String },
}

/// Severity of a [`Event::Note`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Info,
    Warn,
}

/// Receives events. Implementations must be cheap and must not block for long.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: Event);
}

impl<F: Fn(Event) + Send + Sync> EventSink for F {
    fn emit(&self, event: Event) {
        self(event)
    }
}

/// A shareable sink handle.
pub type Sink = Arc<dyn EventSink>;

/// A sink that drops everything.
pub fn null_sink() -> Sink {
    Arc::new(|_event: Event| {})
}

/// A sink that collects events in memory (for tests).
#[derive(Default, Clone)]
pub struct Collector(Arc<std::sync::Mutex<Vec<Event>>>);

impl Collector {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn sink(&self) -> Sink {
        let inner = self.0.clone();
        Arc::new(move |e: Event| inner.lock().expect("collector poisoned").push(e))
    }
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().expect("collector poisoned").clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collector_keeps_order() {
        let c = Collector::new();
        let s = c.sink();
        s.emit(Event::Image { message: "a".into() });
        s.emit(Event::Image { message: "b".into() });
        let msgs: Vec<_> = c
            .events()
            .into_iter()
            .map(|e| match e {
                Event::Image { message } => message,
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(msgs, ["a", "b"]);
    }
}
