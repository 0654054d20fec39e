//! `repro`: is this BinaryBuilder-style recipe reproducible, and if not, what differs and why?
//!
//! A thin command line over the library crates: argument parsing, exit codes, progress display.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod signals;
mod ui;

/// Exit code: success / reproducible.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: differences found (unreproducible).
pub(crate) const EXIT_DIFFERENT: u8 = 1;
/// Exit code: error (bad input, failed build, Docker unavailable, ...).
pub(crate) const EXIT_ERROR: u8 = 2;
/// Exit code: interrupted by Ctrl-C (128 + SIGINT), after every container was removed.
pub(crate) const EXIT_INTERRUPTED: u8 = 130;

#[derive(Parser)]
#[command(
    name = "repro",
    version,
    about = "Check whether a BinaryBuilder-style recipe builds reproducibly"
)]
struct Cli {
    /// More log output (-v info, -vv debug). `RUST_LOG` also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only errors and the final result.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate or show recipes.
    #[command(subcommand)]
    Recipe(cmd::recipe::RecipeCommand),
    /// Download and verify a recipe's sources into the cache.
    Fetch(cmd::fetch::Args),
    /// Print Julia git-tree-sha1 (and sha256 for tarballs) of directories or artifact tarballs.
    Hash(cmd::hash::Args),
    /// Build, verify and list the pinned build image.
    #[command(subcommand)]
    Image(cmd::image::ImageCommand),
    /// List BinaryBuilder's platforms: which are built here (image family) and why not the rest.
    Platforms(cmd::platforms::Args),
    /// Build a recipe once in the pinned image into an artifact tarball.
    Build(cmd::build::Args),
    /// Compare two artifacts (directories, tarballs or files) and report what differs and why.
    Diff(cmd::diff::Args),
    /// Build a recipe twice under varied conditions and report whether it is reproducible.
    Check(cmd::check::Args),
    /// Find which variation makes each differing file differ.
    Explain(cmd::explain::Args),
    /// Write a CI pipeline (GitHub Actions, Buildkite) with one job per recipe × platform.
    Plan(cmd::plan::Args),
    /// Work with report files (merge per-job reports of a CI run).
    #[command(subcommand)]
    Report(cmd::report::ReportCommand),
    /// Rebuild a recipe and compare it with a published Artifacts.toml record.
    Verify(cmd::verify::Args),
    /// Generate signing keys for attestations.
    #[command(subcommand)]
    Key(cmd::key::KeyCommand),
    /// Check signed attestations and whether they agree.
    #[command(subcommand)]
    Attest(cmd::attest::AttestCommand),
    /// Remove containers and temporary directories left by repro processes that were killed.
    Gc(cmd::gc::Args),
    /// Convert recipes from other formats.
    #[command(subcommand)]
    Import(cmd::import::ImportCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    ui::init_tracing(cli.verbose, cli.quiet);
    let ctx = ui::Ctx { quiet: cli.quiet, verbose: cli.verbose };
    let result = match cli.command {
        Command::Recipe(c) => cmd::recipe::run(c, &ctx),
        Command::Fetch(a) => cmd::fetch::run(a, &ctx),
        Command::Hash(a) => cmd::hash::run(a, &ctx),
        Command::Image(c) => cmd::image::run(c, &ctx),
        Command::Platforms(a) => cmd::platforms::run(a, &ctx),
        Command::Build(a) => cmd::build::run(a, &ctx),
        Command::Diff(a) => cmd::diff::run(a, &ctx),
        Command::Check(a) => cmd::check::run(a, &ctx),
        Command::Explain(a) => cmd::explain::run(a, &ctx),
        Command::Import(c) => cmd::import::run(c, &ctx),
        Command::Plan(a) => cmd::plan::run(a, &ctx),
        Command::Report(c) => cmd::report::run(c, &ctx),
        Command::Verify(a) => cmd::verify::run(a, &ctx),
        Command::Gc(a) => cmd::gc::run(a, &ctx),
        Command::Key(c) => cmd::key::run(c, &ctx),
        Command::Attest(c) => cmd::attest::run(c, &ctx),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if err.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::from(EXIT_OK);
            }
            ui::print_error(&err);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every subcommand's arguments are well formed (unique ids, valid defaults): clap checks this
    /// only when a command is parsed, so a clash would otherwise surface as a panic at run time.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
