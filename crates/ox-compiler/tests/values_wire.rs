//! Struct, enum and money values through the engine and on the wire:
//! mutation arguments decoded from JSON, stored as fields, read back by a
//! projecting query and a grouped query, encoded as JSON.

mod common;

use std::sync::Arc;

use common::assert_ok;
use ox_runtime::{Engine, MutateOptions, QueryResult, RequestContext};
use ox_store::{MemBackend, TenantId};
use serde_json::{json, Map, Value as Json};

const SOURCE: &str = r#"
pub struct Point { x: Int, y: Int }
pub enum Status { Pending, Active, Closed }
pub enum Shape { Dot, Circle(Int), Rect { w: Int, h: Int } }
pub type Order { id: String, mut status: Status, at: Point, shape: Shape, price: Money }
pub struct OrderView { id: String, status: Status, at: Point, shape: Shape, price: Money }
pub struct PerStatus { status: Status, n: Nat, total: Money }

pub mutate place(id: String, at: Point, shape: Shape, price: Money) {
    insert Order { id: id, status: Pending, at: at, shape: shape, price: price };
}
pub mutate activate(o: Order) { update o set { status = Status::Active }; }

pub query views() -> [OrderView] {
    select { id: o.id, status: o.status, at: o.at, shape: o.shape, price: o.price }
    from o: Order order by o.id
}
pub query per_status() -> [PerStatus] {
    select { status: o.status, n: count(o), total: sum(o.price) } from o: Order
    group by o.status order by o.status
}
"#;

fn engine() -> Engine {
    let compiled = assert_ok(SOURCE);
    Engine::new(
        Arc::new(compiled.module),
        "module".into(),
        "schema".into(),
        Arc::new(MemBackend::new()),
    )
    .expect("the module evaluates")
}

fn args(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("arguments must be an object, got {other}"),
    }
}

fn rows(engine: &Engine, ctx: &RequestContext, query: &str) -> Vec<Json> {
    match engine
        .query(ctx, query, &Map::new())
        .expect("query runs")
        .result
    {
        QueryResult::Rows(rows) => rows,
        QueryResult::Value(v) => panic!("expected rows, got {v}"),
    }
}

#[test]
fn struct_enum_and_money_fields_round_trip_through_the_wire() {
    let engine = engine();
    let ctx = RequestContext::new(TenantId::parse("t").expect("tenant id"));
    let place = |a: Json| {
        engine
            .mutate(&ctx, "place", &args(a), &MutateOptions::default())
            .expect("place runs");
    };
    place(json!({
        "id": "o1", "at": {"x": 1, "y": 2}, "shape": {"Circle": 3},
        "price": {"amount": "10.50", "currency": "EUR"}
    }));
    place(json!({
        "id": "o2", "at": {"x": 0, "y": 0}, "shape": {"Rect": {"w": 2, "h": 5}},
        "price": {"amount": "4", "currency": "EUR"}
    }));
    place(json!({
        "id": "o3", "at": {"x": 7, "y": 7}, "shape": "Dot",
        "price": {"amount": "1", "currency": "EUR"}
    }));
    engine
        .mutate(
            &ctx,
            "activate",
            &args(json!({"o": "o1"})),
            &MutateOptions::default(),
        )
        .expect("activate runs");

    let views = rows(&engine, &ctx, "views");
    assert_eq!(views.len(), 3);
    assert_eq!(views[0]["id"], "o1");
    assert_eq!(views[0]["status"], "Active");
    assert_eq!(views[0]["at"], json!({"x": 1, "y": 2}));
    assert_eq!(views[0]["shape"], json!({"Circle": 3}));
    assert_eq!(views[0]["price"]["currency"], "EUR");
    assert_eq!(views[1]["shape"], json!({"Rect": {"w": 2, "h": 5}}));
    assert_eq!(views[2]["shape"], "Dot");

    let groups = rows(&engine, &ctx, "per_status");
    assert_eq!(groups.len(), 2, "{groups:?}");
    let pending = groups
        .iter()
        .find(|g| g["status"] == "Pending")
        .expect("a Pending group");
    assert_eq!(pending["n"], 2);
    assert_eq!(pending["total"]["currency"], "EUR");
    assert_eq!(pending["total"]["amount"], "5");
}

#[test]
fn mixing_currencies_in_a_sum_is_refused() {
    let engine = engine();
    let ctx = RequestContext::new(TenantId::parse("t").expect("tenant id"));
    for (id, currency) in [("a", "EUR"), ("b", "USD")] {
        let a = json!({
            "id": id, "at": {"x": 0, "y": 0}, "shape": "Dot",
            "price": {"amount": "1", "currency": currency}
        });
        engine
            .mutate(&ctx, "place", &args(a), &MutateOptions::default())
            .expect("place runs");
    }
    let err = engine
        .query(&ctx, "per_status", &Map::new())
        .expect_err("a sum across currencies fails");
    assert!(err.to_string().contains("cannot combine money"), "{err}");
}

#[test]
fn match_variants_and_grouping_survive_the_artifact() {
    let src = format!(
        "{SOURCE}\npub fn area(s: Shape) -> Int = match s {{ Dot => 0, Circle(r) => r * r, \
         Rect {{ w, h }} => w * h }};\n\
         pub fn moved(p: Point) -> Point = Point {{ x: 1, ..p }};\n\
         pub fn circle(r: Int) -> Shape = Shape::Circle(r);\n"
    );
    let compiled = assert_ok(&src);
    let bytes = ox_ir::oxbin::encode(&compiled.module).expect("the module encodes");
    let artifact = ox_ir::oxbin::decode(&bytes).expect("the artifact validates");
    assert_eq!(artifact.module, compiled.module);
}
