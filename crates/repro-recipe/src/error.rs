//! Recipe errors: I/O, TOML syntax, and validation problems, each naming `file:line:column`.
//!
//! Validation collects every problem it finds instead of stopping at the first, so a recipe
//! author sees all of them at once ([`RecipeError::Invalid`] holds a list of [`Problem`]s).

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with a recipe, located in the recipe file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// 1-based column (in characters) of the offending key or value.
    pub column: usize,
    /// The field, as a path into the recipe: `name`, `sources[2].sha256`, `environment.FOO`.
    pub field: String,
    /// What is wrong (lowercase, no trailing period).
    pub message: String,
    /// What to do about it, e.g. `did you mean "sha256"?`.
    pub help: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}: {}", self.line, self.column, self.field, self.message)?;
        if let Some(help) = &self.help {
            write!(f, "; {help}")?;
        }
        Ok(())
    }
}

/// Why a recipe could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecipeError {
    /// The recipe file could not be read.
    #[error("cannot read recipe {}: {source}; check that the file exists and is readable", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The recipe file is larger than [`crate::MAX_RECIPE_BYTES`].
    #[error(
        "recipe {} is {size} bytes, more than the limit of {limit} bytes; a recipe is a small TOML file, check the path",
        path.display()
    )]
    TooLarge { path: PathBuf, size: u64, limit: u64 },
    /// The recipe is not valid UTF-8.
    #[error("recipe {} is not valid UTF-8 (byte {offset}); save it as UTF-8", path.display())]
    NotUtf8 { path: PathBuf, offset: usize },
    /// The file is not valid TOML.
    #[error("{}:{line}:{column}: TOML syntax error: {message}; fix the TOML syntax", path.display())]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    /// The TOML is well-formed but the recipe breaks one or more rules.
    #[error("{}", DisplayProblems { path, problems })]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

impl RecipeError {
    /// The validation problems (empty for I/O and syntax errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            RecipeError::Invalid { problems, .. } => problems,
            _ => &[],
        }
    }
}

/// At most this many problems are printed by `Display` (all are kept in the error).
const MAX_SHOWN_PROBLEMS: usize = 100;

struct DisplayProblems<'a> {
    path: &'a PathBuf,
    problems: &'a [Problem],
}

impl fmt::Display for DisplayProblems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "invalid recipe {}: {n} problem{}",
            self.path.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.problems.iter().take(MAX_SHOWN_PROBLEMS) {
            write!(f, "\n  {}:{}", self.path.display(), p)?;
        }
        if n > MAX_SHOWN_PROBLEMS {
            write!(f, "\n  ... and {} more problems", n - MAX_SHOWN_PROBLEMS)?;
        }
        Ok(())
    }
}
