//! A lease-like package lowers to the expected Module shape.

mod common;

use ox_ir::{
    CmpOp, Expr, Literal, PredKind, QueryBody, Refinement, RuleOrigin, Severity, Stmt, Term, Type,
    Value,
};

const ROOT: &str = r#"
use std::core::{type, rel};
pub mod billing;
use self::billing::Invoice;

pub enum Status { Pending, Active }

pub type Person {
    id: String,
    name: String,
    age: Nat,
    tags: [String],
    nick: Option<String>,
}
pub type Adult <: Person iff { self.age >= 18 };
pub type Tenant <: Person;
pub type Lease where { self.end > self.start } {
    #[key] code: String,
    rent: Money,
    start: Date,
    end: Date,
    status: Status,
    mut terminated: Bool,
}
pub rel LeaseOf(lease: Lease, tenant: Person) [1..1];

pub derive tenant_of(p, l) :- LeaseOf(l, p);
pub derive tagged(p: Person, t) :- p: Person, p.tags(t);
pub derive long(l: Lease) :- l: Lease, l.end - l.start > 30.days, l.status == Status::Pending;
pub derive lonely(p) :- p: Person, not LeaseOf(l, p), not (p.age > 60, p.nick == "x");
pub derive prime(7);
pub derive prime(11);

#[severity(error)]
check rent_positive(l) :- l: Lease, l.rent <= 0 => "lease {l} has no rent";

pub query adults(optional min: Nat) -> [Adult];
pub query rents(p: Person) -> [Money] as_of 3 {
    select l.rent from LeaseOf(l, p) where l.start > #2020-01-01# order by l.rent desc limit 10 offset 2
}
pub query total() -> Money { select x from x = 1 }

pub fn double(m: Money) -> Money = m * 2;

pub mutate sign(code: String, p: Person) -> Lease {
    require { p.age >= 18 }
    let l = insert Lease { code: code, rent: 100.50, start: today(), end: today() + 1.years, status: Pending, terminated: false };
    insert LeaseOf(l, p);
    update l set { terminated = true };
    emit Signed { l };
    for q in Person { if q.age > 100 { delete q; } }
    return l;
}

test "signing" {
    let p = insert Person { id: "p", name: "P", age: 30, tags: ["a"] };
    sign("c", p);
    assert Adult(p);
}
"#;

const BILLING: &str = r#"
use std::core::type;
use super::Lease;
pub type Invoice { id: String, lease: Lease, amount: Money }
"#;

