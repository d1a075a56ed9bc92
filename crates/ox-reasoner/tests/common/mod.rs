//! Builds IR modules and rules for tests without the compiler.
#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use ox_ir::analysis::expr_vars;
use ox_ir::{
    Atom, BinaryOp, Builtin, CmpOp, Defeasibility, Expr, Literal, Module, PackageInfo, Param,
    PredId, PredKind, Predicate, Rule, RuleOrigin, Term, Type, Value, VarId, Visibility,
};
use ox_reasoner::{EvalContext, FactStore};

/// Accumulates predicates and rules; [`ModuleBuilder::build`] gives the module.
pub struct ModuleBuilder {
    module: Module,
}

impl Default for ModuleBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ModuleBuilder {
    pub fn new() -> ModuleBuilder {
        ModuleBuilder {
            module: Module {
                package: PackageInfo {
                    name: "test".into(),
                    version: "0.0.0".into(),
                    entry: "src/root.ar".into(),
                },
                concepts: vec![],
                relations: vec![],
                structs: vec![],
                enums: vec![],
                predicates: vec![],
                rules: vec![],
                checks: vec![],
                queries: vec![],
                mutations: vec![],
                functions: vec![],
                standpoints: vec![],
            },
        }
    }

    /// Declares a predicate of `arity` columns (all of type `Int`).
    pub fn pred(&mut self, name: &str, arity: usize) -> PredId {
        self.module.predicates.push(Predicate {
            name: name.into(),
            path: format!("test::{name}"),
            kind: PredKind::Derived,
            params: (0..arity)
                .map(|i| Param {
                    name: format!("a{i}"),
                    ty: Type::Int,
                })
                .collect(),
            visibility: Visibility::Public,
            doc: None,
        });
        PredId(self.module.predicates.len() as u32 - 1)
    }

    /// Adds `head :- body`; `var_count` is one more than the largest variable used.
    pub fn rule(&mut self, head: Atom, body: Vec<Literal>) -> usize {
        let name = self.module.predicates[head.pred.index()].name.clone();
        let clause = self
            .module
            .rules
            .iter()
            .filter(|r| r.head.pred == head.pred)
            .count() as u32;
        let var_count = var_count(&head, &body);
        self.module.rules.push(Rule {
            head,
            body,
            var_count,
            var_names: (0..var_count).map(|i| format!("v{i}")).collect(),
            origin: RuleOrigin::Derive { name, clause },
            defeasibility: Defeasibility::default(),
            standpoint: None,
        });
        self.module.rules.len() - 1
    }

    /// Adds a rule with defeasibility markers (see [`ModuleBuilder::rule`]).
    pub fn rule_with(
        &mut self,
        head: Atom,
        body: Vec<Literal>,
        defeasibility: Defeasibility,
    ) -> usize {
        let r = self.rule(head, body);
        self.module.rules[r].defeasibility = defeasibility;
        r
    }

    /// Declares the strong negation `~p` of predicate `p`.
    pub fn complement(&mut self, p: PredId) -> PredId {
        let of = self.module.predicates[p.index()].clone();
        self.module.predicates.push(Predicate {
            name: format!("~{}", of.name),
            path: format!("~{}", of.path),
            kind: PredKind::Complement(p),
            ..of
        });
        PredId(self.module.predicates.len() as u32 - 1)
    }

    /// `out(x, y) :- start(x, y).  out(x, z) :- out(x, y), step(y, z).`: a
    /// transitive closure when `start` and `step` are one relation, a
    /// taxonomy's types when they are instances and subclass links.
    pub fn linear_closure(&mut self, start: PredId, step: PredId, out: PredId) {
        self.rule(
            atom(out, vec![v(0), v(1)]),
            vec![pos(start, vec![v(0), v(1)])],
        );
        self.rule(
            atom(out, vec![v(0), v(2)]),
            vec![pos(out, vec![v(0), v(1)]), pos(step, vec![v(1), v(2)])],
        );
    }

