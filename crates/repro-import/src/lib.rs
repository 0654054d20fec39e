//! Importer for Yggdrasil `build_tarballs.jl` recipes ([`import_yggdrasil`]).
//!
//! A `build_tarballs.jl` is a Julia program. The importer does not run Julia: it tokenizes the
//! file ([`lexer`]), parses the subset recipes use ([`parser`]), evaluates that subset with a
//! small interpreter that models the BinaryBuilder API ([`eval`]), follows `include("...")`
//! inside a root directory, and converts the values passed to `build_tarballs(...)` into a
//! [`Recipe`] ([`convert`]). Anything it cannot convert becomes an [`ImportWarning`] naming
//! `file:line:column` and the construct; with [`ImportOptions::strict`] warnings are errors.
//! The result is written with [`repro_recipe::to_toml`] and re-validated with [`repro_recipe::parse_str`].
//!
//! ```no_run
//! use repro_import::{import_yggdrasil, ImportOptions};
//! let r = import_yggdrasil("X/XZ/build_tarballs.jl".as_ref(), &ImportOptions::default()).unwrap();
//! for w in &r.warnings {
//!     eprintln!("warning: {w}");
//! }
//! print!("{}", r.toml);
//! ```
//!
//! I/O: reads the recipe and the files it includes (and looks for a `.git` entry in the
//! recipe's ancestors to pick the default include root). Nothing else.

mod ast;
mod convert;
pub mod corpus;
mod eval;
mod lexer;
mod parser;
mod platform;
mod value;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use repro_recipe::Recipe;
use repro_recipe::RecipeError;

/// Largest `build_tarballs.jl` or included file read, in bytes.
pub const MAX_JULIA_FILE_BYTES: u64 = 1 << 20;

/// A position in a source file (internal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Loc {
    /// Index into the importer's file table.
    pub(crate) file: usize,
    pub(crate) line: u32,
    /// 1-based, in characters.
    pub(crate) col: u32,
    /// Character offset from the start of the file.
    pub(crate) offset: usize,
}

/// A tokenizer or parser error (internal; becomes [`ImportError::Syntax`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub(crate) loc: Loc,
    pub(crate) message: String,
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Directory that `include("...")` may not leave. Default: the nearest ancestor of the
    /// recipe that contains `.git` (the repository root), else the recipe's own directory.
    pub root: Option<PathBuf>,
    /// Turn warnings into an error ([`ImportError::Strict`]).
    pub strict: bool,
    /// JLL package name (`Zlib_jll`) → recipe path to write as a `recipe` dependency (relative
    /// to the output recipe's directory; see [`relative_path`]).
    pub deps: BTreeMap<String, String>,
    /// Where the TOML will be written. Relative paths in the output (directory sources) are
    /// made relative to its directory, and it is the path the output is re-validated as.
    /// Default: `recipe.toml` next to the `build_tarballs.jl`.
    pub output: Option<PathBuf>,
    /// Give up after this long ([`ImportError::Limit`]). Default: no time limit (evaluation is
    /// still bounded by its step, depth and allocation budgets).
    pub time_limit: Option<std::time::Duration>,
}

/// Something the importer could not convert, or converted only partly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportWarning {
    /// The Julia file (the recipe or an included file), as given or as resolved from it.
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    /// The source text of the construct (one line, shortened).
    pub construct: String,
    /// What happened (lowercase, no trailing period).
    pub message: String,
}

impl fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)?;
        if !self.construct.is_empty() {
            write!(f, " (in `{}`)", self.construct)?;
        }
        Ok(())
    }
}

