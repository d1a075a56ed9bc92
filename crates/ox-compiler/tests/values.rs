//! Values end to end: Argon source with `test` blocks compiled and run by the
//! runtime (structs, enums, `match`, spread update, struct/enum fields stored
//! on individuals).

mod common;

use common::{assert_code, assert_ok, assert_tests_pass, outcomes};
use ox_runtime::TestStatus;

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

pub fn none_int() -> Option<Int> = if false { 1 };
pub fn or_zero(n: Option<Int>) -> Int = match n {
    Some(0) => -1,
    Some(v) => v,
    None => 0,
};

pub fn radius(s: Option<Shape>) -> Int = if s is Some(Circle(r)) { r } else { -1 };
pub fn pending(s: Status) -> Bool = s is Pending | Active;

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
    assert or_zero(7) == 7;
    assert or_zero(0) == -1;
    assert or_zero(none_int()) == 0;
    assert radius(Shape::Circle(4)) == 4;
    assert radius(Shape::Dot) == -1;
    assert pending(Active);
    assert !pending(Status::Closed);
    if Shape::Circle(2) is Circle(k) {
        assert k == 2;
    } else {
        assert false;
    }
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
    // Matches that miss values.
    for body in [
        "pub fn f(s: Shape) -> Int = match s { Dot => 0 };",
        "pub fn f(s: Shape) -> Int = match s { Dot => 0, Circle(1) => 1 };",
        "pub fn f(b: Bool) -> Int = match b { true => 1 };",
        "pub fn f(n: Int) -> Int = match n { 0 => 1, 1 => 2 };",
        "pub fn f(n: Option<Int>) -> Int = match n { Some(v) => v };",
        "pub fn f(n: Option<Shape>) -> Int = match n { None => 0, Some(Dot) => 1 };",
    ] {
        assert_code(&format!("{base}{body}"), "OE0208");
    }
    // … and ones that cover everything.
    for body in [
        "pub fn f(s: Shape) -> Int = match s { Dot => 0, Circle(_) => 1 };",
        "pub fn f(b: Bool) -> Int = match b { true => 1, false => 0 };",
        "pub fn f(n: Option<Shape>) -> Int = match n { None => 0, Some(Dot) => 1, Some(Circle(r)) => r };",
        "pub fn f(p: P) -> Int = match p { P { x: 0, .. } => 0, P { x, .. } => x };",
    ] {
        assert_ok(&format!("{base}{body}"));
    }
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

const SCALARS: &str = r#"
pub fn price() -> Money = 100.EUR + 12.50.EUR;
pub fn mixed() -> Money = 1.EUR + 1.USD;
pub fn next(d: Date, n: Int) -> Date = d + n.days;
pub fn big(n: Int) -> Int = n * 4611686018427387904;

pub type Shelf { id: String, tags: Set<String>, sizes: Option<Map<String, Int>>, mut slots: [String; >= 1] }
pub query shelves() -> [Shelf];

test "money with a currency" {
    assert price() == 112.50.EUR;
    assert price() * 2 == 225.EUR;
    assert price() > 100.EUR;
}

test "date, date-time and duration arithmetic" {
    assert next(#2024-01-31#, 1) == #2024-02-01#;
    assert #2024-03-01# - #2024-02-01# == 29.days;
    assert #2024-01-31# + 1.months == #2024-02-29#;
    assert #2024-01-01T10:00:00Z# + 90.minutes == #2024-01-01T11:30:00Z#;
    assert next(#2024-12-31#, 1).year == 2025;
}

test "sets, maps and bounded lists are stored" {
    let s = insert Shelf { id: "s", tags: ["b", "a", "b"], slots: ["x"] };
    assert s.tags.len() == 2;
    assert "a" in s.tags;
    assert s.slots.len() == 1;
}

test "mixing currencies fails" {
    assert mixed() == 2.EUR;
}

test "integer overflow fails" {
    assert big(2) == 0;
}

test "an update below a list's lower bound is refused" {
    let s = insert Shelf { id: "u", tags: [], slots: ["x"] };
    update s set { slots -= "x" };
    assert s.slots.len() == 0;
}

test "a list below its lower bound is refused" {
    insert Shelf { id: "t", tags: [], slots: [] };
    assert shelves().len() == 1;
}
"#;

#[test]
fn money_dates_collections_and_overflow() {
    let outcomes = outcomes(SCALARS);
    let status = |name: &str| {
        outcomes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| s.clone())
            .unwrap_or_else(|| panic!("no test {name}"))
    };
    for name in [
        "money with a currency",
        "date, date-time and duration arithmetic",
        "sets, maps and bounded lists are stored",
    ] {
        assert_eq!(status(name), TestStatus::Passed, "{name}");
    }
    let error = |name: &str| match status(name) {
        TestStatus::Error(message) => message,
        other => panic!("{name}: expected an error, found {other:?}"),
    };
    assert!(
        error("mixing currencies fails").contains("cannot combine money in EUR with money in USD"),
        "{}",
        error("mixing currencies fails")
    );
    assert!(error("integer overflow fails").contains("overflow"));
    let overflow = error("integer overflow fails");
    assert!(overflow.contains("4611686018427387904"), "{overflow}");
    let update = error("an update below a list's lower bound is refused");
    assert!(update.contains("slots"), "{update}");
    let bound = error("a list below its lower bound is refused");
    assert!(bound.contains("slots"), "{bound}");
}

#[test]
fn having_reads_only_keys_and_aggregates() {
    let src = "pub type T { id: String, n: Int }\n\
               pub query q() -> [String] { select y.id from x: T, y: T group by y.id having x.n > 1 }";
    assert_code(src, "OE0007");
}

#[test]
fn member_doc_comments_are_kept_and_do_not_change_the_schema_hash() {
    let plain = "pub type T { id: String, n: Int }\npub struct P { x: Int }\npub enum E { A, B }\n";
    let documented = "pub type T { id: String, /// A count.\n n: Int }\npub struct P { /// The x.\n x: Int }\npub enum E { /// First.\n A, B }\n";
    let plain = assert_ok(plain).module;
    let documented = assert_ok(documented).module;
    assert_eq!(
        documented.concepts[0].fields[1].doc.as_deref(),
        Some("A count.")
    );
    assert_eq!(
        documented.structs[0].field_docs,
        vec![Some("The x.".to_string())]
    );
    assert_eq!(
        documented.enums[0].variants[0].doc.as_deref(),
        Some("First.")
    );
    assert_eq!(
        ox_ir::oxbin::schema_hash(&plain),
        ox_ir::oxbin::schema_hash(&documented)
    );
}
