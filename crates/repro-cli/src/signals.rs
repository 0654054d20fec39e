//! The one cancellation token of a command, owned here: SIGINT, SIGTERM and SIGHUP cancel it,
//! the libraries stop queued work, kill and remove running containers and remove their
//! temporary directories, and the command exits with 128 + the signal's number.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use anyhow::{Context, Result};
use tokio_util::sync::CancellationToken;

/// The outcome of a cancellable command.
pub(crate) struct Ran<T> {
    pub(crate) value: T,
    /// The signal that cancelled it, if any.
    pub(crate) signal: Option<i32>,
}

impl<T> Ran<T> {
    /// 128 + the signal number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
    pub(crate) fn exit_code(&self) -> Option<u8> {
        self.signal.map(|s| (128 + s) as u8)
    }
}

/// Runs `make(token)` on a new runtime; SIGINT, SIGTERM and SIGHUP cancel the token.
pub(crate) fn run<T, F>(make: impl FnOnce(CancellationToken) -> F) -> Result<Ran<T>>
where
    F: Future<Output = T>,
{
    let rt = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let token = CancellationToken::new();
    let caught = Arc::new(AtomicI32::new(0));
    let value = rt.block_on(async {
        let watcher = {
            let (token, caught) = (token.clone(), caught.clone());
            tokio::spawn(async move {
                use tokio::signal::unix::{SignalKind, signal};
                let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                    signal(SignalKind::hangup()),
                ) else {
                    return;
                };
                let n = tokio::select! {
                    _ = int.recv() => libc::SIGINT,
                    _ = term.recv() => libc::SIGTERM,
                    _ = hup.recv() => libc::SIGHUP,
                };
                caught.store(n, Ordering::SeqCst);
                token.cancel();
            })
        };
        let v = make(token.clone()).await;
        watcher.abort();
        v
    });
    // Spawned removals (containers of dropped builds) finish before the runtime goes away.
    rt.shutdown_timeout(std::time::Duration::from_secs(30));
    let n = caught.load(Ordering::SeqCst);
    Ok(Ran { value, signal: (n != 0).then_some(n) })
}
