//! Randomised appends on three tenants: each sees exactly its own events, at
//! every tx, on every backend (checked against a naive model).

mod common;

use ox_store::conformance::{check_against_model, Fixture, Step};
use ox_store::{NewEvent, Op, TenantId};
use proptest::prelude::*;

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
    let tenants = ["t-a", "t-b", "t-c"];
    prop::collection::vec(
        (0..tenants.len(), prop::collection::vec(event(), 0..4)),
        0..16,
    )
    .prop_map(move |steps| {
        steps
            .into_iter()
            .map(|(t, events)| Step {
                tenant: TenantId::parse(tenants[t]).expect("valid tenant"),
                events,
            })
            .collect()
    })
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
}
