//! Recursive-descent parser for the Julia subset, over the tokens of [`crate::lexer`].
//!
//! Statements end at a newline or `;` unless an expression is incomplete (an open bracket, or a
//! binary operator at the end of the line), as in Julia. Inside `(...)` newlines are ignored;
//! inside `[...]` a newline separates rows (`vcat`), like `;`.

use std::rc::Rc;

use crate::ast::{Arg, Expr, ExprKind, FunctionDef, Param, StrPiece};
use crate::lexer::{StrPart, Tok, Token};
use crate::{Loc, SyntaxError};

/// How deeply expressions may nest before the parser gives up (bounds recursion).
const MAX_DEPTH: usize = 150;
/// Operands of one chain of a left-associative operator (`a + b + ...`): the syntax tree's depth
/// grows with it, and evaluating and dropping the tree recurse over it.
const MAX_OPERANDS: usize = 10_000;

/// Julia keywords that cannot be used as names.
pub(crate) fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "function"
            | "end"
            | "if"
            | "elseif"
            | "else"
            | "for"
            | "while"
            | "begin"
            | "let"
            | "return"
            | "const"
            | "global"
            | "local"
            | "using"
            | "import"
            | "module"
            | "baremodule"
            | "struct"
            | "mutable"
            | "abstract"
            | "primitive"
            | "try"
            | "catch"
            | "finally"
            | "quote"
            | "macro"
            | "do"
            | "break"
            | "continue"
            | "export"
    )
}

/// Parses a whole file into its top-level statements.
pub(crate) fn parse_file(tokens: Vec<Token>) -> Result<Vec<Expr>, SyntaxError> {
    let mut p = Parser::new(tokens);
    let mut out = Vec::new();
    loop {
        p.skip_separators();
        if p.at_eof() {
            break;
        }
        let stmt = p.statement()?;
        out.push(stmt);
        p.end_of_statement()?;
    }
    Ok(out)
}

