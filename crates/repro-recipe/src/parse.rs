//! Recipe TOML → [`Recipe`]: parse with spans, check every key and value, collect problems.
//!
//! The TOML is parsed into a spanned document tree ([`toml::de::DeTable`]) instead of being
//! deserialized straight into structs, so that unknown keys can get typo suggestions, keys that
//! belong to another kind of entry get a specific message, and every problem (not just the first)
//! carries `line:column` and the field path (`sources[2].sha256`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::Path;

use serde_spanned::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{Problem, RecipeError};
use crate::model::{
    Dependency, DependencyKind, DependencySource, IgnoreRule, NormalizeConfig, Product, Recipe,
    Source,
};
use crate::validate::{self, Rule};

/// Largest recipe file accepted, in bytes.
pub const MAX_RECIPE_BYTES: u64 = 1024 * 1024;
/// Most entries accepted in any one list (sources, platforms, products, ...).
const MAX_ITEMS: usize = 1000;

type Val<'i> = Spanned<DeValue<'i>>;

const TOP_KEYS: &[&str] = &[
    "name",
    "version",
    "sources",
    "script",
    "platforms",
    "products",
    "dependencies",
    "source_date_epoch",
    "environment",
    "network",
    "platform_independent",
    "normalize",
];

const SOURCE_KINDS: &[&str] = &["archive", "file", "git", "directory"];
const SOURCE_KEYS: &[&str] = &[
    "archive",
    "file",
    "git",
    "directory",
    "sha256",
    "commit",
    "unpack_target",
    "filename",
    "target",
];
const PRODUCT_KINDS: &[&str] = &["library", "executable", "file"];
const PRODUCT_KEYS: &[&str] = &["library", "executable", "file", "variable", "dir"];
const DEPENDENCY_KEYS: &[&str] =
    &["name", "recipe", "artifact", "sha256", "git-tree-sha1", "kind", "compat", "platforms"];

fn source_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "archive" => &["archive", "sha256", "unpack_target"],
        "file" => &["file", "sha256", "filename"],
        "git" => &["git", "commit", "unpack_target"],
        _ => &["directory", "target"],
    }
}

fn product_keys(kind: &str) -> &'static [&'static str] {
    match kind {
        "library" => &["library", "variable", "dir"],
        "executable" => &["executable", "variable", "dir"],
        _ => &["file", "variable"],
    }
}

/// Parses and validates recipe text; `path` is used for messages and to set `Recipe::dir`.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Recipe, RecipeError> {
    if text.len() as u64 > MAX_RECIPE_BYTES {
        return Err(RecipeError::TooLarge {
            path: path.to_owned(),
            size: text.len() as u64,
            limit: MAX_RECIPE_BYTES,
        });
    }
    let mut p = Parser::new(text);
    let doc = match DeTable::parse(text) {
        Ok(doc) => doc,
        Err(e) => {
            let (line, column) = p.position(e.span().map_or(0, |s| s.start));
            return Err(RecipeError::Syntax {
                path: path.to_owned(),
                line,
                column,
                message: e.message().trim_end_matches('\n').to_owned(),
            });
        }
    };
    let root = Table { map: doc.get_ref(), span: 0..0, field: String::new() };
    let recipe = p.recipe(&root, path);
    match recipe {
        Some(recipe) if p.problems.is_empty() => Ok(recipe),
        _ => {
            if p.problems.is_empty() {
                // Every rejected value reports a problem; this is a safety net.
                p.report(&(0..0), "", Rule::new("the recipe is invalid"));
            }
            let mut problems = p.problems;
            problems
                .sort_by(|a, b| (a.line, a.column, &a.field).cmp(&(b.line, b.column, &b.field)));
            problems.dedup();
            Err(RecipeError::Invalid { path: path.to_owned(), problems })
        }
    }
}

/// A TOML table being read, with the field path leading to it.
struct Table<'t, 'i> {
    map: &'t DeTable<'i>,
    span: Range<usize>,
    field: String,
}

impl<'t, 'i> Table<'t, 'i> {
    fn get(&self, key: &str) -> Option<&'t Val<'i>> {
        self.map.get(key)
    }

    /// The field path of `key` in this table.
    fn field(&self, key: &str) -> String {
        if self.field.is_empty() { key.to_owned() } else { format!("{}.{key}", self.field) }
    }

    /// The name this table has in messages (`sources[0]`, or `the recipe` at the top).
    fn what(&self) -> String {
        if self.field.is_empty() { "the recipe".to_owned() } else { self.field.clone() }
    }

