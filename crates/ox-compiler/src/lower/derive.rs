//! Rules: `derive` clauses (with parameter type inference), `check` bodies,
//! `iff` refinements and specialisation closure.

use ox_ir::{
    Atom, CheckId, ConceptId, Defeasibility, Literal, Rule, RuleOrigin, StandpointId, Strength,
    Term, Type,
};
use ox_syntax::ast::{self, AttrArg, ExprKind, ItemKind};
use ox_syntax::{Diagnostic, Span};

use super::collect::{Collected, DeriveGroup};
use super::env::Env;
use super::rules::{plain_name, RuleCx, Sink};
use crate::codes;

/// A lowered rule with the span diagnostics about it point to.
pub(crate) type SpannedRule = (Rule, Span);

/// Lowers one derive clause; also returns the types of its head arguments.
fn clause(
    env: &Env<'_>,
    gi: usize,
    g: &DeriveGroup<'_>,
    index: usize,
    standpoint: Option<StandpointId>,
    sink: &mut Sink,
) -> Option<(SpannedRule, Vec<Option<Type>>)> {
    let item = g.clauses[index];
    let ItemKind::Derive(d) = &item.kind else {
        return None;
    };
    let info = &env.derived[gi];
    if d.args.len() != info.types.len() {
        return None;
    }
    let head_pred = if d.strong_negation {
        info.complement?
    } else {
        info.pred
    };
    let defeasibility = markers(&item.attrs, sink)?;
    let owner = format!("{}#{index}", g.path);
    let errors_before = sink.diags.len();
    let mut cx = RuleCx::new(env, g.module, sink, owner);
    // Head variables first, typed by what is known of the predicate.
    for (k, a) in d.args.iter().enumerate() {
        if let Some(id) = plain_name(&a.value) {
            if cx.vars.lookup(&id.name).is_none()
                && !is_constant(&cx, &a.value, info.types[k].as_ref())
            {
                cx.vars.declare(&id.name, info.types[k].clone());
            }
        }
    }
    if let Some(body) = &d.body {
        cx.body(body);
    }
    let mut args = Vec::new();
    let mut types = Vec::new();
    let mut ok = true;
    for (k, a) in d.args.iter().enumerate() {
        let t = cx.term(&a.value, info.types[k].as_ref());
        let ty = match &t {
            Term::Var(v) => {
                if d.body.is_none() {
                    cx.sink.diags.push(Diagnostic::error(
                        codes::BODILESS_FREE_VAR,
                        a.span,
                        format!(
                            "`{}` is a variable, but a derive without a body states a ground fact",
                            cx.vars.name(*v)
                        ),
                    ));
                    ok = false;
                }
                cx.vars.ty(*v).cloned()
            }
            Term::Const(c) => {
                if !matches!(
                    a.value.kind,
                    ExprKind::Lit(_) | ExprKind::Path(_) | ExprKind::Unary { .. }
                ) {
                    cx.sink.diags.push(Diagnostic::error(
                        codes::NOT_SUPPORTED,
                        a.span,
                        "head arguments must be variables or constants",
                    ));
                    ok = false;
                }
                info.types[k].clone().or_else(|| const_type(c))
            }
        };
        args.push(t);
        types.push(ty);
    }
    // A computed head argument leaves a binding behind; that is fine in a body.
    if d.body.is_none() && !cx.lits.is_empty() {
        ok = false;
    }
    // A clause with errors is left out, so that no follow-up errors (range
    // restriction, inference) are reported about it.
    if !ok || cx.sink.diags.len() > errors_before {
        return None;
    }
    let rule = Rule {
        head: Atom {
            pred: head_pred,
            args,
        },
        body: cx.lits,
        var_count: cx.vars.count(),
        var_names: cx.vars.names,
        origin: RuleOrigin::Derive {
            name: info.name.clone(),
            clause: index as u32,
        },
        defeasibility,
        standpoint,
    };
    Some(((rule, item.span), types))
}