#[test]
fn lease_like_package_has_the_expected_shape() {
    let c = common::compile(&[("src/root.ar", ROOT), ("src/billing.ar", BILLING)]).unwrap_or_else(
        |f| {
            panic!(
                "{}",
                ox_syntax::render::render_text(&f.sources, &f.diagnostics)
            )
        },
    );
    let m = &c.module;
    if let Err(e) = ox_ir::oxbin::validate_module(m) {
        panic!("artifact validation: {e:?}");
    }
    let paths: Vec<&str> = m.concepts.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "pkg::Adult",
            "pkg::Lease",
            "pkg::Person",
            "pkg::Tenant",
            "pkg::billing::Invoice"
        ]
    );

    // Membership and field predicates.
    let (pid, person) = m.concept_named("Person").unwrap();
    assert_eq!(m.predicate(person.pred).kind, PredKind::Concept(pid));
    let tags = m.predicate_named("Person.tags").unwrap().1;
    assert_eq!(
        tags.params[1].ty,
        Type::String,
        "multi-valued field: element type"
    );
    let nick = m.predicate_named("Person.nick").unwrap().1;
    assert_eq!(
        nick.params[1].ty,
        Type::String,
        "optional field: inner type"
    );
    assert_eq!(person.key, Some(0), "default key: `id: String`");
    let (_, lease) = m.concept_named("Lease").unwrap();
    assert_eq!(lease.key, Some(0));
    assert!(
        matches!(&lease.refinement, Refinement::Where { texts, .. } if texts == &["self.end > self.start"])
    );

    // Specialisation and iff rules.
    let (adult_id, adult) = m.concept_named("Adult").unwrap();
    assert_eq!(adult.refinement, Refinement::Iff);
    let spec: Vec<_> = m
        .rules
        .iter()
        .filter(|r| matches!(r.origin, RuleOrigin::Specialisation { .. }))
        .collect();
    // Only the asserted subtype: an `iff` concept's rule already implies membership in its supertype.
    let tenant = m.concept_named("Tenant").unwrap().1;
    assert_eq!(spec.len(), 1);
    assert_eq!(spec[0].head.pred, person.pred);
    assert_eq!(
        spec[0].body,
        vec![Literal::Pos(ox_ir::Atom {
            pred: tenant.pred,
            args: vec![Term::Var(ox_ir::VarId(0))]
        })]
    );
    let iff = m
        .rules
        .iter()
        .find(|r| r.origin == RuleOrigin::Refinement(adult_id))
        .unwrap();
    assert_eq!(iff.head.pred, adult.pred);
    assert!(iff.body.iter().any(|l| matches!(
        l,
        Literal::Compare {
            op: CmpOp::Ge,
            right: Expr::Const(Value::Nat(18)),
            ..
        }
    )));

    // Derived predicates: inferred types, field navigation, constants.
    let tenant_of = m.predicate_named("tenant_of").unwrap().1;
    assert_eq!(tenant_of.kind, PredKind::Derived);
    assert_eq!(
        tenant_of
            .params
            .iter()
            .map(|p| p.ty.clone())
            .collect::<Vec<_>>(),
        vec![
            Type::Concept(pid),
            Type::Concept(m.concept_named("Lease").unwrap().0)
        ]
    );
    let tagged = m.predicate_named("tagged").unwrap().1;
    assert_eq!(tagged.params[1].ty, Type::String);
    let (prime_id, prime) = m.predicate_named("prime").unwrap();
    assert_eq!(prime.params[0].ty, Type::Int);
    let facts: Vec<_> = m.rules.iter().filter(|r| r.head.pred == prime_id).collect();
    assert_eq!(facts.len(), 2);
    assert!(facts.iter().all(|r| r.body.is_empty()));
    assert_eq!(
        facts[0].origin,
        RuleOrigin::Derive {
            name: "prime".into(),
            clause: 0
        }
    );
    let long = m
        .rules
        .iter()
        .find(|r| {
            r.origin
                == RuleOrigin::Derive {
                    name: "long".into(),
                    clause: 0,
                }
        })
        .unwrap();
    assert!(long.body.iter().any(|l| matches!(l, Literal::Compare { right: Expr::Const(Value::Duration(d)), .. } if d.days == 30)));
    assert!(long.body.iter().any(|l| matches!(
        l,
        Literal::Compare {
            right: Expr::Const(Value::Enum(_, 0, _)),
            ..
        }
    )));

    // `not (group)` becomes an auxiliary predicate.
    let lonely = m
        .rules
        .iter()
        .find(|r| {
            r.origin
                == RuleOrigin::Derive {
                    name: "lonely".into(),
                    clause: 0,
                }
        })
        .unwrap();
    assert_eq!(
        lonely
            .body
            .iter()
            .filter(|l| matches!(l, Literal::Neg(_)))
            .count(),
        2
    );
    assert!(m.predicates.iter().any(|p| p.path == "pkg::lonely#0$not0"));

    // Checks.
    let check = &m.checks[0];
    assert_eq!(check.severity, Severity::Error);
    assert_eq!(check.message.as_deref(), Some("lease {l} has no rent"));
    assert!(m
        .rules
        .iter()
        .any(|r| r.head.pred == check.pred && matches!(r.origin, RuleOrigin::Check(_))));

    // Queries.
    let (_, adults) = m.query_named("adults").unwrap();
    assert_eq!(adults.body, QueryBody::Extent(adult.pred));
    assert!(adults.params[0].optional);
    let (_, rents) = m.query_named("rents").unwrap();
    assert_eq!(rents.as_of, Some(3));
    let QueryBody::Select(sel) = &rents.body else {
        panic!()
    };
    assert_eq!(sel.var_names[0], "p");
    assert_eq!((sel.limit, sel.offset), (Some(10), Some(2)));
    assert!(sel.order_by[0].1);
    assert!(matches!(
        sel.projection,
        ox_ir::Projection::Value(Expr::Field { .. })
    ));

    // Mutations and tests.
    let (_, sign) = m.mutation_named("sign").unwrap();
    assert!(matches!(sign.body[0], Stmt::Require { ref text, .. } if text == "p.age >= 18"));
    assert!(matches!(
        sign.body[1],
        Stmt::InsertIndividual { bind: Some(_), .. }
    ));
    assert!(sign
        .body
        .iter()
        .any(|s| matches!(s, Stmt::Emit { name, .. } if name == "Signed")));
    assert!(sign.body.iter().any(|s| matches!(
        s,
        Stmt::For {
            source: Expr::Extent(_),
            ..
        }
    )));
    assert!(!sign.forgets);
    assert_eq!(c.tests.len(), 1);
    assert_eq!(c.tests[0].name, "signing");
    assert!(c.tests[0]
        .body
        .iter()
        .any(|s| matches!(s, Stmt::CallMutation { .. })));
    assert!(c.tests[0].body.iter().any(|s| matches!(
        s,
        Stmt::Assert {
            cond: Expr::Holds { .. },
            ..
        }
    )));
    assert_eq!(m.functions[0].result, Type::Money);
}

