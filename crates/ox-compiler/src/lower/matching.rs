//! Lowering of `match` expressions, their patterns, and enum variant
//! constructors (`Shape::Circle(r)`).

use std::collections::BTreeMap;

use ox_ir::{EnumId, Expr, MatchArm, Pattern, Type, Value, VarId};
use ox_syntax::ast::{self, PatternKind};
use ox_syntax::Span;

use super::env::path_text;
use super::exprs::ProcCx;
use crate::codes;
use crate::scope::Symbol;

impl ProcCx<'_> {
    /// `match scrutinee { arms }`: arms are tried in order; their bodies must agree on a type.
    pub(crate) fn match_expr(
        &mut self,
        scrutinee: &ast::Expr,
        arms: &[ast::MatchArm],
        expected: Option<&Type>,
    ) -> (Expr, Option<Type>) {
        let (x, st) = self.expr(scrutinee, None);
        let mut result: Option<Type> = expected.cloned();
        let mut out = Vec::new();
        for arm in arms {
            self.vars.push();
            let mut bound = BTreeMap::new();
            let pattern = self.pattern(&arm.pattern, st.as_ref(), &mut bound);
            let (body, bt) = self.expr(&arm.body, result.as_ref());
            match (&result, &bt) {
                (None, Some(t)) => result = Some(t.clone()),
                (Some(want), Some(found)) if !self.env.assignable(found, want) => {
                    let d = self.env.mismatch(arm.body.span, want, found);
                    self.diags.push(d);
                }
                _ => {}
            }
            self.vars.pop();
            out.push(MatchArm { pattern, body });
        }
        if let Some(t) = &st {
            let patterns: Vec<&Pattern> = out.iter().map(|a| &a.pattern).collect();
            if let Some(missing) = self.uncovered(&patterns, t) {
                let msg = format!("non-exhaustive `match`: no arm for {missing}");
                self.diags.push(
                    ox_syntax::Diagnostic::error(codes::NON_EXHAUSTIVE_MATCH, scrutinee.span, msg)
                        .with_help("add the missing arms or a catch-all `_ => …` arm"),
                );
            }
        }
        (
            Expr::Match {
                scrutinee: Box::new(x),
                arms: out,
            },
            result,
        )
    }

    /// `e is P`: a boolean; the pattern's bindings are declared in the current
    /// scope (an `if` opens one around its condition and then branch) and are
    /// set when the test succeeds.
    pub(crate) fn is_expr(
        &mut self,
        scrutinee: &ast::Expr,
        pattern: &ast::Pattern,
    ) -> (Expr, Option<Type>) {
        // Outside an `if` condition the bindings are not visible anywhere.
        let visible = std::mem::replace(&mut self.if_condition, false);
        let (x, st) = self.expr(scrutinee, None);
        let mut bound = BTreeMap::new();
        if !visible {
            self.vars.push();
        }
        let pattern = self.pattern(pattern, st.as_ref(), &mut bound);
        if !visible {
            self.vars.pop();
        }
        self.if_condition = visible;
        let arms = vec![
            MatchArm {
                pattern,
                body: Expr::Const(Value::Bool(true)),
            },
            MatchArm {
                pattern: Pattern::Wildcard,
                body: Expr::Const(Value::Bool(false)),
            },
        ];
        (
            Expr::Match {
                scrutinee: Box::new(x),
                arms,
            },
            Some(Type::Bool),
        )
    }

    /// Lowers one pattern against the type of the value it matches; names it
    /// binds are recorded in `bound` so that `p | q` alternatives share them.
    fn pattern(
        &mut self,
        p: &ast::Pattern,
        ty: Option<&Type>,
        bound: &mut BTreeMap<String, VarId>,
    ) -> Pattern {
        match &p.kind {
            PatternKind::Wildcard => Pattern::Wildcard,
            PatternKind::Lit { lit, negative } => {
                let expected = ty.map(Type::without_option);
                match crate::types::literal(&lit.kind, expected, *negative) {
                    Ok((v, t)) => {
                        if let Some(want) = ty {
                            if !self.env.comparable(&t, want) {
                                let d = self.env.mismatch(p.span, want, &t);
                                self.diags.push(d);
                            }
                        }
                        Pattern::Const(v)
                    }
                    Err(msg) => {
                        self.error(codes::INVALID_LITERAL, p.span, msg);
                        Pattern::Wildcard
                    }
                }
            }
            PatternKind::Path(path) if is_option(ty) && is_name(path, "None") => {
                Pattern::Const(Value::Null)
            }
            PatternKind::Tuple { path, elems }
                if is_option(ty) && is_name(path, "Some") && elems.len() == 1 =>
            {
                let inner = ty.map(Type::without_option);
                Pattern::Some(Box::new(self.pattern(&elems[0], inner, bound)))
            }
            PatternKind::Path(path) => {
                if let Some((e, i)) = self.variant_of(path, ty, false) {
                    let arity = self.env.enums[e.index()].variants[i as usize].payload.len();
                    if arity > 0 {
                        let msg = format!(
                            "variant `{}` carries {arity} value(s); match them with `{}(…)`",
                            path_text(path),
                            path_text(path)
                        );
                        self.error(codes::SIGNATURE_MISMATCH, p.span, msg);
                    }
                    return Pattern::Const(Value::Enum(e, i, Vec::new()));
                }
                if path.segments.len() == 1 {
                    let name = path.segments[0].name.clone();
                    let var = match bound.get(&name) {
                        Some(v) => *v,
                        None => {
                            let v = self.vars.declare(&name, ty.cloned());
                            bound.insert(name, v);
                            v
                        }
                    };
                    return Pattern::Bind(var);
                }
                self.unresolved_pattern(path);
                Pattern::Wildcard
            }
            PatternKind::Tuple { path, elems } => {
                let Some((e, i)) = self.variant_of(path, ty, true) else {
                    self.unresolved_pattern(path);
                    return Pattern::Wildcard;
                };
                let payload = self.env.enums[e.index()].variants[i as usize]
                    .payload
                    .clone();
                if payload.len() != elems.len() {
                    let msg = format!(
                        "variant `{}` carries {} value(s), the pattern has {}",
                        path_text(path),
                        payload.len(),
                        elems.len()
                    );
                    self.error(codes::SIGNATURE_MISMATCH, p.span, msg);
                    return Pattern::Wildcard;
                }
                let elems = elems
                    .iter()
                    .zip(&payload)
                    .map(|(q, param)| self.pattern(q, Some(&param.ty), bound))
                    .collect();
                Pattern::Variant {
                    id: e,
                    index: i,
                    elems,
                }
            }
            PatternKind::Record { path, fields, rest } => {
                // The variant (`Ok`) or struct (`Err`) the pattern names.
                let (params, target) = if let Some((e, i)) = self.variant_of(path, ty, true) {
                    let params = self.env.enums[e.index()].variants[i as usize]
                        .payload
                        .clone();
                    (params, Ok((e, i)))
                } else if let Ok(Symbol::Struct(id)) = self.env.scope.resolve(self.m, path) {
                    (self.env.structs[id.index()].fields.clone(), Err(id))
                } else {
                    self.unresolved_pattern(path);
                    return Pattern::Wildcard;
                };
                let mut elems = vec![None; params.len()];
                for f in fields {
                    let Some(i) = params.iter().position(|q| q.name == f.name.name) else {
                        let msg = format!("`{}` has no field `{}`", path_text(path), f.name.name);
                        self.error(codes::UNKNOWN_FIELD, f.name.span, msg);
                        continue;
                    };
                    let sub = match &f.pattern {
                        Some(q) => self.pattern(q, Some(&params[i].ty), bound),
                        None => {
                            let name = f.name.name.clone();
                            let var = match bound.get(&name) {
                                Some(v) => *v,
                                None => {
                                    let v = self.vars.declare(&name, Some(params[i].ty.clone()));
                                    bound.insert(name, v);
                                    v
                                }
                            };
                            Pattern::Bind(var)
                        }
                    };
                    elems[i] = Some(sub);
                }
                let mut out = Vec::new();
                for (i, e) in elems.into_iter().enumerate() {
                    match e {
                        Some(e) => out.push(e),
                        None => {
                            if !rest {
                                let msg = format!(
                                    "pattern `{}` does not mention field `{}` (add `..` to ignore it)",
                                    path_text(path),
                                    params[i].name
                                );
                                self.error(codes::MISSING_FIELD, p.span, msg);
                            }
                            out.push(Pattern::Wildcard);
                        }
                    }
                }
                match target {
                    Ok((e, i)) => Pattern::Variant {
                        id: e,
                        index: i,
                        elems: out,
                    },
                    Err(id) => Pattern::Struct { id, fields: out },
                }
            }
            PatternKind::Or(alternatives) => Pattern::Or(
                alternatives
                    .iter()
                    .map(|q| self.pattern(q, ty, bound))
                    .collect(),
            ),
        }
    }

    /// What values of type `ty` no pattern of `patterns` covers (a description),
    /// or `None` when they cover every value. Conservative over several
    /// payload fields: a variant or struct counts as covered when one pattern
    /// covers all its fields at once, or (one field) the patterns together do.
    fn uncovered(&self, patterns: &[&Pattern], ty: &Type) -> Option<String> {
        let mut flat = Vec::new();
        for p in patterns {
            flatten(p, &mut flat);
        }
        if flat.iter().any(|p| irrefutable(p)) {
            return None;
        }
        match ty {
            Type::Option(inner) => {
                let none = flat
                    .iter()
                    .any(|p| matches!(p, Pattern::Const(Value::Null)));
                let present: Vec<&Pattern> = flat
                    .iter()
                    .map(|p| match p {
                        Pattern::Some(q) => &**q,
                        other => *other,
                    })
                    .filter(|p| !matches!(p, Pattern::Const(Value::Null)))
                    .collect();
                match (none, self.uncovered(&present, inner)) {
                    (false, _) => Some("`None`".into()),
                    (true, Some(m)) => Some(format!("`Some(…)` with {m}")),
                    (true, None) => None,
                }
            }
            Type::Bool => {
                let has = |b: bool| {
                    flat.iter()
                        .any(|p| matches!(p, Pattern::Const(Value::Bool(x)) if *x == b))
                };
                match (has(true), has(false)) {
                    (true, true) => None,
                    (false, _) => Some("`true`".into()),
                    (true, false) => Some("`false`".into()),
                }
            }
            Type::Enum(e) => {
                let decl = self.env.enums.get(e.index())?;
                let missing: Vec<String> = decl
                    .variants
                    .iter()
                    .enumerate()
                    .filter(|(i, v)| {
                        let i = *i as u32;
                        let unit = flat.iter().any(|p| {
                            matches!(p, Pattern::Const(Value::Enum(id, vi, _)) if id == e && *vi == i)
                        });
                        let elems: Vec<&Vec<Pattern>> = flat
                            .iter()
                            .filter_map(|p| match p {
                                Pattern::Variant { id, index, elems } if id == e && *index == i => {
                                    Some(elems)
                                }
                                _ => None,
                            })
                            .collect();
                        !(unit || self.fields_covered(&elems, &v.payload))
                    })
                    .map(|(_, v)| format!("`{}`", v.name))
                    .collect();
                (!missing.is_empty()).then(|| missing.join(", "))
            }
            Type::Struct(s) => {
                let decl = self.env.structs.get(s.index())?;
                let elems: Vec<&Vec<Pattern>> = flat
                    .iter()
                    .filter_map(|p| match p {
                        Pattern::Struct { fields, .. } => Some(fields),
                        _ => None,
                    })
                    .collect();
                (!self.fields_covered(&elems, &decl.fields))
                    .then(|| format!("some `{}` values", decl.name))
            }
            other => Some(format!(
                "every `{}` value not written as a literal",
                self.env.type_name(other)
            )),
        }
    }

    /// Whether the field patterns (one list per pattern) cover every payload.
    fn fields_covered(&self, lists: &[&Vec<Pattern>], params: &[ox_ir::Param]) -> bool {
        if lists.iter().any(|l| l.iter().all(irrefutable)) {
            return true;
        }
        match params {
            [one] => {
                let firsts: Vec<&Pattern> = lists.iter().filter_map(|l| l.first()).collect();
                !firsts.is_empty() && self.uncovered(&firsts, &one.ty).is_none()
            }
            _ => false,
        }
    }

    /// The enum variant a pattern or constructor path names: a bare variant
    /// name of the expected enum, or a path resolving to a variant. With
    /// `report`, a path resolving to something else is an error.
    pub(crate) fn variant_of(
        &mut self,
        path: &ast::Path,
        ty: Option<&Type>,
        report: bool,
    ) -> Option<(EnumId, u32)> {
        if path.segments.len() == 1 {
            if let Some(Type::Enum(e)) = ty.map(Type::without_option) {
                let name = &path.segments[0].name;
                if let Some(i) = self
                    .env
                    .enums
                    .get(e.index())
                    .and_then(|d| d.variants.iter().position(|v| v.name == *name))
                {
                    return Some((*e, i as u32));
                }
            }
        }
        match self.env.scope.resolve(self.m, path) {
            Ok(Symbol::Variant(e, i)) => {
                if let Some(want) = ty {
                    let found = Type::Enum(e);
                    if !self.env.comparable(&found, want) {
                        let d = self.env.mismatch(path.span, want, &found);
                        self.diags.push(d);
                    }
                }
                Some((e, i))
            }
            Ok(sym) if report && !matches!(sym, Symbol::Struct(_)) => {
                let msg = format!(
                    "`{}` is {}, not an enum variant",
                    path_text(path),
                    sym.describe()
                );
                self.error(codes::WRONG_KIND, path.span, msg);
                None
            }
            _ => None,
        }
    }

    fn unresolved_pattern(&mut self, path: &ast::Path) {
        if let Err(d) = self.env.scope.resolve(self.m, path) {
            self.diags.push(d);
        }
    }

    /// `Enum::Variant(args)`: builds an enum value, payload checked against the variant.
    pub(crate) fn variant_call(
        &mut self,
        e: EnumId,
        i: u32,
        args: &[ast::Expr],
        span: Span,
        name: &str,
    ) -> (Expr, Option<Type>) {
        let params: Vec<Option<Type>> = self.env.enums[e.index()].variants[i as usize]
            .payload
            .iter()
            .map(|p| Some(p.ty.clone()))
            .collect();
        match self.args(name, args, &params, span) {
            Some(payload) => (
                Expr::Variant {
                    id: e,
                    index: i,
                    payload,
                },
                Some(Type::Enum(e)),
            ),
            None => (Expr::Const(Value::Null), Some(Type::Enum(e))),
        }
    }

    /// `Enum::Variant { f: e, … }`: a record variant, payload in declaration order.
    pub(crate) fn variant_record(
        &mut self,
        e: EnumId,
        i: u32,
        fields: &[ast::FieldInit],
        span: Span,
    ) -> (Expr, Option<Type>) {
        let variant = self.env.enums[e.index()].variants[i as usize].clone();
        let mut payload: Vec<Option<Expr>> = vec![None; variant.payload.len()];
        for init in fields {
            match variant
                .payload
                .iter()
                .position(|p| p.name == init.name.name)
            {
                Some(k) if payload[k].is_none() => {
                    payload[k] = Some(self.expr_of(&init.value, &variant.payload[k].ty));
                }
                Some(_) => self.error(
                    codes::DUPLICATE,
                    init.name.span,
                    format!("field `{}` is given twice", init.name.name),
                ),
                None => self.error(
                    codes::UNKNOWN_FIELD,
                    init.name.span,
                    format!(
                        "variant `{}` has no field `{}`",
                        variant.name, init.name.name
                    ),
                ),
            }
        }
        let mut out = Vec::new();
        for (k, x) in payload.into_iter().enumerate() {
            match x {
                Some(x) => out.push(x),
                None => {
                    if !matches!(variant.payload[k].ty, Type::Option(_)) {
                        let msg = format!(
                            "missing field `{}` of variant `{}`",
                            variant.payload[k].name, variant.name
                        );
                        self.error(codes::MISSING_FIELD, span, msg);
                    }
                    out.push(Expr::Const(Value::Null));
                }
            }
        }
        (
            Expr::Variant {
                id: e,
                index: i,
                payload: out,
            },
            Some(Type::Enum(e)),
        )
    }
}

/// Whether values of `ty` may be absent (`Option<T>`).
fn is_option(ty: Option<&Type>) -> bool {
    matches!(ty, Some(Type::Option(_)))
}

/// Whether `path` is the single name `name` (`Some`, `None`).
fn is_name(path: &ast::Path, name: &str) -> bool {
    path.segments.len() == 1 && path.segments[0].name == name
}

/// The alternatives of a pattern, `p | q` flattened.
fn flatten<'p>(p: &'p Pattern, out: &mut Vec<&'p Pattern>) {
    match p {
        Pattern::Or(alternatives) => alternatives.iter().for_each(|q| flatten(q, out)),
        other => out.push(other),
    }
}

/// Whether a pattern matches every value of its type.
fn irrefutable(p: &Pattern) -> bool {
    match p {
        Pattern::Wildcard | Pattern::Bind(_) => true,
        Pattern::Or(alternatives) => alternatives.iter().any(irrefutable),
        Pattern::Struct { fields, .. } => fields.iter().all(irrefutable),
        Pattern::Const(_) | Pattern::Variant { .. } | Pattern::Some(_) => false,
    }
}