/// The defeasibility markers of a clause: `#[default]`, `#[label(name)]`,
/// `#[defeats(name)]` (repeatable). `None` (with `OE1321`) when one is
/// malformed.
fn markers(attrs: &[ast::Attr], sink: &mut Sink) -> Option<Defeasibility> {
    let mut out = Defeasibility::default();
    let mut ok = true;
    for a in attrs {
        let name_arg = || match a.args.as_slice() {
            [AttrArg::Path(p)] if p.segments.len() == 1 => Some(p.segments[0].name.clone()),
            _ => None,
        };
        match a.name.name.as_str() {
            "default" if a.args.is_empty() => out.strength = Strength::Defeasible,
            "label" if out.label.is_none() => match name_arg() {
                Some(label) => out.label = Some(label),
                None => ok = false,
            },
            "defeats" => match name_arg() {
                Some(label) => out.defeats.push(label),
                None => ok = false,
            },
            "default" | "label" => ok = false,
            _ => continue,
        }
        if !ok {
            sink.diags.push(
                Diagnostic::error(
                    codes::INVALID_MARKER,
                    a.span,
                    format!("malformed `#[{}]` on a derive clause", a.name.name),
                )
                .with_help("write `#[default]`, `#[label(name)]` (once) or `#[defeats(name)]`"),
            );
            return None;
        }
    }
    Some(out)
}

/// Labels are unique among the clauses of a predicate and its strong
/// negation (`OE1321`); `#[defeats(l)]` names a label of them (`OE1321`)
/// on a `#[default]` clause (`OE1322`: strict clauses are never defeated).
fn check_labels(g: &DeriveGroup<'_>, sink: &mut Sink) {
    let clause_markers: Vec<(&ast::Item, Option<Defeasibility>)> = g
        .clauses
        .iter()
        .map(|item| (*item, markers(&item.attrs, &mut Sink::new(0))))
        .collect();
    let mut labels: Vec<(&str, bool)> = Vec::new();
    for (item, m) in &clause_markers {
        let Some(m) = m else { continue };
        let Some(label) = &m.label else { continue };
        if labels.iter().any(|(l, _)| l == label) {
            let span = label_span(item, "label");
            sink.diags.push(Diagnostic::error(
                codes::INVALID_MARKER,
                span,
                format!("the label `{label}` is used by two clauses of `{}`", g.name),
            ));
        } else {
            labels.push((label, m.strength == Strength::Defeasible));
        }
    }
    for (item, m) in &clause_markers {
        let Some(m) = m else { continue };
        for target in &m.defeats {
            let span = label_span(item, "defeats");
            match labels.iter().find(|(l, _)| l == target) {
                None => sink.diags.push(Diagnostic::error(
                    codes::INVALID_MARKER,
                    span,
                    format!(
                        "`#[defeats({target})]`: no clause of `{}` or `~{}` has this label",
                        g.name, g.name
                    ),
                )),
                Some((_, false)) => sink.diags.push(
                    Diagnostic::error(
                        codes::DEFEATS_STRICT,
                        span,
                        format!(
                            "`#[defeats({target})]` names a strict clause, which is never defeated"
                        ),
                    )
                    .with_help(format!(
                        "mark the clause labelled `{target}` with `#[default]`"
                    )),
                ),
                Some(_) => {}
            }
        }
    }
}

fn label_span(item: &ast::Item, attr: &str) -> Span {
    item.attrs
        .iter()
        .find(|a| a.name.name == attr)
        .map_or(item.span, |a| a.span)
}

fn is_constant(cx: &RuleCx<'_, '_>, e: &ox_syntax::ast::Expr, expected: Option<&Type>) -> bool {
    let ExprKind::Path(p) = &e.kind else {
        return false;
    };
    if let Some(Type::Enum(en)) = expected {
        if cx.env.enums[en.index()]
            .variants
            .iter()
            .any(|v| v.name == p.segments[0].name)
        {
            return true;
        }
    }
    matches!(
        cx.env.scope.resolve(cx.m, p),
        Ok(crate::scope::Symbol::Variant(..))
    )
}

/// The static type of a constant value, where it is unambiguous.
fn const_type(v: &ox_ir::Value) -> Option<Type> {
    use ox_ir::Value;
    Some(match v {
        Value::Bool(_) => Type::Bool,
        Value::Nat(_) => Type::Nat,
        Value::Int(_) => Type::Int,
        Value::Decimal(_) => Type::Decimal,
        Value::Money(_) => Type::Money,
        Value::String(_) => Type::String,
        Value::Date(_) => Type::Date,
        Value::DateTime(_) => Type::DateTime,
        Value::Duration(_) => Type::Duration,
        Value::Enum(e, ..) => Type::Enum(*e),
        _ => return None,
    })
}

