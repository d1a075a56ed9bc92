//! The tier ladder (version [`super::TIER_LADDER_VERSION`]): what evaluation
//! power a rule or query body needs. Each tier includes the ones below it.
//!
//! - tier 0, *positive*: positive atoms and comparisons (plain Datalog with filters);
//! - tier 1, *stratified*: adds negation as failure (stratified negation);
//! - tier 2, *computed*: adds bindings `var = expr`, which compute values that
//!   need not occur in any fact.
//!
//! The control section declares the highest tier the artifact needs; a runtime
//! refuses an artifact above [`SUPPORTED_TIER`] (`OE1204`).

use super::error::{OxbinError, TIER_MISMATCH, TIER_TABLE_INCONSISTENT};
use super::sections::{Control, TierTable};
use crate::logic::Literal;
use crate::module::{Module, QueryBody};

/// Positive atoms and comparisons.
pub const TIER_POSITIVE: u32 = 0;
/// Adds stratified negation as failure.
pub const TIER_STRATIFIED: u32 = 1;
/// Adds computed bindings.
pub const TIER_COMPUTED: u32 = 2;
/// The highest tier this runtime evaluates.
pub const SUPPORTED_TIER: u32 = TIER_COMPUTED;

/// The tier a conjunctive body needs.
pub fn body_tier(body: &[Literal]) -> u32 {
    body.iter()
        .map(|literal| match literal {
            Literal::Pos(_) | Literal::Compare { .. } => TIER_POSITIVE,
            Literal::Neg(_) => TIER_STRATIFIED,
            // An aggregate binds a computed value.
            Literal::Bind { .. } | Literal::Aggregate { .. } => TIER_COMPUTED,
        })
        .max()
        .unwrap_or(TIER_POSITIVE)
}

/// The tier table of a module.
pub fn tier_table(module: &Module) -> TierTable {
    let rules: Vec<u32> = module.rules.iter().map(|r| body_tier(&r.body)).collect();
    let queries: Vec<u32> = module
        .queries
        .iter()
        .map(|q| match &q.body {
            QueryBody::Extent(_) => TIER_POSITIVE,
            QueryBody::Select(select) => body_tier(&select.body),
        })
        .collect();
    let max_tier = rules
        .iter()
        .chain(&queries)
        .copied()
        .max()
        .unwrap_or(TIER_POSITIVE);
    TierTable {
        rules,
        queries,
        max_tier,
    }
}

/// Layer 1: the artifact's declared tier cap against this runtime (`OE1204`).
pub fn check_tier_cap(control: &Control) -> Result<(), OxbinError> {
    if control.required_tier > SUPPORTED_TIER {
        return Err(OxbinError::new(
            TIER_MISMATCH,
            format!(
                "the artifact needs tier {}, this runtime supports up to tier {SUPPORTED_TIER}",
                control.required_tier
            ),
        ));
    }
    Ok(())
}

/// Layer 2: the stored tier table and the control's tier cap agree with the
/// rules and queries (`OE1214`).
pub fn check_tier_table(
    module: &Module,
    stored: &TierTable,
    control: &Control,
) -> Result<(), OxbinError> {
    let inconsistent = |what: String| OxbinError::new(TIER_TABLE_INCONSISTENT, what);
    let actual = tier_table(module);
    if stored.rules.len() != actual.rules.len() || stored.queries.len() != actual.queries.len() {
        return Err(inconsistent(format!(
            "the tier table lists {} rules and {} queries, the module has {} and {}",
            stored.rules.len(),
            stored.queries.len(),
            actual.rules.len(),
            actual.queries.len()
        )));
    }
    for (what, stored_tiers, actual_tiers) in [
        ("rule", &stored.rules, &actual.rules),
        ("query", &stored.queries, &actual.queries),
    ] {
        if let Some(index) = (0..actual_tiers.len()).find(|&i| stored_tiers[i] != actual_tiers[i]) {
            return Err(inconsistent(format!(
                "{what} #{index} is listed at tier {} but needs tier {}",
                stored_tiers[index], actual_tiers[index]
            )));
        }
    }
    if stored.max_tier != actual.max_tier {
        return Err(inconsistent(format!(
            "the tier table's maximum is {}, its entries reach {}",
            stored.max_tier, actual.max_tier
        )));
    }
    if control.required_tier != actual.max_tier {
        return Err(inconsistent(format!(
            "the control section declares tier {}, the tier table reaches {}",
            control.required_tier, actual.max_tier
        )));
    }
    Ok(())
}
