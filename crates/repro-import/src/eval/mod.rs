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
use std::time::{Duration, Instant};

use crate::ast::{Arg, Expr, ExprKind, FunctionDef, StrPiece};
use crate::platform::Platform;
use crate::value::{JVersion, LambdaValue, Unknown, Value};
use crate::{ImportError, Loc};
use repro_recipe::Source;

mod bb;
mod builtins;

use builtins::{Call, Kind, Unknowns};

/// Evaluation steps before giving up (loops and recursion in hostile input).
const MAX_STEPS: u64 = 2_000_000;
/// Nested function calls.
const MAX_CALL_DEPTH: usize = 64;
/// Nested includes.
pub(crate) const MAX_INCLUDE_DEPTH: usize = 8;
/// Files read in total (the recipe and its includes).
pub(crate) const MAX_FILES: usize = 32;
/// Most elements of one vector, tuple or Dict.
const MAX_VECTOR: usize = 100_000;
/// Longest string value, in bytes.
const MAX_STRING_BYTES: usize = 4 << 20;
/// Bytes of values created (and copied) during one import, approximately.
const MAX_ALLOC_BYTES: usize = 256 << 20;

/// One file the evaluator has read.
pub(crate) struct FileInfo {
    /// The path as shown to the user.
    pub(crate) path: PathBuf,
    /// The canonical path (for include resolution and cycle checks).
    pub(crate) canonical: PathBuf,
    pub(crate) chars: Vec<char>,
}

/// A warning before it is turned into a public [`crate::ImportWarning`].
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
    /// Variables of the products left out because not every call with this name and version
    /// names them (see `merge_build_call`).
    pub(crate) left_out_products: Vec<String>,
}

/// Why `read(path)` gave no text.
pub(crate) enum ReadError {
    /// The file does not exist (a bundled file missing from a checkout).
    Absent(String),
    /// It exists but may not be read (outside the root, not a regular file, too large).
    Refused(String),
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
    /// `AnyPlatform()` was called.
    pub(crate) any_platform: bool,
    /// Values of `end` for the innermost index expressions.
    end_values: Vec<i64>,
    /// Bytes charged against [`MAX_ALLOC_BYTES`].
    allocated: usize,
    /// When to give up, and the limit it came from.
    deadline: Option<(Instant, Duration)>,
    /// The module whose global scope `globals` is (`None`: the recipe's own).
    module: Option<String>,
    /// The global scopes of the other modules (the recipe's own under [`MAIN`] while a
    /// module's function runs).
    modules: HashMap<String, HashMap<String, Value>>,
}

/// Key of the recipe's own global scope in [`Interp::modules`] (no module can be named so).
const MAIN: &str = "\0Main";

