//! Syntax tree for the Julia subset: every node carries its start [`Loc`] and end offset so
//! warnings can quote the construct they are about.

use crate::Loc;

/// An expression (statements are expressions too, as in Julia).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) loc: Loc,
    /// Character offset one past the end of the expression's source text.
    pub(crate) end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    Ident(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nothing,
    Char(char),
    Symbol(String),
    /// A string literal; interpolations are parsed expressions.
    Str(Vec<StrPiece>),
    /// `name"..."` (`raw`, `v`, `r`, ...).
    StrMacro {
        name: String,
        content: String,
    },
    /// `@name args...` or `@name(args...)`.
    Macro {
        name: String,
        args: Vec<Expr>,
    },
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    /// `f.(args)`: the call applied elementwise.
    Broadcast {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    /// `a.b`.
    Field {
        base: Box<Expr>,
        name: String,
    },
    /// `a[i]`, also typed vector literals `T[a, b]`.
    Index {
        base: Box<Expr>,
        items: Vec<Expr>,
        concat: bool,
    },
    /// `[a, b]` (`concat` = false) or `[a; b]`/newline-separated (`concat` = true).
    Vector {
        items: Vec<Expr>,
        concat: bool,
    },
    /// `[expr for x in xs, (a, b) in ys if cond]`, also the generator `(expr for x in xs)`:
    /// (pattern, collection) pairs, the first outermost.
    Comprehension {
        body: Box<Expr>,
        gens: Vec<(Expr, Expr)>,
        cond: Option<Box<Expr>>,
    },
    Tuple(Vec<Expr>),
    /// `(; a = 1)` or `(a = 1,)`.
    NamedTuple(Vec<(String, Expr)>),
    Binary {
        op: String,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Unary {
        op: String,
        expr: Box<Expr>,
    },
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Lambda {
        params: Vec<String>,
        body: Box<Expr>,
    },
    Splat(Box<Expr>),
    /// `x::T` (the type is ignored).
    TypeAssert {
        expr: Box<Expr>,
        ty: Box<Expr>,
    },
    /// `end` inside an index.
    End,
    /// `lhs = rhs`, `lhs += rhs`, `const lhs = rhs` ...
    Assign {
        op: String,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Block(Vec<Expr>),
    /// `let a = 1, b; body end`: a new scope.
    Let {
        bindings: Vec<Expr>,
        body: Vec<Expr>,
    },
    If {
        branches: Vec<(Expr, Vec<Expr>)>,
        otherwise: Option<Vec<Expr>>,
    },
    For {
        var: Box<Expr>,
        iter: Box<Expr>,
        body: Vec<Expr>,
    },
    While {
        cond: Box<Expr>,
        body: Vec<Expr>,
    },
    Function(std::rc::Rc<FunctionDef>),
    Return(Option<Box<Expr>>),
    /// `using A`, `import B: c` (ignored).
    Using(String),
    /// `const`/`global`/`local` declarations wrap their inner assignment.
    Decl {
        kind: String,
        expr: Box<Expr>,
    },
    /// `module Name ... end`: evaluated in its own global scope, its names reached as
    /// `Name.x`.
    Module {
        name: String,
        body: Vec<Expr>,
    },
    /// `try body catch ... end`: the body is evaluated; the `catch` branch (run only on a
    /// Julia error, which the importer does not model) is not.
    Try(Vec<Expr>),
    /// A block construct parsed only to skip it: `struct`, `try`, `quote`, ...
    Other(String),
    Break,
    Continue,
}

/// One piece of a string literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StrPiece {
    Lit(String),
    Interp { expr: Expr, text: String },
}

/// A call argument.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Arg {
    /// `Some` for keyword arguments; `Some("...")` for a keyword splat `kw...` after `;`.
    pub(crate) name: Option<String>,
    pub(crate) value: Expr,
    /// Written after the `;` of the argument list.
    pub(crate) after_semicolon: bool,
}

/// `function name(params; kwparams) body end` or `name(params) = expr`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FunctionDef {
    pub(crate) name: String,
    pub(crate) params: Vec<Param>,
    pub(crate) kwparams: Vec<Param>,
    pub(crate) body: Vec<Expr>,
    pub(crate) loc: Loc,
    /// The module it was defined in (`None`: the recipe's own global scope); set when the
    /// definition is evaluated.
    pub(crate) module: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) default: Option<Expr>,
    /// `args...`.
    pub(crate) splat: bool,
}
