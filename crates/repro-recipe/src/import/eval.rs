//! A small evaluator for the Julia subset recipes use.
//!
//! It runs the recipe's top-level statements (following `include`s), calls the recipe's own
//! functions, and models the BinaryBuilder API (`ArchiveSource`, `supported_platforms`, `filter`,
//! `Platform`, products, dependencies, `build_tarballs`). Whatever it cannot compute becomes
//! [`Value::Unknown`] plus a warning at the construct; it never guesses silently. Evaluation is
//! bounded: a step budget, a call depth, an include depth and count.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::ast::{Arg, Expr, ExprKind, FunctionDef, StrPiece};
use super::platform::{self, Platform};
use super::value::{DepValue, JVersion, LambdaValue, Unknown, Value};
use super::{ImportError, Loc};
use crate::model::{Product, Source};

/// Evaluation steps before giving up (loops and recursion in hostile input).
const MAX_STEPS: u64 = 2_000_000;
/// Nested function calls.
const MAX_CALL_DEPTH: usize = 64;
/// Nested includes.
pub(crate) const MAX_INCLUDE_DEPTH: usize = 8;
/// Files read in total (the recipe and its includes).
pub(crate) const MAX_FILES: usize = 32;
/// Longest vector a range or repetition may create.
const MAX_VECTOR: usize = 100_000;

/// Functions the evaluator implements.
const BUILTINS: &[&str] = &[
    "supported_platforms",
    "expand_cxxstring_abis",
    "expand_gfortran_versions",
    "expand_microarchitectures",
    "filter",
    "filter!",
    "map",
    "collect",
    "vcat",
    "push!",
    "pushfirst!",
    "append!",
    "unique",
    "setdiff",
    "length",
    "isempty",
    "first",
    "last",
    "in",
    "string",
    "joinpath",
    "basename",
    "dirname",
    "lowercase",
    "uppercase",
    "replace",
    "startswith",
    "endswith",
    "occursin",
    "strip",
    "tuple",
    "haskey",
    "get",
    "error",
    "println",
    "print",
    "arch",
    "os",
    "libc",
    "call_abi",
    "nbits",
    "proc_family",
    "triplet",
    "cxxstring_abi",
    "libgfortran_version",
    "libstdcxx_version",
    "sanitize",
    "march",
    "islinux",
    "iswindows",
    "isapple",
    "isfreebsd",
    "isbsd",
    "isunix",
];

/// Type names; calling them constructs a value.
const TYPES: &[&str] = &[
    "ArchiveSource",
    "GitSource",
    "FileSource",
    "DirectorySource",
    "AbstractSource",
    "LibraryProduct",
    "ExecutableProduct",
    "FileProduct",
    "FrameworkProduct",
    "Product",
    "Dependency",
    "BuildDependency",
    "HostBuildDependency",
    "RuntimeDependency",
    "AbstractDependency",
    "PackageSpec",
    "Platform",
    "AbstractPlatform",
    "AnyPlatform",
    "Linux",
    "MacOS",
    "Windows",
    "FreeBSD",
    "VersionNumber",
    "String",
    "AbstractString",
    "Symbol",
    "Dict",
    "Pair",
    "Any",
    "Int",
    "Bool",
    "Vector",
    "Tuple",
    "Nothing",
];

const MODULES: &[&str] = &[
    "Sys",
    "Base",
    "BinaryBuilder",
    "BinaryBuilderBase",
    "Pkg",
    "BinaryPlatforms",
    "Main",
    "Core",
];

/// One file the evaluator has read.
pub(crate) struct FileInfo {
    /// The path as shown to the user.
    pub(crate) path: PathBuf,
    /// The canonical path (for include resolution and cycle checks).
    pub(crate) canonical: PathBuf,
    pub(crate) chars: Vec<char>,
}

/// A warning before it is turned into a public [`super::ImportWarning`].
#[derive(Debug, Clone)]
pub(crate) struct Warning {
    pub(crate) loc: Loc,
    pub(crate) construct: String,
    pub(crate) message: String,
}

/// The recorded `build_tarballs(...)` call.
pub(crate) struct BuildCall {
    pub(crate) loc: Loc,
    /// The positional arguments after `ARGS`, with where each was written.
    pub(crate) positional: Vec<(Value, Loc)>,
    /// Keyword arguments: name, value and the source text of the value.
    pub(crate) kwargs: Vec<(String, Value, String)>,
}

/// Non-local control flow and hard errors.
pub(crate) enum Ctrl {
    Err(Box<ImportError>),
    Return(Value),
    Break,
    Continue,
}

impl From<ImportError> for Ctrl {
    fn from(e: ImportError) -> Self {
        Ctrl::Err(Box::new(e))
    }
}

type R<T> = Result<T, Ctrl>;

/// Evaluated call arguments: positional values and keyword arguments.
type Args = (Vec<Value>, Vec<(String, Value)>);

pub(crate) struct Interp {
    pub(crate) files: Vec<FileInfo>,
    root: PathBuf,
    globals: HashMap<String, Value>,
    frames: Vec<HashMap<String, Value>>,
    pub(crate) warnings: Vec<Warning>,
    seen: HashSet<(usize, u32, u32, String)>,
    quiet: usize,
    steps: u64,
    call_depth: usize,
    include_stack: Vec<usize>,
    pub(crate) build_calls: Vec<BuildCall>,
    pub(crate) notes: Vec<String>,
    /// Values of `end` for the innermost index expressions.
    end_values: Vec<i64>,
}

impl Interp {
    pub(crate) fn new(root: PathBuf) -> Self {
        Interp {
            files: Vec::new(),
            root,
            globals: HashMap::new(),
            frames: Vec::new(),
            warnings: Vec::new(),
            seen: HashSet::new(),
            quiet: 0,
            steps: 0,
            call_depth: 0,
            include_stack: Vec::new(),
            build_calls: Vec::new(),
            notes: Vec::new(),
            end_values: Vec::new(),
        }
    }

    /// Evaluates the main recipe file.
    pub(crate) fn run_main(&mut self, path: &Path, canonical: PathBuf) -> Result<(), ImportError> {
        let (text, stmts) = super::load_file(path, 0)?;
        self.files.push(FileInfo {
            path: path.to_path_buf(),
            canonical,
            chars: text.chars().collect(),
        });
        self.include_stack.push(0);
        let r = self.exec_top(&stmts);
        self.include_stack.pop();
        r
    }

    fn exec_top(&mut self, stmts: &[Expr]) -> Result<(), ImportError> {
        for s in stmts {
            match self.eval(s) {
                Ok(_) => {}
                Err(Ctrl::Err(e)) => return Err(*e),
                Err(Ctrl::Return(_)) => {
                    self.warn_at(
                        s,
                        "`return` at the top level of a file stops evaluating it".into(),
                    );
                    break;
                }
                Err(Ctrl::Break | Ctrl::Continue) => {
                    self.warn_at(s, "`break`/`continue` outside a loop".into());
                }
            }
        }
        Ok(())
    }

    /// A global's value after evaluation (for recipes without `build_tarballs`).
    pub(crate) fn global(&self, name: &str) -> Option<&Value> {
        self.globals.get(name)
    }

    // ---- warnings and snippets ----

    pub(crate) fn snippet(&self, e: &Expr) -> String {
        self.snippet_range(e.loc, e.end)
    }

    pub(crate) fn snippet_range(&self, loc: Loc, end: usize) -> String {
        let Some(f) = self.files.get(loc.file) else { return String::new() };
        let end = end.min(f.chars.len()).max(loc.offset.min(f.chars.len()));
        let text: String = f.chars[loc.offset.min(f.chars.len())..end].iter().collect();
        let mut one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.chars().count() > 80 {
            one_line = one_line.chars().take(77).collect::<String>() + "...";
        }
        one_line
    }

    pub(crate) fn warn(&mut self, loc: Loc, construct: String, message: String) {
        if self.quiet > 0 {
            return;
        }
        let key = (loc.file, loc.line, loc.col, message.clone());
        if self.seen.insert(key) {
            self.warnings.push(Warning { loc, construct, message });
        }
    }

    fn warn_at(&mut self, e: &Expr, message: String) {
        let construct = self.snippet(e);
        self.warn(e.loc, construct, message);
    }

    /// Warns at `e` and returns an unknown value carrying the reason.
    fn unknown(&mut self, e: &Expr, reason: impl Into<String>) -> Value {
        let reason = reason.into();
        let construct = self.snippet(e);
        self.warn(e.loc, construct.clone(), reason.clone());
        Value::Unknown(Rc::new(Unknown { loc: e.loc, construct, reason }))
    }

    fn error_at(&self, loc: Loc, message: String) -> ImportError {
        ImportError::Eval {
            file: self.file_path(loc),
            line: loc.line as usize,
            column: loc.col as usize,
            message,
        }
    }

    pub(crate) fn file_path(&self, loc: Loc) -> PathBuf {
        self.files.get(loc.file).map(|f| f.path.clone()).unwrap_or_default()
    }

