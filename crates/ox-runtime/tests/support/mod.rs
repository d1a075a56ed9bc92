//! A hand-built lease domain (the compiler is not used by these tests).
//!
//! ```text
//! type Person { #[key] id: String, name: String, age: Nat, nick: Option<String> }
//! type Property { #[key] id: String, address: Address }
//! type Lease where { self.rent > 0 } { #[key] id: String, mut rent: Money, start: Date, mut status: LeaseStatus }
//! type Adult <: Person iff { self.age >= 18 }
//! type ResidentialLease <: Lease
//! struct Address { street: String, zip: Option<String> }
//! enum LeaseStatus { Active, Ended }
//! rel LeaseOf(lease: Lease, tenant: Person) [1..1] [0..*]
//! derive active_lease(l, t) :- LeaseOf(l, t), l.status == Active
//! #[severity(error)] check minor_tenant(l, t) :- LeaseOf(l, t), not Adult(t) => "tenant {t} of {l} is a minor"
//! ```
#![allow(dead_code)]

use std::str::FromStr;
use std::sync::Arc;

use ox_ir::expr::FieldRef;
use ox_ir::*;
use ox_runtime::{Engine, RequestContext};
use ox_store::{MemBackend, SqliteBackend, StorageBackend, TenantId};
use rust_decimal::Decimal;
use serde_json::{Map, Value as Json};

pub const PERSON: ConceptId = ConceptId(0);
pub const PROPERTY: ConceptId = ConceptId(1);
pub const LEASE: ConceptId = ConceptId(2);
pub const ADULT: ConceptId = ConceptId(3);
pub const RESIDENTIAL: ConceptId = ConceptId(4);
pub const ADDRESS: StructId = StructId(0);
pub const STATUS: EnumId = EnumId(0);
pub const LEASE_OF: RelationId = RelationId(0);

// Predicates.
pub const P_PERSON: PredId = PredId(0);
pub const P_PERSON_ID: PredId = PredId(1);
pub const P_PERSON_NAME: PredId = PredId(2);
pub const P_PERSON_AGE: PredId = PredId(3);
pub const P_PERSON_NICK: PredId = PredId(4);
pub const P_PROPERTY: PredId = PredId(5);
pub const P_PROPERTY_ID: PredId = PredId(6);
pub const P_PROPERTY_ADDRESS: PredId = PredId(7);
pub const P_LEASE: PredId = PredId(8);
pub const P_LEASE_ID: PredId = PredId(9);
pub const P_LEASE_RENT: PredId = PredId(10);
pub const P_LEASE_START: PredId = PredId(11);
pub const P_LEASE_STATUS: PredId = PredId(12);
pub const P_ADULT: PredId = PredId(13);
pub const P_RESIDENTIAL: PredId = PredId(14);
pub const P_LEASE_OF: PredId = PredId(15);
pub const P_ACTIVE_LEASE: PredId = PredId(16);
pub const P_MINOR_TENANT: PredId = PredId(17);

pub fn v(i: u32) -> Expr {
    Expr::Var(VarId(i))
}

pub fn tv(i: u32) -> Term {
    Term::Var(VarId(i))
}

pub fn c(value: Value) -> Expr {
    Expr::Const(value)
}

pub fn field(base: Expr, concept: ConceptId, index: u32) -> Expr {
    Expr::Field {
        base: Box::new(base),
        field: FieldRef {
            concept,
            field: index,
        },
    }
}

pub fn bin(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary {
        op,
        left: Box::new(left),
        right: Box::new(right),
    }
}

pub fn atom(pred: PredId, args: Vec<Term>) -> Atom {
    Atom { pred, args }
}

pub fn money(amount: &str, currency: Option<&str>) -> Value {
    Value::Money(Money {
        amount: Decimal::from_str(amount).unwrap(),
        currency: currency.map(str::to_owned),
    })
}

pub fn active() -> Value {
    Value::Enum(STATUS, 0, vec![])
}

