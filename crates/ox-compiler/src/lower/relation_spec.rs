//! Relation specialisation `rel R(a: A, b: B) <: S;`: every tuple of R is a
//! tuple of S. The supertypes are checked (a relation of the same arity whose
//! endpoint types R's endpoints fit, no cycles) and closed by one rule each,
//! `S(a, b) :- R(a, b)`, like concept specialisation.

use ox_ir::{Atom, Literal, RelationId, Rule, RuleOrigin, Term, Type, VarId};
use ox_syntax::ast::{ItemKind, TypeKind};
use ox_syntax::Diagnostic;

use super::collect::Collected;
use super::derive::SpannedRule;
use super::env::Env;
use crate::codes;
use crate::scope::Symbol;

/// Resolves and checks the supertypes of every relation (after all endpoint
/// types are known) and records them in the relations.
pub(crate) fn resolve(env: &mut Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) {
    for (i, d) in c.relations.iter().enumerate() {
        let ItemKind::Relation(decl) = &d.item.kind else {
            continue;
        };
        let id = RelationId(i as u32);
        let mut supers = Vec::new();
        for st in &decl.supertypes {
            let resolved = match &st.kind {
                TypeKind::Named(path) => env.scope.resolve(d.module, path).map_err(Some),
                _ => Err(None),
            };
            let sup = match resolved {
                Ok(Symbol::Relation(s)) => s,
                Ok(sym) => {
                    diags.push(Diagnostic::error(
                        codes::WRONG_KIND,
                        st.span,
                        format!(
                            "a relation can only specialise a relation; `{}` is {}",
                            env.text(st.span),
                            sym.describe()
                        ),
                    ));
                    continue;
                }
                Err(Some(diag)) => {
                    diags.push(diag);
                    continue;
                }
                Err(None) => {
                    diags.push(Diagnostic::error(
                        codes::WRONG_KIND,
                        st.span,
                        format!(
                            "a relation can only specialise a relation, not `{}`",
                            env.text(st.span)
                        ),
                    ));
                    continue;
                }
            };
            if sup == id {
                diags.push(Diagnostic::error(
                    codes::SPECIALISATION_CYCLE,
                    st.span,
                    format!("`{}` cannot specialise itself", decl.name.name),
                ));
                continue;
            }
            if env.relations[i].field_values.is_some()
                || env.relations[sup.index()].field_values.is_some()
            {
                diags.push(Diagnostic::error(
                    codes::NOT_SUPPORTED,
                    st.span,
                    "specialisation between relations with per-tuple fields is not supported yet",
                ));
                continue;
            }
            if let Some(diag) = endpoint_mismatch(env, id, sup, st.span) {
                diags.push(diag);
                continue;
            }
            if !supers.contains(&sup) {
                supers.push(sup);
            }
        }
        env.relations[i].supertypes = supers;
    }
    for (i, d) in c.relations.iter().enumerate() {
        let ItemKind::Relation(decl) = &d.item.kind else {
            continue;
        };
        if reaches_itself(env, RelationId(i as u32)) {
            let span = decl.supertypes.first().map_or(decl.name.span, |t| t.span);
            diags.push(Diagnostic::error(
                codes::SPECIALISATION_CYCLE,
                span,
                format!(
                    "relation specialisation cycle: `{}` specialises itself through its supertypes",
                    decl.name.name
                ),
            ));
        }
    }
}

/// Why R's endpoints do not fit S's, if they do not.
fn endpoint_mismatch(
    env: &Env<'_>,
    sub: RelationId,
    sup: RelationId,
    span: ox_syntax::Span,
) -> Option<Diagnostic> {
    let (r, s) = (&env.relations[sub.index()], &env.relations[sup.index()]);
    if r.params.len() != s.params.len() {
        return Some(Diagnostic::error(
            codes::SIGNATURE_MISMATCH,
            span,
            format!(
                "`{}` has {} endpoints but its supertype `{}` has {}",
                r.name,
                r.params.len(),
                s.name,
                s.params.len()
            ),
        ));
    }
    let (k, (a, b)) = r
        .params
        .iter()
        .zip(&s.params)
        .enumerate()
        .find(|(_, (a, b))| a.ty != Type::Unit && !env.assignable(&a.ty, &b.ty))?;
    Some(Diagnostic::error(
        codes::TYPE_MISMATCH,
        span,
        format!(
            "endpoint {} of `{}` (`{}: {}`) does not fit endpoint `{}: {}` of `{}`: it must be the same type or a subtype",
            k + 1,
            r.name,
            a.name,
            env.type_name(&a.ty),
            b.name,
            env.type_name(&b.ty),
            s.name
        ),
    ))
}

/// Whether `start` is among its own transitive supertypes.
fn reaches_itself(env: &Env<'_>, start: RelationId) -> bool {
    let mut stack = env.relations[start.index()].supertypes.clone();
    let mut seen = Vec::new();
    while let Some(r) = stack.pop() {
        if r == start {
            return true;
        }
        if !seen.contains(&r) {
            seen.push(r);
            stack.extend(env.relations[r.index()].supertypes.iter().copied());
        }
    }
    false
}

/// `S(x…) :- R(x…)` for every `R <: S`.
pub(crate) fn rules(env: &Env<'_>, c: &Collected<'_>) -> Vec<SpannedRule> {
    let mut out = Vec::new();
    for (i, d) in c.relations.iter().enumerate() {
        let r = &env.relations[i];
        let args: Vec<Term> = (0..r.params.len() as u32)
            .map(|k| Term::Var(VarId(k)))
            .collect();
        for sup in &r.supertypes {
            out.push((
                Rule {
                    head: Atom {
                        pred: env.relations[sup.index()].pred,
                        args: args.clone(),
                    },
                    body: vec![Literal::Pos(Atom {
                        pred: r.pred,
                        args: args.clone(),
                    })],
                    var_count: r.params.len() as u32,
                    var_names: r.params.iter().map(|p| p.name.clone()).collect(),
                    origin: RuleOrigin::RelationSpecialisation {
                        sub: RelationId(i as u32),
                        sup: *sup,
                    },
                    defeasibility: ox_ir::Defeasibility::default(),
                    standpoint: None,
                },
                d.item.span,
            ));
        }
    }
    out
}
