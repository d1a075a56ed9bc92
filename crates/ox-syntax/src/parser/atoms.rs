//! Rule-body atoms: calls, type tests, comparisons, negation, bindings, groups.

use super::{PResult, Parser};
use crate::ast::{Atom, AtomKind, Expr, ExprKind};
use crate::token::{Keyword, TokenKind};

impl Parser<'_> {
    /// One atom.
    pub(super) fn atom(&mut self) -> PResult<Atom> {
        self.nested(|p| p.atom_inner())
    }

    /// `atom (, atom)*` — stops at the first token after an atom that is not `,`.
    pub(super) fn atoms(&mut self) -> PResult<Vec<Atom>> {
        let mut atoms = vec![self.atom()?];
        while self.eat(&TokenKind::Comma) {
            atoms.push(self.atom()?);
        }
        Ok(atoms)
    }

    fn atom_inner(&mut self) -> PResult<Atom> {
        let start = self.span();
        let next_is = |p: &Self, kind: TokenKind| *p.peek_nth(1) == kind;
        let kind = match self.peek() {
            TokenKind::Keyword(Keyword::Not) => {
                self.bump();
                AtomKind::Not(Box::new(self.atom()?))
            }
            TokenKind::Tilde => {
                self.bump();
                let pred = self.path("a predicate name")?;
                self.expect(TokenKind::LParen)?;
                let args = self.comma_list(TokenKind::RParen, |p| p.expr())?;
                AtomKind::Call {
                    strong_negation: true,
                    pred,
                    args,
                }
            }
            TokenKind::Ident(_) if next_is(self, TokenKind::Colon) => {
                let var = self.expect_ident("a variable")?;
                self.bump();
                AtomKind::TypeTest {
                    var,
                    ty: self.ty()?,
                }
            }
            TokenKind::Ident(_) if next_is(self, TokenKind::Eq) => {
                let var = self.expect_ident("a variable")?;
                self.bump();
                AtomKind::Bind {
                    var,
                    value: self.expr()?,
                }
            }
            TokenKind::LParen => return self.paren_atom(),
            _ => return Ok(classify(self.expr()?)),
        };
        Ok(Atom {
            kind,
            span: self.span_from(start),
        })
    }

    /// `( atom, … )` — a group — or a parenthesised atom, which may turn out
    /// to be the start of a larger expression such as `(a + b) > c`.
    fn paren_atom(&mut self) -> PResult<Atom> {
        let start = self.expect(TokenKind::LParen)?;
        let first = self.atom()?;
        if self.at(&TokenKind::Comma) {
            let mut atoms = vec![first];
            while self.eat(&TokenKind::Comma) {
                if self.at(&TokenKind::RParen) {
                    break;
                }
                atoms.push(self.atom()?);
            }
            self.expect(TokenKind::RParen)?;
            return Ok(Atom {
                kind: AtomKind::Group(atoms),
                span: self.span_from(start),
            });
        }
        self.expect(TokenKind::RParen)?;
        let atom = Atom {
            kind: first.kind,
            span: self.span_from(start),
        };
        let continues = matches!(
            self.peek(),
            TokenKind::Dot | TokenKind::LBracket | TokenKind::Question
        ) || self.binary_op().is_some();
        if !continues {
            return Ok(atom);
        }
        let Some(expr) = atom_to_expr(atom) else {
            return Err(self.error_expected("`,` or the end of the condition"));
        };
        let expr = self.postfix_rest(expr)?;
        let expr = self.binary_rest(expr, 0, true)?;
        Ok(classify(expr))
    }
}

/// Turns a parsed expression into the most specific atom.
fn classify(expr: Expr) -> Atom {
    let span = expr.span;
    let kind = match expr.kind {
        ExprKind::Binary { op, lhs, rhs } if op.is_comparison() => AtomKind::Compare {
            lhs: *lhs,
            op,
            rhs: *rhs,
        },
        ExprKind::Call { func, args } => AtomKind::Call {
            strong_negation: false,
            pred: func,
            args,
        },
        kind => AtomKind::Expr(Expr { kind, span }),
    };
    Atom { kind, span }
}

/// The expression an atom stands for, when it has one.
fn atom_to_expr(atom: Atom) -> Option<Expr> {
    let span = atom.span;
    let kind = match atom.kind {
        AtomKind::Call {
            strong_negation: false,
            pred,
            args,
        } => ExprKind::Call { func: pred, args },
        AtomKind::Compare { lhs, op, rhs } => ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        AtomKind::Expr(expr) => expr.kind,
        _ => return None,
    };
    Some(Expr { kind, span })
}