    fn step(&mut self, e: &Expr) -> R<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(self
                .error_at(e.loc, format!("evaluation took more than {MAX_STEPS} steps; the recipe is too complex to import"))
                .into());
        }
        Ok(())
    }

    // ---- variables ----

    fn lookup(&self, name: &str) -> Option<Value> {
        if let Some(f) = self.frames.last()
            && let Some(v) = f.get(name)
        {
            return Some(v.clone());
        }
        if let Some(v) = self.globals.get(name) {
            return Some(v.clone());
        }
        builtin_value(name)
    }

    fn assign_var(&mut self, name: &str, v: Value, global: bool) {
        match self.frames.last_mut() {
            Some(f) if !global => {
                f.insert(name.to_owned(), v);
            }
            _ => {
                self.globals.insert(name.to_owned(), v);
            }
        }
    }

    /// Writes back a mutated variable (`push!(x, ...)`) where it lives.
    fn update_var(&mut self, name: &str, v: Value) {
        if let Some(f) = self.frames.last_mut()
            && f.contains_key(name)
        {
            f.insert(name.to_owned(), v);
            return;
        }
        if self.globals.contains_key(name) || self.frames.is_empty() {
            self.globals.insert(name.to_owned(), v);
        } else if let Some(f) = self.frames.last_mut() {
            f.insert(name.to_owned(), v);
        }
    }

    // ---- statements ----

    fn eval_block(&mut self, stmts: &[Expr]) -> R<Value> {
        let mut last = Value::Nothing;
        for s in stmts {
            last = self.eval(s)?;
        }
        Ok(last)
    }

    pub(crate) fn eval(&mut self, e: &Expr) -> R<Value> {
        self.step(e)?;
        Ok(match &e.kind {
            ExprKind::Ident(n) => match self.lookup(n) {
                Some(v) => v,
                None => self.unknown(e, format!("undefined name `{n}`")),
            },
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Nothing => Value::Nothing,
            ExprKind::Char(c) => Value::Char(*c),
            ExprKind::Symbol(s) => Value::Symbol(s.clone()),
            ExprKind::Str(pieces) => self.eval_string(pieces)?,
            ExprKind::StrMacro { name, content } => match name.as_str() {
                "raw" => Value::Str(content.clone()),
                "v" => match JVersion::parse(content) {
                    Some(v) => Value::Version(v),
                    None => self.unknown(e, format!("invalid version literal v{content:?}")),
                },
                other => {
                    self.unknown(e, format!("`{other}\"...\"` string literals are not supported"))
                }
            },
            ExprKind::Macro { name, args } => self.eval_macro(e, name, args)?,
            ExprKind::Call { callee, args } => self.eval_call(e, callee, args)?,
            ExprKind::Field { base, name } => {
                let b = self.eval(base)?;
                self.field(e, b, name)
            }
            ExprKind::Index { base, items, concat } => self.eval_index(e, base, items, *concat)?,
            ExprKind::Vector { items, concat } => {
                let vals = self.eval_items(items)?;
                Value::Vector(if *concat { flatten(vals) } else { vals })
            }
            ExprKind::Comprehension { body, var, iter, cond } => {
                self.eval_comprehension(e, body, var, iter, cond.as_deref())?
            }
            ExprKind::Tuple(items) => Value::Tuple(self.eval_items(items)?),
            ExprKind::NamedTuple(fields) => {
                let mut out = Vec::new();
                for (n, v) in fields {
                    out.push((n.clone(), self.eval(v)?));
                }
                Value::NamedTuple(out)
            }
            ExprKind::Binary { op, lhs, rhs } => self.eval_binary(e, op, lhs, rhs)?,
            ExprKind::Unary { op, expr } => {
                let v = self.eval(expr)?;
                self.unary(e, op, v)
            }
            ExprKind::Ternary { cond, then, otherwise } => {
                let c = self.eval(cond)?;
                match c {
                    Value::Bool(true) => self.eval(then)?,
                    Value::Bool(false) => self.eval(otherwise)?,
                    Value::Unknown(u) => Value::Unknown(u),
                    other => self
                        .unknown(cond, format!("condition is a {}, not a Bool", other.type_name())),
                }
            }
            ExprKind::Lambda { params, body } => Value::Lambda(Rc::new(LambdaValue {
                params: params.clone(),
                body: (**body).clone(),
                captured: self.frames.last().cloned().unwrap_or_default(),
            })),
            ExprKind::Splat(_) => {
                self.unknown(e, "`...` is only supported in call arguments and vectors")
            }
            ExprKind::TypeAssert { expr, .. } => self.eval(expr)?,
            ExprKind::End => match self.end_values.last() {
                Some(n) => Value::Int(*n),
                None => self.unknown(e, "`end` outside an index"),
            },
            ExprKind::Assign { op, lhs, rhs } => self.eval_assign(e, op, lhs, rhs, false)?,
            ExprKind::Block(stmts) => self.eval_block(stmts)?,
            ExprKind::If { branches, otherwise } => {
                for (cond, body) in branches {
                    match self.eval(cond)? {
                        Value::Bool(true) => return self.eval_block(body),
                        Value::Bool(false) => continue,
                        Value::Unknown(u) => {
                            self.warn(
                                cond.loc,
                                self.snippet(cond),
                                format!("cannot decide this `if` condition ({}); none of its branches is used", u.reason),
                            );
                            return Ok(Value::Unknown(u));
                        }
                        other => {
                            let t = other.type_name();
                            return Ok(self.unknown(cond, format!("`if` condition is a {t}, not a Bool; none of its branches is used")));
                        }
                    }
                }
                match otherwise {
                    Some(body) => self.eval_block(body)?,
                    None => Value::Nothing,
                }
            }
            ExprKind::For { var, iter, body } => self.eval_for(e, var, iter, body)?,
            ExprKind::While { .. } => {
                self.unknown(e, "`while` loops are not supported; the loop is not evaluated")
            }
            ExprKind::Function(def) => {
                let name = def.name.rsplit('.').next().unwrap_or(&def.name).to_owned();
                self.assign_var(&name, Value::Function(def.clone()), false);
                Value::Nothing
            }
            ExprKind::Return(v) => {
                let v = match v {
                    Some(v) => self.eval(v)?,
                    None => Value::Nothing,
                };
                return Err(Ctrl::Return(v));
            }
            ExprKind::Break => return Err(Ctrl::Break),
            ExprKind::Continue => return Err(Ctrl::Continue),
            ExprKind::Using(_) => Value::Nothing,
            ExprKind::Decl { kind, expr } => match &expr.kind {
                ExprKind::Assign { op, lhs, rhs } => {
                    self.eval_assign(expr, op, lhs, rhs, kind == "global")?
                }
                _ => Value::Nothing,
            },
            ExprKind::Other(what) => {
                self.unknown(e, format!("{what} is not supported; it is not evaluated"))
            }
        })
    }

    fn eval_items(&mut self, items: &[Expr]) -> R<Vec<Value>> {
        let mut out = Vec::new();
        for it in items {
            if let ExprKind::Splat(inner) = &it.kind {
                let v = self.eval(inner)?;
                match v {
                    Value::Vector(xs) | Value::Tuple(xs) => out.extend(xs),
                    Value::Unknown(u) => out.push(Value::Unknown(u)),
                    other => {
                        let t = other.type_name();
                        out.push(self.unknown(it, format!("cannot splat a {t}")));
                    }
                }
            } else {
                out.push(self.eval(it)?);
            }
        }
        Ok(out)
    }

    fn eval_string(&mut self, pieces: &[StrPiece]) -> R<Value> {
        let mut s = String::new();
        for p in pieces {
            match p {
                StrPiece::Lit(l) => s.push_str(l),
                StrPiece::Interp { expr, text } => {
                    self.quiet += 1;
                    let v = self.eval(expr);
                    self.quiet -= 1;
                    let v = v?;
                    match v.to_julia_string() {
                        Some(r) => s.push_str(&r),
                        None => {
                            let why = match &v {
                                Value::Unknown(u) => u.reason.clone(),
                                other => format!("a {} cannot be rendered", other.type_name()),
                            };
                            self.warn(
                                expr.loc,
                                text.clone(),
                                format!("cannot resolve the interpolation `{text}` ({why}); it is kept as written"),
                            );
                            s.push_str(text);
                        }
                    }
                }
            }
        }
        Ok(Value::Str(s))
    }

    fn eval_macro(&mut self, e: &Expr, name: &str, args: &[Expr]) -> R<Value> {
        let dir = || -> Option<String> {
            let f = self.files.get(e.loc.file)?;
            Some(f.canonical.parent()?.to_string_lossy().into_owned())
        };
        Ok(match name {
            "__DIR__" => match dir() {
                Some(d) => Value::Str(d),
                None => self.unknown(e, "cannot determine `@__DIR__`"),
            },
            "__FILE__" => {
                Value::Str(self.files[e.loc.file].canonical.to_string_lossy().into_owned())
            }
            // Output-only macros have no effect on the recipe.
            "show" | "info" | "warn" | "debug" | "assert" => {
                for a in args {
                    self.quiet += 1;
                    let r = self.eval(a);
                    self.quiet -= 1;
                    r?;
                }
                Value::Nothing
            }
            _ => self.unknown(e, format!("macro `@{name}` is not supported; it is not evaluated")),
        })
    }

    fn field(&mut self, e: &Expr, base: Value, name: &str) -> Value {
        match base {
            Value::Unknown(u) => Value::Unknown(u),
            Value::Module(m) => {
                if m == "Sys" {
                    if matches!(
                        name,
                        "islinux" | "iswindows" | "isapple" | "isfreebsd" | "isbsd" | "isunix"
                    ) {
                        return Value::Builtin(name.to_owned());
                    }
                    return self.unknown(e, format!("`Sys.{name}` is not supported"));
                }
                match builtin_value(name) {
                    Some(v) => v,
                    None => self.unknown(e, format!("`{m}.{name}` is not supported")),
                }
            }
            Value::Version(v) => match name {
                "major" => Value::Int(v.component(0) as i64),
                "minor" => Value::Int(v.component(1) as i64),
                "patch" => Value::Int(v.component(2) as i64),
                _ => self.unknown(e, format!("VersionNumber has no supported field `{name}`")),
            },
            Value::NamedTuple(fields) => match fields.into_iter().find(|(n, _)| n == name) {
                Some((_, v)) => v,
                None => self.unknown(e, format!("no field `{name}`")),
            },
            other => {
                let t = other.type_name();
                self.unknown(e, format!("field `{name}` of a {t} is not supported"))
            }
        }
    }

    fn eval_index(&mut self, e: &Expr, base: &Expr, items: &[Expr], concat: bool) -> R<Value> {
        let b = self.eval(base)?;
        if let Value::Type(_) = b {
            // `Dependency[...]`: a typed vector literal.
            let vals = self.eval_items(items)?;
            return Ok(Value::Vector(if concat { flatten(vals) } else { vals }));
        }
        let len = match &b {
            Value::Vector(v) | Value::Tuple(v) => v.len() as i64,
            Value::Str(s) => s.chars().count() as i64,
            _ => 0,
        };
        self.end_values.push(len);
        let idx = self.eval_items(items);
        self.end_values.pop();
        let idx = idx?;
        if let Some(u) = idx.iter().find_map(Value::unknown) {
            return Ok(Value::Unknown(u.clone()));
        }
        Ok(match (b, idx.as_slice()) {
            (Value::Unknown(u), _) => Value::Unknown(u),
            (Value::Vector(v) | Value::Tuple(v), [Value::Int(i)]) => {
                match usize::try_from(*i).ok().and_then(|i| i.checked_sub(1)).and_then(|i| v.get(i))
                {
                    Some(x) => x.clone(),
                    None => {
                        self.unknown(e, format!("index {i} is out of bounds (length {})", v.len()))
                    }
                }
            }
            (Value::Vector(v) | Value::Tuple(v), [Value::Vector(r)]) => {
                let mut out = Vec::new();
                for i in r {
                    match i {
                        Value::Int(i) if *i >= 1 && (*i as usize) <= v.len() => {
                            out.push(v[*i as usize - 1].clone())
                        }
                        _ => return Ok(self.unknown(e, "index out of bounds")),
                    }
                }
                Value::Vector(out)
            }
            (Value::Dict(d), [k]) => {
                let mut found = None;
                for (key, val) in &d {
                    if key.julia_eq(k) == Some(true) {
                        found = Some(val.clone());
                        break;
                    }
                }
                match found {
                    Some(v) => v,
                    None => self.unknown(e, "key not found in the Dict"),
                }
            }
            (Value::Platform(p), [Value::Str(k)]) => match platform_tag(&p, k) {
                Some(v) => Value::Str(v),
                None => Value::Nothing,
            },
            (b, _) => {
                let t = b.type_name();
                self.unknown(e, format!("indexing a {t} is not supported"))
            }
        })
    }

    fn eval_comprehension(
        &mut self,
        e: &Expr,
        body: &Expr,
        var: &str,
        iter: &Expr,
        cond: Option<&Expr>,
    ) -> R<Value> {
        let it = self.eval(iter)?;
        let xs = match iterate(it) {
            Ok(xs) => xs,
            Err(Some(u)) => return Ok(Value::Unknown(u)),
            Err(None) => return Ok(self.unknown(iter, "cannot iterate over this value")),
        };
        let mut out = Vec::new();
        self.frames_push_copy();
        let r = (|| -> R<Value> {
            for x in xs {
                self.step(e)?;
                self.assign_var(var, x, false);
                if let Some(c) = cond {
                    match self.eval(c)? {
                        Value::Bool(true) => {}
                        Value::Bool(false) => continue,
                        Value::Unknown(u) => return Ok(Value::Unknown(u)),
                        _ => return Ok(self.unknown(c, "comprehension condition is not a Bool")),
                    }
                }
                out.push(self.eval(body)?);
            }
            Ok(Value::Vector(std::mem::take(&mut out)))
        })();
        self.frames.pop();
        r
    }

    /// A new scope that sees the current locals (comprehensions, lambdas at top level).
    fn frames_push_copy(&mut self) {
        let f = self.frames.last().cloned().unwrap_or_default();
        self.frames.push(f);
    }

    fn eval_for(&mut self, e: &Expr, var: &Expr, iter: &Expr, body: &[Expr]) -> R<Value> {
        let it = self.eval(iter)?;
        let xs = match iterate(it) {
            Ok(xs) => xs,
            Err(Some(u)) => {
                self.warn(
                    e.loc,
                    self.snippet(iter),
                    format!("cannot iterate ({}); the loop is not evaluated", u.reason),
                );
                return Ok(Value::Unknown(u));
            }
            Err(None) => {
                return Ok(
                    self.unknown(iter, "cannot iterate over this value; the loop is not evaluated")
                );
            }
        };
        for x in xs {
            self.step(e)?;
            self.bind_pattern(var, x)?;
            match self.eval_block(body) {
                Ok(_) | Err(Ctrl::Continue) => {}
                Err(Ctrl::Break) => break,
                Err(other) => return Err(other),
            }
        }
        Ok(Value::Nothing)
    }

    fn bind_pattern(&mut self, target: &Expr, v: Value) -> R<()> {
        match &target.kind {
            ExprKind::Ident(n) => {
                self.assign_var(n, v, false);
                Ok(())
            }
            ExprKind::TypeAssert { expr, .. } => self.bind_pattern(expr, v),
            ExprKind::Tuple(items) => {
                let vals = match v {
                    Value::Tuple(xs) | Value::Vector(xs) => Some(xs),
                    Value::Pair(a, b) => Some(vec![*a, *b]),
                    _ => None,
                };
                match vals {
                    Some(xs) if xs.len() >= items.len() => {
                        for (t, x) in items.iter().zip(xs) {
                            self.bind_pattern(t, x)?;
                        }
                    }
                    _ => {
                        let u = self.unknown(target, "cannot destructure this value");
                        for t in items {
                            self.bind_pattern(t, u.clone())?;
                        }
                    }
                }
                Ok(())
            }
            _ => {
                self.warn_at(
                    target,
                    "unsupported assignment target; the assignment is ignored".into(),
                );
                Ok(())
            }
        }
    }

    fn eval_assign(
        &mut self,
        e: &Expr,
        op: &str,
        lhs: &Expr,
        rhs: &Expr,
        global: bool,
    ) -> R<Value> {
        // `f(x) = expr`: a short function definition.
        if let ExprKind::Call { callee, args } = &lhs.kind {
            let ExprKind::Ident(name) = &callee.kind else {
                return Ok(self.unknown(e, "unsupported function definition"));
            };
            return Ok(match super::parser::params_from_args(args.clone()) {
                Ok((params, kwparams)) => {
                    let def = FunctionDef {
                        name: name.clone(),
                        params,
                        kwparams,
                        body: vec![rhs.clone()],
                        loc: e.loc,
                    };
                    self.assign_var(name, Value::Function(Rc::new(def)), global);
                    Value::Nothing
                }
                Err(err) => self.unknown(e, err.message),
            });
        }
        let mut v = self.eval(rhs)?;
        if op != "=" {
            let cur = self.eval(lhs)?;
            let bop = &op[..op.len() - 1];
            v = self.binary_values(e, bop, cur, v);
        }
        match &lhs.kind {
            ExprKind::Ident(n) => self.assign_var(n, v.clone(), global),
            ExprKind::TypeAssert { expr, .. } if matches!(expr.kind, ExprKind::Ident(_)) => {
                if let ExprKind::Ident(n) = &expr.kind {
                    self.assign_var(n, v.clone(), global);
                }
            }
            ExprKind::Tuple(_) => self.bind_pattern(lhs, v.clone())?,
            _ => {
                self.warn_at(
                    lhs,
                    "assigning to this target is not supported; the assignment is ignored".into(),
                );
            }
        }
        Ok(v)
    }

    fn unary(&mut self, e: &Expr, op: &str, v: Value) -> Value {
        match (op, v) {
            (_, Value::Unknown(u)) => Value::Unknown(u),
            ("!", Value::Bool(b)) => Value::Bool(!b),
            (
                "!",
                f @ (Value::Builtin(_) | Value::Lambda(_) | Value::Function(_) | Value::Not(_)),
            ) => Value::Not(Box::new(f)),
            ("-", Value::Int(i)) => Value::Int(i.wrapping_neg()),
            ("-", Value::Float(f)) => Value::Float(-f),
            ("+", v @ (Value::Int(_) | Value::Float(_))) => v,
            (op, v) => {
                let t = v.type_name();
                self.unknown(e, format!("unary `{op}` on a {t} is not supported"))
            }
        }
    }

    fn eval_binary(&mut self, e: &Expr, op: &str, lhs: &Expr, rhs: &Expr) -> R<Value> {
        match op {
            "&&" | "||" => {
                let l = self.eval(lhs)?;
                return Ok(match (op, l) {
                    (_, Value::Unknown(u)) => Value::Unknown(u),
                    ("&&", Value::Bool(false)) => Value::Bool(false),
                    ("||", Value::Bool(true)) => Value::Bool(true),
                    (_, Value::Bool(_)) => self.eval(rhs)?,
                    (_, other) => {
                        let t = other.type_name();
                        self.unknown(lhs, format!("`{op}` needs a Bool, found a {t}"))
                    }
                });
            }
            "|>" => {
                let x = self.eval(lhs)?;
                let f = self.eval(rhs)?;
                return self.call_value(e, f, vec![x], Vec::new());
            }
            "=>" => {
                let a = self.eval(lhs)?;
                let b = self.eval(rhs)?;
                return Ok(Value::Pair(Box::new(a), Box::new(b)));
            }
            _ => {}
        }
        let l = self.eval(lhs)?;
        let r = self.eval(rhs)?;
        Ok(self.binary_values(e, op, l, r))
    }

    fn binary_values(&mut self, e: &Expr, op: &str, l: Value, r: Value) -> Value {
        use Value::*;
        if let Some(u) = l.unknown().or(r.unknown()) {
            return Unknown(u.clone());
        }
        let bad = |this: &mut Self, l: &Value, r: &Value| {
            let (a, b) = (l.type_name(), r.type_name());
            this.unknown(e, format!("`{op}` on {a} and {b} is not supported"))
        };
        match op {
            "==" | "===" => match l.julia_eq(&r) {
                Some(b) => Bool(b),
                None => bad(self, &l, &r),
            },
            "!=" | "!==" => match l.julia_eq(&r) {
                Some(b) => Bool(!b),
                None => bad(self, &l, &r),
            },
            "<" | "<=" | ">" | ">=" => {
                let ord = match (&l, &r) {
                    (Int(a), Int(b)) => Some(a.cmp(b)),
                    (Str(a), Str(b)) => Some(a.cmp(b)),
                    (Version(a), Version(b)) => Some(a.cmp(b)),
                    (Float(a), Float(b)) => a.partial_cmp(b),
                    (Int(a), Float(b)) => (*a as f64).partial_cmp(b),
                    (Float(a), Int(b)) => a.partial_cmp(&(*b as f64)),
                    _ => None,
                };
                match ord {
                    Some(o) => Bool(match op {
                        "<" => o.is_lt(),
                        "<=" => o.is_le(),
                        ">" => o.is_gt(),
                        _ => o.is_ge(),
                    }),
                    None => bad(self, &l, &r),
                }
            }
            "in" | "∉" => {
                let items = match &r {
                    Vector(xs) | Tuple(xs) => xs.clone(),
                    Dict(kv) => kv
                        .iter()
                        .map(|(k, v)| Pair(Box::new(k.clone()), Box::new(v.clone())))
                        .collect(),
                    _ => return bad(self, &l, &r),
                };
                let mut found = false;
                for x in &items {
                    match l.julia_eq(x) {
                        Some(true) => {
                            found = true;
                            break;
                        }
                        Some(false) => {}
                        None => return bad(self, &l, &r),
                    }
                }
                Bool(found == (op == "in"))
            }
            "isa" => match &r {
                Type(t) => Bool(isa(&l, t)),
                _ => bad(self, &l, &r),
            },
            "+" | "-" | "*" | "%" | "÷" | "^" | "&" | "|" | "/" => match (&l, &r) {
                (Int(a), Int(b)) => {
                    let v = match op {
                        "+" => a.checked_add(*b),
                        "-" => a.checked_sub(*b),
                        "*" => a.checked_mul(*b),
                        "%" => a.checked_rem(*b),
                        "÷" => a.checked_div(*b),
                        "^" => u32::try_from(*b).ok().and_then(|b| a.checked_pow(b)),
                        "&" => Some(a & b),
                        "|" => Some(a | b),
                        _ => {
                            return if *b == 0 {
                                bad(self, &l, &r)
                            } else {
                                Float(*a as f64 / *b as f64)
                            };
                        }
                    };
                    match v {
                        Some(v) => Int(v),
                        None => self
                            .unknown(e, format!("integer overflow or division by zero in `{op}`")),
                    }
                }
                (Float(_) | Int(_), Float(_) | Int(_)) => {
                    let (a, b) = (as_f64(&l), as_f64(&r));
                    match op {
                        "+" => Float(a + b),
                        "-" => Float(a - b),
                        "*" => Float(a * b),
                        "/" => Float(a / b),
                        _ => bad(self, &l, &r),
                    }
                }
                (Bool(a), Bool(b)) if op == "&" || op == "|" => {
                    Bool(if op == "&" { *a && *b } else { *a || *b })
                }
                (Str(_) | Char(_), Str(_) | Char(_)) if op == "*" => Str(format!(
                    "{}{}",
                    l.to_julia_string().unwrap_or_default(),
                    r.to_julia_string().unwrap_or_default()
                )),
                (Str(s), Int(n))
                    if op == "^"
                        && *n >= 0
                        && s.len().saturating_mul(*n as usize) <= MAX_VECTOR =>
                {
                    Str(s.repeat(*n as usize))
                }
                _ => bad(self, &l, &r),
            },
            ":" => match (&l, &r) {
                (Int(a), Int(b)) => {
                    if b.saturating_sub(*a) >= MAX_VECTOR as i64 {
                        self.unknown(e, "range is too long")
                    } else {
                        Vector((*a..=*b).map(Int).collect())
                    }
                }
                _ => bad(self, &l, &r),
            },
            _ => bad(self, &l, &r),
        }
    }

    // ---- calls ----

    fn eval_args(&mut self, args: &[Arg]) -> R<Args> {
        let mut pos = Vec::new();
        let mut kw = Vec::new();
        for a in args {
            match &a.name {
                Some(n) if n == "..." => {
                    let ExprKind::Splat(inner) = &a.value.kind else { continue };
                    match self.eval(inner)? {
                        Value::NamedTuple(fields) => kw.extend(fields),
                        Value::Unknown(u) => kw.push(("...".into(), Value::Unknown(u))),
                        other => {
                            let t = other.type_name();
                            let u = self.unknown(
                                &a.value,
                                format!("cannot splat a {t} as keyword arguments"),
                            );
                            kw.push(("...".into(), u));
                        }
                    }
                }
                Some(n) => {
                    let v = self.eval(&a.value)?;
                    kw.push((n.clone(), v));
                }
                None => pos.extend(self.eval_items(std::slice::from_ref(&a.value))?),
            }
        }
        Ok((pos, kw))
    }

    fn eval_call(&mut self, e: &Expr, callee: &Expr, args: &[Arg]) -> R<Value> {
        if let ExprKind::Ident(name) = &callee.kind
            && self.frames.last().is_none_or(|f| !f.contains_key(name))
            && !self.globals.contains_key(name)
        {
            match name.as_str() {
                "include" => return self.include(e, args),
                "build_tarballs" => return self.build_tarballs(e, args),
                _ => {}
            }
        }
        if let ExprKind::Ident(name) = &callee.kind
            && self.lookup(name).is_none()
        {
            return Ok(self.unknown(
                e,
                format!("unsupported function `{name}`: the recipe does not define it and the importer does not know it"),
            ));
        }
        let f = self.eval(callee)?;
        let (pos, kw) = self.eval_args(args)?;
        let result = self.call_value(e, f, pos, kw)?;
        // Mutating functions write back to the variable they were given.
        if let ExprKind::Ident(name) = &callee.kind
            && matches!(name.as_str(), "push!" | "pushfirst!" | "append!" | "filter!")
            && let Some(first) = args.iter().find(|a| a.name.is_none())
        {
            let target = if name == "filter!" {
                args.iter().filter(|a| a.name.is_none()).nth(1)
            } else {
                Some(first)
            };
            match target.map(|a| &a.value.kind) {
                Some(ExprKind::Ident(var)) => self.update_var(var, result.clone()),
                _ => {
                    let target = target.map_or(e, |t| &t.value);
                    self.warn_at(
                        target,
                        format!("`{name}` on something other than a variable is not tracked"),
                    );
                }
            }
        }
        Ok(result)
    }

    pub(crate) fn call_value(
        &mut self,
        e: &Expr,
        f: Value,
        pos: Vec<Value>,
        kw: Vec<(String, Value)>,
    ) -> R<Value> {
        match f {
            Value::Builtin(name) | Value::Type(name) => self.call_builtin(e, &name, pos, kw),
            Value::Lambda(l) => self.call_lambda(e, &l, pos),
            Value::Function(def) => self.call_function(e, &def, pos, kw),
            Value::Not(inner) => {
                let v = self.call_value(e, *inner, pos, kw)?;
                Ok(match v {
                    Value::Bool(b) => Value::Bool(!b),
                    Value::Unknown(u) => Value::Unknown(u),
                    other => {
                        let t = other.type_name();
                        self.unknown(e, format!("`!f` where f returns a {t}"))
                    }
                })
            }
            Value::Unknown(u) => Ok(Value::Unknown(u)),
            other => {
                let t = other.type_name();
                Ok(self.unknown(e, format!("cannot call a {t}")))
            }
        }
    }

    fn enter_call(&mut self, e: &Expr) -> R<()> {
        self.call_depth += 1;
        if self.call_depth > MAX_CALL_DEPTH {
            self.call_depth -= 1;
            return Err(self
                .error_at(e.loc, format!("function calls nested more than {MAX_CALL_DEPTH} deep (unbounded recursion?)"))
                .into());
        }
        Ok(())
    }

    fn call_lambda(&mut self, e: &Expr, l: &LambdaValue, pos: Vec<Value>) -> R<Value> {
        if pos.len() != l.params.len() {
            return Ok(self.unknown(
                e,
                format!("function expects {} argument(s), got {}", l.params.len(), pos.len()),
            ));
        }
        self.enter_call(e)?;
        let mut frame = l.captured.clone();
        for (p, v) in l.params.iter().zip(pos) {
            frame.insert(p.clone(), v);
        }
        self.frames.push(frame);
        let r = self.eval(&l.body);
        self.frames.pop();
        self.call_depth -= 1;
        returned(r)
    }

    fn call_function(
        &mut self,
        e: &Expr,
        def: &FunctionDef,
        pos: Vec<Value>,
        kw: Vec<(String, Value)>,
    ) -> R<Value> {
        self.enter_call(e)?;
        self.frames.push(HashMap::new());
        let r = self.call_function_inner(e, def, pos, kw);
        self.frames.pop();
        self.call_depth -= 1;
        returned(r)
    }

    fn call_function_inner(
        &mut self,
        e: &Expr,
        def: &FunctionDef,
        pos: Vec<Value>,
        mut kw: Vec<(String, Value)>,
    ) -> R<Value> {
        let mut pos = pos.into_iter();
        for p in &def.params {
            let v = if p.splat {
                Value::Tuple(pos.by_ref().collect())
            } else if let Some(v) = pos.next() {
                v
            } else if let Some(d) = &p.default {
                self.eval(d)?
            } else {
                self.unknown(
                    e,
                    format!("missing argument `{}` in the call to `{}`", p.name, def.name),
                )
            };
            self.assign_var(&p.name, v, false);
        }
        if pos.next().is_some() {
            self.warn_at(
                e,
                format!(
                    "too many arguments in the call to `{}`; the extra ones are ignored",
                    def.name
                ),
            );
        }
        for p in &def.kwparams {
            if p.splat {
                let rest = std::mem::take(&mut kw);
                self.assign_var(&p.name, Value::NamedTuple(rest), false);
                continue;
            }
            let v = match kw.iter().position(|(n, _)| *n == p.name) {
                Some(i) => kw.remove(i).1,
                None => match &p.default {
                    Some(d) => self.eval(d)?,
                    None => self.unknown(
                        e,
                        format!(
                            "missing keyword argument `{}` in the call to `{}`",
                            p.name, def.name
                        ),
                    ),
                },
            };
            self.assign_var(&p.name, v, false);
        }
        for (n, _) in kw {
            self.warn_at(e, format!("`{}` has no keyword argument `{n}`; it is ignored", def.name));
        }
        self.eval_block(&def.body)
    }

    // ---- include and build_tarballs ----

    fn include(&mut self, e: &Expr, args: &[Arg]) -> R<Value> {
        let (pos, _) = self.eval_args(args)?;
        let rel = match pos.as_slice() {
            [Value::Str(s)] => s.clone(),
            [Value::Unknown(u)] => {
                return Err(self
                    .include_error(e, format!("cannot resolve the included path ({})", u.reason))
                    .into());
            }
            _ => {
                return Err(self
                    .include_error(e, "`include` needs one string argument".into())
                    .into());
            }
        };
        if self.include_stack.len() > MAX_INCLUDE_DEPTH {
            return Err(self
                .include_error(e, format!("includes are nested more than {MAX_INCLUDE_DEPTH} deep"))
                .into());
        }
        if self.files.len() >= MAX_FILES {
            return Err(self
                .include_error(e, format!("more than {MAX_FILES} files are included"))
                .into());
        }
        let current = &self.files[e.loc.file].canonical;
        let base = current.parent().unwrap_or(Path::new("/")).to_path_buf();
        let candidate = base.join(&rel);
        let canonical = match candidate.canonicalize() {
            Ok(c) => c,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(self
                    .include_error(
                        e,
                        format!(
                            "included file {rel:?} does not exist (looked for {})",
                            candidate.display()
                        ),
                    )
                    .into());
            }
            Err(err) => {
                return Err(self
                    .include_error(e, format!("cannot resolve included file {rel:?}: {err}"))
                    .into());
            }
        };
        if !canonical.starts_with(&self.root) {
            return Err(self
                .include_error(
                    e,
                    format!(
                        "included file {rel:?} is outside the recipe root {}; pass --root to allow a wider root",
                        self.root.display()
                    ),
                )
                .into());
        }
        if self.include_stack.iter().any(|&i| self.files[i].canonical == canonical) {
            return Err(self
                .include_error(e, format!("include cycle: {rel:?} is already being evaluated"))
                .into());
        }
        let shown = self.files[e.loc.file]
            .path
            .parent()
            .map(|p| p.join(&rel))
            .unwrap_or_else(|| PathBuf::from(&rel));
        let index = self.files.len();
        let (text, stmts) = super::load_file(&canonical, index).map_err(|err| match err {
            ImportError::Syntax { line, column, message, .. } => {
                ImportError::Syntax { file: shown.clone(), line, column, message }
            }
            other => other,
        })?;
        self.files.push(FileInfo { path: shown, canonical, chars: text.chars().collect() });
        // `include` evaluates at global scope.
        let saved = std::mem::take(&mut self.frames);
        self.include_stack.push(index);
        let r = self.exec_top(&stmts);
        self.include_stack.pop();
        self.frames = saved;
        r?;
        Ok(Value::Nothing)
    }

    fn include_error(&self, e: &Expr, message: String) -> ImportError {
        ImportError::Include {
            file: self.file_path(e.loc),
            line: e.loc.line as usize,
            column: e.loc.col as usize,
            message,
        }
    }

    fn build_tarballs(&mut self, e: &Expr, args: &[Arg]) -> R<Value> {
        let mut positional: Vec<(Value, Loc)> = Vec::new();
        let mut kwargs = Vec::new();
        for a in args {
            match &a.name {
                Some(n) if n == "..." => {
                    let ExprKind::Splat(inner) = &a.value.kind else { continue };
                    match self.eval(inner)? {
                        Value::NamedTuple(fields) => {
                            for (k, v) in fields {
                                let text = v
                                    .to_julia_string()
                                    .map(|s| format!("{s:?}"))
                                    .unwrap_or_else(|| "(from a splat)".into());
                                kwargs.push((k, v, text));
                            }
                        }
                        Value::Unknown(_) => {}
                        _ => self.warn_at(
                            &a.value,
                            "cannot splat this value as keyword arguments".into(),
                        ),
                    }
                }
                Some(n) => {
                    let v = self.eval(&a.value)?;
                    let text = self.snippet(&a.value);
                    kwargs.push((n.clone(), v, text));
                }
                None => {
                    for v in self.eval_items(std::slice::from_ref(&a.value))? {
                        positional.push((v, a.value.loc));
                    }
                }
            }
        }
        match positional.first() {
            Some((Value::Args, _)) => {
                positional.remove(0);
            }
            Some((_, loc)) => {
                let loc = *loc;
                self.warn(
                    loc,
                    self.snippet(e),
                    "the first argument of `build_tarballs` is not `ARGS`".into(),
                );
            }
            None => {}
        }
        if !self.build_calls.is_empty() {
            self.warn_at(e, "another `build_tarballs` call; only the first one is imported".into());
            return Ok(Value::Nothing);
        }
        self.build_calls.push(BuildCall { loc: e.loc, positional, kwargs });
        Ok(Value::Nothing)
    }

    // ---- built-in functions ----

    fn call_builtin(
        &mut self,
        e: &Expr,
        name: &str,
        pos: Vec<Value>,
        kw: Vec<(String, Value)>,
    ) -> R<Value> {
        // Most functions propagate unknown arguments; collection builders keep them as elements,
        // and dependency constructors tolerate an unknown `platforms=`.
        let keeps_unknown = matches!(
            name,
            "vcat" | "push!" | "pushfirst!" | "append!" | "tuple" | "Pair" | "println" | "print"
        );
        if !keeps_unknown {
            if let Some(u) = pos.iter().find_map(Value::unknown) {
                return Ok(Value::Unknown(u.clone()));
            }
            let dep = matches!(
                name,
                "Dependency" | "BuildDependency" | "HostBuildDependency" | "RuntimeDependency"
            );
            if let Some(u) =
                kw.iter().filter(|(k, _)| !(dep && k == "platforms")).find_map(|(_, v)| v.unknown())
            {
                return Ok(Value::Unknown(u.clone()));
            }
        }
        let mut b = Call { it: self, e, name, pos, kw };
        b.run()
    }
}

