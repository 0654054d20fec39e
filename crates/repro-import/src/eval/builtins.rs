//! Julia's built-in functions and types that recipes use, and the one table of every built-in
//! name the evaluator knows ([`find`]: this module's [`JULIA`] and the BinaryBuilder API's
//! [`super::bb::BINARYBUILDER`]). A name is callable exactly when its entry has a `run`
//! function; its attributes (how unknown arguments are treated, which argument a mutating
//! function writes back, `Sys.` membership) live in the same entry.

use super::{Interp, MAX_VECTOR, R, ReadError, flatten};
use crate::ast::Expr;
use crate::value::{JVersion, Value};

/// What a built-in name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Function,
    /// A type: calling it constructs a value (when it has a `run`), `isa` tests against it.
    Type,
    Module,
}

/// How a call treats unknown arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknowns {
    /// Any unknown argument makes the result unknown (most functions).
    Propagate,
    /// Unknown arguments are kept as values (collection builders, output functions).
    Keep,
    /// Like `Propagate`, but an unknown value of this keyword argument is passed on.
    ExceptKw(&'static str),
}

/// The implementation of a built-in.
pub(crate) type Run = fn(&mut Call<'_, '_>) -> R<Value>;

/// One built-in name.
pub(crate) struct Builtin {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    /// `None`: the name exists (a module, an abstract type) but cannot be called.
    pub(crate) run: Option<Run>,
    pub(crate) unknowns: Unknowns,
    /// The positional argument a mutating function (`push!`, `filter!`) changes; the result is
    /// written back to the variable passed there.
    pub(crate) mutates: Option<usize>,
    /// Also reachable as `Sys.<name>`.
    pub(crate) sys: bool,
}

impl Builtin {
    pub(crate) const fn function(name: &'static str, run: Run) -> Self {
        Builtin {
            name,
            kind: Kind::Function,
            run: Some(run),
            unknowns: Unknowns::Propagate,
            mutates: None,
            sys: false,
        }
    }

    pub(crate) const fn constructor(name: &'static str, run: Run) -> Self {
        Builtin { kind: Kind::Type, ..Builtin::function(name, run) }
    }

    /// A type that cannot be called (only used in `isa` and annotations).
    pub(crate) const fn abstract_type(name: &'static str) -> Self {
        Builtin {
            name,
            kind: Kind::Type,
            run: None,
            unknowns: Unknowns::Propagate,
            mutates: None,
            sys: false,
        }
    }

    pub(crate) const fn module(name: &'static str) -> Self {
        Builtin { kind: Kind::Module, ..Builtin::abstract_type(name) }
    }

    pub(crate) const fn keeps_unknown(self) -> Self {
        Builtin { unknowns: Unknowns::Keep, ..self }
    }

    pub(crate) const fn tolerates_unknown_kw(self, kw: &'static str) -> Self {
        Builtin { unknowns: Unknowns::ExceptKw(kw), ..self }
    }

    pub(crate) const fn mutates(self, arg: usize) -> Self {
        Builtin { mutates: Some(arg), ..self }
    }

    pub(crate) const fn in_sys(self) -> Self {
        Builtin { sys: true, ..self }
    }
}

/// The built-in `name`, if the evaluator knows it.
pub(crate) fn find(name: &str) -> Option<&'static Builtin> {
    JULIA.iter().chain(super::bb::BINARYBUILDER).find(|b| b.name == name)
}

