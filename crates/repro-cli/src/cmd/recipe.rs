//! `repro recipe check FILE...` and `repro recipe show FILE [--json]`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use repro::recipe_input::{is_julia_recipe, load_recipe_quiet};
use repro_recipe::{DependencySource, Product, Recipe, Source};

use crate::ui::Ctx;
use crate::{EXIT_ERROR, EXIT_OK};

#[derive(clap::Subcommand, Debug)]
pub(crate) enum RecipeCommand {
    /// Validate recipes: prints `ok: FILE (...)` for each valid one and every problem (with
    /// file:line:column) of each invalid one; warnings (lints such as a source that can change
    /// upstream, and import warnings of a build_tarballs.jl) go to stderr. Exit 0 if all are
    /// valid, 2 otherwise.
    Check {
        /// Recipe files (recipe.toml, a directory holding one, or a Yggdrasil
        /// build_tarballs.jl, imported in memory).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Treat warnings as errors: a recipe with any warning is refused (exit 2).
        #[arg(long)]
        strict: bool,
    },
    /// Show a recipe as validated: a summary, or with --json the full model.
    Show {
        /// Recipe file (or a directory holding a recipe.toml, or a build_tarballs.jl).
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Print the recipe model as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(crate) fn run(cmd: RecipeCommand, ctx: &Ctx) -> anyhow::Result<u8> {
    match cmd {
        RecipeCommand::Check { files, strict } => check(&files, strict, ctx),
        RecipeCommand::Show { file, json } => show(&file, json),
    }
}

#[allow(clippy::print_stderr)]
fn check(files: &[PathBuf], strict: bool, ctx: &Ctx) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    let mut code = EXIT_OK;
    for file in files {
        match load_recipe_quiet(file) {
            Ok(loaded) => {
                let lints = repro_recipe::lints(&loaded.recipe);
                out.flush()?;
                for w in &loaded.import_warnings {
                    eprintln!("warning: {w}");
                }
                for l in &lints {
                    eprintln!("warning: {}: {l}", file.display());
                }
                // Directory sources must stay inside the recipe's directory (symlinks too).
                let unsafe_dirs: Vec<String> = loaded
                    .recipe
                    .sources
                    .iter()
                    .filter_map(|s| match s {
                        repro_recipe::Source::Directory { path, .. } => {
                            match repro_sources::check_directory_source(&loaded.recipe.dir, path) {
                                // A missing directory is reported when fetching.
                                Err(e @ repro_sources::Error::UnsafeDirectory { .. }) => {
                                    Some(e.to_string())
                                }
                                _ => None,
                            }
                        }
                        _ => None,
                    })
                    .collect();
                let flagged = loaded.import_warnings.len() + lints.len();
                if !unsafe_dirs.is_empty() {
                    for e in &unsafe_dirs {
                        print_error(&anyhow::anyhow!("{}: {e}", file.display()));
                    }
                    code = EXIT_ERROR;
                } else if strict && flagged > 0 {
                    eprintln!(
                        "error: {}: {} and --strict is set",
                        file.display(),
                        plural(flagged, "warning")
                    );
                    code = EXIT_ERROR;
                } else if !ctx.quiet {
                    let shown =
                        if is_julia_recipe(file) { file.as_path() } else { &loaded.recipe.path };
                    writeln!(out, "ok: {} ({})", shown.display(), one_line(&loaded.recipe))?;
                }
            }
            Err(e) => {
                out.flush()?;
                print_error(&e);
                code = EXIT_ERROR;
            }
        }
    }
    Ok(code)
}

fn show(file: &std::path::Path, json: bool) -> anyhow::Result<u8> {
    let r = match load_recipe_quiet(file) {
        Ok(r) => r.recipe,
        Err(e) => {
            print_error(&e);
            return Ok(EXIT_ERROR);
        }
    };
    let mut out = std::io::stdout().lock();
    if json {
        let mut value = serde_json::to_value(&r).context("cannot convert the recipe to JSON")?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("recipe_hash".into(), r.recipe_hash().into());
        }
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else {
        out.write_all(summary(&r).as_bytes())?;
    }
    Ok(EXIT_OK)
}

#[allow(clippy::print_stderr)]
fn print_error(e: &dyn std::fmt::Display) {
    eprintln!("error: {e}");
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `hello v1.0.0, 1 source, x86_64-linux-gnu`.
fn one_line(r: &Recipe) -> String {
    format!(
        "{} v{}, {}, {}",
        r.name,
        r.version,
        plural(r.sources.len(), "source"),
        r.platforms.join(" ")
    )
}

fn summary(r: &Recipe) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "{} v{}", r.name, r.version);
    let _ = writeln!(w, "  file:              {}", r.path.display());
    let _ = writeln!(w, "  recipe hash:       {}", r.recipe_hash());
    let _ = writeln!(w, "  platforms:         {}", r.platforms.join(" "));
    let _ = writeln!(w, "  artifacts:         {}.tar.gz", r.artifact_basename("<platform>"));
    let _ = writeln!(w, "  source_date_epoch: {}", r.source_date_epoch);
    let _ = writeln!(w, "  network:           {}", if r.network { "allowed" } else { "off" });
    let _ = writeln!(w, "  script:            {}", plural(r.script.lines().count(), "line"));