/// One built-in call being evaluated.
struct Call<'i, 'e> {
    it: &'i mut Interp,
    e: &'e Expr,
    name: &'e str,
    pos: Vec<Value>,
    kw: Vec<(String, Value)>,
}

impl Call<'_, '_> {
    fn fail(&mut self, reason: impl Into<String>) -> R<Value> {
        Ok(self.it.unknown(self.e, reason))
    }

    fn take_kw(&mut self, key: &str) -> Option<Value> {
        let i = self.kw.iter().position(|(k, _)| k == key)?;
        Some(self.kw.remove(i).1)
    }

    /// Warns about keyword arguments nobody consumed.
    fn leftover_kwargs(&mut self) {
        let left: Vec<String> = self.kw.drain(..).map(|(k, _)| k).collect();
        for k in left {
            let msg = format!(
                "keyword argument `{k}` of `{}` is not supported; it is ignored",
                self.name
            );
            self.it.warn_at(self.e, msg);
        }
    }

    fn arity(&mut self, min: usize, max: usize) -> Option<R<Value>> {
        let n = self.pos.len();
        if n < min || n > max {
            let want = if min == max { format!("{min}") } else { format!("{min} to {max}") };
            let msg = format!("`{}` expects {want} positional argument(s), got {n}", self.name);
            return Some(self.fail(msg));
        }
        None
    }

