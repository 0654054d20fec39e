//! Tokenizer for the subset of Julia that `build_tarballs.jl` files use.
//!
//! Produces [`Token`]s with positions (file, 1-based line and character column, character
//! offset). Strings keep their interpolations as nested token lists, so the parser can parse
//! `$(expr)` like any other expression. Triple-quoted strings are dedented with Julia's rule
//! before escapes are processed.

use crate::{Loc, SyntaxError};

/// Longest accepted string or comment nesting depth, to bound recursion on hostile input.
const MAX_NESTING: usize = 64;

/// A token and where it starts and ends.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) loc: Loc,
    /// Character offset one past the token's end, in the same file.
    pub(crate) end: usize,
    /// Whether whitespace (or a comment) precedes the token on the same line.
    pub(crate) space_before: bool,
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier or keyword (`name`, `push!`, `end`).
    Ident(String),
    Int(i64),
    Float(f64),
    /// A string with interpolation (`"..."`, `"""..."""`), escapes processed.
    Str(Vec<StrPart>),
    /// A non-standard string literal: `raw"..."`, `v"1.2.3"`, `r"..."`; `content` is after
    /// Julia's raw-string unescaping (and dedent for triple quotes).
    StrMacro {
        name: String,
        content: String,
    },
    Char(char),
    /// A command literal `` `cmd $x` `` (kept as its source text; not evaluated).
    Cmd(String),
    /// `:foo`.
    Symbol(String),
    /// `@name`.
    Macro(String),
    /// Operators and punctuation, normalized (`≠` is `!=`, `∈` is `in`).
    Op(&'static str),
    Newline,
    Eof,
}

/// A piece of a string literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StrPart {
    Lit(String),
    /// `$name` or `$(expr)`: the tokens of the expression (ending with `Eof`), where the `$` is,
    /// and the source text of the whole interpolation.
    Interp {
        tokens: Vec<Token>,
        loc: Loc,
        text: String,
    },
}

/// Operators, longest first so that the first match is the longest.
const OPS: &[&str] = &[
    "...", ".==", ".!=", ".>=", ".<=", ".&&", ".||", "===", "!==", ">>>", ".+", ".-", ".*", "./",
    ".^", ".<", ".>", ".%", "::", "->", "=>", "==", "!=", "<=", ">=", "&&", "||", "|>", "<|", "+=",
    "-=", "*=", "/=", "^=", "|=", "&=", "<:", ">:", "<<", ">>", "//", ".", "=", "<", ">", "+", "-",
    "*", "/", "^", "!", "?", ":", "&", "|", "%", "\\", "~", "(", ")", "[", "]", "{", "}", ",", ";",
    "'", "$",
];

/// Unicode operators and their ASCII spelling.
const UNICODE_OPS: &[(char, &str)] = &[
    ('≠', "!="),
    ('≤', "<="),
    ('≥', ">="),
    ('∈', "in"),
    ('∉', "∉"),
    ('∘', "∘"),
    ('÷', "÷"),
    ('≡', "==="),
    ('⊻', "⊻"),
];

/// Tokenizes one file's text.
pub(crate) fn tokenize(file: usize, text: &str) -> Result<Vec<Token>, SyntaxError> {
    let mut lx = Lexer { file, chars: text.chars().collect(), pos: 0, line: 1, col: 1, depth: 0 };
    lx.run(None)
}

struct Lexer {
    file: usize,
    chars: Vec<char>,
    pos: usize,
    line: u32,
    col: u32,
    depth: usize,
}

/// One raw (not yet unescaped) segment of a string body.
enum Seg {
    /// Source text with escapes still in it.
    Text(String),
    Interp {
        tokens: Vec<Token>,
        loc: Loc,
        text: String,
    },
}

impl Lexer {
    fn loc(&self) -> Loc {
        Loc { file: self.file, line: self.line, col: self.col, offset: self.pos }
    }

    fn peek(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn err(&self, loc: Loc, message: impl Into<String>) -> SyntaxError {
        SyntaxError { loc, message: message.into() }
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(i, c)| self.peek(i) == Some(c))
    }

