//! Unit tests of the parser.

use super::parse_file;
use crate::ast::*;
use crate::codes;
use crate::span::FileId;

fn parse_ok(text: &str) -> File {
    let (file, diags) = parse_file(FileId(0), text);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {text:?}:\n{diags:#?}"
    );
    file
}

fn parse_codes(text: &str) -> Vec<&'static str> {
    parse_file(FileId(0), text)
        .1
        .iter()
        .map(|d| d.code)
        .collect()
}

fn only_item(text: &str) -> ItemKind {
    let mut file = parse_ok(text);
    assert_eq!(file.items.len(), 1, "{text}");
    file.items.remove(0).kind
}

#[test]
fn empty_file() {
    let file = parse_ok("");
    assert!(file.items.is_empty());
}

fn first_item(text: &str) -> Item {
    let mut file = parse_ok(text);
    assert!(!file.items.is_empty(), "{text}");
    file.items.remove(0)
}

/// Parses `text` as the body of `fn f() -> T = <text>;` and returns the expression.
fn expr(text: &str) -> Expr {
    match only_item(&format!("fn f() -> T = {text};")) {
        ItemKind::Fn(f) => f.body,
        other => panic!("not a fn: {other:?}"),
    }
}

fn derive_body(text: &str) -> Vec<Atom> {
    match only_item(&format!("derive p(x) :- {text};")) {
        ItemKind::Derive(DeriveDecl { body: Some(b), .. }) => b,
        other => panic!("not a rule with a body: {other:?}"),
    }
}

fn mutation_body(text: &str) -> Vec<Stmt> {
    match only_item(&format!("mutate m() {{ {text} }}")) {
        ItemKind::Mutate(m) => m.body,
        other => panic!("not a mutation: {other:?}"),
    }
}

fn name_of(path: &Path) -> String {
    path.segments
        .iter()
        .map(|s| s.name.as_str())
        .collect::<Vec<_>>()
        .join("::")
}

// ---------------------------------------------------------------- items

