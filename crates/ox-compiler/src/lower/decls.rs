//! Phase 2: declarations — structs, enums, concepts (fields, keys,
//! supertypes), relations, predicates, signatures and standpoints.

use std::collections::BTreeSet;

use ox_ir::{
    Cardinality, Check, CheckId, Concept, ConceptId, EnumDecl, Field, Param, PredId, PredKind,
    Predicate, Refinement, Relation, RelationId, Severity, Standpoint, StandpointId, StructDecl,
    Type, Variant, Visibility,
};
use ox_syntax::ast::{
    self, AttrArg, ConceptBody, ExprKind, Item, ItemKind, RefinementKind, VariantData,
};
use ox_syntax::{Diagnostic, SourceMap};

use super::collect::{Collected, Decl};
use super::env::{field_value_type, Derived, Env, Sig};
use crate::codes;
use crate::scope::{Scope, Symbol};

/// Converts an AST visibility.
pub(crate) fn visibility(v: ast::Visibility) -> Visibility {
    match v {
        ast::Visibility::Private => Visibility::Private,
        ast::Visibility::Public => Visibility::Public,
        ast::Visibility::Package => Visibility::Package,
    }
}

/// Whether an item carries `#[name]`.
pub(crate) fn has_attr(attrs: &[ast::Attr], name: &str) -> bool {
    attrs.iter().any(|a| a.name.name == name)
}

/// Builds the environment of declarations.
pub(crate) fn declare<'a>(
    scope: Scope,
    c: &Collected<'_>,
    sources: &'a SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> (Env<'a>, Vec<Standpoint>) {
    let mut env = Env {
        sources,
        scope,
        concepts: Vec::new(),
        iff: Vec::new(),
        relations: Vec::new(),
        structs: Vec::new(),
        enums: Vec::new(),
        preds: Vec::new(),
        derived: Vec::new(),
        checks: Vec::new(),
        queries: Vec::new(),
        mutations: Vec::new(),
        fns: Vec::new(),
    };
    // Names and paths first, so that types can be displayed while resolving.
    for d in &c.structs {
        env.structs.push(StructDecl {
            name: name_of(d),
            path: path_of(&env.scope, d),
            fields: Vec::new(),
            doc: d.item.doc.clone(),
            field_docs: Vec::new(),
        });
    }
    for d in &c.enums {
        env.enums.push(EnumDecl {
            name: name_of(d),
            path: path_of(&env.scope, d),
            variants: Vec::new(),
            doc: d.item.doc.clone(),
        });
    }
    for (i, d) in c.concepts.iter().enumerate() {
        let id = ConceptId(i as u32);
        let path = path_of(&env.scope, d);
        let pred = add_pred(
            &mut env,
            name_of(d),
            path,
            PredKind::Concept(id),
            vec![param("x", Type::Concept(id))],
            d.item,
        );
        env.concepts.push(Concept {
            name: name_of(d),
            path: path_of(&env.scope, d),
            metatype: String::new(),
            visibility: visibility(d.item.vis),
            supertypes: Vec::new(),
            fields: Vec::new(),
            key: None,
            refinement: Refinement::None,
            pred,
            doc: d.item.doc.clone(),
            cover: Vec::new(),
        });
        env.iff.push(false);
    }
    for (i, d) in c.relations.iter().enumerate() {
        let path = path_of(&env.scope, d);
        let pred = add_pred(
            &mut env,
            name_of(d),
            path,
            PredKind::Relation(RelationId(i as u32)),
            Vec::new(),
            d.item,
        );
        env.relations.push(Relation {
            name: name_of(d),
            path: path_of(&env.scope, d),
            metarel: String::new(),
            visibility: visibility(d.item.vis),
            params: Vec::new(),
            cardinalities: Vec::new(),
            pred,
            doc: d.item.doc.clone(),
            supertypes: Vec::new(),
            fields: Vec::new(),
            field_values: None,
        });
    }
    for g in &c.derives {
        let first = g.clauses[0];
        let pred = add_pred(
            &mut env,
            g.name.clone(),
            g.path.clone(),
            PredKind::Derived,
            Vec::new(),
            first,
        );
        let negated = g
            .clauses
            .iter()
            .any(|item| matches!(&item.kind, ItemKind::Derive(d) if d.strong_negation));
        let complement = negated.then(|| {
            add_pred(
                &mut env,
                format!("~{}", g.name),
                format!("~{}", g.path),
                PredKind::Complement(pred),
                Vec::new(),
                first,
            )
        });
        env.derived.push(Derived {
            name: g.name.clone(),
            pred,
            types: Vec::new(),
            complement,
        });
    }
    for (i, d) in c.checks.iter().enumerate() {
        let path = path_of(&env.scope, d);
        let pred = add_pred(
            &mut env,
            name_of(d),
            path,
            PredKind::Check(CheckId(i as u32)),
            Vec::new(),
            d.item,
        );
        env.checks.push(Check {
            name: name_of(d),
            path: path_of(&env.scope, d),
            params: Vec::new(),
            severity: Severity::Warning,
            message: None,
            pred,
            standpoint: c.standpoint(d.item),
        });
    }
    structs_and_enums(&mut env, c, diags);
    concepts(&mut env, c, diags);
    super::cover::resolve(&mut env, c, diags);
    relations(&mut env, c, diags);
    super::relation_spec::resolve(&mut env, c, diags);
    derived_heads(&mut env, c, diags);
    checks(&mut env, c, diags);
    signatures(&mut env, c, diags);
    let standpoints = standpoints(&env, c, diags);
    (env, standpoints)
}

