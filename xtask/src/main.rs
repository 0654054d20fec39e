//! `cargo xtask`: repository automation (tests, base image, benchmarks, source mirror,
//! importer corpus).

#![allow(clippy::print_stdout, clippy::print_stderr)] // a terminal tool or test harness; libraries never print

use anyhow::Result;
use clap::Parser;

mod bench;
mod corpus;
mod fuzz;
mod matrix;
mod mirror;
mod records;
mod test;
mod tidy;

#[derive(Parser)]
#[command(name = "cargo xtask")]
enum Task {
    /// Run the test suite as CI does (prepares the pinned image first).
    Test(test::Args),
    /// Run benchmarks and print figures for docs/benchmarks.md.
    Bench(bench::Args),
    /// Download Debian source packages' original tarballs into a sha256-keyed source mirror.
    MirrorDebian(mirror::Args),
    /// Rebuild real recipes and update their committed Artifacts.toml records.
    Records(records::Args),
    /// Check the real recipes on every buildable platform; print the matrix and its figures.
    Matrix(matrix::Args),
    /// Import every build_tarballs.jl of a Yggdrasil corpus and print the coverage table.
    Corpus(corpus::Args),
    /// Run the cargo-fuzz targets of fuzz/ (nightly) and print their figures (docs/fuzzing.md).
    Fuzz(fuzz::Args),
}

fn main() -> Result<()> {
    match Task::parse() {
        Task::Test(a) => test::run(a),
        Task::Bench(a) => bench::run(a),
        Task::MirrorDebian(a) => mirror::run(a),
        Task::Records(a) => records::run(a),
        Task::Corpus(a) => corpus::run(a),
        Task::Matrix(a) => matrix::run(a),
        Task::Fuzz(a) => fuzz::run(a),
    }
}
