//! The engine over the hand-built lease domain, on the mem and sqlite backends.

mod support;

use std::time::{Duration, Instant};

use ox_runtime::{Engine, ErrorCode, MutateOptions, QueryResult};
use serde_json::{json, Value as Json};
use support::*;

/// Runs `f` on a fresh engine over each backend.
fn on_each_backend(f: impl Fn(&Engine)) {
    f(&mem_engine());
    let dir = tempfile::tempdir().expect("temp dir");
    f(&sqlite_engine(&dir));
}

fn mutate(engine: &Engine, tenant: &str, name: &str, a: Json) -> ox_runtime::MutationReceipt {
    engine
        .mutate(&ctx(tenant), name, &args(a), &MutateOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn mutate_err(engine: &Engine, tenant: &str, name: &str, a: Json) -> ox_runtime::RuntimeError {
    match engine.mutate(&ctx(tenant), name, &args(a), &MutateOptions::default()) {
        Ok(r) => panic!("{name} should fail, got {r:?}"),
        Err(e) => e,
    }
}

fn rows(engine: &Engine, tenant: &str, name: &str, a: Json) -> Vec<Json> {
    match engine
        .query(&ctx(tenant), name, &args(a))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .result
    {
        QueryResult::Rows(rows) => rows,
        QueryResult::Value(v) => panic!("{name}: expected rows, got {v}"),
    }
}

fn seed(engine: &Engine, tenant: &str) {
    mutate(
        engine,
        tenant,
        "add_person",
        json!({"id": "alice", "name": "Alice", "age": 34}),
    );
    mutate(
        engine,
        tenant,
        "add_person",
        json!({"id": "bob", "name": "Bob", "age": 17}),
    );
    mutate(
        engine,
        tenant,
        "sign_lease",
        json!({"id": "l1", "tenant": "alice", "rent": {"amount": "9500.00", "currency": "USD"}, "start": "2026-01-01"}),
    );
}

#[test]
fn query_mutate_compute_round_trip() {
    on_each_backend(|engine| {
        let receipt = mutate(
            engine,
            "acme",
            "add_person",
            json!({"id": "alice", "name": "Alice", "age": 34}),
        );
        assert_eq!(receipt.value, json!({"id": "alice", "type": "Person"}));
        assert_eq!(receipt.tx, 1);
        assert!(receipt.events_written >= 4, "individual + 3 fields");
        mutate(
            engine,
            "acme",
            "add_person",
            json!({"id": "bob", "name": "Bob", "age": 17}),
        );
        let lease = mutate(
            engine,
            "acme",
            "sign_lease",
            json!({"id": "l1", "tenant": {"id": "alice"}, "rent": {"amount": "9500.00", "currency": "USD"}, "start": "2026-01-01"}),
        );
        assert_eq!(lease.value, json!({"id": "l1", "type": "Lease"}));
        assert_eq!(lease.tx, 3);
        assert_eq!(
            lease.events_emitted,
            vec![json!({"name": "LeaseSigned", "value": {"id": "l1", "type": "Lease"}})]
        );

        // Derived facts: Adult (iff), active_lease (derive).
        assert_eq!(
            rows(engine, "acme", "adults", json!({})),
            vec![json!({"id": "alice", "type": "Person"})]
        );
        assert_eq!(
            rows(engine, "acme", "active_leases", json!({})),
            vec![
                json!({"lease": {"id": "l1", "type": "Lease"}, "tenant": {"id": "alice", "type": "Person"}})
            ]
        );
        assert_eq!(
            rows(engine, "acme", "leases_of", json!({"t": "alice"})),
            vec![json!({"id": "l1", "type": "Lease"})]
        );
        assert!(rows(engine, "acme", "leases_of", json!({"t": "bob"})).is_empty());

        // Single-valued result and the tx read.
        let one = engine
            .query(
                &ctx("acme"),
                "lease::person_named",
                &args(json!({"name": "Bob"})),
            )
            .unwrap();
        assert_eq!(one.tx, 3);
        assert_eq!(
            one.result,
            QueryResult::Value(json!({"id": "bob", "type": "Person"}))
        );

        // Optional parameter left free, or given.
        assert_eq!(rows(engine, "acme", "people", json!({})).len(), 2);
        assert_eq!(
            rows(engine, "acme", "people", json!({"name": "Alice"})),
            vec![json!({"id": "alice", "type": "Person"})]
        );

        // Records, order by desc, limit; Option field absent → null.
        assert_eq!(
            rows(engine, "acme", "roster", json!({})),
            vec![
                json!({"name": "Alice", "age": 34, "nick": null}),
                json!({"name": "Bob", "age": 17, "nick": null}),
            ]
        );

        // Update, then the derived predicate drops the lease.
        mutate(engine, "acme", "end_lease", json!({"l": "l1"}));
        assert!(rows(engine, "acme", "active_leases", json!({})).is_empty());

        // Update with `+=` and a return value read from pending state.
        let b = mutate(engine, "acme", "birthday", json!({"p": "bob"}));
        assert_eq!(b.value, json!(18));
        assert_eq!(rows(engine, "acme", "adults", json!({})).len(), 2);

        // Compute, plain and calling a query.
        let annual = engine
            .compute(
                &ctx("acme"),
                "annual_rent",
                &args(json!({"monthly": {"amount": "100.50", "currency": "EUR"}})),
            )
            .unwrap();
        assert_eq!(annual, json!({"amount": "1206.00", "currency": "EUR"}));
        let count = engine
            .compute(&ctx("acme"), "lease_count", &args(json!({"t": "alice"})))
            .unwrap();
        assert_eq!(count, json!(1));

        // A for loop inserting several individuals; len of an extent.
        let n = mutate(
            engine,
            "acme",
            "add_people",
            json!({"names": ["carol", "dave"]}),
        );
        assert_eq!(n.value, json!(4));

        // Struct field values round trip through the log.
        let p = mutate(
            engine,
            "acme",
            "add_property",
            json!({"id": "flat", "address": {"street": "Main St 1"}}),
        );
        assert_eq!(p.value, json!({"id": "flat", "type": "Property"}));
    });
}

#[test]
fn iof_gives_the_most_specific_type_and_retire_removes_the_individual() {
    on_each_backend(|engine| {
        seed(engine, "acme");
        mutate(engine, "acme", "classify", json!({"l": "l1"}));
        assert_eq!(
            rows(engine, "acme", "leases_of", json!({"t": "alice"})),
            vec![json!({"id": "l1", "type": "ResidentialLease"})]
        );
        let r = mutate(engine, "acme", "remove_lease", json!({"l": "l1"}));
        assert!(
            r.events_written >= 6,
            "membership, fields, iof and the tuple: {r:?}"
        );
        assert!(rows(engine, "acme", "leases_of", json!({"t": "alice"})).is_empty());
        assert!(rows(engine, "acme", "active_leases", json!({})).is_empty());
        let e = engine
            .mutate(
                &ctx("acme"),
                "end_lease",
                &args(json!({"l": "l1"})),
                &MutateOptions::default(),
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert!(e.message.contains("l1"), "{}", e.message);
    });
}

#[test]
fn tenants_are_isolated_through_every_api() {
    on_each_backend(|engine| {
        seed(engine, "acme");
        assert!(rows(engine, "globex", "adults", json!({})).is_empty());
        assert!(rows(engine, "globex", "people", json!({})).is_empty());
        assert!(rows(engine, "globex", "active_leases", json!({})).is_empty());
        let e = engine
            .query(&ctx("globex"), "leases_of", &args(json!({"t": "alice"})))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        let e = engine
            .compute(&ctx("globex"), "lease_count", &args(json!({"t": "alice"})))
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        let e = mutate_err(engine, "globex", "end_lease", json!({"l": "l1"}));
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        // Globex can use the same ids without a key conflict; tx counters are per tenant.
        let r = mutate(
            engine,
            "globex",
            "add_person",
            json!({"id": "alice", "name": "Other", "age": 50}),
        );
        assert_eq!(r.tx, 1);
        assert_eq!(
            rows(engine, "globex", "people", json!({"name": "Other"})),
            vec![json!({"id": "alice", "type": "Person"})]
        );
        assert!(rows(engine, "acme", "people", json!({"name": "Other"})).is_empty());
        assert_eq!(rows(engine, "acme", "people", json!({})).len(), 2);
    });
}

#[test]
fn require_failure_writes_nothing() {
    on_each_backend(|engine| {
        seed(engine, "acme");
        mutate(
            engine,
            "acme",
            "add_person",
            json!({"id": "kid", "name": "Kid", "age": 12}),
        );
        let before = engine.store().last_tx(&ctx("acme").tenant).unwrap();
        let e = mutate_err(
            engine,
            "acme",
            "sign_lease",
            json!({"id": "l2", "tenant": "kid", "rent": 100, "start": "2026-02-01"}),
        );
        assert_eq!(e.code, ErrorCode::RequireFailed);
        assert_eq!(e.code.http_status(), 422);
        assert_eq!(e.details["condition"], json!("tenant.age >= 16"));
        assert_eq!(engine.store().last_tx(&ctx("acme").tenant).unwrap(), before);
        assert_eq!(
            rows(engine, "acme", "leases_of", json!({"t": "kid"})),
            Vec::<Json>::new()
        );
    });
}

#[test]
fn validation_failures_roll_back() {
    on_each_backend(|engine| {
        seed(engine, "acme");
        let tenant = ctx("acme").tenant;
        let before = engine.store().last_tx(&tenant).unwrap();

        // Cardinality: a lease must have exactly one tenant.
        let e = mutate_err(engine, "acme", "orphan_lease", json!({"id": "l9"}));
        assert_eq!(e.code, ErrorCode::CheckViolated);
        assert!(e.message.contains("LeaseOf"), "{}", e.message);
        assert_eq!(e.details["endpoint"], json!("lease"));

        // where invariant: rent must stay positive.
        let e = mutate_err(engine, "acme", "set_rent", json!({"l": "l1", "rent": "0"}));
        assert_eq!(e.code, ErrorCode::CheckViolated);
        assert_eq!(e.details["condition"], json!("self.rent > 0"));
        let e = mutate_err(
            engine,
            "acme",
            "sign_lease",
            json!({"id": "l0", "tenant": "alice", "rent": -5, "start": "2026-02-01"}),
        );
        assert_eq!(e.code, ErrorCode::CheckViolated);

        // iff class: membership cannot be asserted.
        let e = mutate_err(engine, "acme", "make_adult", json!({"p": "bob"}));
        assert_eq!(e.code, ErrorCode::CheckViolated);
        assert!(e.message.contains("defined class"), "{}", e.message);

        // Key conflict.
        let e = mutate_err(
            engine,
            "acme",
            "add_person",
            json!({"id": "alice", "name": "Again", "age": 40}),
        );
        assert_eq!(e.code, ErrorCode::CheckViolated);
        assert!(e.message.contains("key conflict"), "{}", e.message);

        // Error-severity check: a minor tenant (bob is 17; the require needs 16).
        let e = mutate_err(
            engine,
            "acme",
            "sign_lease",
            json!({"id": "l2", "tenant": "bob", "rent": 100, "start": "2026-02-01"}),
        );
        assert_eq!(e.code, ErrorCode::CheckViolated);
        assert!(
            e.message.contains("tenant bob of l2 is a minor"),
            "{}",
            e.message
        );

        // Updating a non-mut field.
        let e = mutate_err(engine, "acme", "rename", json!({"p": "bob"}));
        assert_eq!(e.code, ErrorCode::CheckViolated);

        // Nothing of the above was written; the state is unchanged.
        assert_eq!(engine.store().last_tx(&tenant).unwrap(), before);
        assert_eq!(
            rows(engine, "acme", "leases_of", json!({"t": "alice"})).len(),
            1
        );
        assert_eq!(rows(engine, "acme", "adults", json!({})).len(), 1);
        assert_eq!(rows(engine, "acme", "people", json!({})).len(), 2);
    });
}

#[test]
fn signature_mismatches_and_unknown_callables() {
    let engine = mem_engine();
    seed(&engine, "acme");
    let q = |name: &str, a: Json| engine.query(&ctx("acme"), name, &args(a)).unwrap_err();

    let e = q("leases_of", json!({}));
    assert_eq!(e.code, ErrorCode::SignatureMismatch);
    assert_eq!(e.details["parameter"], json!("t"));
    let e = q("leases_of", json!({"t": "alice", "extra": 1}));
    assert_eq!(e.code, ErrorCode::SignatureMismatch);
    assert_eq!(e.details["parameter"], json!("extra"));
    let e = q("leases_of", json!({"t": 5}));
    assert_eq!(e.code, ErrorCode::SignatureMismatch);
    assert_eq!(e.details["parameter"], json!("t"));
    // An individual of the wrong concept is a type mismatch; an unknown id is a validation failure.
    let e = q("leases_of", json!({"t": "l1"}));
    assert_eq!(e.code, ErrorCode::SignatureMismatch);
    let e = q("leases_of", json!({"t": "nobody"}));
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    assert_eq!(e.details["individual"], json!("nobody"));

    let e = engine
        .mutate(
            &ctx("acme"),
            "add_person",
            &args(json!({"id": "x", "name": "X", "age": -1})),
            &MutateOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SignatureMismatch);
    assert_eq!(e.details["parameter"], json!("age"));
    let e = engine
        .compute(
            &ctx("acme"),
            "annual_rent",
            &args(json!({"monthly": "abc"})),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::SignatureMismatch);

    for (kind, e) in [
        ("query", q("nope", json!({}))),
        ("query", q("secret", json!({}))),
        (
            "mutation",
            engine
                .mutate(
                    &ctx("acme"),
                    "nope",
                    &args(json!({})),
                    &MutateOptions::default(),
                )
                .unwrap_err(),
        ),
        (
            "fn",
            engine
                .compute(&ctx("acme"), "nope", &args(json!({})))
                .unwrap_err(),
        ),
    ] {
        assert_eq!(e.code, ErrorCode::UnknownCallable, "{kind}");
        assert_eq!(e.code.http_status(), 404);
    }

    // A single-valued query with several rows.
    mutate(
        &engine,
        "acme",
        "add_person",
        json!({"id": "alice2", "name": "Alice", "age": 20}),
    );
    let e = q("person_named", json!({"name": "Alice"}));
    assert_eq!(e.code, ErrorCode::UnsupportedQueryResult);
    let e = q("person_named", json!({"name": "Nobody"}));
    assert_eq!(e.code, ErrorCode::UnsupportedQueryResult);
}

#[test]
fn as_of_reads_see_earlier_transactions() {
    on_each_backend(|engine| {
        seed(engine, "acme");
        mutate(engine, "acme", "end_lease", json!({"l": "l1"}));
        let mut at = ctx("acme");
        at.as_of_tx = Some(3);
        let out = engine
            .query(&at, "active_leases", &args(json!({})))
            .unwrap();
        assert_eq!(out.tx, 3);
        assert!(matches!(out.result, QueryResult::Rows(ref r) if r.len() == 1));
        at.as_of_tx = Some(1);
        let out = engine.query(&at, "people", &args(json!({}))).unwrap();
        assert_eq!(out.tx, 1);
        assert!(matches!(out.result, QueryResult::Rows(ref r) if r.len() == 1));
        // The query's own `as_of 1`.
        assert_eq!(
            rows(engine, "acme", "people_at_tx_1", json!({})),
            vec![json!({"id": "alice", "type": "Person"})]
        );
        // Past the end: the last tx.
        at.as_of_tx = Some(99);
        assert_eq!(engine.query(&at, "people", &args(json!({}))).unwrap().tx, 4);
        // Mutations cannot be given an as-of point.
        let e = engine
            .mutate(
                &at,
                "add_person",
                &args(json!({"id": "z", "name": "Z", "age": 1})),
                &MutateOptions::default(),
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
    });
}

#[test]
fn dry_run_writes_nothing() {
    on_each_backend(|engine| {
        seed(engine, "acme");
        let tenant = ctx("acme").tenant;
        let before = engine.store().last_tx(&tenant).unwrap();
        let receipt = engine
            .mutate(
                &ctx("acme"),
                "add_person",
                &args(json!({"id": "carol", "name": "Carol", "age": 40})),
                &MutateOptions {
                    dry_run: true,
                    ..MutateOptions::default()
                },
            )
            .unwrap();
        assert_eq!(receipt.events_written, 0);
        assert_eq!(receipt.value, json!({"id": "carol", "type": "Person"}));
        let events = receipt.dry_run_events.expect("dry-run events");
        assert_eq!(events.len(), 4);
        assert_eq!(events[0]["kind"], json!("individual"));
        assert_eq!(events[0]["axiomId"], json!("ind:carol"));
        assert_eq!(events[1]["kind"], json!("property_assertion"));
        assert_eq!(engine.store().last_tx(&tenant).unwrap(), before);
        assert!(rows(engine, "acme", "people", json!({"name": "Carol"})).is_empty());
        // Dry runs validate too.
        let e = engine
            .mutate(
                &ctx("acme"),
                "orphan_lease",
                &args(json!({"id": "l9"})),
                &MutateOptions {
                    dry_run: true,
                    ..MutateOptions::default()
                },
            )
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::CheckViolated);
    });
}

#[test]
fn past_deadline_is_a_timeout() {
    let engine = mem_engine();
    seed(&engine, "acme");
    let mut late = ctx("acme");
    late.deadline = Some(Instant::now() - Duration::from_millis(1));
    let e = engine.query(&late, "adults", &args(json!({}))).unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout);
    let e = engine
        .mutate(
            &late,
            "add_person",
            &args(json!({"id": "z", "name": "Z", "age": 1})),
            &MutateOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout);
    let e = engine
        .compute(&late, "annual_rent", &args(json!({"monthly": 1})))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout);
    assert_eq!(rows(&engine, "acme", "people", json!({})).len(), 2);
}

#[test]
fn forget_is_refused() {
    let engine = mem_engine();
    seed(&engine, "acme");
    assert!(engine.mutation_forgets("erase"));
    assert!(!engine.mutation_forgets("add_person"));
    let e = mutate_err(&engine, "acme", "erase", json!({"p": "alice"}));
    assert_eq!(e.code, ErrorCode::ForgetRefused);
    assert_eq!(rows(&engine, "acme", "people", json!({})).len(), 2);
}

#[test]
fn unknown_standpoint_is_refused() {
    let engine = mem_engine();
    let mut c = ctx("acme");
    c.standpoint = Some("nowhere".into());
    let e = engine.query(&c, "adults", &args(json!({}))).unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
}

#[test]
fn data_survives_reopening_the_sqlite_store() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = sqlite_engine(&dir);
        seed(&engine, "acme");
    }
    let engine = sqlite_engine(&dir);
    assert_eq!(rows(&engine, "acme", "active_leases", json!({})).len(), 1);
    assert_eq!(rows(&engine, "acme", "people", json!({})).len(), 2);
}

