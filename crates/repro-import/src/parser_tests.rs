//! Parser tests: precedence, calls, vectors, lambdas, blocks, and syntax errors with positions.

use super::*;
use crate::lexer::tokenize;

fn parse(src: &str) -> Vec<Expr> {
    parse_file(tokenize(0, src).unwrap())
        .unwrap_or_else(|e| panic!("{}:{}: {}", e.loc.line, e.loc.col, e.message))
}

fn one(src: &str) -> Expr {
    let mut v = parse(src);
    assert_eq!(v.len(), 1, "{v:#?}");
    v.remove(0)
}

fn err(src: &str) -> (u32, u32, String) {
    let e = parse_file(tokenize(0, src).unwrap()).unwrap_err();
    (e.loc.line, e.loc.col, e.message)
}

/// A compact rendering of the tree for assertions.
fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Ident(n) => n.clone(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Float(f) => f.to_string(),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Nothing => "nothing".into(),
        ExprKind::Symbol(s) => format!(":{s}"),
        ExprKind::Str(p) => format!("\"{}\"", p.len()),
        ExprKind::StrMacro { name, content } => format!("{name}\"{content}\""),
        ExprKind::Call { callee, args } => {
            let a: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!(
                        "{}{n}={}",
                        if a.after_semicolon { ";" } else { "" },
                        show(&a.value)
                    ),
                    None => show(&a.value),
                })
                .collect();
            format!("{}({})", show(callee), a.join(", "))
        }
        ExprKind::Field { base, name } => format!("{}.{name}", show(base)),
        ExprKind::Index { base, items, .. } => {
            format!("{}[{}]", show(base), items.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        ExprKind::Vector { items, concat } => {
            format!(
                "[{}]",
                items.iter().map(show).collect::<Vec<_>>().join(if *concat { "; " } else { ", " })
            )
        }
        ExprKind::Comprehension { body, gens, cond } => format!(
            "[{} for {}{}]",
            show(body),
            gens.iter()
                .map(|(v, i)| format!("{} in {}", show(v), show(i)))
                .collect::<Vec<_>>()
                .join(", "),
            cond.as_ref().map(|c| format!(" if {}", show(c))).unwrap_or_default()
        ),
        ExprKind::Tuple(items) => {
            format!("({})", items.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        ExprKind::Binary { op, lhs, rhs } => format!("({} {op} {})", show(lhs), show(rhs)),
        ExprKind::Unary { op, expr } => format!("({op}{})", show(expr)),
        ExprKind::Ternary { cond, then, otherwise } => {
            format!("({} ? {} : {})", show(cond), show(then), show(otherwise))
        }
        ExprKind::Lambda { params, body } => format!("({} -> {})", params.join(","), show(body)),
        ExprKind::Splat(x) => format!("{}...", show(x)),
        ExprKind::TypeAssert { expr, ty } => format!("{}::{}", show(expr), show(ty)),
        ExprKind::End => "end".into(),
        ExprKind::Assign { op, lhs, rhs } => format!("{} {op} {}", show(lhs), show(rhs)),
        ExprKind::Block(b) => {
            format!("begin {} end", b.iter().map(show).collect::<Vec<_>>().join("; "))
        }
        ExprKind::Function(f) => {
            format!("function {}/{}/{}", f.name, f.params.len(), f.kwparams.len())
        }
        ExprKind::Return(v) => {
            format!("return {}", v.as_ref().map(|v| show(v)).unwrap_or_default())
        }
        ExprKind::Macro { name, args } => {
            format!("@{name}({})", args.iter().map(show).collect::<Vec<_>>().join(", "))
        }
        other => format!("{other:?}").chars().take(20).collect(),
    }
}

#[test]
fn precedence() {
    assert_eq!(show(&one("a || b && c == d")), "(a || (b && (c == d)))");
    assert_eq!(show(&one("-2^2")), "(-(2 ^ 2))");
    assert_eq!(show(&one("\"a\" * b * c")), "((\"1\" * b) * c)");
    assert_eq!(show(&one("x |> f |> g")), "((x |> f) |> g)");
    assert_eq!(show(&one("100 * v.patch + off")), "((100 * v.patch) + off)");
    assert_eq!(show(&one("k => c ? a : b")), "(k => (c ? a : b))");
    assert_eq!(show(&one("!Sys.iswindows(p)")), "(!Sys.iswindows(p))");
    assert_eq!(show(&one("arch(p) in (\"x\", \"y\")")), "(arch(p) in (\"1\", \"1\"))");
    assert_eq!(show(&one("x ∉ xs")), "(x ∉ xs)");
}

#[test]
fn calls_with_keywords_in_both_forms() {
    assert_eq!(show(&one("f(a, b; c=1, d)")), "f(a, b, ;c=1, ;d=d)");
    assert_eq!(show(&one("f(a, c=1)")), "f(a, c=1)");
    assert_eq!(show(&one("f(;exclude=Sys.iswindows)")), "f(;exclude=Sys.iswindows)");
    assert_eq!(
        show(&one("build_tarballs(ARGS, f(v)...; kw...)")),
        "build_tarballs(ARGS, f(v)..., ;...=kw...)"
    );
    // Newlines inside parentheses are ignored.
    assert_eq!(show(&one("f(\n  a,\n  b\n)")), "f(a, b)");
}

#[test]
fn vectors_concatenation_and_comprehensions() {
    assert_eq!(show(&one("[a, b,]")), "[a, b]");
    assert_eq!(show(&one("[a; b]")), "[a; b]");
    assert_eq!(show(&one("[\n  a\n  b\n]")), "[a; b]");
    assert_eq!(show(&one("Dependency[\n]")), "Dependency[]");
    assert_eq!(show(&one("[x for x in xs if f(x)]")), "[x for x in xs if f(x)]");
    assert_eq!(show(&one("xs[end]")), "xs[end]");
    assert_eq!(
        err("[a b]").2,
        "expected `,`, `;` or `]` in vector (space-separated matrix literals are not supported), found `b`"
    );
}

#[test]
fn lambdas_and_do_blocks() {
    assert_eq!(
        show(&one("filter(p -> Sys.islinux(p) && arch(p) == \"x\", ps)")),
        "filter((p -> (Sys.islinux(p) && (arch(p) == \"1\"))), ps)"
    );
    assert_eq!(show(&one("(a, b) -> a")), "(a,b -> a)");
    assert_eq!(
        show(&one("filter(ps) do p\n  Sys.islinux(p)\nend")),
        "filter((p -> begin Sys.islinux(p) end), ps)"
    );
}

#[test]
fn statements_and_blocks() {
    let v = parse("using BinaryBuilder, Pkg\nconst x = v\"1.2\"\nname, ver = f()\n");
    assert_eq!(v.len(), 3);
    assert!(matches!(v[0].kind, ExprKind::Using(_)));
    assert!(matches!(v[1].kind, ExprKind::Decl { .. }));
    assert_eq!(show(&v[2]), "(name, ver) = f()");
    let f = one(
        "function cfg(v::VersionNumber; version::VersionNumber=v, kwargs...)\n  return a, b\nend",
    );
    let ExprKind::Function(def) = &f.kind else { panic!() };
    assert_eq!(def.params.len(), 1);
    assert_eq!(def.kwparams.len(), 2);
    assert!(def.kwparams[0].default.is_some());
    assert!(def.kwparams[1].splat);
    assert_eq!(show(&def.body[0]), "return (a, b)");
    let i = one("if a\n x = 1\nelseif b\n x = 2\nelse\n x = 3\nend");
    let ExprKind::If { branches, otherwise } = &i.kind else { panic!() };
    assert_eq!((branches.len(), otherwise.is_some()), (2, true));
    assert_eq!(show(&one("@show x y")), "@show(x, y)");
    assert_eq!(show(&one("x = @__DIR__")), "x = @__DIR__()");
    assert_eq!(show(&one("products(prefix) = [1]")), "products(prefix) = [1]");
}

#[test]
fn comparisons_chain() {
    assert_eq!(show(&one("lo <= v < hi")), "((lo <= v) && (v < hi))");
    assert_eq!(show(&one("1 < x <= y < 9")), "(((1 < x) && (x <= y)) && (y < 9))");
    assert_eq!(show(&one("(a < b) == c")), "((a < b) == c)");
    assert_eq!(show(&one("a == b")), "(a == b)");
}

#[test]
fn comma_at_end_of_line_continues_the_tuple() {
    let f = one("function f()\n  return a,\n         b * c\nend");
    let ExprKind::Function(def) = &f.kind else { panic!() };
    assert_eq!(show(&def.body[0]), "return (a, (b * c))");
    assert_eq!(show(&one("x, y = 1,\n 2")), "(x, y) = (1, 2)");
}

#[test]
fn binary_operator_at_end_of_line_continues() {
    assert_eq!(show(&one("s = \"a\" *\n    raw\"b\"")), "s = (\"1\" * raw\"b\")");
}

#[test]
fn spans_cover_the_construct() {
    let src = "x = foo(1,\n 2)\n";
    let e = one(src);
    let ExprKind::Assign { rhs, .. } = &e.kind else { panic!() };
    let text: String = src.chars().skip(rhs.loc.offset).take(rhs.end - rhs.loc.offset).collect();
    assert_eq!(text, "foo(1,\n 2)");
    assert_eq!((rhs.loc.line, rhs.loc.col), (1, 5));
}

#[test]
fn syntax_errors_name_line_and_column() {
    assert_eq!(err("x = f(a, b"), (1, 6, "unclosed `(`: missing `)`".into()));
    assert_eq!(err("x = [1, 2"), (1, 5, "unclosed `[` (vector): missing `]`".into()));
    let (l, c, m) = err("function f(x)\n  x\n");
    assert_eq!((l, c), (3, 1));
    assert!(m.contains("missing `end` for `function` opened at line 1, column 1"), "{m}");
    assert_eq!(
        err("a = 1 2"),
        (1, 7, "expected a newline or `;` after the statement, found number `2`".into())
    );
    assert_eq!(err("x = )").2, "expected an expression, found `)`");
    assert_eq!(err("a = (1 + )\n").0, 1);
    let (l, c, _) = err("ok = 1\n\nbad = [x for a y]");
    assert_eq!((l, c), (3, 16));
}

#[test]
fn broadcasts_generators_nested_for_headers_and_let_parse() {
    let e = one("y = f.(x, 1)");
    let ExprKind::Assign { rhs, .. } = &e.kind else { panic!("{e:?}") };
    assert!(matches!(&rhs.kind, ExprKind::Broadcast { args, .. } if args.len() == 2), "{rhs:?}");
    assert_eq!(
        show(&one("[a * b for a in x, (b, c) in y for d in z if d]")),
        "[(a * b) for a in x, (b, c) in y, d in z if d]"
    );
    let e = one("f(x for x in xs if x > 1)");
    let ExprKind::Call { args, .. } = &e.kind else { panic!("{e:?}") };
    assert!(matches!(args[0].value.kind, ExprKind::Comprehension { .. }), "{args:?}");
    assert!(matches!(one("(x for x in xs)").kind, ExprKind::Comprehension { .. }));
    // `for a in x, b in y` is two nested loops.
    let e = one("for a in x, b in y\n  push!(v, a)\nend");
    let ExprKind::For { body, .. } = &e.kind else { panic!("{e:?}") };
    assert!(matches!(&body[..], [Expr { kind: ExprKind::For { .. }, .. }]), "{body:?}");
    let e = one("let a = 1, b\n  a + b\nend");
    let ExprKind::Let { bindings, body } = &e.kind else { panic!("{e:?}") };
    assert_eq!((bindings.len(), body.len()), (2, 1));
    assert!(matches!(one("let\nend").kind, ExprKind::Let { .. }));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let src = format!("x = {}1{}", "(".repeat(5000), ")".repeat(5000));
    let m = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || err(&src).2)
        .unwrap()
        .join()
        .unwrap();
    assert!(m.contains("nested too deeply"), "{m}");
}
