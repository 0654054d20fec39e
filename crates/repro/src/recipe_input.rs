//! Recipe input: a `recipe.toml` (or a directory holding one), or a Yggdrasil
//! `build_tarballs.jl` imported in memory ([`load_recipe`]).

use std::path::Path;

use repro_events::{Event, Level, Sink};
use repro_import::{ImportError, ImportOptions, ImportWarning};
use repro_recipe::{Recipe, RecipeError};

/// Why a recipe could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    #[error(transparent)]
    Recipe(#[from] RecipeError),
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// A loaded recipe and, for an imported `build_tarballs.jl`, the importer's warnings.
#[derive(Debug, Clone)]
pub struct LoadedRecipe {
    pub recipe: Recipe,
    /// Empty for a `recipe.toml`.
    pub import_warnings: Vec<ImportWarning>,
}

/// Whether `path` names a Julia recipe (`*.jl`) rather than a recipe.toml.
pub fn is_julia_recipe(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "jl")
}

/// Loads `path`: a `*.jl` file is imported in memory as `repro import yggdrasil` would
/// (default options: includes may not leave the enclosing git repository), anything else is
/// read as a recipe.toml.
pub fn load_recipe_quiet(path: &Path) -> Result<LoadedRecipe, LoadError> {
    if is_julia_recipe(path) {
        let r = repro_import::import_yggdrasil(path, &ImportOptions::default())?;
        Ok(LoadedRecipe { recipe: r.recipe, import_warnings: r.warnings })
    } else {
        Ok(LoadedRecipe { recipe: repro_recipe::load(path)?, import_warnings: Vec::new() })
    }
}

/// [`load_recipe_quiet`], emitting each import warning and each lint of the recipe (a source
/// that can change upstream, a URL repro does not download) as a warning on `sink`.
pub fn load_recipe(path: &Path, sink: &Sink) -> Result<Recipe, LoadError> {
    let loaded = load_recipe_quiet(path)?;
    for w in &loaded.import_warnings {
        sink.emit(Event::Note { level: Level::Warn, message: format!("import: {w}") });
    }
    emit_lints(&loaded.recipe, sink);
    Ok(loaded.recipe)
}

/// Emits each lint of `recipe` as a warning on `sink`.
pub fn emit_lints(recipe: &Recipe, sink: &Sink) {
    for l in repro_recipe::lints(recipe) {
        sink.emit(Event::Note {
            level: Level::Warn,
            message: format!("{}: {l}", recipe.path.display()),
        });
    }
}