#[test]
fn user_metatypes_are_introducers() {
    let src = "pub metaxis rigidity for metatype { anti_rigid < rigid };\npub metatype kind = { rigidity: rigid };\nkind Person { id: String }";
    let c = common::assert_ok(src);
    assert_eq!(c.module.concepts[0].metatype, "kind");
}

#[test]
fn prelude_and_glob_imports() {
    let root = "mod a;\nuse self::a::*;\ntype B { x: A, s: Color }\nfn f() -> Color = Red;";
    let a = "pub type A { id: String }\npub enum Color { Red, Green }";
    let c = common::compile(&[("src/root.ar", root), ("src/a.ar", a)]).unwrap_or_else(|f| {
        panic!(
            "{}",
            ox_syntax::render::render_text(&f.sources, &f.diagnostics)
        )
    });
    assert_eq!(c.module.concepts.len(), 2);
    assert_eq!(
        c.module.functions[0].body,
        Expr::Const(Value::Enum(ox_ir::EnumId(0), 0, vec![]))
    );
}

#[test]
fn nested_module_layout() {
    let root = "mod a;";
    let a = "mod b;";
    let b = "pub type Deep { id: String }";
    let c = common::compile(&[("src/root.ar", root), ("src/a.ar", a), ("src/a/b.ar", b)]).unwrap();
    assert_eq!(c.module.concepts[0].path, "pkg::a::b::Deep");
}

#[test]
fn fallback_entry_root_ar() {
    let c = common::compile(&[("root.ar", "type T { id: String }")]).unwrap();
    assert_eq!(c.module.package.entry, "root.ar");
}

#[test]
fn find_package_root_walks_up() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ox.toml"), "[package]\nname = \"p\"\n").unwrap();
    std::fs::create_dir_all(dir.path().join("src/x")).unwrap();
    std::fs::write(dir.path().join("src/root.ar"), "type T { id: String }").unwrap();
    assert_eq!(
        ox_compiler::find_package_root(&dir.path().join("src/x")).as_deref(),
        Some(dir.path())
    );
    let c = ox_compiler::compile_package(dir.path()).unwrap_err();
    // No prelude in this manifest: `type` is unknown.
    assert_eq!(c.diagnostics[0].code, "OE0605");
}
