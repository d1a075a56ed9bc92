//! The shape of aggregates outside rule bodies — in queries (projections,
//! `where`, `having`, `order by`), functions, mutations, tests and
//! refinements — checked over the syntax before lowering: only
//! `count sum min max avg` (`OE1312`), no aggregate inside another
//! (`OE1311`), and no `not` over an aggregate (`OE1313`). Aggregates in
//! `derive` and `check` bodies are checked where rules are lowered.

use ox_syntax::ast::{
    Aggregate, AggregateForm, Atom, AtomKind, Block, ConceptDecl, Expr, ExprKind, Item, ItemKind,
    Projection, Stmt, StmtKind, UnaryOp,
};
use ox_syntax::Diagnostic;

use crate::codes;

/// The aggregate functions Argon supports.
pub(crate) const AGGREGATES: [&str; 5] = ["count", "sum", "min", "max", "avg"];

/// Checks every aggregate of `items` (standpoint items included).
pub(crate) fn check_items<'a>(items: impl Iterator<Item = &'a Item>, diags: &mut Vec<Diagnostic>) {
    let mut walker = Walker { depth: 0, diags };
    for item in items {
        walker.item(item);
    }
}

struct Walker<'d> {
    /// How many aggregates enclose the current node.
    depth: u32,
    diags: &'d mut Vec<Diagnostic>,
}

fn is_aggregate(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Aggregate(_) => true,
        ExprKind::Binary { lhs, rhs, .. } => is_aggregate(lhs) || is_aggregate(rhs),
        _ => false,
    }
}

fn atom_is_aggregate(a: &Atom) -> bool {
    match &a.kind {
        AtomKind::Bind { value, .. } => is_aggregate(value),
        AtomKind::Compare { lhs, rhs, .. } => is_aggregate(lhs) || is_aggregate(rhs),
        AtomKind::Expr(e) => is_aggregate(e),
        AtomKind::Group(atoms) => atoms.iter().any(atom_is_aggregate),
        _ => false,
    }
}

