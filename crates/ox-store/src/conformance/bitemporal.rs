//! Conformance checks of valid time and wall-clock as-of reads.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{assert_event, fact, facts, retract_event, tenant, visible, write};
use crate::{AsOf, NewEvent, StorageBackend, TxPoint, ValidPoint};

/// Midnight UTC of a day in 2026 (month, day).
pub fn day(month: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, d, 0, 0, 0)
        .single()
        .expect("valid date")
}

/// An assert valid from `from` (open).
pub fn valid_from(axiom_id: &str, body: &[u8], from: DateTime<Utc>) -> NewEvent {
    NewEvent {
        valid_from: Some(from),
        ..assert_event(axiom_id, body)
    }
}

fn at(tx: TxPoint, valid: DateTime<Utc>) -> AsOf {
    AsOf {
        tx,
        valid: ValidPoint::At(valid),
    }
}

/// An ordinary update at t keeps the old value valid on [t0, t): a valid-time
/// read in the past still sees it, and the raw projection holds both.
pub fn update_keeps_the_past_valid(b: &dyn StorageBackend) {
    let t = tenant("vt-update");
    write(b, &t, vec![valid_from("age", b"30", day(1, 1))]);
    write(b, &t, vec![valid_from("age", b"31", day(2, 1))]);
    let latest = TxPoint::Latest;
    assert_eq!(
        facts(&visible(b, &t, at(latest, day(1, 15)))),
        vec![fact("age", b"30")]
    );
    assert_eq!(
        facts(&visible(b, &t, at(latest, day(2, 15)))),
        vec![fact("age", b"31")]
    );
    assert!(visible(b, &t, at(latest, day(1, 1) - Duration::days(1))).is_empty());
    let all = visible(b, &t, AsOf::LATEST);
    let intervals: Vec<_> = all
        .iter()
        .map(|e| (e.body.clone(), e.valid_from, e.valid_to, e.tx))
        .collect();
    assert_eq!(
        intervals,
        vec![
            (b"30".to_vec(), day(1, 1), Some(day(2, 1)), 2),
            (b"31".to_vec(), day(2, 1), None, 2),
        ],
        "the remainder is re-appended at the superseding tx"
    );
    // at tx 1 the old belief was open-ended
    assert_eq!(
        facts(&visible(b, &t, at(TxPoint::Tx(1), day(3, 1)))),
        vec![fact("age", b"30")]
    );
}

/// A correction from the past closes the old record at the current tx; an
/// audit read at an earlier tx still sees the old belief; a bounded
/// correction splits the record around it.
pub fn retroactive_correction_keeps_the_audit_trail(b: &dyn StorageBackend) {
    let t = tenant("vt-correct");
    write(b, &t, vec![valid_from("rent", b"950", day(3, 1))]);
    // it was 900 all along, from February
    write(b, &t, vec![valid_from("rent", b"900", day(2, 1))]);
    let latest = TxPoint::Latest;
    assert_eq!(
        facts(&visible(b, &t, at(latest, day(4, 1)))),
        vec![fact("rent", b"900")]
    );
    assert_eq!(
        facts(&visible(b, &t, at(TxPoint::Tx(1), day(4, 1)))),
        vec![fact("rent", b"950")],
        "audit read before the correction"
    );
    assert!(visible(b, &t, at(TxPoint::Tx(1), day(2, 15))).is_empty());
    // a discount in April only
    write(
        b,
        &t,
        vec![NewEvent {
            valid_to: Some(day(5, 1)),
            ..valid_from("rent", b"800", day(4, 1))
        }],
    );
    for (when, expected) in [
        (day(2, 15), &b"900"[..]),
        (day(4, 15), b"800"),
        (day(5, 15), b"900"),
    ] {
        assert_eq!(
            facts(&visible(b, &t, at(latest, when))),
            vec![fact("rent", expected)],
            "at {when}"
        );
    }
}

/// A retraction valid from t ends the record's validity at t; before t it
/// still holds.
pub fn retraction_ends_validity(b: &dyn StorageBackend) {
    let t = tenant("vt-retract");
    write(b, &t, vec![valid_from("member", b"yes", day(1, 1))]);
    write(
        b,
        &t,
        vec![NewEvent {
            valid_from: Some(day(6, 1)),
            ..retract_event("member")
        }],
    );
    let latest = TxPoint::Latest;
    assert_eq!(visible(b, &t, at(latest, day(3, 1))).len(), 1);
    assert!(visible(b, &t, at(latest, day(7, 1))).is_empty());
}

/// `TxPoint::Time` reads the last tx committed at or before the time.
pub fn as_of_wall_clock_time(b: &dyn StorageBackend) {
    let t = tenant("vt-time");
    let c1 = write(b, &t, vec![assert_event("a", b"1")]);
    let c2 = write(b, &t, vec![assert_event("a", b"2")]);
    let c3 = write(b, &t, vec![assert_event("a", b"3")]);
    assert_eq!(b.last_tx_at(&t, c1.committed_at).expect("tx at"), 1);
    assert_eq!(b.last_tx_at(&t, c2.committed_at).expect("tx at"), 2);
    assert_eq!(
        b.last_tx_at(&t, c3.committed_at + Duration::days(1))
            .expect("tx at"),
        3
    );
    assert_eq!(
        b.last_tx_at(&t, c1.committed_at - Duration::seconds(1))
            .expect("tx at"),
        0
    );
    let now = Utc::now() + Duration::seconds(1);
    assert_eq!(
        visible(
            b,
            &t,
            AsOf {
                tx: TxPoint::Time(c2.committed_at),
                valid: ValidPoint::At(now)
            }
        ),
        visible(b, &t, AsOf::at_tx(c2.tx, now))
    );
    assert_eq!(
        b.last_tx_at(&tenant("vt-none"), now).expect("tx at"),
        0,
        "a tenant never written"
    );
}

/// `next_valid_change` reports the earliest future start of a current record.
pub fn next_valid_change_sees_future_starts(b: &dyn StorageBackend) {
    let t = tenant("vt-next");
    write(b, &t, vec![valid_from("a", b"1", day(1, 1))]);
    assert_eq!(
        b.next_valid_change(&t, crate::MAIN_FORK, day(2, 1))
            .expect("next"),
        None
    );
    write(
        b,
        &t,
        vec![
            valid_from("b", b"1", day(9, 1)),
            valid_from("c", b"1", day(8, 1)),
        ],
    );
    assert_eq!(
        b.next_valid_change(&t, crate::MAIN_FORK, day(2, 1))
            .expect("next"),
        Some(day(8, 1))
    );
    assert_eq!(
        b.next_valid_change(&t, crate::MAIN_FORK, day(8, 1))
            .expect("next"),
        Some(day(9, 1))
    );
}
