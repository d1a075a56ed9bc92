//! Conformance checks of forks: copy-on-write reads, closing, diff, promote.

use super::{assert_event, current, fact, facts, retract_event, tenant};
use crate::{
    AppendRequest, AsOf, Committed, ForkState, NewEvent, StorageBackend, StoreError, TenantId,
    ValidPoint, MAIN_FORK,
};

/// Appends `events` to (tenant, fork) at its current generation.
pub fn write_to(
    b: &dyn StorageBackend,
    t: &TenantId,
    fork: &str,
    events: Vec<NewEvent>,
) -> Committed {
    try_write_to(b, t, fork, events).expect("append")
}

/// Like [`write_to`], returning the error.
pub fn try_write_to(
    b: &dyn StorageBackend,
    t: &TenantId,
    fork: &str,
    events: Vec<NewEvent>,
) -> Result<Committed, StoreError> {
    let generation = b.generation(t, fork)?;
    b.append(AppendRequest {
        tenant: t,
        fork,
        expected_generation: generation,
        principal: "tester",
        schema_hash: "schema-1",
        events,
        idempotency: None,
    })
}

/// The facts of a fork now.
pub fn fork_facts(b: &dyn StorageBackend, t: &TenantId, fork: &str) -> Vec<(String, Vec<u8>)> {
    facts(&b.visible_events(t, fork, current()).expect("visible"))
}

fn fork(b: &dyn StorageBackend, t: &TenantId, name: &str) {
    b.create_fork(t, name, MAIN_FORK, None, "tester")
        .expect("create fork");
}

/// A fork sees its parent's events below the fork point plus its own; its
/// writes never reach the parent; forks share the tenant's tx counter.
pub fn fork_reads_parent_below_fork_point(b: &dyn StorageBackend) {
    let t = tenant("fk-read");
    write_to(b, &t, MAIN_FORK, vec![assert_event("a", b"1")]);
    let record = b
        .create_fork(&t, "what-if", MAIN_FORK, None, "alice")
        .expect("create");
    assert_eq!(record.fork_point_tx, 2);
    assert_eq!(record.parent.as_deref(), Some(MAIN_FORK));
    assert_eq!(
        (record.state, record.generation, record.created_by.as_str()),
        (ForkState::Open, 0, "alice")
    );
    write_to(b, &t, MAIN_FORK, vec![assert_event("b", b"1")]);
    assert_eq!(fork_facts(b, &t, "what-if"), vec![fact("a", b"1")]);
    let c = write_to(
        b,
        &t,
        "what-if",
        vec![assert_event("a", b"2"), assert_event("c", b"1")],
    );
    assert_eq!(c.tx, 3, "forks share the tenant's tx counter");
    assert_eq!(c.generation, 1);
    assert_eq!(
        fork_facts(b, &t, "what-if"),
        vec![fact("a", b"2"), fact("c", b"1")]
    );
    assert_eq!(
        fork_facts(b, &t, MAIN_FORK),
        vec![fact("a", b"1"), fact("b", b"1")]
    );
    // as of tx 2 the fork had written nothing: the parent's record shows
    assert_eq!(
        facts(
            &b.visible_events(&t, "what-if", AsOf::tx_all(2))
                .expect("visible")
        ),
        vec![fact("a", b"1")]
    );
    let names: Vec<String> = b
        .forks(&t)
        .expect("forks")
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, vec![MAIN_FORK.to_owned(), "what-if".to_owned()]);
    assert_eq!(
        b.fork(&t, "what-if").expect("fork").map(|f| f.generation),
        Some(1)
    );
    assert_eq!(b.generation(&t, MAIN_FORK).expect("generation"), 2);
}

