//! Turns the evaluated `build_tarballs(...)` arguments into a [`Recipe`], its TOML (with a
//! header comment recording what was not converted), and the public warnings.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::eval::{Interp, Warning};
use crate::platform::{BUILDABLE_TRIPLET, Platform};
use crate::value::{DepValue, Unknown, Value};
use crate::{ImportError, ImportOptions, ImportResult, ImportWarning, Loc};
use repro_recipe::{
    Dependency, DependencyKind, DependencySource, NormalizeConfig, Product, Recipe, Source, Version,
};

const FIELDS: [&str; 7] =
    ["name", "version", "sources", "script", "platforms", "products", "dependencies"];

struct Ctx<'a> {
    it: Interp,
    opts: &'a ImportOptions,
    notes: Vec<String>,
    skipped: Vec<String>,
    /// Directory of the main recipe (canonical).
    recipe_dir: PathBuf,
    /// Directory the output recipe is written to (absolute, lexical).
    out_dir: PathBuf,
}

pub(crate) fn convert(
    it: Interp,
    path: &Path,
    canonical: &Path,
    opts: &ImportOptions,
) -> Result<ImportResult, ImportError> {
    let recipe_dir = canonical.parent().unwrap_or(Path::new("/")).to_path_buf();
    let out_path = opts.output.clone().unwrap_or_else(|| path.with_file_name("recipe.toml"));
    let out_dir = std::path::absolute(&out_path)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| recipe_dir.clone());
    let mut cx = Ctx { it, opts, notes: Vec::new(), skipped: Vec::new(), recipe_dir, out_dir };

    // The seven recipe values and where each was written.
    let (fields, call_loc, kwargs) = cx.fields()?;
    let [name, version, sources, script, platforms, products, dependencies] = fields;

    let name = cx.string("name", name)?;
    let version = cx.version(version)?;
    let script = cx.string("script", script)?;
    let sources = cx.sources(sources);
    let platforms = cx.platforms(platforms, call_loc);
    // `platforms = [AnyPlatform()]`: one artifact for every target.
    let platform_independent =
        cx.it.any_platform && platforms.len() == 1 && platforms[0] == BUILDABLE_TRIPLET;
    let products = cx.products(products);
    let dependencies = cx.dependencies(dependencies);
    for dep in opts.deps.keys() {
        if !cx.notes.iter().any(|n| n.contains(&format!("`{dep}`"))) {
            cx.notes.push(format!("--dep `{dep}` was given but the recipe does not depend on it"));
        }
    }
    let mut kw_text = BTreeMap::new();
    for (k, _, text) in kwargs {
        kw_text.insert(k, text);
    }

    let recipe = Recipe {
        path: out_path.clone(),
        dir: out_path.parent().map(Path::to_path_buf).unwrap_or_default(),
        name,
        version,
        sources,
        script,
        platforms,
        products,
        dependencies,
        source_date_epoch: 0,
        environment: BTreeMap::new(),
        network: false,
        platform_independent,
        normalize: NormalizeConfig::default(),
    };

    let mut notes = std::mem::take(&mut cx.notes);
    notes.append(&mut cx.it.notes);
    let warnings = public_warnings(&cx.it, &cx.it.warnings);
    if opts.strict && !warnings.is_empty() {
        return Err(ImportError::Strict { path: path.to_owned(), warnings });
    }
    let toml =
        header(path, &kw_text, &cx.skipped, &notes, &warnings) + &repro_recipe::to_toml(&recipe);
    let recipe = repro_recipe::parse_str(&toml, &out_path)
        .map_err(|source| ImportError::Invalid { path: path.to_owned(), source })?;
    Ok(ImportResult {
        recipe,
        toml,
        warnings,
        kwargs: kw_text,
        skipped_platforms: cx.skipped,
        notes,
    })
}

/// What happens when a list-valued field cannot be evaluated.
fn fallback(field: &str) -> String {
    if field == "platforms" {
        format!("the recipe targets {BUILDABLE_TRIPLET}")
    } else {
        "it is left empty".to_owned()
    }
}

fn public_warnings(it: &Interp, ws: &[Warning]) -> Vec<ImportWarning> {
    ws.iter()
        .map(|w| ImportWarning {
            file: it.file_path(w.loc),
            line: w.loc.line as usize,
            column: w.loc.col as usize,
            construct: w.construct.clone(),
            message: w.message.clone(),
        })
        .collect()
}

