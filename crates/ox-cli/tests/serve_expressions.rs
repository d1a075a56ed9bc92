//! End to end over HTTP with the real binary: a package using maps, `?`,
//! aggregates in mutations and a mutation calling mutations
//! (`tests/fixtures/wallets`); run-time enforcement of money currencies,
//! checked arithmetic, sets and `[T; >= n]` bounds; member doc comments in
//! `GET /v1/schema`.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::{assert_envelope, start_on_sqlite, Server};

fn wallets_package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wallets")
}

fn start(dir: &Path) -> Server {
    start_on_sqlite(&wallets_package(), dir)
}

fn call(server: &Server, name: &str, args: Value) -> (u16, Value) {
    server.post(
        "/v1/dispatch/mutation",
        Some("acme"),
        &json!({ "name": name, "args": args }),
    )
}

fn eur(amount: &str) -> Value {
    json!({ "amount": amount, "currency": "EUR" })
}

fn wallet<'a>(server: &Server, rows: &'a mut Vec<Value>, id: &str) -> &'a Value {
    let (status, body) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({ "name": "wallets::holdings" }),
    );
    assert_eq!(status, 200, "{body}");
    *rows = body["rows"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no wallet {id} in {rows:?}"))
}

#[test]
fn maps_try_aggregates_and_nested_mutations_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());

    // A mutation calling two mutations and binding their results.
    let funded = server.mutate(
        "acme",
        "wallets::open_funded",
        json!({ "id": "w1", "amount": eur("25.00"), "note": "salary" }),
    );
    assert_eq!(funded["value"]["id"], "w1", "{funded}");
    let mut rows = Vec::new();
    let w1 = wallet(&server, &mut rows, "w1");
    assert_eq!(w1["balance"], eur("25.00"));
    // A `Map<String, Int>` field is an object on the wire.
    assert_eq!(w1["limits"], json!({ "food": 100, "rent": 100 }));
    assert_eq!(w1["visits"], 1);

    // A failure in the nested call rolls the whole transaction back.
    let (status, body) = call(
        &server,
        "wallets::open_funded",
        json!({ "id": "w2", "amount": eur("5.00"), "note": "" }),
    );
    assert_envelope(status, &body, 422, "ARGON_RUNTIME_REQUIRE_FAILED");
    let (_, all) = server.post(
        "/v1/dispatch/query",
        Some("acme"),
        &json!({ "name": "wallets::wallets" }),
    );
    assert_eq!(all["rows"].as_array().map(Vec::len), Some(1), "{all}");

    // `?` on a map lookup: a present key, then an absent one (None, no error).
    let present = server.mutate(
        "acme",
        "wallets::doubled_limit",
        json!({ "w": "w1", "category": "food" }),
    );
    assert_eq!(present["value"], 200);
    let absent = server.mutate(
        "acme",
        "wallets::doubled_limit",
        json!({ "w": "w1", "category": "travel" }),
    );
    assert_eq!(absent["value"], Value::Null);

    // Aggregates in mutation bodies, over an extent and over map values.
    let count = server.mutate(
        "acme",
        "wallets::funded_count",
        json!({ "min": eur("10.00") }),
    );
    assert_eq!(count["value"], 1);
    let total = server.mutate("acme", "wallets::limit_total", json!({ "w": "w1" }));
    assert_eq!(total["value"], 200);

    // Indexing: in range, then out of range (a clear error, the server lives on).
    let second = server.mutate(
        "acme",
        "wallets::pick",
        json!({ "xs": [30, 10, 20], "i": 1 }),
    );
    assert_eq!(second["value"], 20);
    let (status, body) = call(&server, "wallets::pick", json!({ "xs": [1], "i": 5 }));
    assert_envelope(status, &body, 400, "ARGON_RUNTIME_VALIDATION_FAILED");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("out of range"),
        "{body}"
    );
}

#[test]
fn money_arithmetic_sets_and_bounds_are_enforced_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let open = |id: &str, owners: Value, labels: Value, tags: Value| {
        call(
            &server,
            "wallets::open",
            json!({ "id": id, "balance": eur("1.00"), "limits": {}, "tags": tags, "owners": owners, "labels": labels }),
        )
    };

    // A set drops repeated elements.
    let (status, body) = open("w1", json!(["ann"]), json!([]), json!(["b", "a", "b"]));
    assert_eq!(status, 200, "{body}");
    let mut rows = Vec::new();
    assert_eq!(wallet(&server, &mut rows, "w1")["tags"], json!(["a", "b"]));

    // `[String; >= 1]` with no element and `[String; <= 2]` with three.
    let (status, body) = open("w2", json!([]), json!([]), json!([]));
    assert_envelope(status, &body, 422, "ARGON_RUNTIME_CHECK_VIOLATED");
    assert!(
        body["error"]["message"].to_string().contains("owners"),
        "{body}"
    );
    let (status, body) = open("w3", json!(["ann"]), json!(["x", "y", "z"]), json!([]));
    assert_envelope(status, &body, 422, "ARGON_RUNTIME_CHECK_VIOLATED");
    assert!(
        body["error"]["message"].to_string().contains("labels"),
        "{body}"
    );

    // Money in another currency cannot be added to the balance.
    let (status, body) = call(
        &server,
        "wallets::deposit",
        json!({ "w": "w1", "amount": { "amount": "5.00", "currency": "USD" }, "note": "fx" }),
    );
    assert_eq!(status / 100, 4, "{body}");
    let code = body["error"]["code"].as_str().unwrap_or_default();
    assert!(code.starts_with("ARGON_RUNTIME_"), "{body}");
    assert!(
        body["error"]["message"].to_string().contains("USD"),
        "{body}"
    );
    let mut rows = Vec::new();
    assert_eq!(wallet(&server, &mut rows, "w1")["balance"], eur("1.00"));

    // Integer overflow is an error, never a wrap.
    server.mutate("acme", "wallets::bump", json!({ "w": "w1", "n": i64::MAX }));
    let (status, body) = call(&server, "wallets::bump", json!({ "w": "w1", "n": 1 }));
    assert_eq!(status / 100, 4, "{body}");
    assert!(
        body["error"]["message"].to_string().contains("overflow"),
        "{body}"
    );
}

#[test]
fn member_doc_comments_are_in_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let (status, schema) = server.get("/v1/schema", None);
    assert_eq!(status, 200, "{schema}");
    let wallet = schema["concepts"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "Wallet"))
        .expect("Wallet in the schema");
    assert_eq!(wallet["doc"], "A wallet holding money in one currency.");
    let field = |name: &str| {
        wallet["fields"]
            .as_array()
            .and_then(|fs| fs.iter().find(|f| f["name"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(field("limits")["doc"], "Spending limits by category.");
    assert_eq!(field("id")["doc"], Value::Null);
    let usage = schema["enums"]
        .as_array()
        .and_then(|es| es.iter().find(|e| e["name"] == "Usage"))
        .expect("Usage in the schema");
    assert_eq!(usage["variants"][0]["doc"], "Day-to-day spending.");
    assert_eq!(usage["variants"][1]["doc"], Value::Null);
}