fn name_of(d: &Decl<'_>) -> String {
    super::collect::item_name(d.item)
        .map(|n| n.name.clone())
        .unwrap_or_default()
}

fn path_of(scope: &Scope, d: &Decl<'_>) -> String {
    scope.item_path(d.module, &name_of(d))
}

fn param(name: &str, ty: Type) -> Param {
    Param {
        name: name.to_string(),
        ty,
    }
}

fn add_pred(
    env: &mut Env<'_>,
    name: String,
    path: String,
    kind: PredKind,
    params: Vec<Param>,
    item: &Item,
) -> PredId {
    env.preds.push(Predicate {
        name,
        path,
        kind,
        params,
        visibility: visibility(item.vis),
        doc: item.doc.clone(),
    });
    PredId(env.preds.len() as u32 - 1)
}

fn fields_of(
    env: &Env<'_>,
    m: usize,
    fields: &[ast::Field],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Param> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for f in fields {
        if !seen.insert(f.name.name.clone()) {
            diags.push(Diagnostic::error(
                codes::DUPLICATE,
                f.name.span,
                format!("field `{}` is declared twice", f.name.name),
            ));
            continue;
        }
        let ty = env.resolve_type(m, &f.ty, diags).unwrap_or(Type::Unit);
        out.push(param(&f.name.name, ty));
    }
    out
}

/// The `///` comments of struct fields by position; empty when there are none.
fn member_docs(fields: &[ast::Field]) -> Vec<Option<String>> {
    if fields.iter().all(|f| f.doc.is_none()) {
        return Vec::new();
    }
    fields.iter().map(|f| f.doc.clone()).collect()
}

fn structs_and_enums(env: &mut Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) {
    for (i, d) in c.structs.iter().enumerate() {
        if let ItemKind::Struct(s) = &d.item.kind {
            let fields = fields_of(env, d.module, &s.fields, diags);
            env.structs[i].fields = fields;
            env.structs[i].field_docs = member_docs(&s.fields);
        }
    }
    for (i, d) in c.enums.iter().enumerate() {
        let ItemKind::Enum(e) = &d.item.kind else {
            continue;
        };
        let mut variants = Vec::new();
        let mut seen = BTreeSet::new();
        for v in &e.variants {
            if !seen.insert(v.name.name.clone()) {
                diags.push(Diagnostic::error(
                    codes::DUPLICATE,
                    v.name.span,
                    format!("variant `{}` is declared twice", v.name.name),
                ));
            }
            let payload = match &v.data {
                VariantData::Unit => Vec::new(),
                VariantData::Tuple(types) => types
                    .iter()
                    .enumerate()
                    .map(|(k, t)| {
                        param(
                            &k.to_string(),
                            env.resolve_type(d.module, t, diags).unwrap_or(Type::Unit),
                        )
                    })
                    .collect(),
                VariantData::Record(fields) => fields_of(env, d.module, fields, diags),
            };
            variants.push(Variant {
                name: v.name.name.clone(),
                payload,
                doc: v.doc.clone(),
            });
        }
        env.enums[i].variants = variants;
    }
}