/// The header comment: provenance, then everything the TOML cannot express.
fn header(
    path: &Path,
    kwargs: &BTreeMap<String, String>,
    skipped: &[String],
    notes: &[String],
    warnings: &[ImportWarning],
) -> String {
    let clean =
        |s: &str| -> String { s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect() };
    let mut h = String::new();
    h.push_str(&format!(
        "# Imported from {} by `repro import yggdrasil`.\n",
        clean(&path.display().to_string())
    ));
    if !kwargs.is_empty() {
        h.push_str("#\n# build_tarballs keyword arguments (recorded; repro does not use them):\n");
        for (k, v) in kwargs {
            h.push_str(&format!("#   {k} = {}\n", clean(v)));
        }
    }
    if !skipped.is_empty() {
        h.push_str(
            "#\n# Platforms of the recipe that cannot be built here (see `repro platforms`):\n",
        );
        let mut line = String::from("#  ");
        for (i, t) in skipped.iter().enumerate() {
            let piece = format!(" {}{}", clean(t), if i + 1 < skipped.len() { "," } else { "" });
            if line.len() + piece.len() > 96 {
                h.push_str(&line);
                h.push('\n');
                line = String::from("#  ");
            }
            line.push_str(&piece);
        }
        h.push_str(&line);
        h.push('\n');
    }
    if !notes.is_empty() {
        h.push_str("#\n# Notes:\n");
        for n in notes {
            h.push_str(&format!("#   - {}\n", clean(n)));
        }
    }
    if !warnings.is_empty() {
        h.push_str("#\n# Warnings (review these parts of the recipe):\n");
        for w in warnings {
            h.push_str(&format!("#   - {}\n", clean(&w.to_string())));
        }
    }
    h.push('\n');
    h
}