#[test]
fn use_forms() {
    let file = parse_ok("use std::core::{type, rel};\npub use a::b;\nuse super::x::*;");
    let trees: Vec<_> = file
        .items
        .iter()
        .map(|i| match &i.kind {
            ItemKind::Use(u) => (name_of(&u.path), u.tree.clone(), i.vis),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(trees[0].0, "std::core");
    assert!(matches!(&trees[0].1, UseTree::Group(ids) if ids.len() == 2 && ids[0].name == "type"));
    assert_eq!(
        (trees[1].0.as_str(), &trees[1].1, trees[1].2),
        ("a::b", &UseTree::Single, Visibility::Public)
    );
    assert_eq!(trees[2].1, UseTree::Glob);
}

#[test]
fn mod_and_visibility() {
    let item = first_item("pub(pkg) mod billing;");
    assert_eq!(item.vis, Visibility::Package);
    assert!(matches!(item.kind, ItemKind::Mod(ModDecl { name }) if name.name == "billing"));
    assert_eq!(
        parse_codes("pub(crate) mod x;"),
        vec![codes::INVALID_VISIBILITY]
    );
    assert_eq!(
        parse_codes("pub test \"t\" {}"),
        vec![codes::INVALID_VISIBILITY]
    );
}

#[test]
fn metaxis_forms() {
    let file = parse_ok(
        "pub metaxis rigidity for metatype { anti_rigid < semi_rigid < rigid };
         metaxis sortality for [metatype, metarel] { sortal, non_sortal };
         metaxis weight for individual = Nat where value < 10;
         metaxis tag for metatype;",
    );
    let axes: Vec<_> = file
        .items
        .into_iter()
        .map(|i| match i.kind {
            ItemKind::Metaxis(m) => m,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        matches!(&axes[0].values, MetaxisValues::Chain(v) if v.len() == 3 && v[2].name == "rigid")
    );
    assert_eq!(axes[1].targets.len(), 2);
    assert_eq!(axes[1].targets[1].kind, MetaxisTargetKind::Metarel);
    assert!(matches!(&axes[1].values, MetaxisValues::Unordered(v) if v.len() == 2));
    assert_eq!(axes[2].targets[0].kind, MetaxisTargetKind::Individual);
    assert!(matches!(
        &axes[2].values,
        MetaxisValues::Typed {
            constraint: Some(_),
            ..
        }
    ));
    assert_eq!(axes[3].values, MetaxisValues::Unspecified);
}

#[test]
fn metatype_forms() {
    let file = parse_ok(
        "pub fixed metatype kind = { rigidity: rigid, sortality: sortal };
         abstract metatype category = { rigidity::rigid, weight: 3, };
         metatype role = { rigidity: anti_rigid };",
    );
    let ItemKind::Metatype(kind) = &file.items[0].kind else {
        panic!()
    };
    assert!(kind.is_fixed && !kind.is_abstract);
    assert_eq!(kind.values.len(), 2);
    let ItemKind::Metatype(category) = &file.items[1].kind else {
        panic!()
    };
    assert!(category.is_abstract);
    assert_eq!(category.values[0].axis.name, "rigidity");
    assert!(matches!(&category.values[0].value, AxisValueKind::Ident(v) if v.name == "rigid"));
    assert!(matches!(
        &category.values[1].value,
        AxisValueKind::Lit(Lit {
            kind: LitKind::Int(3),
            ..
        })
    ));
}

#[test]
fn metarel() {
    let ItemKind::Metarel(m) = only_item("pub metarel mediation(relator: relator, party: kind);")
    else {
        panic!()
    };
    assert_eq!(m.endpoints.len(), 2);
    assert_eq!(m.endpoints[1].metatype.name, "kind");
}

#[test]
fn concept_forms() {
    let file = parse_ok(
        "/// A person.
         pub type Person { #[key] id: String, name: String, mut email: Option<String>, }
         kind Adult <: Person, Agent iff { self.age >= 18 };
         type Lease where { self.end > self.start } { id: String }
         type Shape { Circle, Square }
         type Empty {}
         role Tenant <: Person;",
    );
    assert_eq!(file.items.len(), 6);
    let ItemKind::Concept(person) = &file.items[0].kind else {
        panic!()
    };
    assert_eq!(file.items[0].doc.as_deref(), Some("A person."));
    assert_eq!(person.introducer.name, "type");
    let ConceptBody::Fields(fields) = &person.body else {
        panic!()
    };
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[0].attrs[0].name.name, "key");
    assert!(fields[2].is_mut);
    assert!(matches!(fields[2].ty.kind, TypeKind::Option(_)));
    let ItemKind::Concept(adult) = &file.items[1].kind else {
        panic!()
    };
    assert_eq!(adult.supertypes.len(), 2);
    let refinement = adult.refinement.as_ref().unwrap();
    assert_eq!(refinement.kind, RefinementKind::Iff);
    assert_eq!(adult.body, ConceptBody::None);
    let ItemKind::Concept(lease) = &file.items[2].kind else {
        panic!()
    };
    assert_eq!(
        lease.refinement.as_ref().unwrap().kind,
        RefinementKind::Where
    );
    let ItemKind::Concept(shape) = &file.items[3].kind else {
        panic!()
    };
    assert!(matches!(&shape.body, ConceptBody::Cover(names) if names.len() == 2));
    let ItemKind::Concept(empty) = &file.items[4].kind else {
        panic!()
    };
    assert_eq!(empty.body, ConceptBody::Fields(vec![]));
}

#[test]
fn instantiation_is_refused() {
    assert_eq!(
        parse_codes("type Eagle : Species;"),
        vec![codes::INSTANTIATION_UNSUPPORTED]
    );
}

#[test]
fn relation_forms() {
    let file = parse_ok(
        "pub rel LeaseOf(lease: Lease, tenant: Person) [1..1] [0..*];
         rel Employment(employee: Person, employer: Org) [1] [0..*] <: Affiliation { since: Date, mut salary: Money }",
    );
    let ItemKind::Relation(lease_of) = &file.items[0].kind else {
        panic!()
    };
    assert_eq!(lease_of.endpoints.len(), 2);
    assert_eq!(lease_of.cardinalities[0].min, 1);
    assert_eq!(lease_of.cardinalities[0].max, Some(1));
    assert_eq!(lease_of.cardinalities[1].max, None);
    assert!(lease_of.fields.is_none());
    let ItemKind::Relation(employment) = &file.items[1].kind else {
        panic!()
    };
    assert_eq!(employment.cardinalities[0].max, Some(1));
    assert_eq!(employment.supertypes.len(), 1);
    assert_eq!(employment.fields.as_ref().unwrap().len(), 2);
    assert_eq!(
        parse_codes("rel R(a: A) [3..1];"),
        vec![codes::INVALID_CARDINALITY]
    );
}

#[test]
fn struct_and_enum() {
    let file = parse_ok(
        "struct Point { x: Int, y: Int }
         enum Status { Pending, Paid(Money, Date), Late { days: Nat }, }",
    );
    let ItemKind::Enum(status) = &file.items[1].kind else {
        panic!()
    };
    assert_eq!(status.variants.len(), 3);
    assert_eq!(status.variants[0].data, VariantData::Unit);
    assert!(matches!(&status.variants[1].data, VariantData::Tuple(t) if t.len() == 2));
    assert!(matches!(&status.variants[2].data, VariantData::Record(f) if f.len() == 1));
}

#[test]
fn types() {
    let ItemKind::Struct(s) = only_item(
        "struct S { a: [Person], b: [Tag; >= 1], c: [Tag; <= 3], d: [Tag; == 2], e: Set<Int>, f: Map<String, [Int]>, g: pkg::a::T }",
    ) else {
        panic!()
    };
    let kinds: Vec<_> = s.fields.iter().map(|f| &f.ty.kind).collect();
    assert!(matches!(kinds[0], TypeKind::List { bound: None, .. }));
    assert!(matches!(
        kinds[1],
        TypeKind::List {
            bound: Some(SizeBound {
                op: BoundOp::AtLeast,
                n: 1,
                ..
            }),
            ..
        }
    ));
    assert!(matches!(
        kinds[2],
        TypeKind::List {
            bound: Some(SizeBound {
                op: BoundOp::AtMost,
                n: 3,
                ..
            }),
            ..
        }
    ));
    assert!(matches!(
        kinds[3],
        TypeKind::List {
            bound: Some(SizeBound {
                op: BoundOp::Exactly,
                n: 2,
                ..
            }),
            ..
        }
    ));
    assert!(matches!(kinds[4], TypeKind::Set(_)));
    assert!(matches!(kinds[5], TypeKind::Map(_, v) if matches!(v.kind, TypeKind::List { .. })));
    assert!(matches!(kinds[6], TypeKind::Named(p) if p.segments.len() == 3));
    assert_eq!(
        parse_codes("struct S { a: Person<Int> }"),
        vec![codes::INVALID_TYPE_ARGS]
    );
    assert_eq!(
        parse_codes("struct S { a: Map<Int> }"),
        vec![codes::INVALID_TYPE_ARGS]
    );
}

#[test]
fn derive_forms() {
    let file = parse_ok(
        "#[default] #[label(usual)]
         pub derive flies(x: Bird) :- x: Bird;
         #[defeats(usual)] derive ~flies(x) :- x: Penguin;
         pub derive Within(usc26, usc);
         derive rate(\"A\", 10);",
    );
    let ItemKind::Derive(flies) = &file.items[0].kind else {
        panic!()
    };
    assert_eq!(file.items[0].attrs.len(), 2);
    assert!(matches!(&file.items[0].attrs[1].args[0], AttrArg::Path(p) if name_of(p) == "usual"));
    assert!(flies.args[0].ty.is_some());
    let ItemKind::Derive(not_flies) = &file.items[1].kind else {
        panic!()
    };
    assert!(not_flies.strong_negation);
    let ItemKind::Derive(fact) = &file.items[2].kind else {
        panic!()
    };
    assert!(fact.body.is_none());
    assert_eq!(fact.args.len(), 2);
    let ItemKind::Derive(rate) = &file.items[3].kind else {
        panic!()
    };
    assert!(matches!(rate.args[0].value.kind, ExprKind::Lit(_)));
}

#[test]
fn atom_forms() {
    let atoms = derive_body(
        "x: Person, LeaseOf(l, x), ~Banned(x), not active(l), x.age >= 18, n = count { o: Obligation, o.tenant == x }, (a, b), x.leases(l), (x.a + 1) > 3, y in x.tags",
    );
    assert!(matches!(&atoms[0].kind, AtomKind::TypeTest { var, .. } if var.name == "x"));
    assert!(
        matches!(&atoms[1].kind, AtomKind::Call { strong_negation: false, args, .. } if args.len() == 2)
    );
    assert!(matches!(
        &atoms[2].kind,
        AtomKind::Call {
            strong_negation: true,
            ..
        }
    ));
    assert!(
        matches!(&atoms[3].kind, AtomKind::Not(inner) if matches!(inner.kind, AtomKind::Call { .. }))
    );
    assert!(matches!(
        &atoms[4].kind,
        AtomKind::Compare {
            op: BinaryOp::Ge,
            ..
        }
    ));
    let AtomKind::Bind { var, value } = &atoms[5].kind else {
        panic!("{:?}", atoms[5])
    };
    assert_eq!(var.name, "n");
    let ExprKind::Aggregate(agg) = &value.kind else {
        panic!()
    };
    assert_eq!(agg.func.name, "count");
    assert!(matches!(&agg.form, AggregateForm::Atoms(a) if a.len() == 2));
    assert!(matches!(&atoms[6].kind, AtomKind::Group(g) if g.len() == 2));
    assert!(matches!(
        &atoms[7].kind,
        AtomKind::Expr(Expr {
            kind: ExprKind::MethodCall { .. },
            ..
        })
    ));
    assert!(
        matches!(&atoms[8].kind, AtomKind::Compare { op: BinaryOp::Gt, lhs, .. } if matches!(lhs.kind, ExprKind::Binary { op: BinaryOp::Add, .. }))
    );
    assert!(matches!(
        &atoms[9].kind,
        AtomKind::Expr(Expr {
            kind: ExprKind::Binary {
                op: BinaryOp::In,
                ..
            },
            ..
        })
    ));
}

#[test]
fn aggregate_comprehension_form() {
    let atoms = derive_body("n = count(o for o in Obligation where o.due < today())");
    let AtomKind::Bind { value, .. } = &atoms[0].kind else {
        panic!()
    };
    let ExprKind::Aggregate(agg) = &value.kind else {
        panic!()
    };
    let AggregateForm::Comprehension(c) = &agg.form else {
        panic!()
    };
    assert_eq!(c.var.name, "o");
    assert!(c.filter.is_some());
}

#[test]
fn check_with_message() {
    let item = first_item(
        "#[severity(error)] pub check negative(p: Payment) :- p: Payment, p.amount < 0 => \"payment {p} is negative\";",
    );
    let ItemKind::Check(check) = item.kind else {
        panic!()
    };
    assert_eq!(check.message.unwrap().value, "payment {p} is negative");
    assert_eq!(check.body.len(), 2);
}

#[test]
fn query_forms() {
    let file = parse_ok(
        "pub query current_adults() -> [Adult];
         query at(t: Person) -> Lease as_of 4 across [Legal, Tax];
         query rent_by_tenant(optional t: Person) -> Map<Person, Money> {
             select { tenant: t, total: sum(l.rent) }
             from LeaseOf(l, t)
             where active(l), l.rent > 0
             group by t
             having total > 100
             order by total desc, t.name
             limit 10 offset 20
         }",
    );
    let ItemKind::Query(first) = &file.items[0].kind else {
        panic!()
    };
    assert!(first.body.is_none());
    let ItemKind::Query(at) = &file.items[1].kind else {
        panic!()
    };
    assert_eq!(at.as_of, Some(4));
    assert_eq!(at.across.len(), 2);
    let ItemKind::Query(q) = &file.items[2].kind else {
        panic!()
    };
    assert!(q.params[0].optional);
    let body = q.body.as_ref().unwrap();
    let Projection::Record(fields) = &body.select else {
        panic!()
    };
    assert!(
        matches!(&fields[1].value.kind, ExprKind::Aggregate(a) if matches!(a.form, AggregateForm::Group(_)))
    );
    assert_eq!(body.from.len(), 1);
    assert_eq!(body.filter.len(), 2);
    assert_eq!(body.group_by.len(), 1);
    assert!(body.having.is_some());
    assert_eq!(body.order_by[0].direction, SortDirection::Desc);
    assert_eq!(body.order_by[1].direction, SortDirection::Asc);
    assert_eq!((body.limit, body.offset), (Some(10), Some(20)));
}

#[test]
fn unsupported_query_clauses() {
    assert_eq!(
        parse_codes("query q() -> [T] { select distinct x from x: T }"),
        vec![codes::UNSUPPORTED_QUERY_CLAUSE]
    );
    assert_eq!(
        parse_codes("query q() -> [T] { select x from x: T join y }"),
        vec![codes::UNSUPPORTED_QUERY_CLAUSE]
    );
    assert_eq!(
        parse_codes("query q() -> [T] { select x from x: T having x > 1 }"),
        vec![codes::UNSUPPORTED_QUERY_CLAUSE]
    );
}

#[test]
fn mutation_statements() {
    let item = first_item(
        "#[allow_forget] pub mutation m(l: Lease, t: Person) -> Lease {
            require { l.rent > 0, !closed(l) }
            let x: Lease = insert Lease { id: \"a\", rent: 1 };
            insert LeaseOf(x, t);
            insert Employment(t, o) { since: today() };
            insert iof(x, Premium);
            update x set { rent = 2, tags += \"a\", tags -= \"b\" };
            delete LeaseOf(x, t);
            delete iof(x, Premium);
            delete x;
            emit LeaseSigned { x };
            forget t;
            for o in Obligation { delete o; }
            if x.rent > 1 { emit Big { x }; } else if x.rent > 0 { notify(x); } else { return x; }
            notify(x);
            return x;
        }",
    );
    assert_eq!(item.attrs[0].name.name, "allow_forget");
    let ItemKind::Mutate(m) = item.kind else {
        panic!()
    };
    assert_eq!(m.require.len(), 2);
    assert!(m.ret.is_some());
    let kinds: Vec<_> = m.body.iter().map(|s| &s.kind).collect();
    assert!(matches!(
        kinds[0],
        StmtKind::Let {
            ty: Some(_),
            value: Expr {
                kind: ExprKind::Insert { .. },
                ..
            },
            ..
        }
    ));
    assert!(matches!(kinds[1], StmtKind::InsertTuple { inits, .. } if inits.is_empty()));
    assert!(matches!(kinds[2], StmtKind::InsertTuple { inits, .. } if inits.len() == 1));
    assert!(matches!(kinds[3], StmtKind::InsertIof { .. }));
    let StmtKind::Update { assignments, .. } = kinds[4] else {
        panic!()
    };
    let ops: Vec<_> = assignments.iter().map(|a| a.op).collect();
    assert_eq!(ops, vec![AssignOp::Set, AssignOp::Add, AssignOp::Remove]);
    assert!(matches!(kinds[5], StmtKind::DeleteTuple { .. }));
    assert!(matches!(kinds[6], StmtKind::DeleteIof { .. }));
    assert!(matches!(kinds[7], StmtKind::Delete(_)));
    assert!(matches!(kinds[8], StmtKind::Emit { .. }));
    assert!(matches!(kinds[9], StmtKind::Forget(_)));
    assert!(matches!(kinds[10], StmtKind::For { body, .. } if body.len() == 1));
    let StmtKind::If {
        else_body: Some(else_body),
        ..
    } = kinds[11]
    else {
        panic!()
    };
    assert!(matches!(
        &else_body[0].kind,
        StmtKind::If {
            else_body: Some(_),
            ..
        }
    ));
    assert!(matches!(
        kinds[12],
        StmtKind::Expr(Expr {
            kind: ExprKind::Call { .. },
            ..
        })
    ));
    assert!(matches!(kinds[13], StmtKind::Return(Some(_))));
}

#[test]
fn insert_statement_without_let() {
    let stmts = mutation_body("insert Person { id: \"x\" }; insert pkg::Rel(a, b);");
    assert!(matches!(
        &stmts[0].kind,
        StmtKind::Expr(Expr {
            kind: ExprKind::Insert { .. },
            ..
        })
    ));
    assert!(
        matches!(&stmts[1].kind, StmtKind::InsertTuple { relation, .. } if relation.segments.len() == 2)
    );
}

#[test]
fn fn_forms() {
    let file = parse_ok(
        "pub fn annual(m: Money) -> Money = m * 12;
         compute grade(x: Int) -> String { let y = x * 2; if y > 10 { \"high\" } else { \"low\" } }",
    );
    let ItemKind::Fn(grade) = &file.items[1].kind else {
        panic!()
    };
    let ExprKind::Block(block) = &grade.body.kind else {
        panic!()
    };
    assert_eq!(block.stmts.len(), 1);
    assert!(matches!(
        block.value.as_deref(),
        Some(Expr {
            kind: ExprKind::If { .. },
            ..
        })
    ));
}

#[test]
fn standpoints() {
    let file = parse_ok("standpoint Legal <: Base, Other { derive p(x) :- q(x); mod rules; }");
    let ItemKind::Standpoint(s) = &file.items[0].kind else {
        panic!()
    };
    assert_eq!(s.parents.len(), 2);
    assert_eq!(s.items.len(), 2);
    let (file, diags) = parse_file(
        FileId(0),
        "standpoint A { standpoint B { } derive p(x) :- q(x); }",
    );
    assert_eq!(
        diags.iter().map(|d| d.code).collect::<Vec<_>>(),
        vec![codes::NESTED_STANDPOINT]
    );
    let ItemKind::Standpoint(a) = &file.items[0].kind else {
        panic!()
    };
    assert_eq!(a.items.len(), 1);
}

#[test]
fn tests_with_assert() {
    let ItemKind::Test(t) = only_item("test \"leases\" { let l = insert Lease { id: \"1\" }; assert active(l); assert !breach(l); }") else {
        panic!()
    };
    assert_eq!(t.name.value, "leases");
    assert!(matches!(t.body[1].kind, StmtKind::Assert(_)));
    // In mutations `assert x` still parses as an assertion (the compiler
    // reports OE0740); `assert` alone stays an ordinary name.
    assert!(parse_codes("mutate m() { assert x; }").is_empty());
    assert!(parse_codes("mutate m() { let assert = 1; assert; }").is_empty());
}

// ---------------------------------------------------------------- expressions

#[test]
fn precedence() {
    let e = expr("a || b && c == d + e * -f.g");
    let ExprKind::Binary {
        op: BinaryOp::Or,
        rhs,
        ..
    } = e.kind
    else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinaryOp::And,
        rhs,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinaryOp::Eq,
        rhs,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinaryOp::Add,
        rhs,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinaryOp::Mul,
        rhs,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    let ExprKind::Unary {
        op: UnaryOp::Neg,
        operand,
    } = rhs.kind
    else {
        panic!()
    };
    assert!(matches!(operand.kind, ExprKind::Field { .. }));
}

#[test]
fn in_and_not_in() {
    let e = expr("x not in xs && y in ys");
    let ExprKind::Binary {
        op: BinaryOp::And,
        lhs,
        rhs,
    } = e.kind
    else {
        panic!()
    };
    assert!(matches!(
        lhs.kind,
        ExprKind::Binary {
            op: BinaryOp::NotIn,
            ..
        }
    ));
    assert!(matches!(
        rhs.kind,
        ExprKind::Binary {
            op: BinaryOp::In,
            ..
        }
    ));
}

#[test]
fn left_associativity_and_spans() {
    let e = expr("1 - 2 - 3");
    let ExprKind::Binary { lhs, .. } = &e.kind else {
        panic!()
    };
    assert!(matches!(
        lhs.kind,
        ExprKind::Binary {
            op: BinaryOp::Sub,
            ..
        }
    ));
    // "fn f() -> T = " is 14 bytes long.
    assert_eq!((e.span.start, e.span.end), (14, 23));
}

#[test]
fn chained_comparison_is_reported() {
    assert_eq!(
        parse_codes("fn f() -> Bool = a < b < c;"),
        vec![codes::CHAINED_COMPARISON]
    );
    assert!(parse_codes("fn f() -> Bool = (a < b) == c;").is_empty());
    assert!(parse_codes("fn f() -> Bool = a < b && b < c;").is_empty());
}

#[test]
fn postfix_forms() {
    let e = expr("30.days + x.m(1, 2)[0]? + meta(T).rigidity");
    let ExprKind::Binary { lhs, rhs, .. } = e.kind else {
        panic!()
    };
    assert!(
        matches!(&rhs.kind, ExprKind::Field { base, name } if name.name == "rigidity" && matches!(base.kind, ExprKind::Call { .. }))
    );
    let ExprKind::Binary { lhs, rhs, .. } = lhs.kind else {
        panic!()
    };
    assert!(
        matches!(&lhs.kind, ExprKind::Field { base, .. } if matches!(base.kind, ExprKind::Lit(Lit { kind: LitKind::Int(30), .. })))
    );
    let ExprKind::Try(inner) = rhs.kind else {
        panic!()
    };
    assert!(
        matches!(&inner.kind, ExprKind::Index { base, .. } if matches!(&base.kind, ExprKind::MethodCall { args, .. } if args.len() == 2))
    );
}

#[test]
fn literals() {
    for (text, expected) in [
        ("42", LitKind::Int(42)),
        ("100.50", LitKind::Decimal("100.50".into())),
        ("\"a\\n\"", LitKind::Str("a\n".into())),
        ("true", LitKind::Bool(true)),
        ("#2026-01-01#", LitKind::Date("2026-01-01".into())),
        (
            "#2026-01-01T09:30:00Z#",
            LitKind::DateTime("2026-01-01T09:30:00Z".into()),
        ),
    ] {
        assert!(
            matches!(&expr(text).kind, ExprKind::Lit(l) if l.kind == expected),
            "{text}"
        );
    }
}

#[test]
fn structs_lists_comprehensions() {
    assert!(
        matches!(expr("Point { x: 1, y }").kind, ExprKind::Struct { fields, base: None, .. } if fields.len() == 2)
    );
    assert!(matches!(
        expr("Point { x: 3, ..p }").kind,
        ExprKind::Struct { base: Some(_), .. }
    ));
    assert!(matches!(expr("[1, 2, 3,]").kind, ExprKind::List(items) if items.len() == 3));
    assert!(matches!(expr("[]").kind, ExprKind::List(items) if items.is_empty()));
    let ExprKind::Comprehension(c) = expr("[l.rent for l in leases where l.rent > 0]").kind else {
        panic!()
    };
    assert_eq!(c.var.name, "l");
    assert!(c.filter.is_some());
}

#[test]
fn if_condition_disallows_struct_literal() {
    let e = expr("if x == Status::Pending { 1 } else { 2 }");
    let ExprKind::If {
        cond, then_branch, ..
    } = e.kind
    else {
        panic!()
    };
    assert!(matches!(
        cond.kind,
        ExprKind::Binary {
            op: BinaryOp::Eq,
            ..
        }
    ));
    assert!(then_branch.value.is_some());
    // A struct literal in parentheses is fine.
    assert!(matches!(
        expr("if (P { x: 1 }) == p { 1 } else { 2 }").kind,
        ExprKind::If { .. }
    ));
}

#[test]
fn match_expression() {
    let ExprKind::Match { arms, .. } = expr(
        "match s { Status::Pending => 1, Paid(m, _) => 2, Late { days: 0, .. } => { 3 } -1 | 0 => 4, \"x\" => 5, _ => 6 }",
    )
    .kind
    else {
        panic!()
    };
    assert_eq!(arms.len(), 6);
    assert!(matches!(&arms[0].pattern.kind, PatternKind::Path(p) if p.segments.len() == 2));
    assert!(
        matches!(&arms[1].pattern.kind, PatternKind::Tuple { elems, .. } if elems[1].kind == PatternKind::Wildcard)
    );
    assert!(
        matches!(&arms[2].pattern.kind, PatternKind::Record { rest: true, fields, .. } if fields.len() == 1)
    );
    assert!(
        matches!(&arms[3].pattern.kind, PatternKind::Or(alts) if matches!(alts[0].kind, PatternKind::Lit { negative: true, .. }))
    );
    assert_eq!(arms[5].pattern.kind, PatternKind::Wildcard);
}

#[test]
fn is_pattern() {
    // `is` binds like a comparison, below `&&`.
    let ExprKind::Binary {
        op: BinaryOp::And,
        lhs,
        ..
    } = expr("x is Some(v) && v > 1").kind
    else {
        panic!()
    };
    assert!(
        matches!(&lhs.kind, ExprKind::Is { pattern, .. } if matches!(pattern.kind, PatternKind::Tuple { .. }))
    );
    // In an `if` condition `P {` starts the block, not a record pattern.
    let ExprKind::If { cond, .. } = expr("if s is Pending { 1 } else { 2 }").kind else {
        panic!()
    };
    assert!(
        matches!(&cond.kind, ExprKind::Is { pattern, .. } if matches!(pattern.kind, PatternKind::Path(_)))
    );
    // Elsewhere `is` is an ordinary name.
    assert!(matches!(expr("is + 1").kind, ExprKind::Binary { .. }));
}

#[test]
fn quantifiers() {
    let e = expr("forall l in leases { l.rent > 0 } && ∃ x in xs { x }");
    let ExprKind::Binary { lhs, rhs, .. } = e.kind else {
        panic!()
    };
    assert!(matches!(
        lhs.kind,
        ExprKind::Quantifier {
            kind: QuantifierKind::Forall,
            ..
        }
    ));
    assert!(matches!(
        rhs.kind,
        ExprKind::Quantifier {
            kind: QuantifierKind::Exists,
            ..
        }
    ));
    // `forall` is otherwise an ordinary name.
    assert!(matches!(expr("forall").kind, ExprKind::Path(_)));
}

#[test]
fn unicode_aliases_in_declarations() {
    let file = parse_ok("kind Adult ⊑ Person;\nfn f(x: Int) → Bool = ¬ x > 1;");
    let ItemKind::Concept(c) = &file.items[0].kind else {
        panic!()
    };
    assert_eq!(c.supertypes.len(), 1);
    let ItemKind::Fn(f) = &file.items[1].kind else {
        panic!()
    };
    assert!(matches!(
        f.body.kind,
        ExprKind::Binary {
            op: BinaryOp::Gt,
            ..
        }
    ));
}

#[test]
fn calling_a_non_name_is_reported() {
    assert_eq!(
        parse_codes("fn f() -> T = (g)(1);"),
        vec![codes::INVALID_CALL_TARGET]
    );
}

// ---------------------------------------------------------------- docs

#[test]
fn docs_attach_to_items_fields_and_variants() {
    let file = parse_ok(
        "//! The module.\n//! Second line.\n/// First.\n/// Second.\n#[key]\n/// After attr.\ntype A {\n    /// The id.\n    id: String,\n}\nenum E {\n    /// One.\n    One,\n}",
    );
    assert_eq!(file.inner_doc.as_deref(), Some("The module.\nSecond line."));
    assert_eq!(
        file.items[0].doc.as_deref(),
        Some("First.\nSecond.\nAfter attr.")
    );
    let ItemKind::Concept(ConceptDecl {
        body: ConceptBody::Fields(fields),
        ..
    }) = &file.items[0].kind
    else {
        panic!()
    };
    assert_eq!(fields[0].doc.as_deref(), Some("The id."));
    let ItemKind::Enum(e) = &file.items[1].kind else {
        panic!()
    };
    assert_eq!(e.variants[0].doc.as_deref(), Some("One."));
}

#[test]
fn dangling_doc_comment_warns() {
    let (_, diags) = parse_file(
        FileId(0),
        "mutate m() {\n /// nothing\n let x = 1;\n}\n/// at end",
    );
    let found: Vec<_> = diags.iter().map(|d| (d.code, d.severity)).collect();
    assert_eq!(
        found,
        vec![
            (codes::UNUSED_DOC_COMMENT, crate::Severity::Warning),
            (codes::UNUSED_DOC_COMMENT, crate::Severity::Warning)
        ]
    );
}

// ---------------------------------------------------------------- errors and recovery

#[test]
fn unexpected_token_names_expected_and_found() {
    let (_, diags) = parse_file(FileId(0), "struct S { x Int }");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, codes::UNEXPECTED_TOKEN);
    assert_eq!(diags[0].message, "expected `:`, found identifier `Int`");
}

#[test]
fn keyword_as_name_is_explained() {
    let (_, diags) = parse_file(FileId(0), "struct S { from: Int }");
    assert!(
        diags[0].message.contains("reserved keyword"),
        "{}",
        diags[0].message
    );
}

#[test]
fn missing_semicolon_keeps_parsing() {
    let (file, diags) = parse_file(
        FileId(0),
        "use a::b\nmod c;\nmutate m() { let x = 1\n let y = 2; }",
    );
    let found: Vec<_> = diags.iter().map(|d| d.code).collect();
    assert_eq!(
        found,
        vec![codes::MISSING_SEMICOLON, codes::MISSING_SEMICOLON]
    );
    assert_eq!(file.items.len(), 3);
    let ItemKind::Mutate(m) = &file.items[2].kind else {
        panic!()
    };
    assert_eq!(m.body.len(), 2);
    // The primary span is right after the previous token.
    assert_eq!((diags[0].primary.start, diags[0].primary.end), (8, 8));
}

#[test]
fn several_errors_per_file() {
    let text = "type A { x: }\n\
                derive p(x) :- ;\n\
                type Good;\n\
                query q() -> { }\n\
                mutate m() { let = 1; update x set { y }; let ok = 2; }\n\
                struct S { a: Int }";
    let (file, diags) = parse_file(FileId(0), text);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    assert!(errors >= 5, "{diags:#?}");
    let names: Vec<_> = file
        .items
        .iter()
        .map(|i| match &i.kind {
            ItemKind::Concept(c) => c.name.name.clone(),
            ItemKind::Struct(s) => s.name.name.clone(),
            ItemKind::Mutate(m) => m.name.name.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(names, vec!["Good", "m", "S"]);
    let ItemKind::Mutate(m) = &file.items[1].kind else {
        panic!()
    };
    assert!(
        matches!(&m.body[..], [Stmt { kind: StmtKind::Let { name, .. }, .. }] if name.name == "ok")
    );
}

#[test]
fn unclosed_brace_recovers_at_next_item_keyword() {
    let (file, diags) = parse_file(
        FileId(0),
        "mutate m() { let x = 1;\nderive p(x) :- q(x);\nstruct S { a: Int }",
    );
    assert!(!diags.is_empty());
    assert_eq!(file.items.len(), 2, "{:#?}", file.items);
}

#[test]
fn stray_tokens_at_top_level() {
    let (file, diags) = parse_file(FileId(0), "} 42 )\ntype A;");
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert_eq!(file.items.len(), 1);
}

#[test]
fn lexer_errors_are_included() {
    assert_eq!(
        parse_codes("fn f() -> String = \"abc"),
        vec![codes::UNTERMINATED_STRING]
    );
    assert_eq!(
        parse_codes("fn f() -> String = a /* abc"),
        vec![codes::UNTERMINATED_COMMENT]
    );
    assert_eq!(
        parse_codes("fn f() -> Date = #2026-02-30#;"),
        vec![codes::INVALID_DATE]
    );
}

#[test]
fn nesting_limit() {
    let deep = format!("fn f() -> T = {}1{};", "(".repeat(1000), ")".repeat(1000));
    assert_eq!(parse_codes(&deep), vec![codes::NESTING_TOO_DEEP]);
    let long_chain = format!("fn f() -> T = 1{};", " + 1".repeat(1000));
    assert_eq!(parse_codes(&long_chain), vec![codes::NESTING_TOO_DEEP]);
    let fields = format!("fn f() -> T = x{};", ".f".repeat(1000));
    assert_eq!(parse_codes(&fields), vec![codes::NESTING_TOO_DEEP]);
    let fine = format!("fn f() -> T = {}1{};", "(".repeat(100), ")".repeat(100));
    assert!(parse_codes(&fine).is_empty());
}

#[test]
fn huge_files_are_refused() {
    let (file, diags) = super::refuse_huge(FileId(2), u32::MAX as usize + 1).unwrap();
    assert!(file.items.is_empty());
    assert_eq!(diags[0].code, codes::FILE_TOO_LARGE);
    assert!(super::refuse_huge(FileId(2), 1000).is_none());
}

#[test]
fn internal_error_is_a_registered_diagnostic() {
    let (_, diags) = super::internal_error(FileId(0));
    assert_eq!(diags[0].code, codes::INTERNAL_PARSER_ERROR);
    assert!(codes::lookup(diags[0].code).is_some());
}

#[test]
fn map_literals() {
    let ExprKind::Map(entries) = expr(r#"Map { "a" => 1, "b" => 2 + 3, }"#).kind else {
        panic!("not a map literal")
    };
    assert_eq!(entries.len(), 2);
    assert!(matches!(entries[1].1.kind, ExprKind::Binary { .. }));
    assert!(matches!(expr("Map {}").kind, ExprKind::Map(ref e) if e.is_empty()));
    assert_eq!(
        parse_codes(r#"fn f() -> Int = Map { "a": 1 };"#),
        vec!["OE0001"]
    );
}
