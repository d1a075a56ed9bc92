//! Values end to end: Argon source with `test` blocks compiled and run by the
//! runtime (structs, enums, `match`, spread update, struct/enum fields stored
//! on individuals).

mod common;

use common::{assert_code, assert_ok};
use ox_runtime::{run_tests, TestStatus};

/// Compiles `src` and asserts that every `test` block in it passes.
#[track_caller]
fn assert_tests_pass(src: &str) {
    let compiled = assert_ok(src);
    assert!(!compiled.tests.is_empty(), "no tests in the source");
    let outcomes = run_tests(&compiled.module, &compiled.tests, None);
    let failures: Vec<String> = outcomes
        .iter()
        .filter(|o| o.status != TestStatus::Passed)
        .map(|o| format!("{}: {:?}", o.name, o.status))
        .collect();
    assert!(
        failures.is_empty(),
        "failing tests:\n{}",
        failures.join("\n")
    );
}

const SHAPES: &str = r#"
pub struct Point { x: Int, y: Int }
pub enum Status { Pending, Active, Closed }
pub enum Shape { Dot, Circle(Int), Rect { w: Int, h: Int } }

pub fn moved(p: Point, dx: Int) -> Point = Point { x: p.x + dx, ..p };
pub fn area(s: Shape) -> Int = match s {
    Shape::Dot => 0,
    Circle(r) => 3 * r * r,
    Rect { w, h } => w * h,
};
pub fn label(s: Status) -> String = match s {
    Pending | Active => "open",
    _ => "closed",
};
pub fn small(n: Int) -> Bool = match n {
    0 | 1 | 2 => true,
    -1 => true,
    _ => false,
};
pub fn corner(p: Point) -> Int = match p {
    Point { x: 0, y } => y,
    Point { x, .. } => x,
};

pub type Order { id: String, mut status: Status, at: Point, shape: Shape }
pub query orders() -> [Order];

test "struct literal, field access and spread update" {
    let p = Point { x: 1, y: 2 };
    let q = moved(p, 10);
    assert q.x == 11;
    assert q.y == 2;
    assert p == Point { x: 1, y: 2 };
}

test "enum constants and match" {
    assert label(Status::Pending) == "open";
    assert label(Closed) == "closed";
    assert area(Shape::Dot) == 0;
    assert area(Shape::Circle(2)) == 12;
    assert area(Shape::Rect { w: 3, h: 4 }) == 12;
    assert small(2);
    assert small(-1);
    assert !small(7);
    assert corner(Point { x: 0, y: 5 }) == 5;
    assert corner(Point { x: 4, y: 5 }) == 4;
}

test "struct and enum fields are stored and read back" {
    let o = insert Order { id: "o1", status: Status::Active, at: Point { x: 3, y: 4 }, shape: Shape::Circle(1) };
    assert o.status == Status::Active;
    assert o.at.y == 4;
    assert area(o.shape) == 3;
    update o set { status = Closed };
    assert label(o.status) == "closed";
}
"#;

#[test]
fn structs_enums_and_match_run_end_to_end() {
    assert_tests_pass(SHAPES);
}

#[test]
fn pattern_mistakes_are_reported() {
    let base = "pub enum Shape { Dot, Circle(Int) }\npub struct P { x: Int, y: Int }\n";
    // Wrong payload arity.
    assert_code(
        &format!("{base}pub fn f(s: Shape) -> Int = match s {{ Circle(a, b) => a, _ => 0 }};"),
        "OE1213",
    );
    // A record pattern leaving a field out without `..`.
    assert_code(
        &format!("{base}pub fn f(p: P) -> Int = match p {{ P {{ x }} => x }};"),
        "OE0206",
    );
    // Arms disagreeing on their type.
    assert_code(
        &format!("{base}pub fn f(s: Shape) -> Int = match s {{ Dot => 0, _ => \"x\" }};"),
        "OE0203",
    );
    // A spread base of another type.
    assert_code(
        &format!("{base}pub fn f(p: P) -> P = P {{ x: 1, ..Shape::Dot }};"),
        "OE0203",
    );
}

const GROUPED: &str = r#"
pub type Tenant { name: String }
pub type Lease { id: String, rent: Int }
pub rel LeaseOf(lease: Lease, tenant: Tenant) [1..1] [0..*];

pub struct Load { t: Tenant, n: Nat }
pub struct Total { name: String, rent: Int, top: Option<Int> }

pub query busy() -> [Load] {
    select { t: t, n: count(l) } from LeaseOf(l, t) group by t having count(l) > 1
}
pub query totals() -> [Total] {
    select { name: t.name, rent: sum(l.rent), top: max(l.rent) } from LeaseOf(l, t)
    group by t order by sum(l.rent) desc
}
pub query lease_count() -> Nat { select count(l) from l: Lease }

pub mutate lease(t: Tenant, id: String, rent: Int) {
    let l = insert Lease { id: id, rent: rent };
    insert LeaseOf(l, t);
}

test "group by, having and aggregate projections" {
    assert lease_count() == 0;
    let a = insert Tenant { name: "a" };
    let b = insert Tenant { name: "b" };
    lease(a, "l1", 100);
    lease(a, "l2", 100);
    lease(b, "l3", 300);
    assert busy() == [Load { t: a, n: 2 }];
    assert Total { name: "a", rent: 200, top: 100 } in totals();
    assert Total { name: "b", rent: 300, top: 300 } in totals();
    assert totals().len() == 2;
    assert lease_count() == 3;
}
"#;

#[test]
fn grouped_queries_run_end_to_end() {
    assert_tests_pass(GROUPED);
}

#[test]
fn grouped_projection_reads_only_keys_and_aggregates() {
    let src = "pub type T { id: String, n: Int }\n\
               pub query q() -> [Int] { select x.n from x: T, y: T group by y.id }";
    assert_code(src, "OE0007");
}