fn concepts(env: &mut Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) {
    for (i, d) in c.concepts.iter().enumerate() {
        let ItemKind::Concept(decl) = &d.item.kind else {
            continue;
        };
        let id = ConceptId(i as u32);
        // Introducer.
        let intro = &decl.introducer;
        match env.scope.lookup_local(d.module, &intro.name) {
            Some(Symbol::Metatype(k)) => env.concepts[i].metatype = env.scope.metatypes[k].clone(),
            other => {
                let mut diag = Diagnostic::error(
                    codes::UNKNOWN_METATYPE,
                    intro.span,
                    format!("`{}` is not a metatype in scope", intro.name),
                );
                diag = match other {
                    Some(sym) => diag.with_label(intro.span, format!("this is {}", sym.describe())),
                    None => diag.with_help("bring `type` into scope with `use std::core::type;` or the package prelude"),
                };
                diags.push(diag);
                env.concepts[i].metatype = intro.name.clone();
            }
        }
        // Supertypes.
        let mut supers = Vec::new();
        for st in &decl.supertypes {
            match env.resolve_type(d.module, st, diags) {
                Some(Type::Concept(s)) => {
                    if s == id {
                        diags.push(Diagnostic::error(
                            codes::SPECIALISATION_CYCLE,
                            st.span,
                            format!("`{}` cannot specialise itself", decl.name.name),
                        ));
                    } else if !supers.contains(&s) {
                        supers.push(s);
                    }
                }
                Some(other) => diags.push(Diagnostic::error(
                    codes::WRONG_KIND,
                    st.span,
                    format!(
                        "a concept can only specialise a concept, not `{}`",
                        env.type_name(&other)
                    ),
                )),
                None => {}
            }
        }
        env.concepts[i].supertypes = supers;
        // Fields and key.
        let mut fields = Vec::new();
        let mut key = None;
        let mut seen = BTreeSet::new();
        match &decl.body {
            ConceptBody::None => {}
            // Resolved once every supertype is known (`cover::resolve`).
            ConceptBody::Cover(_) => {}
            ConceptBody::Fields(fs) => {
                for f in fs {
                    if !seen.insert(f.name.name.clone()) {
                        diags.push(Diagnostic::error(
                            codes::DUPLICATE,
                            f.name.span,
                            format!("field `{}` is declared twice", f.name.name),
                        ));
                        continue;
                    }
                    let ty = env
                        .resolve_type(d.module, &f.ty, diags)
                        .unwrap_or(Type::Unit);
                    let index = fields.len() as u32;
                    if has_attr(&f.attrs, "key") {
                        if key.is_some() {
                            diags.push(Diagnostic::error(
                                codes::DUPLICATE_KEY,
                                f.name.span,
                                "a concept can have only one `#[key]` field",
                            ));
                        } else {
                            key = Some(index);
                        }
                    }
                    let value_ty = field_value_type(&ty);
                    let pred = add_pred(
                        env,
                        format!("{}.{}", decl.name.name, f.name.name),
                        format!("{}.{}", env.concepts[i].path, f.name.name),
                        PredKind::Field(id, index),
                        vec![param("x", Type::Concept(id)), param("value", value_ty)],
                        d.item,
                    );
                    fields.push(Field {
                        name: f.name.name.clone(),
                        ty,
                        mutable: f.is_mut,
                        pred,
                        doc: f.doc.clone(),
                    });
                }
            }
        }
        if key.is_none() {
            key = fields
                .iter()
                .position(|f| f.name == "id" && f.ty == Type::String)
                .map(|k| k as u32);
        }
        env.concepts[i].fields = fields;
        env.concepts[i].key = key;
        if let Some(r) = &decl.refinement {
            match r.kind {
                RefinementKind::Iff => {
                    env.concepts[i].refinement = Refinement::Iff;
                    env.iff[i] = true;
                }
                RefinementKind::Where => {
                    env.concepts[i].refinement = Refinement::Where {
                        conditions: Vec::new(),
                        texts: Vec::new(),
                    }
                }
            }
        }
    }
    break_cycles(env, c, diags);
}

/// Reports specialisation cycles and removes the edge closing each one.
fn break_cycles(env: &mut Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) {
    let n = env.concepts.len();
    for i in 0..n {
        let mut k = 0;
        while k < env.concepts[i].supertypes.len() {
            let sup = env.concepts[i].supertypes[k];
            // Does `sup` reach `i`?
            if env.ancestors(sup).contains(&ConceptId(i as u32)) {
                let span = match &c.concepts[i].item.kind {
                    ItemKind::Concept(d) => d.name.span,
                    _ => c.concepts[i].item.span,
                };
                diags.push(Diagnostic::error(
                    codes::SPECIALISATION_CYCLE,
                    span,
                    format!(
                        "specialisation cycle: `{}` <: `{}` leads back to `{}`",
                        env.concepts[i].name,
                        env.concepts[sup.index()].name,
                        env.concepts[i].name
                    ),
                ));
                env.concepts[i].supertypes.remove(k);
            } else {
                k += 1;
            }
        }
    }
}

