//! The conformance suite every [`StorageBackend`] must pass, written once.
//!
//! Each check is a function taking `&dyn StorageBackend` that panics (like a
//! test assertion) on a violation. [`conformance_tests!`](crate::conformance_tests)
//! expands to one `#[test]` per check for a backend [`Fixture`]:
//!
//! ```text
//! struct Mem(ox_store::MemBackend);
//! impl ox_store::conformance::Fixture for Mem { /* … */ }
//! ox_store::conformance_tests!(Mem);
//! ```
//!
//! Available with `cfg(test)` or the `conformance` feature.

mod bitemporal;
mod forks;
mod records;

pub use bitemporal::*;
pub use forks::*;
pub use records::*;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Duration, TimeZone, Utc};

use crate::{
    content_id, AppendRequest, AsOf, Committed, Event, NewEvent, Op, SchemaScope, StorageBackend,
    StoreError, TenantId, ValidPoint, MAIN_FORK,
};

/// The current state as valid now (what an ordinary read sees).
pub fn current() -> AsOf {
    AsOf::current(Utc::now())
}

/// The state right after `tx`, as valid now.
pub fn at(tx: u64) -> AsOf {
    AsOf::at_tx(tx, Utc::now())
}

/// A fresh, empty backend for one test (it may own e.g. a temporary directory).
pub trait Fixture {
    /// Creates the fixture (panics if it cannot: this is test setup).
    fn new() -> Self;
    /// The backend under test.
    fn backend(&self) -> &dyn StorageBackend;
    /// Creates the fixture, or `None` when its backend is not configured in
    /// this environment (the fixture reports the skip itself).
    fn try_new() -> Option<Self>
    where
        Self: Sized,
    {
        Some(Self::new())
    }
}

/// Expands to one `#[test]` per conformance check for the [`Fixture`] type given.
#[macro_export]
macro_rules! conformance_tests {
    ($fixture:ty) => {
        $crate::conformance_tests!(@each $fixture;
            tx_numbering_is_per_tenant,
            supersession_and_retraction,
            as_of_reads_at_every_tx,
            generation_bump_and_conflict,
            empty_append_writes_nothing,
            events_keep_tx_and_request_order,
            valid_time_defaults_to_commit_time,
            principal_and_schema_hash_recorded,
            schema_scopes_follow_last_write,
            content_id_is_sha256_of_body,
            tenant_ids_are_validated,
            standpoints_supersede_separately,
            unknown_fork_is_refused,
            invalid_events_write_nothing,
            concurrent_appends_are_serialised,
            tenants_are_isolated,
            update_keeps_the_past_valid,
            retroactive_correction_keeps_the_audit_trail,
            retraction_ends_validity,
            as_of_wall_clock_time,
            next_valid_change_sees_future_starts,
            fork_reads_parent_below_fork_point,
            fork_creation_rules,
            closed_forks_refuse_writes,
            fork_retraction_hides_parent_record,
            diff_lists_changes_on_both_sides,
            promote_applies_fork_changes,
            promote_conflict_changes_nothing,
            nested_forks_read_through_the_chain,
            idempotency_records_commit_with_the_write,
            schema_changes_are_recorded,
            forget_erases_selected_events,
            forget_erases_stored_responses_of_erased_writes,
            export_import_round_trip,
            forks_are_isolated_between_tenants,
        );
    };
    (@each $fixture:ty; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let Some(fixture) = <$fixture as $crate::conformance::Fixture>::try_new() else {
                    return;
                };
                $crate::conformance::$check($crate::conformance::Fixture::backend(&fixture));
            }
        )*
    };
}

/// A tenant id for tests.
pub fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).expect("test tenant id is valid")
}

/// An assert of `axiom_id` with `body`, kind `property_assertion`, default layer.
pub fn assert_event(axiom_id: &str, body: &[u8]) -> NewEvent {
    NewEvent {
        axiom_id: axiom_id.to_owned(),
        kind: "property_assertion".to_owned(),
        op: Op::Assert,
        body: body.to_vec(),
        standpoint: None,
        valid_from: None,
        valid_to: None,
    }
}