impl Interp {
    pub(crate) fn new(root: PathBuf, time_limit: Option<Duration>) -> Self {
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
            any_platform: false,
            end_values: Vec::new(),
            allocated: 0,
            deadline: time_limit.map(|l| (Instant::now() + l, l)),
            module: None,
            modules: HashMap::new(),
        }
    }

    /// Evaluates the main recipe file.
    pub(crate) fn run_main(&mut self, path: &Path, canonical: PathBuf) -> Result<(), ImportError> {
        let (text, stmts) = crate::load_file(path, 0)?;
        self.run_parsed_main(path, canonical, text, stmts)
    }

    /// [`Interp::run_main`] on text given in memory, as if read from `path`.
    pub(crate) fn run_main_text(
        &mut self,
        path: &Path,
        canonical: PathBuf,
        text: String,
    ) -> Result<(), ImportError> {
        let stmts = crate::parse_text(&text, 0).map_err(|e| ImportError::Syntax {
            file: path.to_owned(),
            line: e.loc.line as usize,
            column: e.loc.col as usize,
            message: e.message,
        })?;
        self.run_parsed_main(path, canonical, text, stmts)
    }

    fn run_parsed_main(
        &mut self,
        path: &Path,
        canonical: PathBuf,
        text: String,
        stmts: Vec<Expr>,
    ) -> Result<(), ImportError> {
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

    /// A bound was hit at `loc`.
    fn error_at(&self, loc: Loc, message: String) -> ImportError {
        ImportError::Limit {
            file: self.file_path(loc),
            line: loc.line as usize,
            column: loc.col as usize,
            message,
            timed_out: false,
        }
    }

    /// Counts `bytes` against the allocation budget and checks the size of one value.
    fn charge(&mut self, e: &Expr, v: &Value) -> R<()> {
        let (bytes, too_big) = match v {
            Value::Str(s) => (s.len(), s.len() > MAX_STRING_BYTES),
            Value::Vector(xs) | Value::Tuple(xs) => {
                (xs.len() * std::mem::size_of::<Value>(), xs.len() > MAX_VECTOR)
            }
            Value::Dict(kv) => (kv.len() * 2 * std::mem::size_of::<Value>(), kv.len() > MAX_VECTOR),
            Value::NamedTuple(f) => (f.len() * std::mem::size_of::<(String, Value)>(), false),
            _ => (0, false),
        };
        if too_big {
            let what = match v {
                Value::Str(s) => {
                    format!("a string of {} bytes (the limit is {MAX_STRING_BYTES})", s.len())
                }
                other => format!("a {} of more than {MAX_VECTOR} elements", other.type_name()),
            };
            return Err(self
                .error_at(
                    e.loc,
                    format!("evaluation builds {what}; the recipe is too large to import"),
                )
                .into());
        }
        self.allocated = self.allocated.saturating_add(bytes);
        if self.allocated > MAX_ALLOC_BYTES {
            return Err(self
                .error_at(
                    e.loc,
                    format!(
                        "evaluation allocated more than {} MiB; the recipe is too large to import",
                        MAX_ALLOC_BYTES >> 20
                    ),
                )
                .into());
        }
        Ok(())
    }

    pub(crate) fn file_path(&self, loc: Loc) -> PathBuf {
        self.files.get(loc.file).map(|f| f.path.clone()).unwrap_or_default()
    }

    fn step(&mut self, e: &Expr) -> R<()> {
        self.steps += 1;
        if self.steps.is_multiple_of(1024)
            && let Some((deadline, limit)) = self.deadline
            && Instant::now() > deadline
        {
            let loc = e.loc;
            return Err(ImportError::Limit {
                file: self.file_path(loc),
                line: loc.line as usize,
                column: loc.col as usize,
                message: format!(
                    "the import took longer than its time limit of {} s",
                    limit.as_secs_f64()
                ),
                timed_out: true,
            }
            .into());
        }
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
        let v = self.eval_kind(e)?;
        self.charge(e, &v)?;
        Ok(v)
    }

    fn eval_kind(&mut self, e: &Expr) -> R<Value> {
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
                "r" => match builtins::compile_regex(content) {
                    Ok(_) => Value::Regex(content.clone()),
                    Err(why) => self.unknown(e, why),
                },
                "s" => Value::Subst(content.clone()),
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
            ExprKind::Comprehension { body, gens, cond } => {
                self.eval_comprehension(e, body, gens, cond.as_deref())?
            }
            ExprKind::Tuple(items) => Value::Tuple(self.eval_items(items)?),
            ExprKind::NamedTuple(fields) => {
                let mut out = Vec::new();
                for (n, v) in fields {
                    out.push((n.clone(), self.eval(v)?));
                }
                Value::NamedTuple(Rc::new(out))
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
            ExprKind::Block(stmts) | ExprKind::Try(stmts) => self.eval_block(stmts)?,
            ExprKind::Let { bindings, body } => self.eval_let(bindings, body)?,
            ExprKind::Broadcast { callee, args } => self.eval_broadcast(e, callee, args)?,
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
                let def = match &self.module {
                    None => def.clone(),
                    Some(m) => {
                        let mut d = (**def).clone();
                        d.module = Some(m.clone());
                        Rc::new(d)
                    }
                };
                self.assign_var(&name, Value::Function(def), false);
                Value::Nothing
            }
            ExprKind::Module { name, body } => self.eval_module(e, name, body)?,
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

    /// `module Name ... end`: the body runs in a fresh global scope, kept as `Name`'s.
    fn eval_module(&mut self, e: &Expr, name: &str, body: &[Expr]) -> R<Value> {
        if self.module.is_some() || !self.frames.is_empty() {
            return Ok(self.unknown(
                e,
                "a `module` inside a module or a function is not supported; it is not evaluated",
            ));
        }
        let main = std::mem::take(&mut self.globals);
        self.module = Some(name.to_owned());
        let mut r = Ok(());
        for s in body {
            match self.eval(s) {
                Ok(_) => {}
                Err(Ctrl::Err(err)) => {
                    r = Err(Ctrl::Err(err));
                    break;
                }
                Err(_) => self.warn_at(
                    s,
                    "`return`, `break` or `continue` at the top level of a module".into(),
                ),
            }
        }
        let own = std::mem::replace(&mut self.globals, main);
        self.module = None;
        self.modules.insert(name.to_owned(), own);
        self.globals.insert(name.to_owned(), Value::Module(name.to_owned()));
        r?;
        Ok(Value::Nothing)
    }

    /// Makes `target`'s global scope the current one (for a call to a function defined there);
    /// returns what [`Interp::leave_module`] needs to switch back, `None` when nothing changed.
    fn enter_module(&mut self, target: &Option<String>) -> Option<Option<String>> {
        if *target == self.module {
            return None;
        }
        let key = |m: &Option<String>| m.clone().unwrap_or_else(|| MAIN.to_owned());
        let current = std::mem::take(&mut self.globals);
        self.modules.insert(key(&self.module), current);
        self.globals = self.modules.remove(&key(target)).unwrap_or_default();
        Some(std::mem::replace(&mut self.module, target.clone()))
    }

    fn leave_module(&mut self, previous: Option<Option<String>>) {
        let Some(previous) = previous else { return };
        let key = |m: &Option<String>| m.clone().unwrap_or_else(|| MAIN.to_owned());
        let current = std::mem::take(&mut self.globals);
        self.modules.insert(key(&self.module), current);
        self.globals = self.modules.remove(&key(&previous)).unwrap_or_default();
        self.module = previous;
    }

    /// `M.name` for a module the recipe defined.
    fn module_global(&self, m: &str, name: &str) -> Option<Option<Value>> {
        if self.module.as_deref() == Some(m) {
            return Some(self.globals.get(name).cloned());
        }
        self.modules.get(m).map(|g| g.get(name).cloned())
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
            if s.len() > MAX_STRING_BYTES {
                return Ok(Value::Str(s));
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
            // `@static if Sys.islinux() ... end`: evaluated like the expression (host
            // predicates stay undecided).
            "static" if args.len() == 1 => self.eval(&args[0])?,
            // `@isdefined x`: whether the recipe bound `x`.
            "isdefined" => match args {
                [Expr { kind: ExprKind::Ident(n), .. }] => Value::Bool(
                    self.frames.last().is_some_and(|f| f.contains_key(n))
                        || self.globals.contains_key(n),
                ),
                _ => self.unknown(e, "`@isdefined` needs a name"),
            },
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
                match self.module_global(&m, name) {
                    Some(Some(v)) => return v,
                    Some(None) => match builtin_value(name) {
                        // `M.f` where `M` uses BinaryBuilder and does not define `f`.
                        Some(v) => return v,
                        None => return self.unknown(e, format!("module `{m}` has no `{name}`")),
                    },
                    None => {}
                }
                if m == "Sys" {
                    if let Some(b) = builtins::find(name).filter(|b| b.sys) {
                        return Value::Builtin(b.name.to_owned());
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
                "prerelease" | "build" => {
                    let text = if name == "build" { &v.build } else { &v.prerelease };
                    Value::Tuple(
                        text.split('.')
                            .filter(|p| !p.is_empty())
                            .map(|p| match p.parse::<i64>() {
                                Ok(i) => Value::Int(i),
                                Err(_) => Value::Str(p.to_owned()),
                            })
                            .collect(),
                    )
                }
                _ => self.unknown(e, format!("VersionNumber has no supported field `{name}`")),
            },
            Value::NamedTuple(fields) => match fields.iter().find(|(n, _)| n == name) {
                Some((_, v)) => v.clone(),
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
            (Value::Args, [Value::Vector(r)]) if r.is_empty() => Value::Args,
            (Value::Args, _) => self.unknown(
                e,
                "the recipe reads a command-line argument; the importer runs it without arguments",
            ),
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
        gens: &[(Expr, Expr)],
        cond: Option<&Expr>,
    ) -> R<Value> {
        let mut out = Vec::new();
        self.frames_push_copy();
        let r = self.comprehension_level(e, body, gens, cond, &mut out);
        self.frames.pop();
        Ok(match r? {
            Some(unknown) => unknown,
            None => Value::Vector(out),
        })
    }

    /// One generator of a comprehension (the first of `gens`), the ones after it nested inside.
    /// `Some(unknown)` ends the whole comprehension with that value.
    fn comprehension_level(
        &mut self,
        e: &Expr,
        body: &Expr,
        gens: &[(Expr, Expr)],
        cond: Option<&Expr>,
        out: &mut Vec<Value>,
    ) -> R<Option<Value>> {
        let Some(((pattern, iter), rest)) = gens.split_first() else {
            if let Some(c) = cond {
                match self.eval(c)? {
                    Value::Bool(true) => {}
                    Value::Bool(false) => return Ok(None),
                    Value::Unknown(u) => return Ok(Some(Value::Unknown(u))),
                    _ => return Ok(Some(self.unknown(c, "comprehension condition is not a Bool"))),
                }
            }
            out.push(self.eval(body)?);
            if out.len() > MAX_VECTOR {
                return Err(self
                    .error_at(e.loc, format!("a comprehension builds more than {MAX_VECTOR} elements; the recipe is too large to import"))
                    .into());
            }
            return Ok(None);
        };
        let it = self.eval(iter)?;
        let xs = match iterate(it) {
            Ok(xs) => xs,
            Err(Some(u)) => return Ok(Some(Value::Unknown(u))),
            Err(None) => return Ok(Some(self.unknown(iter, "cannot iterate over this value"))),
        };
        for x in xs {
            self.step(e)?;
            self.bind_pattern(pattern, x)?;
            if let Some(u) = self.comprehension_level(e, body, rest, cond, out)? {
                return Ok(Some(u));
            }
        }
        Ok(None)
    }

    /// `let a = x, b; body end`: the bindings and the body's new names are local to it;
    /// assignments to names of the enclosing function's scope write through.
    fn eval_let(&mut self, bindings: &[Expr], body: &[Expr]) -> R<Value> {
        self.frames_push_copy();
        let mut bound = Vec::new();
        let r = (|| -> R<Value> {
            for b in bindings {
                match &b.kind {
                    ExprKind::Assign { op, lhs, rhs } if op == "=" => {
                        if let ExprKind::Ident(n) = &lhs.kind {
                            bound.push(n.clone());
                        }
                        self.eval_assign(b, op, lhs, rhs, false)?;
                    }
                    ExprKind::Ident(n) => {
                        bound.push(n.clone());
                        let v = self.eval(b)?;
                        self.assign_var(n, v, false);
                    }
                    _ => {
                        self.warn_at(b, "unsupported `let` binding; it is ignored".into());
                    }
                }
            }
            self.eval_block(body)
        })();
        let inner = self.frames.pop().unwrap_or_default();
        if let Some(outer) = self.frames.last_mut() {
            for (k, v) in inner {
                if !bound.contains(&k) && outer.contains_key(&k) {
                    outer.insert(k, v);
                }
            }
        }
        r
    }

    /// `f.(xs, y)`: `f` called for each element of the vector and tuple arguments (of equal
    /// length, or length 1); other arguments are used whole.
    fn eval_broadcast(&mut self, e: &Expr, callee: &Expr, args: &[Arg]) -> R<Value> {
        let f = self.eval(callee)?;
        let (pos, kw) = self.eval_args(args)?;
        if let Some(u) = pos.iter().find_map(Value::unknown) {
            return Ok(Value::Unknown(u.clone()));
        }
        let mut n: Option<usize> = None;
        for v in &pos {
            if let Value::Vector(xs) | Value::Tuple(xs) = v {
                n = match n {
                    None => Some(xs.len()),
                    Some(m) if m == xs.len() || xs.len() == 1 => Some(m),
                    Some(1) => Some(xs.len()),
                    Some(m) => {
                        let msg =
                            format!("broadcast over collections of lengths {m} and {}", xs.len());
                        return Ok(self.unknown(e, msg));
                    }
                };
            }
        }
        let Some(n) = n else {
            return self.call_value(e, f, pos, kw);
        };
        let mut out = Vec::with_capacity(n.min(MAX_VECTOR));
        for i in 0..n {
            self.step(e)?;
            let args_i = pos
                .iter()
                .map(|v| match v {
                    Value::Vector(xs) | Value::Tuple(xs) => {
                        xs[if xs.len() == 1 { 0 } else { i }].clone()
                    }
                    other => other.clone(),
                })
                .collect();
            out.push(self.call_value(e, f.clone(), args_i, kw.clone())?);
        }
        Ok(Value::Vector(out))
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
            return Ok(match crate::parser::params_from_args(args.clone()) {
                Ok((params, kwparams)) => {
                    let def = FunctionDef {
                        name: name.clone(),
                        params,
                        kwparams,
                        body: vec![rhs.clone()],
                        loc: e.loc,
                        module: self.module.clone(),
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
            ExprKind::Index { base, items, .. }
                if matches!(base.kind, ExprKind::Ident(_)) && items.len() == 1 =>
            {
                self.assign_index(lhs, base, &items[0], v.clone())?;
            }
            _ => {
                self.warn_at(
                    lhs,
                    "assigning to this target is not supported; the assignment is ignored".into(),
                );
            }
        }
        Ok(v)
    }

    /// `x[k] = v` for a variable `x` holding a Dict, a vector or a platform (`p["tag"] = "v"`).
    fn assign_index(&mut self, lhs: &Expr, base: &Expr, key: &Expr, v: Value) -> R<()> {
        let ExprKind::Ident(var) = &base.kind else { return Ok(()) };
        let current = self.eval(base)?;
        let len = match &current {
            Value::Vector(xs) => xs.len() as i64,
            _ => 0,
        };
        self.end_values.push(len);
        let k = self.eval(key);
        self.end_values.pop();
        let k = k?;
        let updated = match (current, k) {
            (Value::Unknown(_), _) => return Ok(()),
            (_, Value::Unknown(u)) => {
                self.warn_at(
                    lhs,
                    format!("cannot resolve the index ({}); the assignment is ignored", u.reason),
                );
                return Ok(());
            }
            (Value::Dict(mut kv), k) => {
                match kv.iter_mut().find(|(key, _)| key.julia_eq(&k) == Some(true)) {
                    Some(slot) => slot.1 = v,
                    None => kv.push((k, v)),
                }
                Value::Dict(kv)
            }
            (Value::Vector(mut xs), Value::Int(i)) if i >= 1 && (i as usize) <= xs.len() => {
                xs[i as usize - 1] = v;
                Value::Vector(xs)
            }
            (Value::Platform(mut p), Value::Str(tag)) if tag != "arch" && tag != "os" => {
                match v.to_julia_string() {
                    Some(s) => {
                        p.tags.insert(tag, s);
                    }
                    None => {
                        self.warn_at(
                            lhs,
                            "a platform tag must be a string; the assignment is ignored".into(),
                        );
                        return Ok(());
                    }
                }
                Value::Platform(p)
            }
            (other, _) => {
                let t = other.type_name();
                self.warn_at(
                    lhs,
                    format!(
                        "assigning an element of a {t} is not supported; the assignment is ignored"
                    ),
                );
                return Ok(());
            }
        };
        self.charge(lhs, &updated)?;
        self.update_var(var, updated);
        Ok(())
    }

    fn unary(&mut self, e: &Expr, op: &str, v: Value) -> Value {
        match (op, v) {
            (_, Value::Unknown(u)) => Value::Unknown(u),
            ("!", Value::Bool(b)) => Value::Bool(!b),
            (
                "!",
                f @ (Value::Builtin(_)
                | Value::Lambda(_)
                | Value::Function(_)
                | Value::Not(_)
                | Value::Returns(_)),
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
            _ if op.len() > 1 && op.starts_with('.') => {
                let l = self.eval(lhs)?;
                let r = self.eval(rhs)?;
                return self.broadcast_binary(e, &op[1..], l, r);
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

    /// `a .op b`: `op` elementwise over vectors and tuples (of equal length, or length 1).
    fn broadcast_binary(&mut self, e: &Expr, op: &str, l: Value, r: Value) -> R<Value> {
        let op = match op {
            "&&" => "&",
            "||" => "|",
            other => other,
        };
        let items = |v: &Value| match v {
            Value::Vector(xs) | Value::Tuple(xs) => Some(xs.clone()),
            _ => None,
        };
        let (xs, ys) = match (items(&l), items(&r)) {
            (None, None) => return Ok(self.binary_values(e, op, l, r)),
            (Some(xs), None) => {
                let n = xs.len();
                (xs, vec![r; n])
            }
            (None, Some(ys)) => {
                let n = ys.len();
                (vec![l; n], ys)
            }
            (Some(xs), Some(ys)) if xs.len() == ys.len() => (xs, ys),
            (Some(xs), Some(ys)) if xs.len() == 1 => (vec![xs[0].clone(); ys.len()], ys),
            (Some(xs), Some(ys)) if ys.len() == 1 => {
                let n = xs.len();
                (xs, vec![ys[0].clone(); n])
            }
            (Some(xs), Some(ys)) => {
                return Ok(self.unknown(
                    e,
                    format!("`.{op}` over collections of lengths {} and {}", xs.len(), ys.len()),
                ));
            }
        };
        let mut out = Vec::with_capacity(xs.len());
        for (x, y) in xs.into_iter().zip(ys) {
            self.step(e)?;
            out.push(self.binary_values(e, op, x, y));
        }
        Ok(Value::Vector(out))
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
                    // The recipe runs without command-line arguments.
                    Args => Vec::new(),
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
                        Value::NamedTuple(fields) => kw.extend(fields.iter().cloned()),
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
        if let ExprKind::Ident(op) = &callee.kind
            && is_operator(op)
        {
            let (pos, _) = self.eval_args(args)?;
            return Ok(match <[Value; 2]>::try_from(pos) {
                Ok([a, b]) => self.binary_values(e, op, a, b),
                Err(pos) => match <[Value; 1]>::try_from(pos) {
                    Ok([x]) => Value::OpFix(op.clone(), Box::new(x)),
                    Err(_) => self.unknown(e, format!("`{op}(...)` needs one or two arguments")),
                },
            });
        }
        // A recipe may add its own `build_tarballs` method (`import BinaryBuilder:
        // build_tarballs`); a call with BinaryBuilder's eight positional arguments is still
        // BinaryBuilder's.
        let bb_arity = args.iter().filter(|a| a.name.is_none()).count() >= 8
            || args.iter().any(|a| a.name.is_none() && matches!(a.value.kind, ExprKind::Splat(_)));
        if let ExprKind::Ident(name) = &callee.kind
            && ((self.frames.last().is_none_or(|f| !f.contains_key(name))
                && !self.globals.contains_key(name))
                || (name == "build_tarballs" && bb_arity))
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
            && let Some(arg) = builtins::find(name).and_then(|b| b.mutates)
        {
            let target = args.iter().filter(|a| a.name.is_none()).nth(arg);
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
            Value::OpFix(op, fixed) => match <[Value; 1]>::try_from(pos) {
                Ok([x]) => Ok(self.binary_values(e, &op, x, *fixed)),
                Err(pos) => Ok(self.unknown(
                    e,
                    format!("`{op}(x)` called with {} arguments instead of 1", pos.len()),
                )),
            },
            Value::Returns(v) => Ok(*v),
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
        let previous = self.enter_module(&def.module);
        self.frames.push(HashMap::new());
        let r = self.call_function_inner(e, def, pos, kw);
        self.frames.pop();
        self.leave_module(previous);
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
                self.assign_var(&p.name, Value::NamedTuple(Rc::new(rest)), false);
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
        let (text, stmts) = crate::load_file(&canonical, index).map_err(|err| match err {
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

    /// The text of a file the recipe reads (`read(path, String)`): relative paths resolve
    /// against the directory of the file being evaluated; the file must be a regular file
    /// inside the root. `Err` says why it cannot be read.
    fn read_file(&mut self, e: &Expr, rel: &str) -> Result<String, ReadError> {
        let current = &self.files[e.loc.file].canonical;
        let base = current.parent().unwrap_or(Path::new("/")).to_path_buf();
        let candidate = base.join(rel);
        let canonical = match candidate.canonicalize() {
            Ok(c) => c,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(ReadError::Absent(format!(
                    "the file {rel:?} that the recipe reads is not there"
                )));
            }
            Err(err) => return Err(ReadError::Refused(format!("cannot resolve {rel:?}: {err}"))),
        };
        if !canonical.starts_with(&self.root) {
            return Err(ReadError::Refused(format!(
                "{rel:?} is outside the recipe root {}",
                self.root.display()
            )));
        }
        let text = crate::read_regular_file(&canonical)
            .map_err(|err| ReadError::Refused(err.to_string()))?;
        self.charge_bytes(e, text.len())
            .map_err(|_| ReadError::Refused("the file is too large".to_owned()))?;
        Ok(text)
    }

    fn charge_bytes(&mut self, e: &Expr, bytes: usize) -> R<()> {
        self.allocated = self.allocated.saturating_add(bytes);
        if self.allocated > MAX_ALLOC_BYTES {
            return Err(self
                .error_at(
                    e.loc,
                    format!(
                        "evaluation allocated more than {} MiB; the recipe is too large to import",
                        MAX_ALLOC_BYTES >> 20
                    ),
                )
                .into());
        }
        Ok(())
    }

    fn include_error(&self, e: &Expr, message: String) -> ImportError {
        ImportError::Include {
            file: self.file_path(e.loc),
            line: e.loc.line as usize,
            column: e.loc.col as usize,
            message,
        }
    }

    // ---- built-in functions ----

    /// Calls the built-in `name` (see [`builtins::find`]).
    fn call_builtin(
        &mut self,
        e: &Expr,
        name: &str,
        pos: Vec<Value>,
        kw: Vec<(String, Value)>,
    ) -> R<Value> {
        let Some((b, run)) = builtins::find(name).and_then(|b| Some((b, b.run?))) else {
            return Ok(self.unknown(e, format!("`{name}(...)` is not supported")));
        };
        let tolerated = match b.unknowns {
            Unknowns::Keep => None,
            Unknowns::Propagate => Some(""),
            Unknowns::ExceptKw(k) => Some(k),
        };
        if let Some(except) = tolerated {
            if let Some(u) = pos.iter().find_map(Value::unknown) {
                return Ok(Value::Unknown(u.clone()));
            }
            if let Some(u) = kw.iter().filter(|(k, _)| k != except).find_map(|(_, v)| v.unknown()) {
                return Ok(Value::Unknown(u.clone()));
            }
        }
        let mut call = Call { it: self, e, name: b.name, pos, kw };
        run(&mut call)
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
        Value::Args => Ok(Vec::new()),
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
    let b = builtins::find(name)?;
    Some(match b.kind {
        Kind::Function => Value::Builtin(b.name.to_owned()),
        Kind::Type => Value::Type(b.name.to_owned()),
        Kind::Module => Value::Module(b.name.to_owned()),
    })
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

/// Whether `name` is an operator written as a function name (`>=(x)`, `in(xs)`).
fn is_operator(name: &str) -> bool {
    name == "in" || name.chars().next().is_some_and(|c| !(c.is_alphanumeric() || c == '_'))
}