pub fn ended() -> Value {
    Value::Enum(STATUS, 1, vec![])
}

fn param(name: &str, ty: Type) -> Param {
    Param {
        name: name.into(),
        ty,
    }
}

fn qparam(name: &str, ty: Type, optional: bool) -> QueryParam {
    QueryParam {
        name: name.into(),
        ty,
        optional,
    }
}

fn fld(name: &str, ty: Type, mutable: bool, pred: PredId) -> Field {
    Field {
        name: name.into(),
        ty,
        mutable,
        pred,
        doc: None,
    }
}

fn pred(name: &str, kind: PredKind, params: Vec<Param>) -> Predicate {
    Predicate {
        name: name.into(),
        path: format!("lease::{name}"),
        kind,
        params,
        visibility: Visibility::Public,
        doc: None,
    }
}

fn concept(
    name: &str,
    supertypes: Vec<ConceptId>,
    fields: Vec<Field>,
    key: Option<u32>,
    refinement: Refinement,
    pred: PredId,
) -> Concept {
    Concept {
        name: name.into(),
        path: format!("lease::{name}"),
        metatype: "type".into(),
        visibility: Visibility::Public,
        supertypes,
        fields,
        key,
        refinement,
        pred,
        doc: None,
        cover: Vec::new(),
    }
}

fn rule(head: Atom, body: Vec<Literal>, var_count: u32, origin: RuleOrigin) -> Rule {
    Rule {
        head,
        body,
        var_count,
        var_names: (0..var_count).map(|i| format!("v{i}")).collect(),
        origin,
        defeasibility: ox_ir::Defeasibility::default(),
        standpoint: None,
    }
}

fn query(name: &str, params: Vec<QueryParam>, result: Type, body: QueryBody) -> Query {
    Query {
        name: name.into(),
        path: format!("lease::{name}"),
        visibility: Visibility::Public,
        params,
        result,
        as_of: None,
        across: Vec::new(),
        body,
        doc: None,
    }
}

fn select(var_count: u32, body: Vec<Literal>, projection: Projection) -> QueryBody {
    QueryBody::Select(Select {
        var_count,
        var_names: (0..var_count).map(|i| format!("v{i}")).collect(),
        body,
        projection,
        order_by: vec![],
        limit: None,
        offset: None,
        group: None,
    })
}

fn mutation(
    name: &str,
    params: Vec<Param>,
    result: Type,
    body: Vec<Stmt>,
    local_count: u32,
) -> Mutation {
    Mutation {
        name: name.into(),
        path: format!("lease::{name}"),
        visibility: Visibility::Public,
        params,
        result,
        body,
        local_count,
        allow_forget: false,
        forgets: false,
        doc: None,
    }
}

fn person_t() -> Type {
    Type::Concept(PERSON)
}

fn lease_t() -> Type {
    Type::Concept(LEASE)
}