/// Fork names, parents and points are checked.
pub fn fork_creation_rules(b: &dyn StorageBackend) {
    let t = tenant("fk-rules");
    write_to(b, &t, MAIN_FORK, vec![assert_event("a", b"1")]);
    write_to(b, &t, MAIN_FORK, vec![assert_event("a", b"2")]);
    let old = b
        .create_fork(&t, "at-1", MAIN_FORK, Some(1), "p")
        .expect("fork at tx 1");
    assert_eq!(old.fork_point_tx, 2);
    assert_eq!(fork_facts(b, &t, "at-1"), vec![fact("a", b"1")]);
    let err = |r: Result<crate::ForkRecord, StoreError>| r.expect_err("refused");
    assert!(matches!(
        err(b.create_fork(&t, "at-1", MAIN_FORK, None, "p")),
        StoreError::ForkExists(_)
    ));
    assert!(matches!(
        err(b.create_fork(&t, MAIN_FORK, MAIN_FORK, None, "p")),
        StoreError::ForkExists(_)
    ));
    assert!(matches!(
        err(b.create_fork(&t, "late", MAIN_FORK, Some(3), "p")),
        StoreError::InvalidFork(_)
    ));
    assert!(matches!(
        err(b.create_fork(&t, "a b", MAIN_FORK, None, "p")),
        StoreError::InvalidFork(_)
    ));
    assert!(matches!(
        err(b.create_fork(&t, "orphan", "nowhere", None, "p")),
        StoreError::UnknownFork(_)
    ));
    assert_eq!(b.fork(&t, "nowhere").expect("fork"), None);
    assert_eq!(
        b.fork(&tenant("fk-empty"), MAIN_FORK)
            .expect("fork")
            .map(|f| f.name),
        Some(MAIN_FORK.to_owned()),
        "main exists implicitly"
    );
    // a tenant with no data can fork main at tx 0
    let empty = tenant("fk-empty");
    b.create_fork(&empty, "f", MAIN_FORK, None, "p")
        .expect("fork of an empty main");
    write_to(b, &empty, "f", vec![assert_event("x", b"1")]);
    assert_eq!(fork_facts(b, &empty, "f"), vec![fact("x", b"1")]);
    assert!(fork_facts(b, &empty, MAIN_FORK).is_empty());
}

/// A promoted or aborted fork refuses writes and stays readable; `main`
/// cannot be closed.
pub fn closed_forks_refuse_writes(b: &dyn StorageBackend) {
    let t = tenant("fk-closed");
    fork(b, &t, "f");
    write_to(b, &t, "f", vec![assert_event("a", b"1")]);
    let closed = b
        .close_fork(&t, "f", ForkState::Aborted, "p")
        .expect("abort");
    assert_eq!(closed.state, ForkState::Aborted);
    assert_eq!(closed.generation, 2);
    assert!(matches!(
        try_write_to(b, &t, "f", vec![assert_event("a", b"2")]),
        Err(StoreError::ForkClosed(_))
    ));
    assert_eq!(fork_facts(b, &t, "f"), vec![fact("a", b"1")]);
    assert!(matches!(
        b.close_fork(&t, "f", ForkState::Aborted, "p"),
        Err(StoreError::ForkClosed(_))
    ));
    assert!(matches!(
        b.close_fork(&t, MAIN_FORK, ForkState::Aborted, "p"),
        Err(StoreError::InvalidFork(_))
    ));
    assert!(matches!(
        b.close_fork(&t, "ghost", ForkState::Aborted, "p"),
        Err(StoreError::UnknownFork(_))
    ));
    assert!(matches!(
        b.promote(&t, "f", "p", "s"),
        Err(StoreError::ForkClosed(_))
    ));
}

/// A fork's retraction hides the parent's record in the fork only.
pub fn fork_retraction_hides_parent_record(b: &dyn StorageBackend) {
    let t = tenant("fk-retract");
    write_to(
        b,
        &t,
        MAIN_FORK,
        vec![assert_event("a", b"1"), assert_event("b", b"1")],
    );
    fork(b, &t, "f");
    write_to(b, &t, "f", vec![retract_event("a")]);
    assert_eq!(fork_facts(b, &t, "f"), vec![fact("b", b"1")]);
    assert_eq!(
        fork_facts(b, &t, MAIN_FORK),
        vec![fact("a", b"1"), fact("b", b"1")]
    );
}