/// A successful import.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportResult {
    /// The converted recipe, as re-read from [`ImportResult::toml`].
    pub recipe: Recipe,
    /// The recipe TOML: a header comment (source file, keyword arguments, skipped platforms,
    /// notes, warnings) followed by [`repro_recipe::to_toml`]'s canonical form.
    pub toml: String,
    pub warnings: Vec<ImportWarning>,
    /// `build_tarballs(...)` keyword arguments: name → the value's source text.
    pub kwargs: BTreeMap<String, String>,
    /// Triplets of the recipe's platforms that cannot be built here
    /// ([`repro_recipe::platform::buildable`]); they stay in the recipe.
    pub skipped_platforms: Vec<String>,
    /// Conversions worth knowing that are not problems (mapped dependencies, ignored options).
    pub notes: Vec<String>,
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is {size} bytes, more than the limit of {limit} bytes for a Julia recipe file", path.display())]
    TooLarge { path: PathBuf, size: u64, limit: u64 },
    #[error("{} is not valid UTF-8 (byte {offset})", path.display())]
    NotUtf8 { path: PathBuf, offset: usize },
    /// The Julia source is malformed (or uses syntax the importer does not parse).
    #[error("{}:{line}:{column}: syntax error: {message}", file.display())]
    Syntax { file: PathBuf, line: usize, column: usize, message: String },
    /// An `include(...)` is missing, escapes the root, nests too deeply or forms a cycle.
    #[error("{}:{line}:{column}: include error: {message}", file.display())]
    Include { file: PathBuf, line: usize, column: usize, message: String },
    /// Evaluation hit one of its bounds: steps, call or nesting depth, value size, total
    /// allocation, or the time limit (`timed_out`).
    #[error("{}:{line}:{column}: {message}", file.display())]
    Limit { file: PathBuf, line: usize, column: usize, message: String, timed_out: bool },
    /// A required part of the recipe (name, version, script, the `build_tarballs` call) is
    /// missing or could not be evaluated.
    #[error("{}:{line}:{column}: cannot import `{field}`: {message}", file.display())]
    Unresolved { file: PathBuf, line: usize, column: usize, field: String, message: String },
    /// `--strict` and there were warnings.
    #[error("{}: {} warning{} in strict mode:{}", path.display(), warnings.len(), if warnings.len() == 1 { "" } else { "s" }, DisplayWarnings(warnings))]
    Strict { path: PathBuf, warnings: Vec<ImportWarning> },
    /// The converted recipe does not validate (e.g. a name that is not an identifier, a bad
    /// hash, or an unsupported URL).
    #[error("the recipe imported from {} is not valid: {source}", path.display())]
    Invalid { path: PathBuf, source: RecipeError },
}

struct DisplayWarnings<'a>(&'a [ImportWarning]);

impl fmt::Display for DisplayWarnings<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for w in self.0 {
            write!(f, "\n  {w}")?;
        }
        Ok(())
    }
}

