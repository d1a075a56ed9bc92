//! Shared test fixtures: a hand-built module, test backends, and request helpers.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use ox_ir::{
    BinaryOp, Cardinality, Concept, ConceptId, Expr, Field, Function, Module, Mutation,
    PackageInfo, Param, PredId, PredKind, Predicate, Query, QueryBody, Refinement, Relation,
    Standpoint, Stmt, Type, Value as IrValue, VarId, Visibility,
};
use ox_runtime::Engine;
use ox_serve::{router, AppState, ServeConfig};
use ox_store::{
    AppendRequest, AsOf, Committed, Event, ForgetReceipt, ForgetSelector, ForkDiff, ForkRecord,
    ForkState, MemBackend, Promotion, SchemaChange, SchemaScope, StorageBackend, StoreError,
    StoredResponse, TenantId, ValidPoint,
};
use serde_json::{json, Value};
use tower::ServiceExt;

pub const MODULE_HASH: &str = "mh-test-0001";
pub const SCHEMA_HASH: &str = "sh-test-0001";

fn var(i: u32) -> Expr {
    Expr::Var(VarId(i))
}

/// Package `people`: `pub kind Person { key id: String, mut age: Int }`,
/// `pub query people() -> [Person]`, a private query, `pub mutate add_person(id, age)`
/// with `require { age >= 0 }`, a forgetting mutation, `pub fn double(x: Int) -> Int`,
/// a `Knows` relation and a `legal` standpoint.
pub fn module() -> Module {
    let person = ConceptId(0);
    let self_param = Param {
        name: "self".into(),
        ty: Type::Concept(person),
    };
    let predicates = vec![
        Predicate {
            name: "Person".into(),
            path: "people::Person".into(),
            kind: PredKind::Concept(person),
            params: vec![self_param.clone()],
            visibility: Visibility::Public,
            doc: None,
        },
        Predicate {
            name: "Person.id".into(),
            path: "people::Person.id".into(),
            kind: PredKind::Field(person, 0),
            params: vec![
                self_param.clone(),
                Param {
                    name: "id".into(),
                    ty: Type::String,
                },
            ],
            visibility: Visibility::Public,
            doc: None,
        },
        Predicate {
            name: "Person.age".into(),
            path: "people::Person.age".into(),
            kind: PredKind::Field(person, 1),
            params: vec![
                self_param,
                Param {
                    name: "age".into(),
                    ty: Type::Int,
                },
            ],
            visibility: Visibility::Public,
            doc: None,
        },
        Predicate {
            name: "Knows".into(),
            path: "people::Knows".into(),
            kind: PredKind::Relation(ox_ir::RelationId(0)),
            params: vec![
                Param {
                    name: "a".into(),
                    ty: Type::Concept(person),
                },
                Param {
                    name: "b".into(),
                    ty: Type::Concept(person),
                },
            ],
            visibility: Visibility::Public,
            doc: None,
        },
    ];
    let concepts = vec![Concept {
        name: "Person".into(),
        path: "people::Person".into(),
        metatype: "kind".into(),
        visibility: Visibility::Public,
        supertypes: vec![],
        fields: vec![
            Field {
                name: "id".into(),
                ty: Type::String,
                mutable: false,
                pred: PredId(1),
                doc: None,
            },
            Field {
                name: "age".into(),
                ty: Type::Int,
                mutable: true,
                pred: PredId(2),
                doc: Some("Age in whole years.".into()),
            },
        ],
        key: Some(0),
        refinement: Refinement::None,
        pred: PredId(0),
        doc: Some("A person.".into()),
        cover: Vec::new(),
    }];
    let relations = vec![Relation {
        name: "Knows".into(),
        path: "people::Knows".into(),
        metarel: "rel".into(),
        visibility: Visibility::Public,
        params: predicates[3].params.clone(),
        cardinalities: vec![
            Cardinality::ANY,
            Cardinality {
                min: 0,
                max: Some(5),
            },
        ],
        pred: PredId(3),
        doc: None,
        supertypes: Vec::new(),
        fields: Vec::new(),
        field_values: None,
    }];
    let people_query = |name: &str, visibility| Query {
        name: name.into(),
        path: format!("people::{name}"),
        visibility,
        params: vec![],
        result: Type::List(Box::new(Type::Concept(person)), Cardinality::ANY),
        as_of: None,
        across: Vec::new(),
        body: QueryBody::Extent(PredId(0)),
        doc: None,
    };
    let queries = vec![
        people_query("people", Visibility::Public),
        people_query("secret_people", Visibility::Private),
    ];
    let add_person = Mutation {
        name: "add_person".into(),
        path: "people::add_person".into(),
        visibility: Visibility::Public,
        params: vec![
            Param {
                name: "id".into(),
                ty: Type::String,
            },
            Param {
                name: "age".into(),
                ty: Type::Int,
            },
        ],
        result: Type::Unit,
        body: vec![
            Stmt::Require {
                cond: Expr::Binary {
                    op: BinaryOp::Ge,
                    left: Box::new(var(1)),
                    right: Box::new(Expr::Const(IrValue::Int(0))),
                },
                text: "age >= 0".into(),
            },
            Stmt::InsertIndividual {
                concept: person,
                fields: vec![(0, var(0)), (1, var(1))],
                bind: None,
            },
        ],
        local_count: 2,
        allow_forget: false,
        forgets: false,
        doc: None,
    };
    let erase = Mutation {
        name: "erase".into(),
        path: "people::erase".into(),
        visibility: Visibility::Public,
        params: vec![Param {
            name: "p".into(),
            ty: Type::Concept(person),
        }],
        result: Type::Unit,
        body: vec![Stmt::Forget(var(0))],
        local_count: 1,
        allow_forget: true,
        forgets: true,
        doc: None,
    };
    let double = Function {
        name: "double".into(),
        path: "people::double".into(),
        visibility: Visibility::Public,
        params: vec![Param {
            name: "x".into(),
            ty: Type::Int,
        }],
        result: Type::Int,
        body: Expr::Binary {
            op: BinaryOp::Mul,
            left: Box::new(var(0)),
            right: Box::new(Expr::Const(IrValue::Int(2))),
        },
        local_count: 1,
        doc: None,
    };
    Module {
        package: PackageInfo {
            name: "people".into(),
            version: "0.1.0".into(),
            entry: "src/root.ar".into(),
        },
        concepts,
        relations,
        structs: vec![],
        enums: vec![],
        predicates,
        rules: vec![],
        checks: vec![],
        queries,
        mutations: vec![add_person, erase],
        functions: vec![double],
        standpoints: vec![Standpoint {
            name: "legal".into(),
            path: "people::legal".into(),
            parents: vec![],
        }],
    }
}