    /// Keys present in this table, in document order.
    fn keys(&self) -> Vec<(&'t str, Range<usize>)> {
        let mut keys: Vec<_> =
            self.map.iter().map(|(k, _)| (k.get_ref().as_ref(), k.span())).collect();
        keys.sort_by_key(|(_, span)| span.start);
        keys
    }
}

struct Parser<'s> {
    line_starts: Vec<usize>,
    text: &'s str,
    problems: Vec<Problem>,
    /// `(table field, suggested key)` for every unknown key that got a typo suggestion: a
    /// "missing field" problem for the suggested key would only repeat it.
    suggested: BTreeSet<(String, String)>,
}

impl<'s> Parser<'s> {
    fn new(text: &'s str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Parser { line_starts, text, problems: Vec::new(), suggested: BTreeSet::new() }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count()) + 1;
        (line, column)
    }

    fn report(&mut self, span: &Range<usize>, field: impl Into<String>, rule: Rule) {
        let (line, column) = self.position(span.start);
        self.problems.push(Problem {
            line,
            column,
            field: field.into(),
            message: rule.message,
            help: rule.help,
        });
    }

    // ----- keys -----------------------------------------------------------------------------

    /// Reports every key of `table` not in `allowed`, with a typo suggestion when one is close.
    /// `misplaced` may explain a key that is valid elsewhere (returns the message and help).
    fn check_keys(
        &mut self,
        table: &Table<'_, '_>,
        allowed: &[&str],
        misplaced: &dyn Fn(&str) -> Option<Rule>,
    ) {
        for (key, span) in table.keys() {
            if allowed.contains(&key) {
                continue;
            }
            let rule = misplaced(key).unwrap_or_else(|| {
                let rule = Rule::new(format!("unknown field {key:?} in {}", table.what()));
                match validate::suggest(key, allowed) {
                    Some(s) => {
                        self.suggested.insert((table.field.clone(), s.to_owned()));
                        rule.help(format!("did you mean {s:?}?"))
                    }
                    None => rule.help(format!("valid fields here: {}", allowed.join(", "))),
                }
            });
            self.report(&span, table.field(key), rule);
        }
    }

    fn missing(&mut self, table: &Table<'_, '_>, key: &str, example: &str) {
        if self.suggested.contains(&(table.field.clone(), key.to_owned())) {
            return;
        }
        let rule = Rule::new(format!("missing required field `{key}` in {}", table.what()))
            .help(format!("add `{example}`"));
        self.report(&table.span.clone(), table.field(key), rule);
    }

    // ----- typed values ----------------------------------------------------------------------

    fn type_error(&mut self, v: &Val<'_>, field: &str, expected: &str) {
        let found = v.get_ref().type_str();
        let article = if found.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        self.report(
            &v.span(),
            field,
            Rule::new(format!("expected {expected}, found {article} {found}")),
        );
    }

    fn string<'v>(&mut self, v: &'v Val<'_>, field: &str) -> Option<&'v str> {
        match v.get_ref() {
            DeValue::String(s) => {
                if s.len() > validate::MAX_STRING {
                    self.report(
                        &v.span(),
                        field,
                        Rule::new(format!("value is longer than {} bytes", validate::MAX_STRING)),
                    );
                    return None;
                }
                Some(s.as_ref())
            }
            _ => {
                self.type_error(v, field, "a string");
                None
            }
        }
    }

