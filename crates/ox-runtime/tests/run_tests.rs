//! `run_tests`: pass, fail and error outcomes, filtering, fresh stores.

mod support;

use ox_ir::{BinaryOp, Expr, Stmt, Test, Value, VarId};
use ox_runtime::{run_tests, TestStatus};
use support::*;

fn insert_person(id: &str, age: u64, bind: u32) -> Stmt {
    Stmt::InsertIndividual {
        concept: PERSON,
        fields: vec![
            (0, c(Value::String(id.into()))),
            (1, c(Value::String(id.to_uppercase()))),
            (2, c(Value::Nat(age))),
        ],
        bind: Some(VarId(bind)),
    }
}

fn holds_adult(var: u32) -> Expr {
    Expr::Holds {
        pred: P_ADULT,
        args: vec![v(var)],
    }
}

fn not(e: Expr) -> Expr {
    Expr::Unary {
        op: ox_ir::UnaryOp::Not,
        expr: Box::new(e),
    }
}

fn test(name: &str, body: Vec<Stmt>, locals: u32) -> Test {
    Test {
        name: name.into(),
        body,
        local_count: locals,
        local_names: (0..locals).map(|i| format!("x{i}")).collect(),
    }
}

fn tests() -> Vec<Test> {
    vec![
        // The iff class is derived after the insert commits; a query sees it too.
        test(
            "adults are derived",
            vec![
                insert_person("alice", 34, 0),
                insert_person("bob", 12, 1),
                Stmt::Assert {
                    cond: holds_adult(0),
                    text: "Adult(alice)".into(),
                },
                Stmt::Assert {
                    cond: not(holds_adult(1)),
                    text: "!Adult(bob)".into(),
                },
                Stmt::Assert {
                    cond: bin(
                        BinaryOp::Eq,
                        Expr::Builtin {
                            builtin: ox_ir::Builtin::Len,
                            args: vec![Expr::Query {
                                query: ox_ir::QueryId(3),
                                args: vec![None],
                            }],
                        },
                        c(Value::Nat(2)),
                    ),
                    text: "len(people()) == 2".into(),
                },
            ],
            2,
        ),
        // Each test has a fresh store: alice from the first test is not here.
        test(
            "fresh store and failed asserts",
            vec![
                Stmt::Assert {
                    cond: bin(
                        BinaryOp::Eq,
                        Expr::Builtin {
                            builtin: ox_ir::Builtin::Len,
                            args: vec![Expr::Extent(PERSON)],
                        },
                        c(Value::Nat(0)),
                    ),
                    text: "len(Person) == 0".into(),
                },
                insert_person("carol", 10, 0),
                Stmt::Assert {
                    cond: holds_adult(0),
                    text: "Adult(carol)".into(),
                },
                Stmt::Assert {
                    cond: c(Value::Bool(false)),
                    text: "false".into(),
                },
                Stmt::Assert {
                    cond: c(Value::Bool(true)),
                    text: "true".into(),
                },
            ],
            1,
        ),
        // A lease without a tenant fails validation before the assert: ERROR.
        test(
            "invalid writes are an error",
            vec![
                Stmt::InsertIndividual {
                    concept: LEASE,
                    fields: vec![
                        (0, c(Value::String("l1".into()))),
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
                },
                Stmt::Assert {
                    cond: c(Value::Bool(true)),
                    text: "true".into(),
                },
            ],
            0,
        ),
        // An evaluation error (overflow) is an error too.
        test(
            "overflow is an error",
            vec![Stmt::Assert {
                cond: bin(
                    BinaryOp::Gt,
                    bin(BinaryOp::Add, c(Value::Int(i64::MAX)), c(Value::Int(1))),
                    c(Value::Int(0)),
                ),
                text: "i64::MAX + 1 > 0".into(),
            }],
            0,
        ),
        // Writes at the end of a test are validated too.
        test(
            "trailing writes are validated",
            vec![Stmt::InsertIof {
                individual: c(Value::Ref("nobody".into())),
                concept: RESIDENTIAL,
            }],
            0,
        ),
    ]
}

#[test]
fn outcomes_are_pass_fail_and_error() {
    let module = lease_module();
    let outcomes = run_tests(&module, &tests(), None);
    let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "adults are derived",
            "fresh store and failed asserts",
            "invalid writes are an error",
            "overflow is an error",
            "trailing writes are validated"
        ]
    );
    assert_eq!(outcomes[0].status, TestStatus::Passed);
    assert_eq!(
        outcomes[1].status,
        TestStatus::Failed(vec!["Adult(carol)".into(), "false".into()])
    );
    match &outcomes[2].status {
        TestStatus::Error(m) => assert!(m.contains("LeaseOf"), "{m}"),
        other => panic!("expected an error, got {other:?}"),
    }
    match &outcomes[3].status {
        TestStatus::Error(m) => assert!(m.contains("overflow"), "{m}"),
        other => panic!("expected an error, got {other:?}"),
    }
    match &outcomes[4].status {
        TestStatus::Error(m) => assert!(m.contains("nobody"), "{m}"),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn filter_selects_tests_by_name() {
    let module = lease_module();
    let outcomes = run_tests(&module, &tests(), Some("error"));
    let names: Vec<&str> = outcomes.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        names,
        ["invalid writes are an error", "overflow is an error"]
    );
    assert!(run_tests(&module, &tests(), Some("no such test")).is_empty());
}