fn relations(env: &mut Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) {
    for (i, d) in c.relations.iter().enumerate() {
        let ItemKind::Relation(decl) = &d.item.kind else {
            continue;
        };
        let intro = &decl.introducer;
        match env.scope.lookup_local(d.module, &intro.name) {
            Some(Symbol::Metarel(k)) => env.relations[i].metarel = env.scope.metarels[k].clone(),
            _ => {
                diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_METAREL,
                        intro.span,
                        format!("`{}` is not a metarel in scope", intro.name),
                    )
                    .with_help(
                        "bring `rel` into scope with `use std::core::rel;` or the package prelude",
                    ),
                );
                env.relations[i].metarel = intro.name.clone();
            }
        }
        let mut params = Vec::new();
        let mut seen = BTreeSet::new();
        for e in &decl.endpoints {
            if !seen.insert(e.name.name.clone()) {
                diags.push(Diagnostic::error(
                    codes::DUPLICATE,
                    e.name.span,
                    format!("endpoint `{}` is declared twice", e.name.name),
                ));
            }
            let ty = env
                .resolve_type(d.module, &e.ty, diags)
                .unwrap_or(Type::Unit);
            params.push(param(&e.name.name, ty));
        }
        if decl.cardinalities.len() > decl.endpoints.len() {
            diags.push(Diagnostic::error(
                codes::TOO_MANY_CARDINALITIES,
                decl.cardinalities[decl.endpoints.len()].span,
                format!(
                    "`{}` has {} endpoints but {} cardinalities",
                    decl.name.name,
                    decl.endpoints.len(),
                    decl.cardinalities.len()
                ),
            ));
        }
        let cards = (0..params.len())
            .map(|k| {
                decl.cardinalities
                    .get(k)
                    .map_or(Cardinality::ANY, |c| Cardinality {
                        min: c.min,
                        max: c.max,
                    })
            })
            .collect();
        let fields = relation_fields(env, d, decl, &params, diags);
        let pred = env.relations[i].pred;
        env.preds[pred.index()].params = params.clone();
        if !fields.is_empty() {
            let hidden = field_values_relation(env, i, d, &params, &fields);
            env.relations[i].field_values = Some(hidden);
        }
        env.relations[i].params = params;
        env.relations[i].cardinalities = cards;
        env.relations[i].fields = fields;
    }
}

/// The per-tuple fields of a relation body. A field named like an endpoint
/// or another field is a duplicate; `mut` fields are not supported (tuple
/// fields are set by `insert` and change only by deleting the tuple).
fn relation_fields(
    env: &Env<'_>,
    d: &Decl<'_>,
    decl: &ast::RelationDecl,
    endpoints: &[Param],
    diags: &mut Vec<Diagnostic>,
) -> Vec<Param> {
    let Some(fields) = &decl.fields else {
        return Vec::new();
    };
    for f in fields {
        if endpoints.iter().any(|e| e.name == f.name.name) {
            diags.push(Diagnostic::error(
                codes::DUPLICATE,
                f.name.span,
                format!(
                    "`{}` is already an endpoint of `{}`",
                    f.name.name, decl.name.name
                ),
            ));
        }
        if f.is_mut {
            diags.push(
                Diagnostic::error(
                    codes::NOT_SUPPORTED,
                    f.span,
                    "mutable per-tuple fields are not supported yet",
                )
                .with_help("delete the tuple and insert it again with the new value"),
            );
        }
    }
    fields_of(env, d.module, fields, diags)
}

