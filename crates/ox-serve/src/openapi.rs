//! `GET /v1/openapi.json`: an OpenAPI 3.1 document of the routes served, the
//! context headers and the error envelope (*Ours*).

use ox_runtime::ErrorCode;
use serde_json::{json, Map, Value};

fn header_param(name: &str, required: bool, description: &str) -> Value {
    json!({
        "name": name, "in": "header", "required": required,
        "description": description, "schema": { "type": "string" }
    })
}

/// The context headers of dispatch routes.
fn context_headers() -> Value {
    json!([
        header_param("X-Tenant-Id", false, "Tenant (1–128 of A–Z a–z 0–9 . _ : -). Required here or as body `tenantId`; set by the gateway, wins over the body."),
        header_param("X-Fork-Id", false, "Fork, default `main`; a disagreeing body `forkId` is ARGON_RUNTIME_FORK_CONFLICT."),
        header_param("X-Principal-Id", false, "Who asks, default `anonymous`; recorded on events, never authorised."),
        header_param("X-Standpoint", false, "A declared standpoint (name or path); default layer when absent."),
        header_param("X-As-Of-Tx", false, "Read the state at this transaction number, or at an RFC 3339 time (the last transaction committed at or before it)."),
        header_param("X-As-Of-Valid", false, "Valid time: a date (00:00 UTC) or an RFC 3339 time; also what today()/now() return."),
        header_param("X-Request-Id", false, "Echoed in the response; 1–128 visible ASCII characters, else a UUIDv7 is generated."),
    ])
}

/// The context headers of write routes: the dispatch ones plus `Idempotency-Key`.
fn write_headers() -> Value {
    let mut headers = context_headers();
    if let Value::Array(list) = &mut headers {
        list.push(header_param("Idempotency-Key", false, "1–255 visible ASCII characters. The same key with the same request returns the stored response (same tx) and writes nothing; with another request it is ARGON_RUNTIME_IDEMPOTENCY_CONFLICT. Mutations and batches only."));
    }
    headers
}

/// The headers of fork management routes.
fn fork_headers() -> Value {
    json!([
        header_param("X-Tenant-Id", true, "Tenant whose forks these are; forks of one tenant are invisible to another."),
        header_param("X-Fork-Id", false, "If given, must name the path's fork (else ARGON_RUNTIME_FORK_CONFLICT); on POST /v1/forks it is the parent when `from` is absent."),
        header_param("X-Principal-Id", false, "Recorded as the fork's creator or closer."),
        header_param("X-Request-Id", false, "Echoed in the response."),
    ])
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": { "type": "string" } })
}

fn with_params(mut params: Value, extra: &[Value]) -> Value {
    if let Value::Array(list) = &mut params {
        list.extend(extra.iter().cloned());
    }
    params
}

/// One operation of a fork route.
fn fork_op(summary: &str, params: Value, ok: (&str, Value), errors: &[ErrorCode]) -> Value {
    let mut responses = error_responses(errors);
    responses.insert(ok.0.into(), ok.1);
    json!({ "summary": summary, "parameters": params, "responses": responses })
}

fn error_responses(codes: &[ErrorCode]) -> Map<String, Value> {
    let mut by_status: Vec<(u16, Vec<&str>)> = Vec::new();
    for code in codes {
        match by_status.iter_mut().find(|(s, _)| *s == code.http_status()) {
            Some((_, names)) => names.push(code.as_str()),
            None => by_status.push((code.http_status(), vec![code.as_str()])),
        }
    }
    by_status.sort_by_key(|(s, _)| *s);
    by_status
        .into_iter()
        .map(|(status, names)| {
            let response = json!({
                "description": names.join(", "),
                "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorEnvelope" } } }
            });
            (status.to_string(), response)
        })
        .collect()
}