    fn platforms_of(&mut self, v: Value) -> Result<Vec<Platform>, Value> {
        match v {
            Value::Platform(p) => Ok(vec![p]),
            Value::Vector(xs) | Value::Tuple(xs) => {
                let mut out = Vec::new();
                for x in xs {
                    match x {
                        Value::Platform(p) => out.push(p),
                        Value::Unknown(u) => return Err(Value::Unknown(u)),
                        other => {
                            let t = other.type_name();
                            return Err(self
                                .it
                                .unknown(self.e, format!("expected platforms, found a {t}")));
                        }
                    }
                }
                Ok(out)
            }
            Value::Unknown(u) => Err(Value::Unknown(u)),
            other => {
                let t = other.type_name();
                Err(self.it.unknown(self.e, format!("expected platforms, found a {t}")))
            }
        }
    }

    fn platform_list(ps: Vec<Platform>) -> Value {
        Value::Vector(ps.into_iter().map(Value::Platform).collect())
    }

    /// Calls a predicate; `Ok(None)` when its result is unknown (already warned).
    fn predicate(&mut self, f: &Value, x: Value) -> R<Result<bool, Value>> {
        let v = self.it.call_value(self.e, f.clone(), vec![x], Vec::new())?;
        Ok(match v {
            Value::Bool(b) => Ok(b),
            Value::Unknown(u) => Err(Value::Unknown(u)),
            other => {
                let t = other.type_name();
                Err(self
                    .it
                    .unknown(self.e, format!("the filter function returned a {t}, not a Bool")))
            }
        })
    }

