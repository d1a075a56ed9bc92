//! Recursive-descent parser with error recovery.
//!
//! The parser reports problems as diagnostics and keeps going: a broken item
//! is skipped up to the next `;`, closing `}` or declaration keyword; a broken
//! statement up to the next `;` or the end of its block. Nesting is bounded by
//! [`MAX_DEPTH`] so that no input can exhaust the stack, and no input makes it
//! backtrack, so parsing time is linear in the input.

mod atoms;
mod exprs;
mod items;
mod stmts;
mod types;

use crate::ast::{self, Ident, Path};
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::lexer::lex;
use crate::span::{to_u32, FileId, Span};
use crate::token::{Keyword, Token, TokenKind};

/// Maximum nesting of expressions, types, atoms, patterns, blocks and standpoints.
pub const MAX_DEPTH: u32 = 256;

/// Stack size of the thread the parser runs on. Nesting is limited to
/// [`MAX_DEPTH`], which needs a few megabytes in unoptimised builds; a
/// dedicated thread makes that independent of the caller's stack.
const PARSER_STACK_BYTES: usize = 32 * 1024 * 1024;

/// Parses one file into an AST and the diagnostics of lexing and parsing.
///
/// Items that fail to parse are left out of the returned [`ast::File`]; every
/// problem is in the diagnostics. The work runs on a helper thread with a
/// large stack (or on the caller's thread if none can be started), so the
/// caller's stack size does not matter.
pub fn parse_file(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("ox-parse".to_string())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, || parse_here(file, text));
        match worker {
            Ok(handle) => handle.join().unwrap_or_else(|_| internal_error(file)),
            Err(_) => parse_here(file, text),
        }
    })
}

/// Refuses files whose offsets do not fit the 32-bit spans.
fn refuse_huge(file: FileId, len: usize) -> Option<(ast::File, Vec<Diagnostic>)> {
    u32::try_from(len).is_err().then(|| {
        let span = Span::new(file, 0, 0);
        let diag = Diagnostic::error(
            codes::FILE_TOO_LARGE,
            span,
            "source file is larger than 4 GiB",
        );
        (empty_file(span), vec![diag])
    })
}

fn empty_file(span: Span) -> ast::File {
    ast::File {
        inner_doc: None,
        items: Vec::new(),
        span,
    }
}

/// The result reported if the parser thread panicked (a bug in the parser).
fn internal_error(file: FileId) -> (ast::File, Vec<Diagnostic>) {
    let span = Span::new(file, 0, 0);
    let diag = Diagnostic::error(
        codes::INTERNAL_PARSER_ERROR,
        span,
        "internal error: the parser failed on this file",
    )
    .with_help("please report this file to the ox developers");
    (empty_file(span), vec![diag])
}

/// Parses on the current thread.
fn parse_here(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    if let Some(refused) = refuse_huge(file, text.len()) {
        return refused;
    }
    let (tokens, mut diags) = lex(file, text);
    let mut parser = Parser::new(file, text, tokens);
    // After an unterminated string or comment swallowed the rest of the file,
    // complaints about the abrupt end are consequences, not news.
    parser.quiet_at_eof = diags
        .iter()
        .any(|d| d.code == codes::UNTERMINATED_STRING || d.code == codes::UNTERMINATED_COMMENT);
    let parsed = parser.file();
    diags.append(&mut parser.diags);
    diags.sort_by_key(|d| (d.primary.start, d.primary.end));
    (parsed, diags)
}

/// Marker for "an error was reported; recover".
#[derive(Debug)]
pub(crate) struct Reported;

pub(crate) type PResult<T> = Result<T, Reported>;

/// A `///` or `//!` line kept aside from the token stream.
struct DocLine {
    text: String,
    span: Span,
}