    let _ = writeln!(w, "sources ({}):", r.sources.len());
    for src in &r.sources {
        let line = match src {
            Source::Archive { url, sha256, unpack_target } => format!(
                "archive   {url}  sha256 {}{}",
                short(sha256),
                unpack_target.as_ref().map(|t| format!("  -> srcdir/{t}")).unwrap_or_default()
            ),
            Source::File { url, sha256, .. } => format!(
                "file      {url}  sha256 {}  -> srcdir/{}",
                short(sha256),
                src.dest_name().unwrap_or_default()
            ),
            Source::Git { url, commit, .. } => format!(
                "git       {url}  commit {}  -> srcdir/{}",
                short(commit),
                src.dest_name().unwrap_or_default()
            ),
            Source::Directory { path, target } => format!(
                "directory {path}{}",
                target.as_ref().map(|t| format!("  -> srcdir/{t}")).unwrap_or_default()
            ),
        };
        let _ = writeln!(w, "  {line}");
    }

    let _ = writeln!(w, "products ({}):", r.products.len());
    for p in &r.products {
        let line = match p {
            Product::Library { names, variable, .. }
            | Product::Executable { names, variable, .. } => {
                format!(
                    "{:<10} {} in {}/  ({variable})",
                    p.kind(),
                    names.join(" | "),
                    p.search_dir().unwrap_or_default()
                )
            }
            Product::File { path, variable } => format!("{:<10} {path}  ({variable})", p.kind()),
        };
        let _ = writeln!(w, "  {line}");
    }

    if !r.dependencies.is_empty() {
        let _ = writeln!(w, "dependencies ({}):", r.dependencies.len());
        for d in &r.dependencies {
            let from = match &d.source {
                DependencySource::Jll => "JLL".to_owned(),
                DependencySource::Recipe { path } => format!("recipe {path}"),
                DependencySource::Artifact { url, sha256, .. } => {
                    format!("artifact {url}  sha256 {}", short(sha256))
                }
            };
            let mut extra = String::new();
            if let Some(c) = &d.compat {
                extra.push_str(&format!("  compat {c:?}"));
            }
            if let Some(ps) = &d.platforms {
                extra.push_str(&format!("  only on {}", ps.join(", ")));
            }
            let name = d.name.as_deref().unwrap_or("-");
            let _ = writeln!(w, "  {:<19} {name:<20} {from}{extra}", d.kind.as_str());
        }
    }
    if !r.environment.is_empty() {
        let _ = writeln!(w, "environment:");
        for (k, v) in &r.environment {
            let _ = writeln!(w, "  {k}={v:?}");
        }
    }
    if !r.normalize.ignore.is_empty() {
        let _ = writeln!(w, "normalize.ignore:");
        for rule in &r.normalize.ignore {
            let _ = writeln!(
                w,
                "  {}: {}{}",
                rule.name,
                rule.paths.join(" "),
                rule.reason.as_ref().map(|x| format!("  ({x})")).unwrap_or_default()
            );
        }
    }
    s
}

/// The first 12 hex digits of a hash, for display.
fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}