impl Ctx<'_> {
    fn warn(&mut self, loc: Loc, construct: String, message: String) {
        self.it.warn(loc, construct, message);
    }

    fn warn_unknown(&mut self, u: &Rc<Unknown>, message: String) {
        self.it.warn(u.loc, u.construct.clone(), message);
    }

    fn unresolved(&self, loc: Loc, field: &str, message: String) -> ImportError {
        ImportError::Unresolved {
            file: self.it.file_path(loc),
            line: loc.line as usize,
            column: loc.col as usize,
            field: field.to_owned(),
            message,
        }
    }

    /// The values of name, version, ..., dependencies, from the `build_tarballs` call or, when
    /// there is none, from the global variables of those names.
    #[allow(clippy::type_complexity)]
    fn fields(
        &mut self,
    ) -> Result<([(Value, Loc); 7], Loc, Vec<(String, Value, String)>), ImportError> {
        let start = Loc { file: 0, line: 1, col: 1, offset: 0 };
        if !self.it.build_calls.is_empty() {
            let call = self.it.build_calls.remove(0);
            if !call.left_out_products.is_empty() {
                self.notes.push(format!(
                    "products not named by every `build_tarballs` call of this name and version are left out: {}",
                    call.left_out_products.join(", ")
                ));
            }
            if call.positional.len() != 7 {
                return Err(self.unresolved(
                    call.loc,
                    "build_tarballs",
                    format!(
                        "`build_tarballs` got {} positional arguments after `ARGS`; expected 7 (name, version, sources, script, platforms, products, dependencies)",
                        call.positional.len()
                    ),
                ));
            }
            let fields: [(Value, Loc); 7] =
                call.positional.try_into().unwrap_or_else(|_| unreachable!("length checked"));
            return Ok((fields, call.loc, call.kwargs));
        }
        self.warn(
            start,
            String::new(),
            "no `build_tarballs(...)` call was evaluated; the global variables `name`, `version`, ... are used".into(),
        );
        let mut out = Vec::new();
        for f in FIELDS {
            match self.it.global(f) {
                Some(v) => out.push((v.clone(), start)),
                None => {
                    return Err(self.unresolved(
                        start,
                        f,
                        format!("no `build_tarballs(...)` call and no global variable `{f}`"),
                    ));
                }
            }
        }
        let fields: [(Value, Loc); 7] =
            out.try_into().unwrap_or_else(|_| unreachable!("seven fields"));
        Ok((fields, start, Vec::new()))
    }

    fn string(&mut self, field: &str, (v, loc): (Value, Loc)) -> Result<String, ImportError> {
        match v {
            Value::Str(s) => Ok(s),
            Value::Unknown(u) => Err(self.unresolved(u.loc, field, u.reason.clone())),
            other => Err(self.unresolved(
                loc,
                field,
                format!("expected a string, found a {}", other.type_name()),
            )),
        }
    }

    fn version(&mut self, (v, loc): (Value, Loc)) -> Result<Version, ImportError> {
        let jv = match v {
            Value::Version(jv) => jv,
            Value::Str(s) => match crate::value::JVersion::parse(&s) {
                Some(jv) => {
                    self.warn(
                        loc,
                        format!("{s:?}"),
                        "the version is a string, not a `v\"...\"` literal".into(),
                    );
                    jv
                }
                None => {
                    return Err(self.unresolved(loc, "version", format!("{s:?} is not a version")));
                }
            },
            Value::Unknown(u) => return Err(self.unresolved(u.loc, "version", u.reason.clone())),
            other => {
                return Err(self.unresolved(
                    loc,
                    "version",
                    format!("expected a VersionNumber, found a {}", other.type_name()),
                ));
            }
        };
        let v = Version { major: jv.component(0), minor: jv.component(1), patch: jv.component(2) };
        if jv.parts.len() > 3 {
            self.warn(
                loc,
                jv.to_string(),
                format!("version {jv} has more than three components; the recipe uses {v}"),
            );
        }
        if !jv.prerelease.is_empty() || !jv.build.is_empty() {
            self.warn(
                loc,
                jv.to_string(),
                format!("version {jv} has prerelease or build parts, which recipes do not allow; the recipe uses {v}"),
            );
        }
        Ok(v)
    }

    /// The entries of a list-valued field; `None` (after a warning) when it is unknown.
    fn entries(&mut self, field: &str, (v, loc): (Value, Loc)) -> Option<Vec<Value>> {
        match v {
            Value::Vector(xs) | Value::Tuple(xs) => Some(xs),
            Value::Unknown(u) => {
                self.warn_unknown(
                    &u,
                    format!("`{field}` could not be evaluated ({}); {}", u.reason, fallback(field)),
                );
                None
            }
            single @ (Value::Source(..)
            | Value::Product(..)
            | Value::Dep(_)
            | Value::Platform(_)) => Some(vec![single]),
            other => {
                self.warn(
                    loc,
                    String::new(),
                    format!(
                        "`{field}` is a {}, not a vector; {}",
                        other.type_name(),
                        fallback(field)
                    ),
                );
                None
            }
        }
    }

    fn omitted(&mut self, field: &str, i: usize, v: &Value, loc: Loc) {
        match v {
            Value::Unknown(u) => {
                self.warn_unknown(
                    u,
                    format!("entry {} of `{field}` is omitted: {}", i + 1, u.reason),
                );
            }
            other => self.warn(
                loc,
                String::new(),
                format!("entry {} of `{field}` is a {}; it is omitted", i + 1, other.type_name()),
            ),
        }
    }

    fn sources(&mut self, v: (Value, Loc)) -> Vec<Source> {
        let loc = v.1;
        let mut out = Vec::new();
        for (i, x) in self.entries("sources", v).unwrap_or_default().into_iter().enumerate() {
            match x {
                Value::Source(Source::Directory { path, target }, at) => match self.directory_path(&path) {
                    Some(p) => out.push(Source::Directory { path: p, target }),
                    None => self.warn(
                        at,
                        format!("DirectorySource({path:?})"),
                        format!("directory {path:?} is not inside the recipe's directory; the source is omitted"),
                    ),
                },
                Value::Source(s, _) => out.push(s),
                // The legacy `"url" => "sha256"` form.
                Value::Pair(a, b) => match (*a, *b) {
                    // BinaryBuilder reads a pair with a 40-digit hash (a `.git` URL) as a git
                    // source at that commit.
                    (Value::Str(url), Value::Str(commit))
                        if url.ends_with(".git") || commit.len() == 40 =>
                    {
                        self.notes.push(format!("the legacy source pair {url:?} => ... is imported as a git source"));
                        out.push(Source::Git { url, commit, unpack_target: None });
                    }
                    (Value::Str(url), Value::Str(sha256)) => {
                        self.notes.push(format!("the legacy source pair {url:?} => ... is imported as an archive source"));
                        out.push(Source::Archive { url, sha256, unpack_target: None });
                    }
                    _ => self.warn(loc, String::new(), format!("entry {} of `sources` is an unsupported pair; it is omitted", i + 1)),
                },
                other => self.omitted("sources", i, &other, loc),
            }
        }
        // Spaces in a URL are sent percent-encoded; the recipe format wants them written so.
        for s in &mut out {
            if let Source::Archive { url, .. } | Source::File { url, .. } | Source::Git { url, .. } =
                s
                && url.contains(' ')
            {
                self.notes.push(format!("the spaces in the URL {url:?} are written as %20"));
                *url = url.replace(' ', "%20");
            }
        }
        out
    }

    /// A `DirectorySource` path (relative to the recipe's directory, or absolute from
    /// `@__DIR__`) as a path relative to the output recipe's directory.
    fn directory_path(&self, path: &str) -> Option<String> {
        let abs = if Path::new(path).is_absolute() {
            PathBuf::from(path)
        } else {
            self.recipe_dir.join(path)
        };
        let abs = crate::normalize(&abs);
        if !abs.starts_with(&self.recipe_dir) {
            return None;
        }
        let rel = crate::relative_path(&self.out_dir, &abs);
        let s = rel.to_string_lossy().into_owned();
        Some(s.strip_prefix("./").map(str::to_owned).unwrap_or(s))
    }

    /// Every platform of the recipe as a triplet with its tags (`x86_64-linux-gnu-cxx11`);
    /// the ones that cannot be built here are also listed in `skipped`.
    fn platforms(&mut self, v: (Value, Loc), call_loc: Loc) -> Vec<String> {
        let Some(entries) = self.entries("platforms", v.clone()) else {
            self.notes.push(format!(
                "the platforms could not be determined; the recipe targets {BUILDABLE_TRIPLET}"
            ));
            return vec![BUILDABLE_TRIPLET.to_owned()];
        };
        let mut out: Vec<String> = Vec::new();
        for (i, x) in entries.into_iter().enumerate() {
            match x {
                Value::Platform(p) => {
                    if let Some(t) = self.triplet(&p, v.1)
                        && !out.contains(&t)
                    {
                        out.push(t);
                    }
                }
                other => self.omitted("platforms", i, &other, v.1),
            }
        }
        if out.is_empty() {
            self.warn(
                call_loc,
                String::new(),
                format!("the recipe lists no platform; it targets {BUILDABLE_TRIPLET}"),
            );
            return vec![BUILDABLE_TRIPLET.to_owned()];
        }
        for t in &out {
            if repro_recipe::platform::buildable(t).is_err() && !self.skipped.contains(t) {
                self.skipped.push(t.clone());
            }
        }
        if self.skipped.len() == out.len() {
            self.warn(
                call_loc,
                String::new(),
                format!(
                    "none of the recipe's {} platforms can be built here (see `repro platforms`)",
                    out.len()
                ),
            );
        }
        out
    }

    /// The recipe triplet of `p`: with its tags when the recipe format has them, else its base
    /// triplet with a warning naming the tags that are left out.
    fn triplet(&mut self, p: &Platform, at: Loc) -> Option<String> {
        let full = p.triplet();
        if repro_recipe::validate::platform(&full).is_ok() {
            return Some(full);
        }
        let base = p.base_triplet();
        match repro_recipe::validate::platform(&base) {
            Ok(()) => {
                self.warn(
                    at,
                    String::new(),
                    format!("platform {full} has tags the recipe format cannot hold; it is imported as {base}"),
                );
                Some(base)
            }
            Err(why) => {
                self.warn(
                    at,
                    String::new(),
                    format!("platform {full} is not valid here ({why}); it is omitted"),
                );
                None
            }
        }
    }

    fn products(&mut self, v: (Value, Loc)) -> Vec<Product> {
        let loc = v.1;
        let mut out = Vec::new();
        for (i, x) in self.entries("products", v).unwrap_or_default().into_iter().enumerate() {
            match x {
                Value::Product(p) => {
                    let p = executable_subdirectory(p);
                    if let Some(first) =
                        out.iter().position(|q: &Product| q.variable() == p.variable())
                    {
                        self.warn(
                            loc,
                            String::new(),
                            format!(
                                "entry {} of `products` uses the variable `{}` of entry {} again; it is omitted",
                                i + 1,
                                p.variable(),
                                first + 1
                            ),
                        );
                        continue;
                    }
                    out.push(p);
                }
                other => self.omitted("products", i, &other, loc),
            }
        }
        out
    }

    fn dependencies(&mut self, v: (Value, Loc)) -> Vec<Dependency> {
        let loc = v.1;
        let mut out = Vec::new();
        for (i, x) in self.entries("dependencies", v).unwrap_or_default().into_iter().enumerate() {
            match x {
                Value::Dep(d) => {
                    if let Some(dep) = self.dependency(&d) {
                        out.push(dep);
                    }
                }
                other => self.omitted("dependencies", i, &other, loc),
            }
        }
        out
    }

    /// A `Dependency`-like value as a recipe dependency: a JLL by name (or the local recipe
    /// `--dep` maps it to), its kind, compat (the build version pinned with `=` when no
    /// `compat` is given) and platform filter.
    fn dependency(&mut self, d: &DepValue) -> Option<Dependency> {
        let (kind_name, name) = (&d.kind, &d.name);
        let kind: DependencyKind = kind_name.parse().unwrap_or_default();
        let platforms = match &d.platforms {
            None => None,
            Some(v) => match self.entries("platforms", (v.clone(), d.loc)) {
                Some(entries) => {
                    let mut ts = Vec::new();
                    for x in entries {
                        if let Value::Platform(p) = x
                            && let Some(t) = self.triplet(&p, d.loc)
                            && !ts.contains(&t)
                        {
                            ts.push(t);
                        }
                    }
                    if ts.is_empty() {
                        self.notes.push(format!(
                            "{kind_name} `{name}` applies to no platform; it is not imported"
                        ));
                        return None;
                    }
                    Some(ts)
                }
                None => {
                    self.warn(
                        d.loc,
                        d.text.clone(),
                        format!("the `platforms` filter of {kind_name} `{name}` cannot be evaluated; the dependency applies to every platform"),
                    );
                    None
                }
            },
        };
        let compat = match (&d.compat, &d.version) {
            (Some(Value::Str(c)), _) => Some(c.clone()),
            (Some(Value::Version(v)), _) => Some(v.to_string()),
            (Some(other), _) => {
                let t = other.type_name();
                self.warn(
                    d.loc,
                    d.text.clone(),
                    format!(
                        "the `compat` of {kind_name} `{name}` is a {t}, not a string; it is ignored"
                    ),
                );
                d.version.as_ref().map(|v| format!("={v}"))
            }
            // The build version without its build metadata (`v"1.2.3+0"`).
            (None, Some(v)) => Some(format!("={}", v.split('+').next().unwrap_or(v))),
            (None, None) => None,
        };
        let compat = compat.filter(|c| {
            let ok = c.parse::<repro_recipe::compat::VersionSpec>().is_ok();
            if !ok {
                self.notes.push(format!(
                    "the compat {c:?} of {kind_name} `{name}` is not a Pkg version specification the recipe format takes; it is left out"
                ));
            }
            ok
        });
        let source = match self.opts.deps.get(name) {
            Some(path) => {
                self.notes
                    .push(format!("{kind_name} `{name}` is built from the local recipe {path}"));
                DependencySource::Recipe { path: path.clone() }
            }
            None => DependencySource::Jll,
        };
        Some(Dependency { name: Some(name.clone()), kind, source, compat, platforms })
    }
}

/// `ExecutableProduct("unwrapped/x", :x)`: BinaryBuilder looks for the name below `bin/`; the
/// recipe format takes a plain name and its directory (`bin/unwrapped`). Names in different
/// subdirectories are left as they are (and refused by validation).
fn executable_subdirectory(p: Product) -> Product {
    let Product::Executable { names, variable, dir } = p else { return p };
    let parent = |n: &str| n.rsplit_once('/').map(|(d, _)| d.to_owned());
    let Some(sub) = names.first().and_then(|n| parent(n)) else {
        return Product::Executable { names, variable, dir };
    };
    if !names.iter().all(|n| parent(n).as_deref() == Some(sub.as_str())) {
        return Product::Executable { names, variable, dir };
    }
    let names =
        names.iter().map(|n| n.rsplit_once('/').map_or(n.clone(), |(_, b)| b.to_owned())).collect();
    let base = dir.unwrap_or_else(|| "bin".to_owned());
    Product::Executable { names, variable, dir: Some(format!("{base}/{sub}")) }
}