pub(crate) struct Parser<'a> {
    file: FileId,
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    outer_docs: Vec<DocLine>,
    inner_docs: Vec<String>,
    doc_cursor: usize,
    diags: Vec<Diagnostic>,
    depth: u32,
    depth_reported: bool,
    /// Number of `{` minus `}` consumed so far; used by recovery.
    brace_depth: i64,
    last_error_at: Option<u32>,
    /// Set after a broken item: further "expected a declaration" errors are
    /// consequences and stay quiet until an item parses again.
    after_broken_item: bool,
    /// Drop errors found at the end of the file (see `parse_here`).
    quiet_at_eof: bool,
}

impl<'a> Parser<'a> {
    fn new(file: FileId, text: &'a str, all_tokens: Vec<Token>) -> Parser<'a> {
        let mut tokens = Vec::with_capacity(all_tokens.len());
        let mut outer_docs = Vec::new();
        let mut inner_docs = Vec::new();
        for token in all_tokens {
            match token.kind {
                TokenKind::OuterDoc(text) => outer_docs.push(DocLine {
                    text,
                    span: token.span,
                }),
                TokenKind::InnerDoc(text) => inner_docs.push(text),
                _ => tokens.push(token),
            }
        }
        if tokens.is_empty() {
            let end = to_u32(text.len());
            tokens.push(Token {
                kind: TokenKind::Eof,
                span: Span::new(file, end, end),
            });
        }
        Parser {
            file,
            text,
            tokens,
            pos: 0,
            outer_docs,
            inner_docs,
            doc_cursor: 0,
            diags: Vec::new(),
            depth: 0,
            depth_reported: false,
            brace_depth: 0,
            last_error_at: None,
            after_broken_item: false,
            quiet_at_eof: false,
        }
    }

    fn file(&mut self) -> ast::File {
        let items = self.items_until_eof();
        self.flush_unused_docs(u32::MAX);
        let inner_doc = if self.inner_docs.is_empty() {
            None
        } else {
            Some(self.inner_docs.join("\n"))
        };
        ast::File {
            inner_doc,
            items,
            span: Span::new(self.file, 0, to_u32(self.text.len())),
        }
    }

    // ------------------------------------------------------------ token access

    fn token(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek(&self) -> &TokenKind {
        &self.token().kind
    }

    fn peek_nth(&self, n: usize) -> &TokenKind {
        let i = (self.pos + n).min(self.tokens.len() - 1);
        &self.tokens[i].kind
    }

    fn span(&self) -> Span {
        self.token().span
    }

    /// Span of the last consumed token (or an empty span at the start).
    fn prev_span(&self) -> Span {
        match self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)) {
            Some(t) => t.span,
            None => Span::new(self.file, 0, 0),
        }
    }

    /// Span from `start` to the end of the last consumed token.
    fn span_from(&self, start: Span) -> Span {
        start.to(self.prev_span())
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.peek() == kind
    }

    fn at_kw(&self, kw: Keyword) -> bool {
        matches!(self.peek(), TokenKind::Keyword(k) if *k == kw)
    }

    /// True at the contextual keyword (identifier) `word`.
    fn at_word(&self, word: &str) -> bool {
        matches!(self.peek(), TokenKind::Ident(w) if w == word)
    }

    fn at_eof(&self) -> bool {
        self.at(&TokenKind::Eof)
    }

    fn bump(&mut self) -> Token {
        let token = self.token().clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        match token.kind {
            TokenKind::LBrace => self.brace_depth += 1,
            TokenKind::RBrace => self.brace_depth -= 1,
            _ => {}
        }
        token
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        if self.at(kind) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, kw: Keyword) -> bool {
        if self.at_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        if self.at_word(word) {
            self.bump();
            true
        } else {
            false
        }
    }

    // ------------------------------------------------------------ expectations

    /// Consumes `kind` or reports "expected `kind`".
    fn expect(&mut self, kind: TokenKind) -> PResult<Span> {
        if self.at(&kind) {
            Ok(self.bump().span)
        } else {
            Err(self.error_expected(&kind.to_string()))
        }
    }

    fn expect_kw(&mut self, kw: Keyword) -> PResult<Span> {
        self.expect(TokenKind::Keyword(kw))
    }