/// Imports the Yggdrasil recipe at `path` (a `build_tarballs.jl`).
pub fn import_yggdrasil(path: &Path, opts: &ImportOptions) -> Result<ImportResult, ImportError> {
    // Parsing and evaluation recurse; nesting is bounded, and a large stack keeps the bounds
    // comfortably away from a stack overflow in debug builds.
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("repro-import".into())
            .stack_size(WORKER_STACK)
            .spawn_scoped(s, || import_on_this_thread(path, opts))
            .map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
        match worker.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Imports a Yggdrasil recipe whose text is given in memory, as if read from `path` (which
/// need not exist): `path` names the file in messages, and `include("...")` and files the
/// recipe reads resolve against its directory, inside [`ImportOptions::root`] (default: as
/// for [`import_yggdrasil`], from `path` made absolute). Text over [`MAX_JULIA_FILE_BYTES`]
/// is refused like an oversized file.
pub fn import_yggdrasil_text(
    path: &Path,
    text: &str,
    opts: &ImportOptions,
) -> Result<ImportResult, ImportError> {
    if text.len() as u64 > MAX_JULIA_FILE_BYTES {
        return Err(ImportError::TooLarge {
            path: path.to_owned(),
            size: text.len() as u64,
            limit: MAX_JULIA_FILE_BYTES,
        });
    }
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("repro-import".into())
            .stack_size(WORKER_STACK)
            .spawn_scoped(s, || import_text_on_this_thread(path, text, opts))
            .map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
        match worker.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

fn import_text_on_this_thread(
    path: &Path,
    text: &str,
    opts: &ImportOptions,
) -> Result<ImportResult, ImportError> {
    let absolute = std::path::absolute(path)
        .map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let canonical = normalize(&absolute);
    let root = match &opts.root {
        Some(r) => {
            r.canonicalize().map_err(|source| ImportError::Io { path: r.clone(), source })?
        }
        None => default_root(&canonical),
    };
    let mut interp = eval::Interp::new(root, opts.time_limit);
    interp.run_main_text(path, canonical.clone(), text.to_owned())?;
    convert::convert(interp, path, &canonical, opts)
}

/// Tokenizes and parses Julia source without evaluating it (a syntax check); `path` names the
/// file in errors. Returns the number of top-level statements. Nesting is bounded (deeper
/// input is a syntax error, not a stack overflow).
pub fn parse_julia(text: &str, path: &Path) -> Result<usize, ImportError> {
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("repro-import".into())
            .stack_size(WORKER_STACK)
            .spawn_scoped(s, || {
                parse_text(text, 0).map(|stmts| stmts.len()).map_err(|e| ImportError::Syntax {
                    file: path.to_owned(),
                    line: e.loc.line as usize,
                    column: e.loc.col as usize,
                    message: e.message,
                })
            })
            .map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
        match worker.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Stack size of the thread that parses and evaluates.
const WORKER_STACK: usize = 256 << 20;

fn import_on_this_thread(path: &Path, opts: &ImportOptions) -> Result<ImportResult, ImportError> {
    let canonical =
        path.canonicalize().map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let root = match &opts.root {
        Some(r) => {
            r.canonicalize().map_err(|source| ImportError::Io { path: r.clone(), source })?
        }
        None => default_root(&canonical),
    };
    let mut interp = eval::Interp::new(root, opts.time_limit);
    interp.run_main(path, canonical.clone())?;
    convert::convert(interp, path, &canonical, opts)
}

/// The nearest ancestor of `file` that contains `.git`, else `file`'s directory.
fn default_root(file: &Path) -> PathBuf {
    let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
    let mut cur = Some(dir.as_path());
    while let Some(d) = cur {
        if d.join(".git").symlink_metadata().is_ok() {
            return d.to_path_buf();
        }
        cur = d.parent();
    }
    dir
}

/// Reads, tokenizes and parses one Julia file; `index` is its number in the file table.
pub(crate) fn load_file(
    path: &Path,
    index: usize,
) -> Result<(String, Vec<ast::Expr>), ImportError> {
    let text = read_regular_file(path)?;
    let stmts = parse_text(&text, index).map_err(|e| ImportError::Syntax {
        file: path.to_owned(),
        line: e.loc.line as usize,
        column: e.loc.col as usize,
        message: e.message,
    })?;
    Ok((text, stmts))
}

/// Reads a Julia file (or a file a recipe reads) as UTF-8, refusing anything that is not a
/// regular file before opening it (a FIFO or device would block or never end) and files over
/// [`MAX_JULIA_FILE_BYTES`].
pub(crate) fn read_regular_file(path: &Path) -> Result<String, ImportError> {
    let io = |source| ImportError::Io { path: path.to_owned(), source };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file (a FIFO, socket or device?)"
        };
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("it is {what}"),
        )));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_JULIA_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_JULIA_FILE_BYTES {
        return Err(ImportError::TooLarge {
            path: path.to_owned(),
            size: meta.len().max(bytes.len() as u64),
            limit: MAX_JULIA_FILE_BYTES,
        });
    }
    String::from_utf8(bytes).map_err(|e| ImportError::NotUtf8 {
        path: path.to_owned(),
        offset: e.utf8_error().valid_up_to(),
    })
}

pub(crate) fn parse_text(text: &str, index: usize) -> Result<Vec<ast::Expr>, SyntaxError> {
    let tokens = lexer::tokenize(index, text)?;
    parser::parse_file(tokens)
}

/// `target` relative to the directory `base`, computed lexically (both made absolute against
/// the current directory first; no file system access). Used for paths written into the
/// output recipe, e.g. `--dep` recipe paths.
pub fn relative_path(base: &Path, target: &Path) -> PathBuf {
    let abs = |p: &Path| normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
    let (base, target) = (abs(base), abs(target));
    let b: Vec<Component<'_>> = base.components().collect();
    let t: Vec<Component<'_>> = target.components().collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Removes `.` and resolves `..` lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests;
