//! The lexer: turns source text into tokens and lexical diagnostics.
//!
//! Ordinary comments and whitespace are dropped; doc comments become
//! [`TokenKind::OuterDoc`] / [`TokenKind::InnerDoc`] tokens. The lexer never
//! fails: problems are reported as diagnostics and lexing continues.

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::span::{to_u32, FileId, Span};
use crate::token::{Keyword, Token, TokenKind};

/// Lexes `text` into tokens (always ending with [`TokenKind::Eof`]) and diagnostics.
pub fn lex(file: FileId, text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lexer = Lexer {
        file,
        text,
        pos: 0,
        tokens: Vec::new(),
        diags: Vec::new(),
        stray_start: None,
    };
    lexer.run();
    (lexer.tokens, lexer.diags)
}

struct Lexer<'a> {
    file: FileId,
    text: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    diags: Vec<Diagnostic>,
    /// Start of a run of unexpected characters, reported as one diagnostic.
    stray_start: Option<usize>,
}

impl<'a> Lexer<'a> {
    fn run(&mut self) {
        if self.text.starts_with('\u{feff}') {
            self.pos = '\u{feff}'.len_utf8();
        }
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.flush_stray();
                self.pos += c.len_utf8();
                continue;
            }
            match self.lex_token(c) {
                Some(kind) => {
                    self.flush_stray();
                    self.push(kind, start);
                }
                None if self.pos == start => {
                    // Nothing matched: an unexpected character.
                    self.stray_start.get_or_insert(start);
                    self.pos += c.len_utf8();
                }
                None => self.flush_stray(),
            }
        }
        self.flush_stray();
        let end = self.text.len();
        self.push(TokenKind::Eof, end);
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.text[self.pos..].chars().nth(n)
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, to_u32(start), to_u32(end))
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let span = self.span(start, self.pos);
        self.tokens.push(Token { kind, span });
    }

    fn error(&mut self, code: &'static str, start: usize, end: usize, message: impl Into<String>) {
        let span = self.span(start, end);
        self.diags.push(Diagnostic::error(code, span, message));
    }

    fn flush_stray(&mut self) {
        if let Some(start) = self.stray_start.take() {
            let text = &self.text[start..self.pos];
            let message = if text.chars().count() == 1 {
                format!("unexpected character `{text}`")
            } else {
                format!("unexpected characters `{text}`")
            };
            let mut diag =
                Diagnostic::error(codes::UNEXPECTED_CHAR, self.span(start, self.pos), message);
            if text == "&" {
                diag = diag.with_help("use `&&` for logical and");
            }
            self.diags.push(diag);
        }
    }

    /// Lexes one token starting with `c`. Returns `None` for comments (after
    /// consuming them) and for unexpected characters (without consuming).
    fn lex_token(&mut self, c: char) -> Option<TokenKind> {
        if c == '/' && matches!(self.peek_at(1), Some('/' | '*')) {
            return self.comment();
        }
        if c == '"' {
            return Some(self.string());
        }
        if c.is_ascii_digit() {
            return Some(self.number());
        }
        if c == '#' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
            return Some(self.date());
        }
        if is_ident_start(c) {
            return Some(self.ident());
        }
        if c == '$' && self.peek_at(1).is_some_and(is_ident_start) {
            self.pos += 1;
            let word = self.word();
            return Some(TokenKind::Ident(format!("${word}")));
        }
        self.punct(c)
    }

    fn comment(&mut self) -> Option<TokenKind> {
        let start = self.pos;
        if self.rest().starts_with("/*") {
            self.block_comment(start);
            return None;
        }
        let line_end = self
            .rest()
            .find('\n')
            .map_or(self.text.len(), |i| self.pos + i);
        let body = &self.text[start + 2..line_end];
        self.pos = line_end;
        if let Some(doc) = body.strip_prefix('/') {
            if !doc.starts_with('/') {
                return Some(TokenKind::OuterDoc(doc_text(doc)));
            }
        } else if let Some(doc) = body.strip_prefix('!') {
            return Some(TokenKind::InnerDoc(doc_text(doc)));
        }
        None
    }

    fn block_comment(&mut self, start: usize) {
        self.pos += 2;
        let mut depth = 1usize;
        while depth > 0 {
            let rest = self.rest();
            if rest.starts_with("/*") {
                depth += 1;
                self.pos += 2;
            } else if rest.starts_with("*/") {
                depth -= 1;
                self.pos += 2;
            } else if let Some(c) = rest.chars().next() {
                self.pos += c.len_utf8();
            } else {
                self.error(
                    codes::UNTERMINATED_COMMENT,
                    start,
                    start + 2,
                    "unterminated block comment",
                );
                return;
            }
        }
    }

    fn string(&mut self) -> TokenKind {
        let start = self.pos;
        self.pos += 1;
        let mut value = String::new();
        loop {
            let Some(c) = self.peek() else {
                self.error(
                    codes::UNTERMINATED_STRING,
                    start,
                    start + 1,
                    "unterminated string literal",
                );
                return TokenKind::Str(value);
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return TokenKind::Str(value);
                }
                '\\' => self.escape(&mut value),
                _ => {
                    value.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// Lexes one escape sequence at `self.pos` (which is at the backslash).
    fn escape(&mut self, value: &mut String) {
        let start = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            // The string is unterminated; that is reported by the caller.
            return;
        };
        self.pos += c.len_utf8();
        let simple = match c {
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            '0' => Some('\0'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            value.push(ch);
            return;
        }
        if c != 'u' {
            self.error(
                codes::INVALID_ESCAPE,
                start,
                self.pos,
                format!("invalid escape sequence `\\{c}`"),
            );
            return;
        }
        match self.unicode_escape() {
            Some(ch) => value.push(ch),
            None => self.error(
                codes::INVALID_ESCAPE,
                start,
                self.pos,
                "invalid unicode escape: expected `\\u{…}` with 1 to 6 hex digits naming a Unicode scalar value",
            ),
        }
    }

    /// Lexes `{XXXX}` after `\u`; consumes as much as plausibly belongs to it.
    fn unicode_escape(&mut self) -> Option<char> {
        if self.peek() != Some('{') {
            return None;
        }
        self.pos += 1;
        let digits_start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
            self.pos += 1;
        }
        let digits = &self.text[digits_start..self.pos];
        if self.peek() != Some('}') {
            return None;
        }
        self.pos += 1;
        if digits.is_empty() || digits.len() > 6 {
            return None;
        }
        u32::from_str_radix(digits, 16)
            .ok()
            .and_then(char::from_u32)
    }

    fn number(&mut self) -> TokenKind {
        let start = self.pos;
        self.digits();
        let is_decimal =
            self.peek() == Some('.') && self.peek_at(1).is_some_and(|c| c.is_ascii_digit());
        if is_decimal {
            self.pos += 1;
            self.digits();
            let text: String = self.text[start..self.pos]
                .chars()
                .filter(|&c| c != '_')
                .collect();
            return TokenKind::Decimal(text);
        }
        let text: String = self.text[start..self.pos]
            .chars()
            .filter(|&c| c != '_')
            .collect();
        match text.parse::<u64>() {
            Ok(n) => TokenKind::Int(n),
            Err(_) => {
                self.error(
                    codes::INTEGER_OVERFLOW,
                    start,
                    self.pos,
                    format!("integer literal `{text}` does not fit in 64 bits"),
                );
                TokenKind::Int(0)
            }
        }
    }

    /// Consumes digits and `_` separators.
    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '_') {
            self.pos += 1;
        }
    }

    fn date(&mut self) -> TokenKind {
        let start = self.pos;
        self.pos += 1;
        let body_start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '.' | '+'))
        {
            self.pos += 1;
        }
        let body = self.text[body_start..self.pos].to_string();
        let is_datetime = body.contains(['T', 't']);
        if self.peek() == Some('#') {
            self.pos += 1;
            if let Err(problem) = validate_date_literal(&body) {
                self.error(
                    codes::INVALID_DATE,
                    start,
                    self.pos,
                    format!("invalid date literal `#{body}#`: {problem}"),
                );
            }
        } else {
            self.error(
                codes::INVALID_DATE,
                start,
                self.pos,
                "unterminated date literal: expected a closing `#`",
            );
        }
        if is_datetime {
            TokenKind::DateTime(body)
        } else {
            TokenKind::Date(body)
        }
    }

    /// Consumes an identifier-shaped word (the first character is already checked).
    fn word(&mut self) -> &'a str {
        let start = self.pos;
        if let Some(c) = self.peek() {
            self.pos += c.len_utf8();
        }
        while let Some(c) = self.peek().filter(|&c| is_ident_continue(c)) {
            self.pos += c.len_utf8();
        }
        &self.text[start..self.pos]
    }

    fn ident(&mut self) -> TokenKind {
        let word = self.word();
        match Keyword::from_word(word) {
            Some(k) => TokenKind::Keyword(k),
            None => TokenKind::Ident(word.to_string()),
        }
    }

    fn punct(&mut self, c: char) -> Option<TokenKind> {
        use TokenKind::*;
        let next = self.peek_at(1);
        let (kind, len) = match (c, next) {
            (':', Some(':')) => (ColonColon, 2),
            (':', Some('-')) => (ColonDash, 2),
            ('.', Some('.')) => (DotDot, 2),
            ('=', Some('=')) => (EqEq, 2),
            ('=', Some('>')) => (FatArrow, 2),
            ('!', Some('=')) => (Ne, 2),
            ('<', Some('=')) => (Le, 2),
            ('<', Some(':')) => (SubType, 2),
            ('>', Some('=')) => (Ge, 2),
            ('-', Some('>')) => (Arrow, 2),
            ('-', Some('=')) => (MinusEq, 2),
            ('+', Some('=')) => (PlusEq, 2),
            ('&', Some('&')) => (AndAnd, 2),
            ('|', Some('|')) => (OrOr, 2),
            ('#', Some('[')) => (HashBracket, 2),
            ('(', _) => (LParen, 1),
            (')', _) => (RParen, 1),
            ('{', _) => (LBrace, 1),
            ('}', _) => (RBrace, 1),
            ('[', _) => (LBracket, 1),
            (']', _) => (RBracket, 1),
            (',', _) => (Comma, 1),
            (';', _) => (Semi, 1),
            (':', _) => (Colon, 1),
            ('.', _) => (Dot, 1),
            ('=', _) => (Eq, 1),
            ('<', _) => (Lt, 1),
            ('>', _) => (Gt, 1),
            ('+', _) => (Plus, 1),
            ('-', _) => (Minus, 1),
            ('*', _) => (Star, 1),
            ('/', _) => (Slash, 1),
            ('%', _) => (Percent, 1),
            ('!', _) => (Bang, 1),
            ('|', _) => (Pipe, 1),
            ('?', _) => (Question, 1),
            ('~', _) => (Tilde, 1),
            ('⊑', _) => (SubType, 1),
            ('→', _) => (Arrow, 1),
            ('¬', _) => (Keyword(crate::token::Keyword::Not), 1),
            ('∀', _) => (Ident("forall".to_string()), 1),
            ('∃', _) => (Ident("exists".to_string()), 1),
            _ => return None,
        };
        // `len` counts characters; all two-character operators are ASCII.
        let bytes = if len == 2 { 2 } else { c.len_utf8() };
        self.pos += bytes;
        Some(kind)
    }
}

