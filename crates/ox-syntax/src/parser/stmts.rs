//! Statements of mutations and tests, and expression blocks.

use super::exprs::is_block_like;
use super::{PResult, Parser};
use crate::ast::{AssignOp, Assignment, Block, Expr, ExprKind, Stmt, StmtKind, Type};
use crate::token::{Keyword, TokenKind};

/// Where a statement list appears.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(super) enum StmtContext {
    /// A mutation body.
    Mutation,
    /// A test body: mutation statements plus `assert`.
    Test,
}

/// One element of an expression block.
enum BlockItem {
    Stmt(Stmt),
    Value(Expr),
}

impl Parser<'_> {
    /// `{ stmt* }`
    pub(super) fn stmt_block(&mut self, ctx: StmtContext) -> PResult<Vec<Stmt>> {
        self.nested(|p| {
            p.expect(TokenKind::LBrace)?;
            let stmts = p.stmts_until_rbrace(ctx);
            p.expect(TokenKind::RBrace)?;
            Ok(stmts)
        })
    }

    /// Statements up to (not including) the closing `}`, recovering from errors.
    pub(super) fn stmts_until_rbrace(&mut self, ctx: StmtContext) -> Vec<Stmt> {
        let base = self.brace_depth;
        let mut stmts = Vec::new();
        loop {
            if self.eat(&TokenKind::Semi) {
                continue;
            }
            if self.at(&TokenKind::RBrace) || self.at_eof() || self.at_item_keyword() {
                return stmts;
            }
            let before = self.pos;
            match self.stmt(ctx) {
                Ok(stmt) => stmts.push(stmt),
                Err(_) => self.recover_stmt(base),
            }
            if self.pos == before {
                // Recovery stopped on a token no statement can start with.
                return stmts;
            }
        }
    }

    fn stmt(&mut self, ctx: StmtContext) -> PResult<Stmt> {
        self.nested(|p| {
            let start = p.span();
            let kind = p.stmt_kind(ctx)?;
            Ok(Stmt {
                kind,
                span: p.span_from(start),
            })
        })
    }

    fn stmt_kind(&mut self, ctx: StmtContext) -> PResult<StmtKind> {
        let next_is_ident = matches!(self.peek_nth(1), TokenKind::Ident(_));
        match self.peek() {
            TokenKind::Keyword(Keyword::Let) => self.let_stmt(),
            TokenKind::Keyword(Keyword::Insert) => self.insert_stmt(),
            TokenKind::Keyword(Keyword::Update) => self.update_stmt(),
            TokenKind::Keyword(Keyword::Delete) => self.delete_stmt(),
            TokenKind::Keyword(Keyword::Emit) => {
                self.bump();
                let event = self.path("an event name")?;
                self.expect(TokenKind::LBrace)?;
                let value = self.expr()?;
                self.expect(TokenKind::RBrace)?;
                self.expect_semi("`emit`");
                Ok(StmtKind::Emit { event, value })
            }
            TokenKind::Keyword(Keyword::For) => {
                self.bump();
                let var = self.expect_ident("a loop variable")?;
                self.expect_kw(Keyword::In)?;
                let iter = self.expr_no_struct()?;
                let body = self.stmt_block(ctx)?;
                Ok(StmtKind::For { var, iter, body })
            }
            TokenKind::Keyword(Keyword::If) => {
                self.bump();
                let cond = self.expr_no_struct()?;
                let then_body = self.stmt_block(ctx)?;
                let else_body = if self.eat_kw(Keyword::Else) {
                    if self.at_kw(Keyword::If) {
                        Some(vec![self.stmt(ctx)?])
                    } else {
                        Some(self.stmt_block(ctx)?)
                    }
                } else {
                    None
                };
                Ok(StmtKind::If {
                    cond,
                    then_body,
                    else_body,
                })
            }
            TokenKind::Keyword(Keyword::Return) => {
                self.bump();
                let value = if self.at(&TokenKind::Semi) {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.expect_semi("`return`");
                Ok(StmtKind::Return(value))
            }
            TokenKind::Ident(w) if w == "forget" && next_is_ident => {
                self.bump();
                let value = self.expr()?;
                self.expect_semi("`forget`");
                Ok(StmtKind::Forget(value))
            }
            // Outside tests `assert x …` is still parsed as an assertion so that the
            // compiler can say it belongs in a test (`OE0740`).
            TokenKind::Ident(w) if w == "assert" && (ctx == StmtContext::Test || next_is_ident) => {
                self.bump();
                let value = self.expr()?;
                self.expect_semi("`assert`");
                Ok(StmtKind::Assert(value))
            }
            _ => {
                let expr = self.expr()?;
                if !is_block_like(&expr) || self.at(&TokenKind::Semi) {
                    self.expect_semi("the expression");
                }
                Ok(StmtKind::Expr(expr))
            }
        }
    }

    /// `let name (: T)? = value;`
    fn let_stmt(&mut self) -> PResult<StmtKind> {
        self.expect_kw(Keyword::Let)?;
        let name = self.expect_ident("a variable name")?;
        let ty = if self.eat(&TokenKind::Colon) {
            Some(self.ty()?)
        } else {
            None
        };
        self.expect(TokenKind::Eq)?;
        let value = self.expr()?;
        self.expect_semi("`let`");
        Ok(StmtKind::Let { name, ty, value })
    }

    /// `insert T { … };`, `insert Rel(args) { … }?;` or `insert iof(e, T);`
    fn insert_stmt(&mut self) -> PResult<StmtKind> {
        if self.at_iof(1) {
            self.bump();
            let (individual, ty) = self.iof()?;
            self.expect_semi("`insert`");
            return Ok(StmtKind::InsertIof { individual, ty });
        }
        let is_tuple = matches!(self.peek_nth(1), TokenKind::Ident(_)) && {
            // Skip `a::b::c` to see whether `(` follows the path.
            let mut n = 2;
            while *self.peek_nth(n) == TokenKind::ColonColon
                && matches!(self.peek_nth(n + 1), TokenKind::Ident(_))
            {
                n += 2;
            }
            *self.peek_nth(n) == TokenKind::LParen
        };
        if !is_tuple {
            let expr = self.insert_expr()?;
            let expr = self.postfix_rest(expr)?;
            self.expect_semi("`insert`");
            return Ok(StmtKind::Expr(expr));
        }
        self.bump();
        let relation = self.path("a relation name")?;
        self.expect(TokenKind::LParen)?;
        let args = self.comma_list(TokenKind::RParen, |p| p.expr())?;
        let inits = if self.at(&TokenKind::LBrace) {
            self.field_inits()?
        } else {
            Vec::new()
        };
        self.expect_semi("`insert`");
        Ok(StmtKind::InsertTuple {
            relation,
            args,
            inits,
        })
    }

    /// `update target set { f = e, f += e, f -= e };`
    fn update_stmt(&mut self) -> PResult<StmtKind> {
        self.expect_kw(Keyword::Update)?;
        let target = self.expr_no_struct()?;
        self.expect_kw(Keyword::Set)?;
        self.expect(TokenKind::LBrace)?;
        let assignments = self.comma_list(TokenKind::RBrace, |p| p.assignment())?;
        self.expect_semi("`update`");
        Ok(StmtKind::Update {
            target,
            assignments,
        })
    }

    fn assignment(&mut self) -> PResult<Assignment> {
        let field = self.expect_ident("a field name")?;
        let op = match self.peek() {
            TokenKind::Eq => AssignOp::Set,
            TokenKind::PlusEq => AssignOp::Add,
            TokenKind::MinusEq => AssignOp::Remove,
            _ => return Err(self.error_expected("`=`, `+=` or `-=`")),
        };
        self.bump();
        let value = self.expr()?;
        Ok(Assignment {
            span: field.span.to(value.span),
            field,
            op,
            value,
        })
    }

    /// `delete Rel(args);`, `delete iof(e, T);` or `delete e;`
    fn delete_stmt(&mut self) -> PResult<StmtKind> {
        if self.at_iof(1) {
            self.bump();
            let (individual, ty) = self.iof()?;
            self.expect_semi("`delete`");
            return Ok(StmtKind::DeleteIof { individual, ty });
        }
        self.expect_kw(Keyword::Delete)?;
        let expr = self.expr()?;
        self.expect_semi("`delete`");
        Ok(match expr.kind {
            ExprKind::Call { func, args } => StmtKind::DeleteTuple {
                relation: func,
                args,
            },
            kind => StmtKind::Delete(Expr {
                kind,
                span: expr.span,
            }),
        })
    }

    /// True when the tokens at offset `n` are `iof (`.
    fn at_iof(&self, n: usize) -> bool {
        matches!(self.peek_nth(n), TokenKind::Ident(w) if w == "iof")
            && *self.peek_nth(n + 1) == TokenKind::LParen
    }

    /// `iof(individual, Type)`
    fn iof(&mut self) -> PResult<(Expr, Type)> {
        self.expect_word("iof")?;
        self.expect(TokenKind::LParen)?;
        let individual = self.expr()?;
        self.expect(TokenKind::Comma)?;
        let ty = self.ty()?;
        self.expect(TokenKind::RParen)?;
        Ok((individual, ty))
    }

    /// `{ let x = e; e; value }`
    pub(super) fn block_expr(&mut self) -> PResult<Block> {
        self.nested(|p| {
            let start = p.expect(TokenKind::LBrace)?;
            let base = p.brace_depth;
            let mut stmts = Vec::new();
            let mut value = None;
            loop {
                if p.eat(&TokenKind::Semi) {
                    continue;
                }
                if p.at(&TokenKind::RBrace) || p.at_eof() || p.at_item_keyword() {
                    break;
                }
                let before = p.pos;
                match p.block_item() {
                    Ok(BlockItem::Stmt(stmt)) => stmts.push(stmt),
                    Ok(BlockItem::Value(expr)) => {
                        value = Some(Box::new(expr));
                        break;
                    }
                    Err(_) => p.recover_stmt(base),
                }
                if p.pos == before {
                    break;
                }
            }
            p.expect(TokenKind::RBrace)?;
            Ok(Block {
                stmts,
                value,
                span: p.span_from(start),
            })
        })
    }

    fn block_item(&mut self) -> PResult<BlockItem> {
        let start = self.span();
        if self.at_kw(Keyword::Let) {
            let kind = self.let_stmt()?;
            return Ok(BlockItem::Stmt(Stmt {
                kind,
                span: self.span_from(start),
            }));
        }
        let expr = self.expr()?;
        if self.at(&TokenKind::RBrace) {
            return Ok(BlockItem::Value(expr));
        }
        if !is_block_like(&expr) || self.at(&TokenKind::Semi) {
            self.expect_semi("the expression");
        }
        Ok(BlockItem::Stmt(Stmt {
            kind: StmtKind::Expr(expr),
            span: self.span_from(start),
        }))
    }
}
