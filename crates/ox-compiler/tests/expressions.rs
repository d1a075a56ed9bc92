//! Expressions end to end: maps and indexing, the `?` operator, aggregates
//! outside rule bodies, built-in methods, mutations calling mutations and
//! the scope of `is` bindings — compiled, then run by the runtime's tests.

mod common;

use common::{assert_code, assert_ok, assert_tests_pass, outcomes, rendered};
use ox_runtime::TestStatus;

const MAPS: &str = r#"
pub fn prices() -> Map<String, Int> = Map { "tea" => 3, "cake" => 5, "tea" => 4 };
pub fn price(item: String) -> Option<Int> = prices()[item];
pub fn second(xs: [Int]) -> Int = xs[1];
pub fn empty() -> Map<String, Int> = Map {};

test "map literals, indexing and map methods" {
    let m = prices();
    assert m.len() == 2;
    assert m["tea"] == 4;
    assert m["coffee"].is_none();
    assert price("cake") == 5;
    assert m.contains_key("cake");
    assert !m.contains_key("coffee");
    assert m.keys() == ["cake", "tea"];
    assert m.values().len() == 2;
    assert sum(m.values()) == 9;
    assert sum(Map { "a" => 1, "b" => 1 }.values()) == 2;
    assert empty().is_empty();
    assert m["coffee"].unwrap_or(0) == 0;
}

test "list indexing and list methods" {
    let xs = [30, 10, 20];
    assert xs[0] == 10;
    assert second(xs) == 20;
    assert xs.contains(30);
    assert !xs.contains(40);
    assert "argon".contains("go");
    assert !xs.is_empty();
}
"#;

#[test]
fn maps_and_indexing_run_end_to_end() {
    assert_tests_pass(MAPS);
}

#[test]
fn list_index_out_of_range_is_a_test_error_not_a_panic() {
    let src = r#"
pub fn at(xs: [Int], i: Int) -> Int = xs[i];
test "past the end" { assert at([1, 2], 2) == 0; }
test "negative" { assert at([1, 2], -1) == 0; }
"#;
    for (name, status) in outcomes(src) {
        assert!(
            matches!(&status, TestStatus::Error(m) if m.contains("out of range")),
            "{name}: {status:?}"
        );
    }
}

const TRY: &str = r#"
pub struct Contact { email: Option<String> }
pub fn domain_len(c: Option<Contact>) -> Option<Nat> = {
    let contact = c?;
    let email = contact.email?;
    email.len()
};
pub type Account { id: String, mut balance: Int }
pub mutate open(id: String, start: Option<Int>) -> Option<Account> {
    let amount = start?;
    let a = insert Account { id: id, balance: amount };
    return a;
}
pub query accounts() -> [Account];

test "? unwraps present values and returns None on absent ones" {
    assert domain_len(Contact { email: "a@b.c" }) == 5;
    assert domain_len(Contact { email: none_string() }).is_none();
    assert domain_len(none_contact()).is_none();
}

pub fn none_string() -> Option<String> = if false { "" };
pub fn none_contact() -> Option<Contact> = if false { Contact { email: "" } };

test "? in a mutation returns None before any write" {
    let a = open("a", 10);
    assert a.is_some();
    let b = open("b", none_int());
    assert b.is_none();
    assert accounts().len() == 1;
}

pub fn none_int() -> Option<Int> = if false { 0 };
"#;

#[test]
fn try_operator_runs_end_to_end() {
    assert_tests_pass(TRY);
}

const AGGREGATES: &str = r#"
pub type Item { id: String, price: Int, qty: Nat }
pub fn total(xs: [Int]) -> Int = sum(x for x in xs);
pub fn avg_of(xs: [Int]) -> Option<Decimal> = avg(xs);
pub query stock_value() -> Int { select sum(i.price * i.qty for i in Item) from i: Item }
pub mutate restock(min_qty: Nat) -> Nat {
    require { count(i for i in Item where i.qty < min_qty) > 0 }
    return count(i for i in Item where i.qty < min_qty);
}

test "aggregates over collections and extents" {
    assert total([1, 2, 3]) == 6;
    assert total([]) == 0;
    assert avg_of([1, 2]) == 1.5;
    assert avg_of([]).is_none();
    assert count(i for i in Item) == 0;
    assert max(i.price for i in Item).is_none();
    insert Item { id: "a", price: 5, qty: 2 };
    insert Item { id: "b", price: 5, qty: 10 };
    assert sum(i.price for i in Item) == 10;
    assert min(i.qty for i in Item where i.price == 5) == 2;
    assert stock_value() == 60;
    let low = restock(5);
    assert low == 1;
}
"#;

#[test]
fn expression_aggregates_run_end_to_end() {
    assert_tests_pass(AGGREGATES);
}

const EMPTY_SUMS: &str = r#"
pub type Stay { id: String, nights: Duration, cost: Money, rate: Decimal }
pub fn waited(ds: [Duration]) -> Duration = sum(d for d in ds);
pub fn paid(ms: [Money]) -> Money = sum(m for m in ms);
pub fn spent() -> Money = sum(s.cost for s in Stay);
pub query total_cost() -> Money { select sum(s.cost) from s: Stay }
pub derive Booked(n: Nat) :- n = count { s: Stay };
pub derive Billed(t: Money) :- Booked(n), t = sum { s: Stay, s.cost };
// Nothing billed compares as zero money of any currency.
pub derive Unbilled(n: Nat) :- Booked(n), Billed(t), t <= 0.EUR;
pub derive Pricey(s: Stay) :- s: Stay, s.cost > 12.50.EUR;