/// Strips one leading space from a doc comment line.
fn doc_text(line: &str) -> String {
    let line = line.strip_suffix('\r').unwrap_or(line);
    line.strip_prefix(' ').unwrap_or(line).to_string()
}

fn is_ident_start(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_start(c)
}

fn is_ident_continue(c: char) -> bool {
    unicode_ident::is_xid_continue(c)
}

/// Checks a date (`YYYY-MM-DD`) or RFC 3339 date-time literal body.
pub fn validate_date_literal(text: &str) -> Result<(), String> {
    let (date, time) = match text.find(['T', 't']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    validate_date(date)?;
    match time {
        Some(t) => validate_time(t),
        None => Ok(()),
    }
}

fn number_of(text: &str, digits: usize, what: &str) -> Result<u32, String> {
    if text.len() != digits || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("the {what} must have {digits} digits"));
    }
    text.parse::<u32>()
        .map_err(|_| format!("the {what} must have {digits} digits"))
}

fn validate_date(date: &str) -> Result<(), String> {
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("expected `YYYY-MM-DD`".to_string());
    };
    let year = number_of(y, 4, "year")?;
    let month = number_of(m, 2, "month")?;
    let day = number_of(d, 2, "day")?;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} is not between 1 and 12"));
    }
    let max_day = days_in_month(year, month);
    if day == 0 || day > max_day {
        return Err(format!(
            "day {day} does not exist in month {month} of {year}"
        ));
    }
    Ok(())
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn validate_time(time: &str) -> Result<(), String> {
    let (clock, offset) = match time.find(['Z', 'z', '+', '-']) {
        Some(i) => (&time[..i], &time[i..]),
        None => return Err("a date-time needs an offset: `Z` or `+hh:mm`/`-hh:mm`".to_string()),
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (clock, None),
    };
    if fraction.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return Err("fractional seconds must be digits".to_string());
    }
    let mut parts = hms.split(':');
    let (Some(h), Some(m), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("expected a time `hh:mm:ss`".to_string());
    };
    check_clock(h, m)?;
    let second = number_of(s, 2, "second")?;
    if second > 60 {
        return Err(format!("second {second} is not between 0 and 60"));
    }
    if offset.eq_ignore_ascii_case("z") {
        return Ok(());
    }
    let Some((oh, om)) = offset[1..].split_once(':') else {
        return Err("expected an offset `Z` or `+hh:mm`/`-hh:mm`".to_string());
    };
    check_clock(oh, om)
}