/// A retraction of `axiom_id`.
pub fn retract_event(axiom_id: &str) -> NewEvent {
    NewEvent {
        op: Op::Retract,
        ..assert_event(axiom_id, b"")
    }
}

/// Appends `events` to (tenant, main) at the current generation.
pub fn write(b: &dyn StorageBackend, t: &TenantId, events: Vec<NewEvent>) -> Committed {
    let generation = b.generation(t, MAIN_FORK).expect("generation");
    b.append(AppendRequest {
        tenant: t,
        fork: MAIN_FORK,
        expected_generation: generation,
        principal: "tester",
        schema_hash: "schema-1",
        idempotency: None,
        events,
    })
    .expect("append")
}

/// The visible events of (tenant, main) at `as_of`.
pub fn visible(b: &dyn StorageBackend, t: &TenantId, as_of: AsOf) -> Vec<Event> {
    b.visible_events(t, MAIN_FORK, as_of)
        .expect("visible_events")
}

/// (axiom id, body) of each event, in order.
pub fn facts(events: &[Event]) -> Vec<(String, Vec<u8>)> {
    events
        .iter()
        .map(|e| (e.axiom_id.clone(), e.body.clone()))
        .collect()
}

/// An (axiom id, body) pair as [`facts`] returns them.
pub fn fact(axiom_id: &str, body: &[u8]) -> (String, Vec<u8>) {
    (axiom_id.to_owned(), body.to_vec())
}

/// Each tenant has its own tx counter starting at 1; a tenant never written
/// reads as empty with tx 0 and generation 0.
pub fn tx_numbering_is_per_tenant(b: &dyn StorageBackend) {
    let (a, z) = (tenant("acme"), tenant("zeta"));
    assert_eq!(b.last_tx(&a).expect("last_tx"), 0);
    assert_eq!(b.generation(&a, MAIN_FORK).expect("generation"), 0);
    assert!(visible(b, &a, current()).is_empty());
    assert!(visible(b, &a, at(5)).is_empty());

    assert_eq!(write(b, &a, vec![assert_event("x", b"1")]).tx, 1);
    assert_eq!(write(b, &z, vec![assert_event("x", b"1")]).tx, 1);
    assert_eq!(write(b, &a, vec![assert_event("y", b"2")]).tx, 2);
    assert_eq!(write(b, &a, vec![assert_event("z", b"3")]).tx, 3);
    assert_eq!(write(b, &z, vec![assert_event("y", b"2")]).tx, 2);
    assert_eq!(b.last_tx(&a).expect("last_tx"), 3);
    assert_eq!(b.last_tx(&z).expect("last_tx"), 2);
    let txs: Vec<u64> = visible(b, &a, current()).iter().map(|e| e.tx).collect();
    assert_eq!(txs, vec![1, 2, 3]);
}