test "sum over nothing is the zero of what it sums" {
    assert waited([]) + 2.days == 2.days;
    assert waited([1.days, 2.days]) == 3.days;
    assert paid([]) == 0.EUR;
    assert paid([]) + 5.EUR == 5.EUR;
    assert spent() == 0.USD;
    assert total_cost() == 0.EUR;
    assert total_cost() + 1.EUR == 1.EUR;
    assert Unbilled(0);
    let a = insert Stay { id: "a", nights: 2.days, cost: 80.EUR, rate: 1.5 };
    assert spent() == 80.EUR;
    assert total_cost() == 80.EUR;
    assert Billed(80.EUR);
    assert !Unbilled(1);
    assert Pricey(a);
}
"#;

#[test]
fn sum_over_nothing_is_a_typed_zero() {
    assert_tests_pass(EMPTY_SUMS);
}

const CALLS: &str = r#"
pub type Account { id: String, mut balance: Int }
pub query accounts() -> [Account];
pub mutate open(id: String) -> Account {
    let a = insert Account { id: id, balance: 0 };
    return a;
}
pub mutate open_funded(id: String, amount: Int) -> Account {
    require { amount > 0 }
    let a = open(id);
    update a set { balance = amount };
    return a;
}

test "a mutation binds another mutation's result" {
    let a = open_funded("x", 7);
    assert a.balance == 7;
    assert accounts().len() == 1;
}
"#;

#[test]
fn mutations_bind_called_mutation_results() {
    assert_tests_pass(CALLS);
}

#[test]
fn a_mutation_result_that_breaks_its_declared_bounds_is_refused() {
    let src = r#"
pub type Account { id: String }
pub mutate all_accounts() -> [Account; >= 1] { return [a for a in Account]; }
pub mutate count_all() -> Nat {
    let xs = all_accounts();
    return xs.len();
}
test "direct call" { let xs = all_accounts(); }
test "nested call" { let n = count_all(); }
test "within bounds" {
    insert Account { id: "a" };
    let xs = all_accounts();
    assert xs.len() == 1;
}
"#;
    for (name, status) in outcomes(src) {
        if name == "within bounds" {
            assert_eq!(status, TestStatus::Passed, "{name}");
            continue;
        }
        assert!(
            matches!(&status, TestStatus::Error(m)
                if m.contains("mutation `all_accounts` returned a value that does not fit")),
            "{name}: {status:?}"
        );
    }
}

#[test]
fn misuse_is_reported_with_precise_codes() {
    let base = "pub type T { id: String }\n";
    // `?` where the result is not optional.
    assert_code(
        &format!("{base}pub fn f(x: Option<Int>) -> Int = x? + 1;"),
        "OE0210",
    );
    assert_code(
        &format!("{base}pub mutate m(x: Option<Int>) {{ let y = x?; }}"),
        "OE0210",
    );
    assert_code(
        &format!("{base}test \"t\" {{ let m = Map {{ \"a\" => 1 }}; let y = m[\"a\"]?; }}"),
        "OE0210",
    );
    // `?` on a value that is not optional.
    assert_code(
        &format!("{base}pub fn f(x: Int) -> Option<Int> = x?;"),
        "OE0203",
    );
    // Unknown methods name the available ones.
    let text = rendered(&[("src/root.ar", "pub fn f(x: [Int]) -> Nat = x.size();")]);
    assert!(text.contains("OE0209"), "{text}");
    assert!(
        text.contains("unknown method `size` on type `[Int]`"),
        "{text}"
    );
    assert!(text.contains("`len()`"), "{text}");
    // Wrong key and index types.
    assert_code(
        "pub fn f(m: Map<String, Int>) -> Option<Int> = m[1];",
        "OE0203",
    );
    assert_code("pub fn f(xs: [Int]) -> Int = xs[\"a\"];", "OE0203");
    assert_code("pub fn f(n: Int) -> Int = n[0];", "OE0203");
    // Map entries of different types, and an empty map without a type.
    assert_code(
        "pub fn f() -> Map<String, Int> = Map { \"a\" => 1, \"b\" => \"c\" };",
        "OE0203",
    );
    assert_code("pub fn f() -> Nat = Map {}.len();", "OE0204");
    // Aggregates: sum of strings, the atom form outside rules, nesting.
    assert_code(
        &format!("{base}pub fn f(xs: [String]) -> String = sum(x for x in xs);"),
        "OE0203",
    );
    assert_code(
        &format!("{base}pub fn f() -> Nat = count {{ t: T }};"),
        "OE1312",
    );
    assert_code(
        &format!("{base}pub fn f(xs: [Int]) -> Nat = count(x for x in xs where count(xs) > 1);"),
        "OE1311",
    );
    // Binding the result of a mutation without one.
    assert_code(
        &format!("{base}pub mutate a() {{ }}\npub mutate b() {{ let x = a(); }}"),
        "OE0203",
    );
}

#[test]
fn is_bindings_are_scoped_to_the_then_branch() {
    let ok = "pub fn f(x: Option<Int>) -> Int = if x is Some(y) { y } else { 0 };";
    assert_ok(ok);
    assert_code(
        "pub fn f(x: Option<Int>) -> Int = { let b = x is Some(y); y };",
        "OE0101",
    );
    assert_code(
        "pub fn f(x: Option<Int>) -> Int = if !(x is Some(y)) { y } else { 0 };",
        "OE0101",
    );
    assert_code(
        "pub mutate m(x: Option<Int>) -> Int { if x is Some(y) { return y; } return y; }",
        "OE0101",
    );
    assert_code(
        "pub mutate m(x: Option<Int>) -> Int { if x is Some(y) { } else { return y; } return 0; }",
        "OE0101",
    );
}
