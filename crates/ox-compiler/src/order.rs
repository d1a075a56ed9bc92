//! Canonical order of the module: predicates sorted by path (with every
//! `PredId` renumbered) and rules sorted by (head path, origin, clause), so
//! that the order of items in source never changes the Module.

use std::cmp::Ordering;

use ox_ir::{
    Atom, Expr, Literal, Module, PredId, PredKind, Projection, QueryBody, Rule, RuleOrigin, Stmt,
    Test, Type,
};

fn kind_rank(k: &PredKind) -> u8 {
    match k {
        PredKind::Concept(_) => 0,
        PredKind::Field(..) => 1,
        PredKind::Relation(_) => 2,
        PredKind::Derived => 3,
        PredKind::Check(_) => 4,
        PredKind::Complement(_) => 5,
    }
}

/// Sorts predicates and rules and renumbers predicate ids everywhere.
pub(crate) fn canonicalize(module: &mut Module, tests: &mut [Test]) {
    let n = module.predicates.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&module.predicates[a], &module.predicates[b]);
        pa.path
            .cmp(&pb.path)
            .then(kind_rank(&pa.kind).cmp(&kind_rank(&pb.kind)))
            .then(a.cmp(&b))
    });
    let mut new_of = vec![0u32; n];
    for (new, old) in order.iter().enumerate() {
        new_of[*old] = new as u32;
    }
    let map = |p: &mut PredId| {
        if let Some(n) = new_of.get(p.index()) {
            *p = PredId(*n);
        }
    };
    let old = std::mem::take(&mut module.predicates);
    module.predicates = order.iter().map(|&i| old[i].clone()).collect();
    for p in &mut module.predicates {
        for param in &mut p.params {
            ty(&mut param.ty, &map);
        }
        if let PredKind::Complement(of) = &mut p.kind {
            map(of);
        }
    }
    for c in &mut module.concepts {
        map(&mut c.pred);
        for f in &mut c.fields {
            map(&mut f.pred);
            ty(&mut f.ty, &map);
        }
        if let ox_ir::Refinement::Where { conditions, .. } = &mut c.refinement {
            conditions.iter_mut().for_each(|e| expr(e, &map));
        }
    }
    for r in &mut module.relations {
        map(&mut r.pred);
        r.params.iter_mut().for_each(|p| ty(&mut p.ty, &map));
    }
    for s in &mut module.structs {
        s.fields.iter_mut().for_each(|p| ty(&mut p.ty, &map));
    }
    for e in &mut module.enums {
        for v in &mut e.variants {
            v.payload.iter_mut().for_each(|p| ty(&mut p.ty, &map));
        }
    }
    for c in &mut module.checks {
        map(&mut c.pred);
        c.params.iter_mut().for_each(|p| ty(&mut p.ty, &map));
    }
    for r in &mut module.rules {
        rule(r, &map);
    }
    for q in &mut module.queries {
        q.params.iter_mut().for_each(|p| ty(&mut p.ty, &map));
        ty(&mut q.result, &map);
        match &mut q.body {
            QueryBody::Extent(p) => map(p),
            QueryBody::Select(s) => {
                s.body.iter_mut().for_each(|l| literal(l, &map));
                match &mut s.projection {
                    Projection::Value(e) => expr(e, &map),
                    Projection::Record(fields) => {
                        fields.iter_mut().for_each(|(_, e)| expr(e, &map))
                    }
                }
                s.order_by.iter_mut().for_each(|(e, _)| expr(e, &map));
            }
        }
    }
    for m in &mut module.mutations {
        m.params.iter_mut().for_each(|p| ty(&mut p.ty, &map));
        ty(&mut m.result, &map);
        stmts(&mut m.body, &map);
    }
    for f in &mut module.functions {
        f.params.iter_mut().for_each(|p| ty(&mut p.ty, &map));
        ty(&mut f.result, &map);
        expr(&mut f.body, &map);
    }
    for t in tests.iter_mut() {
        stmts(&mut t.body, &map);
    }
    let preds = &module.predicates;
    module.rules.sort_by(|a, b| rule_order(preds, a, b));
}

fn origin_key(r: &Rule) -> (u8, String, u32) {
    match &r.origin {
        RuleOrigin::Specialisation { sub, .. } => (0, format!("{:010}", sub.0), 0),
        RuleOrigin::RelationSpecialisation { sub, .. } => (0, format!("r{:010}", sub.0), 0),
        RuleOrigin::Refinement(_) => (1, String::new(), 0),
        RuleOrigin::Derive { name, clause } => (2, name.clone(), *clause),
        RuleOrigin::Check(_) => (3, String::new(), 0),
    }
}