    fn array<'v, 'i>(
        &mut self,
        v: &'v Val<'i>,
        field: &str,
        expected: &str,
    ) -> Option<&'v [Val<'i>]> {
        match v.get_ref() {
            DeValue::Array(a) => {
                if a.len() > MAX_ITEMS {
                    self.report(
                        &v.span(),
                        field,
                        Rule::new(format!("more than {MAX_ITEMS} entries")),
                    );
                    return None;
                }
                Some(a.as_ref())
            }
            _ => {
                self.type_error(v, field, expected);
                None
            }
        }
    }

    fn table<'v, 'i>(
        &mut self,
        v: &'v Val<'i>,
        field: String,
        expected: &str,
    ) -> Option<Table<'v, 'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(Table { map: t, span: v.span(), field }),
            _ => {
                self.type_error(v, &field, expected);
                None
            }
        }
    }

    /// A required string field, checked by `rule`.
    fn req_str<T>(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        example: &str,
        rule: impl FnOnce(&str) -> validate::RuleResult<T>,
    ) -> Option<T> {
        match t.get(key) {
            Some(v) => self.checked_str(v, &t.field(key), rule),
            None => {
                self.missing(t, key, example);
                None
            }
        }
    }

    /// An optional string field: `Some(None)` when absent, `None` on error.
    fn opt_str<T>(
        &mut self,
        t: &Table<'_, '_>,
        key: &str,
        rule: impl FnOnce(&str) -> validate::RuleResult<T>,
    ) -> Option<Option<T>> {
        match t.get(key) {
            Some(v) => self.checked_str(v, &t.field(key), rule).map(Some),
            None => Some(None),
        }
    }

    fn checked_str<T>(
        &mut self,
        v: &Val<'_>,
        field: &str,
        rule: impl FnOnce(&str) -> validate::RuleResult<T>,
    ) -> Option<T> {
        let s = self.string(v, field)?;
        match rule(s) {
            Ok(x) => Some(x),
            Err(r) => {
                self.report(&v.span(), field, r);
                None
            }
        }
    }

    /// A string or a non-empty list of strings, each checked by `rule`.
    fn str_or_list(
        &mut self,
        v: &Val<'_>,
        field: &str,
        rule: &dyn Fn(&str) -> validate::RuleResult,
    ) -> Option<Vec<String>> {
        if let DeValue::String(_) = v.get_ref() {
            return self.checked_str(v, field, |s| rule(s).map(|_| s.to_owned())).map(|s| vec![s]);
        }
        let items = self.array(v, field, "a string or a list of strings")?;
        if items.is_empty() {
            self.report(
                &v.span(),
                field,
                Rule::new("the list is empty").help("give at least one name"),
            );
            return None;
        }
        let mut out = Some(Vec::new());
        for (i, item) in items.iter().enumerate() {
            let f = format!("{field}[{i}]");
            match self.checked_str(item, &f, |s| rule(s).map(|_| s.to_owned())) {
                Some(s) => {
                    if let Some(o) = &mut out {
                        o.push(s);
                    }
                }
                None => out = None,
            }
        }
        out
    }

    /// Determines which of `kinds` an entry is (`archive`, `git`, ...), checks its keys against
    /// that kind's (or, with no single kind, all kinds') keys, and reports no kind or several.
    fn entry_kind(
        &mut self,
        t: &Table<'_, '_>,
        kinds: &[&'static str],
        all_keys: &[&str],
        keys_of: fn(&str) -> &'static [&'static str],
        misplaced: &dyn Fn(&str, &str) -> Option<Rule>,
        entry: &str,
    ) -> Option<&'static str> {
        let present: Vec<&'static str> =
            kinds.iter().copied().filter(|k| t.get(k).is_some()).collect();
        let kind = match present.as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        let allowed = kind.map_or(all_keys, keys_of);
        self.check_keys(t, allowed, &|key| kind.and_then(|kind| misplaced(kind, key)));
        let list = kinds.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        match present.as_slice() {
            [_] => {}
            [] => {
                let typo = kinds
                    .iter()
                    .any(|k| self.suggested.contains(&(t.field.clone(), (*k).to_owned())));
                if !typo {
                    let rule = Rule::new(format!("{} has none of {list}", t.what()))
                        .help(format!("each {entry} needs exactly one of {list}"));
                    self.report(&t.span.clone(), t.field.clone(), rule);
                }
            }
            [first, rest @ ..] => {
                for other in rest {
                    let span =
                        t.map.get_key_value(*other).map_or(t.span.clone(), |(k, _)| k.span());
                    let rule = Rule::new(format!(
                        "{} has both `{first}` and `{other}`, but an entry has exactly one kind",
                        t.what()
                    ))
                    .help(format!("split it into two {entry} entries"));
                    self.report(&span, t.field(other), rule);
                }
            }
        }
        kind
    }

    /// A list of tables (`[[key]]` or an array of inline tables), or nothing when absent.
    fn table_list<'v, 'i>(
        &mut self,
        root: &Table<'v, 'i>,
        key: &str,
    ) -> Option<Vec<Table<'v, 'i>>> {
        let Some(v) = root.get(key) else { return Some(Vec::new()) };
        let field = root.field(key);
        let items = self.array(v, &field, &format!("a list of tables ([[{field}]])"))?;
        let mut out = Some(Vec::new());
        for (i, item) in items.iter().enumerate() {
            match self.table(item, format!("{field}[{i}]"), "a table") {
                Some(t) => {
                    if let Some(o) = &mut out {
                        o.push(t);
                    }
                }
                None => out = None,
            }
        }
        out
    }

    // ----- the recipe ------------------------------------------------------------------------

    fn recipe(&mut self, root: &Table<'_, '_>, path: &Path) -> Option<Recipe> {
        self.check_keys(root, TOP_KEYS, &|key| match key {
            "sha256" | "commit" | "archive" | "git" | "directory" | "url" => Some(
                Rule::new(format!("`{key}` is not a top-level field"))
                    .help("sources go in [[sources]] tables"),
            ),
            "library" | "executable" => Some(
                Rule::new(format!("`{key}` is not a top-level field"))
                    .help("products go in [[products]] tables"),
            ),
            "ignore" => Some(
                Rule::new("`ignore` is not a top-level field")
                    .help("ignore rules go in [[normalize.ignore]] tables"),
            ),
            _ => None,
        });

        let name = self
            .req_str(root, "name", "name = \"Foo\"", |s| validate::name(s).map(|_| s.to_owned()));
        let version = self.req_str(root, "version", "version = \"1.0.0\"", validate::version);
        let script = self.script(root);
        let platforms = self.platforms(root);
        let sources = self.sources(root);
        let products = self.products(root);
        let dependencies = self.dependencies(root);
        let source_date_epoch = self.source_date_epoch(root);
        let environment = self.environment(root);
        let network = self.network(root);
        let platform_independent = self.platform_independent(root, platforms.as_deref());
        let normalize = self.normalize(root);

        Some(Recipe {
            path: path.to_owned(),
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            name: name?,
            version: version?,
            sources: sources?,
            script: script?,
            platforms: platforms?,
            products: products?,
            dependencies: dependencies?,
            source_date_epoch: source_date_epoch?,
            environment: environment?,
            network: network?,
            platform_independent: platform_independent?,
            normalize: normalize?,
        })
    }

    fn script(&mut self, root: &Table<'_, '_>) -> Option<String> {
        let Some(v) = root.get("script") else {
            self.missing(root, "script", "script = '''\nmake install\n'''");
            return None;
        };
        let DeValue::String(s) = v.get_ref() else {
            self.type_error(v, "script", "a string (bash)");
            return None;
        };
        if s.trim().is_empty() {
            self.report(
                &v.span(),
                "script",
                Rule::new("the script is empty")
                    .help("write the bash commands that build and install into ${prefix}"),
            );
            return None;
        }
        if s.contains('\0') {
            self.report(&v.span(), "script", Rule::new("the script contains a NUL character"));
            return None;
        }
        Some(s.to_string())
    }

    fn platforms(&mut self, root: &Table<'_, '_>) -> Option<Vec<String>> {
        let Some(v) = root.get("platforms") else {
            self.missing(root, "platforms", "platforms = [\"x86_64-linux-gnu\"]");
            return None;
        };
        self.platform_list(
            v,
            "platforms",
            "list at least one, e.g. platforms = [\"x86_64-linux-gnu\"]",
        )
    }

    /// A non-empty list of distinct target triplets at `field`; `empty_help` says what to do
    /// about an empty list.
    fn platform_list(&mut self, v: &Val<'_>, field: &str, empty_help: &str) -> Option<Vec<String>> {
        let items = self.array(v, field, "a list of target triplets")?;
        if items.is_empty() {
            self.report(&v.span(), field, Rule::new("no platforms").help(empty_help));
            return None;
        }
        let mut out = Some(Vec::new());
        let mut seen = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let field = format!("{field}[{i}]");
            let Some(s) = self
                .checked_str(item, &field, |s| validate::check_platform(s).map(|_| s.to_owned()))
            else {
                out = None;
                continue;
            };
            if !seen.insert(s.clone()) {
                self.report(
                    &item.span(),
                    field,
                    Rule::new(format!("platform {s:?} is listed twice")),
                );
                out = None;
                continue;
            }
            if let Some(o) = &mut out {
                o.push(s);
            }
        }
        out
    }

    fn sources(&mut self, root: &Table<'_, '_>) -> Option<Vec<Source>> {
        let tables = self.table_list(root, "sources")?;
        let mut out = Some(Vec::new());
        // Destination names in srcdir of file and git sources: name -> first field.
        let mut dests: BTreeMap<String, String> = BTreeMap::new();
        for t in &tables {
            match self.source(t, &mut dests) {
                Some(s) => {
                    if let Some(o) = &mut out {
                        o.push(s);
                    }
                }
                None => out = None,
            }
        }
        out
    }

    fn source(
        &mut self,
        t: &Table<'_, '_>,
        dests: &mut BTreeMap<String, String>,
    ) -> Option<Source> {
        let kind = self.entry_kind(
            t,
            SOURCE_KINDS,
            SOURCE_KEYS,
            source_keys,
            &|kind, key| SOURCE_KEYS.contains(&key).then(|| misplaced_source_key(kind, key)),
            "[[sources]]",
        )?;
        let url = |s: &str| validate::url(s).map(|_| s.to_owned());
        let sha =
            |p: &mut Self| p.req_str(t, "sha256", "sha256 = \"<64 hex digits>\"", validate::sha256);
        let target = |p: &mut Self, key: &str| {
            p.opt_str(t, key, |s| validate::inner_path(s, key).map(|_| s.to_owned()))
        };
        let source = match kind {
            "archive" => {
                let u = self.req_str(t, "archive", "", url);
                let sha256 = sha(self);
                let unpack_target = target(self, "unpack_target");
                Source::Archive { url: u?, sha256: sha256?, unpack_target: unpack_target? }
            }
            "file" => {
                let u = self.req_str(t, "file", "", url);
                let sha256 = sha(self);
                let filename = target(self, "filename");
                let (u, filename) = (u?, filename?);
                if filename.is_none() {
                    let base = validate::url_basename(&u);
                    if base.is_empty() || base == "." || base == ".." {
                        let span = t.get("file").map_or(t.span.clone(), |v| v.span());
                        self.report(
                            &span,
                            t.field("file"),
                            Rule::new(format!("cannot tell the file name from {u:?}"))
                                .help("set `filename = \"name\"`"),
                        );
                        return None;
                    }
                }
                Source::File { url: u, sha256: sha256?, filename }
            }
            "git" => {
                let u = self.req_str(t, "git", "", url);
                let commit =
                    self.req_str(t, "commit", "commit = \"<40 hex digits>\"", validate::commit);
                let unpack_target = target(self, "unpack_target");
                let (u, unpack_target) = (u?, unpack_target?);
                if unpack_target.is_none() {
                    let dir = validate::git_dir_name(&u);
                    if validate::file_name(dir, "directory").is_err() {
                        let span = t.get("git").map_or(t.span.clone(), |v| v.span());
                        self.report(
                            &span,
                            t.field("git"),
                            Rule::new(format!(
                                "cannot tell the checkout directory name from {u:?}"
                            ))
                            .help("set `unpack_target = \"name\"`"),
                        );
                        return None;
                    }
                }
                Source::Git { url: u, commit: commit?, unpack_target }
            }
            _ => {
                let dir = self.req_str(t, "directory", "", |s| {
                    validate::inner_path(s, "directory").map(|_| s.to_owned()).map_err(|r| Rule {
                        help: Some(
                            "a directory source must be inside the recipe's directory".into(),
                        ),
                        ..r
                    })
                });
                let tgt = target(self, "target");
                Source::Directory { path: dir?, target: tgt? }
            }
        };
        if let Some(dest) = source.dest_name() {
            let key = match &source {
                Source::File { filename: Some(_), .. } => "filename",
                Source::Git { unpack_target: Some(_), .. } => "unpack_target",
                _ => kind,
            };
            if let Some(first) = dests.get(&dest) {
                let span = t.get(key).map_or(t.span.clone(), |v| v.span());
                let fix = if matches!(source, Source::File { .. }) {
                    "filename"
                } else {
                    "unpack_target"
                };
                self.report(
                    &span,
                    t.field(key),
                    Rule::new(format!("{dest:?} in srcdir is already used by {first}"))
                        .help(format!("set a different `{fix}`")),
                );
                return None;
            }
            dests.insert(dest, t.field.clone());
        }
        Some(source)
    }

    fn products(&mut self, root: &Table<'_, '_>) -> Option<Vec<Product>> {
        let tables = self.table_list(root, "products")?;
        let mut out = Some(Vec::new());
        let mut variables: BTreeMap<String, String> = BTreeMap::new();
        for t in &tables {
            let Some(product) = self.product(t) else {
                out = None;
                continue;
            };
            let variable = product.variable().to_owned();
            if let Some(first) = variables.get(&variable) {
                let span = t.get("variable").map_or(t.span.clone(), |v| v.span());
                self.report(
                    &span,
                    t.field("variable"),
                    Rule::new(format!("variable {variable:?} is already used by {first}"))
                        .help("give each product its own `variable = \"...\"`"),
                );
                out = None;
                continue;
            }
            variables.insert(variable, t.field.clone());
            if let Some(o) = &mut out {
                o.push(product);
            }
        }
        out
    }

    fn product(&mut self, t: &Table<'_, '_>) -> Option<Product> {
        let kind = self.entry_kind(
            t,
            PRODUCT_KINDS,
            PRODUCT_KEYS,
            product_keys,
            &|kind, key| {
                (kind == "file" && key == "dir").then(|| {
                    Rule::new("`dir` does not apply to file products")
                        .help("put the directory into the path: file = \"dir/name\"")
                })
            },
            "[[products]]",
        )?;
        let variable = self.opt_str(t, "variable", |s| {
            if validate::is_identifier(s) {
                Ok(s.to_owned())
            } else {
                Err(Rule::new(format!("{s:?} is not a valid variable name")).help(format!(
                    "use ASCII letters, digits and `_`, e.g. {:?}",
                    validate::to_identifier(s)
                )))
            }
        });
        match kind {
            "library" | "executable" => {
                let names =
                    self.str_or_list(t.get(kind)?, &t.field(kind), &|s| product_name(s, kind));
                let dir = self
                    .opt_str(t, "dir", |s| validate::inner_path(s, "dir").map(|_| s.to_owned()));
                let (names, dir, variable) = (names?, dir?, variable?);
                let variable = variable.unwrap_or_else(|| validate::to_identifier(&names[0]));
                Some(if kind == "library" {
                    Product::Library { names, variable, dir }
                } else {
                    Product::Executable { names, variable, dir }
                })
            }
            _ => {
                let path = self.req_str(t, "file", "", |s| {
                    validate::inner_path(s, "file path").map(|_| s.to_owned())
                });
                let (path, variable) = (path?, variable?);
                let variable = variable.unwrap_or_else(|| Product::default_file_variable(&path));
                Some(Product::File { path, variable })
            }
        }
    }

    fn dependencies(&mut self, root: &Table<'_, '_>) -> Option<Vec<Dependency>> {
        let tables = self.table_list(root, "dependencies")?;
        let mut out = Some(Vec::new());
        for t in &tables {
            match self.dependency(t) {
                Some(d) => {
                    if let Some(o) = &mut out {
                        o.push(d);
                    }
                }
                None => out = None,
            }
        }
        out
    }

    /// One `[[dependencies]]` table: `name`, and/or exactly one of `recipe` and `artifact`
    /// (`artifact` with `sha256` and optional `git-tree-sha1`); `kind`, `compat`, `platforms`.
    fn dependency(&mut self, t: &Table<'_, '_>) -> Option<Dependency> {
        let has = |k: &str| t.get(k).is_some();
        let (is_recipe, is_artifact) = (has("recipe"), has("artifact"));
        self.check_keys(t, DEPENDENCY_KEYS, &|_| None);
        if is_recipe && is_artifact {
            let span = t.map.get_key_value("artifact").map_or(t.span.clone(), |(k, _)| k.span());
            self.report(
                &span,
                t.field("artifact"),
                Rule::new(format!(
                    "{} has both `recipe` and `artifact`, but a dependency comes from one of them",
                    t.what()
                ))
                .help("keep one: a local recipe to build, or a prebuilt artifact to install"),
            );
            return None;
        }
        let mut ok = true;
        for key in ["sha256", "git-tree-sha1"] {
            if let (false, Some((k, _))) = (is_artifact, t.map.get_key_value(key)) {
                let help = if is_recipe {
                    "remove it: a recipe dependency is pinned by its own sources".to_owned()
                } else {
                    format!("`{key}` pins an `artifact = URL`; add the URL or remove `{key}`")
                };
                self.report(
                    &k.span(),
                    t.field(key),
                    Rule::new(format!(
                        "`{key}` does not apply to {} dependencies",
                        if is_recipe { "recipe" } else { "JLL (by name)" }
                    ))
                    .help(help),
                );
                ok = false;
            }
        }
        let name = self.opt_str(t, "name", validate::package_name);
        if !is_recipe
            && !is_artifact
            && !has("name")
            && !["name", "recipe", "artifact"]
                .iter()
                .any(|k| self.suggested.contains(&(t.field.clone(), (*k).to_owned())))
        {
            self.report(
                &t.span.clone(),
                t.field.clone(),
                Rule::new(format!("{} has none of `name`, `recipe`, `artifact`", t.what())).help(
                    "name the package (`name = \"Zlib_jll\"`), or point at a recipe \
                     (`recipe = \"../zlib/recipe.toml\"`) or an artifact (`artifact = URL` with `sha256`)",
                ),
            );
            ok = false;
        }
        let source = if is_recipe {
            self.req_str(t, "recipe", "", recipe_path).map(|path| DependencySource::Recipe { path })
        } else if is_artifact {
            let url = self.req_str(t, "artifact", "", |s| validate::url(s).map(|_| s.to_owned()));
            let sha256 =
                self.req_str(t, "sha256", "sha256 = \"<64 hex digits>\"", validate::sha256);
            let tree = self.opt_str(t, "git-tree-sha1", validate::git_tree_sha1);
            match (url, sha256, tree) {
                (Some(url), Some(sha256), Some(git_tree_sha1)) => {
                    Some(DependencySource::Artifact { url, sha256, git_tree_sha1 })
                }
                _ => None,
            }
        } else {
            Some(DependencySource::Jll)
        };
        let kind = self.opt_str(t, "kind", |s| {
            s.parse::<DependencyKind>().map_err(|e| {
                let names = DependencyKind::ALL.map(|k| k.as_str());
                match validate::suggest(s, &names) {
                    Some(best) => Rule::new(e).help(format!("did you mean {best:?}?")),
                    None => Rule::new(e),
                }
            })
        });
        let compat = self.opt_str(t, "compat", validate::compat);
        let platforms = match t.get("platforms") {
            Some(v) => self
                .platform_list(
                    v,
                    &t.field("platforms"),
                    "remove `platforms` to use the dependency on every target, or list the targets that need it",
                )
                .map(Some),
            None => Some(None),
        };
        let (name, source, kind, compat, platforms) = (name?, source?, kind?, compat?, platforms?);
        ok.then_some(Dependency { name, kind: kind.unwrap_or_default(), source, compat, platforms })
    }

    fn source_date_epoch(&mut self, root: &Table<'_, '_>) -> Option<i64> {
        let Some(v) = root.get("source_date_epoch") else { return Some(0) };
        let DeValue::Integer(i) = v.get_ref() else {
            self.type_error(v, "source_date_epoch", "an integer (seconds since 1970-01-01 UTC)");
            return None;
        };
        match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) if n >= 0 => Some(n),
            _ => {
                self.report(
                    &v.span(),
                    "source_date_epoch",
                    Rule::new(format!("{i} is not a valid timestamp"))
                        .help("use an integer >= 0 (BinaryBuilder uses 0)"),
                );
                None
            }
        }
    }

    fn environment(&mut self, root: &Table<'_, '_>) -> Option<BTreeMap<String, String>> {
        let Some(v) = root.get("environment") else { return Some(BTreeMap::new()) };
        let t = self.table(v, "environment".into(), "a table ([environment])")?;
        let mut out = Some(BTreeMap::new());
        for (key, span) in t.keys() {
            let field = t.field(key);
            if let Err(r) = validate::env_name(key) {
                self.report(&span, field, r);
                out = None;
                continue;
            }
            let value = t.get(key).expect("key listed");
            let Some(s) = self.string(value, &field) else {
                out = None;
                continue;
            };
            if s.contains('\0') {
                self.report(&value.span(), field, Rule::new("the value contains a NUL character"));
                out = None;
                continue;
            }
            if let Some(o) = &mut out {
                o.insert(key.to_owned(), s.to_owned());
            }
        }
        out
    }

    fn network(&mut self, root: &Table<'_, '_>) -> Option<bool> {
        let Some(v) = root.get("network") else { return Some(false) };
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            _ => {
                self.type_error(v, "network", "a boolean (true or false)");
                None
            }
        }
    }

    /// `platform_independent = true`: allowed with exactly one platform (the one it is built on).
    fn platform_independent(
        &mut self,
        root: &Table<'_, '_>,
        platforms: Option<&[String]>,
    ) -> Option<bool> {
        let Some(v) = root.get("platform_independent") else { return Some(false) };
        let DeValue::Boolean(b) = v.get_ref() else {
            self.type_error(v, "platform_independent", "a boolean (true or false)");
            return None;
        };
        if *b && platforms.is_some_and(|p| p.len() != 1) {
            self.report(
                &v.span(),
                "platform_independent",
                Rule::new("a platform-independent recipe lists exactly one platform").help(
                    "keep the one platform it is built on (e.g. platforms = [\"x86_64-linux-gnu\"]); \
                     its artifact is installed for every target",
                ),
            );
            return None;
        }
        Some(*b)
    }

    fn normalize(&mut self, root: &Table<'_, '_>) -> Option<NormalizeConfig> {
        let Some(v) = root.get("normalize") else { return Some(NormalizeConfig::default()) };
        let t = self.table(v, "normalize".into(), "a table ([normalize])")?;
        self.check_keys(&t, &["ignore"], &|_| None);
        let tables = self.table_list(&t, "ignore")?;
        let mut out = Some(Vec::new());
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for rt in &tables {
            self.check_keys(rt, &["name", "paths", "reason"], &|_| None);
            let name = self.req_str(rt, "name", "name = \"rule-name\"", |s| {
                if s.trim().is_empty() {
                    Err(Rule::new("the rule name is empty"))
                } else if s.chars().any(char::is_control) {
                    Err(Rule::new("the rule name contains control characters"))
                } else {
                    Ok(s.to_owned())
                }
            });
            let name = name.filter(|n| match names.get(n) {
                Some(first) => {
                    let span = rt.get("name").map_or(rt.span.clone(), |v| v.span());
                    let rule = Rule::new(format!("rule name {n:?} is already used by {first}"))
                        .help("give each rule a unique name");
                    self.report(&span, rt.field("name"), rule);
                    false
                }
                None => {
                    names.insert(n.clone(), rt.field.clone());
                    true
                }
            });
            let paths = match rt.get("paths") {
                Some(pv) => self.str_or_list(pv, &rt.field("paths"), &validate::glob),
                None => {
                    self.missing(rt, "paths", "paths = [\"share/doc/**\"]");
                    None
                }
            };
            let reason = self.opt_str(rt, "reason", |s| Ok(s.to_owned()));
            match (name, paths, reason) {
                (Some(name), Some(paths), Some(reason)) => {
                    if let Some(o) = &mut out {
                        o.push(IgnoreRule { name, paths, reason });
                    }
                }
                _ => out = None,
            }
        }
        out.map(|ignore| NormalizeConfig { ignore })
    }
}

