//! Values of the importer's small Julia evaluator.
//!
//! Anything the evaluator cannot compute becomes [`Value::Unknown`], which remembers where it
//! came from and why; it propagates through every operation so that the final conversion can
//! name the construct that made a recipe field unconvertible.

use std::collections::HashMap;
use std::fmt;
use std::rc::Rc;

use crate::Loc;
use crate::ast::{Expr, FunctionDef};
use crate::platform::Platform;
use repro_recipe::{Product, Source};

#[derive(Debug, Clone)]
pub(crate) enum Value {
    Nothing,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Char(char),
    Symbol(String),
    /// `r"..."`: the pattern, checked to compile.
    Regex(String),
    /// `s"..."`: a substitution string (`\1`, `\g<name>` refer to captures).
    Subst(String),
    Version(JVersion),
    Vector(Vec<Value>),
    Tuple(Vec<Value>),
    /// Shared: reading a variable holding one (often inside a list of builds) copies no field.
    NamedTuple(Rc<Vec<(String, Value)>>),
    Pair(Box<Value>, Box<Value>),
    Dict(Vec<(Value, Value)>),
    Platform(Platform),
    Source(Source, Loc),
    Product(Product),
    Dep(Rc<DepValue>),
    /// `PackageSpec(name=..., version=...)`: the name and the version, if given.
    PackageSpec(String, Option<String>),
    /// A built-in function (`supported_platforms`, `Sys.islinux`, ...).
    Builtin(String),
    /// A type name (`Dependency`, `Product`, `Platform`, ...); callable as a constructor.
    Type(String),
    /// A module name (`Sys`, `Base`, `BinaryBuilder`, ...).
    Module(String),
    Lambda(Rc<LambdaValue>),
    Function(Rc<FunctionDef>),
    /// `!f`.
    Not(Box<Value>),
    /// `>=(x)`: an operator with its right operand fixed (`y -> y >= x`).
    OpFix(String, Box<Value>),
    /// `Returns(v)`: a function that ignores its arguments and returns `v`.
    Returns(Box<Value>),
    /// The script's command-line arguments.
    Args,
    Unknown(Rc<Unknown>),
}

/// Why a value could not be computed, and where.
#[derive(Debug)]
pub(crate) struct Unknown {
    pub(crate) loc: Loc,
    pub(crate) construct: String,
    pub(crate) reason: String,
}

#[derive(Debug)]
pub(crate) struct LambdaValue {
    pub(crate) params: Vec<String>,
    pub(crate) body: Expr,
    pub(crate) captured: HashMap<String, Value>,
}

/// A `Dependency(...)`-like value.
#[derive(Debug)]
pub(crate) struct DepValue {
    /// `Dependency`, `BuildDependency`, `HostBuildDependency`, `RuntimeDependency`.
    pub(crate) kind: String,
    /// The package name, e.g. `Zlib_jll`.
    pub(crate) name: String,
    /// `platforms=` when given.
    pub(crate) platforms: Option<Value>,
    /// `compat="..."` when given.
    pub(crate) compat: Option<Value>,
    /// The version to build with: the second positional argument (`build_version`) or the
    /// `PackageSpec`'s `version`.
    pub(crate) version: Option<String>,
    /// The source text of the whole constructor call.
    pub(crate) text: String,
    pub(crate) loc: Loc,
}

/// A Julia `VersionNumber`, possibly with more than three components or suffixes (which the
/// recipe format does not allow; the converter warns about them).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct JVersion {
    pub(crate) parts: Vec<u64>,
    pub(crate) prerelease: String,
    pub(crate) build: String,
}

impl JVersion {
    pub(crate) fn new(major: u64, minor: u64, patch: u64) -> JVersion {
        JVersion {
            parts: vec![major, minor, patch],
            prerelease: String::new(),
            build: String::new(),
        }
    }

    /// Parses `1`, `1.2`, `1.2.3`, `1.2.3-rc1+build`, with an optional leading `v`.
    pub(crate) fn parse(s: &str) -> Option<JVersion> {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let (rest, build) = match s.split_once('+') {
            Some((a, b)) => (a, b.to_owned()),
            None => (s, String::new()),
        };
        let (nums, prerelease) = match rest.split_once('-') {
            Some((a, b)) => (a, b.to_owned()),
            None => (rest, String::new()),
        };
        let mut parts = Vec::new();
        for p in nums.split('.') {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts.push(p.parse().ok()?);
        }
        if parts.is_empty() || parts.len() > 4 {
            return None;
        }
        while parts.len() < 3 {
            parts.push(0);
        }
        Some(JVersion { parts, prerelease, build })
    }

    pub(crate) fn component(&self, i: usize) -> u64 {
        self.parts.get(i).copied().unwrap_or(0)
    }
}

