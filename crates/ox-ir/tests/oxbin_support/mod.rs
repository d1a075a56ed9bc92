//! A realistic hand-built module for the `.oxbin` tests: concepts with fields
//! and supertypes, a relation with cardinalities, derived rules with negation,
//! comparisons and bindings, queries, mutations, fns, standpoints and docs.

#![allow(dead_code)]

use std::str::FromStr;

use chrono::{NaiveDate, TimeZone, Utc};
use ox_ir::expr::FieldRef;
use ox_ir::*;
use rust_decimal::Decimal;

pub fn param(name: &str, ty: Type) -> Param {
    Param {
        name: name.into(),
        ty,
    }
}

fn var(i: u32) -> Term {
    Term::Var(VarId(i))
}

fn v(i: u32) -> Expr {
    Expr::Var(VarId(i))
}

fn atom(pred: u32, args: Vec<Term>) -> Atom {
    Atom {
        pred: PredId(pred),
        args,
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn predicate(name: &str, kind: PredKind, params: Vec<Param>, doc: Option<&str>) -> Predicate {
    Predicate {
        name: name.into(),
        path: format!("leasing::{name}"),
        kind,
        params,
        visibility: Visibility::Public,
        doc: doc.map(str::to_owned),
    }
}

fn field(name: &str, ty: Type, pred: u32, mutable: bool) -> Field {
    Field {
        name: name.into(),
        ty,
        mutable,
        pred: PredId(pred),
        doc: None,
    }
}

pub fn money(amount: &str, currency: &str) -> Value {
    Value::Money(Money {
        amount: Decimal::from_str(amount).unwrap(),
        currency: Some(currency.into()),
    })
}

fn concept(
    name: &str,
    supertypes: &[u32],
    fields: Vec<Field>,
    key: Option<u32>,
    refinement: Refinement,
    pred: u32,
    doc: Option<&str>,
) -> Concept {
    Concept {
        name: name.into(),
        path: format!("leasing::{name}"),
        metatype: "kind".into(),
        visibility: Visibility::Public,
        supertypes: supertypes.iter().map(|&i| ConceptId(i)).collect(),
        fields,
        key,
        refinement,
        pred: PredId(pred),
        doc: doc.map(str::to_owned),
        cover: Vec::new(),
    }
}

/// The realistic module.
pub fn sample_module() -> Module {
    let party = Type::Concept(ConceptId(0));
    let person = Type::Concept(ConceptId(1));
    let lease = Type::Concept(ConceptId(2));
    let today = || Expr::Builtin {
        builtin: Builtin::Today,
        args: vec![],
    };
    let age_field = FieldRef {
        concept: ConceptId(1),
        field: 0,
    };
    let rent_field = FieldRef {
        concept: ConceptId(2),
        field: 1,
    };

    let concepts = vec![
        concept(
            "Party",
            &[],
            vec![field("name", Type::String, 2, false)],
            Some(0),
            Refinement::None,
            0,
            Some("Anyone who can sign a lease."),
        ),
        concept(
            "Person",
            &[0],
            vec![field("age", Type::Nat, 3, true)],
            None,
            Refinement::Where {
                conditions: vec![Expr::Binary {
                    op: BinaryOp::Le,
                    left: Box::new(Expr::Field {
                        base: Box::new(v(0)),
                        field: age_field,
                    }),
                    right: Box::new(Expr::Const(Value::Nat(150))),
                }],
                texts: names(&["self.age <= 150"]),
            },
            1,
            None,
        ),
        concept(
            "Lease",
            &[],
            vec![
                field("start", Type::Date, 5, false),
                field("rent", Type::Money, 6, true),
                field("term", Type::Duration, 7, false),
                field(
                    "notes",
                    Type::List(
                        Box::new(Type::Option(Box::new(Type::String))),
                        Cardinality {
                            min: 0,
                            max: Some(5),
                        },
                    ),
                    13,
                    true,
                ),
            ],
            None,
            Refinement::None,
            4,
            Some("A rental agreement."),
        ),
        concept("Adult", &[1], vec![], None, Refinement::Iff, 8, None),
    ];

    let relations = vec![Relation {
        name: "LeaseOf".into(),
        path: "leasing::LeaseOf".into(),
        metarel: "relation".into(),
        visibility: Visibility::Public,
        params: vec![
            param("lease", lease.clone()),
            param("tenant", party.clone()),
        ],
        cardinalities: vec![
            Cardinality {
                min: 1,
                max: Some(1),
            },
            Cardinality::ANY,
        ],
        pred: PredId(9),
        doc: Some("Who rents under a lease.".into()),
        supertypes: Vec::new(),
        fields: Vec::new(),
        field_values: None,
    }];

    let structs = vec![StructDecl {
        name: "Address".into(),
        path: "leasing::Address".into(),
        fields: vec![param("street", Type::String), param("zip", Type::String)],
        doc: Some("A postal address.".into()),
        field_docs: vec![None, Some("The postal code.".into())],
    }];
    let enums = vec![EnumDecl {
        name: "Status".into(),
        path: "leasing::Status".into(),
        variants: vec![
            Variant {
                name: "Active".into(),
                payload: vec![],
                doc: None,
            },
            Variant {
                name: "Ended".into(),
                payload: vec![param("on", Type::Date)],
                doc: Some("Ended on a date.".into()),
            },
        ],
        doc: None,
    }];

    let predicates = vec![
        predicate(
            "Party",
            PredKind::Concept(ConceptId(0)),
            vec![param("x", party.clone())],
            None,
        ),
        predicate(
            "Person",
            PredKind::Concept(ConceptId(1)),
            vec![param("x", person.clone())],
            None,
        ),
        predicate(
            "Party.name",
            PredKind::Field(ConceptId(0), 0),
            vec![param("x", party.clone()), param("v", Type::String)],
            None,
        ),
        predicate(
            "Person.age",
            PredKind::Field(ConceptId(1), 0),
            vec![param("x", person.clone()), param("v", Type::Nat)],
            None,
        ),
        predicate(
            "Lease",
            PredKind::Concept(ConceptId(2)),
            vec![param("x", lease.clone())],
            None,
        ),
        predicate(
            "Lease.start",
            PredKind::Field(ConceptId(2), 0),
            vec![param("x", lease.clone()), param("v", Type::Date)],
            None,
        ),
        predicate(
            "Lease.rent",
            PredKind::Field(ConceptId(2), 1),
            vec![param("x", lease.clone()), param("v", Type::Money)],
            None,
        ),
        predicate(
            "Lease.term",
            PredKind::Field(ConceptId(2), 2),
            vec![param("x", lease.clone()), param("v", Type::Duration)],
            None,
        ),
        predicate(
            "Adult",
            PredKind::Concept(ConceptId(3)),
            vec![param("x", Type::Concept(ConceptId(3)))],
            None,
        ),
        predicate(
            "LeaseOf",
            PredKind::Relation(RelationId(0)),
            vec![
                param("lease", lease.clone()),
                param("tenant", party.clone()),
            ],
            None,
        ),
        predicate(
            "current_tenant",
            PredKind::Derived,
            vec![param("p", party.clone())],
            Some("Parties with a lease that has started."),
        ),
        predicate(
            "unleased",
            PredKind::Derived,
            vec![param("p", party.clone())],
            None,
        ),
        predicate(
            "overdue",
            PredKind::Check(CheckId(0)),
            vec![param("l", lease.clone())],
            None,
        ),
        predicate(
            "Lease.notes",
            PredKind::Field(ConceptId(2), 3),
            vec![param("x", lease.clone()), param("v", Type::String)],
            None,
        ),
    ];

    let rules = vec![
        Rule {
            head: atom(0, vec![var(0)]),
            body: vec![Literal::Pos(atom(1, vec![var(0)]))],
            var_count: 1,
            var_names: names(&["x"]),
            origin: RuleOrigin::Specialisation {
                sub: ConceptId(1),
                sup: ConceptId(0),
            },
            defeasibility: ox_ir::Defeasibility::default(),
            standpoint: None,
        },
        Rule {
            head: atom(1, vec![var(0)]),
            body: vec![Literal::Pos(atom(8, vec![var(0)]))],
            var_count: 1,
            var_names: names(&["x"]),
            origin: RuleOrigin::Specialisation {
                sub: ConceptId(3),
                sup: ConceptId(1),
            },
            defeasibility: ox_ir::Defeasibility::default(),
            standpoint: None,
        },
        Rule {
            head: atom(8, vec![var(0)]),
            body: vec![
                Literal::Pos(atom(1, vec![var(0)])),
                Literal::Pos(atom(3, vec![var(0), var(1)])),
                Literal::Compare {
                    op: CmpOp::Ge,
                    left: v(1),
                    right: Expr::Const(Value::Nat(18)),
                },
            ],
            var_count: 2,
            var_names: names(&["x", "age"]),
            origin: RuleOrigin::Refinement(ConceptId(3)),
            defeasibility: ox_ir::Defeasibility::default(),
            standpoint: None,
        },
        Rule {
            head: atom(10, vec![var(1)]),
            body: vec![
                Literal::Pos(atom(9, vec![var(0), var(1)])),
                Literal::Pos(atom(5, vec![var(0), var(2)])),
                Literal::Compare {
                    op: CmpOp::Le,
                    left: v(2),
                    right: today(),
                },
            ],
            var_count: 3,
            var_names: names(&["l", "p", "s"]),
            origin: RuleOrigin::Derive {
                name: "current_tenant".into(),
                clause: 0,
            },
            defeasibility: ox_ir::Defeasibility::default(),
            standpoint: None,
        },
        Rule {
            head: atom(11, vec![var(0)]),
            body: vec![
                Literal::Pos(atom(0, vec![var(0)])),
                Literal::Neg(atom(10, vec![var(0)])),
            ],
            var_count: 1,
            var_names: names(&["p"]),
            origin: RuleOrigin::Derive {
                name: "unleased".into(),
                clause: 0,
            },
            defeasibility: ox_ir::Defeasibility::default(),
            standpoint: None,
        },
        Rule {
            head: atom(12, vec![var(0)]),
            body: vec![
                Literal::Pos(atom(4, vec![var(0)])),
                Literal::Pos(atom(5, vec![var(0), var(1)])),
                Literal::Pos(atom(7, vec![var(0), var(2)])),
                Literal::Bind {
                    var: VarId(3),
                    expr: Expr::Binary {
                        op: BinaryOp::Add,
                        left: Box::new(v(1)),
                        right: Box::new(v(2)),
                    },
                },
                Literal::Compare {
                    op: CmpOp::Lt,
                    left: v(3),
                    right: today(),
                },
            ],
            var_count: 4,
            var_names: names(&["l", "s", "t", "end"]),
            origin: RuleOrigin::Check(CheckId(0)),
            defeasibility: ox_ir::Defeasibility::default(),
            standpoint: None,
        },
        Rule {
            head: atom(
                2,
                vec![
                    Term::Const(Value::Ref("acme".into())),
                    Term::Const(Value::String("ACME Ltd".into())),
                ],
            ),
            body: vec![],
            var_count: 0,
            var_names: vec![],
            origin: RuleOrigin::Derive {
                name: "Party.name".into(),
                clause: 0,
            },
            defeasibility: ox_ir::Defeasibility::default(),
            standpoint: None,
        },
    ];

    let checks = vec![Check {
        name: "overdue".into(),
        path: "leasing::overdue".into(),
        params: vec![param("l", lease.clone())],
        severity: Severity::Error,
        message: Some("lease {l} has run out".into()),
        pred: PredId(12),
        standpoint: None,
    }];

    let queries = vec![
        Query {
            name: "adults".into(),
            path: "leasing::adults".into(),
            visibility: Visibility::Public,
            params: vec![],
            result: Type::Set(Box::new(Type::Concept(ConceptId(3)))),
            as_of: None,
            across: Vec::new(),
            body: QueryBody::Extent(PredId(8)),
            doc: Some("Every adult.".into()),
        },
        Query {
            name: "leases_of".into(),
            path: "leasing::leases_of".into(),
            visibility: Visibility::Public,
            params: vec![
                QueryParam {
                    name: "tenant".into(),
                    ty: party.clone(),
                    optional: false,
                },
                QueryParam {
                    name: "since".into(),
                    ty: Type::Date,
                    optional: true,
                },
            ],
            result: Type::List(
                Box::new(Type::Record(vec![
                    ("lease".into(), lease.clone()),
                    ("start".into(), Type::Date),
                    ("rent".into(), Type::Money),
                ])),
                Cardinality::ANY,
            ),
            as_of: Some(42),
            across: Vec::new(),
            body: QueryBody::Select(Select {
                var_count: 4,
                var_names: names(&["tenant", "since", "l", "s"]),
                body: vec![
                    Literal::Pos(atom(9, vec![var(2), var(0)])),
                    Literal::Pos(atom(5, vec![var(2), var(3)])),
                    Literal::Compare {
                        op: CmpOp::Ge,
                        left: v(3),
                        right: v(1),
                    },
                ],
                projection: Projection::Record(vec![
                    ("lease".into(), v(2)),
                    ("start".into(), v(3)),
                    (
                        "rent".into(),
                        Expr::Field {
                            base: Box::new(v(2)),
                            field: rent_field,
                        },
                    ),
                ]),
                order_by: vec![(v(3), true)],
                limit: Some(10),
                offset: Some(0),
                group: None,
            }),
            doc: None,
        },
    ];

    let mutations = vec![
        Mutation {
            name: "sign_lease".into(),
            path: "leasing::sign_lease".into(),
            visibility: Visibility::Public,
            params: vec![
                param("tenant", party.clone()),
                param("rent", Type::Money),
                param("start", Type::Date),
            ],
            result: lease.clone(),
            body: vec![
                Stmt::Require {
                    cond: Expr::Holds {
                        pred: PredId(0),
                        args: vec![v(0)],
                    },
                    text: "Party(tenant)".into(),
                },
                Stmt::Let {
                    var: VarId(4),
                    value: Expr::Query {
                        query: QueryId(1),
                        args: vec![Some(v(0)), None],
                    },
                },
                Stmt::If {
                    cond: Expr::Binary {
                        op: BinaryOp::Ge,
                        left: Box::new(Expr::Builtin {
                            builtin: Builtin::Len,
                            args: vec![v(4)],
                        }),
                        right: Box::new(Expr::Const(Value::Nat(3))),
                    },
                    then: vec![Stmt::Emit {
                        name: "TooManyLeases".into(),
                        value: v(0),
                    }],
                    otherwise: vec![],
                },
                Stmt::InsertIndividual {
                    concept: ConceptId(2),
                    fields: vec![
                        (0, v(2)),
                        (1, v(1)),
                        (
                            2,
                            Expr::Builtin {
                                builtin: Builtin::DurationOf("months".into()),
                                args: vec![Expr::Const(Value::Int(12))],
                            },
                        ),
                    ],
                    bind: Some(VarId(3)),
                },
                Stmt::InsertTuple {
                    relation: RelationId(0),
                    args: vec![v(3), v(0)],
                },
                Stmt::Update {
                    target: v(3),
                    sets: vec![(
                        rent_field,
                        AssignOp::Add,
                        Expr::Const(money("10.50", "EUR")),
                    )],
                },
                Stmt::For {
                    var: VarId(5),
                    source: Expr::Extent(ConceptId(1)),
                    body: vec![Stmt::If {
                        cond: Expr::Call {
                            func: FnId(0),
                            args: vec![v(5)],
                        },
                        then: vec![Stmt::InsertIof {
                            individual: v(5),
                            concept: ConceptId(3),
                        }],
                        otherwise: vec![],
                    }],
                },
                Stmt::CallMutation {
                    mutation: MutationId(1),
                    args: vec![Expr::Const(Value::Ref("old-lease".into()))],
                    bind: None,
                },
                Stmt::Return(v(3)),
            ],
            local_count: 6,
            allow_forget: false,
            forgets: false,
            doc: Some("Signs a lease for a tenant.".into()),
        },
        Mutation {
            name: "end_lease".into(),
            path: "leasing::end_lease".into(),
            visibility: Visibility::Package,
            params: vec![param("lease", lease.clone())],
            result: Type::Unit,
            body: vec![
                Stmt::DeleteTuple {
                    relation: RelationId(0),
                    args: vec![v(0), Expr::Const(Value::Ref("acme".into()))],
                },
                Stmt::DeleteIndividual(v(0)),
            ],
            local_count: 1,
            allow_forget: false,
            forgets: false,
            doc: None,
        },
    ];

    let functions = vec![
        Function {
            name: "is_adult".into(),
            path: "leasing::is_adult".into(),
            visibility: Visibility::Public,
            params: vec![param("p", person.clone())],
            result: Type::Bool,
            body: Expr::Let {
                var: VarId(1),
                value: Box::new(Expr::Field {
                    base: Box::new(v(0)),
                    field: age_field,
                }),
                body: Box::new(Expr::Binary {
                    op: BinaryOp::Ge,
                    left: Box::new(v(1)),
                    right: Box::new(Expr::Const(Value::Nat(18))),
                }),
            },
            local_count: 2,
            doc: Some("Whether a person is 18 or older.".into()),
        },
        Function {
            name: "defaults".into(),
            path: "leasing::defaults".into(),
            visibility: Visibility::Private,
            params: vec![],
            result: Type::List(Box::new(Type::Enum(EnumId(0))), Cardinality::ANY),
            body: Expr::List(vec![
                Expr::Const(Value::Enum(EnumId(0), 0, vec![])),
                Expr::Const(Value::Enum(
                    EnumId(0),
                    1,
                    vec![Value::Date(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap())],
                )),
                Expr::Const(Value::Struct(
                    StructId(0),
                    vec![
                        Value::String("Main St 1".into()),
                        Value::String("12345".into()),
                    ],
                )),
                Expr::Const(Value::DateTime(
                    Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap(),
                )),
                Expr::Const(Value::Decimal(Decimal::from_str("-12.3400").unwrap())),
                Expr::Const(Value::Duration(Duration {
                    months: 14,
                    days: -3,
                    seconds: 3600,
                })),
                Expr::Const(Value::Map(vec![(
                    Value::String("k".into()),
                    Value::List(vec![Value::Bool(true), Value::Null]),
                )])),
                Expr::Struct {
                    id: StructId(0),
                    fields: vec![
                        Expr::Const(Value::String("x".into())),
                        Expr::Const(Value::String("y".into())),
                    ],
                },
            ]),
            local_count: 0,
            doc: None,
        },
    ];

    let standpoints = vec![
        Standpoint {
            name: "legal".into(),
            path: "leasing::legal".into(),
            parents: vec![],
        },
        Standpoint {
            name: "tax".into(),
            path: "leasing::tax".into(),
            parents: vec![StandpointId(0)],
        },
        Standpoint {
            name: "audit".into(),
            path: "leasing::audit".into(),
            parents: vec![StandpointId(0), StandpointId(1)],
        },
    ];

    Module {
        package: PackageInfo {
            name: "leasing".into(),
            version: "0.1.0".into(),
            entry: "src/root.ar".into(),
        },
        concepts,
        relations,
        structs,
        enums,
        predicates,
        rules,
        checks,
        queries,
        mutations,
        functions,
        standpoints,
    }
}

/// The smallest valid module: one concept and its predicate.
pub fn tiny_module() -> Module {
    Module {
        package: PackageInfo {
            name: "t".into(),
            version: "0".into(),
            entry: "a.ar".into(),
        },
        concepts: vec![Concept {
            name: "A".into(),
            path: "t::A".into(),
            metatype: "type".into(),
            visibility: Visibility::Public,
            supertypes: vec![],
            fields: vec![],
            key: None,
            refinement: Refinement::None,
            pred: PredId(0),
            doc: Some("d".into()),
            cover: Vec::new(),
        }],
        relations: vec![],
        structs: vec![],
        enums: vec![],
        predicates: vec![Predicate {
            name: "A".into(),
            path: "t::A".into(),
            kind: PredKind::Concept(ConceptId(0)),
            params: vec![param("x", Type::Concept(ConceptId(0)))],
            visibility: Visibility::Public,
            doc: None,
        }],
        rules: vec![],
        checks: vec![],
        queries: vec![],
        mutations: vec![],
        functions: vec![],
        standpoints: vec![],
    }
}