    fn run(&mut self) -> R<Value> {
        let name = self.name;
        match name {
            "supported_platforms" => {
                let mut ps = platform::supported_platforms();
                if let Some(ex) = self.take_kw("exclude") {
                    match ex {
                        Value::Vector(_) | Value::Tuple(_) | Value::Platform(_) => {
                            match self.platforms_of(ex) {
                                Ok(drop) => ps.retain(|p| !drop.contains(p)),
                                Err(u) => return Ok(u),
                            }
                        }
                        f => {
                            let mut keep = Vec::new();
                            for p in ps {
                                match self.predicate(&f, Value::Platform(p.clone()))? {
                                    Ok(true) => {}
                                    Ok(false) => keep.push(p),
                                    Err(u) => return Ok(u),
                                }
                            }
                            ps = keep;
                        }
                    }
                }
                let _ = self.take_kw("experimental");
                self.leftover_kwargs();
                if let Some(r) = self.arity(0, 0) {
                    return r;
                }
                Ok(Self::platform_list(ps))
            }
            "expand_cxxstring_abis" | "expand_gfortran_versions" | "expand_microarchitectures" => {
                if let Some(r) = self.arity(1, 1) {
                    return r;
                }
                let single = matches!(self.pos[0], Value::Platform(_));
                let arg = self.pos.remove(0);
                let ps = match self.platforms_of(arg) {
                    Ok(ps) => ps,
                    Err(u) => return Ok(u),
                };
                let out = match name {
                    "expand_cxxstring_abis" => {
                        let skip = self.take_kw("skip");
                        let (mut skipped, mut todo) = (Vec::new(), Vec::new());
                        for p in ps {
                            let s = match &skip {
                                None => matches!(p.os.as_str(), "macos" | "freebsd"),
                                Some(f) => match self.predicate(f, Value::Platform(p.clone()))? {
                                    Ok(b) => b,
                                    Err(u) => return Ok(u),
                                },
                            };
                            if s { skipped.push(p) } else { todo.push(p) }
                        }
                        let mut out = skipped;
                        out.extend(platform::expand_cxxstring_abis(
                            todo.into_iter()
                                .map(|mut p| {
                                    // Platforms that the default rule would skip are expanded when
                                    // a custom `skip` keeps them.
                                    if matches!(p.os.as_str(), "macos" | "freebsd") {
                                        p.tags.insert("cxxstring_abi".into(), "cxx11".into());
                                    }
                                    p
                                })
                                .collect(),
                        ));
                        out
                    }
                    "expand_gfortran_versions" => platform::expand_gfortran_versions(ps),
                    _ => {
                        self.it.warn_at(
                            self.e,
                            "`expand_microarchitectures` is not modelled; the platforms are used without microarchitecture variants".into(),
                        );
                        ps
                    }
                };
                self.leftover_kwargs();
                let _ = single;
                Ok(Self::platform_list(out))
            }
            "filter" | "filter!" | "map" => {
                if let Some(r) = self.arity(2, 2) {
                    return r;
                }
                let f = self.pos.remove(0);
                let coll = self.pos.remove(0);
                let xs = match coll {
                    Value::Vector(xs) | Value::Tuple(xs) => xs,
                    Value::Unknown(u) => return Ok(Value::Unknown(u)),
                    other => {
                        let t = other.type_name();
                        return self.fail(format!("`{name}` over a {t} is not supported"));
                    }
                };
                let mut out = Vec::new();
                for x in xs {
                    if name == "map" {
                        out.push(self.it.call_value(self.e, f.clone(), vec![x], Vec::new())?);
                        continue;
                    }
                    match self.predicate(&f, x.clone())? {
                        Ok(true) => out.push(x),
                        Ok(false) => {}
                        Err(u) => return Ok(u),
                    }
                }
                Ok(Value::Vector(out))
            }
            "collect" => {
                if let Some(r) = self.arity(1, 1) {
                    return r;
                }
                match self.pos.remove(0) {
                    Value::Vector(xs) | Value::Tuple(xs) => Ok(Value::Vector(xs)),
                    other => {
                        let t = other.type_name();
                        self.fail(format!("cannot collect a {t}"))
                    }
                }
            }
            "vcat" => {
                let vals = std::mem::take(&mut self.pos);
                Ok(Value::Vector(flatten(vals)))
            }
            "push!" | "pushfirst!" | "append!" => {
                if self.pos.is_empty() {
                    return self.fail(format!("`{name}` needs a collection"));
                }
                let coll = self.pos.remove(0);
                let mut xs = match coll {
                    Value::Vector(xs) => xs,
                    Value::Unknown(u) => return Ok(Value::Unknown(u)),
                    other => {
                        let t = other.type_name();
                        return self.fail(format!("`{name}` on a {t} is not supported"));
                    }
                };
                let mut add = Vec::new();
                for v in std::mem::take(&mut self.pos) {
                    if name == "append!" {
                        match v {
                            Value::Vector(ys) | Value::Tuple(ys) => add.extend(ys),
                            other => add.push(other),
                        }
                    } else {
                        add.push(v);
                    }
                }
                if name == "pushfirst!" {
                    add.extend(xs);
                    xs = add;
                } else {
                    xs.extend(add);
                }
                if xs.len() > MAX_VECTOR {
                    return self.fail("vector is too long");
                }
                Ok(Value::Vector(xs))
            }
            "unique" => {
                if let Some(r) = self.arity(1, 1) {
                    return r;
                }
                let Value::Vector(xs) = self.pos.remove(0) else {
                    return self.fail("`unique` needs a vector");
                };
                let mut out: Vec<Value> = Vec::new();
                for x in xs {
                    if !out.iter().any(|y| y.julia_eq(&x) == Some(true)) {
                        out.push(x);
                    }
                }
                Ok(Value::Vector(out))
            }
            "setdiff" => {
                if let Some(r) = self.arity(2, 2) {
                    return r;
                }
                let (a, b) = (self.pos.remove(0), self.pos.remove(0));
                match (a, b) {
                    (Value::Vector(xs), Value::Vector(ys) | Value::Tuple(ys)) => {
                        let mut out = Vec::new();
                        for x in xs {
                            if !ys.iter().any(|y| y.julia_eq(&x) == Some(true)) {
                                out.push(x);
                            }
                        }
                        Ok(Value::Vector(out))
                    }
                    _ => self.fail("`setdiff` needs two vectors"),
                }
            }
            "length" | "isempty" | "first" | "last" => {
                if let Some(r) = self.arity(1, 1) {
                    return r;
                }
                let xs = match self.pos.remove(0) {
                    Value::Vector(xs) | Value::Tuple(xs) => xs,
                    Value::Str(s) => s.chars().map(Value::Char).collect(),
                    other => {
                        let t = other.type_name();
                        return self.fail(format!("`{name}` of a {t} is not supported"));
                    }
                };
                Ok(match name {
                    "length" => Value::Int(xs.len() as i64),
                    "isempty" => Value::Bool(xs.is_empty()),
                    "first" => match xs.into_iter().next() {
                        Some(x) => x,
                        None => return self.fail("`first` of an empty collection"),
                    },
                    _ => match xs.into_iter().last() {
                        Some(x) => x,
                        None => return self.fail("`last` of an empty collection"),
                    },
                })
            }
            "in" => {
                if let Some(r) = self.arity(2, 2) {
                    return r;
                }
                let (x, coll) = (self.pos.remove(0), self.pos.remove(0));
                Ok(self.it.binary_values(self.e, "in", x, coll))
            }
            "string" | "String" => {
                let mut s = String::new();
                for v in std::mem::take(&mut self.pos) {
                    match v.to_julia_string() {
                        Some(x) => s.push_str(&x),
                        None => {
                            let t = v.type_name();
                            return self.fail(format!("cannot convert a {t} to a string"));
                        }
                    }
                }
                Ok(Value::Str(s))
            }
            "Symbol" => match self.pos.as_slice() {
                [Value::Str(s)] => Ok(Value::Symbol(s.clone())),
                _ => self.fail("`Symbol` needs one string"),
            },
            "joinpath" => {
                let mut out = String::new();
                for v in std::mem::take(&mut self.pos) {
                    let Value::Str(s) = v else { return self.fail("`joinpath` needs strings") };
                    if s.starts_with('/') || out.is_empty() {
                        out = s;
                    } else {
                        if !out.ends_with('/') {
                            out.push('/');
                        }
                        out.push_str(&s);
                    }
                }
                Ok(Value::Str(out))
            }
            "basename" | "dirname" | "lowercase" | "uppercase" | "strip" => {
                let [Value::Str(s)] = self.pos.as_slice() else {
                    return self.fail(format!("`{name}` needs one string"));
                };
                let s = s.clone();
                Ok(Value::Str(match name {
                    "basename" => s.rsplit('/').next().unwrap_or("").to_owned(),
                    "dirname" => s.rsplit_once('/').map(|(d, _)| d.to_owned()).unwrap_or_default(),
                    "lowercase" => s.to_lowercase(),
                    "uppercase" => s.to_uppercase(),
                    _ => s.trim().to_owned(),
                }))
            }
            "replace" => {
                if self.pos.len() < 2 {
                    return self.fail("`replace` needs a string and `old => new` pairs");
                }
                let Value::Str(mut s) = self.pos.remove(0) else {
                    return self.fail("`replace` needs a string");
                };
                for p in std::mem::take(&mut self.pos) {
                    match p {
                        Value::Pair(a, b) => match (*a, *b) {
                            (Value::Str(a), Value::Str(b)) if !a.is_empty() => {
                                s = s.replace(&a, &b);
                                if s.len() > 16 << 20 {
                                    return self.fail("string is too long");
                                }
                            }
                            _ => {
                                return self.fail("`replace` supports only string => string pairs");
                            }
                        },
                        _ => return self.fail("`replace` supports only string => string pairs"),
                    }
                }
                Ok(Value::Str(s))
            }
            "startswith" | "endswith" | "occursin" => match self.pos.as_slice() {
                [Value::Str(a), Value::Str(b)] => Ok(Value::Bool(match name {
                    "startswith" => a.starts_with(b.as_str()),
                    "endswith" => a.ends_with(b.as_str()),
                    _ => b.contains(a.as_str()),
                })),
                _ => self.fail(format!("`{name}` needs two strings")),
            },
            "tuple" => Ok(Value::Tuple(std::mem::take(&mut self.pos))),
            "Pair" => {
                if let Some(r) = self.arity(2, 2) {
                    return r;
                }
                let (a, b) = (self.pos.remove(0), self.pos.remove(0));
                Ok(Value::Pair(Box::new(a), Box::new(b)))
            }
            "Dict" => {
                let mut out = Vec::new();
                for p in std::mem::take(&mut self.pos) {
                    match p {
                        Value::Pair(a, b) => out.push((*a, *b)),
                        Value::Vector(xs) => {
                            for x in xs {
                                if let Value::Pair(a, b) = x {
                                    out.push((*a, *b));
                                }
                            }
                        }
                        _ => return self.fail("`Dict` supports only `key => value` pairs"),
                    }
                }
                Ok(Value::Dict(out))
            }
            "haskey" | "get" => {
                let (d, k) = match self.pos.as_slice() {
                    [Value::Dict(d), k, ..] => (d.clone(), k.clone()),
                    _ => return self.fail(format!("`{name}` needs a Dict")),
                };
                let found = d
                    .iter()
                    .find(|(key, _)| key.julia_eq(&k) == Some(true))
                    .map(|(_, v)| v.clone());
                Ok(match name {
                    "haskey" => Value::Bool(found.is_some()),
                    _ => match (found, self.pos.get(2)) {
                        (Some(v), _) => v,
                        (None, Some(default)) => default.clone(),
                        (None, None) => return self.fail("key not found"),
                    },
                })
            }
            "error" => self.fail("the recipe calls `error(...)`"),
            "println" | "print" => Ok(Value::Nothing),
            "VersionNumber" => match self.pos.as_slice() {
                [Value::Str(s)] => match JVersion::parse(s) {
                    Some(v) => Ok(Value::Version(v)),
                    None => self.fail(format!("invalid version {s:?}")),
                },
                [Value::Version(v)] => Ok(Value::Version(v.clone())),
                ints if !ints.is_empty()
                    && ints.len() <= 3
                    && ints.iter().all(|v| matches!(v, Value::Int(i) if *i >= 0)) =>
                {
                    let n: Vec<u64> = ints
                        .iter()
                        .map(|v| if let Value::Int(i) = v { *i as u64 } else { 0 })
                        .collect();
                    Ok(Value::Version(JVersion::new(
                        n[0],
                        n.get(1).copied().unwrap_or(0),
                        n.get(2).copied().unwrap_or(0),
                    )))
                }
                _ => self.fail("unsupported `VersionNumber(...)` arguments"),
            },
            "Platform" | "Linux" | "MacOS" | "Windows" | "FreeBSD" => self.platform(),
            "arch"
            | "os"
            | "libc"
            | "call_abi"
            | "nbits"
            | "proc_family"
            | "triplet"
            | "cxxstring_abi"
            | "libgfortran_version"
            | "libstdcxx_version"
            | "sanitize"
            | "march"
            | "islinux"
            | "iswindows"
            | "isapple"
            | "isfreebsd"
            | "isbsd"
            | "isunix" => {
                let p = match self.pos.as_slice() {
                    [Value::Platform(p)] => p.clone(),
                    [] if name.starts_with("is") => {
                        return self.fail(format!(
                            "`Sys.{name}()` asks about the host, which the importer does not assume"
                        ));
                    }
                    _ => return self.fail(format!("`{name}` needs one platform")),
                };
                Ok(match name {
                    "arch" => Value::Str(p.arch.clone()),
                    "os" => Value::Str(p.os.clone()),
                    "nbits" => Value::Int(p.nbits()),
                    "proc_family" => Value::Str(p.proc_family().into()),
                    "triplet" => Value::Str(p.triplet()),
                    "islinux" => Value::Bool(p.os == "linux"),
                    "iswindows" => Value::Bool(p.os == "windows"),
                    "isapple" => Value::Bool(p.os == "macos"),
                    "isfreebsd" => Value::Bool(p.os == "freebsd"),
                    "isbsd" => Value::Bool(matches!(p.os.as_str(), "macos" | "freebsd")),
                    "isunix" => Value::Bool(p.os != "windows"),
                    "libgfortran_version" => {
                        match p.tag("libgfortran_version").and_then(JVersion::parse) {
                            Some(v) => Value::Version(v),
                            None => Value::Nothing,
                        }
                    }
                    tag => match p.tag(tag) {
                        Some(v) => Value::Str(v.to_owned()),
                        None => Value::Nothing,
                    },
                })
            }
            "ArchiveSource" | "GitSource" | "FileSource" => self.source(),
            "DirectorySource" => self.directory_source(),
            "LibraryProduct" | "ExecutableProduct" | "FileProduct" => self.product(),
            "FrameworkProduct" => {
                self.fail("`FrameworkProduct` is macOS-only and cannot be built here")
            }
            "Dependency" | "BuildDependency" | "HostBuildDependency" | "RuntimeDependency" => {
                self.dependency()
            }
            "PackageSpec" => {
                let n = self
                    .take_kw("name")
                    .or_else(|| if self.pos.is_empty() { None } else { Some(self.pos.remove(0)) });
                for k in ["uuid", "version", "rev", "url", "path"] {
                    let _ = self.take_kw(k);
                }
                self.leftover_kwargs();
                match n {
                    Some(Value::Str(s)) => Ok(Value::PackageSpec(s)),
                    _ => self.fail("`PackageSpec` needs `name = \"...\"`"),
                }
            }
            other => self.fail(format!("`{other}(...)` is not supported")),
        }
    }

