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
        header_param("X-As-Of-Tx", false, "Read the state at this transaction number."),
        header_param("X-As-Of-Valid", false, "Valid time: a date (00:00 UTC) or an RFC 3339 time; also what today()/now() return."),
        header_param("X-Request-Id", false, "Echoed in the response; 1–128 visible ASCII characters, else a UUIDv7 is generated."),
    ])
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

fn dispatch_op(summary: &str, ok_schema: &str) -> Value {
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
    json!({ "post": {
        "summary": summary,
        "parameters": context_headers(),
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
            "/v1/dispatch/query": dispatch_op("Run a pub query", "QueryResponse"),
            "/v1/dispatch/mutation": dispatch_op("Run a pub mutation (forget is refused)", "MutationResponse"),
            "/v1/dispatch/compute": dispatch_op("Run a pub fn", "ComputeResponse"),
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
            "DispatchRequest": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name"],
                "properties": {
                    "name": { "type": "string", "description": "package::item, or the short item when unambiguous" },
                    "args": { "type": ["object", "null"] },
                    "limit": { "type": "integer", "minimum": 1, "description": "queries: page size, at most --max-rows" },
                    "cursor": { "type": ["string", "null"], "description": "queries: nextCursor of the previous page" },
                    "explain": { "type": "boolean", "description": "not supported yet: true is refused" },
                    "dryRun": { "type": "boolean", "description": "mutations: report the events, write none" },
                    "validAt": { "type": ["string", "null"], "description": "date or RFC 3339; X-As-Of-Valid wins" },
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
        } },
    })
}
