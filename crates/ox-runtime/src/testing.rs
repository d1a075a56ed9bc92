//! `ox test`: runs `test` blocks, each on a fresh in-memory store.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ox_ir::{Module, Test};
use ox_reasoner::Program;
use ox_store::{MemBackend, TenantId};

use crate::context::{Clock, RequestContext};
use crate::engine::Engine;
use crate::error::RuntimeError;
use crate::eval::Locals;
use crate::interpret::{Interp, Mode, Txn};

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestStatus {
    /// Every `assert` held.
    Passed,
    /// These `assert`s (their source text) failed; the test ran to its end.
    Failed(Vec<String>),
    /// The test could not run to its end (evaluation error, failed validation
    /// of its writes, a failed `require` …): the message.
    Error(String),
}

/// The outcome of one test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestOutcome {
    pub name: String,
    pub status: TestStatus,
    pub duration: Duration,
}

/// The tenant tests write to (each test has its own store).
const TEST_TENANT: &str = "test";

/// Runs the tests whose name contains `filter` (all without one), in order.
///
/// Statements run like a mutation body in a running transaction; before each
/// `assert` the pending writes are validated and committed, so the assert
/// reads the reasoner's fixpoint. A failed assert is recorded and the test
/// continues; an error (including failed validation) ends it as `Error`.
pub fn run_tests(module: &Module, tests: &[Test], filter: Option<&str>) -> Vec<TestOutcome> {
    let selected = tests
        .iter()
        .filter(|t| filter.is_none_or(|f| t.name.contains(f)));
    let module = Arc::new(module.clone());
    let program = Program::new(&crate::layers::layer_module(
        &module,
        &std::collections::BTreeSet::new(),
    ))
    .map(Arc::new)
    .map_err(|e| e.to_string());
    selected
        .map(|test| {
            let started = Instant::now();
            let status = match &program {
                Ok(program) => run_one(&module, program, test),
                Err(e) => TestStatus::Error(format!("the module's rules cannot be evaluated: {e}")),
            };
            TestOutcome {
                name: test.name.clone(),
                status,
                duration: started.elapsed(),
            }
        })
        .collect()
}

fn run_one(module: &Arc<Module>, program: &Arc<Program>, test: &Test) -> TestStatus {
    let engine = Engine::with_program(
        module.clone(),
        program.clone(),
        "test".to_owned(),
        "test".to_owned(),
        Arc::new(MemBackend::new()),
    );
    match execute(&engine, test) {
        Ok(failed) if failed.is_empty() => TestStatus::Passed,
        Ok(failed) => TestStatus::Failed(failed),
        Err(e) => TestStatus::Error(e.message),
    }
}

fn execute(engine: &Engine, test: &Test) -> Result<Vec<String>, RuntimeError> {
    let tenant = TenantId::parse(TEST_TENANT).map_err(RuntimeError::from_store)?;
    let ctx = RequestContext::new(tenant);
    let clock = Clock::start(&ctx);
    let (start, generation) = engine.current(&ctx, &clock)?;
    let mut interp = Interp::new(
        engine,
        &ctx,
        &clock,
        Txn::new(start, generation),
        Mode::Test,
    );
    let mut locals = Locals::with_len(test.local_count as usize);
    interp.run(&test.body, &mut locals)?;
    engine.commit_txn(&ctx, &clock, &interp.txn, false)?;
    Ok(interp.failed_asserts)
}