    fn str_arg(v: &Value) -> Option<String> {
        match v {
            Value::Str(s) => Some(s.clone()),
            Value::Symbol(s) => Some(s.clone()),
            _ => None,
        }
    }

    fn platform(&mut self) -> R<Value> {
        let name = self.name;
        let (arch, os) = match name {
            "Platform" => {
                if let Some(r) = self.arity(2, 2) {
                    return r;
                }
                let (a, o) = (Self::str_arg(&self.pos[0]), Self::str_arg(&self.pos[1]));
                match (a, o.as_deref().and_then(platform::normalize_os)) {
                    (Some(a), Some(o)) => (a, o.to_owned()),
                    _ => return self.fail(
                        "`Platform(arch, os)` needs two strings naming a known architecture and OS",
                    ),
                }
            }
            _ => {
                let os = match name {
                    "Linux" => "linux",
                    "MacOS" => "macos",
                    "Windows" => "windows",
                    _ => "freebsd",
                };
                let arch = match self.pos.first() {
                    Some(v) => match Self::str_arg(v) {
                        Some(a) => a,
                        None => {
                            return self.fail(format!("`{name}(arch)` needs a symbol or string"));
                        }
                    },
                    None if name == "MacOS" => "x86_64".to_owned(),
                    None => return self.fail(format!("`{name}(arch)` needs an architecture")),
                };
                (arch, os.to_owned())
            }
        };
        if !platform::ARCHES.contains(&arch.as_str()) {
            return self.fail(format!("unknown architecture {arch:?}"));
        }
        let mut p = Platform::new(&arch, &os);
        for (k, v) in std::mem::take(&mut self.kw) {
            let text = match &v {
                Value::Version(v) => Some(v.to_string()),
                other => Self::str_arg(other),
            };
            match (k.as_str(), text) {
                ("compiler_abi", _) => {
                    return self.fail("`compiler_abi=CompilerABI(...)` is not supported; use `Platform(...; cxxstring_abi=...)`");
                }
                (_, Some(t)) => {
                    let t = if k == "libc" && t == "gnu" { "glibc".to_owned() } else { t };
                    if t.is_empty() {
                        p.tags.remove(&k);
                    } else {
                        p.tags.insert(k, t);
                    }
                }
                (_, None) => return self.fail(format!("platform tag `{k}` must be a string")),
            }
        }
        Ok(Value::Platform(p))
    }