    /// Tokenizes until end of input (`close` = None) or until the `)` that closes an
    /// interpolation (`close` = Some(start of `$(`)), which is consumed but not returned.
    fn run(&mut self, close: Option<Loc>) -> Result<Vec<Token>, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err(self.loc(), "strings and interpolations are nested too deeply"));
        }
        let mut out: Vec<Token> = Vec::new();
        let mut parens = 0usize;
        let mut space_before = false;
        loop {
            // Whitespace and comments.
            match self.peek(0) {
                Some(' ' | '\t' | '\r') => {
                    self.bump();
                    space_before = true;
                    continue;
                }
                Some('#') => {
                    self.skip_comment()?;
                    space_before = true;
                    continue;
                }
                Some('\\') if self.peek(1) == Some('\n') && close.is_some() => {
                    self.bump();
                    self.bump();
                    continue;
                }
                _ => {}
            }
            let loc = self.loc();
            let Some(c) = self.peek(0) else {
                if let Some(open) = close {
                    return Err(self.err(open, "unterminated `$(` interpolation in string"));
                }
                out.push(Token { tok: Tok::Eof, loc, end: self.pos, space_before });
                break;
            };
            let tok = if c == '\n' {
                self.bump();
                Tok::Newline
            } else if close.is_some() && c == ')' && parens == 0 {
                self.bump();
                out.push(Token { tok: Tok::Eof, loc, end: self.pos, space_before });
                break;
            } else if is_ident_start(c) {
                let name = self.ident();
                if self.peek(0) == Some('"') {
                    self.string_macro(name, loc)?
                } else {
                    Tok::Ident(name)
                }
            } else if c.is_ascii_digit()
                || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit()))
            {
                self.number(loc)?
            } else if c == '`' {
                self.command(loc)?
            } else if c == '"' {
                let segs = self.string_body(false, loc)?;
                Tok::Str(finish_interp(segs, loc, self)?)
            } else if c == '@' {
                self.bump();
                let mut name = String::new();
                // `@foo`, `@__DIR__`, `Base.@kwdef` is handled by the parser as field access.
                if self.peek(0).is_some_and(is_ident_start) {
                    name = self.ident();
                }
                if name.is_empty() {
                    return Err(self.err(loc, "expected a macro name after `@`"));
                }
                Tok::Macro(name)
            } else if c == ':'
                && self.peek(1).is_some_and(is_ident_start)
                && (space_before || !prev_is_operand(out.last()))
            {
                self.bump();
                Tok::Symbol(self.ident())
            } else if c == '\'' && (space_before || !prev_is_operand(out.last())) {
                self.char_literal(loc)?
            } else if let Some(&(_, op)) = UNICODE_OPS.iter().find(|(u, _)| *u == c) {
                self.bump();
                Tok::Op(op)
            } else if let Some(op) = OPS.iter().find(|op| self.starts_with(op)) {
                for _ in 0..op.chars().count() {
                    self.bump();
                }
                match *op {
                    "(" | "[" | "{" => parens += 1,
                    ")" | "]" | "}" => parens = parens.saturating_sub(1),
                    _ => {}
                }
                Tok::Op(op)
            } else {
                return Err(self.err(loc, format!("unexpected character {c:?}")));
            };
            out.push(Token { tok, loc, end: self.pos, space_before });
            space_before = false;
        }
        self.depth -= 1;
        Ok(out)
    }

    fn skip_comment(&mut self) -> Result<(), SyntaxError> {
        let start = self.loc();
        if self.peek(1) == Some('=') {
            // `#= ... =#`, nestable.
            self.bump();
            self.bump();
            let mut level = 1usize;
            while level > 0 {
                if self.starts_with("#=") {
                    self.bump();
                    self.bump();
                    level += 1;
                    if level > MAX_NESTING {
                        return Err(self.err(start, "block comments are nested too deeply"));
                    }
                } else if self.starts_with("=#") {
                    self.bump();
                    self.bump();
                    level -= 1;
                } else if self.bump().is_none() {
                    return Err(self.err(start, "unterminated `#=` block comment"));
                }
            }
        } else {
            while self.peek(0).is_some_and(|c| c != '\n') {
                self.bump();
            }
        }
        Ok(())
    }

    fn ident(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek(0) {
            let ok = is_ident_char(c) || (c == '!' && self.peek(1) != Some('='));
            if !ok {
                break;
            }
            s.push(c);
            self.bump();
        }
        s
    }

    fn number(&mut self, loc: Loc) -> Result<Tok, SyntaxError> {
        let mut s = String::new();
        if self.starts_with("0x") || self.starts_with("0b") || self.starts_with("0o") {
            let radix = match self.peek(1) {
                Some('x') => 16,
                Some('b') => 2,
                _ => 8,
            };
            self.bump();
            self.bump();
            while let Some(c) = self.peek(0) {
                if c.is_digit(radix) {
                    s.push(c);
                } else if c != '_' {
                    break;
                }
                self.bump();
            }
            return i64::from_str_radix(&s, radix)
                .map(Tok::Int)
                .map_err(|_| self.err(loc, "invalid or too large integer literal"));
        }
        let mut float = false;
        while let Some(c) = self.peek(0) {
            if c.is_ascii_digit() {
                s.push(c);
            } else if c == '_' && self.peek(1).is_some_and(|d| d.is_ascii_digit()) {
            } else if c == '.'
                && !float
                && !self.starts_with("..")
                && !self.peek(1).is_some_and(is_ident_start)
            {
                float = true;
                s.push(c);
            } else if (c == 'e' || c == 'E')
                && (self.peek(1).is_some_and(|d| d.is_ascii_digit())
                    || (matches!(self.peek(1), Some('+' | '-'))
                        && self.peek(2).is_some_and(|d| d.is_ascii_digit())))
            {
                float = true;
                s.push(c);
                self.bump();
                s.push(self.peek(0).unwrap_or('0'));
            } else {
                break;
            }
            self.bump();
        }
        if float {
            s.parse().map(Tok::Float).map_err(|_| self.err(loc, "invalid number literal"))
        } else {
            s.parse().map(Tok::Int).map_err(|_| self.err(loc, "integer literal is too large"))
        }
    }

    fn char_literal(&mut self, loc: Loc) -> Result<Tok, SyntaxError> {
        self.bump();
        let c = match self.bump() {
            Some('\\') => {
                let mut raw = String::from("\\");
                while let Some(c) = self.peek(0) {
                    if c == '\'' && raw.len() > 1 {
                        break;
                    }
                    raw.push(c);
                    self.bump();
                    if raw.len() > 12 {
                        break;
                    }
                }
                let s = unescape(&raw).map_err(|m| self.err(loc, m))?;
                let mut it = s.chars();
                match (it.next(), it.next()) {
                    (Some(c), None) => c,
                    _ => return Err(self.err(loc, "invalid character literal")),
                }
            }
            Some(c) if c != '\n' => c,
            _ => return Err(self.err(loc, "invalid character literal")),
        };
        if self.bump() != Some('\'') {
            return Err(self.err(loc, "unterminated character literal"));
        }
        Ok(Tok::Char(c))
    }

    /// A command literal: `` `...` `` or ```` ```...``` ````, backslash escapes skipped.
    fn command(&mut self, loc: Loc) -> Result<Tok, SyntaxError> {
        let triple = self.starts_with("```");
        let fence = if triple { 3 } else { 1 };
        for _ in 0..fence {
            self.bump();
        }
        let mut text = String::new();
        loop {
            if (triple && self.starts_with("```")) || (!triple && self.peek(0) == Some('`')) {
                for _ in 0..fence {
                    self.bump();
                }
                return Ok(Tok::Cmd(text));
            }
            match self.bump() {
                Some('\\') => {
                    text.push('\\');
                    if let Some(c) = self.bump() {
                        text.push(c);
                    }
                }
                Some(c) => text.push(c),
                None => return Err(self.err(loc, "unterminated command literal")),
            }
        }
    }

    fn string_macro(&mut self, name: String, loc: Loc) -> Result<Tok, SyntaxError> {
        let segs = self.string_body(true, loc)?;
        let mut content = String::new();
        for s in segs {
            if let Seg::Text(t) = s {
                content.push_str(&raw_unescape(&t));
            }
        }
        if name == "r" {
            // Flags after a regex literal: `r"..."i`.
            let mut flags = String::new();
            while let Some(c @ ('i' | 'm' | 's' | 'x')) = self.peek(0) {
                flags.push(c);
                self.bump();
            }
            if !flags.is_empty() {
                content = format!("(?{flags}){content}");
            }
        }
        Ok(Tok::StrMacro { name, content })
    }

    /// Lexes a string starting at the opening quote. `raw`: no interpolation, backslashes only
    /// escape quotes. Returns dedented segments (escapes not processed yet).
    fn string_body(&mut self, raw: bool, open: Loc) -> Result<Vec<Seg>, SyntaxError> {
        let triple = self.starts_with("\"\"\"");
        let nq = if triple { 3 } else { 1 };
        for _ in 0..nq {
            self.bump();
        }
        let mut segs: Vec<Seg> = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err(self.err(open, "unterminated string literal"));
            };
            if c == '"' && (!triple || self.starts_with("\"\"\"")) {
                for _ in 0..nq {
                    self.bump();
                }
                break;
            }
            if c == '\\' {
                if raw {
                    // A run of backslashes; an odd run escapes a following quote.
                    let mut n = 0;
                    while self.peek(0) == Some('\\') {
                        text.push('\\');
                        self.bump();
                        n += 1;
                    }
                    if n % 2 == 1 && self.peek(0) == Some('"') {
                        text.push('"');
                        self.bump();
                    }
                    continue;
                }
                let at = self.loc();
                self.bump();
                let Some(e) = self.bump() else {
                    return Err(self.err(open, "unterminated string literal"));
                };
                check_escape(e, self).map_err(|m| self.err(at, m))?;
                text.push('\\');
                text.push(e);
                continue;
            }
            if c == '$' && !raw {
                let at = self.loc();
                self.bump();
                if !text.is_empty() {
                    segs.push(Seg::Text(std::mem::take(&mut text)));
                }
                let start = self.pos;
                let tokens = if self.peek(0) == Some('(') {
                    let open_paren = self.loc();
                    self.bump();
                    self.run(Some(open_paren))?
                } else if self.peek(0).is_some_and(is_ident_start) {
                    let iloc = self.loc();
                    let name = self.ident();
                    vec![
                        Token {
                            tok: Tok::Ident(name),
                            loc: iloc,
                            end: self.pos,
                            space_before: false,
                        },
                        Token {
                            tok: Tok::Eof,
                            loc: self.loc(),
                            end: self.pos,
                            space_before: false,
                        },
                    ]
                } else {
                    return Err(self.err(
                        at,
                        "invalid interpolation syntax: `$` must be followed by a name or `(`; write `\\$` for a literal dollar sign",
                    ));
                };
                let body: String = self.chars[start..self.pos].iter().collect();
                segs.push(Seg::Interp { tokens, loc: at, text: format!("${body}") });
                continue;
            }
            text.push(c);
            self.bump();
        }
        if !text.is_empty() {
            segs.push(Seg::Text(text));
        }
        if triple {
            segs = dedent(segs);
        }
        Ok(segs)
    }
}