fn ok_json(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

fn get_op(summary: &str, ok: Value, errors: &[ErrorCode]) -> Value {
    let mut responses = error_responses(errors);
    responses.insert("200".into(), ok);
    json!({ "get": { "summary": summary, "parameters": [header_param("X-Request-Id", false, "Echoed in the response.")], "responses": responses } })
}

fn depth_param() -> Value {
    json!({ "name": "depth", "in": "query", "required": false, "description": "expand premises down to this depth (default: to the base facts)", "schema": { "type": "integer", "minimum": 0 } })
}

fn all_param() -> Value {
    json!({ "name": "all", "in": "query", "required": false, "description": "every derivation instead of the recorded witness", "schema": { "type": "boolean" } })
}

/// `POST /v1/forks/{fork}/derive[/trace]`.
fn derive_op(summary: &str, ok: &str) -> Value {
    use ErrorCode::*;
    let mut op = fork_op(
        summary,
        with_params(fork_headers(), &[path_param("fork", "Fork name")]),
        (
            "200",
            ok_json(
                ok,
                json!({ "type": "object", "properties": { "rows": { "type": "array" }, "nextCursor": { "type": ["string", "null"] }, "tx": { "type": "integer" } } }),
            ),
        ),
        &[
            ValidationFailed,
            MissingContext,
            ForkConflict,
            InvalidCursor,
            UnknownFork,
            StorageUnavailable,
            Timeout,
        ],
    );
    op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DeriveRequest" } } } });
    op
}

fn dispatch_op(summary: &str, ok_schema: &str, forked: bool) -> Value {
    use ErrorCode::*;
    let mut responses = error_responses(&[
        ValidationFailed,
        SignatureMismatch,
        MissingContext,
        ForkConflict,
        InvalidCursor,
        UnsupportedQueryBody,
        UnsupportedQueryResult,
        ForgetRefused,
        UnknownCallable,
        UnknownFork,
        MethodNotAllowed,
        PayloadTooLarge,
        ForkClosed,
        IdempotencyConflict,
        RequireFailed,
        CheckViolated,
        RowCapExceeded,
        Internal,
        StorageUnavailable,
        Timeout,
    ]);
    responses.insert(
        "200".into(),
        ok_json(
            summary,
            json!({ "$ref": format!("#/components/schemas/{ok_schema}") }),
        ),
    );
    let headers = if ok_schema == "MutationResponse" {
        write_headers()
    } else {
        context_headers()
    };
    let params = if forked {
        with_params(headers, &[path_param("fork", "The fork to run on")])
    } else {
        headers
    };
    json!({ "post": {
        "summary": summary,
        "parameters": params,
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/DispatchRequest" } } } },
        "responses": responses,
    } })
}

/// The OpenAPI 3.1 document; `version` is the served package's version.
pub fn document(package: &str, version: &str) -> Value {
    use ErrorCode::*;
    let any = json!({});
    let common = json!({
        "tx": { "type": "integer", "minimum": 0 },
        "fork": { "type": "string" },
        "requestId": { "type": "string" },
        "moduleHash": { "type": "string" },
    });
    let with_common = |extra: Value, required: &[&str]| {
        let mut props = common.as_object().cloned().unwrap_or_default();
        if let Value::Object(extra) = extra {
            props.extend(extra);
        }
        json!({ "type": "object", "properties": props, "required": required })
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("ox runtime serve: {package}"),
            "version": version,
            "description": "No authentication: run behind an authenticating gateway that overwrites X-Tenant-Id, X-Principal-Id and X-Standpoint. Every 4xx/5xx has the ErrorEnvelope shape.",
        },
        "paths": {
            "/healthz": get_op("Liveness; never touches storage", ok_json("alive", json!({"type": "object"})), &[]),
            "/readyz": get_op("Readiness: storage answers a cheap probe", ok_json("ready", json!({"type": "object"})), &[StorageUnavailable]),
            "/v1/health": get_op("Status, storage, hashes, uptime", ok_json("health", json!({"type": "object"})), &[]),
            "/v1/module": get_op("The active module", ok_json("module", json!({"type": "object"})), &[]),
            "/v1/schema": get_op("The TBox and every pub callable, with schemaHash", ok_json("schema", json!({"type": "object"})), &[]),
            "/v1/openapi.json": get_op("This document", ok_json("OpenAPI 3.1", json!({"type": "object"})), &[]),
            "/metrics": get_op("Prometheus text", json!({"description": "metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}), &[]),
            "/v1/dispatch/query": dispatch_op("Run a pub query", "QueryResponse", false),
            "/v1/dispatch/mutation": dispatch_op("Run a pub mutation (forget is refused)", "MutationResponse", false),
            "/v1/dispatch/compute": dispatch_op("Run a pub fn", "ComputeResponse", false),
            "/v1/forks/{fork}/dispatch/query": dispatch_op("Run a pub query on a fork", "QueryResponse", true),
            "/v1/forks/{fork}/dispatch/mutation": dispatch_op("Run a pub mutation on a fork (forget is refused)", "MutationResponse", true),
            "/v1/forks/{fork}/dispatch/compute": dispatch_op("Run a pub fn on a fork", "ComputeResponse", true),
            "/v1/batch": { "post": {
                "summary": "Run mutations atomically: all commit at one tx or none",
                "parameters": write_headers(),
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/BatchRequest" } } } },
                "responses": {
                    "200": ok_json("one transaction", json!({ "$ref": "#/components/schemas/BatchResponse" })),
                    "400": ok_json("ARGON_RUNTIME_VALIDATION_FAILED, ARGON_RUNTIME_SIGNATURE_MISMATCH, ARGON_RUNTIME_MISSING_CONTEXT, ARGON_RUNTIME_FORK_CONFLICT", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                    "403": ok_json("ARGON_RUNTIME_FORGET_REFUSED", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                    "404": ok_json("ARGON_RUNTIME_UNKNOWN_CALLABLE, ARGON_RUNTIME_UNKNOWN_FORK", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                    "409": ok_json("ARGON_RUNTIME_FORK_CLOSED, ARGON_RUNTIME_IDEMPOTENCY_CONFLICT", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                    "413": ok_json("ARGON_RUNTIME_PAYLOAD_TOO_LARGE", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                    "422": ok_json("ARGON_RUNTIME_REQUIRE_FAILED, ARGON_RUNTIME_CHECK_VIOLATED", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                    "503": ok_json("ARGON_RUNTIME_STORAGE_UNAVAILABLE", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                    "504": ok_json("ARGON_RUNTIME_TIMEOUT", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                },
            } },
            "/v1/forks": {
                "get": fork_op("The tenant's forks", fork_headers(), ("200", ok_json("forks", json!({ "type": "object", "properties": { "forks": { "type": "array", "items": { "$ref": "#/components/schemas/ForkInfo" } } } }))), &[ValidationFailed, MissingContext, StorageUnavailable, Timeout]),
                "post": {
                    "summary": "Create a fork in O(1) at a transaction of its parent",
                    "parameters": fork_headers(),
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CreateForkRequest" } } } },
                    "responses": {
                        "201": ok_json("created", json!({ "$ref": "#/components/schemas/ForkInfo" })),
                        "400": ok_json("ARGON_RUNTIME_VALIDATION_FAILED, ARGON_RUNTIME_MISSING_CONTEXT, ARGON_RUNTIME_FORK_CONFLICT", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                        "404": ok_json("ARGON_RUNTIME_UNKNOWN_FORK", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                        "409": ok_json("ARGON_RUNTIME_FORK_EXISTS", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                        "503": ok_json("ARGON_RUNTIME_STORAGE_UNAVAILABLE", json!({ "$ref": "#/components/schemas/ErrorEnvelope" })),
                    },
                },
            },
            "/v1/forks/{fork}": {
                "get": fork_op("One fork", with_params(fork_headers(), &[path_param("fork", "Fork name")]), ("200", ok_json("the fork", json!({ "$ref": "#/components/schemas/ForkInfo" }))), &[ValidationFailed, MissingContext, ForkConflict, UnknownFork, StorageUnavailable, Timeout]),
                "delete": fork_op("Abort the fork: closed to writes, history readable", with_params(fork_headers(), &[path_param("fork", "Fork name")]), ("200", ok_json("the aborted fork", json!({ "$ref": "#/components/schemas/ForkInfo" }))), &[ValidationFailed, MissingContext, ForkConflict, UnknownFork, ForkClosed, StorageUnavailable, Timeout]),
            },
            "/v1/forks/{fork}/diff/{other}": {
                "get": fork_op("Events visible in one fork and not the other since their common ancestor; paged (query string `limit`, `cursor`)", with_params(fork_headers(), &[path_param("fork", "Fork name"), path_param("other", "The fork to compare with"), json!({ "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1 } }), json!({ "name": "cursor", "in": "query", "required": false, "schema": { "type": "string" } })]), ("200", ok_json("a page of the diff", json!({ "type": "object", "properties": { "rows": { "type": "array" }, "nextCursor": { "type": ["string", "null"] }, "tx": { "type": "integer" } } }))), &[ValidationFailed, MissingContext, ForkConflict, InvalidCursor, UnknownFork, StorageUnavailable, Timeout]),
            },
            "/v1/forks/{fork}/promote": {
                "post": fork_op("Append the fork's events to main at a new tx; the fork closes", with_params(fork_headers(), &[path_param("fork", "Fork name")]), ("200", ok_json("promoted", json!({ "type": "object", "properties": { "tx": { "type": "integer" }, "eventsPromoted": { "type": "integer" } } }))), &[ValidationFailed, MissingContext, ForkConflict, UnknownFork, ForkClosed, PromoteConflict, CheckViolated, StorageUnavailable, Timeout]),
            },
            "/v1/forks/{fork}/derive": {
                "post": derive_op("The facts of the derived predicates (`rules` names some; `explain` adds each fact's proof); paged", "a page of derived facts: rows of {predicate, factId, args, proof?}"),
            },
            "/v1/forks/{fork}/derive/trace": {
                "post": derive_op("The rule firings behind the derived facts: rule, bindings, premises; paged", "a page of firings: rows of {factId, predicate, args, rule, ruleName, clause, bindings, premises}"),
            },
            "/v1/derived/individuals/{id}": {
                "get": fork_op("The derived facts that mention an individual", with_params(context_headers(), &[path_param("id", "Individual id")]), ("200", ok_json("derived extents", json!({ "type": "object", "properties": { "derived": { "type": "array" } } }))), &[ValidationFailed, MissingContext, UnknownFact, StorageUnavailable, Timeout]),
            },
            "/v1/derived/individuals/{id}/explain": {
                "get": fork_op("The proofs of the derived facts that mention an individual", with_params(context_headers(), &[path_param("id", "Individual id"), depth_param(), all_param()]), ("200", ok_json("proofs", json!({ "type": "object", "properties": { "proofs": { "type": "array", "items": { "$ref": "#/components/schemas/ProofDag" } } } }))), &[ValidationFailed, MissingContext, UnknownFact, StorageUnavailable, Timeout]),
            },
            "/v1/derived/facts/{fact_id}/explain": {
                "get": fork_op("The proof DAG of one fact (base facts name the events that asserted them)", with_params(context_headers(), &[path_param("fact_id", "Stable fact id (f-…)"), depth_param(), all_param()]), ("200", ok_json("proof", json!({ "type": "object", "properties": { "proof": { "$ref": "#/components/schemas/ProofDag" } } }))), &[ValidationFailed, MissingContext, UnknownFact, StorageUnavailable, Timeout]),
            },
            "/v1/checks": {
                "get": fork_op("The violated checks (check, severity, message, bindings, factId), the contradictions and the blocked ambiguities (contests, see docs/explain.md)", context_headers(), ("200", ok_json("checks", json!({ "type": "object", "properties": { "violations": { "type": "array" }, "contradictions": { "type": "array" }, "ambiguities": { "type": "array" }, "tx": { "type": "integer" } } }))), &[ValidationFailed, MissingContext, StorageUnavailable, Timeout]),
            },
        },
        "components": { "schemas": {
            "ErrorEnvelope": {
                "type": "object",
                "required": ["error", "requestId", "moduleHash"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message", "details"],
                        "properties": {
                            "code": { "type": "string", "enum": ErrorCode::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>() },
                            "message": { "type": "string" },
                            "details": { "type": "object" },
                        },
                    },
                    "requestId": { "type": "string" },
                    "moduleHash": { "type": "string" },
                },
            },
            "ProofDag": {
                "type": "object",
                "description": "nodes[root] is the explained fact; status is base (with events: eventId, tx, kind), derived (with derivations: rule, ruleName, clause, bindings, premises as node indices; truncated), absent (a negated premise, with stratum), notHeld or undefined",
                "properties": {
                    "root": { "type": "integer" },
                    "factId": { "type": "string" },
                    "nodes": { "type": "array", "items": { "type": "object" } },
                    "edges": { "type": "array", "items": { "type": "array", "items": { "type": "integer" } } },
                },
            },
            "DeriveRequest": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "rules": { "type": ["array", "null"], "items": { "type": "string" }, "description": "derived predicates by name or path; all when absent" },
                    "explain": { "type": "boolean", "description": "derive only: add each row's proof" },
                    "limit": { "type": "integer", "minimum": 1 },
                    "cursor": { "type": ["string", "null"] },
                    "tenantId": { "type": "string" },
                    "principalId": { "type": "string" },
                },
            },
            "DispatchRequest": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": {
                    "name": { "type": "string", "description": "package::item, or the short item when unambiguous" },
                    "args": { "type": ["object", "null"] },
                    "limit": { "type": "integer", "minimum": 1, "description": "queries: page size, at most --max-rows" },
                    "cursor": { "type": ["string", "null"], "description": "queries: nextCursor of the previous page" },
                    "explain": { "type": "boolean", "description": "queries: each row becomes {value, factId, proof} (null when the row is not a fact of a predicate)" },
                    "dryRun": { "type": "boolean", "description": "mutations: report the events, write none" },
                    "validAt": { "type": ["string", "null"], "description": "date or RFC 3339; X-As-Of-Valid wins" },
                    "across": { "type": ["array", "null"], "items": { "type": "string" }, "description": "queries: evaluate under each standpoint; rows become {value, truth} with truth Is|Not|Both|Can. Not with X-Standpoint/standpoint" },
                    "strict": { "type": "boolean", "description": "across queries: only rows whose truth is Is (also ?strict=true)" },
                    "tenantId": { "type": "string" },
                    "forkId": { "type": "string" },
                    "principalId": { "type": "string" },
                    "standpoint": { "type": "string" },
                },
            },
            "QueryResponse": with_common(json!({
                "rows": { "type": "array" },
                "nextCursor": { "type": ["string", "null"] },
                "value": any,
            }), &["tx", "fork", "requestId", "moduleHash"]),
            "MutationResponse": with_common(json!({
                "value": any,
                "eventsWritten": { "type": "integer" },
                "eventsEmitted": { "type": "array" },
                "events": { "type": "array", "description": "dry runs: the events that would be written" },
            }), &["value", "tx", "eventsWritten", "eventsEmitted", "fork", "requestId", "moduleHash"]),
            "ComputeResponse": with_common(json!({ "value": any }), &["value", "fork", "requestId", "moduleHash"]),
            "BatchRequest": {
                "type": "object",
                "additionalProperties": false,
                "required": ["calls"],
                "properties": {
                    "calls": { "type": "array", "minItems": 1, "items": {
                        "type": "object", "additionalProperties": false, "required": ["name"],
                        "properties": { "name": { "type": "string" }, "args": { "type": ["object", "null"] } },
                    } },
                    "dryRun": { "type": "boolean" },
                    "validAt": { "type": ["string", "null"] },
                    "tenantId": { "type": "string" },
                    "forkId": { "type": "string" },
                    "principalId": { "type": "string" },
                    "standpoint": { "type": "string" },
                },
            },
            "BatchResponse": with_common(json!({
                "results": { "type": "array", "items": { "type": "object" } },
            }), &["tx", "results", "fork", "requestId", "moduleHash"]),
            "CreateForkRequest": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": {
                    "name": { "type": "string" },
                    "from": { "type": "string", "description": "parent fork (default: X-Fork-Id, else main)" },
                    "atTx": { "type": "integer", "minimum": 0, "description": "the child sees the parent's events up to this tx (default: the last)" },
                    "tenantId": { "type": "string" },
                    "principalId": { "type": "string" },
                },
            },
            "ForkInfo": { "type": "object", "properties": {
                "name": { "type": "string" },
                "parent": { "type": ["string", "null"] },
                "state": { "type": "string", "enum": ["open", "promoted", "aborted"] },
            } },
        } },
    })
}