    fn source(&mut self) -> R<Value> {
        let name = self.name;
        if let Some(r) = self.arity(2, 2) {
            return r;
        }
        let (Some(url), Some(hash)) = (as_str(&self.pos[0]), as_str(&self.pos[1])) else {
            return self.fail(format!("`{name}(url, hash)` needs two strings"));
        };
        let target_key = if name == "FileSource" { "filename" } else { "unpack_target" };
        let target = match self.take_kw(target_key) {
            None => None,
            Some(Value::Str(s)) if s.is_empty() => None,
            Some(Value::Str(s)) => Some(s),
            Some(_) => return self.fail(format!("`{target_key}` must be a string")),
        };
        self.leftover_kwargs();
        let src = match name {
            "ArchiveSource" => Source::Archive { url, sha256: hash, unpack_target: target },
            "GitSource" => Source::Git { url, commit: hash, unpack_target: target },
            _ => Source::File { url, sha256: hash, filename: target },
        };
        Ok(Value::Source(src, self.e.loc))
    }

    fn directory_source(&mut self) -> R<Value> {
        if let Some(r) = self.arity(1, 1) {
            return r;
        }
        let Some(path) = as_str(&self.pos[0]) else {
            return self.fail("`DirectorySource(path)` needs a string");
        };
        let target = match self.take_kw("target") {
            None => None,
            Some(Value::Str(s)) if s.is_empty() => None,
            Some(Value::Str(s)) => Some(s),
            Some(_) => return self.fail("`target` must be a string"),
        };
        match self.take_kw("follow_symlinks") {
            None | Some(Value::Bool(false)) => {}
            Some(_) => {
                self.it.warn_at(
                    self.e,
                    "`follow_symlinks=true` is not supported; symlinks are copied as they are"
                        .into(),
                );
            }
        }
        self.leftover_kwargs();
        Ok(Value::Source(Source::Directory { path, target }, self.e.loc))
    }