/// A new event closes the current one of the same axiom; a retraction is kept
/// for history and never visible; a later assert revives the axiom.
pub fn supersession_and_retraction(b: &dyn StorageBackend) {
    let t = tenant("t1");
    write(
        b,
        &t,
        vec![assert_event("age", b"30"), assert_event("name", b"al")],
    );
    write(b, &t, vec![assert_event("age", b"31")]);
    assert_eq!(
        facts(&visible(b, &t, current())),
        vec![fact("name", b"al"), fact("age", b"31")]
    );
    let c3 = write(b, &t, vec![retract_event("age")]);
    let now = visible(b, &t, current());
    assert_eq!(facts(&now), vec![fact("name", b"al")]);
    assert!(now.iter().all(|e| e.op == Op::Assert && e.tx_to.is_none()));
    // retracting what is not there is recorded and harmless
    write(b, &t, vec![retract_event("ghost")]);
    write(b, &t, vec![assert_event("age", b"40")]);
    assert_eq!(
        facts(&visible(b, &t, current())),
        vec![fact("name", b"al"), fact("age", b"40")]
    );
    // the old belief is still there at earlier transactions
    assert_eq!(
        facts(&visible(b, &t, at(1))),
        vec![fact("age", b"30"), fact("name", b"al")]
    );
    let at2 = visible(b, &t, at(2));
    assert_eq!(at2.last().map(|e| e.tx_to), Some(Some(c3.tx)));
    assert_eq!(facts(&visible(b, &t, at(c3.tx))), vec![fact("name", b"al")]);

    // within one append the later event supersedes the earlier one
    let c = write(
        b,
        &t,
        vec![
            assert_event("k", b"first"),
            assert_event("k", b"second"),
            assert_event("r", b"gone"),
            retract_event("r"),
        ],
    );
    let now = visible(b, &t, current());
    assert_eq!(
        facts(&now),
        vec![
            fact("name", b"al"),
            fact("age", b"40"),
            fact("k", b"second")
        ]
    );
    assert_eq!(
        facts(&visible(b, &t, at(c.tx))),
        facts(&now),
        "an event closed in its own tx is never visible"
    );
}

/// `at(n)` equals the state right after tx `n`, for every `n`.
pub fn as_of_reads_at_every_tx(b: &dyn StorageBackend) {
    let t = tenant("asof");
    let mut snapshots = vec![Vec::new()];
    let script: Vec<Vec<NewEvent>> = vec![
        vec![assert_event("a", b"1"), assert_event("b", b"1")],
        vec![assert_event("a", b"2")],
        vec![retract_event("b"), assert_event("c", b"1")],
        vec![assert_event("b", b"3"), assert_event("a", b"3")],
        vec![retract_event("a"), retract_event("c")],
    ];
    for events in script {
        write(b, &t, events);
        snapshots.push(facts(&visible(b, &t, current())));
    }
    for (n, expected) in snapshots.iter().enumerate() {
        let n = n as u64;
        assert_eq!(&facts(&visible(b, &t, at(n))), expected, "as of tx {n}");
    }
    assert_eq!(
        facts(&visible(b, &t, at(99))),
        facts(&visible(b, &t, current()))
    );
    assert_eq!(
        facts(&visible(b, &t, at(u64::MAX))),
        facts(&visible(b, &t, current()))
    );
    for e in visible(b, &t, at(2)) {
        assert!(e.visible_at(Some(2), ValidPoint::All));
    }
}

/// Each committed append bumps the (tenant, fork) generation by one; a stale
/// `expected_generation` is refused with `Conflict` and writes nothing.
pub fn generation_bump_and_conflict(b: &dyn StorageBackend) {
    let t = tenant("gen");
    let request = |expected, events| AppendRequest {
        tenant: &t,
        fork: MAIN_FORK,
        expected_generation: expected,
        principal: "p",
        schema_hash: "s",
        idempotency: None,
        events,
    };
    let c1 = b
        .append(request(0, vec![assert_event("a", b"1")]))
        .expect("first append");
    assert_eq!((c1.tx, c1.generation), (1, 1));
    let c2 = b
        .append(request(
            1,
            vec![assert_event("a", b"2"), assert_event("b", b"2")],
        ))
        .expect("second append");
    assert_eq!((c2.tx, c2.generation), (2, 2));
    assert_eq!(b.generation(&t, MAIN_FORK).expect("generation"), 2);

    for stale in [0, 1, 3] {
        let err = b
            .append(request(stale, vec![assert_event("a", b"lost")]))
            .expect_err("stale generation must conflict");
        assert_eq!(
            err,
            StoreError::Conflict {
                expected: stale,
                actual: 2
            }
        );
    }
    assert_eq!(b.generation(&t, MAIN_FORK).expect("generation"), 2);
    assert_eq!(b.last_tx(&t).expect("last_tx"), 2);
    assert_eq!(
        facts(&visible(b, &t, current())),
        vec![fact("a", b"2"), fact("b", b"2")]
    );
    // a conflict on a tenant never written creates nothing
    let fresh = tenant("fresh");
    let err = b
        .append(AppendRequest {
            tenant: &fresh,
            fork: MAIN_FORK,
            expected_generation: 7,
            principal: "p",
            schema_hash: "s",
            idempotency: None,
            events: vec![assert_event("a", b"1")],
        })
        .expect_err("conflict");
    assert_eq!(
        err,
        StoreError::Conflict {
            expected: 7,
            actual: 0
        }
    );
    assert_eq!(b.last_tx(&fresh).expect("last_tx"), 0);
    assert!(b
        .schema_scopes()
        .expect("scopes")
        .iter()
        .all(|s| s.tenant != fresh));
}