fn check_clock(h: &str, m: &str) -> Result<(), String> {
    let hour = number_of(h, 2, "hour")?;
    let minute = number_of(m, 2, "minute")?;
    if hour > 23 {
        return Err(format!("hour {hour} is not between 0 and 23"));
    }
    if minute > 59 {
        return Err(format!("minute {minute} is not between 0 and 59"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        let (tokens, diags) = lex(FileId(0), text);
        assert!(
            diags.is_empty(),
            "unexpected diagnostics for {text:?}: {diags:?}"
        );
        tokens.into_iter().map(|t| t.kind).collect()
    }

    fn codes_of(text: &str) -> Vec<&'static str> {
        lex(FileId(0), text).1.iter().map(|d| d.code).collect()
    }

    fn ident(s: &str) -> TokenKind {
        Ident(s.to_string())
    }

    #[test]
    fn punctuation() {
        assert_eq!(
            kinds(":- :: <: -> => .. += -= == != <= >= && || #[ ? ~ | % : . = < >"),
            vec![
                ColonDash,
                ColonColon,
                SubType,
                Arrow,
                FatArrow,
                DotDot,
                PlusEq,
                MinusEq,
                EqEq,
                Ne,
                Le,
                Ge,
                AndAnd,
                OrOr,
                HashBracket,
                Question,
                Tilde,
                Pipe,
                Percent,
                Colon,
                Dot,
                Eq,
                Lt,
                Gt,
                Eof
            ]
        );
    }

    #[test]
    fn unicode_aliases() {
        assert_eq!(
            kinds("⊑ → ∀ ∃ ¬"),
            vec![
                SubType,
                Arrow,
                ident("forall"),
                ident("exists"),
                Keyword(crate::token::Keyword::Not),
                Eof
            ]
        );
    }

    #[test]
    fn keywords_and_identifiers() {
        use crate::token::Keyword as K;
        assert_eq!(
            kinds("type rel derive as_of forget données _x $iof"),
            vec![
                ident("type"),
                ident("rel"),
                Keyword(K::Derive),
                Keyword(K::AsOf),
                ident("forget"),
                ident("données"),
                ident("_x"),
                ident("$iof"),
                Eof
            ]
        );
    }

    #[test]
    fn numbers_and_durations() {
        assert_eq!(
            kinds("42 100.50 1_000"),
            vec![Int(42), Decimal("100.50".into()), Int(1000), Eof]
        );
        assert_eq!(kinds("30.days"), vec![Int(30), Dot, ident("days"), Eof]);
        assert_eq!(kinds("0..*"), vec![Int(0), DotDot, Star, Eof]);
        assert_eq!(
            codes_of("99999999999999999999"),
            vec![codes::INTEGER_OVERFLOW]
        );
    }

    #[test]
    fn strings_and_escapes() {
        assert_eq!(
            kinds(r#""a\n\t\"\\\u{e9}""#),
            vec![Str("a\n\t\"\\é".into()), Eof]
        );
        assert_eq!(codes_of(r#""\q""#), vec![codes::INVALID_ESCAPE]);
        assert_eq!(codes_of(r#""\u{d800}""#), vec![codes::INVALID_ESCAPE]);
        assert_eq!(codes_of(r#""\u{1234567}""#), vec![codes::INVALID_ESCAPE]);
        assert_eq!(codes_of(r#""\u12""#), vec![codes::INVALID_ESCAPE]);
        assert_eq!(codes_of("\"abc"), vec![codes::UNTERMINATED_STRING]);
        assert_eq!(codes_of("\"abc\\"), vec![codes::UNTERMINATED_STRING]);
    }

    #[test]
    fn dates() {
        assert_eq!(
            kinds("#2026-01-01# #2026-01-01T09:30:00Z# #2024-02-29T23:59:60.5+01:00#"),
            vec![
                Date("2026-01-01".into()),
                DateTime("2026-01-01T09:30:00Z".into()),
                DateTime("2024-02-29T23:59:60.5+01:00".into()),
                Eof
            ]
        );
        for bad in [
            "#2026-13-01#",
            "#2026-02-29#",
            "#2026-04-31#",
            "#2026-1-01#",
            "#2026-01-01T24:00:00Z#",
            "#2026-01-01T10:00:00#",
            "#2026-01-01",
        ] {
            assert_eq!(codes_of(bad), vec![codes::INVALID_DATE], "{bad}");
        }
    }

    #[test]
    fn comments_and_docs() {
        assert_eq!(
            kinds("//! module\n/// item doc\n// plain\n//// plain too\n/* a /* nested */ b */ x"),
            vec![
                InnerDoc("module".into()),
                OuterDoc("item doc".into()),
                ident("x"),
                Eof
            ]
        );
        assert_eq!(codes_of("/* /* */"), vec![codes::UNTERMINATED_COMMENT]);
    }

    #[test]
    fn stray_characters_are_grouped() {
        let (tokens, diags) = lex(FileId(0), "a @@ b & c");
        assert_eq!(diags.len(), 2);
        assert_eq!(diags[0].message, "unexpected characters `@@`");
        assert!(diags[1].help.is_some());
        assert_eq!(tokens.len(), 4);
    }

    #[test]
    fn spans_are_byte_offsets() {
        let (tokens, _) = lex(FileId(3), "é <: x");
        assert_eq!(tokens[0].span, Span::new(FileId(3), 0, 2));
        assert_eq!(tokens[1].span, Span::new(FileId(3), 3, 5));
        assert_eq!(tokens[3].span, Span::new(FileId(3), 7, 7));
    }

    #[test]
    fn dollar_alone_is_stray() {
        assert_eq!(codes_of("$ 1"), vec![codes::UNEXPECTED_CHAR]);
    }
}