/// `diff` lists what each side changed since the common ancestor.
pub fn diff_lists_changes_on_both_sides(b: &dyn StorageBackend) {
    let t = tenant("fk-diff");
    write_to(
        b,
        &t,
        MAIN_FORK,
        vec![assert_event("same", b"1"), assert_event("x", b"1")],
    );
    fork(b, &t, "f");
    write_to(b, &t, MAIN_FORK, vec![assert_event("m", b"main")]);
    write_to(b, &t, "f", vec![assert_event("x", b"fork")]);
    let diff = b.diff(&t, MAIN_FORK, "f").expect("diff");
    assert_eq!(diff.ancestor, MAIN_FORK);
    assert_eq!(facts(&diff.only_in_a), vec![fact("m", b"main")]);
    // the fork's record of `x`: the old value until the change, then the new
    assert_eq!(
        facts(&diff.only_in_b),
        vec![fact("x", b"1"), fact("x", b"fork")]
    );
    assert!(diff.only_in_b[0].valid_to.is_some() && diff.only_in_b[1].valid_to.is_none());
    let back = b.diff(&t, "f", MAIN_FORK).expect("diff");
    assert_eq!(facts(&back.only_in_b), vec![fact("m", b"main")]);
    assert!(b.diff(&t, "f", "f").expect("diff").only_in_a.is_empty());
    assert!(matches!(
        b.diff(&t, "f", "ghost"),
        Err(StoreError::UnknownFork(_))
    ));
}

/// Promotion re-stamps the fork's records onto `main` at a new tx, retracts
/// what the fork retracted, and closes the fork.
pub fn promote_applies_fork_changes(b: &dyn StorageBackend) {
    let t = tenant("fk-promote");
    write_to(
        b,
        &t,
        MAIN_FORK,
        vec![assert_event("a", b"1"), assert_event("b", b"1")],
    );
    fork(b, &t, "f");
    write_to(
        b,
        &t,
        "f",
        vec![
            assert_event("a", b"2"),
            retract_event("b"),
            assert_event("c", b"1"),
        ],
    );
    write_to(b, &t, MAIN_FORK, vec![assert_event("d", b"1")]);
    let preview = facts(
        &b.promoted_view(&t, "f", ValidPoint::At(chrono::Utc::now()))
            .expect("preview"),
    );
    assert_eq!(
        preview,
        vec![fact("a", b"2"), fact("c", b"1"), fact("d", b"1")]
    );
    let before = b.generation(&t, MAIN_FORK).expect("generation");
    let p = b.promote(&t, "f", "alice", "schema-2").expect("promote");
    assert_eq!(p.tx, 4);
    assert_eq!(p.generation, before + 1);
    // a = 2, c = 1 and the remainders of a = 1 and b = 1 before the change
    assert_eq!(p.source_event_ids.len(), 4);
    let mut main = fork_facts(b, &t, MAIN_FORK);
    main.sort();
    assert_eq!(
        main,
        vec![fact("a", b"2"), fact("c", b"1"), fact("d", b"1")]
    );
    assert!(b
        .visible_events(&t, MAIN_FORK, current())
        .expect("visible")
        .iter()
        .filter(|e| e.tx == 4)
        .all(|e| e.principal == "alice" && e.fork == MAIN_FORK));
    let history = b.history(&t, MAIN_FORK).expect("history");
    assert!(history
        .iter()
        .any(|e| e.kind == "fork_promoted" && e.tx == 4 && e.tx_to == Some(4)));
    assert_eq!(
        b.fork(&t, "f").expect("fork").map(|f| f.state),
        Some(ForkState::Promoted)
    );
    assert!(matches!(
        try_write_to(b, &t, "f", vec![assert_event("z", b"1")]),
        Err(StoreError::ForkClosed(_))
    ));
    assert!(matches!(
        b.promote(&t, MAIN_FORK, "p", "s"),
        Err(StoreError::InvalidFork(_))
    ));
}