/// Declares the hidden relation `R.fields(endpoints…, fields…)` that stores
/// each tuple of relation `i` with its field values.
fn field_values_relation(
    env: &mut Env<'_>,
    i: usize,
    d: &Decl<'_>,
    endpoints: &[Param],
    fields: &[Param],
) -> RelationId {
    let id = RelationId(env.relations.len() as u32);
    let params: Vec<Param> = endpoints.iter().chain(fields).cloned().collect();
    let owner = &env.relations[i];
    let (name, path, metarel) = (
        format!("{}.fields", owner.name),
        format!("{}.fields", owner.path),
        owner.metarel.clone(),
    );
    let pred = add_pred(
        env,
        name.clone(),
        path.clone(),
        PredKind::Relation(id),
        params.clone(),
        d.item,
    );
    env.preds[pred.index()].visibility = Visibility::Private;
    env.preds[pred.index()].doc = None;
    env.relations.push(Relation {
        name,
        path,
        metarel,
        visibility: Visibility::Private,
        cardinalities: vec![Cardinality::ANY; params.len()],
        params,
        pred,
        doc: None,
        supertypes: Vec::new(),
        fields: Vec::new(),
        field_values: None,
    });
    id
}

/// Arity, declared parameter types and parameter names of derived predicates.
fn derived_heads(env: &mut Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) {
    for (gi, g) in c.derives.iter().enumerate() {
        let mut arity: Option<usize> = None;
        let mut names: Vec<String> = Vec::new();
        let mut types: Vec<Option<Type>> = Vec::new();
        for item in &g.clauses {
            let ItemKind::Derive(d) = &item.kind else {
                continue;
            };
            match arity {
                None => {
                    arity = Some(d.args.len());
                    names = d
                        .args
                        .iter()
                        .enumerate()
                        .map(|(k, a)| match &a.value.kind {
                            ExprKind::Path(p) if p.segments.len() == 1 => {
                                p.segments[0].name.clone()
                            }
                            _ => format!("arg{k}"),
                        })
                        .collect();
                    types = vec![None; d.args.len()];
                }
                Some(n) if n != d.args.len() => {
                    diags.push(Diagnostic::error(
                        codes::SIGNATURE_MISMATCH,
                        d.name.span,
                        format!(
                            "`{}` has {n} parameters in its first clause but {} here",
                            d.name.name,
                            d.args.len()
                        ),
                    ));
                    continue;
                }
                Some(_) => {}
            }
            for (k, a) in d.args.iter().enumerate() {
                let Some(t) = &a.ty else { continue };
                let Some(ty) = env.resolve_type(g.module, t, diags) else {
                    continue;
                };
                match &types[k] {
                    None => types[k] = Some(ty),
                    Some(prev) if *prev != ty => diags.push(env.mismatch(t.span, prev, &ty)),
                    Some(_) => {}
                }
            }
        }
        // Distinct parameter names.
        let mut seen = BTreeSet::new();
        for (k, n) in names.iter_mut().enumerate() {
            if !seen.insert(n.clone()) {
                *n = format!("arg{k}");
            }
        }
        let pred = env.derived[gi].pred;
        env.preds[pred.index()].params = names.iter().map(|n| param(n, Type::Unit)).collect();
        if let Some(complement) = env.derived[gi].complement {
            env.preds[complement.index()].params = env.preds[pred.index()].params.clone();
        }
        env.derived[gi].types = types;
    }
}

fn checks(env: &mut Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) {
    for (i, d) in c.checks.iter().enumerate() {
        let ItemKind::Check(decl) = &d.item.kind else {
            continue;
        };
        let mut severity = Severity::Warning;
        for a in &d.item.attrs {
            if a.name.name != "severity" {
                continue;
            }
            match a.args.first() {
                Some(AttrArg::Path(p))
                    if p.segments.len() == 1 && p.segments[0].name == "error" =>
                {
                    severity = Severity::Error
                }
                Some(AttrArg::Path(p))
                    if p.segments.len() == 1 && p.segments[0].name == "warning" =>
                {
                    severity = Severity::Warning
                }
                _ => diags.push(Diagnostic::error(
                    codes::WRONG_KIND,
                    a.span,
                    "expected `#[severity(error)]` or `#[severity(warning)]`",
                )),
            }
        }
        env.checks[i].severity = severity;
        env.checks[i].message = decl.message.as_ref().map(|m| m.value.clone());
        let params: Vec<Param> = decl
            .params
            .iter()
            .map(|p| param(&p.name.name, Type::Unit))
            .collect();
        env.checks[i].params = params.clone();
        let pred = env.checks[i].pred;
        env.preds[pred.index()].params = params;
    }
}