/// An empty append writes nothing: it returns the current tx, its commit time
/// and the current generation, and records no scope.
pub fn empty_append_writes_nothing(b: &dyn StorageBackend) {
    let t = tenant("empty");
    let c0 = write(b, &t, Vec::new());
    assert_eq!((c0.tx, c0.generation), (0, 0));
    assert!(c0.event_ids.is_empty());
    assert!(b.schema_scopes().expect("scopes").is_empty());

    let c1 = write(b, &t, vec![assert_event("a", b"1")]);
    let c2 = write(b, &t, Vec::new());
    assert_eq!((c2.tx, c2.generation), (c1.tx, c1.generation));
    assert_eq!(
        c2.committed_at, c1.committed_at,
        "the time of the current tx"
    );
    assert!(c2.event_ids.is_empty());
    assert_eq!(b.last_tx(&t).expect("last_tx"), 1);
    assert_eq!(b.generation(&t, MAIN_FORK).expect("generation"), 1);
    // the conflict check still applies
    let err = b
        .append(AppendRequest {
            tenant: &t,
            fork: MAIN_FORK,
            expected_generation: 0,
            principal: "p",
            schema_hash: "s",
            idempotency: None,
            events: Vec::new(),
        })
        .expect_err("stale generation");
    assert_eq!(
        err,
        StoreError::Conflict {
            expected: 0,
            actual: 1
        }
    );
}

/// Events come back in (tx, position in request) order, stamped with one tx
/// per append; `event_ids` match, are UUIDv7 and unique.
pub fn events_keep_tx_and_request_order(b: &dyn StorageBackend) {
    let t = tenant("order");
    let names = ["m", "c", "x", "a", "q"];
    let c1 = write(
        b,
        &t,
        names
            .iter()
            .map(|n| assert_event(n, n.as_bytes()))
            .collect(),
    );
    let c2 = write(
        b,
        &t,
        vec![assert_event("b", b"b"), assert_event("0", b"0")],
    );
    let now = visible(b, &t, current());
    let order: Vec<&str> = now.iter().map(|e| e.axiom_id.as_str()).collect();
    assert_eq!(order, vec!["m", "c", "x", "a", "q", "b", "0"]);
    let ids: Vec<_> = now.iter().map(|e| e.event_id).collect();
    let committed: Vec<_> = c1.event_ids.iter().chain(&c2.event_ids).copied().collect();
    assert_eq!(ids, committed);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
    assert!(ids.iter().all(|id| id.get_version_num() == 7));
    assert!(now[..5]
        .iter()
        .all(|e| e.tx == c1.tx && e.committed_at == c1.committed_at));
    assert!(now[5..]
        .iter()
        .all(|e| e.tx == c2.tx && e.committed_at == c2.committed_at));
    assert!(c2.committed_at >= c1.committed_at);
}