/// Parses the tokens of a `$(...)` interpolation into one expression.
fn parse_interpolation(tokens: Vec<Token>, loc: Loc) -> Result<Expr, SyntaxError> {
    let mut p = Parser::new(tokens);
    p.nl.push(true);
    if p.at_eof() {
        return Err(SyntaxError { loc, message: "empty `$()` interpolation".into() });
    }
    let e = p.assign()?;
    if !p.at_eof() {
        return Err(p.unexpected("the end of the interpolation"));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    /// Stack of "newlines are ignored here" flags.
    nl: Vec<bool>,
    depth: usize,
    /// Inside `a[...]`, where `end` is an expression.
    index_depth: usize,
    /// Inside the `then` part of `?:`, where `:` is not a range.
    ternary: usize,
    /// Parsing space-separated macro arguments.
    macro_args: bool,
}

impl Parser {
    fn new(toks: Vec<Token>) -> Self {
        Parser {
            toks,
            pos: 0,
            nl: vec![false],
            depth: 0,
            index_depth: 0,
            ternary: 0,
            macro_args: false,
        }
    }

    fn ignore_nl(&self) -> bool {
        *self.nl.last().unwrap_or(&false)
    }

    fn skip_ignored(&mut self) {
        if self.ignore_nl() {
            while matches!(self.toks[self.pos].tok, Tok::Newline) {
                self.pos += 1;
            }
        }
    }

    fn peek(&mut self) -> &Token {
        self.skip_ignored();
        &self.toks[self.pos]
    }

    /// The token `n` places ahead (skipping newlines when they are ignored).
    fn peek_n(&mut self, n: usize) -> &Token {
        self.skip_ignored();
        let ignore = self.ignore_nl();
        let mut i = self.pos;
        let mut k = 0;
        while k < n && i + 1 < self.toks.len() {
            i += 1;
            if !(ignore && matches!(self.toks[i].tok, Tok::Newline)) {
                k += 1;
            }
        }
        &self.toks[i]
    }

    fn advance(&mut self) -> Token {
        self.skip_ignored();
        let t = self.toks[self.pos].clone();
        if !matches!(t.tok, Tok::Eof) {
            self.pos += 1;
        }
        t
    }

    fn at_eof(&mut self) -> bool {
        matches!(self.peek().tok, Tok::Eof)
    }

    fn at_op(&mut self, op: &str) -> bool {
        matches!(&self.peek().tok, Tok::Op(o) if *o == op)
    }

    fn at_kw(&mut self, kw: &str) -> bool {
        matches!(&self.peek().tok, Tok::Ident(n) if n == kw)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.at_op(op) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str, context: &str) -> Result<Token, SyntaxError> {
        if self.at_op(op) {
            Ok(self.advance())
        } else {
            Err(self.unexpected(&format!("`{op}` {context}")))
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.toks[self.pos].tok, Tok::Newline) {
            self.pos += 1;
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.toks[self.pos].tok, Tok::Newline | Tok::Op(";")) {
            self.pos += 1;
        }
    }

    fn unexpected(&mut self, expected: &str) -> SyntaxError {
        let t = self.peek().clone();
        SyntaxError {
            loc: t.loc,
            message: format!("expected {expected}, found {}", describe(&t.tok)),
        }
    }

    fn end_of_statement(&mut self) -> Result<(), SyntaxError> {
        match &self.toks[self.pos].tok {
            Tok::Newline | Tok::Op(";") | Tok::Eof => Ok(()),
            _ => Err(self.unexpected("a newline or `;` after the statement")),
        }
    }

    fn last_end(&self) -> usize {
        self.toks[self.pos.saturating_sub(1)].end
    }

    fn mk(&self, kind: ExprKind, loc: Loc) -> Expr {
        Expr { kind, loc, end: self.last_end().max(loc.offset) }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let loc = self.peek().loc;
            return Err(SyntaxError { loc, message: "expression is nested too deeply".into() });
        }
        Ok(())
    }

    // ---- statements and blocks ----

    /// A statement: an expression, a bare tuple `a, b`, or an assignment (also `a, b = f()`).
    fn statement(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        let lhs = self.tuple_expr()?;
        let out = self.assignment_tail(lhs, Self::statement)?;
        self.depth -= 1;
        Ok(out)
    }

    /// `lhs` alone, or `lhs op= rhs` with `rhs` parsed by `rhs` (right-associative).
    fn assignment_tail(
        &mut self,
        lhs: Expr,
        rhs: fn(&mut Self) -> Result<Expr, SyntaxError>,
    ) -> Result<Expr, SyntaxError> {
        let op = match &self.peek().tok {
            Tok::Op(o @ ("=" | "+=" | "-=" | "*=" | "/=" | "^=" | "|=" | "&=")) => *o,
            _ => return Ok(lhs),
        };
        self.advance();
        self.skip_newlines();
        let rhs = rhs(self)?;
        let loc = lhs.loc;
        Ok(self.mk(ExprKind::Assign { op: op.into(), lhs: Box::new(lhs), rhs: Box::new(rhs) }, loc))
    }

    /// `a` or the parenthesis-free tuple `a, b, c` (in statements and `return`).
    fn tuple_expr(&mut self) -> Result<Expr, SyntaxError> {
        let first = self.arrow()?;
        if !self.at_op(",") {
            return Ok(first);
        }
        let loc = first.loc;
        let mut items = vec![first];
        while self.eat_op(",") {
            // A comma at the end of a line continues the tuple on the next line (`return a,`
            // followed by `b`), as in Julia.
            self.skip_newlines();
            if matches!(self.toks[self.pos].tok, Tok::Eof | Tok::Op(";")) {
                break;
            }
            items.push(self.arrow()?);
        }
        Ok(self.mk(ExprKind::Tuple(items), loc))
    }

    /// Statements until one of `terminators` (not consumed).
    fn block(
        &mut self,
        terminators: &[&str],
        opener: &str,
        open: Loc,
    ) -> Result<Vec<Expr>, SyntaxError> {
        self.nl.push(false);
        let mut out = Vec::new();
        loop {
            self.skip_separators();
            if let Tok::Ident(n) = &self.toks[self.pos].tok
                && terminators.contains(&n.as_str())
            {
                break;
            }
            if matches!(self.toks[self.pos].tok, Tok::Eof) {
                self.nl.pop();
                let loc = self.toks[self.pos].loc;
                return Err(SyntaxError {
                    loc,
                    message: format!(
                        "missing `end` for `{opener}` opened at line {}, column {}",
                        open.line, open.col
                    ),
                });
            }
            out.push(self.statement()?);
            match &self.toks[self.pos].tok {
                Tok::Newline | Tok::Op(";") => {}
                Tok::Ident(n) if terminators.contains(&n.as_str()) => {}
                Tok::Eof => {}
                _ => {
                    self.nl.pop();
                    return Err(self.unexpected("a newline or `;` after the statement"));
                }
            }
        }
        self.nl.pop();
        Ok(out)
    }

    fn expect_end(&mut self, opener: &str, open: Loc) -> Result<(), SyntaxError> {
        if self.at_kw("end") {
            self.advance();
            Ok(())
        } else {
            Err(self.unexpected(&format!(
                "`end` for `{opener}` opened at line {}, column {}",
                open.line, open.col
            )))
        }
    }

    // ---- expressions, lowest precedence first ----

    fn assign(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        let lhs = self.arrow()?;
        let out = self.assignment_tail(lhs, Self::assign)?;
        self.depth -= 1;
        Ok(out)
    }

    fn arrow(&mut self) -> Result<Expr, SyntaxError> {
        let lhs = self.pair()?;
        if self.at_op("->") {
            let arrow = self.advance();
            self.skip_newlines();
            // `!(x) -> cond` is the negation of the function `x -> cond`.
            let (negated, params_expr) = match &lhs.kind {
                ExprKind::Unary { op, expr } if op == "!" => (true, &**expr),
                _ => (false, &lhs),
            };
            let params = lambda_params(params_expr).ok_or_else(|| SyntaxError {
                loc: arrow.loc,
                message: "the left side of `->` must be a name or a tuple of names".into(),
            })?;
            self.enter()?;
            let body = self.arrow()?;
            self.depth -= 1;
            let loc = lhs.loc;
            let lambda = self.mk(ExprKind::Lambda { params, body: Box::new(body) }, loc);
            if negated {
                return Ok(self.mk(ExprKind::Unary { op: "!".into(), expr: Box::new(lambda) }, loc));
            }
            return Ok(lambda);
        }
        Ok(lhs)
    }

    fn pair(&mut self) -> Result<Expr, SyntaxError> {
        let lhs = self.ternary()?;
        if self.at_op("=>") {
            self.advance();
            self.skip_newlines();
            self.enter()?;
            let rhs = self.pair()?;
            self.depth -= 1;
            let loc = lhs.loc;
            return Ok(self.binary("=>", lhs, rhs, loc));
        }
        Ok(lhs)
    }

    fn binary(&self, op: &str, lhs: Expr, rhs: Expr, loc: Loc) -> Expr {
        self.mk(ExprKind::Binary { op: op.into(), lhs: Box::new(lhs), rhs: Box::new(rhs) }, loc)
    }

    fn ternary(&mut self) -> Result<Expr, SyntaxError> {
        let cond = self.or()?;
        if self.at_op("?") {
            self.advance();
            self.skip_newlines();
            self.ternary += 1;
            self.enter()?;
            let then = self.ternary();
            self.ternary -= 1;
            let then = then?;
            self.expect_op(":", "in the `?:` expression")?;
            self.skip_newlines();
            let otherwise = self.ternary()?;
            self.depth -= 1;
            let loc = cond.loc;
            return Ok(self.mk(
                ExprKind::Ternary {
                    cond: Box::new(cond),
                    then: Box::new(then),
                    otherwise: Box::new(otherwise),
                },
                loc,
            ));
        }
        Ok(cond)
    }

    /// A left-associative level with the given operators.
    fn left_assoc(
        &mut self,
        ops: &[&str],
        words: &[&str],
        next: fn(&mut Self) -> Result<Expr, SyntaxError>,
    ) -> Result<Expr, SyntaxError> {
        let mut lhs = next(self)?;
        let mut operands = 1usize;
        loop {
            let op = match &self.peek().tok {
                Tok::Op(o) if ops.contains(o) => o.to_string(),
                Tok::Ident(w) if words.contains(&w.as_str()) => w.clone(),
                _ => break,
            };
            if self.macro_args && self.peek().space_before && !self.peek_n(1).space_before {
                // `@m a -b` passes `-b` as a separate argument.
                break;
            }
            let op_tok = self.advance();
            operands += 1;
            if operands > MAX_OPERANDS {
                return Err(SyntaxError {
                    loc: op_tok.loc,
                    message: format!(
                        "more than {MAX_OPERANDS} operands in one `{op}` chain; the expression is too long to import"
                    ),
                });
            }
            self.skip_newlines();
            self.enter()?;
            let rhs = next(self)?;
            self.depth -= 1;
            let loc = lhs.loc;
            lhs = self.binary(&op, lhs, rhs, loc);
        }
        Ok(lhs)
    }

    fn or(&mut self) -> Result<Expr, SyntaxError> {
        self.left_assoc(&["||", ".||"], &[], Self::and)
    }

    fn and(&mut self) -> Result<Expr, SyntaxError> {
        self.left_assoc(&["&&", ".&&"], &[], Self::comparison)
    }

    fn comparison(&mut self) -> Result<Expr, SyntaxError> {
        let e = self.left_assoc(
            &[
                "==", "!=", "===", "!==", "<", "<=", ">", ">=", "in", "∉", "<:", ">:", ".==",
                ".!=", ".<", ".<=", ".>", ".>=",
            ],
            &["in", "isa"],
            Self::pipe,
        )?;
        Ok(self.chain_comparisons(e))
    }

    /// `a <= b < c` is `a <= b && b < c` in Julia; `left_assoc` built `(a <= b) < c`. A
    /// parenthesized `(a <= b) < c` (its node starts before its left operand) stays as it is.
    fn chain_comparisons(&self, e: Expr) -> Expr {
        const CHAINED: &[&str] = &["==", "!=", "===", "!==", "<", "<=", ">", ">="];
        let links = {
            let mut n = 0;
            let mut cur = &e;
            while let ExprKind::Binary { op, lhs, .. } = &cur.kind {
                if !CHAINED.contains(&op.as_str()) || (n > 0 && cur.loc.offset != lhs.loc.offset) {
                    break;
                }
                n += 1;
                cur = lhs;
            }
            n
        };
        if links < 2 {
            return e;
        }
        // Unfold the left spine: operands x0..xn and operators op1..opn.
        let mut ops = Vec::new();
        let mut rhs_list = Vec::new();
        let mut cur = e;
        for _ in 0..links {
            let ExprKind::Binary { op, lhs, rhs } = cur.kind else { unreachable!() };
            ops.push(op);
            rhs_list.push(*rhs);
            cur = *lhs;
        }
        ops.reverse();
        rhs_list.reverse();
        let loc = cur.loc;
        let mut left = cur;
        let mut out: Option<Expr> = None;
        for (op, rhs) in ops.into_iter().zip(rhs_list) {
            let cmp = self.binary(&op, left, rhs.clone(), loc);
            out = Some(match out {
                None => cmp,
                Some(acc) => self.binary("&&", acc, cmp, loc),
            });
            left = rhs;
        }
        out.expect("at least two links")
    }

    fn pipe(&mut self) -> Result<Expr, SyntaxError> {
        self.left_assoc(&["|>", "<|"], &[], Self::range)
    }

    fn range(&mut self) -> Result<Expr, SyntaxError> {
        if self.ternary > 0 {
            return self.plus();
        }
        self.left_assoc(&[":"], &[], Self::plus)
    }

    fn plus(&mut self) -> Result<Expr, SyntaxError> {
        self.left_assoc(&["+", "-", "|", "⊻", ".+", ".-"], &[], Self::times)
    }

    fn times(&mut self) -> Result<Expr, SyntaxError> {
        self.left_assoc(
            &["*", "/", "%", "&", "\\", "÷", "∘", "//", ".*", "./", ".%"],
            &[],
            Self::shift,
        )
    }

    fn shift(&mut self) -> Result<Expr, SyntaxError> {
        self.left_assoc(&["<<", ">>", ">>>"], &[], Self::unary)
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        let t = self.peek().clone();
        if let Tok::Op(op @ ("!" | "-" | "+" | "~")) = t.tok {
            self.advance();
            self.enter()?;
            let e = self.unary()?;
            self.depth -= 1;
            // Fold negative number literals.
            if op == "-" {
                match e.kind {
                    ExprKind::Int(i) => return Ok(self.mk(ExprKind::Int(-i), t.loc)),
                    ExprKind::Float(f) => return Ok(self.mk(ExprKind::Float(-f), t.loc)),
                    _ => {}
                }
            }
            return Ok(self.mk(ExprKind::Unary { op: op.into(), expr: Box::new(e) }, t.loc));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, SyntaxError> {
        let base = self.postfix()?;
        if self.at_op("^") || self.at_op(".^") {
            let op = if self.at_op("^") { "^" } else { ".^" };
            self.advance();
            self.enter()?;
            let exp = self.unary()?;
            self.depth -= 1;
            let loc = base.loc;
            return Ok(self.binary(op, base, exp, loc));
        }
        Ok(base)
    }

    fn postfix(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.primary()?;
        let mut links = 0usize;
        loop {
            let t = self.peek().clone();
            let loc = e.loc;
            links += 1;
            if links > MAX_OPERANDS {
                return Err(SyntaxError {
                    loc: t.loc,
                    message: format!(
                        "more than {MAX_OPERANDS} calls, fields or indices in a row; the expression is too long to import"
                    ),
                });
            }
            match t.tok {
                Tok::Op("(") if !t.space_before || !self.macro_args => {
                    if t.space_before && !self.ignore_nl() && matches!(e.kind, ExprKind::Ident(_)) {
                        return Err(SyntaxError {
                            loc: t.loc,
                            message: "space before `(` in a call is not allowed".into(),
                        });
                    }
                    self.advance();
                    let args = self.call_args(t.loc)?;
                    e = self.mk(ExprKind::Call { callee: Box::new(e), args }, loc);
                    if self.at_kw("do") {
                        e = self.do_block(e)?;
                    }
                }
                Tok::Op("{") if !t.space_before => {
                    // `Dict{String,Any}`, `Vector{Platform}`: type parameters are ignored.
                    self.advance();
                    let mut open = 1usize;
                    while open > 0 {
                        match self.advance().tok {
                            Tok::Op("{") => open += 1,
                            Tok::Op("}") => open -= 1,
                            Tok::Eof => {
                                return Err(SyntaxError {
                                    loc: t.loc,
                                    message: "unclosed `{`: missing `}`".into(),
                                });
                            }
                            _ => {}
                        }
                    }
                    e.end = self.last_end();
                }
                Tok::Op("[") if !t.space_before => {
                    self.advance();
                    self.index_depth += 1;
                    let r = self.bracket_items(t.loc, "indexing");
                    self.index_depth -= 1;
                    let (items, concat) = r?;
                    e = self.mk(ExprKind::Index { base: Box::new(e), items, concat }, loc);
                }
                Tok::Op(".") if !t.space_before => {
                    self.advance();
                    let n = self.peek().clone();
                    match n.tok {
                        Tok::Ident(name) => {
                            self.advance();
                            e = self.mk(ExprKind::Field { base: Box::new(e), name }, loc);
                        }
                        Tok::Macro(name) => {
                            // `Base.@kwdef`: treat as the macro itself.
                            self.advance();
                            e = self.macro_call(name, n.loc)?;
                        }
                        Tok::Op("(") => {
                            // `f.(x, y)`: the call broadcast over its arguments.
                            let open = self.advance();
                            let args = self.call_args(open.loc)?;
                            e = self.mk(ExprKind::Broadcast { callee: Box::new(e), args }, loc);
                        }
                        _ => return Err(self.unexpected("a field name after `.`")),
                    }
                }
                Tok::Op("::") => {
                    self.advance();
                    let ty = self.postfix()?;
                    e = self.mk(ExprKind::TypeAssert { expr: Box::new(e), ty: Box::new(ty) }, loc);
                }
                Tok::Op("...") => {
                    self.advance();
                    e = self.mk(ExprKind::Splat(Box::new(e)), loc);
                }
                Tok::Op("'") if !t.space_before => {
                    return Err(SyntaxError {
                        loc: t.loc,
                        message: "the adjoint operator `'` is not supported".into(),
                    });
                }
                _ => break,
            }
        }
        Ok(e)
    }

    fn do_block(&mut self, call: Expr) -> Result<Expr, SyntaxError> {
        let do_tok = self.advance();
        let mut params = Vec::new();
        while let Tok::Ident(n) = &self.toks[self.pos].tok {
            params.push(n.clone());
            self.pos += 1;
            if matches!(self.toks[self.pos].tok, Tok::Op(",")) {
                self.pos += 1;
            }
        }
        let body = self.block(&["end"], "do", do_tok.loc)?;
        self.expect_end("do", do_tok.loc)?;
        let lambda_body = self.mk(ExprKind::Block(body), do_tok.loc);
        let lambda = self.mk(ExprKind::Lambda { params, body: Box::new(lambda_body) }, do_tok.loc);
        let loc = call.loc;
        match call.kind {
            ExprKind::Call { callee, mut args } => {
                args.insert(0, Arg { name: None, value: lambda, after_semicolon: false });
                Ok(self.mk(ExprKind::Call { callee, args }, loc))
            }
            _ => unreachable!("do blocks follow calls"),
        }
    }

    /// Arguments after `(` up to and including `)`.
    fn call_args(&mut self, open: Loc) -> Result<Vec<Arg>, SyntaxError> {
        // Calls nest through `postfix`, after `primary` has left its level: count them here.
        self.enter()?;
        self.nl.push(true);
        let saved_macro = std::mem::replace(&mut self.macro_args, false);
        let saved_ternary = std::mem::replace(&mut self.ternary, 0);
        let r = self.call_args_inner(open);
        self.macro_args = saved_macro;
        self.ternary = saved_ternary;
        self.nl.pop();
        self.depth -= 1;
        r
    }

    fn call_args_inner(&mut self, open: Loc) -> Result<Vec<Arg>, SyntaxError> {
        let mut args = Vec::new();
        let mut kw_section = false;
        loop {
            if self.at_op(")") {
                self.advance();
                break;
            }
            if self.at_eof() {
                return Err(SyntaxError { loc: open, message: "unclosed `(`: missing `)`".into() });
            }
            if self.eat_op(";") {
                kw_section = true;
                continue;
            }
            let is_kw = matches!(self.peek().tok, Tok::Ident(_))
                && matches!(self.peek_n(1).tok, Tok::Op("="));
            let after_semicolon = kw_section;
            if is_kw {
                let name = match self.advance().tok {
                    Tok::Ident(n) => n,
                    _ => unreachable!(),
                };
                self.advance();
                let value = self.arrow()?;
                args.push(Arg { name: Some(name), value, after_semicolon });
            } else {
                let mut value = self.arrow()?;
                if self.at_kw("for") {
                    // `f(x for x in xs)`: a generator argument.
                    value = self.comprehension(value, open, ")", false)?;
                }
                if self.at_op("=") {
                    // `name::Type = default` in a function definition.
                    let Some((name, false)) = param_name(&value) else {
                        return Err(self.unexpected("`,` or `)` in the argument list"));
                    };
                    self.advance();
                    let value = self.arrow()?;
                    args.push(Arg { name: Some(name), value, after_semicolon });
                } else if kw_section {
                    match &value.kind {
                        ExprKind::Ident(n) => {
                            args.push(Arg { name: Some(n.clone()), value, after_semicolon });
                        }
                        // `f(; name::Type)` in a function definition.
                        ExprKind::TypeAssert { expr, .. }
                            if matches!(&expr.kind, ExprKind::Ident(_)) =>
                        {
                            let ExprKind::Ident(n) = &expr.kind else { unreachable!() };
                            args.push(Arg { name: Some(n.clone()), value, after_semicolon });
                        }
                        ExprKind::Splat(_) => {
                            args.push(Arg { name: Some("...".into()), value, after_semicolon })
                        }
                        // `f(; dep.platforms)` is `f(; platforms = dep.platforms)`.
                        ExprKind::Field { name, .. } => {
                            args.push(Arg { name: Some(name.clone()), value, after_semicolon });
                        }
                        _ => {
                            return Err(SyntaxError {
                                loc: value.loc,
                                message: "expected a keyword argument `name = value` after `;`"
                                    .into(),
                            });
                        }
                    }
                } else {
                    args.push(Arg { name: None, value, after_semicolon });
                }
            }
            if self.at_eof() {
                return Err(SyntaxError { loc: open, message: "unclosed `(`: missing `)`".into() });
            }
            if !self.at_op(")") && !self.at_op(";") {
                self.expect_op(",", "or `)` in the argument list")?;
            }
        }
        Ok(args)
    }

    /// Items of `[...]` after the `[`, up to and including `]`. Returns (items, concatenated).
    fn bracket_items(&mut self, open: Loc, what: &str) -> Result<(Vec<Expr>, bool), SyntaxError> {
        // Indexing nests through `postfix` (`a[b[c[...]]]`): count it here.
        self.enter()?;
        self.nl.push(false);
        let saved_macro = std::mem::replace(&mut self.macro_args, false);
        let saved_ternary = std::mem::replace(&mut self.ternary, 0);
        let r = self.bracket_items_inner(open, what);
        self.macro_args = saved_macro;
        self.ternary = saved_ternary;
        self.nl.pop();
        self.depth -= 1;
        r
    }

    fn bracket_items_inner(
        &mut self,
        open: Loc,
        what: &str,
    ) -> Result<(Vec<Expr>, bool), SyntaxError> {
        let mut items = Vec::new();
        // None until the first separator decides: Some(false) = commas, Some(true) = `;`/newlines.
        let mut concat: Option<bool> = None;
        self.skip_newlines();
        loop {
            self.skip_newlines();
            if self.at_op("]") {
                self.advance();
                break;
            }
            if self.at_eof() {
                return Err(SyntaxError {
                    loc: open,
                    message: format!("unclosed `[` ({what}): missing `]`"),
                });
            }
            let item = self.arrow()?;
            items.push(item);
            // Separator.
            let had_newline = matches!(self.toks[self.pos].tok, Tok::Newline);
            self.skip_newlines();
            if self.at_op("]") || self.at_eof() {
                continue;
            }
            if self.at_op(",") {
                if concat == Some(true) {
                    return Err(self.unexpected("`;` or `]` (mixing `,` and `;` is not supported)"));
                }
                concat = Some(false);
                self.advance();
                continue;
            }
            if self.at_op(";") || had_newline {
                if concat == Some(false) && !had_newline {
                    return Err(self.unexpected("`,` or `]` (mixing `,` and `;` is not supported)"));
                }
                if concat == Some(false) && had_newline {
                    return Err(self.unexpected("`,` or `]`"));
                }
                concat = Some(true);
                while self.eat_op(";") {
                    self.skip_newlines();
                }
                continue;
            }
            if self.at_kw("for") {
                if items.len() != 1 || concat.is_some() {
                    return Err(self.unexpected("`]`"));
                }
                let body = items.pop().expect("one item");
                return self.comprehension(body, open, "]", true).map(|c| (vec![c], false));
            }
            return Err(self.unexpected(&format!(
                "`,`, `;` or `]` in {what} (space-separated matrix literals are not supported)"
            )));
        }
        Ok((items, concat == Some(true)))
    }

    /// `for x in xs, (a, b) in ys for z in zs if cond` after the body of a comprehension or
    /// generator, up to and including `close`.
    fn comprehension(
        &mut self,
        body: Expr,
        open: Loc,
        close: &str,
        consume: bool,
    ) -> Result<Expr, SyntaxError> {
        let mut gens = Vec::new();
        while self.at_kw("for") {
            self.advance();
            gens.extend(self.for_header("the comprehension")?);
            self.skip_newlines();
        }
        let cond = if self.at_kw("if") {
            self.advance();
            Some(Box::new(self.arrow()?))
        } else {
            None
        };
        self.skip_newlines();
        let what =
            if close == "]" { "to close the comprehension" } else { "to close the generator" };
        if !self.at_op(close) {
            let _ = open;
            return Err(self.unexpected(&format!("`{close}` {what}")));
        }
        if consume {
            self.advance();
        }
        let loc = body.loc;
        Ok(self.mk(ExprKind::Comprehension { body: Box::new(body), gens, cond }, loc))
    }

    /// The bindings of a `for` header or comprehension clause: `x in xs, (a, b) in ys`.
    fn for_header(&mut self, what: &str) -> Result<Vec<(Expr, Expr)>, SyntaxError> {
        let mut out = Vec::new();
        loop {
            self.nl.push(false);
            let var = self.unary();
            self.nl.pop();
            let var = var?;
            if !(self.at_kw("in") || self.at_op("in") || self.at_op("=")) {
                return Err(self.unexpected(&format!("`in` or `=` in {what}")));
            }
            self.advance();
            let iter = self.pair()?;
            out.push((var, iter));
            if !self.eat_op(",") {
                break;
            }
            self.skip_newlines();
        }
        Ok(out)
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        self.enter()?;
        let r = self.primary_inner().and_then(|e| self.juxtaposed(e));
        self.depth -= 1;
        r
    }

    /// `2x`, `100v.patch`: a number literal directly followed by a name multiplies it.
    fn juxtaposed(&mut self, e: Expr) -> Result<Expr, SyntaxError> {
        if !matches!(e.kind, ExprKind::Int(_) | ExprKind::Float(_)) {
            return Ok(e);
        }
        let next = self.peek().clone();
        match &next.tok {
            Tok::Ident(n) if !next.space_before && !is_keyword(n) => {
                let rhs = self.postfix()?;
                let loc = e.loc;
                Ok(self.binary("*", e, rhs, loc))
            }
            _ => Ok(e),
        }
    }

    fn primary_inner(&mut self) -> Result<Expr, SyntaxError> {
        let t = self.peek().clone();
        let loc = t.loc;
        match t.tok {
            Tok::Int(i) => {
                self.advance();
                Ok(self.mk(ExprKind::Int(i), loc))
            }
            Tok::Float(f) => {
                self.advance();
                Ok(self.mk(ExprKind::Float(f), loc))
            }
            Tok::Char(c) => {
                self.advance();
                Ok(self.mk(ExprKind::Char(c), loc))
            }
            Tok::Cmd(_) => {
                self.advance();
                Ok(self.mk(ExprKind::Other("a command literal".into()), loc))
            }
            Tok::Symbol(s) => {
                self.advance();
                Ok(self.mk(ExprKind::Symbol(s), loc))
            }
            Tok::StrMacro { name, content } => {
                self.advance();
                Ok(self.mk(ExprKind::StrMacro { name, content }, loc))
            }
            Tok::Str(parts) => {
                self.advance();
                let mut pieces = Vec::new();
                for part in parts {
                    match part {
                        StrPart::Lit(s) => pieces.push(StrPiece::Lit(s)),
                        StrPart::Interp { tokens, loc, text } => {
                            let expr = parse_interpolation(tokens, loc)?;
                            pieces.push(StrPiece::Interp { expr, text });
                        }
                    }
                }
                Ok(self.mk(ExprKind::Str(pieces), loc))
            }
            Tok::Macro(name) => {
                self.advance();
                self.macro_call(name, loc)
            }
            Tok::Op("(") => {
                self.advance();
                self.paren(loc)
            }
            Tok::Op("[") => {
                self.advance();
                let (items, concat) = self.bracket_items(loc, "vector")?;
                if let [e] = items.as_slice()
                    && matches!(e.kind, ExprKind::Comprehension { .. })
                {
                    return Ok(items.into_iter().next().expect("one item"));
                }
                Ok(self.mk(ExprKind::Vector { items, concat }, loc))
            }
            // `:(expr)`: a quoted expression is parsed and kept as an unsupported construct
            // (evaluating it warns).
            Tok::Op(":") if matches!(self.peek_n(1).tok, Tok::Op("(")) => {
                self.advance();
                let open = self.advance();
                let _ = self.paren(open.loc)?;
                Ok(self.mk(ExprKind::Other("a quoted expression `:(...)`".into()), loc))
            }
            // `$x`, `$(expr)` inside `quote` blocks and quoted expressions.
            Tok::Op("$") => {
                self.advance();
                self.enter()?;
                let inner = self.postfix();
                self.depth -= 1;
                let _ = inner?;
                Ok(self.mk(ExprKind::Other("`$` interpolation outside a string".into()), loc))
            }
            Tok::Ident(name) => self.ident_or_keyword(name, loc),
            Tok::Newline | Tok::Eof => Err(self.unexpected("an expression")),
            // `>=(x)`, `!=("a")`, `==(x)`: an operator called as a function (with one argument
            // it is the partially applied comparison `y -> y >= x`).
            Tok::Op(
                op @ ("==" | "!=" | "===" | "!==" | "<" | "<=" | ">" | ">=" | "in" | "∉" | "*"
                | "/" | "^" | "|>"),
            ) if matches!(self.peek_n(1).tok, Tok::Op("(")) && !self.peek_n(1).space_before => {
                self.advance();
                let open = self.advance();
                let args = self.call_args(open.loc)?;
                let callee = self.mk(ExprKind::Ident(op.to_owned()), loc);
                Ok(self.mk(ExprKind::Call { callee: Box::new(callee), args }, loc))
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn macro_call(&mut self, name: String, loc: Loc) -> Result<Expr, SyntaxError> {
        // `@m(args)` without space: call syntax.
        let next = self.toks[self.pos].clone();
        if matches!(next.tok, Tok::Op("(")) && !next.space_before {
            self.advance();
            let args = self.call_args(next.loc)?.into_iter().map(|a| a.value).collect();
            return Ok(self.mk(ExprKind::Macro { name, args }, loc));
        }
        let mut args = Vec::new();
        let saved = std::mem::replace(&mut self.macro_args, true);
        loop {
            let t = &self.toks[self.pos];
            let stop = matches!(
                &t.tok,
                Tok::Newline | Tok::Eof | Tok::Op(";" | ")" | "]" | "}" | ",")
            ) || matches!(&t.tok, Tok::Ident(n) if matches!(n.as_str(), "end" | "else" | "elseif" | "catch" | "finally"));
            if stop {
                break;
            }
            let e = self.arrow();
            match e {
                Ok(e) => args.push(e),
                Err(err) => {
                    self.macro_args = saved;
                    return Err(err);
                }
            }
        }
        self.macro_args = saved;
        Ok(self.mk(ExprKind::Macro { name, args }, loc))
    }

    fn paren(&mut self, open: Loc) -> Result<Expr, SyntaxError> {
        self.nl.push(true);
        let saved_macro = std::mem::replace(&mut self.macro_args, false);
        let saved_ternary = std::mem::replace(&mut self.ternary, 0);
        let r = self.paren_inner(open);
        self.macro_args = saved_macro;
        self.ternary = saved_ternary;
        self.nl.pop();
        r
    }

    fn paren_inner(&mut self, open: Loc) -> Result<Expr, SyntaxError> {
        if self.eat_op(")") {
            return Ok(self.mk(ExprKind::Tuple(Vec::new()), open));
        }
        let named = self.at_op(";")
            || (matches!(self.peek().tok, Tok::Ident(_))
                && matches!(self.peek_n(1).tok, Tok::Op("=")));
        if named {
            self.eat_op(";");
            let mut fields = Vec::new();
            loop {
                if self.eat_op(")") {
                    break;
                }
                let name_tok = self.advance();
                let name = match name_tok.tok {
                    Tok::Ident(n) => n,
                    other => {
                        return Err(SyntaxError {
                            loc: open,
                            message: format!(
                                "expected `name = value` in the named tuple, found {}",
                                describe(&other)
                            ),
                        });
                    }
                };
                let value = if self.at_op(",") || self.at_op(")") {
                    // `(; deps)` is `(; deps = deps)`.
                    self.mk(ExprKind::Ident(name.clone()), name_tok.loc)
                } else {
                    self.expect_op("=", "in the named tuple")?;
                    self.arrow()?
                };
                fields.push((name, value));
                if !self.at_op(")") {
                    self.expect_op(",", "or `)` in the named tuple")?;
                }
            }
            return Ok(self.mk(ExprKind::NamedTuple(fields), open));
        }
        // `(p["x"] = 1)`, `(s *= "x")`: an assignment in parentheses.
        let first = self.assign()?;
        if self.at_kw("for") {
            return self.comprehension(first, open, ")", true);
        }
        if self.eat_op(")") {
            // Grouping: keep the inner expression but widen its span to the parentheses.
            let mut e = first;
            e.loc = open;
            e.end = self.last_end();
            return Ok(e);
        }
        if self.at_op(";") {
            // `(a; b)`: a block in parentheses, its value the last one.
            let mut stmts = vec![first];
            loop {
                while self.eat_op(";") {}
                if self.eat_op(")") {
                    break;
                }
                if self.at_eof() {
                    return Err(SyntaxError {
                        loc: open,
                        message: "unclosed `(`: missing `)`".into(),
                    });
                }
                stmts.push(self.assign()?);
                if !self.at_op(";") {
                    self.expect_op(")", "or `;` in the parenthesized block")?;
                    break;
                }
            }
            return Ok(self.mk(ExprKind::Block(stmts), open));
        }
        let mut items = vec![first];
        loop {
            if self.at_eof() {
                return Err(SyntaxError { loc: open, message: "unclosed `(`: missing `)`".into() });
            }
            self.expect_op(",", "or `)` in the tuple")?;
            if self.eat_op(")") {
                break;
            }
            if self.at_eof() {
                return Err(SyntaxError { loc: open, message: "unclosed `(`: missing `)`".into() });
            }
            items.push(self.arrow()?);
            if self.eat_op(")") {
                break;
            }
        }
        Ok(self.mk(ExprKind::Tuple(items), open))
    }

    fn ident_or_keyword(&mut self, name: String, loc: Loc) -> Result<Expr, SyntaxError> {
        match name.as_str() {
            "true" | "false" => {
                self.advance();
                Ok(self.mk(ExprKind::Bool(name == "true"), loc))
            }
            "nothing" => {
                self.advance();
                Ok(self.mk(ExprKind::Nothing, loc))
            }
            "end" if self.index_depth > 0 => {
                self.advance();
                Ok(self.mk(ExprKind::End, loc))
            }
            "function" => self.function(loc),
            "if" => {
                self.advance();
                self.if_chain(loc, "if")
            }
            "for" => {
                self.advance();
                let header = self.for_header("the `for` loop")?;
                let mut body = self.block(&["end"], "for", loc)?;
                self.expect_end("for", loc)?;
                // `for a in x, b in y` is `for a in x; for b in y`.
                let mut headers = header.into_iter().rev().peekable();
                while let Some((var, iter)) = headers.next() {
                    let e = self
                        .mk(ExprKind::For { var: Box::new(var), iter: Box::new(iter), body }, loc);
                    if headers.peek().is_none() {
                        return Ok(e);
                    }
                    body = vec![e];
                }
                unreachable!("a `for` header has at least one binding")
            }
            "while" => {
                self.advance();
                let cond = self.arrow()?;
                let body = self.block(&["end"], "while", loc)?;
                self.expect_end("while", loc)?;
                Ok(self.mk(ExprKind::While { cond: Box::new(cond), body }, loc))
            }
            "begin" => {
                self.advance();
                let body = self.block(&["end"], "begin", loc)?;
                self.expect_end("begin", loc)?;
                Ok(self.mk(ExprKind::Block(body), loc))
            }
            "let" => {
                self.advance();
                let mut bindings = Vec::new();
                while !matches!(self.toks[self.pos].tok, Tok::Newline | Tok::Eof | Tok::Op(";")) {
                    bindings.push(self.assign()?);
                    if !self.eat_op(",") {
                        break;
                    }
                }
                let body = self.block(&["end"], "let", loc)?;
                self.expect_end("let", loc)?;
                Ok(self.mk(ExprKind::Let { bindings, body }, loc))
            }
            "module" | "baremodule" => {
                self.advance();
                let name = match self.peek().tok.clone() {
                    Tok::Ident(n) => {
                        self.advance();
                        n
                    }
                    _ => return Err(self.unexpected("a module name")),
                };
                let body = self.block(&["end"], "module", loc)?;
                self.expect_end("module", loc)?;
                Ok(self.mk(ExprKind::Module { name, body }, loc))
            }
            "quote" | "struct" | "macro" => {
                self.advance();
                // The header (bindings or a name) is parsed as part of the body.
                let _ = self.block(&["end"], &name, loc)?;
                self.expect_end(&name, loc)?;
                Ok(self.mk(ExprKind::Other(format!("`{name}` block")), loc))
            }
            "mutable" | "abstract" | "primitive" => {
                self.advance();
                if !(self.at_kw("struct") || self.at_kw("type")) {
                    return Err(self.unexpected("`struct` or `type`"));
                }
                self.advance();
                let _ = self.block(&["end"], &name, loc)?;
                self.expect_end(&name, loc)?;
                Ok(self.mk(ExprKind::Other(format!("`{name}` definition")), loc))
            }
            "try" => {
                self.advance();
                let body = self.block(&["catch", "finally", "end"], "try", loc)?;
                if self.at_kw("catch") {
                    self.advance();
                    let _ = self.block(&["finally", "end"], "try", loc)?;
                }
                if self.at_kw("finally") {
                    self.advance();
                    let _ = self.block(&["end"], "try", loc)?;
                }
                self.expect_end("try", loc)?;
                Ok(self.mk(ExprKind::Try(body), loc))
            }
            "return" => {
                self.advance();
                let bare =
                    matches!(&self.toks[self.pos].tok, Tok::Newline | Tok::Eof | Tok::Op(";"))
                        || matches!(&self.toks[self.pos].tok, Tok::Ident(n) if n == "end");
                let value = if bare { None } else { Some(Box::new(self.tuple_expr()?)) };
                Ok(self.mk(ExprKind::Return(value), loc))
            }
            "break" => {
                self.advance();
                Ok(self.mk(ExprKind::Break, loc))
            }
            "continue" => {
                self.advance();
                Ok(self.mk(ExprKind::Continue, loc))
            }
            "const" | "global" | "local" => {
                self.advance();
                let inner = self.statement()?;
                Ok(self.mk(ExprKind::Decl { kind: name, expr: Box::new(inner) }, loc))
            }
            "using" | "import" | "export" => {
                self.advance();
                let mut text = String::new();
                while !matches!(self.toks[self.pos].tok, Tok::Newline | Tok::Eof | Tok::Op(";")) {
                    match &self.toks[self.pos].tok {
                        Tok::Ident(n) => text.push_str(n),
                        Tok::Op(o) => {
                            text.push_str(o);
                            if *o == "," || *o == ":" {
                                text.push(' ');
                            }
                        }
                        Tok::Macro(m) => {
                            text.push('@');
                            text.push_str(m);
                        }
                        other => {
                            let d = describe(other);
                            return Err(SyntaxError {
                                loc: self.toks[self.pos].loc,
                                message: format!("unexpected {d} in `{name}`"),
                            });
                        }
                    }
                    self.pos += 1;
                }
                Ok(self.mk(ExprKind::Using(format!("{name} {text}")), loc))
            }
            kw if is_keyword(kw) => {
                Err(SyntaxError { loc, message: format!("unexpected keyword `{kw}`") })
            }
            _ => {
                self.advance();
                Ok(self.mk(ExprKind::Ident(name), loc))
            }
        }
    }

    fn if_chain(&mut self, loc: Loc, opener: &str) -> Result<Expr, SyntaxError> {
        let mut branches = Vec::new();
        let mut otherwise = None;
        let cond = self.arrow()?;
        let body = self.block(&["elseif", "else", "end"], opener, loc)?;
        branches.push((cond, body));
        loop {
            if self.at_kw("elseif") {
                self.advance();
                let cond = self.arrow()?;
                let body = self.block(&["elseif", "else", "end"], opener, loc)?;
                branches.push((cond, body));
            } else if self.at_kw("else") {
                self.advance();
                otherwise = Some(self.block(&["end"], opener, loc)?);
            } else {
                break;
            }
        }
        self.expect_end(opener, loc)?;
        Ok(self.mk(ExprKind::If { branches, otherwise }, loc))
    }

    fn function(&mut self, loc: Loc) -> Result<Expr, SyntaxError> {
        self.advance(); // function
        let mut name = match self.advance().tok {
            Tok::Ident(n) if !is_keyword(&n) => n,
            other => {
                return Err(SyntaxError {
                    loc,
                    message: format!(
                        "expected a function name after `function`, found {}",
                        describe(&other)
                    ),
                });
            }
        };
        while self.at_op(".") {
            self.advance();
            match self.advance().tok {
                Tok::Ident(n) => name = format!("{name}.{n}"),
                other => {
                    return Err(SyntaxError {
                        loc,
                        message: format!("expected a name after `.`, found {}", describe(&other)),
                    });
                }
            }
        }
        // `function name end` declares a function without methods.
        if matches!(self.toks[self.pos].tok, Tok::Ident(ref n) if n == "end") {
            self.advance();
            let def = FunctionDef {
                name,
                params: vec![],
                kwparams: vec![],
                body: vec![],
                loc,
                module: None,
            };
            return Ok(self.mk(ExprKind::Function(Rc::new(def)), loc));
        }
        let open = self.expect_op("(", "after the function name")?;
        let args = self.call_args(open.loc)?;
        let (params, kwparams) = params_from_args(args)?;
        if self.at_op("::") {
            self.advance();
            self.postfix()?;
        }
        if self.at_kw("where") {
            return Err(self.unexpected("the function body (`where` clauses are not supported)"));
        }
        let body = self.block(&["end"], "function", loc)?;
        self.expect_end("function", loc)?;
        let def = FunctionDef { name, params, kwparams, body, loc, module: None };
        Ok(self.mk(ExprKind::Function(Rc::new(def)), loc))
    }
}

/// Turns parsed call arguments into function parameters (`x`, `x::T`, `x = d`, `xs...`).
pub(crate) fn params_from_args(args: Vec<Arg>) -> Result<(Vec<Param>, Vec<Param>), SyntaxError> {
    let mut params = Vec::new();
    let mut kwparams = Vec::new();
    for a in args {
        let is_kw = a.after_semicolon;
        let (default, target) = match (a.name, a.value) {
            (Some(n), v) if n == "..." => (None, v),
            (Some(n), v) => {
                // `f(; x)` (value is the same name: no default) or `x = default`.
                let same = param_name(&v).is_some_and(|(x, splat)| x == n && !splat);
                let ident = Expr { kind: ExprKind::Ident(n), loc: v.loc, end: v.end };
                (if same && is_kw { None } else { Some(v) }, ident)
            }
            (None, v) => (None, v),
        };
        let (name, splat) = param_name(&target).ok_or_else(|| SyntaxError {
            loc: target.loc,
            message: "unsupported function parameter: use `name`, `name::Type`, `name = default` or `name...`".into(),
        })?;
        let p = Param { name, default, splat };
        if is_kw { kwparams.push(p) } else { params.push(p) }
    }
    Ok((params, kwparams))
}

fn param_name(e: &Expr) -> Option<(String, bool)> {
    match &e.kind {
        ExprKind::Ident(n) => Some((n.clone(), false)),
        ExprKind::TypeAssert { expr, .. } => param_name(expr),
        ExprKind::Splat(inner) => param_name(inner).map(|(n, _)| (n, true)),
        _ => None,
    }
}

fn lambda_params(e: &Expr) -> Option<Vec<String>> {
    match &e.kind {
        ExprKind::Ident(n) => Some(vec![n.clone()]),
        ExprKind::TypeAssert { expr, .. } => lambda_params(expr),
        ExprKind::Tuple(items) => {
            items.iter().map(|i| lambda_params(i).and_then(|v| v.into_iter().next())).collect()
        }
        _ => None,
    }
}

/// A short description of a token for error messages.
pub(crate) fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(n) if is_keyword(n) => format!("keyword `{n}`"),
        Tok::Ident(n) => format!("`{n}`"),
        Tok::Int(i) => format!("number `{i}`"),
        Tok::Float(f) => format!("number `{f}`"),
        Tok::Str(_) => "a string".into(),
        Tok::StrMacro { name, .. } => format!("a `{name}\"...\"` string"),
        Tok::Char(c) => format!("character {c:?}"),
        Tok::Cmd(_) => "a command literal".into(),
        Tok::Symbol(s) => format!("symbol `:{s}`"),
        Tok::Macro(m) => format!("macro `@{m}`"),
        Tok::Op(o) => format!("`{o}`"),
        Tok::Newline => "end of line".into(),
        Tok::Eof => "end of file".into(),
    }
}

#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;
