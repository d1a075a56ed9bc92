//! Randomised operations on three tenants: each sees exactly its own events,
//! at every tx, in every fork, on every backend (checked against a naive
//! model for `main`, and by ownership for forks).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ox_store::conformance::{check_against_model, current, Fixture, Step};
use ox_store::{AppendRequest, NewEvent, Op, StorageBackend, StoreError, TenantId, MAIN_FORK};
use proptest::prelude::*;

const TENANTS: [&str; 3] = ["t-a", "t-b", "t-c"];

fn event() -> impl Strategy<Value = NewEvent> {
    (
        0..4u8,
        prop_oneof![3 => Just(Op::Assert), 1 => Just(Op::Retract)],
        prop::option::weighted(0.2, Just("s1".to_owned())),
        prop::collection::vec(any::<u8>(), 0..6),
    )
        .prop_map(|(axiom, op, standpoint, body)| NewEvent {
            axiom_id: format!("ax:{axiom}"),
            kind: "property_assertion".into(),
            op,
            body,
            standpoint,
            valid_from: None,
            valid_to: None,
        })
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (0..TENANTS.len(), prop::collection::vec(event(), 0..4)),
        0..16,
    )
    .prop_map(move |steps| {
        steps
            .into_iter()
            .map(|(t, events)| Step {
                tenant: TenantId::parse(TENANTS[t]).expect("valid tenant"),
                events,
            })
            .collect()
    })
}

/// One randomised fork operation.
#[derive(Debug, Clone)]
enum ForkOp {
    Create {
        tenant: usize,
        fork: u8,
    },
    Write {
        tenant: usize,
        fork: Option<u8>,
        events: Vec<NewEvent>,
    },
    Promote {
        tenant: usize,
        fork: u8,
    },
}

fn fork_ops() -> impl Strategy<Value = Vec<ForkOp>> {
    let op = prop_oneof![
        (0..TENANTS.len(), 0..3u8).prop_map(|(tenant, fork)| ForkOp::Create { tenant, fork }),
        (
            0..TENANTS.len(),
            prop::option::of(0..3u8),
            prop::collection::vec(event(), 1..4)
        )
            .prop_map(|(tenant, fork, events)| ForkOp::Write {
                tenant,
                fork,
                events
            }),
        (0..TENANTS.len(), 0..3u8).prop_map(|(tenant, fork)| ForkOp::Promote { tenant, fork }),
    ];
    prop::collection::vec(op, 0..20)
}

/// Runs fork operations and checks that every read, list and diff of a
/// tenant returns only that tenant's events and forks.
fn check_fork_isolation(b: &dyn StorageBackend, ops: &[ForkOp]) {
    let tenant = |i: usize| TenantId::parse(TENANTS[i]).expect("valid tenant");
    let name = |f: u8| format!("f{f}");
    let mut owners: HashMap<uuid::Uuid, usize> = HashMap::new();
    let mut forks: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for op in ops {
        match op {
            ForkOp::Create { tenant: i, fork } => {
                match b.create_fork(&tenant(*i), &name(*fork), MAIN_FORK, None, "p") {
                    Ok(_) => {
                        forks.entry(*i).or_default().insert(name(*fork));
                    }
                    Err(StoreError::ForkExists(_)) => {}
                    Err(e) => panic!("create: {e}"),
                }
            }
            ForkOp::Write {
                tenant: i,
                fork,
                events,
            } => {
                let fork = fork.map_or(MAIN_FORK.to_owned(), name);
                let t = tenant(*i);
                let Ok(generation) = b.generation(&t, &fork) else {
                    continue;
                };
                match b.append(AppendRequest {
                    tenant: &t,
                    fork: &fork,
                    expected_generation: generation,
                    principal: t.as_str(),
                    schema_hash: "model",
                    events: events.clone(),
                    idempotency: None,
                }) {
                    Ok(c) => {
                        for id in c.event_ids {
                            assert!(owners.insert(id, *i).is_none(), "duplicate id");
                        }
                    }
                    Err(StoreError::ForkClosed(_) | StoreError::UnknownFork(_)) => {}
                    Err(e) => panic!("append: {e}"),
                }
            }
            ForkOp::Promote { tenant: i, fork } => {
                match b.promote(&tenant(*i), &name(*fork), "p", "model") {
                    Ok(p) => {
                        for id in p.event_ids {
                            owners.insert(id, *i);
                        }
                    }
                    Err(
                        StoreError::ForkClosed(_)
                        | StoreError::UnknownFork(_)
                        | StoreError::PromoteConflict { .. },
                    ) => {}
                    Err(e) => panic!("promote: {e}"),
                }
            }
        }
    }
    for i in 0..TENANTS.len() {
        let t = tenant(i);
        let listed: BTreeSet<String> = b
            .forks(&t)
            .expect("forks")
            .into_iter()
            .map(|f| f.name)
            .filter(|n| n != MAIN_FORK)
            .collect();
        assert_eq!(&listed, forks.get(&i).unwrap_or(&BTreeSet::new()));
        let mut names: Vec<String> = listed.into_iter().collect();
        names.push(MAIN_FORK.to_owned());
        for fork in &names {
            let mut seen = b.visible_events(&t, fork, current()).expect("visible");
            seen.extend(b.history(&t, fork).expect("history"));
            let diff = b.diff(&t, MAIN_FORK, fork).expect("diff");
            seen.extend(diff.only_in_a);
            seen.extend(diff.only_in_b);
            for e in seen {
                assert_eq!(e.tenant, t, "event of another tenant");
                if let Some(owner) = owners.get(&e.event_id) {
                    assert_eq!(*owner, i, "event id of another tenant");
                }
                assert!(
                    e.principal == t.as_str() || e.principal == "p",
                    "written by another tenant's request"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn mem_tenants_see_only_their_events(steps in steps()) {
        let fixture = common::Mem::new();
        check_against_model(fixture.backend(), &steps);
    }

    #[test]
    fn sqlite_tenants_see_only_their_events(steps in steps()) {
        let fixture = common::Sqlite::new();
        check_against_model(fixture.backend(), &steps);
    }

    #[test]
    fn mem_forks_stay_within_their_tenant(ops in fork_ops()) {
        let fixture = common::Mem::new();
        check_fork_isolation(fixture.backend(), &ops);
    }

    #[test]
    fn sqlite_forks_stay_within_their_tenant(ops in fork_ops()) {
        let fixture = common::Sqlite::new();
        check_fork_isolation(fixture.backend(), &ops);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn pg_tenants_see_only_their_events(steps in steps()) {
        if let Some(fixture) = common::Pg::try_new() {
            check_against_model(fixture.backend(), &steps);
        }
    }

    #[test]
    fn pg_forks_stay_within_their_tenant(ops in fork_ops()) {
        if let Some(fixture) = common::Pg::try_new() {
            check_fork_isolation(fixture.backend(), &ops);
        }
    }
}