    /// Consumes the contextual keyword `word`.
    fn expect_word(&mut self, word: &str) -> PResult<Span> {
        if self.at_word(word) {
            Ok(self.bump().span)
        } else {
            Err(self.error_expected(&format!("`{word}`")))
        }
    }

    fn expect_ident(&mut self, what: &str) -> PResult<Ident> {
        if let TokenKind::Ident(name) = self.peek() {
            let name = name.clone();
            let span = self.bump().span;
            return Ok(Ident { name, span });
        }
        let mut expected = what.to_string();
        if let TokenKind::Keyword(k) = self.peek() {
            expected = format!("{what} (`{}` is a reserved keyword)", k.as_str());
        }
        Err(self.error_expected(&expected))
    }

    fn expect_int(&mut self, what: &str) -> PResult<u64> {
        if let TokenKind::Int(n) = *self.peek() {
            self.bump();
            return Ok(n);
        }
        Err(self.error_expected(what))
    }

    /// Consumes a `;`. When it is missing, reports `OE0011` at the end of the
    /// previous token and carries on as if it were there.
    fn expect_semi(&mut self, after: &str) {
        if self.eat(&TokenKind::Semi) {
            return;
        }
        let at = self.prev_span().end_point();
        let mut diag = Diagnostic::error(
            codes::MISSING_SEMICOLON,
            at,
            format!("missing `;` after {after}"),
        )
        .with_help("add `;` here");
        if !self.at_eof() {
            diag = diag.with_label(self.span(), format!("found {}", self.peek()));
        }
        self.report(diag);
    }

    /// Reports `OE0001 expected …, found …` at the current token.
    fn error_expected(&mut self, expected: &str) -> Reported {
        let found = self.peek().to_string();
        let diag = Diagnostic::error(
            codes::UNEXPECTED_TOKEN,
            self.span(),
            format!("expected {expected}, found {found}"),
        );
        self.report(diag)
    }

    /// Records a diagnostic, dropping a second error at the same position.
    fn report(&mut self, diag: Diagnostic) -> Reported {
        if diag.is_error() {
            if self.quiet_at_eof && self.at_eof() {
                return Reported;
            }
            if self.last_error_at == Some(diag.primary.start) {
                return Reported;
            }
            self.last_error_at = Some(diag.primary.start);
        }
        self.diags.push(diag);
        Reported
    }

    // ------------------------------------------------------------ nesting