/// Validates the character after a backslash in a non-raw string.
fn check_escape(e: char, _lx: &Lexer) -> Result<(), String> {
    match e {
        'n'
        | 't'
        | 'r'
        | '\\'
        | '"'
        | '$'
        | '\''
        | 'a'
        | 'b'
        | 'e'
        | 'f'
        | 'v'
        | '\n'
        | 'x'
        | 'u'
        | 'U'
        | '0'..='7' => Ok(()),
        other => Err(format!("invalid escape sequence `\\{other}` in string")),
    }
}

fn finish_interp(segs: Vec<Seg>, loc: Loc, lx: &Lexer) -> Result<Vec<StrPart>, SyntaxError> {
    let mut parts = Vec::new();
    for s in segs {
        match s {
            Seg::Text(t) => {
                let lit = unescape(&t).map_err(|m| lx.err(loc, m))?;
                match parts.last_mut() {
                    Some(StrPart::Lit(prev)) => prev.push_str(&lit),
                    _ => parts.push(StrPart::Lit(lit)),
                }
            }
            Seg::Interp { tokens, loc, text } => parts.push(StrPart::Interp { tokens, loc, text }),
        }
    }
    Ok(parts)
}

/// Julia's triple-quote rule: drop a newline right after the opening quotes; remove the longest
/// common leading run of spaces and tabs from every line except the text on the opening line,
/// where whitespace-only lines do not count (except the last line, the one with the closing
/// quotes) and are only stripped when they start with that run.
fn dedent(segs: Vec<Seg>) -> Vec<Seg> {
    // Split into lines of segments.
    let mut lines: Vec<Vec<Seg>> = vec![Vec::new()];
    for s in segs {
        match s {
            Seg::Text(t) => {
                let mut first = true;
                for piece in t.split('\n') {
                    if !first {
                        lines.push(Vec::new());
                    }
                    first = false;
                    if !piece.is_empty() {
                        lines.last_mut().expect("at least one line").push(Seg::Text(piece.into()));
                    }
                }
            }
            interp => lines.last_mut().expect("at least one line").push(interp),
        }
    }
    // The opening line: dropped (with its newline) when empty, otherwise kept but not dedented.
    let opening_empty = lines[0].iter().all(|s| matches!(s, Seg::Text(t) if t == "\r"));
    let skip_first = if lines.len() > 1 && opening_empty {
        lines.remove(0);
        false
    } else {
        true
    };
    let n = lines.len();
    let mut common: Option<String> = None;
    for (i, line) in lines.iter().enumerate() {
        if (i == 0 && skip_first) || (i + 1 < n && is_blank_line(line)) {
            continue;
        }
        let lead = leading_ws(line);
        common = Some(match common {
            None => lead,
            Some(c) => {
                c.chars().zip(lead.chars()).take_while(|(a, b)| a == b).map(|p| p.0).collect()
            }
        });
    }
    let common = common.unwrap_or_default();
    let mut out: Vec<Seg> = Vec::new();
    let mut text = String::new();
    for (i, line) in lines.into_iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        let mut strip = if i == 0 && skip_first { 0 } else { common.chars().count() };
        if strip > 0 && !leading_ws(&line).starts_with(&common) {
            strip = 0;
        }
        for seg in line {
            match seg {
                Seg::Text(t) => {
                    let k = t.chars().take(strip).count();
                    strip -= k;
                    text.extend(t.chars().skip(k));
                }
                interp => {
                    if !text.is_empty() {
                        out.push(Seg::Text(std::mem::take(&mut text)));
                    }
                    strip = 0;
                    out.push(interp);
                }
            }
        }
    }
    if !text.is_empty() {
        out.push(Seg::Text(text));
    }
    out
}