/// Promotion refuses when `main` changed an axiom the fork changed, naming
/// it, and writes nothing.
pub fn promote_conflict_changes_nothing(b: &dyn StorageBackend) {
    let t = tenant("fk-conflict");
    write_to(
        b,
        &t,
        MAIN_FORK,
        vec![assert_event("a", b"1"), assert_event("b", b"1")],
    );
    fork(b, &t, "f");
    write_to(
        b,
        &t,
        "f",
        vec![assert_event("a", b"fork"), assert_event("b", b"fork")],
    );
    write_to(b, &t, MAIN_FORK, vec![assert_event("a", b"main")]);
    let last = b.last_tx(&t).expect("last tx");
    let err = b.promote(&t, "f", "p", "s").expect_err("conflict");
    assert_eq!(
        err,
        StoreError::PromoteConflict {
            axioms: vec!["a".to_owned()]
        }
    );
    assert_eq!(b.last_tx(&t).expect("last tx"), last);
    assert_eq!(
        b.fork(&t, "f").expect("fork").map(|f| f.state),
        Some(ForkState::Open)
    );
}

/// A fork of a fork reads through the chain with each fork point applied.
pub fn nested_forks_read_through_the_chain(b: &dyn StorageBackend) {
    let t = tenant("fk-nested");
    write_to(b, &t, MAIN_FORK, vec![assert_event("a", b"1")]);
    fork(b, &t, "f");
    write_to(b, &t, "f", vec![assert_event("b", b"f")]);
    b.create_fork(&t, "g", "f", None, "p").expect("fork of f");
    write_to(b, &t, "f", vec![assert_event("c", b"f-late")]);
    write_to(b, &t, MAIN_FORK, vec![assert_event("a", b"2")]);
    write_to(b, &t, "g", vec![assert_event("a", b"g")]);
    assert_eq!(
        fork_facts(b, &t, "g"),
        vec![fact("b", b"f"), fact("a", b"g")]
    );
    assert_eq!(
        fork_facts(b, &t, "f"),
        vec![fact("a", b"1"), fact("b", b"f"), fact("c", b"f-late")]
    );
    let diff = b.diff(&t, "g", MAIN_FORK).expect("diff");
    assert_eq!(diff.ancestor, MAIN_FORK);
    // g promotes into f
    b.promote(&t, "g", "p", "s").expect("promote g");
    let mut f = fork_facts(b, &t, "f");
    f.sort();
    assert_eq!(
        f,
        vec![fact("a", b"g"), fact("b", b"f"), fact("c", b"f-late")]
    );
    assert_eq!(
        fork_facts(b, &t, MAIN_FORK),
        vec![fact("a", b"2")],
        "main untouched"
    );
}

/// Fork operations of one tenant never see another tenant's forks or events.
pub fn forks_are_isolated_between_tenants(b: &dyn StorageBackend) {
    let (x, y) = (tenant("fk-iso-x"), tenant("fk-iso-y"));
    write_to(b, &x, MAIN_FORK, vec![assert_event("secret", b"x")]);
    fork(b, &x, "shared-name");
    write_to(b, &x, "shared-name", vec![assert_event("f", b"x")]);
    assert!(matches!(
        b.visible_events(&y, "shared-name", current()),
        Err(StoreError::UnknownFork(_))
    ));
    fork(b, &y, "shared-name");
    assert!(fork_facts(b, &y, "shared-name").is_empty());
    assert_eq!(b.forks(&y).expect("forks").len(), 2);
    let diff = b.diff(&y, MAIN_FORK, "shared-name").expect("diff");
    assert!(diff.only_in_a.is_empty() && diff.only_in_b.is_empty());
    assert!(matches!(
        b.promote(&y, "shared-name", "p", "s"),
        Ok(p) if p.source_event_ids.is_empty()
    ));
    assert_eq!(
        fork_facts(b, &x, "shared-name"),
        vec![fact("secret", b"x"), fact("f", b"x")]
    );
    assert!(fork_facts(b, &y, MAIN_FORK).is_empty());
}