/// Julia's functions, types and modules.
pub(crate) static JULIA: &[Builtin] = &[
    Builtin::function("filter", |c| c.filter_map()),
    Builtin::function("filter!", |c| c.filter_map()).mutates(1),
    Builtin::function("map", |c| c.filter_map()),
    Builtin::function("collect", |c| c.collect()),
    Builtin::function("vcat", |c| c.vcat()).keeps_unknown(),
    Builtin::function("push!", |c| c.push()).keeps_unknown().mutates(0),
    Builtin::function("pushfirst!", |c| c.push()).keeps_unknown().mutates(0),
    Builtin::function("append!", |c| c.push()).keeps_unknown().mutates(0),
    Builtin::function("unique", |c| c.unique()),
    Builtin::function("setdiff", |c| c.setdiff()),
    Builtin::function("length", |c| c.length_first_last()),
    Builtin::function("lastindex", |c| c.length_first_last()),
    Builtin::function("enumerate", |c| c.enumerate()),
    Builtin::function("findall", |c| c.findall()),
    Builtin::function("split", |c| c.split()),
    Builtin::function("match", |c| c.regex_match()),
    Builtin::function("any", |c| c.any_all()),
    Builtin::function("all", |c| c.any_all()),
    Builtin::function("deleteat!", |c| c.deleteat()).mutates(0),
    Builtin::function("parse", |c| c.parse()).keeps_unknown(),
    Builtin::function("isone", |c| c.int_test()),
    Builtin::function("iszero", |c| c.int_test()),
    Builtin::function("minimum", |c| c.min_max()),
    Builtin::function("maximum", |c| c.min_max()),
    Builtin::function("min", |c| c.min_max()),
    Builtin::function("max", |c| c.min_max()),
    Builtin::function("thismajor", |c| c.this_version()),
    Builtin::function("thisminor", |c| c.this_version()),
    Builtin::function("thispatch", |c| c.this_version()),
    Builtin::function("isempty", |c| c.length_first_last()),
    Builtin::function("first", |c| c.length_first_last()),
    Builtin::function("last", |c| c.length_first_last()),
    Builtin::function("in", |c| c.in_()),
    Builtin::function("string", |c| c.string()),
    Builtin::function("joinpath", |c| c.joinpath()),
    Builtin::function("basename", |c| c.string_unary()),
    Builtin::function("dirname", |c| c.string_unary()),
    Builtin::function("lowercase", |c| c.string_unary()),
    Builtin::function("uppercase", |c| c.string_unary()),
    Builtin::function("strip", |c| c.string_unary()),
    Builtin::function("replace", |c| c.replace()),
    Builtin::function("startswith", |c| c.string_test()),
    Builtin::function("endswith", |c| c.string_test()),
    Builtin::function("occursin", |c| c.string_test()),
    Builtin::function("tuple", |c| c.tuple()).keeps_unknown(),
    Builtin::function("haskey", |c| c.dict_get()),
    Builtin::function("get", |c| c.dict_get()),
    Builtin::function("error", |c| c.error()),
    Builtin::function("isnothing", |c| c.isnothing()),
    Builtin::function("read", |c| c.read()),
    Builtin::function("pwd", |c| c.host_only()),
    Builtin::function("homedir", |c| c.host_only()),
    Builtin::function("tempdir", |c| c.host_only()),
    Builtin::function("println", |c| c.print()).keeps_unknown(),
    Builtin::function("print", |c| c.print()).keeps_unknown(),
    Builtin::function("deepcopy", |c| c.identity()),
    Builtin::function("copy", |c| c.identity()),
    Builtin::function("normpath", |c| c.normpath()),
    Builtin::constructor("String", |c| c.string()),
    Builtin::constructor("Symbol", |c| c.symbol()),
    Builtin::constructor("Dict", |c| c.dict()),
    Builtin::constructor("Returns", |c| c.returns()),
    Builtin::constructor("Pair", |c| c.pair()).keeps_unknown(),
    Builtin::constructor("VersionNumber", |c| c.version_number()),
    Builtin::abstract_type("AbstractString"),
    Builtin::abstract_type("Any"),
    Builtin::constructor("Int", |c| c.int()),
    Builtin::abstract_type("Bool"),
    Builtin::constructor("Vector", |c| c.empty_vector()),
    Builtin::abstract_type("Tuple"),
    Builtin::abstract_type("Nothing"),
    Builtin::module("Sys"),
    Builtin::module("Base"),
    Builtin::module("Main"),
    Builtin::module("Core"),
];

/// One built-in call being evaluated.
pub(crate) struct Call<'i, 'e> {
    pub(super) it: &'i mut Interp,
    pub(super) e: &'e Expr,
    pub(super) name: &'e str,
    pub(super) pos: Vec<Value>,
    pub(super) kw: Vec<(String, Value)>,
}

impl Call<'_, '_> {
    pub(super) fn fail(&mut self, reason: impl Into<String>) -> R<Value> {
        Ok(self.it.unknown(self.e, reason))
    }

    pub(super) fn take_kw(&mut self, key: &str) -> Option<Value> {
        let i = self.kw.iter().position(|(k, _)| k == key)?;
        Some(self.kw.remove(i).1)
    }

    pub(super) fn leftover_kwargs(&mut self) {
        let left: Vec<String> = self.kw.drain(..).map(|(k, _)| k).collect();
        for k in left {
            let msg = format!(
                "keyword argument `{k}` of `{}` is not supported; it is ignored",
                self.name
            );
            self.it.warn_at(self.e, msg);
        }
    }