/// A backend that delegates to [`MemBackend`] but can fail `ping`, stall or panic in reads.
#[derive(Default)]
pub struct TestBackend {
    pub inner: MemBackend,
    pub fail_ping: AtomicBool,
    pub slow_reads: AtomicBool,
    pub panic_reads: AtomicBool,
}

impl StorageBackend for TestBackend {
    fn kind(&self) -> &'static str {
        "mem"
    }
    fn ping(&self) -> Result<(), StoreError> {
        if self.fail_ping.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("test backend is down".into()));
        }
        self.inner.ping()
    }
    fn append(&self, req: AppendRequest<'_>) -> Result<Committed, StoreError> {
        self.inner.append(req)
    }
    fn visible_events(
        &self,
        tenant: &TenantId,
        fork: &str,
        as_of: AsOf,
    ) -> Result<Vec<Event>, StoreError> {
        if self.panic_reads.load(Ordering::SeqCst) {
            panic!("test backend panics in a read for tenant {tenant}");
        }
        if self.slow_reads.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_secs(2));
        }
        self.inner.visible_events(tenant, fork, as_of)
    }
    fn generation(&self, tenant: &TenantId, fork: &str) -> Result<u64, StoreError> {
        self.inner.generation(tenant, fork)
    }
    fn last_tx(&self, tenant: &TenantId) -> Result<u64, StoreError> {
        self.inner.last_tx(tenant)
    }
    fn schema_scopes(&self) -> Result<Vec<SchemaScope>, StoreError> {
        self.inner.schema_scopes()
    }
    fn next_valid_change(
        &self,
        tenant: &TenantId,
        fork: &str,
        after: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.inner.next_valid_change(tenant, fork, after)
    }
    fn last_tx_at(&self, tenant: &TenantId, time: DateTime<Utc>) -> Result<u64, StoreError> {
        self.inner.last_tx_at(tenant, time)
    }
    fn schema_scope(&self, tenant: &TenantId) -> Result<Option<String>, StoreError> {
        self.inner.schema_scope(tenant)
    }
    fn restamp_schema_scopes(
        &self,
        new_hash: &str,
        principal: &str,
        host: &str,
    ) -> Result<Vec<SchemaChange>, StoreError> {
        self.inner.restamp_schema_scopes(new_hash, principal, host)
    }
    fn schema_changes(&self, tenant: &TenantId) -> Result<Vec<SchemaChange>, StoreError> {
        self.inner.schema_changes(tenant)
    }
    fn create_fork(
        &self,
        tenant: &TenantId,
        name: &str,
        parent: &str,
        at_tx: Option<u64>,
        principal: &str,
    ) -> Result<ForkRecord, StoreError> {
        self.inner
            .create_fork(tenant, name, parent, at_tx, principal)
    }
    fn fork(&self, tenant: &TenantId, name: &str) -> Result<Option<ForkRecord>, StoreError> {
        self.inner.fork(tenant, name)
    }
    fn forks(&self, tenant: &TenantId) -> Result<Vec<ForkRecord>, StoreError> {
        self.inner.forks(tenant)
    }
    fn close_fork(
        &self,
        tenant: &TenantId,
        name: &str,
        state: ForkState,
        principal: &str,
    ) -> Result<ForkRecord, StoreError> {
        self.inner.close_fork(tenant, name, state, principal)
    }
    fn diff(&self, tenant: &TenantId, a: &str, b: &str) -> Result<ForkDiff, StoreError> {
        self.inner.diff(tenant, a, b)
    }
    fn promoted_view(
        &self,
        tenant: &TenantId,
        fork: &str,
        valid: ValidPoint,
    ) -> Result<Vec<Event>, StoreError> {
        self.inner.promoted_view(tenant, fork, valid)
    }
    fn promote(
        &self,
        tenant: &TenantId,
        fork: &str,
        principal: &str,
        schema_hash: &str,
    ) -> Result<Promotion, StoreError> {
        self.inner.promote(tenant, fork, principal, schema_hash)
    }
    fn idempotent_response(
        &self,
        tenant: &TenantId,
        fork: &str,
        key: &str,
    ) -> Result<Option<StoredResponse>, StoreError> {
        self.inner.idempotent_response(tenant, fork, key)
    }
    fn forget(
        &self,
        tenant: &TenantId,
        fork: &str,
        selector: &ForgetSelector,
        actor: &str,
        reason: &str,
    ) -> Result<ForgetReceipt, StoreError> {
        self.inner.forget(tenant, fork, selector, actor, reason)
    }
    fn forget_receipts(&self, tenant: &TenantId) -> Result<Vec<ForgetReceipt>, StoreError> {
        self.inner.forget_receipts(tenant)
    }
    fn history(&self, tenant: &TenantId, fork: &str) -> Result<Vec<Event>, StoreError> {
        self.inner.history(tenant, fork)
    }
    fn restore(
        &self,
        tenant: &TenantId,
        last_tx: u64,
        schema_hash: Option<&str>,
        events: &[Event],
    ) -> Result<(), StoreError> {
        self.inner.restore(tenant, last_tx, schema_hash, events)
    }
}