    /// Same generation over `par` (child, parent): `sg(x, y)` when `x` and
    /// `y` share a parent, or their parents are of the same generation.
    /// Returns (`par`, `sg`).
    pub fn same_generation(&mut self) -> (PredId, PredId) {
        let par = self.pred("par", 2);
        let sg = self.pred("sg", 2);
        self.rule(
            atom(sg, vec![v(0), v(1)]),
            vec![pos(par, vec![v(0), v(2)]), pos(par, vec![v(1), v(2)])],
        );
        self.rule(
            atom(sg, vec![v(0), v(1)]),
            vec![
                pos(par, vec![v(0), v(2)]),
                pos(sg, vec![v(2), v(3)]),
                pos(par, vec![v(1), v(3)]),
            ],
        );
        (par, sg)
    }

    pub fn build(self) -> Module {
        self.module
    }
}

pub fn var_count(head: &Atom, body: &[Literal]) -> u32 {
    let mut vars: Vec<VarId> = Vec::new();
    let terms = |a: &Atom, out: &mut Vec<VarId>| {
        for t in &a.args {
            if let Term::Var(v) = t {
                out.push(*v);
            }
        }
    };
    terms(head, &mut vars);
    for l in body {
        match l {
            Literal::Pos(a) | Literal::Neg(a) => terms(a, &mut vars),
            Literal::Compare { left, right, .. } => {
                expr_vars(left, &mut vars);
                expr_vars(right, &mut vars);
            }
            Literal::Bind { var, expr } => {
                vars.push(*var);
                expr_vars(expr, &mut vars);
            }
            Literal::Aggregate {
                result,
                group_by,
                body,
                value,
                ..
            } => {
                vars.push(*result);
                vars.extend(group_by.iter().copied());
                let dummy = Atom {
                    pred: PredId(0),
                    args: vec![],
                };
                let inner = var_count(&dummy, body);
                if inner > 0 {
                    vars.push(VarId(inner - 1));
                }
                if let Some(value) = value {
                    expr_vars(value, &mut vars);
                }
            }
        }
    }
    vars.iter().map(|v| v.0 + 1).max().unwrap_or(0)
}

pub fn v(i: u32) -> Term {
    Term::Var(VarId(i))
}
pub fn int(n: i64) -> Term {
    Term::Const(Value::Int(n))
}
pub fn s(text: &str) -> Term {
    Term::Const(Value::String(text.into()))
}
pub fn atom(pred: PredId, args: Vec<Term>) -> Atom {
    Atom { pred, args }
}
pub fn pos(pred: PredId, args: Vec<Term>) -> Literal {
    Literal::Pos(atom(pred, args))
}
pub fn neg(pred: PredId, args: Vec<Term>) -> Literal {
    Literal::Neg(atom(pred, args))
}
pub fn cmp(op: CmpOp, left: Expr, right: Expr) -> Literal {
    Literal::Compare { op, left, right }
}
pub fn bind(var: u32, expr: Expr) -> Literal {
    Literal::Bind {
        var: VarId(var),
        expr,
    }
}
pub fn ev(i: u32) -> Expr {
    Expr::Var(VarId(i))
}
pub fn ei(n: i64) -> Expr {
    Expr::Const(Value::Int(n))
}
pub fn bin(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
    }
}
pub fn builtin(builtin: Builtin, args: Vec<Expr>) -> Expr {
    Expr::Builtin { builtin, args }
}

/// A fixed evaluation time: 2026-03-15T12:00:00Z, no deadline.
pub fn ctx() -> EvalContext {
    EvalContext::at(Utc.with_ymd_and_hms(2026, 3, 15, 12, 0, 0).unwrap())
}

/// Inserts binary `Int` facts.
pub fn insert_pairs(store: &mut FactStore, pred: PredId, pairs: &[(i64, i64)]) {
    for &(a, b) in pairs {
        store.insert(pred, vec![Value::Int(a), Value::Int(b)]);
    }
}

/// Inserts unary `Int` facts.
pub fn insert_ints(store: &mut FactStore, pred: PredId, xs: impl IntoIterator<Item = i64>) {
    for x in xs {
        store.insert(pred, vec![Value::Int(x)]);
    }
}

pub fn ints(xs: &[i64]) -> Vec<Value> {
    xs.iter().map(|&x| Value::Int(x)).collect()
}
