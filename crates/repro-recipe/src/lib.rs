//! Recipe model, TOML parsing with spans, validation.
//!
//! A recipe (`recipe.toml`, format v1, documented in `docs/recipe-format.md`) describes one
//! BinaryBuilder-style build: name, version, sources, a bash script, platforms, products and
//! dependencies. [`load`] reads and validates one into a [`Recipe`]; [`parse_str`] does the same
//! without I/O; [`to_toml`] writes a [`Recipe`] back as canonical TOML.
//!
//! Every problem is reported with `file:line:column` and the field path, all at once:
//!
//! ```
//! let err = repro_recipe::parse_str("name = \"1x\"\n", "r.toml".as_ref()).unwrap_err();
//! assert!(err.to_string().contains("r.toml:1:8: name:"));
//! ```

use std::io::Read as _;
use std::path::Path;

use sha2::Digest as _;

pub mod compat;
pub mod error;
pub mod lint;
pub mod model;
mod parse;
pub mod platform;
mod ser;
pub mod validate;

pub use error::{Problem, RecipeError};
pub use lint::{Lint, LintKind, lints};
pub use model::*;
pub use parse::MAX_RECIPE_BYTES;
pub use ser::to_toml;

/// The file name of a recipe inside its directory.
pub const RECIPE_FILE_NAME: &str = "recipe.toml";

/// Reads and validates the recipe at `path`. Relative paths in the recipe resolve against the
/// file's directory ([`Recipe::dir`]). A directory holding a `recipe.toml` stands for that file
/// (then [`Recipe::path`] is `<dir>/recipe.toml`).
pub fn load(path: &Path) -> Result<Recipe, RecipeError> {
    let joined;
    let path = if path.is_dir() && path.join(RECIPE_FILE_NAME).is_file() {
        joined = path.join(RECIPE_FILE_NAME);
        joined.as_path()
    } else {
        path
    };
    let io = |source| RecipeError::Io { path: path.to_owned(), source };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            format!("it is a directory without a {RECIPE_FILE_NAME}"),
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_RECIPE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_RECIPE_BYTES {
        return Err(RecipeError::TooLarge {
            path: path.to_owned(),
            size: meta.len().max(bytes.len() as u64),
            limit: MAX_RECIPE_BYTES,
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| RecipeError::NotUtf8 {
        path: path.to_owned(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    parse_str(&text, path)
}

/// Validates recipe `text` as if read from `path` (used in messages and for [`Recipe::dir`], the
/// path's parent). No I/O.
pub fn parse_str(text: &str, path: &Path) -> Result<Recipe, RecipeError> {
    parse::parse(text, path)
}

impl Recipe {
    /// `<name>.v<version>.<target>`, the base name of the artifact tarball for `target`
    /// (BinaryBuilder's `<Name>.v<ver>.<triplet>.tar.gz` without the extension).
    pub fn artifact_basename(&self, target: &str) -> String {
        format!("{}.v{}.{}", self.name, self.version, target)
    }

    /// SHA-256 (lowercase hex) of the recipe's canonical TOML ([`to_toml`]). Comments,
    /// formatting and the file's location do not change it; any field that changes the build does.
    pub fn recipe_hash(&self) -> String {
        hex::encode(sha2::Sha256::digest(to_toml(self).as_bytes()))
    }
}

#[cfg(test)]
mod tests;