/// `valid_from` defaults to the commit time; given valid times are kept
/// (at microsecond precision); an empty interval is refused.
pub fn valid_time_defaults_to_commit_time(b: &dyn StorageBackend) {
    let t = tenant("vt");
    let before = Utc::now() - Duration::seconds(1);
    let from = Utc
        .with_ymd_and_hms(2020, 1, 2, 3, 4, 5)
        .single()
        .expect("valid date")
        + Duration::nanoseconds(123_456_789);
    let to = from + Duration::days(30);
    let c = write(
        b,
        &t,
        vec![
            assert_event("default", b"1"),
            NewEvent {
                valid_from: Some(from),
                valid_to: Some(to),
                ..assert_event("explicit", b"2")
            },
            NewEvent {
                valid_to: Some(Utc::now() + Duration::days(1)),
                ..assert_event("open-start", b"3")
            },
        ],
    );
    assert!(c.committed_at >= before && c.committed_at <= Utc::now() + Duration::seconds(1));
    assert_eq!(c.committed_at.timestamp_subsec_nanos() % 1000, 0);
    let now = visible(b, &t, AsOf::LATEST);
    // the explicit interval ended in the past: not valid now
    assert_eq!(visible(b, &t, current()).len(), 2);
    assert_eq!(now[0].valid_from, c.committed_at);
    assert_eq!(now[0].valid_to, None);
    assert_eq!(
        now[1].valid_from,
        from - Duration::nanoseconds(789),
        "truncated to µs"
    );
    assert_eq!(now[1].valid_to, Some(to - Duration::nanoseconds(789)));
    assert_eq!(now[2].valid_from, c.committed_at);

    let err = b
        .append(AppendRequest {
            tenant: &t,
            fork: MAIN_FORK,
            expected_generation: c.generation,
            principal: "p",
            schema_hash: "s",
            idempotency: None,
            events: vec![NewEvent {
                valid_from: Some(from),
                valid_to: Some(from),
                ..assert_event("bad", b"")
            }],
        })
        .expect_err("empty valid interval");
    assert!(matches!(err, StoreError::InvalidEvent(_)), "{err:?}");
}

