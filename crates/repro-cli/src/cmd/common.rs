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

/// Writes `bytes` to `path`, or to stdout for `-`. Regular files are written whole through a
/// temporary file and renamed, so a failure never leaves half a report; a symlink is followed, so
/// the file it names is replaced, not the link. Anything else that exists (`/dev/null`, a FIFO,
/// `/dev/stdout`, a process substitution) is written into as it is: renaming over it would
/// replace a device node with a regular file.
pub(crate) fn write_out(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    if path == std::path::Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        out.flush()?;
        return Ok(());
    }
    let cannot = || format!("cannot write {}", path.display());
    let mut path = path.to_owned();
    match std::fs::metadata(&path) {
        Ok(m) if m.is_dir() => {
            anyhow::bail!("cannot write {}: it is a directory; give a file name", path.display())
        }
        Ok(m) if !m.is_file() => {
            let mut f = std::fs::OpenOptions::new().write(true).open(&path).with_context(cannot)?;
            f.write_all(bytes).with_context(cannot)?;
            f.flush().with_context(cannot)?;
            return Ok(());
        }
        Ok(_) if path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) => {
            path = std::fs::canonicalize(&path).with_context(cannot)?;
        }
        _ => {}
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).with_context(cannot)?;
    tmp.write_all(bytes).with_context(cannot)?;
    tmp.persist(&path).with_context(cannot)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::write_out;
    use std::os::unix::fs::FileTypeExt;

    /// Regression: `--json /dev/null` replaced /dev/null with a regular file of mode 0600 (the
    /// report was written to a temporary file and renamed over the device). A FIFO stands in for
    /// the device node, which a test cannot create without root.
    #[test]
    fn a_fifo_is_written_into_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("report.fifo");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // Held open read-write: opening the FIFO for writing does not block, and the report
        // (smaller than a pipe's buffer) waits in it.
        let mut reader = std::fs::OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
        write_out(&fifo, b"{\"verdict\":\"reproducible\"}").unwrap();
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        let mut got = vec![0; 64];
        let n = std::io::Read::read(&mut reader, &mut got).unwrap();
        assert_eq!(&got[..n], b"{\"verdict\":\"reproducible\"}");
    }

    #[test]
    fn a_symlink_keeps_pointing_at_the_replaced_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::fs::write(&target, b"old").unwrap();
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_out(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
    }

    #[test]
    fn a_directory_is_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = write_out(dir.path(), b"x").unwrap_err().to_string();
        assert!(err.contains("is a directory"), "{err}");
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }

    #[test]
    fn a_regular_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("out.json");
        std::fs::write(&f, b"a much longer old content").unwrap();
        write_out(&f, b"short").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"short");
    }
}
