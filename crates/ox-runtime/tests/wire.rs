//! JSON wire coercion: round trips for every type and refusal of bad inputs.

mod support;

use std::str::FromStr;

use chrono::{NaiveDate, TimeZone, Utc};
use ox_ir::{Cardinality, Duration, Type, Value};
use ox_runtime::{wire, ErrorCode};
use rust_decimal::Decimal;
use serde_json::{json, Value as Json};
use support::*;

fn known(id: &str) -> bool {
    matches!(id, "alice" | "bob")
}

fn decode(json: Json, ty: &Type) -> Result<Value, ox_runtime::RuntimeError> {
    wire::from_json(&lease_module(), &json, ty, known)
}

fn round_trip(value: Value, ty: Type, expected: Json) {
    let module = lease_module();
    let encoded = wire::to_json(&module, &value, &ty);
    assert_eq!(encoded, expected, "encoding {value:?}");
    let back = wire::from_json(&module, &encoded, &ty, known).expect("decodes");
    assert_eq!(back, value, "decoding {encoded}");
}

fn list(t: Type) -> Type {
    Type::List(Box::new(t), Cardinality::ANY)
}

#[test]
fn every_type_round_trips() {
    round_trip(Value::Nat(u64::MAX), Type::Nat, json!(u64::MAX));
    round_trip(Value::Int(-42), Type::Int, json!(-42));
    round_trip(
        Value::Decimal(Decimal::from_str("100.50").unwrap()),
        Type::Decimal,
        json!("100.50"),
    );
    round_trip(
        Value::Decimal(Decimal::from_str("-0.001").unwrap()),
        Type::Real,
        json!("-0.001"),
    );
    round_trip(
        money("9500.00", Some("USD")),
        Type::Money,
        json!({"amount": "9500.00", "currency": "USD"}),
    );
    round_trip(
        money("12", None),
        Type::Money,
        json!({"amount": "12", "currency": null}),
    );
    round_trip(
        Value::String("hé \"x\"".into()),
        Type::String,
        json!("hé \"x\""),
    );
    round_trip(Value::Bool(true), Type::Bool, json!(true));
    round_trip(
        Value::Date(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
        Type::Date,
        json!("2026-01-01"),
    );
    round_trip(
        Value::DateTime(Utc.with_ymd_and_hms(2026, 1, 1, 9, 30, 0).unwrap()),
        Type::DateTime,
        json!("2026-01-01T09:30:00Z"),
    );
    round_trip(
        Value::Duration(Duration::from_unit(30, "days").unwrap()),
        Type::Duration,
        json!("P30D"),
    );
    round_trip(
        Value::Ref("alice".into()),
        Type::Concept(PERSON),
        json!({"id": "alice", "type": "Person"}),
    );
    round_trip(active(), Type::Enum(STATUS), json!("Active"));
    round_trip(
        Value::Struct(
            ADDRESS,
            vec![
                Value::String("Main St 1".into()),
                Value::String("1000".into()),
            ],
        ),
        Type::Struct(ADDRESS),
        json!({"street": "Main St 1", "zip": "1000"}),
    );
    round_trip(
        Value::Struct(
            ADDRESS,
            vec![Value::String("Main St 1".into()), Value::Null],
        ),
        Type::Struct(ADDRESS),
        json!({"street": "Main St 1", "zip": null}),
    );
    round_trip(
        Value::List(vec![Value::Int(1), Value::Int(2)]),
        list(Type::Int),
        json!([1, 2]),
    );
    round_trip(
        Value::List(vec![Value::String("a".into())]),
        Type::Set(Box::new(Type::String)),
        json!(["a"]),
    );
    round_trip(
        Value::Map(vec![(Value::String("k".into()), Value::Nat(1))]),
        Type::Map(Box::new(Type::String), Box::new(Type::Nat)),
        json!({"k": 1}),
    );
    round_trip(
        Value::Map(vec![(Value::Nat(1), Value::Bool(false))]),
        Type::Map(Box::new(Type::Nat), Box::new(Type::Bool)),
        json!([[1, false]]),
    );
    round_trip(Value::Null, Type::Option(Box::new(Type::Int)), json!(null));
    round_trip(Value::Int(3), Type::Option(Box::new(Type::Int)), json!(3));
    round_trip(
        Value::List(vec![Value::Ref("alice".into()), Value::Ref("bob".into())]),
        Type::Tuple(P_LEASE_OF),
        json!({"lease": {"id": "alice", "type": "Lease"}, "tenant": {"id": "bob", "type": "Person"}}),
    );
    round_trip(
        Value::List(vec![Value::String("x".into()), Value::Nat(3)]),
        Type::Record(vec![("name".into(), Type::String), ("n".into(), Type::Nat)]),
        json!({"name": "x", "n": 3}),
    );
}

#[test]
fn lenient_inputs_are_accepted() {
    assert_eq!(
        decode(json!(100.5), &Type::Decimal).unwrap(),
        Value::Decimal(Decimal::from_str("100.5").unwrap())
    );
    assert_eq!(
        decode(json!(7), &Type::Real).unwrap(),
        Value::Decimal(Decimal::from(7))
    );
    assert_eq!(
        decode(json!(9500), &Type::Money).unwrap(),
        money("9500", None)
    );
    assert_eq!(
        decode(json!("9500.00"), &Type::Money).unwrap(),
        money("9500.00", None)
    );
    assert_eq!(
        decode(json!({"amount": 5}), &Type::Money).unwrap(),
        money("5", None)
    );
    assert_eq!(
        decode(json!({"id": "bob"}), &Type::Concept(PERSON)).unwrap(),
        Value::Ref("bob".into())
    );
    assert_eq!(
        decode(json!("2026-01-01T10:30:00+01:00"), &Type::DateTime).unwrap(),
        Value::DateTime(Utc.with_ymd_and_hms(2026, 1, 1, 9, 30, 0).unwrap())
    );
    // Sets are sorted and deduplicated.
    assert_eq!(
        decode(json!([3, 1, 3]), &list(Type::Nat)).unwrap(),
        Value::List(vec![Value::Nat(1), Value::Nat(3)])
    );
    // A struct's optional field may be left out.
    assert_eq!(
        decode(json!({"street": "s"}), &Type::Struct(ADDRESS)).unwrap(),
        Value::Struct(ADDRESS, vec![Value::String("s".into()), Value::Null])
    );
}

#[test]
fn bad_inputs_are_refused_with_validation_failed() {
    let bad: Vec<(Json, Type)> = vec![
        (json!(1.5), Type::Int),
        (json!("1"), Type::Int),
        (json!(-1), Type::Nat),
        (json!(1e30), Type::Nat),
        (json!(18446744073709551616u128 as f64), Type::Nat),
        (json!(9223372036854775808u64), Type::Int),
        (json!("abc"), Type::Decimal),
        (json!(""), Type::Decimal),
        (json!(true), Type::Decimal),
        (json!({"amount": "1", "currency": "usd"}), Type::Money),
        (json!({"amount": "1", "extra": 1}), Type::Money),
        (json!({"currency": "USD"}), Type::Money),
        (json!(1), Type::String),
        (json!("true"), Type::Bool),
        (json!("2026-13-01"), Type::Date),
        (json!("01/01/2026"), Type::Date),
        (json!("2026-01-01"), Type::DateTime),
        (json!("30 days"), Type::Duration),
        (json!(3), Type::Concept(PERSON)),
        (json!({"name": "alice"}), Type::Concept(PERSON)),
        (json!("Pending"), Type::Enum(STATUS)),
        (json!({"Active": 1}), Type::Enum(STATUS)),
        (json!({"zip": "1"}), Type::Struct(ADDRESS)),
        (json!({"street": "s", "city": "c"}), Type::Struct(ADDRESS)),
        (json!("x"), list(Type::Int)),
        (json!([1, "x"]), list(Type::Int)),
        (
            json!([1]),
            Type::List(Box::new(Type::Int), Cardinality { min: 2, max: None }),
        ),
        (json!(null), Type::Int),
        (json!(1), Type::Unit),
    ];
    for (json, ty) in bad {
        let e = decode(json.clone(), &ty).expect_err(&format!("{json} as {ty:?} must fail"));
        assert_eq!(e.code, ErrorCode::ValidationFailed, "{json} as {ty:?}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn unknown_individuals_are_named() {
    let e = decode(json!("carol"), &Type::Concept(PERSON)).unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationFailed);
    assert!(e.message.contains("carol"), "{}", e.message);
    assert_eq!(e.details["individual"], json!("carol"));
    let e = decode(
        json!(["alice", {"id": "zed"}]),
        &list(Type::Concept(PERSON)),
    )
    .unwrap_err();
    assert_eq!(e.details["individual"], json!("zed"));
}