impl fmt::Display for JVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nums: Vec<String> = self.parts.iter().map(u64::to_string).collect();
        write!(f, "{}", nums.join("."))?;
        if !self.prerelease.is_empty() {
            write!(f, "-{}", self.prerelease)?;
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build)?;
        }
        Ok(())
    }
}

impl Value {
    /// A short name of the value's type for messages.
    pub(crate) fn type_name(&self) -> String {
        match self {
            Value::Nothing => "nothing".into(),
            Value::Bool(_) => "Bool".into(),
            Value::Int(_) => "Int".into(),
            Value::Float(_) => "Float64".into(),
            Value::Str(_) => "String".into(),
            Value::Char(_) => "Char".into(),
            Value::Symbol(_) => "Symbol".into(),
            Value::Regex(_) => "Regex".into(),
            Value::Subst(_) => "SubstitutionString".into(),
            Value::Version(_) => "VersionNumber".into(),
            Value::Vector(_) => "Vector".into(),
            Value::Tuple(_) => "Tuple".into(),
            Value::NamedTuple(_) => "NamedTuple".into(),
            Value::Pair(..) => "Pair".into(),
            Value::Dict(_) => "Dict".into(),
            Value::Platform(_) => "Platform".into(),
            Value::Source(..) => "source".into(),
            Value::Product(..) => "product".into(),
            Value::Dep(d) => d.kind.clone(),
            Value::PackageSpec(..) => "PackageSpec".into(),
            Value::Builtin(n) => format!("function `{n}`"),
            Value::Type(n) => format!("type `{n}`"),
            Value::Module(n) => format!("module `{n}`"),
            Value::Lambda(_) | Value::Not(_) | Value::OpFix(..) | Value::Returns(_) => {
                "function".into()
            }
            Value::Function(f) => format!("function `{}`", f.name),
            Value::Args => "ARGS".into(),
            Value::Unknown(_) => "unknown value".into(),
        }
    }

    /// What `string(x)` / `"$x"` gives, when the importer knows.
    pub(crate) fn to_julia_string(&self) -> Option<String> {
        Some(match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => {
                if f.fract() == 0.0 && f.is_finite() {
                    format!("{f:.1}")
                } else {
                    f.to_string()
                }
            }
            Value::Bool(b) => b.to_string(),
            Value::Char(c) => c.to_string(),
            Value::Symbol(s) => s.clone(),
            Value::Version(v) => v.to_string(),
            Value::Nothing => "nothing".into(),
            Value::Platform(p) => p.triplet(),
            _ => return None,
        })
    }

    pub(crate) fn unknown(&self) -> Option<&Rc<Unknown>> {
        match self {
            Value::Unknown(u) => Some(u),
            _ => None,
        }
    }

    /// Julia `==` for the values the importer models; `None` when it cannot tell.
    pub(crate) fn julia_eq(&self, other: &Value) -> Option<bool> {
        use Value::*;
        Some(match (self, other) {
            (Unknown(_), _) | (_, Unknown(_)) => return None,
            (Nothing, Nothing) => true,
            (Bool(a), Bool(b)) => a == b,
            (Int(a), Int(b)) => a == b,
            (Float(a), Float(b)) => a == b,
            (Int(a), Float(b)) | (Float(b), Int(a)) => (*a as f64) == *b,
            (Str(a), Str(b)) => a == b,
            (Char(a), Char(b)) => a == b,
            (Symbol(a), Symbol(b)) => a == b,
            (Regex(a), Regex(b)) | (Subst(a), Subst(b)) => a == b,
            (Version(a), Version(b)) => a == b,
            (Platform(a), Platform(b)) => a == b,
            (Vector(a), Vector(b)) | (Tuple(a), Tuple(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                for (x, y) in a.iter().zip(b) {
                    if !x.julia_eq(y)? {
                        return Some(false);
                    }
                }
                true
            }
            (Pair(a1, a2), Pair(b1, b2)) => a1.julia_eq(b1)? && a2.julia_eq(b2)?,
            (PackageSpec(a, x), PackageSpec(b, y)) => a == b && x == y,
            (Type(a), Type(b)) | (Builtin(a), Builtin(b)) | (Module(a), Module(b)) => a == b,
            (Args, Args) => true,
            (
                Source(..) | Product(..) | Dep(_) | Lambda(_) | Function(_) | Not(_) | Dict(_)
                | NamedTuple(_) | OpFix(..) | Returns(_),
                _,
            )
            | (
                _,
                Source(..) | Product(..) | Dep(_) | Lambda(_) | Function(_) | Not(_) | Dict(_)
                | NamedTuple(_) | OpFix(..) | Returns(_),
            ) => return None,
            _ => false,
        })
    }
}
