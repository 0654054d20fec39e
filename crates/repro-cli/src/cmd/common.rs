//! Options shared by several subcommands.

use std::path::PathBuf;

/// Where sources are cached and which mirrors are tried first.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct SourceOpts {
    /// Content-addressed source cache (default: the user's cache dir, e.g. ~/.cache/repro).
    #[arg(long, env = "REPRO_CACHE", value_name = "DIR")]
    pub(crate) cache: Option<PathBuf>,
    /// A source mirror holding files as DIR/sha256/<hex> or by name (repeatable; tried before URLs).
    /// `REPRO_MIRROR` takes a colon-separated list.
    #[arg(long = "mirror", value_name = "DIR")]
    pub(crate) mirrors: Vec<PathBuf>,
}

/// Where dependencies are found (see docs/dependencies.md).
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct DepOpts {
    /// Search DIR for recipes by name: `Foo_jll` resolves to the recipe named `Foo` (every
    /// recipe.toml, and build_tarballs.jl by its directory's name). Repeatable;
    /// `REPRO_RECIPES` takes a colon-separated list.
    #[arg(long = "recipes", value_name = "DIR")]
    pub(crate) recipe_dirs: Vec<PathBuf>,
    /// A JLL registry: DIR/Foo_jll.jl/Artifacts.toml as JuliaBinaryWrappers publishes them; the
    /// entry for the target is chosen as Pkg does. Repeatable; `REPRO_JLL` takes a
    /// colon-separated list.
    #[arg(long = "jll", value_name = "DIR")]
    pub(crate) jll_dirs: Vec<PathBuf>,
    /// Build recipe dependencies again even when the dependency cache holds them.
    #[arg(long)]
    pub(crate) rebuild_deps: bool,
}

impl DepOpts {
    pub(crate) fn config(&self) -> repro::deps::DepConfig {
        let mut c = repro::deps::DepConfig::from_env_and_args(
            self.recipe_dirs.clone(),
            self.jll_dirs.clone(),
        );
        c.rebuild = self.rebuild_deps;
        c
    }
}

/// Where and how a report is written.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct ReportOutput {
    /// Write the JSON report (schema repro-report/1) to FILE, or `-` for stdout (then no text).
    #[arg(long, value_name = "FILE")]
    pub(crate) json: Option<PathBuf>,
    /// Write a GitHub-flavoured Markdown report to FILE (or `-`).
    #[arg(long, value_name = "FILE")]
    pub(crate) markdown: Option<PathBuf>,
    /// Write diffoscope JSON v1 to FILE (render with `diffoscope --load-existing-diff FILE`).
    #[arg(long, value_name = "FILE")]
    pub(crate) diffoscope_json: Option<PathBuf>,
    /// Write JUnit XML to FILE (or `-`): a `verdict` test case plus one per differing path.
    #[arg(long, value_name = "FILE")]
    pub(crate) junit: Option<PathBuf>,
    /// Write a self-contained HTML page to FILE (or `-`): verdict, normalizations, per-file
    /// side-by-side diffs and hexdumps, causes, and the builds' variations. No scripts, no
    /// network assets.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Print only statuses and causes, not diffs and hexdumps.
    #[arg(long)]
    pub(crate) brief: bool,
}

impl ReportOutput {
    /// Writes the requested files, then the text report to stdout unless stdout was taken by
    /// another format.
    pub(crate) fn emit(
        &self,
        report: &repro_report::Report,
        ctx: &crate::ui::Ctx,
    ) -> anyhow::Result<()> {
        use repro_report::render;
        use std::io::{IsTerminal, Write};
        if let Some(p) = &self.json {
            write_out(p, &render::json(report))?;
        }
        if let Some(p) = &self.markdown {
            write_out(p, &render::markdown(report))?;
        }
        if let Some(p) = &self.diffoscope_json {
            write_out(p, &render::diffoscope_json(report))?;
        }
        if let Some(p) = &self.junit {
            write_out(p, &render::junit(report))?;
        }
        if let Some(p) = &self.html {
            write_out(p, &render::html(report, &render::HtmlOptions::default()))?;
        }
        let stdout_taken =
            [&self.json, &self.markdown, &self.diffoscope_json, &self.junit, &self.html]
                .iter()
                .any(|p| p.as_deref() == Some(std::path::Path::new("-")));
        if stdout_taken {
            return Ok(());
        }
        let text = if ctx.quiet {
            format!("{}: {}\n", report.verdict, render::summary_line(report)).into_bytes()
        } else {
            let color = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            render::text(
                report,
                &render::TextOptions { color, details: !self.brief, ..Default::default() },
            )
        };
        let mut out = std::io::stdout().lock();
        out.write_all(&text)?;
        out.flush()?;
        Ok(())
    }
}

/// Writes `bytes` to `path`, or to stdout for `-`: whole through a temporary file and a rename
/// for regular files (a symlink is followed), into the file as it is for `/dev/null`, FIFOs and
/// the like; a directory is refused (see [`repro_artifact::OutputFile`]).
pub(crate) fn write_out(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    if path == std::path::Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()?;
        return Ok(());
    }
    repro_artifact::write_output(path, bytes)?;
    Ok(())
}