/// Why a source key that exists for other kinds does not apply to `kind`.
fn misplaced_source_key(kind: &str, key: &str) -> Rule {
    let owners: Vec<&str> = SOURCE_KINDS
        .iter()
        .copied()
        .filter(|k| source_keys(k).contains(&key) && *k != key)
        .collect();
    if SOURCE_KINDS.contains(&key) {
        // Two kinds: already reported by `kind`.
        return Rule::new(format!("`{key}` conflicts with `{kind}`"))
            .help("split it into two [[sources]] entries");
    }
    let help = match (kind, key) {
        ("directory", "sha256") => "remove it: directory sources are not hashed".to_owned(),
        ("git", "sha256") => "git sources are pinned by `commit`, not `sha256`".to_owned(),
        (_, "commit") => {
            format!("{kind} sources are pinned by `sha256`, git sources by `commit`")
        }
        (_, "unpack_target") if kind == "directory" => {
            "use `target` for directory sources".to_owned()
        }
        (_, "target") if kind != "directory" && kind != "file" => "use `unpack_target`".to_owned(),
        (_, "unpack_target") if kind == "file" => {
            "use `filename` to place a file source".to_owned()
        }
        _ => format!("remove it: `{key}` is used with {} sources", owners.join(" and ")),
    };
    Rule::new(format!("`{key}` does not apply to {kind} sources")).help(help)
}