/// Only spaces and tabs (and a `\r` before the newline).
fn is_blank_line(line: &[Seg]) -> bool {
    line.iter().all(|s| match s {
        Seg::Text(t) => t.chars().all(|c| c == ' ' || c == '\t' || c == '\r'),
        Seg::Interp { .. } => false,
    })
}

fn leading_ws(line: &[Seg]) -> String {
    let mut s = String::new();
    for seg in line {
        match seg {
            Seg::Text(t) => {
                let lead: String = t.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
                let whole = lead.len() == t.len();
                s.push_str(&lead);
                if !whole {
                    return s;
                }
            }
            Seg::Interp { .. } => return s,
        }
    }
    s
}

/// Processes escapes of a non-raw string (already validated by the lexer).
pub(crate) fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&e) = chars.get(i) else {
            return Err("string ends with a lone backslash".into());
        };
        i += 1;
        let simple = match e {
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            'a' => Some('\u{7}'),
            'b' => Some('\u{8}'),
            'e' => Some('\u{1b}'),
            'f' => Some('\u{c}'),
            'v' => Some('\u{b}'),
            '\\' | '"' | '$' | '\'' => Some(e),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        match e {
            '\n' => {
                // Line continuation: drop the newline and the next line's indentation.
                while matches!(chars.get(i), Some(' ' | '\t')) {
                    i += 1;
                }
            }
            'x' | 'u' | 'U' | '0'..='7' => {
                let (radix, max) = match e {
                    'x' => (16, 2),
                    'u' => (16, 4),
                    'U' => (16, 8),
                    _ => (8, 3),
                };
                let mut digits = String::new();
                if matches!(e, '0'..='7') {
                    digits.push(e);
                }
                while digits.len() < max && chars.get(i).is_some_and(|d| d.is_digit(radix)) {
                    digits.push(chars[i]);
                    i += 1;
                }
                let v = u32::from_str_radix(&digits, radix)
                    .map_err(|_| format!("invalid escape `\\{e}{digits}`"))?;
                let ch = char::from_u32(v)
                    .ok_or_else(|| format!("invalid character escape `\\{e}{digits}`"))?;
                out.push(ch);
            }
            other => return Err(format!("invalid escape sequence `\\{other}` in string")),
        }
    }
    Ok(out)
}

/// Julia's raw-string rule: a run of backslashes before a quote is halved; others are literal.
fn raw_unescape(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' {
            let start = i;
            while i < chars.len() && chars[i] == '\\' {
                i += 1;
            }
            let n = i - start;
            if chars.get(i) == Some(&'"') {
                out.extend(std::iter::repeat_n('\\', n / 2));
            } else {
                out.extend(std::iter::repeat_n('\\', n));
            }
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn prev_is_operand(prev: Option<&Token>) -> bool {
    match prev.map(|t| &t.tok) {
        Some(Tok::Ident(name)) => !crate::parser::is_keyword(name) || name == "end",
        Some(
            Tok::Int(_)
            | Tok::Float(_)
            | Tok::Str(_)
            | Tok::StrMacro { .. }
            | Tok::Char(_)
            | Tok::Cmd(_)
            | Tok::Symbol(_),
        ) => true,
        Some(Tok::Op(op)) => matches!(*op, ")" | "]" | "}" | "'"),
        _ => false,
    }
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric() || c == '′'
}

#[cfg(test)]
#[path = "lexer_tests.rs"]
mod tests;