#[test]
fn concurrent_writers_on_one_tenant_all_commit() {
    let engine = std::sync::Arc::new(mem_engine());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let engine = engine.clone();
            std::thread::spawn(move || {
                for j in 0..3 {
                    let id = format!("p{i}-{j}");
                    engine
                        .mutate(
                            &ctx("acme"),
                            "add_person",
                            &args(json!({"id": id, "name": id, "age": 20})),
                            &MutateOptions::default(),
                        )
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(rows(&engine, "acme", "people", json!({})).len(), 12);
}

#[test]
fn standpoint_writes_are_local_to_their_layer() {
    let mut module = lease_module();
    module.standpoints.push(ox_ir::Standpoint {
        name: "audit".into(),
        path: "lease::audit".into(),
        parents: vec![],
    });
    let engine = engine_with(module, std::sync::Arc::new(ox_store::MemBackend::new()));
    seed(&engine, "acme");
    let mut audit = ctx("acme");
    audit.standpoint = Some("audit".into());
    engine
        .mutate(
            &audit,
            "birthday",
            &args(json!({"p": "bob"})),
            &MutateOptions::default(),
        )
        .unwrap();
    let adults = |c: &ox_runtime::RequestContext| match engine
        .query(c, "adults", &args(json!({})))
        .unwrap()
        .result
    {
        QueryResult::Rows(r) => r.len(),
        QueryResult::Value(_) => 0,
    };
    // Under `audit`, bob turned 18 (the audit layer's age wins); in the default layer he is 17.
    assert_eq!(adults(&audit), 2);
    assert_eq!(adults(&ctx("acme")), 1);
}

#[test]
fn nested_mutation_calls_and_branches() {
    use ox_ir::{BinaryOp, Expr, MutationId, Stmt, Type, Value, VarId};
    let mut module = lease_module();
    // mutate onboard(id: String, age: Nat) -> Nat {
    //   if age >= 18 { add_person(id, id, age); } else { add_person(id, id, 18); }
    //   return len([p.age for p in Person where p.age >= 18]); }
    let call = |age: Expr| Stmt::CallMutation {
        mutation: MutationId(0),
        args: vec![v(0), v(0), age],
        bind: None,
    };
    let mut onboard = module.mutations[0].clone();
    onboard.name = "onboard".into();
    onboard.path = "lease::onboard".into();
    onboard.params = vec![
        ox_ir::Param {
            name: "id".into(),
            ty: Type::String,
        },
        ox_ir::Param {
            name: "age".into(),
            ty: Type::Nat,
        },
    ];
    onboard.result = Type::Nat;
    onboard.local_count = 3;
    onboard.body = vec![
        Stmt::If {
            cond: bin(BinaryOp::Ge, v(1), c(Value::Nat(18))),
            then: vec![call(v(1))],
            otherwise: vec![call(c(Value::Nat(18)))],
        },
        Stmt::Return(Expr::Builtin {
            builtin: ox_ir::Builtin::Len,
            args: vec![Expr::Comprehension {
                var: VarId(2),
                source: Box::new(Expr::Extent(PERSON)),
                filter: Some(Box::new(bin(
                    BinaryOp::Ge,
                    field(v(2), PERSON, 2),
                    c(Value::Nat(18)),
                ))),
                element: Box::new(v(2)),
            }],
        }),
    ];
    module.mutations.push(onboard);
    let engine = engine_with(module, std::sync::Arc::new(ox_store::MemBackend::new()));
    let r = mutate(&engine, "acme", "onboard", json!({"id": "zoe", "age": 5}));
    assert_eq!(r.value, json!(1));
    assert_eq!(
        r.tx, 1,
        "the nested mutation is part of the same transaction"
    );
    let r = mutate(&engine, "acme", "onboard", json!({"id": "yan", "age": 40}));
    assert_eq!(r.value, json!(2));
    assert_eq!(
        rows(&engine, "acme", "roster", json!({})),
        vec![
            json!({"name": "yan", "age": 40, "nick": null}),
            json!({"name": "zoe", "age": 18, "nick": null})
        ]
    );
}