fn rule_order(preds: &[ox_ir::Predicate], a: &Rule, b: &Rule) -> Ordering {
    let path = |r: &Rule| {
        preds
            .get(r.head.pred.index())
            .map(|p| p.path.clone())
            .unwrap_or_default()
    };
    path(a)
        .cmp(&path(b))
        .then_with(|| origin_key(a).cmp(&origin_key(b)))
}

fn ty(t: &mut Type, map: &dyn Fn(&mut PredId)) {
    match t {
        Type::Tuple(p) => map(p),
        Type::Option(t) | Type::Set(t) | Type::List(t, _) => ty(t, map),
        Type::Map(k, v) => {
            ty(k, map);
            ty(v, map);
        }
        Type::Record(fields) => fields.iter_mut().for_each(|(_, t)| ty(t, map)),
        _ => {}
    }
}

fn atom(a: &mut Atom, map: &dyn Fn(&mut PredId)) {
    map(&mut a.pred);
}

fn literal(l: &mut Literal, map: &dyn Fn(&mut PredId)) {
    match l {
        Literal::Pos(a) | Literal::Neg(a) => atom(a, map),
        Literal::Compare { left, right, .. } => {
            expr(left, map);
            expr(right, map);
        }
        Literal::Bind { expr: e, .. } => expr(e, map),
        Literal::Aggregate { body, value, .. } => {
            body.iter_mut().for_each(|l| literal(l, map));
            if let Some(e) = value {
                expr(e, map);
            }
        }
    }
}

fn rule(r: &mut Rule, map: &dyn Fn(&mut PredId)) {
    atom(&mut r.head, map);
    r.body.iter_mut().for_each(|l| literal(l, map));
}

fn expr(e: &mut Expr, map: &dyn Fn(&mut PredId)) {
    match e {
        Expr::Const(_) | Expr::Var(_) | Expr::Extent(_) => {}
        Expr::Field { base, .. } | Expr::StructField { base, .. } => expr(base, map),
        Expr::Unary { expr: x, .. } => expr(x, map),
        Expr::Binary { left, right, .. } => {
            expr(left, map);
            expr(right, map);
        }
        Expr::If {
            cond,
            then,
            otherwise,
        } => {
            expr(cond, map);
            expr(then, map);
            expr(otherwise, map);
        }
        Expr::Call { args, .. }
        | Expr::Builtin { args, .. }
        | Expr::List(args)
        | Expr::Struct { fields: args, .. }
        | Expr::Variant { payload: args, .. } => args.iter_mut().for_each(|a| expr(a, map)),
        Expr::Match { scrutinee, arms } => {
            expr(scrutinee, map);
            arms.iter_mut().for_each(|a| expr(&mut a.body, map));
        }
        Expr::Holds { pred, args } => {
            map(pred);
            args.iter_mut().for_each(|a| expr(a, map));
        }
        Expr::Query { args, .. } => args.iter_mut().flatten().for_each(|a| expr(a, map)),
        Expr::Comprehension {
            source,
            filter,
            element,
            ..
        }
        | Expr::Aggregate {
            source,
            filter,
            element,
            ..
        } => {
            expr(source, map);
            if let Some(f) = filter {
                expr(f, map);
            }
            expr(element, map);
        }
        Expr::Let { value, body, .. } => {
            expr(value, map);
            expr(body, map);
        }
        Expr::MapLit(entries) => entries.iter_mut().for_each(|(k, v)| {
            expr(k, map);
            expr(v, map);
        }),
        Expr::Index { base, index } => {
            expr(base, map);
            expr(index, map);
        }
        Expr::Try(inner) => expr(inner, map),
    }
}

fn stmts(ss: &mut [Stmt], map: &dyn Fn(&mut PredId)) {
    for s in ss {
        match s {
            Stmt::Let { value: e, .. }
            | Stmt::Require { cond: e, .. }
            | Stmt::InsertIof { individual: e, .. }
            | Stmt::DeleteIof { individual: e, .. }
            | Stmt::DeleteIndividual(e)
            | Stmt::Emit { value: e, .. }
            | Stmt::Forget(e)
            | Stmt::Return(e)
            | Stmt::Assert { cond: e, .. } => expr(e, map),
            Stmt::InsertIndividual { fields, .. } => {
                fields.iter_mut().for_each(|(_, e)| expr(e, map))
            }
            Stmt::InsertTuple { args, .. }
            | Stmt::DeleteTuple { args, .. }
            | Stmt::CallMutation { args, .. } => args.iter_mut().for_each(|e| expr(e, map)),
            Stmt::Update { target, sets } => {
                expr(target, map);
                sets.iter_mut().for_each(|(_, _, e)| expr(e, map));
            }
            Stmt::For { source, body, .. } => {
                expr(source, map);
                stmts(body, map);
            }
            Stmt::If {
                cond,
                then,
                otherwise,
            } => {
                expr(cond, map);
                stmts(then, map);
                stmts(otherwise, map);
            }
        }
    }
}
