//! Expressions (Pratt parsing for binary operators) and match patterns.

use super::{PResult, Parser, MAX_DEPTH};
use crate::ast::{
    Aggregate, AggregateForm, BinaryOp, Comprehension, Expr, ExprKind, FieldInit, FieldPattern,
    Ident, MatchArm, Path, Pattern, PatternKind, QuantifierKind, UnaryOp,
};
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::token::{Keyword, TokenKind};

/// Names parsed as aggregates when written `name(e for x in xs)`, `name { … }`
/// or, with a single plain argument, `name(e)`.
pub(super) const AGGREGATES: &[&str] = &["count", "sum", "min", "max", "avg"];

/// Binding power of the operators, loosest first.
const BP_OR: u8 = 1;
const BP_AND: u8 = 2;
const BP_IN: u8 = 3;
const BP_CMP: u8 = 4;
const BP_ADD: u8 = 5;
const BP_MUL: u8 = 6;

/// True for expressions that end with `}` and need no `;` as statements.
pub(super) fn is_block_like(expr: &Expr) -> bool {
    matches!(
        expr.kind,
        ExprKind::If { .. } | ExprKind::Match { .. } | ExprKind::Block(_)
    )
}

impl Parser<'_> {
    /// Parses an expression.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.expr_bp(0, true)
    }

    /// Parses an expression in which a struct literal `P { … }` is not
    /// allowed at the top level (conditions followed by a block).
    pub(super) fn expr_no_struct(&mut self) -> PResult<Expr> {
        self.expr_bp(0, false)
    }

    fn expr_bp(&mut self, min_bp: u8, structs: bool) -> PResult<Expr> {
        self.nested(|p| {
            let lhs = p.unary(structs)?;
            p.binary_rest(lhs, min_bp, structs)
        })
    }

    /// The binary operator at the current position, its binding power and
    /// its length in tokens.
    pub(super) fn binary_op(&self) -> Option<(BinaryOp, u8, usize)> {
        let op = match self.peek() {
            TokenKind::OrOr => (BinaryOp::Or, BP_OR, 1),
            TokenKind::AndAnd => (BinaryOp::And, BP_AND, 1),
            TokenKind::Keyword(Keyword::In) => (BinaryOp::In, BP_IN, 1),
            TokenKind::Keyword(Keyword::Not)
                if *self.peek_nth(1) == TokenKind::Keyword(Keyword::In) =>
            {
                (BinaryOp::NotIn, BP_IN, 2)
            }
            TokenKind::EqEq => (BinaryOp::Eq, BP_CMP, 1),
            TokenKind::Ne => (BinaryOp::Ne, BP_CMP, 1),
            TokenKind::Lt => (BinaryOp::Lt, BP_CMP, 1),
            TokenKind::Le => (BinaryOp::Le, BP_CMP, 1),
            TokenKind::Gt => (BinaryOp::Gt, BP_CMP, 1),
            TokenKind::Ge => (BinaryOp::Ge, BP_CMP, 1),
            TokenKind::Plus => (BinaryOp::Add, BP_ADD, 1),
            TokenKind::Minus => (BinaryOp::Sub, BP_ADD, 1),
            TokenKind::Star => (BinaryOp::Mul, BP_MUL, 1),
            TokenKind::Slash => (BinaryOp::Div, BP_MUL, 1),
            TokenKind::Percent => (BinaryOp::Rem, BP_MUL, 1),
            _ => return None,
        };
        Some(op)
    }

    /// Continues a binary expression whose left operand is `lhs`.
    pub(super) fn binary_rest(
        &mut self,
        mut lhs: Expr,
        min_bp: u8,
        structs: bool,
    ) -> PResult<Expr> {
        let mut previous_comparison: Option<Span> = None;
        let mut chain = 0u32;
        loop {
            // `e is Pattern`: `is` is contextual (an identifier right after an operand).
            if BP_CMP >= min_bp && matches!(self.peek(), TokenKind::Ident(name) if name == "is") {
                self.bump();
                chain += 1;
                self.check_chain(chain)?;
                let pattern = self.pattern_with(structs)?;
                let span = lhs.span.to(pattern.span);
                lhs = Expr {
                    kind: ExprKind::Is {
                        expr: Box::new(lhs),
                        pattern: Box::new(pattern),
                    },
                    span,
                };
                continue;
            }
            let Some((op, bp, len)) = self.binary_op() else {
                break;
            };
            if bp < min_bp {
                break;
            }
            let op_span = self.span();
            for _ in 0..len {
                self.bump();
            }
            chain += 1;
            self.check_chain(chain)?;
            let rhs = self.expr_bp(bp + 1, structs)?;
            if op.is_comparison() {
                if let Some(first) = previous_comparison {
                    let diag = Diagnostic::error(
                        codes::CHAINED_COMPARISON,
                        op_span,
                        "comparison operators cannot be chained",
                    )
                    .with_label(first, "first comparison")
                    .with_help("split the comparison with `&&`, e.g. `a < b && b < c`");
                    self.report(diag);
                }
                previous_comparison = Some(op_span);
            } else {
                previous_comparison = None;
            }
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            };
        }
        Ok(lhs)
    }

    /// Refuses left-deep chains (`a + a + …`, `x.f.f.…`) that would nest the
    /// tree beyond [`MAX_DEPTH`].
    fn check_chain(&mut self, chain: u32) -> PResult<()> {
        if self.depth.saturating_add(chain) <= MAX_DEPTH {
            return Ok(());
        }
        if !self.depth_reported {
            self.depth_reported = true;
            let diag = Diagnostic::error(
                codes::NESTING_TOO_DEEP,
                self.prev_span(),
                format!("expression nests more than {MAX_DEPTH} operations"),
            )
            .with_help("split the expression into `let` bindings");
            self.report(diag);
        }
        Err(super::Reported)
    }

    fn unary(&mut self, structs: bool) -> PResult<Expr> {
        let op = match self.peek() {
            TokenKind::Bang | TokenKind::Keyword(Keyword::Not) => UnaryOp::Not,
            TokenKind::Minus => UnaryOp::Neg,
            _ => {
                let primary = self.primary(structs)?;
                return self.postfix_rest(primary);
            }
        };
        let start = self.bump().span;
        let operand = self.nested(|p| p.unary(structs))?;
        let span = start.to(operand.span);
        Ok(Expr {
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        })
    }

    /// Applies postfix operators (`.f`, `.m(args)`, `[i]`, `?`) to `expr`.
    pub(super) fn postfix_rest(&mut self, mut expr: Expr) -> PResult<Expr> {
        let mut chain = 0u32;
        loop {
            let start = expr.span;
            let kind = match self.peek() {
                TokenKind::Dot => {
                    self.bump();
                    let name = self.expect_ident("a field or method name")?;
                    if self.eat(&TokenKind::LParen) {
                        let args = self.comma_list(TokenKind::RParen, |p| p.expr())?;
                        ExprKind::MethodCall {
                            receiver: Box::new(expr),
                            method: name,
                            args,
                        }
                    } else {
                        ExprKind::Field {
                            base: Box::new(expr),
                            name,
                        }
                    }
                }
                TokenKind::LBracket => {
                    self.bump();
                    let index = self.expr()?;
                    self.expect(TokenKind::RBracket)?;
                    ExprKind::Index {
                        base: Box::new(expr),
                        index: Box::new(index),
                    }
                }
                TokenKind::Question => {
                    self.bump();
                    ExprKind::Try(Box::new(expr))
                }
                TokenKind::LParen => {
                    let diag = Diagnostic::error(
                        codes::INVALID_CALL_TARGET,
                        expr.span,
                        "only a name can be called",
                    )
                    .with_help("call a function by name, or a method with `value.method(…)`");
                    return Err(self.report(diag));
                }
                _ => return Ok(expr),
            };
            chain += 1;
            self.check_chain(chain)?;
            let span = self.span_from(start);
            expr = Expr { kind, span };
        }
    }

    fn primary(&mut self, structs: bool) -> PResult<Expr> {
        let start = self.span();
        if let Some(lit) = self.literal() {
            let span = lit.span;
            return Ok(Expr {
                kind: ExprKind::Lit(lit),
                span,
            });
        }
        match self.peek() {
            TokenKind::Ident(_) => self.path_expr(structs),
            TokenKind::LParen => {
                self.bump();
                let inner = self.expr()?;
                self.expect(TokenKind::RParen)?;
                Ok(Expr {
                    kind: inner.kind,
                    span: self.span_from(start),
                })
            }
            TokenKind::LBracket => self.list_expr(),
            TokenKind::LBrace => {
                let block = self.block_expr()?;
                let span = block.span;
                Ok(Expr {
                    kind: ExprKind::Block(block),
                    span,
                })
            }
            TokenKind::Keyword(Keyword::If) => self.if_expr(),
            TokenKind::Keyword(Keyword::Match) => self.match_expr(),
            TokenKind::Keyword(Keyword::Insert) => self.insert_expr(),
            _ => Err(self.error_expected("an expression")),
        }
    }

    /// A path, call, aggregate, struct literal or quantifier.
    fn path_expr(&mut self, structs: bool) -> PResult<Expr> {
        let path = self.path("a name")?;
        let single = single_name(&path).map(str::to_string);
        if let Some(kind) = single.as_deref().and_then(quantifier_kind) {
            if matches!(self.peek(), TokenKind::Ident(_))
                && *self.peek_nth(1) == TokenKind::Keyword(Keyword::In)
            {
                return self.quantifier(kind, path.span);
            }
        }
        match self.peek() {
            TokenKind::LParen => self.call_or_aggregate(path),
            TokenKind::LBrace if structs => {
                if single.as_deref() == Some("Map") {
                    self.map_literal(path.span)
                } else if single.as_deref().is_some_and(|n| AGGREGATES.contains(&n)) {
                    self.bump();
                    let atoms = self.comma_list(TokenKind::RBrace, |p| p.atom())?;
                    let span = self.span_from(path.span);
                    let func = path_ident(path);
                    let aggregate = Aggregate {
                        func,
                        form: AggregateForm::Atoms(atoms),
                    };
                    Ok(Expr {
                        kind: ExprKind::Aggregate(Box::new(aggregate)),
                        span,
                    })
                } else {
                    self.struct_literal(path)
                }
            }
            _ => {
                let span = path.span;
                Ok(Expr {
                    kind: ExprKind::Path(path),
                    span,
                })
            }
        }
    }

    /// `f(args)`, `agg(e for x in xs where p)` or `agg(e)`.
    fn call_or_aggregate(&mut self, path: Path) -> PResult<Expr> {
        self.expect(TokenKind::LParen)?;
        let mut args = Vec::new();
        if !self.at(&TokenKind::RParen) {
            let first = self.expr()?;
            if self.at_kw(Keyword::For) {
                let comprehension = self.comprehension_tail(first)?;
                self.expect(TokenKind::RParen)?;
                let span = self.span_from(path.span);
                if path.segments.len() != 1 {
                    let diag = Diagnostic::error(
                        codes::UNEXPECTED_TOKEN,
                        path.span,
                        "an aggregate is named by a single identifier such as `count` or `sum`",
                    );
                    return Err(self.report(diag));
                }
                let aggregate = Aggregate {
                    func: path_ident(path),
                    form: AggregateForm::Comprehension(comprehension),
                };
                return Ok(Expr {
                    kind: ExprKind::Aggregate(Box::new(aggregate)),
                    span,
                });
            }
            args.push(first);
            while self.eat(&TokenKind::Comma) {
                if self.at(&TokenKind::RParen) {
                    break;
                }
                args.push(self.expr()?);
            }
        }
        self.expect(TokenKind::RParen)?;
        let span = self.span_from(path.span);
        let is_aggregate = single_name(&path).is_some_and(|n| AGGREGATES.contains(&n));
        if is_aggregate && args.len() == 1 {
            let arg = args.remove(0);
            let aggregate = Aggregate {
                func: path_ident(path),
                form: AggregateForm::Group(arg),
            };
            return Ok(Expr {
                kind: ExprKind::Aggregate(Box::new(aggregate)),
                span,
            });
        }
        Ok(Expr {
            kind: ExprKind::Call { func: path, args },
            span,
        })
    }

    /// `for x in source (where filter)?` after the element expression.
    fn comprehension_tail(&mut self, elem: Expr) -> PResult<Comprehension> {
        self.expect_kw(Keyword::For)?;
        let var = self.expect_ident("a variable name")?;
        self.expect_kw(Keyword::In)?;
        let source = self.expr()?;
        let filter = if self.eat_kw(Keyword::Where) {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Comprehension {
            elem,
            var,
            source,
            filter,
        })
    }

    /// `Map { k => v, … }` with `Map` already parsed.
    fn map_literal(&mut self, start: Span) -> PResult<Expr> {
        self.expect(TokenKind::LBrace)?;
        let entries = self.comma_list(TokenKind::RBrace, |p| {
            let key = p.expr()?;
            p.expect(TokenKind::FatArrow)?;
            let value = p.expr()?;
            Ok((key, value))
        })?;
        Ok(Expr {
            kind: ExprKind::Map(entries),
            span: self.span_from(start),
        })
    }

    /// `P { a: e, b, ..base }` with the path already parsed.
    fn struct_literal(&mut self, path: Path) -> PResult<Expr> {
        self.expect(TokenKind::LBrace)?;
        let mut fields = Vec::new();
        let mut base = None;
        while !self.at(&TokenKind::RBrace) {
            if self.eat(&TokenKind::DotDot) {
                base = Some(Box::new(self.expr()?));
                break;
            }
            fields.push(self.field_init(true)?);
            if !self.eat(&TokenKind::Comma) {
                break;
            }
        }
        self.expect(TokenKind::RBrace)?;
        let span = self.span_from(path.span);
        Ok(Expr {
            kind: ExprKind::Struct { path, fields, base },
            span,
        })
    }

    /// `name: expr`, or the shorthand `name` when `shorthand` is allowed.
    pub(super) fn field_init(&mut self, shorthand: bool) -> PResult<FieldInit> {
        let name = self.expect_ident("a field name")?;
        let value = if shorthand && !self.at(&TokenKind::Colon) {
            let path = Path {
                segments: vec![name.clone()],
                span: name.span,
            };
            Expr {
                kind: ExprKind::Path(path),
                span: name.span,
            }
        } else {
            self.expect(TokenKind::Colon)?;
            self.expr()?
        };
        let span = name.span.to(value.span);
        Ok(FieldInit { name, value, span })
    }

    /// `[a, b]`, `[]` or `[e for x in xs where p]`.
    fn list_expr(&mut self) -> PResult<Expr> {
        let start = self.expect(TokenKind::LBracket)?;
        let mut items = Vec::new();
        if !self.at(&TokenKind::RBracket) {
            let first = self.expr()?;
            if self.at_kw(Keyword::For) {
                let comprehension = self.comprehension_tail(first)?;
                self.expect(TokenKind::RBracket)?;
                return Ok(Expr {
                    kind: ExprKind::Comprehension(Box::new(comprehension)),
                    span: self.span_from(start),
                });
            }
            items.push(first);
            while self.eat(&TokenKind::Comma) {
                if self.at(&TokenKind::RBracket) {
                    break;
                }
                items.push(self.expr()?);
            }
        }
        self.expect(TokenKind::RBracket)?;
        Ok(Expr {
            kind: ExprKind::List(items),
            span: self.span_from(start),
        })
    }

    /// `if cond { … } (else (if … | { … }))?`
    fn if_expr(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            let start = p.expect_kw(Keyword::If)?;
            let cond = Box::new(p.expr_no_struct()?);
            let then_branch = p.block_expr()?;
            let else_branch = if p.eat_kw(Keyword::Else) {
                let branch = if p.at_kw(Keyword::If) {
                    p.if_expr()?
                } else {
                    let block = p.block_expr()?;
                    let span = block.span;
                    Expr {
                        kind: ExprKind::Block(block),
                        span,
                    }
                };
                Some(Box::new(branch))
            } else {
                None
            };
            Ok(Expr {
                kind: ExprKind::If {
                    cond,
                    then_branch,
                    else_branch,
                },
                span: p.span_from(start),
            })
        })
    }

    /// `match scrutinee { pattern => expr, … }`
    fn match_expr(&mut self) -> PResult<Expr> {
        let start = self.expect_kw(Keyword::Match)?;
        let scrutinee = Box::new(self.expr_no_struct()?);
        self.expect(TokenKind::LBrace)?;
        let mut arms = Vec::new();
        while !self.at(&TokenKind::RBrace) {
            let pattern = self.pattern()?;
            self.expect(TokenKind::FatArrow)?;
            // A block body ends the arm, as in Rust: `A => { … } -1 => …`.
            let body = if self.at(&TokenKind::LBrace) {
                let block = self.block_expr()?;
                let span = block.span;
                Expr {
                    kind: ExprKind::Block(block),
                    span,
                }
            } else {
                self.expr()?
            };
            let span = pattern.span.to(body.span);
            let block_like = is_block_like(&body);
            arms.push(MatchArm {
                pattern,
                body,
                span,
            });
            if !self.eat(&TokenKind::Comma) && !block_like {
                break;
            }
        }
        self.expect(TokenKind::RBrace)?;
        Ok(Expr {
            kind: ExprKind::Match { scrutinee, arms },
            span: self.span_from(start),
        })
    }

    /// `insert Type { inits }` as an expression.
    pub(super) fn insert_expr(&mut self) -> PResult<Expr> {
        let start = self.expect_kw(Keyword::Insert)?;
        let ty = self.path("a concept name")?;
        let inits = self.field_inits()?;
        Ok(Expr {
            kind: ExprKind::Insert { ty, inits },
            span: self.span_from(start),
        })
    }

    /// `{ name: expr, … }`
    pub(super) fn field_inits(&mut self) -> PResult<Vec<FieldInit>> {
        self.expect(TokenKind::LBrace)?;
        self.comma_list(TokenKind::RBrace, |p| p.field_init(false))
    }

    /// `forall x in source { body }` after the quantifier word.
    fn quantifier(&mut self, kind: QuantifierKind, start: Span) -> PResult<Expr> {
        let var = self.expect_ident("a variable name")?;
        self.expect_kw(Keyword::In)?;
        let source = Box::new(self.expr_no_struct()?);
        self.expect(TokenKind::LBrace)?;
        let body = Box::new(self.expr()?);
        self.expect(TokenKind::RBrace)?;
        Ok(Expr {
            kind: ExprKind::Quantifier {
                kind,
                var,
                source,
                body,
            },
            span: self.span_from(start),
        })
    }

    // ------------------------------------------------------------ patterns

    /// A match pattern, possibly `p | q`.
    pub(super) fn pattern(&mut self) -> PResult<Pattern> {
        self.pattern_with(true)
    }

    /// A pattern; without `records`, `P {` ends the pattern at `P` (the
    /// condition of an `if` is followed by its block).
    fn pattern_with(&mut self, records: bool) -> PResult<Pattern> {
        self.nested(|p| {
            let first = p.single_pattern(records)?;
            if !p.at(&TokenKind::Pipe) {
                return Ok(first);
            }
            let start = first.span;
            let mut alternatives = vec![first];
            while p.eat(&TokenKind::Pipe) {
                alternatives.push(p.single_pattern(records)?);
            }
            Ok(Pattern {
                kind: PatternKind::Or(alternatives),
                span: p.span_from(start),
            })
        })
    }

    fn single_pattern(&mut self, records: bool) -> PResult<Pattern> {
        let start = self.span();
        if self.at_word("_") {
            self.bump();
            return Ok(Pattern {
                kind: PatternKind::Wildcard,
                span: start,
            });
        }
        let negative = self.at(&TokenKind::Minus)
            && matches!(self.peek_nth(1), TokenKind::Int(_) | TokenKind::Decimal(_));
        if negative {
            self.bump();
        }
        if let Some(lit) = self.literal() {
            return Ok(Pattern {
                kind: PatternKind::Lit { lit, negative },
                span: self.span_from(start),
            });
        }
        if !matches!(self.peek(), TokenKind::Ident(_)) {
            return Err(self.error_expected("a pattern"));
        }
        let path = self.path("a pattern")?;
        let kind = if self.eat(&TokenKind::LParen) {
            let elems = self.comma_list(TokenKind::RParen, |p| p.pattern())?;
            PatternKind::Tuple { path, elems }
        } else if records && self.eat(&TokenKind::LBrace) {
            let mut fields = Vec::new();
            let mut rest = false;
            while !self.at(&TokenKind::RBrace) {
                if self.eat(&TokenKind::DotDot) {
                    rest = true;
                    break;
                }
                fields.push(self.field_pattern()?);
                if !self.eat(&TokenKind::Comma) {
                    break;
                }
            }
            self.expect(TokenKind::RBrace)?;
            PatternKind::Record { path, fields, rest }
        } else {
            PatternKind::Path(path)
        };
        Ok(Pattern {
            kind,
            span: self.span_from(start),
        })
    }

    fn field_pattern(&mut self) -> PResult<FieldPattern> {
        let name = self.expect_ident("a field name")?;
        let pattern = if self.eat(&TokenKind::Colon) {
            Some(self.pattern()?)
        } else {
            None
        };
        Ok(FieldPattern {
            span: self.span_from(name.span),
            name,
            pattern,
        })
    }
}

/// The name of a one-segment path.
pub(super) fn single_name(path: &Path) -> Option<&str> {
    match path.segments.as_slice() {
        [only] => Some(only.name.as_str()),
        _ => None,
    }
}

/// The last segment of a path as an identifier.
fn path_ident(path: Path) -> Ident {
    let span = path.span;
    path.segments.into_iter().last().unwrap_or(Ident {
        name: String::new(),
        span,
    })
}

fn quantifier_kind(name: &str) -> Option<QuantifierKind> {
    match name {
        "forall" => Some(QuantifierKind::Forall),
        "exists" => Some(QuantifierKind::Exists),
        _ => None,
    }
}
