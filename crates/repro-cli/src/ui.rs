//! Terminal output: tracing setup, error printing, and the event displayer.

use std::io::IsTerminal;

/// What every subcommand gets besides its own arguments.
pub(crate) struct Ctx {
    pub(crate) quiet: bool,
}

pub(crate) fn init_tracing(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .init();
}

#[allow(clippy::print_stderr)]
pub(crate) fn print_error(err: &anyhow::Error) {
    eprintln!("error: {err:#}");
}