/// A library or executable name: a plain file name, without a shared-library extension.
fn product_name(s: &str, kind: &str) -> validate::RuleResult {
    validate::file_name(s, &format!("{kind} name"))?;
    if kind == "library" {
        for ext in [".so", ".dylib", ".dll", ".a"] {
            if let Some(stem) = s.strip_suffix(ext).filter(|_| s.len() > ext.len()) {
                return Err(Rule::new(format!("library name {s:?} has an extension"))
                    .help(format!("write {stem:?} (the extension depends on the platform)")));
            }
        }
        if s.contains(".so.") {
            return Err(Rule::new(format!("library name {s:?} has a version suffix"))
                .help("write the name without `.so.N`"));
        }
    }
    Ok(())
}

/// A dependency recipe path: relative to this recipe (may use `..`).
fn recipe_path(s: &str) -> validate::RuleResult<String> {
    if s.is_empty() {
        return Err(Rule::new("the recipe path is empty"));
    }
    if s.starts_with('/') || s.contains("://") {
        return Err(Rule::new(format!("{s:?} is not a relative path")).help(
            "write the path of the other recipe relative to this one, e.g. \"../zlib/recipe.toml\"",
        ));
    }
    if s.chars().any(|c| c.is_control()) || s.contains('\\') {
        return Err(Rule::new(format!("{s:?} contains control characters or backslashes")));
    }
    Ok(s.to_owned())
}