    fn product(&mut self) -> R<Value> {
        let name = self.name;
        let max = if name == "ExecutableProduct" { 3 } else { 2 };
        if let Some(r) = self.arity(2, max) {
            return r;
        }
        let names: Vec<String> = match &self.pos[0] {
            Value::Str(s) => vec![s.clone()],
            Value::Vector(xs)
                if !xs.is_empty() && xs.iter().all(|x| matches!(x, Value::Str(_))) =>
            {
                xs.iter().filter_map(as_str).collect()
            }
            other => {
                let t = other.type_name();
                return self
                    .fail(format!("`{name}` needs a name or a vector of names, found a {t}"));
            }
        };
        let variable = match &self.pos[1] {
            Value::Symbol(s) => s.clone(),
            _ => return self.fail(format!("`{name}` needs a `:symbol` as its second argument")),
        };
        match name {
            "LibraryProduct" => {
                let dir = match self.take_kw("dir_paths").or_else(|| self.take_kw("dir_path")) {
                    None => None,
                    Some(Value::Str(s)) => Some(s),
                    Some(Value::Vector(xs)) => {
                        if xs.len() > 1 {
                            self.it.warn_at(
                                self.e,
                                "several `dir_paths`; only the first one is used".into(),
                            );
                        }
                        xs.first().and_then(as_str)
                    }
                    Some(_) => return self.fail("`dir_paths` must be strings"),
                };
                for k in ["dont_dlopen", "dlopen_flags"] {
                    if self.take_kw(k).is_some() {
                        self.it.notes.push(format!(
                            "`{k}` on `LibraryProduct` :{variable} is ignored: repro does not load libraries"
                        ));
                    }
                }
                self.leftover_kwargs();
                Ok(Value::Product(Product::Library {
                    names,
                    variable,
                    dir: dir.map(strip_prefix_var),
                }))
            }
            "ExecutableProduct" => {
                let dir = match self.pos.get(2).cloned().or_else(|| self.take_kw("dir_path")) {
                    None | Some(Value::Nothing) => None,
                    Some(Value::Str(s)) => Some(s),
                    Some(_) => return self.fail("`dir_path` must be a string"),
                };
                self.leftover_kwargs();
                Ok(Value::Product(Product::Executable {
                    names,
                    variable,
                    dir: dir.map(strip_prefix_var),
                }))
            }
            _ => {
                if names.len() > 1 {
                    self.it.warn_at(
                        self.e,
                        "`FileProduct` with several paths; only the first one is used".into(),
                    );
                }
                self.leftover_kwargs();
                let path = strip_prefix_var(names.into_iter().next().unwrap_or_default());
                Ok(Value::Product(Product::File { path, variable }))
            }
        }
    }

    fn dependency(&mut self) -> R<Value> {
        let kind = self.name.to_owned();
        if let Some(r) = self.arity(1, 2) {
            return r;
        }
        let name = match &self.pos[0] {
            Value::Str(s) | Value::PackageSpec(s) => s.clone(),
            other => {
                let t = other.type_name();
                return self
                    .fail(format!("`{kind}` needs a package name or `PackageSpec`, found a {t}"));
            }
        };
        let platforms = self.take_kw("platforms");
        for k in ["compat", "build_version", "top_level"] {
            let _ = self.take_kw(k);
        }
        self.leftover_kwargs();
        let text = self.it.snippet(self.e);
        Ok(Value::Dep(Rc::new(DepValue { kind, name, platforms, text, loc: self.e.loc })))
    }
}

/// `${prefix}/lib` → `lib`, `$libdir` → `lib`, `$bindir` → `bin` (BinaryBuilder products are
/// relative to the prefix; some recipes spell the directory variables out).
fn strip_prefix_var(s: String) -> String {
    for (var, rep) in [
        ("${prefix}/", ""),
        ("$prefix/", ""),
        ("${libdir}", "lib"),
        ("$libdir", "lib"),
        ("${bindir}", "bin"),
        ("$bindir", "bin"),
    ] {
        if let Some(rest) = s.strip_prefix(var) {
            return format!("{rep}{rest}");
        }
    }
    s
}

fn as_str(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        _ => f64::NAN,
    }
}

fn platform_tag(p: &Platform, key: &str) -> Option<String> {
    match key {
        "arch" => Some(p.arch.clone()),
        "os" => Some(p.os.clone()),
        k => p.tag(k).map(str::to_owned),
    }
}

/// `vcat` semantics: vectors are spliced, other values appended.
fn flatten(vals: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::new();
    for v in vals {
        match v {
            Value::Vector(xs) => out.extend(xs),
            other => out.push(other),
        }
    }
    out
}

/// The elements of an iterable value; `Err(Some(u))` when it is unknown.
fn iterate(v: Value) -> Result<Vec<Value>, Option<Rc<Unknown>>> {
    match v {
        Value::Vector(xs) | Value::Tuple(xs) => Ok(xs),
        Value::Dict(kv) => {
            Ok(kv.into_iter().map(|(k, v)| Value::Pair(Box::new(k), Box::new(v))).collect())
        }
        Value::Str(s) => Ok(s.chars().map(Value::Char).collect()),
        Value::Unknown(u) => Err(Some(u)),
        _ => Err(None),
    }
}

fn isa(v: &Value, t: &str) -> bool {
    match t {
        "Any" => true,
        "String" | "AbstractString" => matches!(v, Value::Str(_)),
        "Symbol" => matches!(v, Value::Symbol(_)),
        "Int" => matches!(v, Value::Int(_)),
        "Bool" => matches!(v, Value::Bool(_)),
        "Nothing" => matches!(v, Value::Nothing),
        "VersionNumber" => matches!(v, Value::Version(_)),
        "Vector" => matches!(v, Value::Vector(_)),
        "Tuple" => matches!(v, Value::Tuple(_)),
        "Platform" | "AbstractPlatform" => matches!(v, Value::Platform(_)),
        "Linux" => matches!(v, Value::Platform(p) if p.os == "linux"),
        "MacOS" => matches!(v, Value::Platform(p) if p.os == "macos"),
        "Windows" => matches!(v, Value::Platform(p) if p.os == "windows"),
        "FreeBSD" => matches!(v, Value::Platform(p) if p.os == "freebsd"),
        "AbstractSource" => matches!(v, Value::Source(..)),
        "ArchiveSource" => matches!(v, Value::Source(Source::Archive { .. }, _)),
        "GitSource" => matches!(v, Value::Source(Source::Git { .. }, _)),
        "FileSource" => matches!(v, Value::Source(Source::File { .. }, _)),
        "DirectorySource" => matches!(v, Value::Source(Source::Directory { .. }, _)),
        "Product" => matches!(v, Value::Product(..)),
        "AbstractDependency" => matches!(v, Value::Dep(_)),
        "Dependency" | "BuildDependency" | "HostBuildDependency" | "RuntimeDependency" => {
            matches!(v, Value::Dep(d) if d.kind == t)
        }
        _ => false,
    }
}

/// The value a name has before the recipe binds it.
fn builtin_value(name: &str) -> Option<Value> {
    if name == "ARGS" {
        return Some(Value::Args);
    }
    if TYPES.contains(&name) {
        return Some(Value::Type(name.to_owned()));
    }
    if MODULES.contains(&name) {
        return Some(Value::Module(name.to_owned()));
    }
    if BUILTINS.contains(&name) {
        return Some(Value::Builtin(name.to_owned()));
    }
    None
}

/// The value a function call yields: its last value or `return`ed value; a stray
/// `break`/`continue` ends the call with `nothing`.
fn returned(r: R<Value>) -> R<Value> {
    match r {
        Ok(v) | Err(Ctrl::Return(v)) => Ok(v),
        Err(Ctrl::Break | Ctrl::Continue) => Ok(Value::Nothing),
        Err(err) => Err(err),
    }
}
