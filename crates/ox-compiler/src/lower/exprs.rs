//! Lowering and type checking of expressions in functions, query
//! projections, `where` invariants, mutations and tests.

use std::collections::BTreeSet;

use ox_ir::{Builtin, ConceptId, Expr, FnId, MutationId, Type, Value, VarId};
use ox_syntax::ast::{self, BinaryOp, ExprKind, QuantifierKind, StmtKind, UnaryOp};
use ox_syntax::{Diagnostic, Span};

use super::env::{path_text, Env};
use super::rules::{binary_type, date_part, ir_binop, is_literal, literal_const, literal_hint};
use super::vars::Vars;
use crate::codes;
use crate::scope::{closest, Symbol};
use crate::types::{self, DURATION_UNITS};

/// What kind of body is being lowered (decides which statements are allowed).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum BodyKind {
    Fn,
    Mutation,
    Test,
    Query,
    Invariant,
}

/// Lowering context of one procedural body.
pub(crate) struct ProcCx<'e> {
    pub env: &'e Env<'e>,
    pub m: usize,
    pub diags: Vec<Diagnostic>,
    pub vars: Vars,
    pub kind: BodyKind,
    /// Declared result type (`return` is checked against it).
    pub result: Type,
    pub called_fns: BTreeSet<FnId>,
    pub called_mutations: BTreeSet<MutationId>,
    pub forget_spans: Vec<Span>,
    /// In a grouped query: the aggregates met so far (`count(l)` … become
    /// locals computed per group). `None` elsewhere.
    pub aggregates: Option<Vec<ox_ir::QueryAggregate>>,
    /// True while lowering the condition of an `if` (outside `!` and `||`):
    /// only there do `x is P` bindings reach the enclosing scope (the then branch).
    pub if_condition: bool,
}

fn null() -> Expr {
    Expr::Const(Value::Null)
}

