//! `repro import ...`: convert recipes from other formats.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use repro_import::{self as import, ImportError, ImportOptions};

use crate::ui::Ctx;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum ImportCommand {
    /// Convert a Yggdrasil `build_tarballs.jl` into a recipe.toml.
    ///
    /// Warnings (constructs that could not be converted) go to stderr; the recipe goes to
    /// stdout or to -o FILE.
    Yggdrasil {
        /// The `build_tarballs.jl` to import.
        path: PathBuf,
        /// Write the recipe to FILE instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Treat warnings as errors (exit 2, nothing written).
        #[arg(long)]
        strict: bool,
        /// Directory `include("...")` may not leave (default: the enclosing git repository, else
        /// the recipe's directory).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Build a JLL dependency from a local recipe instead: `--dep Zlib_jll=recipes/zlib/recipe.toml`
        /// (repeatable).
        #[arg(long = "dep", value_name = "NAME=RECIPE")]
        deps: Vec<String>,
        /// Print a JSON object (recipe, toml, warnings, kwargs, skipped platforms, notes) on stdout.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(cmd: ImportCommand, ctx: &Ctx) -> anyhow::Result<u8> {
    match cmd {
        ImportCommand::Yggdrasil { path, output, strict, root, deps, json } => {
            yggdrasil(&path, output, strict, root, &deps, json, ctx)
        }
    }
}

#[allow(clippy::print_stderr)]
fn yggdrasil(
    path: &Path,
    output: Option<PathBuf>,
    strict: bool,
    root: Option<PathBuf>,
    deps: &[String],
    json: bool,
    ctx: &Ctx,
) -> anyhow::Result<u8> {
    // `--dep` paths are given relative to the current directory; the recipe stores them
    // relative to its own directory.
    let out_dir = match &output {
        Some(o) => o.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => path.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let out_dir = if out_dir.as_os_str().is_empty() { PathBuf::from(".") } else { out_dir };
    let mut dep_map = BTreeMap::new();
    for d in deps {
        let (name, recipe) = d
            .split_once('=')
            .filter(|(n, r)| !n.is_empty() && !r.is_empty())
            .with_context(|| {
                format!("--dep {d:?}: expected NAME=PATH, e.g. Zlib_jll=recipes/zlib/recipe.toml")
            })?;
        let rel = import::relative_path(&out_dir, Path::new(recipe));
        dep_map.insert(name.to_owned(), rel.to_string_lossy().replace('\\', "/"));
    }
    let opts = ImportOptions {
        root,
        strict,
        deps: dep_map,
        output: output.clone(),
        ..ImportOptions::default()
    };
    let result = match import::import_yggdrasil(path, &opts) {
        Ok(r) => r,
        Err(ImportError::Strict { warnings, .. }) => {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            eprintln!(
                "error: {}: {} warning{} and --strict is set; nothing was written",
                path.display(),
                warnings.len(),
                if warnings.len() == 1 { "" } else { "s" }
            );
            return Ok(crate::EXIT_ERROR);
        }
        Err(e) => return Err(e.into()),
    };
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    if !ctx.quiet {
        for n in &result.notes {
            eprintln!("note: {n}");
        }
        if !result.skipped_platforms.is_empty() {
            eprintln!(
                "note: {} of the recipe's platform{} cannot be built here (see `repro platforms`)",
                result.skipped_platforms.len(),
                if result.skipped_platforms.len() == 1 { "" } else { "s" },
            );
        }
    }
    if let Some(o) = &output {
        super::common::write_out(o, result.toml.as_bytes())?;
        if !ctx.quiet && !json {
            eprintln!(
                "wrote {} ({} warning{})",
                o.display(),
                result.warnings.len(),
                if result.warnings.len() == 1 { "" } else { "s" }
            );
        }
    }
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut stdout, &result).context("cannot write JSON")?;
        writeln!(stdout)?;
    } else if output.is_none() {
        stdout.write_all(result.toml.as_bytes())?;
    }
    stdout.flush()?;
    Ok(crate::EXIT_OK)
}
