//! Tokenizer tests: strings (escapes, interpolation, raw, triple-quoted dedent), version
//! literals, symbols, comments, and error positions.

use super::*;

fn toks(src: &str) -> Vec<Tok> {
    tokenize(0, src).unwrap().into_iter().map(|t| t.tok).collect()
}

fn err(src: &str) -> (u32, u32, String) {
    let e = tokenize(0, src).unwrap_err();
    (e.loc.line, e.loc.col, e.message)
}

fn lit(parts: &[StrPart]) -> String {
    parts
        .iter()
        .map(|p| match p {
            StrPart::Lit(s) => s.clone(),
            StrPart::Interp { text, .. } => format!("<{text}>"),
        })
        .collect()
}

fn single_str(src: &str) -> String {
    match &toks(src)[0] {
        Tok::Str(parts) => lit(parts),
        Tok::StrMacro { content, .. } => content.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

#[test]
fn identifiers_numbers_operators() {
    assert_eq!(
        toks("filter!(p -> p != x, ps) # c\n"),
        vec![
            Tok::Ident("filter!".into()),
            Tok::Op("("),
            Tok::Ident("p".into()),
            Tok::Op("->"),
            Tok::Ident("p".into()),
            Tok::Op("!="),
            Tok::Ident("x".into()),
            Tok::Op(","),
            Tok::Ident("ps".into()),
            Tok::Op(")"),
            Tok::Newline,
            Tok::Eof,
        ]
    );
    // `a!=b` is `a != b`, not the identifier `a!`.
    assert_eq!(toks("a!=b")[..3], [Tok::Ident("a".into()), Tok::Op("!="), Tok::Ident("b".into())]);
    assert_eq!(
        toks("1_000 0x1f 1.5 2e3")[..4],
        [Tok::Int(1000), Tok::Int(31), Tok::Float(1.5), Tok::Float(2000.0)]
    );
    assert_eq!(toks("x ≠ y ∈ z")[1], Tok::Op("!="));
    assert_eq!(toks("x ≠ y ∈ z")[3], Tok::Op("in"));
}

#[test]
fn symbols_versus_ranges_and_ternaries() {
    assert_eq!(toks("(:libz, :x)")[1], Tok::Symbol("libz".into()));
    assert_eq!(toks("(:libz, :x)")[3], Tok::Symbol("x".into()));
    assert_eq!(toks("a[1:end]")[3], Tok::Op(":"));
    assert_eq!(toks("c ? a : b")[3], Tok::Op(":"));
    assert_eq!(toks("x::Int")[1], Tok::Op("::"));
}

#[test]
fn comments_are_skipped_and_nest() {
    assert_eq!(
        toks("a #= x #= y =# z =# b"),
        vec![Tok::Ident("a".into()), Tok::Ident("b".into()), Tok::Eof]
    );
    assert_eq!(err("a #= never closed"), (1, 3, "unterminated `#=` block comment".into()));
}

#[test]
fn escapes_and_interpolation() {
    assert_eq!(single_str(r#""a\tb\n\$x \"q\" \x41\u00e9""#), "a\tb\n$x \"q\" Aé");
    assert_eq!(single_str(r#""xz-$(version).tar.xz""#), "xz-<$(version)>.tar.xz");
    assert_eq!(single_str(r#""v$version/x""#), "v<$version>/x");
    // Nested strings inside an interpolation.
    assert_eq!(single_str(r#""a$(f("b)"))c""#), r#"a<$(f("b)"))>c"#);
    let Tok::Str(parts) = &toks(r#""R_$(v.major)""#)[0] else { panic!() };
    let StrPart::Interp { tokens, .. } = &parts[1] else { panic!() };
    assert_eq!(tokens[0].tok, Tok::Ident("v".into()));
    assert_eq!(tokens[1].tok, Tok::Op("."));
}

#[test]
fn raw_strings_keep_backslashes_and_dollars() {
    assert_eq!(single_str(r#"raw"a\b $x \\d""#), r"a\b $x \\d");
    // Backslashes before a quote are halved; an odd run escapes the quote.
    assert_eq!(single_str(r#"raw"q\"q""#), "q\"q");
    assert_eq!(single_str(r#"raw"s\\\"t""#), "s\\\"t");
    match &toks(r#"v"1.2.3""#)[0] {
        Tok::StrMacro { name, content } => {
            assert_eq!((name.as_str(), content.as_str()), ("v", "1.2.3"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn triple_quoted_strings_are_dedented() {
    // Newline after the opening quotes is dropped; common indentation removed; the closing
    // line's indentation counts.
    let src = "raw\"\"\"\n    cd $WORKSPACE\n      make\n    \"\"\"";
    assert_eq!(single_str(src), "cd $WORKSPACE\n  make\n");
    // Closing quotes less indented than the text: the text keeps the difference.
    let src = "\"\"\"\n    a\n  \"\"\"";
    assert_eq!(single_str(src), "  a\n");
    // Whitespace-only lines do not count, and text on the opening line is not dedented.
    let src = "\"\"\"first\n    a\n\n    b\"\"\"";
    assert_eq!(single_str(src), "first\na\n\nb");
    // Interpolations count as text for the indentation.
    let src = "\"\"\"\n  $x\n    y\n  \"\"\"";
    assert_eq!(single_str(src), "<$x>\n  y\n");
    // Tabs and spaces are compared literally.
    let src = "\"\"\"\n\tA\n\tB\n\"\"\"";
    assert_eq!(single_str(src), "\tA\n\tB\n");
    // A quote inside a triple-quoted string.
    assert_eq!(single_str("raw\"\"\"say \"hi\" ok\"\"\""), "say \"hi\" ok");
}

#[test]
fn errors_have_positions() {
    assert_eq!(err("x = \"abc").0, 1);
    assert_eq!(err("x = \"abc"), (1, 5, "unterminated string literal".into()));
    assert_eq!(err("\n  y = \"a\\qb\""), (2, 9, "invalid escape sequence `\\q` in string".into()));
    let (l, c, m) = err("s = \"cost: $ 5\"");
    assert_eq!((l, c), (1, 12));
    assert!(m.contains("invalid interpolation"), "{m}");
    assert_eq!(err("a = `ls"), (1, 5, "unterminated command literal".into()));
    let (l, _, m) = err("x = \"$(a + \"");
    assert_eq!(l, 1);
    assert!(m.contains("unterminated"), "{m}");
    assert_eq!(err("x = \"$(a + b\n"), (1, 7, "unterminated `$(` interpolation in string".into()));
}

#[test]
fn char_literals_and_positions() {
    let t = tokenize(0, "a = 'x'\n  b").unwrap();
    assert_eq!(t[2].tok, Tok::Char('x'));
    assert_eq!((t[4].loc.line, t[4].loc.col), (2, 3));
    assert!(t[4].space_before);
}

#[test]
fn command_literals_dotted_operators_and_regex_flags() {
    assert_eq!(toks("`ls $x` ```a`b```")[..2], [Tok::Cmd("ls $x".into()), Tok::Cmd("a`b".into())]);
    assert_eq!(
        toks("a .>= b .* c")[..5],
        [
            Tok::Ident("a".into()),
            Tok::Op(".>="),
            Tok::Ident("b".into()),
            Tok::Op(".*"),
            Tok::Ident("c".into())
        ]
    );
    assert_eq!(toks("r\"a.c\"i")[0], Tok::StrMacro { name: "r".into(), content: "(?i)a.c".into() });
}