/// Every event records the principal and schema hash of its append, its
/// tenant, fork, kind and standpoint.
pub fn principal_and_schema_hash_recorded(b: &dyn StorageBackend) {
    let t = tenant("who");
    let append = |principal: &str, schema: &str, expected, event| {
        b.append(AppendRequest {
            tenant: &t,
            fork: MAIN_FORK,
            expected_generation: expected,
            principal,
            schema_hash: schema,
            idempotency: None,
            events: vec![event],
        })
        .expect("append")
    };
    append("alice", "hash-a", 0, assert_event("x", b"1"));
    append(
        "bob",
        "hash-b",
        1,
        NewEvent {
            kind: "individual".into(),
            standpoint: Some("auditor".into()),
            ..assert_event("y", b"2")
        },
    );
    let now = visible(b, &t, current());
    let recorded: Vec<_> = now
        .iter()
        .map(|e| {
            (
                e.principal.as_str(),
                e.schema_hash.as_str(),
                e.kind.as_str(),
                e.standpoint.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        recorded,
        vec![
            ("alice", "hash-a", "property_assertion", None),
            ("bob", "hash-b", "individual", Some("auditor")),
        ]
    );
    assert!(now.iter().all(|e| e.tenant == t && e.fork == MAIN_FORK));
}

/// Schema scopes list, per tenant that holds data, the schema hash of its last
/// write, ordered by tenant.
pub fn schema_scopes_follow_last_write(b: &dyn StorageBackend) {
    assert!(b.schema_scopes().expect("scopes").is_empty());
    let (x, y) = (tenant("x-tenant"), tenant("a-tenant"));
    let append = |t: &TenantId, schema: &str| {
        let generation = b.generation(t, MAIN_FORK).expect("generation");
        b.append(AppendRequest {
            tenant: t,
            fork: MAIN_FORK,
            expected_generation: generation,
            principal: "p",
            schema_hash: schema,
            idempotency: None,
            events: vec![assert_event("f", schema.as_bytes())],
        })
        .expect("append")
    };
    append(&x, "h1");
    append(&y, "h1");
    append(&x, "h2");
    assert_eq!(
        b.schema_scopes().expect("scopes"),
        vec![
            SchemaScope {
                tenant: y.clone(),
                schema_hash: "h1".into()
            },
            SchemaScope {
                tenant: x.clone(),
                schema_hash: "h2".into()
            },
        ]
    );
}

/// `content_id` is the SHA-256 of the body.
pub fn content_id_is_sha256_of_body(b: &dyn StorageBackend) {
    let t = tenant("hash");
    write(
        b,
        &t,
        vec![assert_event("abc", b"abc"), assert_event("empty", b"")],
    );
    let now = visible(b, &t, current());
    assert_eq!(
        now[0].content_id_hex(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        now[1].content_id_hex(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert!(now.iter().all(|e| e.content_id == content_id(&e.body)));
    // bodies are opaque bytes and come back unchanged
    let body: Vec<u8> = (0..=255).collect();
    write(b, &t, vec![assert_event("bytes", &body)]);
    assert_eq!(visible(b, &t, current())[2].body, body);
}

/// Tenant ids are 1–128 characters of `A–Z a–z 0–9 . _ : -`.
pub fn tenant_ids_are_validated(b: &dyn StorageBackend) {
    for bad in ["", " ", "a b", "a/b", "ünï", "x;drop", &"t".repeat(129)] {
        assert!(
            matches!(TenantId::parse(bad), Err(StoreError::InvalidTenant(_))),
            "{bad:?} must be refused"
        );
    }
    let longest = tenant(&"t".repeat(128));
    let odd = tenant("A.z_0:9-");
    assert_eq!(write(b, &longest, vec![assert_event("a", b"1")]).tx, 1);
    assert_eq!(write(b, &odd, vec![assert_event("a", b"1")]).tx, 1);
    assert_eq!(visible(b, &longest, current()).len(), 1);
}

/// Events in different standpoints never supersede each other.
pub fn standpoints_supersede_separately(b: &dyn StorageBackend) {
    let t = tenant("sp");
    let in_layer = |layer: Option<&str>, body: &[u8]| NewEvent {
        standpoint: layer.map(str::to_owned),
        ..assert_event("fact", body)
    };
    write(
        b,
        &t,
        vec![in_layer(None, b"d1"), in_layer(Some("s1"), b"s1")],
    );
    write(
        b,
        &t,
        vec![in_layer(Some("s2"), b"s2"), in_layer(None, b"d2")],
    );
    let now = visible(b, &t, current());
    let seen: Vec<(Option<&str>, &[u8])> = now
        .iter()
        .map(|e| (e.standpoint.as_deref(), e.body.as_slice()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (Some("s1"), &b"s1"[..]),
            (Some("s2"), &b"s2"[..]),
            (None, &b"d2"[..])
        ]
    );
    write(
        b,
        &t,
        vec![NewEvent {
            standpoint: Some("s1".into()),
            ..retract_event("fact")
        }],
    );
    assert_eq!(visible(b, &t, current()).len(), 2);
}

/// A fork never created is refused everywhere.
pub fn unknown_fork_is_refused(b: &dyn StorageBackend) {
    let t = tenant("forks");
    let err = b
        .append(AppendRequest {
            tenant: &t,
            fork: "what-if",
            expected_generation: 0,
            principal: "p",
            schema_hash: "s",
            idempotency: None,
            events: vec![assert_event("a", b"1")],
        })
        .expect_err("unknown fork");
    assert!(matches!(err, StoreError::UnknownFork(_)), "{err:?}");
    assert!(matches!(
        b.visible_events(&t, "what-if", current()),
        Err(StoreError::UnknownFork(_))
    ));
    assert!(matches!(
        b.generation(&t, "what-if"),
        Err(StoreError::UnknownFork(_))
    ));
    assert_eq!(b.last_tx(&t).expect("last_tx"), 0);
}

/// A batch with one bad event is refused whole: nothing is written.
pub fn invalid_events_write_nothing(b: &dyn StorageBackend) {
    let t = tenant("invalid");
    write(b, &t, vec![assert_event("keep", b"1")]);
    let bad_batches = [
        vec![assert_event("ok", b"1"), assert_event("", b"no axiom")],
        vec![
            assert_event("ok", b"1"),
            NewEvent {
                kind: String::new(),
                ..assert_event("k", b"")
            },
        ],
        vec![NewEvent {
            standpoint: Some(String::new()),
            ..assert_event("keep", b"2")
        }],
    ];
    for events in bad_batches {
        let err = b
            .append(AppendRequest {
                tenant: &t,
                fork: MAIN_FORK,
                expected_generation: 1,
                principal: "p",
                schema_hash: "other",
                idempotency: None,
                events,
            })
            .expect_err("invalid batch");
        assert!(matches!(err, StoreError::InvalidEvent(_)), "{err:?}");
    }
    assert_eq!(b.last_tx(&t).expect("last_tx"), 1);
    assert_eq!(b.generation(&t, MAIN_FORK).expect("generation"), 1);
    assert_eq!(facts(&visible(b, &t, current())), vec![fact("keep", b"1")]);
    assert_eq!(
        b.schema_scopes().expect("scopes")[0].schema_hash,
        "schema-1"
    );
}

/// Concurrent writers to one tenant get distinct, gap-free txs (retrying on
/// `Conflict`), while another tenant is written alongside.
pub fn concurrent_appends_are_serialised(b: &dyn StorageBackend) {
    let t = tenant("busy");
    let other = tenant("quiet");
    const WRITERS: usize = 4;
    const PER_WRITER: usize = 10;
    std::thread::scope(|scope| {
        for w in 0..WRITERS {
            let t = &t;
            scope.spawn(move || {
                for i in 0..PER_WRITER {
                    let axiom = format!("w{w}:{i}");
                    loop {
                        let generation = b.generation(t, MAIN_FORK).expect("generation");
                        match b.append(AppendRequest {
                            tenant: t,
                            fork: MAIN_FORK,
                            expected_generation: generation,
                            principal: "p",
                            schema_hash: "s",
                            idempotency: None,
                            events: vec![assert_event(&axiom, b"v"), assert_event("shared", b"v")],
                        }) {
                            Ok(_) => break,
                            Err(StoreError::Conflict { .. }) => continue,
                            Err(e) => panic!("append failed: {e}"),
                        }
                    }
                }
            });
        }
        scope.spawn(|| {
            for i in 0..PER_WRITER {
                write(b, &other, vec![assert_event(&format!("o{i}"), b"v")]);
            }
        });
    });
    let total = (WRITERS * PER_WRITER) as u64;
    assert_eq!(b.last_tx(&t).expect("last_tx"), total);
    assert_eq!(b.generation(&t, MAIN_FORK).expect("generation"), total);
    assert_eq!(b.last_tx(&other).expect("last_tx"), PER_WRITER as u64);
    let now = visible(b, &t, current());
    assert_eq!(now.len(), WRITERS * PER_WRITER + 1);
    let txs: BTreeSet<u64> = now.iter().map(|e| e.tx).collect();
    assert_eq!(txs, (1..=total).collect::<BTreeSet<u64>>());
    assert_eq!(now.last().map(|e| e.axiom_id.as_str()), Some("shared"));
}

/// A fixed interleaving of writes to several tenants checked against the model.
pub fn tenants_are_isolated(b: &dyn StorageBackend) {
    let tenants = [tenant("iso-a"), tenant("iso-b"), tenant("iso-c")];
    let mut steps = Vec::new();
    for round in 0..4u8 {
        for (i, t) in tenants.iter().enumerate() {
            let axiom = format!("shared:{}", round % 2);
            let mut events = vec![assert_event(&axiom, &[round, i as u8])];
            if round == 3 && i == 1 {
                events.push(retract_event("shared:0"));
            }
            steps.push(Step {
                tenant: t.clone(),
                events,
            });
        }
    }
    check_against_model(b, &steps);
}

/// One append in a model run.
#[derive(Debug, Clone)]
pub struct Step {
    /// The tenant written.
    pub tenant: TenantId,
    /// The events appended (to `main`, at the current generation).
    pub events: Vec<NewEvent>,
}

/// What the model remembers of one stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ModelEvent {
    tx: u64,
    tx_to: Option<u64>,
    axiom_id: String,
    standpoint: Option<String>,
    op: Op,
    body: Vec<u8>,
}

/// Runs `steps` on `b` and checks, for every tenant, that it sees exactly its
/// own events at every tx, as a naive in-test model predicts.
pub fn check_against_model(b: &dyn StorageBackend, steps: &[Step]) {
    let mut model: BTreeMap<TenantId, Vec<ModelEvent>> = BTreeMap::new();
    let mut generations: HashMap<TenantId, u64> = HashMap::new();
    let mut owners: HashMap<uuid::Uuid, TenantId> = HashMap::new();
    for step in steps {
        let log = model.entry(step.tenant.clone()).or_default();
        let generation = generations.entry(step.tenant.clone()).or_default();
        let last_tx = log.last().map_or(0, |e| e.tx);
        let committed = b
            .append(AppendRequest {
                tenant: &step.tenant,
                fork: MAIN_FORK,
                expected_generation: *generation,
                principal: step.tenant.as_str(),
                schema_hash: "model",
                idempotency: None,
                events: step.events.clone(),
            })
            .expect("model append");
        if step.events.is_empty() {
            assert_eq!((committed.tx, committed.generation), (last_tx, *generation));
            continue;
        }
        let tx = last_tx + 1;
        assert_eq!((committed.tx, committed.generation), (tx, *generation + 1));
        *generation += 1;
        for id in committed.event_ids {
            assert!(
                owners.insert(id, step.tenant.clone()).is_none(),
                "duplicate id"
            );
        }
        for e in &step.events {
            for old in log.iter_mut() {
                if old.tx_to.is_none()
                    && old.axiom_id == e.axiom_id
                    && old.standpoint == e.standpoint
                {
                    old.tx_to = Some(tx);
                }
            }
            log.push(ModelEvent {
                tx,
                tx_to: (e.op == Op::Retract).then_some(tx),
                axiom_id: e.axiom_id.clone(),
                standpoint: e.standpoint.clone(),
                op: e.op,
                body: e.body.clone(),
            });
        }
        let seen = visible(b, &step.tenant, current());
        assert_eq!(seen.len(), expected_at(log, None).len());
    }
    for (t, log) in &model {
        let last_tx = log.last().map_or(0, |e| e.tx);
        assert_eq!(b.last_tx(t).expect("last_tx"), last_tx, "tenant {t}");
        assert_eq!(
            b.generation(t, MAIN_FORK).expect("generation"),
            generations.get(t).copied().unwrap_or(0)
        );
        let snapshots = std::iter::once(None).chain((0..=last_tx + 1).map(Some));
        for point in snapshots {
            let as_of = point.map_or_else(current, at);
            let seen = visible(b, t, as_of);
            for e in &seen {
                assert_eq!(&e.tenant, t, "event of another tenant");
                assert_eq!(
                    owners.get(&e.event_id),
                    Some(t),
                    "event id of another tenant"
                );
                assert_eq!(e.principal, t.as_str());
            }
            let got: Vec<ModelEvent> = seen
                .into_iter()
                .map(|e| ModelEvent {
                    tx: e.tx,
                    tx_to: e.tx_to,
                    axiom_id: e.axiom_id,
                    standpoint: e.standpoint,
                    op: e.op,
                    body: e.body,
                })
                .collect();
            assert_eq!(got, expected_at(log, point), "tenant {t} as of {point:?}");
        }
    }
}

/// The model's visible events at tx `point` (`None`: latest), in log order.
fn expected_at(log: &[ModelEvent], point: Option<u64>) -> Vec<ModelEvent> {
    log.iter()
        .filter(|e| {
            e.op == Op::Assert
                && match point {
                    None => e.tx_to.is_none(),
                    Some(n) => e.tx <= n && !matches!(e.tx_to, Some(to) if to <= n),
                }
        })
        .cloned()
        .collect()
}
