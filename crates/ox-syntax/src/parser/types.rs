//! Type expressions: paths, `Option<T>`, `[T]`, `[T; >= n]`, `Set<T>`, `Map<K, V>`.

use super::{PResult, Parser};
use crate::ast::{BoundOp, SizeBound, Type, TypeKind};
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::token::TokenKind;

impl Parser<'_> {
    /// Parses a type.
    pub(super) fn ty(&mut self) -> PResult<Type> {
        self.nested(|p| p.ty_inner())
    }

    fn ty_inner(&mut self) -> PResult<Type> {
        let start = self.span();
        if self.eat(&TokenKind::LBracket) {
            let elem = Box::new(self.ty()?);
            let bound = if self.eat(&TokenKind::Semi) {
                Some(self.size_bound()?)
            } else {
                None
            };
            self.expect(TokenKind::RBracket)?;
            let kind = TypeKind::List { elem, bound };
            return Ok(Type {
                kind,
                span: self.span_from(start),
            });
        }
        if !matches!(self.peek(), TokenKind::Ident(_)) {
            return Err(self.error_expected("a type"));
        }
        let path = self.path("a type")?;
        let mut args = Vec::new();
        if self.eat(&TokenKind::Lt) {
            args = self.comma_list(TokenKind::Gt, |p| p.ty())?;
        }
        let span = self.span_from(start);
        let name = match path.segments.as_slice() {
            [single] => single.name.as_str(),
            _ => "",
        };
        let kind = match (name, args.len()) {
            (_, 0) => TypeKind::Named(path),
            ("Option", 1) | ("Set", 1) => {
                let inner = Box::new(args.remove(0));
                if name == "Option" {
                    TypeKind::Option(inner)
                } else {
                    TypeKind::Set(inner)
                }
            }
            ("Map", 2) => {
                let value = Box::new(args.remove(1));
                let key = Box::new(args.remove(0));
                TypeKind::Map(key, value)
            }
            _ => {
                let message = match name {
                    "Option" | "Set" => format!("`{name}` takes exactly one type argument"),
                    "Map" => "`Map` takes exactly two type arguments".to_string(),
                    _ => "only `Option`, `Set` and `Map` take type arguments".to_string(),
                };
                let diag = Diagnostic::error(codes::INVALID_TYPE_ARGS, span, message)
                    .with_help("a list of values is written `[T]`");
                return Err(self.report(diag));
            }
        };
        Ok(Type { kind, span })
    }

    /// `>= n`, `<= n` or `== n` after `;` in a list type.
    fn size_bound(&mut self) -> PResult<SizeBound> {
        let start = self.span();
        let op = match self.peek() {
            TokenKind::Ge => BoundOp::AtLeast,
            TokenKind::Le => BoundOp::AtMost,
            TokenKind::EqEq => BoundOp::Exactly,
            _ => return Err(self.error_expected("`>=`, `<=` or `==`")),
        };
        self.bump();
        let n = self.expect_int("a natural number")?;
        Ok(SizeBound {
            op,
            n,
            span: self.span_from(start),
        })
    }
}