/// Infers derived parameter types to a fixpoint, then lowers every clause.
pub(crate) fn derive_rules(
    env: &mut Env<'_>,
    c: &Collected<'_>,
    sink: &mut Sink,
) -> Vec<SpannedRule> {
    // Inference passes: diagnostics and auxiliary rules are discarded.
    for _ in 0..=c.derives.len() {
        let mut changed = false;
        let mut updates: Vec<(usize, Vec<Option<Type>>)> = Vec::new();
        {
            let env_ref: &Env<'_> = env;
            let mut quiet = Sink::new(env_ref.preds.len());
            for (gi, g) in c.derives.iter().enumerate() {
                let mut types = env_ref.derived[gi].types.clone();
                for k in 0..g.clauses.len() {
                    let standpoint = c.standpoint(g.clauses[k]);
                    if let Some((_, found)) = clause(env_ref, gi, g, k, standpoint, &mut quiet) {
                        for (slot, f) in types.iter_mut().zip(found) {
                            if slot.is_none() && f.is_some() {
                                *slot = f;
                            }
                        }
                    }
                }
                if types != env_ref.derived[gi].types {
                    updates.push((gi, types));
                }
            }
        }
        for (gi, types) in updates {
            env.derived[gi].types = types;
            changed = true;
        }
        if !changed {
            break;
        }
    }
    let mut out = Vec::new();
    for (gi, g) in c.derives.iter().enumerate() {
        check_labels(g, sink);
        let errors_before = sink.diags.len();
        for k in 0..g.clauses.len() {
            let standpoint = c.standpoint(g.clauses[k]);
            let aux_before = sink.aux_rules.len();
            if let Some((rule, _)) = clause(env, gi, g, k, standpoint, sink) {
                out.push(rule);
            }
            in_standpoint(&mut sink.aux_rules[aux_before..], standpoint);
        }
        let clause_errors = sink.diags.len() > errors_before;
        // Parameter types of the predicate.
        let pred = env.derived[gi].pred;
        let types = env.derived[gi].types.clone();
        let complement = env.derived[gi].complement;
        for (k, t) in types.iter().enumerate() {
            match t {
                Some(t) => {
                    for p in std::iter::once(pred).chain(complement) {
                        if let Some(p) = env.preds[p.index()].params.get_mut(k) {
                            p.ty = t.clone();
                        }
                    }
                }
                None if clause_errors => {}
                None => {
                    let span = match &g.clauses[0].kind {
                        ItemKind::Derive(d) => d.args.get(k).map_or(d.name.span, |a| a.span),
                        _ => g.clauses[0].span,
                    };
                    sink.diags.push(
                        Diagnostic::error(
                            codes::CANNOT_INFER,
                            span,
                            format!("cannot infer the type of parameter {} of `{}`", k + 1, g.name),
                        )
                        .with_help("annotate it, e.g. `x: Person`, or use it in a body atom that fixes its type"),
                    );
                }
            }
        }
    }
    out
}

/// The rule of each check: the check predicate over its parameters.
pub(crate) fn check_rules(
    env: &mut Env<'_>,
    c: &Collected<'_>,
    sink: &mut Sink,
) -> Vec<SpannedRule> {
    let mut out = Vec::new();
    for (i, d) in c.checks.iter().enumerate() {
        let ItemKind::Check(decl) = &d.item.kind else {
            continue;
        };
        let mut declared = Vec::new();
        for p in &decl.params {
            declared.push(
                p.ty.as_ref()
                    .and_then(|t| env.resolve_type(d.module, t, &mut sink.diags)),
            );
        }
        let errors_before = sink.diags.len();
        let standpoint = c.standpoint(d.item);
        let aux_before = sink.aux_rules.len();
        let (rule, types) = {
            let env_ref: &Env<'_> = env;
            let mut cx = RuleCx::new(env_ref, d.module, sink, env_ref.checks[i].path.clone());
            let vars: Vec<_> = decl
                .params
                .iter()
                .zip(&declared)
                .map(|(p, t)| cx.vars.declare(&p.name.name, t.clone()))
                .collect();
            cx.body(&decl.body);
            let types: Vec<Option<Type>> = vars.iter().map(|v| cx.vars.ty(*v).cloned()).collect();
            let rule = Rule {
                head: Atom {
                    pred: env_ref.checks[i].pred,
                    args: vars.iter().map(|v| Term::Var(*v)).collect(),
                },
                body: cx.lits,
                var_count: cx.vars.count(),
                var_names: cx.vars.names,
                origin: RuleOrigin::Check(CheckId(i as u32)),
                defeasibility: ox_ir::Defeasibility::default(),
                standpoint,
            };
            (rule, types)
        };
        in_standpoint(&mut sink.aux_rules[aux_before..], standpoint);
        if sink.diags.len() > errors_before {
            continue;
        }
        let pred = env.checks[i].pred;
        for (k, t) in types.into_iter().enumerate() {
            match t {
                Some(t) => {
                    env.checks[i].params[k].ty = t.clone();
                    env.preds[pred.index()].params[k].ty = t;
                }
                None => sink.diags.push(Diagnostic::error(
                    codes::CANNOT_INFER,
                    decl.params[k].span,
                    format!("cannot infer the type of `{}`", decl.params[k].name.name),
                )),
            }
        }
        out.push((rule, d.item.span));
    }
    out
}

