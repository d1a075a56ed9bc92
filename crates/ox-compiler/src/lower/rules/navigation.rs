//! Relation navigation in rule bodies: `y.R(x)` and `x in y.R` bind x to
//! each individual related to y by the binary relation R.
//!
//! y's concept picks the direction: from the first endpoint when y fits it,
//! otherwise from the second. A field of the same name takes precedence.

use ox_ir::{Atom, ConceptId, Literal, Term, Type, VarId};
use ox_syntax::ast;

use super::RuleCx;
use crate::codes;
use crate::scope::Symbol;

impl RuleCx<'_, '_> {
    /// Adds the relation atom for `base.name(target)` when `name` resolves
    /// to a binary relation with an endpoint that `base`'s concept fits.
    /// Whether `name` was a relation (errors are reported here).
    pub(super) fn relation_step(
        &mut self,
        base: VarId,
        concept: ConceptId,
        name: &ast::Ident,
        target: &ast::Expr,
    ) -> bool {
        let path = ast::Path {
            segments: vec![name.clone()],
            span: name.span,
        };
        let Ok(Symbol::Relation(r)) = self.env.scope.resolve(self.m, &path) else {
            return false;
        };
        let rel = &self.env.relations[r.index()];
        let fits = |t: &Type| matches!(t, Type::Concept(e) if self.env.is_sub(concept, *e));
        let from = match rel.params.as_slice() {
            [a, _] if fits(&a.ty) => 0,
            [_, b] if fits(&b.ty) => 1,
            [_, _] => {
                let msg = format!(
                    "relation `{}` does not connect `{}`: its endpoints are `{}` and `{}`",
                    rel.name,
                    self.env.concepts[concept.index()].name,
                    self.env.type_name(&rel.params[0].ty),
                    self.env.type_name(&rel.params[1].ty)
                );
                self.error(codes::TYPE_MISMATCH, name.span, msg);
                return true;
            }
            _ => {
                let msg = format!(
                    "navigation needs a binary relation; `{}` has {} endpoints",
                    rel.name,
                    rel.params.len()
                );
                self.error(codes::SIGNATURE_MISMATCH, name.span, msg);
                return true;
            }
        };
        let pred = rel.pred;
        let other_ty = rel.params[1 - from].ty.clone();
        let other = self.term(target, Some(&other_ty));
        let mut args = vec![Term::Var(base), other];
        if from == 1 {
            args.reverse();
        }
        self.lits.push(Literal::Pos(Atom { pred, args }));
        true
    }
}
