//! Conformance checks of the records kept beside the log: idempotency keys,
//! schema changes, forget receipts; and export/import.

use super::{assert_event, current, fact, facts, tenant, visible, write};
use crate::{
    AppendRequest, ForgetSelector, IdempotencyRecord, StorageBackend, StoreError, MAIN_FORK,
};

fn record(key: &str, fingerprint: u8, response: &[u8]) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.to_owned(),
        fingerprint: [fingerprint; 32],
        response: response.to_vec(),
    }
}

/// An idempotency record commits with its write; the same key again is
/// `IdempotencyReplay` and writes nothing; keys are per fork.
pub fn idempotency_records_commit_with_the_write(b: &dyn StorageBackend) {
    let t = tenant("idem");
    let append = |generation, key: &str, events| {
        b.append(AppendRequest {
            tenant: &t,
            fork: MAIN_FORK,
            expected_generation: generation,
            principal: "p",
            schema_hash: "s",
            events,
            idempotency: Some(record(key, 7, key.as_bytes())),
        })
    };
    assert_eq!(
        b.idempotent_response(&t, MAIN_FORK, "k1").expect("lookup"),
        None
    );
    let c = append(0, "k1", vec![assert_event("a", b"1")]).expect("first");
    let stored = b
        .idempotent_response(&t, MAIN_FORK, "k1")
        .expect("lookup")
        .expect("stored");
    assert_eq!(
        (stored.fingerprint, stored.response.as_slice(), stored.tx),
        ([7; 32], &b"k1"[..], c.tx)
    );
    let err = append(1, "k1", vec![assert_event("a", b"2")]).expect_err("replay");
    assert_eq!(err, StoreError::IdempotencyReplay("k1".into()));
    assert_eq!(b.last_tx(&t).expect("last tx"), 1);
    assert_eq!(facts(&visible(b, &t, current())), vec![fact("a", b"1")]);
    // an empty append stores its key with the current tx
    append(1, "k2", Vec::new()).expect("empty");
    assert_eq!(
        b.idempotent_response(&t, MAIN_FORK, "k2")
            .expect("lookup")
            .map(|s| s.tx),
        Some(1)
    );
    // a failed write stores no key
    assert!(append(0, "k3", vec![assert_event("a", b"3")]).is_err());
    assert_eq!(
        b.idempotent_response(&t, MAIN_FORK, "k3").expect("lookup"),
        None
    );
    // keys are per fork and per tenant
    b.create_fork(&t, "f", MAIN_FORK, None, "p").expect("fork");
    assert_eq!(b.idempotent_response(&t, "f", "k1").expect("lookup"), None);
    assert_eq!(
        b.idempotent_response(&tenant("idem-other"), MAIN_FORK, "k1")
            .expect("lookup"),
        None
    );
}

/// Re-stamping scopes records one schema change per scope that differs.
pub fn schema_changes_are_recorded(b: &dyn StorageBackend) {
    let (x, y) = (tenant("sc-x"), tenant("sc-y"));
    write(b, &x, vec![assert_event("a", b"1")]);
    write(b, &y, vec![assert_event("a", b"1")]);
    assert!(b
        .restamp_schema_scopes("schema-1", "ops", "host-1")
        .expect("no-op")
        .is_empty());
    let changes = b
        .restamp_schema_scopes("schema-2", "ops", "host-1")
        .expect("restamp");
    assert_eq!(changes.len(), 2);
    assert!(changes
        .iter()
        .all(|c| c.old_hash == "schema-1" && c.new_hash == "schema-2" && c.host == "host-1"));
    assert!(b
        .schema_scopes()
        .expect("scopes")
        .iter()
        .all(|s| s.schema_hash == "schema-2"));
    assert_eq!(
        b.schema_scope(&x).expect("scope").as_deref(),
        Some("schema-2")
    );
    let recorded = b.schema_changes(&x).expect("changes");
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].tenant, x);
    assert_eq!(recorded[0].principal, "ops");
    assert_eq!(b.schema_scope(&tenant("sc-none")).expect("scope"), None);
}