/// Puts the auxiliary rules lowered for a clause into the clause's standpoint.
fn in_standpoint(aux: &mut [SpannedRule], standpoint: Option<StandpointId>) {
    for (rule, _) in aux {
        rule.standpoint = standpoint;
    }
}

/// `iff` rules (`C(self) :- Super(self), conditions`) and specialisation rules.
pub(crate) fn concept_rules(env: &Env<'_>, c: &Collected<'_>, sink: &mut Sink) -> Vec<SpannedRule> {
    let mut out = Vec::new();
    for (i, d) in c.concepts.iter().enumerate() {
        let id = ConceptId(i as u32);
        let concept = &env.concepts[i];
        // An `iff` concept's members are derived from its supertypes' members,
        // so `Super(x) :- Sub(x)` is implied; leaving it out keeps the
        // supertypes from depending on the subtype (which would put any
        // negation in the condition on a cycle).
        for sup in concept.supertypes.iter().filter(|_| !env.iff[i]) {
            out.push((
                Rule {
                    head: Atom {
                        pred: env.concepts[sup.index()].pred,
                        args: vec![Term::Var(ox_ir::VarId(0))],
                    },
                    body: vec![Literal::Pos(Atom {
                        pred: concept.pred,
                        args: vec![Term::Var(ox_ir::VarId(0))],
                    })],
                    var_count: 1,
                    var_names: vec!["x".to_string()],
                    origin: RuleOrigin::Specialisation { sub: id, sup: *sup },
                    defeasibility: ox_ir::Defeasibility::default(),
                    standpoint: None,
                },
                d.item.span,
            ));
        }
        let ItemKind::Concept(decl) = &d.item.kind else {
            continue;
        };
        let Some(r) = decl.refinement.as_ref().filter(|_| env.iff[i]) else {
            continue;
        };
        let errors_before = sink.diags.len();
        let mut cx = RuleCx::new(env, d.module, sink, format!("{}#iff", concept.path));
        let me = cx.vars.declare("self", Some(ox_ir::Type::Concept(id)));
        for sup in &concept.supertypes {
            cx.lits.push(Literal::Pos(Atom {
                pred: env.concepts[sup.index()].pred,
                args: vec![Term::Var(me)],
            }));
        }
        let negated = |e: &ox_syntax::ast::Expr| {
            matches!(
                e.kind,
                ExprKind::Unary {
                    op: ox_syntax::ast::UnaryOp::Not,
                    ..
                }
            )
        };
        for cond in r.conditions.iter().filter(|e| !negated(e)) {
            cx.condition(cond);
        }
        for cond in r.conditions.iter().filter(|e| negated(e)) {
            cx.condition(cond);
        }
        if cx.sink.diags.len() > errors_before {
            continue;
        }
        out.push((
            Rule {
                head: Atom {
                    pred: concept.pred,
                    args: vec![Term::Var(me)],
                },
                body: cx.lits,
                var_count: cx.vars.count(),
                var_names: cx.vars.names,
                origin: RuleOrigin::Refinement(id),
                defeasibility: ox_ir::Defeasibility::default(),
                standpoint: None,
            },
            r.span,
        ));
    }
    out
}