impl<'e> ProcCx<'e> {
    /// A context with an empty variable table.
    pub fn new(env: &'e Env<'e>, m: usize, kind: BodyKind, result: Type) -> ProcCx<'e> {
        ProcCx {
            env,
            m,
            diags: Vec::new(),
            vars: Vars::new(),
            kind,
            result,
            called_fns: BTreeSet::new(),
            called_mutations: BTreeSet::new(),
            forget_spans: Vec::new(),
            aggregates: None,
            if_condition: false,
        }
    }

    pub(crate) fn error(&mut self, code: &'static str, span: Span, msg: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, span, msg));
    }

    /// Reports `found` where `expected` is required.
    pub fn expect(&mut self, span: Span, expected: &Type, found: Option<&Type>) {
        if let Some(f) = found {
            if !self.env.assignable(f, expected) {
                let d = self.env.mismatch(span, expected, f);
                self.diags.push(d);
            }
        }
    }

    /// Lowers `e` and checks it against `expected`.
    pub fn expr_of(&mut self, e: &ast::Expr, expected: &Type) -> Expr {
        let (x, t) = self.expr(e, Some(expected));
        self.expect(e.span, expected, t.as_ref());
        x
    }

    fn lit(
        &mut self,
        lit: &ast::LitKind,
        expected: Option<&Type>,
        negative: bool,
        span: Span,
    ) -> (Expr, Option<Type>) {
        match literal_const(lit, expected, negative) {
            Ok((e, t)) => (e, Some(t)),
            Err((code, msg)) => {
                self.error(code, span, msg);
                (null(), None)
            }
        }
    }

    /// Lowers an expression; the type is `None` when unknown (an error was reported).
    pub fn expr(&mut self, e: &ast::Expr, expected: Option<&Type>) -> (Expr, Option<Type>) {
        match &e.kind {
            ExprKind::Lit(l) => self.lit(&l.kind, expected, false, e.span),
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                if let ExprKind::Lit(l) = &operand.kind {
                    return self.lit(&l.kind, expected, true, e.span);
                }
                let (x, t) = self.expr(operand, expected);
                if let Some(t) = &t {
                    if !t.is_numeric() && *t != Type::Duration {
                        self.error(
                            codes::TYPE_MISMATCH,
                            e.span,
                            format!("cannot negate a value of type `{}`", self.env.type_name(t)),
                        );
                    }
                }
                (
                    Expr::Unary {
                        op: ox_ir::UnaryOp::Neg,
                        expr: Box::new(x),
                    },
                    t,
                )
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let outer = std::mem::replace(&mut self.if_condition, false);
                let x = self.expr_of(operand, &Type::Bool);
                self.if_condition = outer;
                (
                    Expr::Unary {
                        op: ox_ir::UnaryOp::Not,
                        expr: Box::new(x),
                    },
                    Some(Type::Bool),
                )
            }
            ExprKind::Path(p) => self.path(p, expected),
            ExprKind::Field { base, name } => self.field(base, name, e.span),
            ExprKind::MethodCall {
                receiver,
                method,
                args,
            } => self.method_call(receiver, method, args, e.span),
            ExprKind::Index { base, index } => self.index(base, index, e.span),
            ExprKind::Try(inner) => self.try_expr(inner, e.span),
            ExprKind::Map(entries) => self.map_literal(entries, expected, e.span),
            ExprKind::Call { func, args } => self.call(func, args, e.span),
            ExprKind::Binary { op, lhs, rhs } => {
                let outer = self.if_condition;
                self.if_condition = outer && *op == BinaryOp::And;
                let ((l, lt), (r, rt)) = self.operands(*op, lhs, rhs);
                self.if_condition = outer;
                let mut diags = Vec::new();
                let t = binary_type(self.env, &mut diags, *op, lt.as_ref(), rt.as_ref(), e.span);
                self.diags.extend(diags);
                (
                    Expr::Binary {
                        op: ir_binop(*op),
                        left: Box::new(l),
                        right: Box::new(r),
                    },
                    t,
                )
            }
            ExprKind::If {
                cond,
                then_branch,
                else_branch,
            } => {
                // Bindings of `if x is P { … }` are in scope in the then branch only.
                self.vars.push();
                let c = self.condition(cond);
                let (then, tt) = self.block(then_branch, expected);
                self.vars.pop();
                let (otherwise, et) = match else_branch {
                    Some(eb) => self.expr(eb, tt.as_ref().or(expected)),
                    None => (null(), Some(Type::Unit)),
                };
                let ty = match (&tt, &et) {
                    (Some(a), Some(b)) if else_branch.is_some() => {
                        if self.env.assignable(b, a) {
                            Some(a.clone())
                        } else if self.env.assignable(a, b) {
                            Some(b.clone())
                        } else {
                            let d = self.env.mismatch(e.span, a, b);
                            self.diags.push(d);
                            None
                        }
                    }
                    (Some(a), _) if else_branch.is_none() => {
                        Some(Type::Option(Box::new(a.clone())))
                    }
                    _ => None,
                };
                (
                    Expr::If {
                        cond: Box::new(c),
                        then: Box::new(then),
                        otherwise: Box::new(otherwise),
                    },
                    ty,
                )
            }
            ExprKind::Match { scrutinee, arms } => self.match_expr(scrutinee, arms, expected),
            ExprKind::Is { expr, pattern } => self.is_expr(expr, pattern),
            ExprKind::Block(b) => self.block(b, expected),
            ExprKind::List(items) => {
                let elem_expected = expected.and_then(|t| t.without_option().element()).cloned();
                let mut elem_ty = elem_expected.clone();
                let mut out = Vec::new();
                for it in items {
                    let (x, t) = self.expr(it, elem_ty.as_ref());
                    match (&elem_ty, &t) {
                        (None, Some(t)) => elem_ty = Some(t.clone()),
                        (Some(want), Some(found)) if !self.env.assignable(found, want) => {
                            let d = self.env.mismatch(it.span, want, found);
                            self.diags.push(d);
                        }
                        _ => {}
                    }
                    out.push(x);
                }
                let t = elem_ty.map(|t| Type::List(Box::new(t), ox_ir::Cardinality::ANY));
                (Expr::List(out), t)
            }
            ExprKind::Comprehension(c) => {
                let (var, source, filter, element, et) = self.comprehension(c);
                (
                    Expr::Comprehension {
                        var,
                        source: Box::new(source),
                        filter,
                        element: Box::new(element),
                    },
                    et.map(|t| Type::List(Box::new(t), ox_ir::Cardinality::ANY)),
                )
            }
            ExprKind::Struct { path, fields, base } => {
                self.struct_lit(path, fields, base.as_deref(), e.span)
            }
            ExprKind::Aggregate(a)
                if self.aggregates.is_some() && matches!(a.form, ast::AggregateForm::Group(_)) =>
            {
                self.query_aggregate(a, e.span)
            }
            ExprKind::Aggregate(a) => self.fold_aggregate(a, e.span),
            ExprKind::Insert { .. } => {
                self.error(
                    codes::WRONG_KIND,
                    e.span,
                    "`insert` can only be used as a statement or as `let x = insert …;`",
                );
                (null(), None)
            }
            ExprKind::Quantifier {
                kind,
                var,
                source,
                body,
            } => {
                let (src, elem) = self.source(source);
                self.vars.push();
                let v = self.vars.declare(&var.name, elem);
                let cond = self.expr_of(body, &Type::Bool);
                self.vars.pop();
                let filter = match kind {
                    QuantifierKind::Exists => cond,
                    QuantifierKind::Forall => Expr::Unary {
                        op: ox_ir::UnaryOp::Not,
                        expr: Box::new(cond),
                    },
                };
                let count = Expr::Builtin {
                    builtin: Builtin::Len,
                    args: vec![Expr::Comprehension {
                        var: v,
                        source: Box::new(src),
                        filter: Some(Box::new(filter)),
                        element: Box::new(Expr::Var(v)),
                    }],
                };
                let op = match kind {
                    QuantifierKind::Exists => ox_ir::BinaryOp::Gt,
                    QuantifierKind::Forall => ox_ir::BinaryOp::Eq,
                };
                (
                    Expr::Binary {
                        op,
                        left: Box::new(count),
                        right: Box::new(Expr::Const(Value::Nat(0))),
                    },
                    Some(Type::Bool),
                )
            }
        }
    }

    /// The condition of an `if`: its `is` bindings stay visible in the
    /// scope the caller opened for the then branch.
    pub(crate) fn condition(&mut self, cond: &ast::Expr) -> Expr {
        let outer = std::mem::replace(&mut self.if_condition, true);
        let c = self.expr_of(cond, &Type::Bool);
        self.if_condition = outer;
        c
    }

    fn operands(
        &mut self,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
    ) -> ((Expr, Option<Type>), (Expr, Option<Type>)) {
        if is_literal(lhs) && !is_literal(rhs) {
            let r = self.expr(rhs, None);
            let hint = literal_hint(op, r.1.as_ref());
            let l = self.expr(lhs, hint.as_ref());
            (l, r)
        } else {
            let l = self.expr(lhs, None);
            let hint = literal_hint(op, l.1.as_ref());
            let r = self.expr(rhs, hint.as_ref());
            (l, r)
        }
    }

    /// The parts of `[e for x in xs where p]`: the bound variable, the
    /// source, the filter, the element and the element's type.
    pub(crate) fn comprehension(
        &mut self,
        c: &ast::Comprehension,
    ) -> (VarId, Expr, Option<Box<Expr>>, Expr, Option<Type>) {
        let (source, elem) = self.source(&c.source);
        self.vars.push();
        let var = self.vars.declare(&c.var.name, elem);
        let filter = c
            .filter
            .as_ref()
            .map(|f| Box::new(self.expr_of(f, &Type::Bool)));
        let (element, et) = self.expr(&c.elem, None);
        self.vars.pop();
        (var, source, filter, element, et)
    }

    /// A collection or a type extent ranged over by `for`, comprehensions and quantifiers.
    pub fn source(&mut self, e: &ast::Expr) -> (Expr, Option<Type>) {
        let (x, t) = self.expr(e, None);
        let elem = match &t {
            Some(Type::List(t, _) | Type::Set(t)) => Some((**t).clone()),
            Some(other) => {
                let other = other.clone();
                self.error(
                    codes::TYPE_MISMATCH,
                    e.span,
                    format!(
                        "expected a collection or a concept, found `{}`",
                        self.env.type_name(&other)
                    ),
                );
                None
            }
            None => None,
        };
        (x, elem)
    }

    fn path(&mut self, p: &ast::Path, expected: Option<&Type>) -> (Expr, Option<Type>) {
        if p.segments.len() == 1 {
            let name = &p.segments[0].name;
            if let Some(v) = self.vars.lookup(name) {
                return (Expr::Var(v), self.vars.ty(v).cloned());
            }
            if let Some(Type::Enum(e)) = expected.map(Type::without_option) {
                if let Some(i) = self
                    .env
                    .enums
                    .get(e.index())
                    .and_then(|d| d.variants.iter().position(|v| v.name == *name))
                {
                    return (
                        Expr::Const(Value::Enum(*e, i as u32, Vec::new())),
                        Some(Type::Enum(*e)),
                    );
                }
            }
        }
        match self.env.scope.resolve(self.m, p) {
            Ok(Symbol::Variant(e, i)) => (
                Expr::Const(Value::Enum(e, i, Vec::new())),
                Some(Type::Enum(e)),
            ),
            Ok(Symbol::Concept(c)) => {
                (Expr::Extent(c), Some(Type::Set(Box::new(Type::Concept(c)))))
            }
            Ok(sym) => {
                self.error(
                    codes::WRONG_KIND,
                    p.span,
                    format!("`{}` is {}, not a value", path_text(p), sym.describe()),
                );
                (null(), None)
            }
            Err(mut d) => {
                if p.segments.len() == 1 && d.code == codes::UNRESOLVED {
                    let names = self.vars.names.clone();
                    if let Some(s) = closest(&p.segments[0].name, names.iter().map(String::as_str))
                    {
                        d.help = Some(format!("a similar name exists: `{s}`"));
                    }
                }
                self.diags.push(d);
                (null(), None)
            }
        }
    }

    fn field(&mut self, base: &ast::Expr, name: &ast::Ident, span: Span) -> (Expr, Option<Type>) {
        if let ExprKind::Lit(lit) = &base.kind {
            match types::unit_literal(&lit.kind, &name.name) {
                Some(Ok((value, ty))) => return (Expr::Const(value), Some(ty)),
                Some(Err((code, msg))) => {
                    self.error(code, span, msg);
                    return (null(), None);
                }
                None => {}
            }
        }
        let (b, bt) = self.expr(base, None);
        let Some(bt) = bt else { return (null(), None) };
        let optional = matches!(bt, Type::Option(_));
        match bt.without_option().clone() {
            Type::Concept(c) => match self.env.find_field(c, &name.name) {
                Some((fref, f)) => {
                    let t = if optional && !matches!(f.ty, Type::Option(_)) {
                        Type::Option(Box::new(f.ty.clone()))
                    } else {
                        f.ty.clone()
                    };
                    (
                        Expr::Field {
                            base: Box::new(b),
                            field: fref,
                        },
                        Some(t),
                    )
                }
                None => {
                    self.unknown_field(c, name);
                    (null(), None)
                }
            },
            Type::Struct(s) => {
                let decl = &self.env.structs[s.index()];
                match decl.fields.iter().position(|f| f.name == name.name) {
                    Some(i) => (
                        Expr::StructField {
                            base: Box::new(b),
                            index: i as u32,
                        },
                        Some(decl.fields[i].ty.clone()),
                    ),
                    None => {
                        let msg = format!("struct `{}` has no field `{}`", decl.name, name.name);
                        self.error(codes::UNKNOWN_FIELD, name.span, msg);
                        (null(), None)
                    }
                }
            }
            t if t.is_integer() && DURATION_UNITS.contains(&name.name.as_str()) => (
                Expr::Builtin {
                    builtin: Builtin::DurationOf(name.name.clone()),
                    args: vec![b],
                },
                Some(Type::Duration),
            ),
            t if date_part(&t, &name.name) => (
                Expr::Builtin {
                    builtin: Builtin::DatePart(name.name.clone()),
                    args: vec![b],
                },
                Some(Type::Int),
            ),
            t => {
                let msg = format!(
                    "type `{}` has no field `{}`",
                    self.env.type_name(&t),
                    name.name
                );
                self.error(codes::UNKNOWN_FIELD, name.span, msg);
                (null(), None)
            }
        }
    }

    pub(crate) fn unknown_field(&mut self, c: ConceptId, name: &ast::Ident) {
        let mut d = Diagnostic::error(
            codes::UNKNOWN_FIELD,
            name.span,
            format!(
                "concept `{}` has no field `{}`",
                self.env.concepts[c.index()].name,
                name.name
            ),
        );
        let names: Vec<String> = self
            .env
            .all_fields(c)
            .iter()
            .map(|(_, f)| f.name.clone())
            .collect();
        if let Some(s) = closest(&name.name, names.iter().map(String::as_str)) {
            d = d.with_help(format!("a similar field exists: `{s}`"));
        }
        self.diags.push(d);
    }

    /// Checks an argument list against parameter types (`None` = unknown).
    pub fn args(
        &mut self,
        what: &str,
        args: &[ast::Expr],
        params: &[Option<Type>],
        span: Span,
    ) -> Option<Vec<Expr>> {
        if args.len() != params.len() {
            self.error(
                codes::SIGNATURE_MISMATCH,
                span,
                format!(
                    "`{what}` takes {} argument(s), found {}",
                    params.len(),
                    args.len()
                ),
            );
            for a in args {
                self.expr(a, None);
            }
            return None;
        }
        Some(
            args.iter()
                .zip(params)
                .map(|(a, p)| match p {
                    Some(t) => self.expr_of(a, t),
                    None => self.expr(a, None).0,
                })
                .collect(),
        )
    }

    fn call(&mut self, func: &ast::Path, args: &[ast::Expr], span: Span) -> (Expr, Option<Type>) {
        if func.segments.len() == 1 && args.is_empty() {
            match func.segments[0].name.as_str() {
                "today" if self.vars.lookup("today").is_none() => {
                    return (
                        Expr::Builtin {
                            builtin: Builtin::Today,
                            args: Vec::new(),
                        },
                        Some(Type::Date),
                    )
                }
                "now" if self.vars.lookup("now").is_none() => {
                    return (
                        Expr::Builtin {
                            builtin: Builtin::Now,
                            args: Vec::new(),
                        },
                        Some(Type::DateTime),
                    )
                }
                _ => {}
            }
        }
        let sym = match self.env.scope.resolve(self.m, func) {
            Ok(s) => s,
            Err(d) => {
                self.diags.push(d);
                for a in args {
                    self.expr(a, None);
                }
                return (null(), None);
            }
        };
        let name = path_text(func);
        match sym {
            Symbol::Variant(e, i) => self.variant_call(e, i, args, span, &name),
            Symbol::Fn(id) => {
                let sig = &self.env.fns[id.index()];
                let params: Vec<Option<Type>> =
                    sig.params.iter().map(|p| Some(p.ty.clone())).collect();
                let result = sig.result.clone();
                self.called_fns.insert(id);
                match self.args(&name, args, &params, span) {
                    Some(args) => (Expr::Call { func: id, args }, Some(result)),
                    None => (null(), Some(result)),
                }
            }
            Symbol::Query(id) => {
                let sig = &self.env.queries[id.index()];
                let params: Vec<(Type, bool)> = sig
                    .params
                    .iter()
                    .zip(&sig.optional)
                    .map(|(p, o)| (p.ty.clone(), *o))
                    .collect();
                let result = sig.result.clone();
                if args.len() > params.len() || params[args.len()..].iter().any(|(_, o)| !o) {
                    self.error(
                        codes::SIGNATURE_MISMATCH,
                        span,
                        format!(
                            "`{name}` takes {} argument(s), found {}",
                            params.len(),
                            args.len()
                        ),
                    );
                    return (null(), Some(result));
                }
                let mut out: Vec<Option<Expr>> = args
                    .iter()
                    .zip(&params)
                    .map(|(a, (t, _))| Some(self.expr_of(a, t)))
                    .collect();
                out.resize(params.len(), None);
                (
                    Expr::Query {
                        query: id,
                        args: out,
                    },
                    Some(result),
                )
            }
            Symbol::Concept(_) | Symbol::Relation(_) | Symbol::Derived(_) => {
                let Some((pred, types)) = self.env.atom_predicate(sym, args.len()) else {
                    return (null(), None);
                };
                if args.len() != types.len() {
                    self.error(
                        codes::SIGNATURE_MISMATCH,
                        span,
                        format!(
                            "`{name}` takes {} argument(s), found {}",
                            types.len(),
                            args.len()
                        ),
                    );
                    return (null(), Some(Type::Bool));
                }
                // A membership test: an argument of a supertype is fine.
                let mut out = Vec::new();
                for (a, t) in args.iter().zip(&types) {
                    let (x, found) = self.expr(a, t.as_ref());
                    if let (Some(want), Some(found)) = (t, &found) {
                        if !self.env.comparable(found, want) {
                            let d = self.env.mismatch(a.span, want, found);
                            self.diags.push(d);
                        }
                    }
                    out.push(x);
                }
                (Expr::Holds { pred, args: out }, Some(Type::Bool))
            }
            Symbol::Mutation(_) => {
                self.error(
                    codes::WRONG_KIND,
                    func.span,
                    format!("mutation `{name}` can only be called as a statement or bound with `let x = {name}(…);`"),
                );
                (null(), None)
            }
            other => {
                self.error(
                    codes::WRONG_KIND,
                    func.span,
                    format!("`{name}` is {}, it cannot be called", other.describe()),
                );
                (null(), None)
            }
        }
    }

    /// `{ let a = e; …; value }` as nested `Let` expressions.
    pub fn block(&mut self, b: &ast::Block, expected: Option<&Type>) -> (Expr, Option<Type>) {
        self.vars.push();
        let mut lets: Vec<(VarId, Expr)> = Vec::new();
        for s in &b.stmts {
            match &s.kind {
                StmtKind::Let { name, ty, value } => {
                    let declared = ty.as_ref().and_then(|t| {
                        let mut d = Vec::new();
                        let r = self.env.resolve_type(self.m, t, &mut d);
                        self.diags.extend(d);
                        r
                    });
                    let (x, t) = match &declared {
                        Some(d) => (self.expr_of(value, d), Some(d.clone())),
                        None => self.expr(value, None),
                    };
                    let v = self.vars.declare(&name.name, t);
                    lets.push((v, x));
                }
                _ if self.kind == BodyKind::Fn => {
                    self.error(
                        codes::IMPURE_FN,
                        s.span,
                        "a function body may only contain `let` bindings and an expression",
                    );
                }
                _ => self.error(
                    codes::NOT_SUPPORTED,
                    s.span,
                    "statements inside expression blocks are not supported",
                ),
            }
        }
        let (mut x, t) = match &b.value {
            Some(v) => self.expr(v, expected),
            None => (null(), Some(Type::Unit)),
        };
        self.vars.pop();
        for (var, value) in lets.into_iter().rev() {
            x = Expr::Let {
                var,
                value: Box::new(value),
                body: Box::new(x),
            };
        }
        (x, t)
    }

    fn struct_lit(
        &mut self,
        path: &ast::Path,
        fields: &[ast::FieldInit],
        base: Option<&ast::Expr>,
        span: Span,
    ) -> (Expr, Option<Type>) {
        let id = match self.env.scope.resolve(self.m, path) {
            Ok(Symbol::Struct(id)) => id,
            Ok(Symbol::Variant(e, i)) if base.is_none() => {
                return self.variant_record(e, i, fields, span)
            }
            Ok(sym) => {
                let msg = format!(
                    "`{}` is {}; only struct literals are supported",
                    path_text(path),
                    sym.describe()
                );
                self.error(codes::NOT_SUPPORTED, path.span, msg);
                return (null(), None);
            }
            Err(d) => {
                self.diags.push(d);
                return (null(), None);
            }
        };
        // `..base`: unnamed fields are read from `base`, evaluated once.
        let base = base.map(|b| {
            let x = self.expr_of(b, &Type::Struct(id));
            (self.vars.fresh("..base", Some(Type::Struct(id))), x)
        });
        let decl = &self.env.structs[id.index()];
        let params = decl.fields.clone();
        let sname = decl.name.clone();
        let mut values: Vec<Option<Expr>> = vec![None; params.len()];
        for init in fields {
            match params.iter().position(|p| p.name == init.name.name) {
                Some(i) => {
                    if values[i].is_some() {
                        self.error(
                            codes::DUPLICATE,
                            init.name.span,
                            format!("field `{}` is given twice", init.name.name),
                        );
                    }
                    values[i] = Some(self.expr_of(&init.value, &params[i].ty));
                }
                None => self.error(
                    codes::UNKNOWN_FIELD,
                    init.name.span,
                    format!("struct `{sname}` has no field `{}`", init.name.name),
                ),
            }
        }
        let mut out = Vec::new();
        for (i, v) in values.into_iter().enumerate() {
            match v {
                Some(v) => out.push(v),
                None if base.is_some() => {
                    if let Some((var, _)) = &base {
                        out.push(Expr::StructField {
                            base: Box::new(Expr::Var(*var)),
                            index: i as u32,
                        });
                    }
                }
                None if matches!(params[i].ty, Type::Option(_)) => out.push(null()),
                None => {
                    self.error(
                        codes::MISSING_FIELD,
                        span,
                        format!("missing field `{}` of struct `{sname}`", params[i].name),
                    );
                    out.push(null());
                }
            }
        }
        let lit = Expr::Struct { id, fields: out };
        let x = match base {
            Some((var, value)) => Expr::Let {
                var,
                value: Box::new(value),
                body: Box::new(lit),
            },
            None => lit,
        };
        (x, Some(Type::Struct(id)))
    }
}