impl Walker<'_> {
    fn negated(&mut self, span: ox_syntax::Span) {
        self.diags.push(
            Diagnostic::error(
                codes::NEGATED_AGGREGATE,
                span,
                "`not` cannot apply to an aggregate",
            )
            .with_help("compare the aggregate's value instead, e.g. `n = count { … }, n == 0`"),
        );
    }

    fn item(&mut self, item: &Item) {
        match &item.kind {
            ItemKind::Concept(ConceptDecl {
                refinement: Some(r),
                ..
            }) => r.conditions.iter().for_each(|e| self.expr(e)),
            ItemKind::Query(q) => {
                if let Some(b) = &q.body {
                    match &b.select {
                        Projection::Expr(e) => self.expr(e),
                        Projection::Record(fields) => {
                            fields.iter().for_each(|f| self.expr(&f.value))
                        }
                    }
                    b.from.iter().chain(&b.filter).for_each(|a| self.atom(a));
                    b.group_by.iter().for_each(|e| self.expr(e));
                    b.having.iter().for_each(|e| self.expr(e));
                    b.order_by.iter().for_each(|k| self.expr(&k.expr));
                }
            }
            ItemKind::Mutate(m) => {
                m.require.iter().for_each(|e| self.expr(e));
                self.stmts(&m.body);
            }
            ItemKind::Fn(f) => self.expr(&f.body),
            ItemKind::Test(t) => self.stmts(&t.body),
            ItemKind::Standpoint(s) => s.items.iter().for_each(|i| self.item(i)),
            _ => {}
        }
    }

    fn atom(&mut self, a: &Atom) {
        match &a.kind {
            AtomKind::Call { args, .. } => args.iter().for_each(|e| self.expr(e)),
            AtomKind::TypeTest { .. } => {}
            AtomKind::Compare { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            AtomKind::Not(inner) => {
                if atom_is_aggregate(inner) {
                    self.negated(a.span);
                }
                self.atom(inner);
            }
            AtomKind::Bind { value, .. } => self.expr(value),
            AtomKind::Group(atoms) => atoms.iter().for_each(|x| self.atom(x)),
            AtomKind::Expr(e) => self.expr(e),
        }
    }

    fn aggregate(&mut self, agg: &Aggregate, e: &Expr) {
        if !AGGREGATES.contains(&agg.func.name.as_str()) {
            self.diags.push(
                Diagnostic::error(
                    codes::UNSUPPORTED_AGGREGATE,
                    agg.func.span,
                    format!("`{}` is not an aggregate", agg.func.name),
                )
                .with_help("the aggregates are `count`, `sum`, `min`, `max` and `avg`"),
            );
        }
        if self.depth > 0 {
            self.diags.push(
                Diagnostic::error(
                    codes::NESTED_AGGREGATE,
                    e.span,
                    format!("`{}` is nested inside another aggregate", agg.func.name),
                )
                .with_help("compute the inner aggregate in its own derived predicate"),
            );
        }
        self.depth += 1;
        match &agg.form {
            AggregateForm::Comprehension(c) => {
                self.expr(&c.elem);
                self.expr(&c.source);
                c.filter.iter().for_each(|f| self.expr(f));
            }
            AggregateForm::Atoms(atoms) => atoms.iter().for_each(|a| self.atom(a)),
            AggregateForm::Group(inner) => self.expr(inner),
        }
        self.depth -= 1;
    }

    fn block(&mut self, b: &Block) {
        self.stmts(&b.stmts);
        b.value.iter().for_each(|v| self.expr(v));
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Lit(_) | ExprKind::Path(_) => {}
            ExprKind::Field { base, .. } | ExprKind::Try(base) => self.expr(base),
            ExprKind::MethodCall { receiver, args, .. } => {
                self.expr(receiver);
                args.iter().for_each(|a| self.expr(a));
            }
            ExprKind::Index { base, index } => {
                self.expr(base);
                self.expr(index);
            }
            ExprKind::Call { args, .. } | ExprKind::List(args) => {
                args.iter().for_each(|a| self.expr(a))
            }
            ExprKind::Unary { op, operand } => {
                if *op == UnaryOp::Not && is_aggregate(operand) {
                    self.negated(e.span);
                }
                self.expr(operand);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::If {
                cond,
                then_branch,
                else_branch,
            } => {
                self.expr(cond);
                self.block(then_branch);
                else_branch.iter().for_each(|x| self.expr(x));
            }
            ExprKind::Match { scrutinee, arms } => {
                self.expr(scrutinee);
                arms.iter().for_each(|a| self.expr(&a.body));
            }
            ExprKind::Block(b) => self.block(b),
            ExprKind::Comprehension(c) => {
                self.expr(&c.elem);
                self.expr(&c.source);
                c.filter.iter().for_each(|f| self.expr(f));
            }
            ExprKind::Struct { fields, base, .. } => {
                fields.iter().for_each(|f| self.expr(&f.value));
                base.iter().for_each(|b| self.expr(b));
            }
            ExprKind::Aggregate(agg) => self.aggregate(agg, e),
            ExprKind::Insert { inits, .. } => inits.iter().for_each(|f| self.expr(&f.value)),
            ExprKind::Quantifier { source, body, .. } => {
                self.expr(source);
                self.expr(body);
            }
            ExprKind::Is { expr, .. } => self.expr(expr),
            ExprKind::Map(entries) => entries.iter().for_each(|(k, v)| {
                self.expr(k);
                self.expr(v);
            }),
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            match &s.kind {
                StmtKind::Let { value: e, .. }
                | StmtKind::InsertIof { individual: e, .. }
                | StmtKind::DeleteIof { individual: e, .. }
                | StmtKind::Delete(e)
                | StmtKind::Emit { value: e, .. }
                | StmtKind::Forget(e)
                | StmtKind::Assert(e)
                | StmtKind::Expr(e)
                | StmtKind::Return(Some(e)) => self.expr(e),
                StmtKind::Return(None) => {}
                StmtKind::InsertTuple { args, inits, .. } => {
                    args.iter().for_each(|a| self.expr(a));
                    inits.iter().for_each(|f| self.expr(&f.value));
                }
                StmtKind::DeleteTuple { args, .. } => args.iter().for_each(|a| self.expr(a)),
                StmtKind::Update {
                    target,
                    assignments,
                } => {
                    self.expr(target);
                    assignments.iter().for_each(|a| self.expr(&a.value));
                }
                StmtKind::For { iter, body, .. } => {
                    self.expr(iter);
                    self.stmts(body);
                }
                StmtKind::If {
                    cond,
                    then_body,
                    else_body,
                } => {
                    self.expr(cond);
                    self.stmts(then_body);
                    else_body.iter().for_each(|b| self.stmts(b));
                }
            }
        }
    }
}