/// `forget` erases the selected events (all versions), keeps the others,
/// bumps the generation and stores a receipt without erased content.
pub fn forget_erases_selected_events(b: &dyn StorageBackend) {
    let t = tenant("forget");
    write(
        b,
        &t,
        vec![
            assert_event("ind:alice", b"alice-secret"),
            assert_event("field:alice:age", b"30"),
            assert_event("ind:bob", b"bob"),
        ],
    );
    write(b, &t, vec![assert_event("field:alice:age", b"31")]);
    let generation = b.generation(&t, MAIN_FORK).expect("generation");
    let receipt = b
        .forget(
            &t,
            MAIN_FORK,
            &ForgetSelector {
                axiom_ids: vec!["ind:alice".into()],
                axiom_prefixes: vec!["field:alice:".into()],
            },
            "dpo",
            "erasure request 42",
        )
        .expect("forget");
    assert_eq!(receipt.event_ids.len(), 4, "every version, remainders too");
    assert_eq!(receipt.content_ids.len(), 4);
    assert_eq!(
        (receipt.actor.as_str(), receipt.reason.as_str(), receipt.tx),
        ("dpo", "erasure request 42", 2)
    );
    let text = serde_json::to_string(&receipt).expect("json");
    assert!(!text.contains("alice-secret") && !text.contains("YWxpY2Ut"));
    let history = b.history(&t, MAIN_FORK).expect("history");
    assert_eq!(facts(&history), vec![fact("ind:bob", b"bob")]);
    assert!(b.generation(&t, MAIN_FORK).expect("generation") > generation);
    assert_eq!(b.forget_receipts(&t).expect("receipts"), vec![receipt]);
    assert!(b
        .forget_receipts(&tenant("forget-other"))
        .expect("receipts")
        .is_empty());
}

/// `forget` also erases the stored idempotency responses of the transactions
/// that wrote the erased events (they may echo erased values) and keeps the others.
pub fn forget_erases_stored_responses_of_erased_writes(b: &dyn StorageBackend) {
    let t = tenant("forget-idem");
    let append = |generation, key: &str, events| {
        b.append(AppendRequest {
            tenant: &t,
            fork: MAIN_FORK,
            expected_generation: generation,
            principal: "p",
            schema_hash: "s",
            events,
            idempotency: Some(record(key, 1, b"response echoing carol-secret")),
        })
        .expect("append")
    };
    append(0, "carol", vec![assert_event("ind:carol", b"carol-secret")]);
    append(1, "dave", vec![assert_event("ind:dave", b"dave")]);
    b.forget(
        &t,
        MAIN_FORK,
        &ForgetSelector {
            axiom_ids: vec!["ind:carol".into()],
            axiom_prefixes: Vec::new(),
        },
        "dpo",
        "erasure request",
    )
    .expect("forget");
    assert_eq!(
        b.idempotent_response(&t, MAIN_FORK, "carol")
            .expect("lookup"),
        None,
        "the response of the erased write is gone"
    );
    assert!(b
        .idempotent_response(&t, MAIN_FORK, "dave")
        .expect("lookup")
        .is_some());
}

/// Export writes every event with all columns; import restores them
/// unchanged into an empty tenant and refuses a tenant with data.
pub fn export_import_round_trip(b: &dyn StorageBackend) {
    let (src, dst) = (tenant("exp-src"), tenant("exp-dst"));
    write(
        b,
        &src,
        vec![assert_event("a", b"1"), assert_event("b", &[0, 255, 7])],
    );
    write(b, &src, vec![assert_event("a", b"2")]);
    write(b, &src, vec![super::retract_event("b")]);
    let mut out = Vec::new();
    let n = b.export(&src, MAIN_FORK, &mut out).expect("export");
    let original = b.history(&src, MAIN_FORK).expect("history");
    assert_eq!(n as usize, original.len());
    let imported = b
        .import(&dst, &mut std::io::Cursor::new(&out))
        .expect("import");
    assert_eq!(imported, n);
    let restored = b.history(&dst, MAIN_FORK).expect("history");
    let strip = |events: Vec<crate::Event>| {
        events
            .into_iter()
            .map(|mut e| {
                e.tenant = src.clone();
                e
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(restored), original);
    assert_eq!(b.last_tx(&dst).expect("last tx"), 3);
    assert_eq!(
        visible(b, &dst, current()).len(),
        visible(b, &src, current()).len()
    );
    assert!(matches!(
        b.import(&dst, &mut std::io::Cursor::new(&out)),
        Err(StoreError::Import(_))
    ));
    assert!(matches!(
        b.import(&tenant("exp-bad"), &mut std::io::Cursor::new(b"not json\n")),
        Err(StoreError::Import(_))
    ));
}