/// The lease domain.
pub fn lease_module() -> Module {
    let concepts = vec![
        concept(
            "Person",
            vec![],
            vec![
                fld("id", Type::String, false, P_PERSON_ID),
                fld("name", Type::String, false, P_PERSON_NAME),
                fld("age", Type::Nat, true, P_PERSON_AGE),
                fld(
                    "nick",
                    Type::Option(Box::new(Type::String)),
                    true,
                    P_PERSON_NICK,
                ),
            ],
            Some(0),
            Refinement::None,
            P_PERSON,
        ),
        concept(
            "Property",
            vec![],
            vec![
                fld("id", Type::String, false, P_PROPERTY_ID),
                fld("address", Type::Struct(ADDRESS), false, P_PROPERTY_ADDRESS),
            ],
            Some(0),
            Refinement::None,
            P_PROPERTY,
        ),
        concept(
            "Lease",
            vec![],
            vec![
                fld("id", Type::String, false, P_LEASE_ID),
                fld("rent", Type::Money, true, P_LEASE_RENT),
                fld("start", Type::Date, false, P_LEASE_START),
                fld("status", Type::Enum(STATUS), true, P_LEASE_STATUS),
            ],
            Some(0),
            Refinement::Where {
                conditions: vec![bin(
                    BinaryOp::Gt,
                    field(v(0), LEASE, 1),
                    c(money("0", None)),
                )],
                texts: vec!["self.rent > 0".into()],
            },
            P_LEASE,
        ),
        concept(
            "Adult",
            vec![PERSON],
            vec![],
            None,
            Refinement::Iff,
            P_ADULT,
        ),
        concept(
            "ResidentialLease",
            vec![LEASE],
            vec![],
            None,
            Refinement::None,
            P_RESIDENTIAL,
        ),
    ];
    let predicates = vec![
        pred(
            "Person",
            PredKind::Concept(PERSON),
            vec![param("x", person_t())],
        ),
        pred(
            "Person.id",
            PredKind::Field(PERSON, 0),
            vec![param("x", person_t()), param("v", Type::String)],
        ),
        pred(
            "Person.name",
            PredKind::Field(PERSON, 1),
            vec![param("x", person_t()), param("v", Type::String)],
        ),
        pred(
            "Person.age",
            PredKind::Field(PERSON, 2),
            vec![param("x", person_t()), param("v", Type::Nat)],
        ),
        pred(
            "Person.nick",
            PredKind::Field(PERSON, 3),
            vec![param("x", person_t()), param("v", Type::String)],
        ),
        pred(
            "Property",
            PredKind::Concept(PROPERTY),
            vec![param("x", Type::Concept(PROPERTY))],
        ),
        pred(
            "Property.id",
            PredKind::Field(PROPERTY, 0),
            vec![
                param("x", Type::Concept(PROPERTY)),
                param("v", Type::String),
            ],
        ),
        pred(
            "Property.address",
            PredKind::Field(PROPERTY, 1),
            vec![
                param("x", Type::Concept(PROPERTY)),
                param("v", Type::Struct(ADDRESS)),
            ],
        ),
        pred(
            "Lease",
            PredKind::Concept(LEASE),
            vec![param("x", lease_t())],
        ),
        pred(
            "Lease.id",
            PredKind::Field(LEASE, 0),
            vec![param("x", lease_t()), param("v", Type::String)],
        ),
        pred(
            "Lease.rent",
            PredKind::Field(LEASE, 1),
            vec![param("x", lease_t()), param("v", Type::Money)],
        ),
        pred(
            "Lease.start",
            PredKind::Field(LEASE, 2),
            vec![param("x", lease_t()), param("v", Type::Date)],
        ),
        pred(
            "Lease.status",
            PredKind::Field(LEASE, 3),
            vec![param("x", lease_t()), param("v", Type::Enum(STATUS))],
        ),
        pred(
            "Adult",
            PredKind::Concept(ADULT),
            vec![param("x", Type::Concept(ADULT))],
        ),
        pred(
            "ResidentialLease",
            PredKind::Concept(RESIDENTIAL),
            vec![param("x", Type::Concept(RESIDENTIAL))],
        ),
        pred(
            "LeaseOf",
            PredKind::Relation(LEASE_OF),
            vec![param("lease", lease_t()), param("tenant", person_t())],
        ),
        pred(
            "active_lease",
            PredKind::Derived,
            vec![param("lease", lease_t()), param("tenant", person_t())],
        ),
        pred(
            "minor_tenant",
            PredKind::Check(CheckId(0)),
            vec![param("l", lease_t()), param("t", person_t())],
        ),
    ];
    let rules = vec![
        rule(
            atom(P_PERSON, vec![tv(0)]),
            vec![Literal::Pos(atom(P_ADULT, vec![tv(0)]))],
            1,
            RuleOrigin::Specialisation {
                sub: ADULT,
                sup: PERSON,
            },
        ),
        rule(
            atom(P_LEASE, vec![tv(0)]),
            vec![Literal::Pos(atom(P_RESIDENTIAL, vec![tv(0)]))],
            1,
            RuleOrigin::Specialisation {
                sub: RESIDENTIAL,
                sup: LEASE,
            },
        ),
        rule(
            atom(P_ADULT, vec![tv(0)]),
            vec![
                Literal::Pos(atom(P_PERSON, vec![tv(0)])),
                Literal::Pos(atom(P_PERSON_AGE, vec![tv(0), tv(1)])),
                Literal::Compare {
                    op: CmpOp::Ge,
                    left: v(1),
                    right: c(Value::Nat(18)),
                },
            ],
            2,
            RuleOrigin::Refinement(ADULT),
        ),
        rule(
            atom(P_ACTIVE_LEASE, vec![tv(0), tv(1)]),
            vec![
                Literal::Pos(atom(P_LEASE_OF, vec![tv(0), tv(1)])),
                Literal::Pos(atom(P_LEASE_STATUS, vec![tv(0), Term::Const(active())])),
            ],
            2,
            RuleOrigin::Derive {
                name: "active_lease".into(),
                clause: 0,
            },
        ),
        rule(
            atom(P_MINOR_TENANT, vec![tv(0), tv(1)]),
            vec![
                Literal::Pos(atom(P_LEASE_OF, vec![tv(0), tv(1)])),
                Literal::Neg(atom(P_ADULT, vec![tv(1)])),
            ],
            2,
            RuleOrigin::Check(CheckId(0)),
        ),
    ];
    let queries = vec![
        // query leases_of(t: Person) -> [Lease] { select l from LeaseOf(l, t) }
        query(
            "leases_of",
            vec![qparam("t", person_t(), false)],
            Type::List(Box::new(lease_t()), Cardinality::ANY),
            select(
                2,
                vec![Literal::Pos(atom(P_LEASE_OF, vec![tv(1), tv(0)]))],
                Projection::Value(v(1)),
            ),
        ),
        // query adults() -> [Adult];
        query(
            "adults",
            vec![],
            Type::List(Box::new(Type::Concept(ADULT)), Cardinality::ANY),
            QueryBody::Extent(P_ADULT),
        ),
        // query person_named(name: String) -> Person { select p from Person(p), Person.name(p, name) }
        query(
            "person_named",
            vec![qparam("name", Type::String, false)],
            person_t(),
            select(
                2,
                vec![
                    Literal::Pos(atom(P_PERSON, vec![tv(1)])),
                    Literal::Pos(atom(P_PERSON_NAME, vec![tv(1), tv(0)])),
                ],
                Projection::Value(v(1)),
            ),
        ),
        // query people(name: optional String) -> [Person] { select p from Person(p), Person.name(p, name) }
        query(
            "people",
            vec![qparam("name", Type::String, true)],
            Type::List(Box::new(person_t()), Cardinality::ANY),
            select(
                2,
                vec![
                    Literal::Pos(atom(P_PERSON, vec![tv(1)])),
                    Literal::Pos(atom(P_PERSON_NAME, vec![tv(1), tv(0)])),
                ],
                Projection::Value(v(1)),
            ),
        ),
        // query roster() -> [{name: String, age: Nat, nick: Option<String>}]
        //   { select {name: p.name, age: p.age, nick: p.nick} from Person(p) order by p.age desc limit 2 }
        Query {
            body: QueryBody::Select(Select {
                var_count: 1,
                var_names: vec!["p".into()],
                body: vec![Literal::Pos(atom(P_PERSON, vec![tv(0)]))],
                projection: Projection::Record(vec![
                    ("name".into(), field(v(0), PERSON, 1)),
                    ("age".into(), field(v(0), PERSON, 2)),
                    ("nick".into(), field(v(0), PERSON, 3)),
                ]),
                order_by: vec![(field(v(0), PERSON, 2), true)],
                limit: Some(2),
                offset: None,
                group: None,
            }),
            ..query(
                "roster",
                vec![],
                Type::List(
                    Box::new(Type::Record(vec![
                        ("name".into(), Type::String),
                        ("age".into(), Type::Nat),
                        ("nick".into(), Type::Option(Box::new(Type::String))),
                    ])),
                    Cardinality::ANY,
                ),
                QueryBody::Extent(P_PERSON),
            )
        },
        // query active_leases() -> [active_lease];
        query(
            "active_leases",
            vec![],
            Type::List(Box::new(Type::Tuple(P_ACTIVE_LEASE)), Cardinality::ANY),
            QueryBody::Extent(P_ACTIVE_LEASE),
        ),
        // query people_at_tx_1() -> [Person] as_of 1 { select p from Person(p) }
        Query {
            as_of: Some(1),
            across: Vec::new(),
            ..query(
                "people_at_tx_1",
                vec![],
                Type::List(Box::new(person_t()), Cardinality::ANY),
                select(
                    1,
                    vec![Literal::Pos(atom(P_PERSON, vec![tv(0)]))],
                    Projection::Value(v(0)),
                ),
            )
        },
        // a private query
        Query {
            visibility: Visibility::Private,
            ..query(
                "secret",
                vec![],
                Type::List(Box::new(person_t()), Cardinality::ANY),
                QueryBody::Extent(P_PERSON),
            )
        },
    ];
    let mutations = vec![
        // mutate add_person(id: String, name: String, age: Nat) -> Person
        //   { let p = insert Person { id, name, age }; return p; }
        mutation(
            "add_person",
            vec![
                param("id", Type::String),
                param("name", Type::String),
                param("age", Type::Nat),
            ],
            person_t(),
            vec![
                Stmt::InsertIndividual {
                    concept: PERSON,
                    fields: vec![(0, v(0)), (1, v(1)), (2, v(2))],
                    bind: Some(VarId(3)),
                },
                Stmt::Return(v(3)),
            ],
            4,
        ),
        // mutate sign_lease(id: String, tenant: Person, rent: Money, start: Date) -> Lease {
        //   require { tenant.age >= 16 }
        //   let l = insert Lease { id, rent, start, status: Active };
        //   insert LeaseOf(l, tenant); emit LeaseSigned { l }; return l; }
        mutation(
            "sign_lease",
            vec![
                param("id", Type::String),
                param("tenant", person_t()),
                param("rent", Type::Money),
                param("start", Type::Date),
            ],
            lease_t(),
            vec![
                Stmt::Require {
                    cond: bin(BinaryOp::Ge, field(v(1), PERSON, 2), c(Value::Nat(16))),
                    text: "tenant.age >= 16".into(),
                },
                Stmt::InsertIndividual {
                    concept: LEASE,
                    fields: vec![(0, v(0)), (1, v(2)), (2, v(3)), (3, c(active()))],
                    bind: Some(VarId(4)),
                },
                Stmt::InsertTuple {
                    relation: LEASE_OF,
                    args: vec![v(4), v(1)],
                },
                Stmt::Emit {
                    name: "LeaseSigned".into(),
                    value: v(4),
                },
                Stmt::Return(v(4)),
            ],
            5,
        ),
        // mutate orphan_lease(id: String) { insert Lease { id, rent: 100, start: #2026-01-01#, status: Active }; }
        mutation(
            "orphan_lease",
            vec![param("id", Type::String)],
            Type::Unit,
            vec![Stmt::InsertIndividual {
                concept: LEASE,
                fields: vec![
                    (0, v(0)),
                    (1, c(money("100", None))),
                    (
                        2,
                        c(Value::Date(
                            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                        )),
                    ),
                    (3, c(active())),
                ],
                bind: None,
            }],
            1,
        ),
        // mutate end_lease(l: Lease) { update l set { status = Ended }; }
        mutation(
            "end_lease",
            vec![param("l", lease_t())],
            Type::Unit,
            vec![Stmt::Update {
                target: v(0),
                sets: vec![(
                    FieldRef {
                        concept: LEASE,
                        field: 3,
                    },
                    AssignOp::Set,
                    c(ended()),
                )],
            }],
            1,
        ),
        // mutate set_rent(l: Lease, rent: Money) { update l set { rent = rent }; }
        mutation(
            "set_rent",
            vec![param("l", lease_t()), param("rent", Type::Money)],
            Type::Unit,
            vec![Stmt::Update {
                target: v(0),
                sets: vec![(
                    FieldRef {
                        concept: LEASE,
                        field: 1,
                    },
                    AssignOp::Set,
                    v(1),
                )],
            }],
            2,
        ),
        // mutate make_adult(p: Person) { insert iof(p, Adult); }
        mutation(
            "make_adult",
            vec![param("p", person_t())],
            Type::Unit,
            vec![Stmt::InsertIof {
                individual: v(0),
                concept: ADULT,
            }],
            1,
        ),
        // mutate classify(l: Lease) { insert iof(l, ResidentialLease); }
        mutation(
            "classify",
            vec![param("l", lease_t())],
            Type::Unit,
            vec![Stmt::InsertIof {
                individual: v(0),
                concept: RESIDENTIAL,
            }],
            1,
        ),
        // mutate remove_lease(l: Lease) { delete l; }
        mutation(
            "remove_lease",
            vec![param("l", lease_t())],
            Type::Unit,
            vec![Stmt::DeleteIndividual(v(0))],
            1,
        ),
        // mutate birthday(p: Person) -> Nat { update p set { age += 1 }; return p.age; }
        mutation(
            "birthday",
            vec![param("p", person_t())],
            Type::Nat,
            vec![
                Stmt::Update {
                    target: v(0),
                    sets: vec![(
                        FieldRef {
                            concept: PERSON,
                            field: 2,
                        },
                        AssignOp::Add,
                        c(Value::Nat(1)),
                    )],
                },
                Stmt::Return(field(v(0), PERSON, 2)),
            ],
            1,
        ),
        // mutate rename(p: Person) { update p set { name = "x" }; }  (name is not mut)
        mutation(
            "rename",
            vec![param("p", person_t())],
            Type::Unit,
            vec![Stmt::Update {
                target: v(0),
                sets: vec![(
                    FieldRef {
                        concept: PERSON,
                        field: 1,
                    },
                    AssignOp::Set,
                    c(Value::String("x".into())),
                )],
            }],
            1,
        ),
        // #[allow_forget] mutate erase(p: Person) { forget p; }
        Mutation {
            allow_forget: true,
            forgets: true,
            ..mutation(
                "erase",
                vec![param("p", person_t())],
                Type::Unit,
                vec![Stmt::Forget(v(0))],
                1,
            )
        },
        // mutate add_people(names: [String]) -> Nat { for n in names { insert Person { id: n, name: n, age: 30 } }; return len(Person); }
        mutation(
            "add_people",
            vec![param(
                "names",
                Type::List(Box::new(Type::String), Cardinality::ANY),
            )],
            Type::Nat,
            vec![
                Stmt::For {
                    var: VarId(1),
                    source: v(0),
                    body: vec![Stmt::InsertIndividual {
                        concept: PERSON,
                        fields: vec![(0, v(1)), (1, v(1)), (2, c(Value::Nat(30)))],
                        bind: None,
                    }],
                },
                Stmt::Return(Expr::Builtin {
                    builtin: Builtin::Len,
                    args: vec![Expr::Extent(PERSON)],
                }),
            ],
            2,
        ),
        // mutate add_property(id: String, address: Address) -> Property
        mutation(
            "add_property",
            vec![
                param("id", Type::String),
                param("address", Type::Struct(ADDRESS)),
            ],
            Type::Concept(PROPERTY),
            vec![
                Stmt::InsertIndividual {
                    concept: PROPERTY,
                    fields: vec![(0, v(0)), (1, v(1))],
                    bind: Some(VarId(2)),
                },
                Stmt::Return(v(2)),
            ],
            3,
        ),
    ];
    let functions = vec![
        // fn annual_rent(monthly: Money) -> Money = monthly * 12;
        Function {
            name: "annual_rent".into(),
            path: "lease::annual_rent".into(),
            visibility: Visibility::Public,
            params: vec![param("monthly", Type::Money)],
            result: Type::Money,
            body: bin(BinaryOp::Mul, v(0), c(Value::Nat(12))),
            local_count: 1,
            doc: None,
        },
        // fn lease_count(t: Person) -> Nat = len(leases_of(t));
        Function {
            name: "lease_count".into(),
            path: "lease::lease_count".into(),
            visibility: Visibility::Public,
            params: vec![param("t", person_t())],
            result: Type::Nat,
            body: Expr::Builtin {
                builtin: Builtin::Len,
                args: vec![Expr::Query {
                    query: QueryId(0),
                    args: vec![Some(v(0))],
                }],
            },
            local_count: 1,
            doc: None,
        },
    ];
    Module {
        package: PackageInfo {
            name: "lease".into(),
            version: "0.1.0".into(),
            entry: "src/root.ar".into(),
        },
        concepts,
        relations: vec![Relation {
            name: "LeaseOf".into(),
            path: "lease::LeaseOf".into(),
            metarel: "rel".into(),
            visibility: Visibility::Public,
            params: vec![param("lease", lease_t()), param("tenant", person_t())],
            cardinalities: vec![
                Cardinality {
                    min: 1,
                    max: Some(1),
                },
                Cardinality::ANY,
            ],
            pred: P_LEASE_OF,
            doc: None,
            supertypes: Vec::new(),
            fields: Vec::new(),
            field_values: None,
        }],
        structs: vec![StructDecl {
            name: "Address".into(),
            path: "lease::Address".into(),
            fields: vec![
                param("street", Type::String),
                param("zip", Type::Option(Box::new(Type::String))),
            ],
            doc: None,
            field_docs: Vec::new(),
        }],
        enums: vec![EnumDecl {
            name: "LeaseStatus".into(),
            path: "lease::LeaseStatus".into(),
            variants: vec![
                Variant {
                    name: "Active".into(),
                    payload: vec![],
                    doc: None,
                },
                Variant {
                    name: "Ended".into(),
                    payload: vec![],
                    doc: None,
                },
            ],
            doc: None,
        }],
        predicates,
        rules,
        checks: vec![Check {
            name: "minor_tenant".into(),
            path: "lease::minor_tenant".into(),
            params: vec![param("l", lease_t()), param("t", person_t())],
            severity: Severity::Error,
            message: Some("tenant {t} of {l} is a minor".into()),
            pred: P_MINOR_TENANT,
            standpoint: None,
        }],
        queries,
        mutations,
        functions,
        standpoints: vec![],
    }
}

/// An engine over the lease module and `store`.
pub fn engine_on(store: Arc<dyn StorageBackend>) -> Engine {
    engine_with(lease_module(), store)
}

/// An engine over `module` and `store`.
pub fn engine_with(module: Module, store: Arc<dyn StorageBackend>) -> Engine {
    Engine::new(
        Arc::new(module),
        "module-hash".into(),
        "schema-hash".into(),
        store,
    )
    .expect("the lease module evaluates")
}

/// An engine on a fresh in-memory store.
pub fn mem_engine() -> Engine {
    engine_on(Arc::new(MemBackend::new()))
}

/// An engine on a fresh sqlite file (the directory must outlive the engine).
pub fn sqlite_engine(dir: &tempfile::TempDir) -> Engine {
    let store = SqliteBackend::open(&dir.path().join("store.sqlite")).expect("sqlite opens");
    engine_on(Arc::new(store))
}

/// A context for `tenant`.
pub fn ctx(tenant: &str) -> RequestContext {
    RequestContext::new(TenantId::parse(tenant).unwrap())
}

/// A JSON object as an argument map.
pub fn args(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("arguments must be an object, got {other}"),
    }
}