/// Parameter list of a query, mutation or function; every parameter needs a type.
fn params_of(
    env: &Env<'_>,
    m: usize,
    params: &[ast::Param],
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Param>, Vec<bool>) {
    let mut out = Vec::new();
    let mut optional = Vec::new();
    let mut seen = BTreeSet::new();
    for p in params {
        if !seen.insert(p.name.name.clone()) {
            diags.push(Diagnostic::error(
                codes::DUPLICATE,
                p.name.span,
                format!("parameter `{}` is declared twice", p.name.name),
            ));
        }
        let ty = match &p.ty {
            Some(t) => env.resolve_type(m, t, diags).unwrap_or(Type::Unit),
            None => {
                diags.push(Diagnostic::error(
                    codes::CANNOT_INFER,
                    p.name.span,
                    format!("parameter `{}` needs a type", p.name.name),
                ));
                Type::Unit
            }
        };
        optional.push(p.optional || matches!(ty, Type::Option(_)));
        out.push(param(&p.name.name, ty));
    }
    (out, optional)
}

fn signatures(env: &mut Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) {
    for d in &c.queries {
        let ItemKind::Query(q) = &d.item.kind else {
            continue;
        };
        let (params, optional) = params_of(env, d.module, &q.params, diags);
        let result = env
            .resolve_type(d.module, &q.ret, diags)
            .unwrap_or(Type::Unit);
        let sig = Sig {
            name: name_of(d),
            path: path_of(&env.scope, d),
            params,
            optional,
            result,
            visibility: visibility(d.item.vis),
        };
        env.queries.push(sig);
    }
    for d in &c.mutations {
        let ItemKind::Mutate(q) = &d.item.kind else {
            continue;
        };
        let (params, optional) = params_of(env, d.module, &q.params, diags);
        let result = match &q.ret {
            Some(t) => env.resolve_type(d.module, t, diags).unwrap_or(Type::Unit),
            None => Type::Unit,
        };
        let sig = Sig {
            name: name_of(d),
            path: path_of(&env.scope, d),
            params,
            optional,
            result,
            visibility: visibility(d.item.vis),
        };
        env.mutations.push(sig);
    }
    for d in &c.fns {
        let ItemKind::Fn(q) = &d.item.kind else {
            continue;
        };
        let (params, optional) = params_of(env, d.module, &q.params, diags);
        let result = env
            .resolve_type(d.module, &q.ret, diags)
            .unwrap_or(Type::Unit);
        let sig = Sig {
            name: name_of(d),
            path: path_of(&env.scope, d),
            params,
            optional,
            result,
            visibility: visibility(d.item.vis),
        };
        env.fns.push(sig);
    }
}

/// Standpoints with their parents; a cycle in the lattice is `OE1211`.
fn standpoints(env: &Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) -> Vec<Standpoint> {
    let mut out: Vec<Standpoint> = Vec::new();
    for d in &c.standpoints {
        let ItemKind::Standpoint(s) = &d.item.kind else {
            continue;
        };
        let mut parents = Vec::new();
        for p in &s.parents {
            match env.scope.resolve(d.module, p) {
                Ok(Symbol::Standpoint(id)) => {
                    if !parents.contains(&id) {
                        parents.push(id);
                    }
                }
                Ok(other) => diags.push(Diagnostic::error(
                    codes::WRONG_KIND,
                    p.span,
                    format!("expected a standpoint, found {}", other.describe()),
                )),
                Err(e) => diags.push(e),
            }
        }
        out.push(Standpoint {
            name: name_of(d),
            path: path_of(&env.scope, d),
            parents,
        });
    }
    // Cycle detection: drop the edge that closes a cycle.
    for i in 0..out.len() {
        let mut k = 0;
        while k < out[i].parents.len() {
            let p = out[i].parents[k];
            if reaches(&out, p, StandpointId(i as u32)) {
                let span = match &c.standpoints[i].item.kind {
                    ItemKind::Standpoint(s) => s.name.span,
                    _ => c.standpoints[i].item.span,
                };
                diags.push(Diagnostic::error(
                    codes::STANDPOINT_CYCLE,
                    span,
                    format!(
                        "standpoint lattice cycle through `{}` and `{}`",
                        out[i].name,
                        out[p.index()].name
                    ),
                ));
                out[i].parents.remove(k);
            } else {
                k += 1;
            }
        }
    }
    out
}

fn reaches(sps: &[Standpoint], from: StandpointId, to: StandpointId) -> bool {
    let mut stack = vec![from];
    let mut seen = BTreeSet::new();
    while let Some(s) = stack.pop() {
        if s == to {
            return true;
        }
        if seen.insert(s) {
            if let Some(sp) = sps.get(s.index()) {
                stack.extend(sp.parents.iter().copied());
            }
        }
    }
    false
}