/// The test configuration: small limits, a fixed cursor secret.
pub fn config() -> ServeConfig {
    ServeConfig {
        request_timeout: Duration::from_secs(10),
        max_body_bytes: 4096,
        max_rows: 100,
        cursor_secret: Some([42; 32]),
        source_path: Some("target/people.oxbin".into()),
        storage_description: "mem".into(),
        ..ServeConfig::default()
    }
}

/// A server over `store` with `config`.
pub fn app_with(store: Arc<dyn StorageBackend>, config: ServeConfig) -> (Router, Arc<AppState>) {
    let engine = Engine::new(
        Arc::new(module()),
        MODULE_HASH.into(),
        SCHEMA_HASH.into(),
        store,
    )
    .expect("the test module loads");
    let state = Arc::new(AppState::new(engine, config));
    (router(Arc::clone(&state)), state)
}

/// A server over a fresh test backend.
pub fn app() -> (Router, Arc<TestBackend>) {
    let backend = Arc::new(TestBackend::default());
    let (router, _) = app_with(backend.clone(), config());
    (router, backend)
}

/// A decoded response.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The error code of an envelope, checking the envelope's shape.
    pub fn code(&self) -> &str {
        assert!(
            self.body["requestId"].is_string(),
            "envelope without requestId: {}",
            self.body
        );
        assert_eq!(
            self.body["moduleHash"], MODULE_HASH,
            "envelope: {}",
            self.body
        );
        assert!(
            self.body["error"]["message"].is_string(),
            "envelope: {}",
            self.body
        );
        assert!(
            self.body["error"]["details"].is_object(),
            "envelope: {}",
            self.body
        );
        self.body["error"]["code"].as_str().unwrap_or("<no code>")
    }
}

/// Sends `request` and decodes the JSON body (`Null` for an empty or non-JSON body).
pub async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
    }
}

/// `GET path`.
pub async fn get(router: &Router, path: &str) -> Reply {
    send(
        router,
        Request::get(path).body(Body::empty()).expect("request"),
    )
    .await
}

/// `POST /v1/dispatch/{kind}` with `X-Tenant-Id: tenant` (when given) and a JSON body.
pub async fn dispatch(router: &Router, kind: &str, tenant: Option<&str>, body: Value) -> Reply {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(format!("/v1/dispatch/{kind}"))
        .header("content-type", "application/json");
    if let Some(tenant) = tenant {
        request = request.header("x-tenant-id", tenant);
    }
    send(
        router,
        request.body(Body::from(body.to_string())).expect("request"),
    )
    .await
}

/// Inserts a person for `tenant`, asserting success.
pub async fn add_person(router: &Router, tenant: &str, id: &str, age: i64) {
    let reply = dispatch(
        router,
        "mutation",
        Some(tenant),
        json!({"name": "add_person", "args": {"id": id, "age": age}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}