    /// Runs `f` one nesting level deeper, refusing beyond [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            if !self.depth_reported {
                self.depth_reported = true;
                let diag = Diagnostic::error(
                    codes::NESTING_TOO_DEEP,
                    self.span(),
                    format!("nesting exceeds the limit of {MAX_DEPTH} levels"),
                );
                self.report(diag);
            }
            return Err(Reported);
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    // ------------------------------------------------------------ recovery

    /// True when the current token can only start a declaration.
    fn at_item_keyword(&self) -> bool {
        matches!(self.peek(), TokenKind::Keyword(k) if k.starts_item())
    }

    /// Skips the rest of a broken item. `base` is the brace depth at which the
    /// item started.
    fn recover_item(&mut self, base: i64) {
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Semi if self.brace_depth == base => {
                    self.bump();
                    return;
                }
                TokenKind::RBrace if self.brace_depth <= base => return,
                TokenKind::RBrace => {
                    self.bump();
                    if self.brace_depth == base {
                        self.eat(&TokenKind::Semi);
                        return;
                    }
                }
                TokenKind::HashBracket if self.brace_depth == base => return,
                TokenKind::Ident(w) if w == "pub" && self.brace_depth == base => return,
                TokenKind::Ident(_)
                    if self.brace_depth == base
                        && matches!(self.peek_nth(1), TokenKind::Ident(_))
                        && self.newline_before() =>
                {
                    // Most likely `INTRODUCER Name` starting the next declaration.
                    return;
                }
                TokenKind::Keyword(k) if k.starts_item() => {
                    // An item keyword never occurs inside an item: assume the
                    // broken item lost its closing braces.
                    self.brace_depth = self.brace_depth.min(base);
                    return;
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Skips the rest of a broken statement inside a block whose contents
    /// are at brace depth `base`.
    fn recover_stmt(&mut self, base: i64) {
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::Semi if self.brace_depth == base => {
                    self.bump();
                    return;
                }
                TokenKind::RBrace if self.brace_depth <= base => return,
                TokenKind::RBrace => {
                    self.bump();
                    if self.brace_depth == base {
                        self.eat(&TokenKind::Semi);
                        return;
                    }
                }
                _ if self.at_item_keyword() => return,
                _ => {
                    self.bump();
                }
            }
        }
    }

    // ------------------------------------------------------------ docs

    /// Takes the `///` lines between the previous token and the current one.
    fn take_doc(&mut self) -> Option<String> {
        let here = self.span().start;
        let prev_end = if self.pos == 0 {
            0
        } else {
            self.prev_span().end
        };
        self.flush_unused_docs(prev_end);
        let mut lines = Vec::new();
        while let Some(doc) = self.outer_docs.get(self.doc_cursor) {
            if doc.span.start >= here {
                break;
            }
            lines.push(doc.text.clone());
            self.doc_cursor += 1;
        }
        (!lines.is_empty()).then(|| lines.join("\n"))
    }

    /// Warns about doc lines before `limit` that nothing took.
    fn flush_unused_docs(&mut self, limit: u32) {
        while let Some(doc) = self.outer_docs.get(self.doc_cursor) {
            if doc.span.start >= limit {
                break;
            }
            let diag = Diagnostic::warning(
                codes::UNUSED_DOC_COMMENT,
                doc.span,
                "doc comment is not attached to a declaration",
            )
            .with_help("use `//` for a plain comment");
            self.diags.push(diag);
            self.doc_cursor += 1;
        }
    }

    // ------------------------------------------------------------ shared pieces

    /// `Ident (:: Ident)*`. Stops before `::` followed by `{` or `*`.
    fn path(&mut self, what: &str) -> PResult<Path> {
        let first = self.expect_ident(what)?;
        let mut segments = vec![first];
        while self.at(&TokenKind::ColonColon) && matches!(self.peek_nth(1), TokenKind::Ident(_)) {
            self.bump();
            segments.push(self.expect_ident("a name")?);
        }
        let span = segments[0].span.to(segments[segments.len() - 1].span);
        Ok(Path { segments, span })
    }

    /// A literal token, if the current token is one.
    fn literal(&mut self) -> Option<ast::Lit> {
        let kind = match self.peek() {
            TokenKind::Int(n) => ast::LitKind::Int(*n),
            TokenKind::Decimal(d) => ast::LitKind::Decimal(d.clone()),
            TokenKind::Str(s) => ast::LitKind::Str(s.clone()),
            TokenKind::Date(d) => ast::LitKind::Date(d.clone()),
            TokenKind::DateTime(d) => ast::LitKind::DateTime(d.clone()),
            TokenKind::Keyword(Keyword::True) => ast::LitKind::Bool(true),
            TokenKind::Keyword(Keyword::False) => ast::LitKind::Bool(false),
            _ => return None,
        };
        let span = self.bump().span;
        Some(ast::Lit { kind, span })
    }

    /// A string literal.
    fn str_lit(&mut self, what: &str) -> PResult<ast::StrLit> {
        if let TokenKind::Str(s) = self.peek() {
            let value = s.clone();
            let span = self.bump().span;
            return Ok(ast::StrLit { value, span });
        }
        Err(self.error_expected(what))
    }

    /// Parses `item (, item)* ,? close` after the opening delimiter.
    fn comma_list<T>(
        &mut self,
        close: TokenKind,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let mut out = Vec::new();
        while !self.at(&close) {
            out.push(item(self)?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(close)?;
        Ok(out)
    }

    /// True when a line break separates the previous token from the current one.
    fn newline_before(&self) -> bool {
        let from = self.prev_span().end as usize;
        let to = self.span().start as usize;
        self.text.get(from..to).is_some_and(|s| s.contains('\n'))
    }
}

#[cfg(test)]
mod tests;