    pub(super) fn arity(&mut self, min: usize, max: usize) -> Option<R<Value>> {
        let n = self.pos.len();
        if n < min || n > max {
            let want = if min == max { format!("{min}") } else { format!("{min} to {max}") };
            let msg = format!("`{}` expects {want} positional argument(s), got {n}", self.name);
            return Some(self.fail(msg));
        }
        None
    }

    pub(super) fn predicate(&mut self, f: &Value, x: Value) -> R<Result<bool, Value>> {
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

    pub(super) fn str_arg(v: &Value) -> Option<String> {
        match v {
            Value::Str(s) => Some(s.clone()),
            Value::Symbol(s) => Some(s.clone()),
            _ => None,
        }
    }

    pub(super) fn filter_map(&mut self) -> R<Value> {
        let name = self.name;
        if let Some(r) = self.arity(2, 2) {
            return r;
        }
        let f = self.pos.remove(0);
        let coll = self.pos.remove(0);
        let xs = match coll {
            Value::Vector(xs) | Value::Tuple(xs) => xs,
            // The importer runs the recipe without command-line arguments.
            Value::Args if name == "map" => return Ok(Value::Vector(Vec::new())),
            Value::Args => return Ok(Value::Args),
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

    pub(super) fn collect(&mut self) -> R<Value> {
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

    pub(super) fn vcat(&mut self) -> R<Value> {
        let vals = std::mem::take(&mut self.pos);
        Ok(Value::Vector(flatten(vals)))
    }

    pub(super) fn push(&mut self) -> R<Value> {
        let name = self.name;
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

    /// `Returns(v)`: a function of any arguments that returns `v`.
    pub(super) fn returns(&mut self) -> R<Value> {
        if let Some(r) = self.arity(1, 1) {
            return r;
        }
        self.leftover_kwargs();
        Ok(Value::Returns(Box::new(self.pos.remove(0))))
    }

    pub(super) fn unique(&mut self) -> R<Value> {
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

    /// `setdiff(a, itrs...)`: the distinct elements of `a`, in order, that are in none of the
    /// following collections. Every comparison is an evaluation step, so that long vectors stay
    /// within the step bound.
    pub(super) fn setdiff(&mut self) -> R<Value> {
        if let Some(r) = self.arity(1, usize::MAX) {
            return r;
        }
        let mut args = std::mem::take(&mut self.pos).into_iter();
        let (Some(Value::Vector(xs) | Value::Tuple(xs)), rest) = (args.next(), args) else {
            return self.fail("`setdiff` needs vectors");
        };
        let mut remove = Vec::new();
        for v in rest {
            match v {
                Value::Vector(ys) | Value::Tuple(ys) => remove.push(ys),
                _ => return self.fail("`setdiff` needs vectors"),
            }
        }
        let mut out: Vec<Value> = Vec::new();
        for x in xs {
            let mut keep = true;
            for y in remove.iter().flatten().chain(&out) {
                self.it.step(self.e)?;
                if y.julia_eq(&x) == Some(true) {
                    keep = false;
                    break;
                }
            }
            if keep {
                out.push(x);
            }
        }
        Ok(Value::Vector(out))
    }

    pub(super) fn length_first_last(&mut self) -> R<Value> {
        let name = self.name;
        if let Some(r) = self.arity(1, 1) {
            return r;
        }
        let xs = match self.pos.remove(0) {
            Value::Vector(xs) | Value::Tuple(xs) => xs,
            Value::Str(s) => s.chars().map(Value::Char).collect(),
            Value::Args => Vec::new(),
            Value::Dict(kv) => {
                kv.into_iter().map(|(k, v)| Value::Pair(Box::new(k), Box::new(v))).collect()
            }
            other => {
                let t = other.type_name();
                return self.fail(format!("`{name}` of a {t} is not supported"));
            }
        };
        Ok(match name {
            "length" | "lastindex" => Value::Int(xs.len() as i64),
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

    /// `enumerate(xs)`: `(i, x)` tuples.
    pub(super) fn enumerate(&mut self) -> R<Value> {
        if let Some(r) = self.arity(1, 1) {
            return r;
        }
        match super::iterate(self.pos.remove(0)) {
            Ok(xs) => Ok(Value::Vector(
                xs.into_iter()
                    .enumerate()
                    .map(|(i, x)| Value::Tuple(vec![Value::Int(i as i64 + 1), x]))
                    .collect(),
            )),
            Err(Some(u)) => Ok(Value::Unknown(u)),
            Err(None) => self.fail("`enumerate` needs a collection"),
        }
    }

    /// `split(s)` (on whitespace), `split(s, sep)` with a string or character separator.
    pub(super) fn split(&mut self) -> R<Value> {
        if let Some(r) = self.arity(1, 2) {
            return r;
        }
        let _ = self.take_kw("keepempty");
        self.leftover_kwargs();
        let parts: Vec<String> = match self.pos.as_slice() {
            [Value::Str(s)] => s.split_whitespace().map(str::to_owned).collect(),
            [Value::Str(s), Value::Str(sep)] if !sep.is_empty() => {
                s.split(sep.as_str()).map(str::to_owned).collect()
            }
            [Value::Str(s), Value::Char(c)] => s.split(*c).map(str::to_owned).collect(),
            _ => return self.fail("`split` needs a string and a string or character separator"),
        };
        Ok(Value::Vector(parts.into_iter().map(Value::Str).collect()))
    }

    /// `match(r"...", s)`: `nothing`, or the captures as a Dict keyed by group number and by
    /// `:name` for named groups (`m[1]`, `m[:major]`; an unmatched group is `nothing`).
    pub(super) fn regex_match(&mut self) -> R<Value> {
        let (Some(Value::Regex(pattern)), Some(Value::Str(s))) =
            (self.pos.first(), self.pos.get(1))
        else {
            return self.fail("`match` needs a regex and a string");
        };
        let re = match compile_regex(pattern) {
            Ok(re) => re,
            Err(why) => return self.fail(why),
        };
        let Some(caps) = re.captures(s) else { return Ok(Value::Nothing) };
        let group = |m: Option<regex::Match<'_>>| match m {
            Some(m) => Value::Str(m.as_str().to_owned()),
            None => Value::Nothing,
        };
        let mut kv = Vec::new();
        for i in 1..caps.len() {
            kv.push((Value::Int(i as i64), group(caps.get(i))));
        }
        for name in re.capture_names().flatten() {
            kv.push((Value::Symbol(name.to_owned()), group(caps.name(name))));
        }
        Ok(Value::Dict(kv))
    }

    /// `Int(x)` of an integer, an integral float, a Bool or a character.
    pub(super) fn int(&mut self) -> R<Value> {
        match self.pos.as_slice() {
            [Value::Int(i)] => Ok(Value::Int(*i)),
            [Value::Bool(b)] => Ok(Value::Int(i64::from(*b))),
            [Value::Char(c)] => Ok(Value::Int(i64::from(u32::from(*c)))),
            [Value::Float(f)] if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Value::Int(*f as i64)),
            _ => self.fail("`Int(x)` needs an integer, an integral float, a Bool or a character"),
        }
    }

    /// `findall(f, xs)`: the indices where `f` holds.
    pub(super) fn findall(&mut self) -> R<Value> {
        if let Some(r) = self.arity(2, 2) {
            return r;
        }
        let (f, coll) = (self.pos.remove(0), self.pos.remove(0));
        let xs = match super::iterate(coll) {
            Ok(xs) => xs,
            Err(Some(u)) => return Ok(Value::Unknown(u)),
            Err(None) => return self.fail("`findall` needs a collection"),
        };
        let mut out = Vec::new();
        for (i, x) in xs.into_iter().enumerate() {
            match self.predicate(&f, x)? {
                Ok(true) => out.push(Value::Int(i as i64 + 1)),
                Ok(false) => {}
                Err(u) => return Ok(u),
            }
        }
        Ok(Value::Vector(out))
    }

    /// `any(xs)`, `all(xs)`, `any(f, xs)`, `all(f, xs)`.
    pub(super) fn any_all(&mut self) -> R<Value> {
        let any = self.name == "any";
        if let Some(r) = self.arity(1, 2) {
            return r;
        }
        let f = if self.pos.len() == 2 { Some(self.pos.remove(0)) } else { None };
        let xs = match super::iterate(self.pos.remove(0)) {
            Ok(xs) => xs,
            Err(Some(u)) => return Ok(Value::Unknown(u)),
            Err(None) => return self.fail(format!("`{}` needs a collection", self.name)),
        };
        for x in xs {
            let b = match &f {
                Some(f) => match self.predicate(f, x)? {
                    Ok(b) => b,
                    Err(u) => return Ok(u),
                },
                None => match x {
                    Value::Bool(b) => b,
                    Value::Unknown(u) => return Ok(Value::Unknown(u)),
                    other => {
                        let t = other.type_name();
                        return self.fail(format!("`{}` over a {t}, not Bools", self.name));
                    }
                },
            };
            if b == any {
                return Ok(Value::Bool(any));
            }
        }
        Ok(Value::Bool(!any))
    }

    /// `deleteat!(xs, i)`: the vector without element `i` (or the indices in a vector).
    pub(super) fn deleteat(&mut self) -> R<Value> {
        if let Some(r) = self.arity(2, 2) {
            return r;
        }
        let (coll, idx) = (self.pos.remove(0), self.pos.remove(0));
        let mut xs = match coll {
            Value::Vector(xs) => xs,
            // Deleting from the (empty) command-line arguments.
            Value::Args => return Ok(Value::Args),
            other => {
                let t = other.type_name();
                return self.fail(format!("`deleteat!` on a {t} is not supported"));
            }
        };
        let mut drop: Vec<i64> = match idx {
            Value::Int(i) => vec![i],
            Value::Vector(is) => is
                .iter()
                .filter_map(|v| if let Value::Int(i) = v { Some(*i) } else { None })
                .collect(),
            _ => return self.fail("`deleteat!` needs an index or a vector of indices"),
        };
        drop.sort_unstable();
        for i in drop.into_iter().rev() {
            match usize::try_from(i).ok().and_then(|i| i.checked_sub(1)).filter(|i| *i < xs.len()) {
                Some(i) => {
                    xs.remove(i);
                }
                None => return self.fail(format!("index {i} is out of bounds")),
            }
        }
        Ok(Value::Vector(xs))
    }

    /// `parse(Platform, s)`, `parse(Int, s)`, `parse(VersionNumber, s)`. A platform taken from
    /// the command line (which the importer does not have) is assumed to be
    /// `x86_64-linux-gnu`, with a warning.
    pub(super) fn parse(&mut self) -> R<Value> {
        if let Some(r) = self.arity(2, 2) {
            return r;
        }
        let (ty, s) = (self.pos.remove(0), self.pos.remove(0));
        let Value::Type(ty) = ty else { return self.fail("`parse` needs a type") };
        match (ty.as_str(), s) {
            ("Platform" | "AbstractPlatform", Value::Str(s)) => {
                match crate::platform::Platform::from_triplet(&s) {
                    Some(p) => Ok(Value::Platform(p)),
                    None => self.fail(format!("{s:?} is not a platform triplet")),
                }
            }
            ("Platform" | "AbstractPlatform", Value::Unknown(u)) => {
                let msg = format!(
                    "the platform cannot be determined ({}); {} is assumed",
                    u.reason,
                    crate::platform::BUILDABLE_TRIPLET
                );
                self.it.warn_at(self.e, msg);
                Ok(Value::Platform(crate::platform::Platform::new("x86_64", "linux")))
            }
            (_, Value::Unknown(u)) => Ok(Value::Unknown(u)),
            ("Int", Value::Str(s)) => match s.trim().parse::<i64>() {
                Ok(i) => Ok(Value::Int(i)),
                Err(_) => self.fail(format!("{s:?} is not an integer")),
            },
            ("VersionNumber", Value::Str(s)) => match JVersion::parse(&s) {
                Some(v) => Ok(Value::Version(v)),
                None => self.fail(format!("{s:?} is not a version")),
            },
            (t, other) => {
                let o = other.type_name();
                self.fail(format!("`parse({t}, ...)` of a {o} is not supported"))
            }
        }
    }

    /// `isone(n)`, `iszero(n)`.
    pub(super) fn int_test(&mut self) -> R<Value> {
        let want = if self.name == "isone" { 1 } else { 0 };
        match self.pos.as_slice() {
            [Value::Int(n)] => Ok(Value::Bool(*n == want)),
            [Value::Float(f)] => Ok(Value::Bool(*f == want as f64)),
            _ => {
                let name = self.name;
                self.fail(format!("`{name}` needs one number"))
            }
        }
    }

    /// `minimum(xs)`, `maximum(xs)`, `min(a, b, ...)`, `max(a, b, ...)` over numbers,
    /// strings or versions.
    pub(super) fn min_max(&mut self) -> R<Value> {
        let name = self.name;
        let xs = match std::mem::take(&mut self.pos).as_slice() {
            [Value::Vector(xs) | Value::Tuple(xs)] if name.ends_with("imum") => xs.clone(),
            xs if !name.ends_with("imum") && !xs.is_empty() => xs.to_vec(),
            _ => return self.fail(format!("`{name}` needs a non-empty collection")),
        };
        let mut best: Option<Value> = None;
        for x in xs {
            best = Some(match best {
                None => x,
                Some(b) => {
                    let less = self.it.binary_values(self.e, "<", x.clone(), b.clone());
                    match less {
                        Value::Bool(l) => {
                            if l == name.starts_with("min") {
                                x
                            } else {
                                b
                            }
                        }
                        other => return Ok(other),
                    }
                }
            });
        }
        match best {
            Some(b) => Ok(b),
            None => self.fail(format!("`{name}` of an empty collection")),
        }
    }

    /// `Base.thisminor(v)` and friends: the version cut after that component.
    pub(super) fn this_version(&mut self) -> R<Value> {
        let [Value::Version(v)] = self.pos.as_slice() else {
            let name = self.name;
            return self.fail(format!("`{name}` needs a VersionNumber"));
        };
        let keep = match self.name {
            "thismajor" => 1,
            "thisminor" => 2,
            _ => 3,
        };
        let c = |i: usize| if i < keep { v.component(i) } else { 0 };
        Ok(Value::Version(JVersion::new(c(0), c(1), c(2))))
    }

    pub(super) fn in_(&mut self) -> R<Value> {
        if let Some(r) = self.arity(2, 2) {
            return r;
        }
        let (x, coll) = (self.pos.remove(0), self.pos.remove(0));
        Ok(self.it.binary_values(self.e, "in", x, coll))
    }

    pub(super) fn string(&mut self) -> R<Value> {
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

    pub(super) fn symbol(&mut self) -> R<Value> {
        match self.pos.as_slice() {
            [Value::Str(s)] => Ok(Value::Symbol(s.clone())),
            _ => self.fail("`Symbol` needs one string"),
        }
    }

    pub(super) fn joinpath(&mut self) -> R<Value> {
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

    pub(super) fn string_unary(&mut self) -> R<Value> {
        let name = self.name;
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

    pub(super) fn replace(&mut self) -> R<Value> {
        if self.pos.len() < 2 {
            return self.fail("`replace` needs a string and `old => new` pairs");
        }
        let Value::Str(s) = self.pos.remove(0) else {
            return self.fail("`replace` needs a string");
        };
        let count = match self.take_kw("count") {
            None => usize::MAX,
            Some(Value::Int(n)) if n >= 0 => n as usize,
            Some(_) => return self.fail("`count` must be a non-negative integer"),
        };
        self.leftover_kwargs();
        let mut rules = Vec::new();
        for p in std::mem::take(&mut self.pos) {
            let Value::Pair(a, b) = p else {
                return self.fail("`replace` needs `pattern => replacement` pairs");
            };
            let pattern = match *a {
                Value::Str(a) if !a.is_empty() => Pattern::Literal(a),
                Value::Char(c) => Pattern::Literal(c.to_string()),
                Value::Regex(r) => match compile_regex(&r) {
                    Ok(re) => Pattern::Regex(re),
                    Err(why) => return self.fail(why),
                },
                other => {
                    let t = other.type_name();
                    return self.fail(format!("`replace` with a {t} pattern is not supported"));
                }
            };
            let with = match *b {
                Value::Str(b) => Replacement::Literal(b),
                Value::Char(c) => Replacement::Literal(c.to_string()),
                Value::Subst(t) => Replacement::Subst(t),
                other => {
                    let t = other.type_name();
                    return self.fail(format!("`replace` with a {t} replacement is not supported"));
                }
            };
            rules.push((pattern, with));
        }
        match replace_all(&s, &rules, count) {
            Some(out) => Ok(Value::Str(out)),
            None => self.fail("the string would exceed the size limit"),
        }
    }

    pub(super) fn string_test(&mut self) -> R<Value> {
        let name = self.name;
        let (hay, needle) = match (name, self.pos.as_slice()) {
            ("occursin", [n, Value::Str(h)]) => (h.clone(), n.clone()),
            ("startswith" | "endswith", [Value::Str(h), n]) => (h.clone(), n.clone()),
            _ => return self.fail(format!("`{name}` needs two strings (or a string and a regex)")),
        };
        Ok(Value::Bool(match needle {
            Value::Str(n) => match name {
                "startswith" => hay.starts_with(n.as_str()),
                "endswith" => hay.ends_with(n.as_str()),
                _ => hay.contains(n.as_str()),
            },
            Value::Char(c) if name != "occursin" => {
                if name == "startswith" {
                    hay.starts_with(c)
                } else {
                    hay.ends_with(c)
                }
            }
            Value::Regex(r) => {
                let anchored = match name {
                    "startswith" => format!("\\A(?:{r})"),
                    "endswith" => format!("(?:{r})\\z"),
                    _ => r,
                };
                match compile_regex(&anchored) {
                    Ok(re) => re.is_match(&hay),
                    Err(why) => return self.fail(why),
                }
            }
            other => {
                let t = other.type_name();
                return self.fail(format!("`{name}` with a {t} is not supported"));
            }
        }))
    }

    /// `deepcopy(x)`, `copy(x)`: values are never shared, so a copy is the value.
    pub(super) fn identity(&mut self) -> R<Value> {
        if let Some(r) = self.arity(1, 1) {
            return r;
        }
        Ok(self.pos.remove(0))
    }

    /// `Vector()`, `Vector{T}()`: an empty vector.
    pub(super) fn empty_vector(&mut self) -> R<Value> {
        if let Some(r) = self.arity(0, 0) {
            return r;
        }
        Ok(Value::Vector(Vec::new()))
    }

    /// `normpath(p)`: `.` and `a/..` removed, lexically; `normpath(a, b, ...)` normalizes
    /// `joinpath(a, b, ...)`.
    pub(super) fn normpath(&mut self) -> R<Value> {
        if self.pos.len() > 1 {
            match self.joinpath()? {
                Value::Str(joined) => self.pos = vec![Value::Str(joined)],
                other => return Ok(other),
            }
        }
        let [Value::Str(p)] = self.pos.as_slice() else {
            return self.fail("`normpath` needs strings");
        };
        let mut out: Vec<&str> = Vec::new();
        for c in p.split('/') {
            match c {
                "." => {}
                "" if !out.is_empty() => {}
                ".." if out.last().is_some_and(|l| !l.is_empty() && *l != "..") => {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        let joined = out.join("/");
        Ok(Value::Str(if joined.is_empty() && p.starts_with('/') { "/".into() } else { joined }))
    }

    /// `isnothing(x)`.
    pub(super) fn isnothing(&mut self) -> R<Value> {
        if let Some(r) = self.arity(1, 1) {
            return r;
        }
        Ok(Value::Bool(matches!(self.pos[0], Value::Nothing)))
    }

    /// `pwd()` and the like: facts about the machine running Julia, which the importer does not
    /// assume.
    pub(super) fn host_only(&mut self) -> R<Value> {
        let name = self.name;
        self.fail(format!(
            "`{name}()` depends on where Julia runs; the importer does not assume it"
        ))
    }

    /// `read(path, String)`, `read(path)`: a file next to the recipe, read when it is a regular
    /// file inside the include root, else unknown with a warning.
    pub(super) fn read(&mut self) -> R<Value> {
        let path = match self.pos.as_slice() {
            [Value::Str(p)] | [Value::Str(p), Value::Type(_)] => p.clone(),
            _ => return self.fail("`read(path, String)` needs a path"),
        };
        match self.it.read_file(self.e, &path) {
            Ok(text) => Ok(Value::Str(text)),
            Err(ReadError::Absent(why)) => {
                // The corpus (and a checkout without a recipe's bundled files) lacks the file:
                // the recipe still imports, with a script that fails loudly in its place.
                self.it.warn_at(
                    self.e,
                    format!("{why}; its content is replaced by a command that fails"),
                );
                Ok(Value::Str(format!(
                    "echo 'repro: {path} was not found when this recipe was imported' >&2; false\n"
                )))
            }
            Err(ReadError::Refused(why)) => self.fail(why),
        }
    }

    pub(super) fn tuple(&mut self) -> R<Value> {
        Ok(Value::Tuple(std::mem::take(&mut self.pos)))
    }

    pub(super) fn pair(&mut self) -> R<Value> {
        if let Some(r) = self.arity(2, 2) {
            return r;
        }
        let (a, b) = (self.pos.remove(0), self.pos.remove(0));
        Ok(Value::Pair(Box::new(a), Box::new(b)))
    }

    pub(super) fn dict(&mut self) -> R<Value> {
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

    pub(super) fn dict_get(&mut self) -> R<Value> {
        let name = self.name;
        let (d, k) = match self.pos.as_slice() {
            [Value::Dict(d), k, ..] => (d.clone(), k.clone()),
            _ => return self.fail(format!("`{name}` needs a Dict")),
        };
        let found =
            d.iter().find(|(key, _)| key.julia_eq(&k) == Some(true)).map(|(_, v)| v.clone());
        Ok(match name {
            "haskey" => Value::Bool(found.is_some()),
            _ => match (found, self.pos.get(2)) {
                (Some(v), _) => v,
                (None, Some(default)) => default.clone(),
                (None, None) => return self.fail("key not found"),
            },
        })
    }

    pub(super) fn error(&mut self) -> R<Value> {
        self.fail("the recipe calls `error(...)`")
    }

    pub(super) fn print(&mut self) -> R<Value> {
        Ok(Value::Nothing)
    }

    pub(super) fn version_number(&mut self) -> R<Value> {
        match self.pos.as_slice() {
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
        }
    }
}

pub(super) fn as_str(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// Largest compiled regex (bytes of automaton), to bound hostile patterns.
const MAX_REGEX_SIZE: usize = 1 << 20;

/// Compiles a Julia (PCRE) pattern with Rust's `regex`, which accepts the common subset.
pub(super) fn compile_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(pattern).size_limit(MAX_REGEX_SIZE).build().map_err(|e| {
        format!(
            "regex `{pattern}` is not supported: {}",
            e.to_string().lines().last().unwrap_or("")
        )
    })
}

enum Pattern {
    Literal(String),
    Regex(regex::Regex),
}

enum Replacement {
    Literal(String),
    /// A substitution string: `\N` and `\g<name>` refer to captures.
    Subst(String),
}

/// Julia's `replace(s, pairs...; count)`: at each position the first pattern that matches
/// earliest wins, and replaced text is not scanned again. `None` when the result would exceed
/// the string size limit.
fn replace_all(s: &str, rules: &[(Pattern, Replacement)], count: usize) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut pos = 0;
    let mut done = 0;
    while pos <= s.len() && done < count {
        // (start, end, rule index, captures)
        let mut best: Option<(usize, usize, usize, Option<regex::Captures<'_>>)> = None;
        for (i, (pat, _)) in rules.iter().enumerate() {
            let found = match pat {
                Pattern::Literal(l) => {
                    s[pos..].find(l.as_str()).map(|k| (pos + k, pos + k + l.len(), None))
                }
                Pattern::Regex(re) => re.captures_at(s, pos).and_then(|c| {
                    let m = c.get(0)?;
                    Some((m.start(), m.end(), Some(c)))
                }),
            };
            if let Some((a, b, caps)) = found
                && best.as_ref().is_none_or(|(x, ..)| a < *x)
            {
                best = Some((a, b, i, caps));
            }
        }
        let Some((a, b, i, caps)) = best else { break };
        out.push_str(&s[pos..a]);
        match (&rules[i].1, caps) {
            (Replacement::Literal(l), _) => out.push_str(l),
            (Replacement::Subst(t), Some(caps)) => caps.expand(&subst_to_rust(t), &mut out),
            (Replacement::Subst(t), None) => out.push_str(t),
        }
        done += 1;
        if out.len() > super::MAX_STRING_BYTES {
            return None;
        }
        if b == a {
            // An empty match: keep the next character and move on.
            match s[b..].chars().next() {
                Some(c) => {
                    out.push(c);
                    pos = b + c.len_utf8();
                }
                None => {
                    pos = b + 1;
                    break;
                }
            }
        } else {
            pos = b;
        }
    }
    if pos <= s.len() {
        out.push_str(&s[pos..]);
    }
    Some(out)
}

/// A Julia substitution string (`\1`, `\g<name>`, `\\`) in `regex`'s `${1}` syntax.
fn subst_to_rust(t: &str) -> String {
    let mut out = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    let mut n = String::new();
                    while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                        n.push(d);
                        chars.next();
                    }
                    out.push_str(&format!("${{{n}}}"));
                }
                Some('g') => {
                    chars.next();
                    if chars.peek() == Some(&'<') {
                        chars.next();
                        let name: String = chars.by_ref().take_while(|&c| c != '>').collect();
                        out.push_str(&format!("${{{name}}}"));
                    } else {
                        out.push_str("\\g");
                    }
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_builtin_name_is_defined_once() {
        let mut seen = HashSet::new();
        for b in JULIA.iter().chain(super::super::bb::BINARYBUILDER) {
            assert!(seen.insert(b.name), "{} is in the built-in table twice", b.name);
            assert!(std::ptr::eq(find(b.name).unwrap(), b));
        }
    }

    #[test]
    fn functions_are_callable_and_modules_are_not() {
        for b in JULIA.iter().chain(super::super::bb::BINARYBUILDER) {
            match b.kind {
                Kind::Function => assert!(b.run.is_some(), "{}", b.name),
                Kind::Module => assert!(b.run.is_none(), "{}", b.name),
                Kind::Type => {}
            }
            assert!(!b.sys || b.kind == Kind::Function, "{}", b.name);
        }
    }
}
