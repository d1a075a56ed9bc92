//! Join plans: the order in which a rule body's literals are evaluated and,
//! for every atom, how it is looked up (scan, index on its bound columns, or
//! a membership test when all columns are bound).

use ox_ir::analysis::expr_vars;
use ox_ir::{AggKind, CmpOp, Expr, Literal, Term, Value, VarId};

/// Where an argument's value comes from once it is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Src {
    /// A variable slot.
    Var(u32),
    /// An index into the constant table of the plan's owner.
    Const(u32),
}

/// Which rows of a relation an atom reads (semi-naive evaluation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Every row as of the start of the iteration.
    Full,
    /// Rows from before the last iteration's additions.
    Old,
    /// Only the rows the last iteration added.
    Delta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// No column bound: read every row of the range.
    Scan,
    /// Some columns bound: hash lookup in the plan's index slot.
    Index(usize),
    /// Every column bound: a membership test.
    Contains,
}

#[derive(Debug, Clone)]
pub(crate) struct AtomStep {
    pub pred: usize,
    pub access: Access,
    pub lookup: Lookup,
    /// Bound columns (ascending) and where their values come from.
    pub bound: Vec<(usize, Src)>,
    /// Free columns and the variable each binds (first occurrence).
    pub binds: Vec<(usize, u32)>,
    /// Columns that must equal a variable bound by an earlier column of this atom.
    pub eqs: Vec<(usize, u32)>,
}

#[derive(Debug, Clone)]
pub(crate) enum Step {
    Atom(AtomStep),
    /// Negation as failure: every argument is bound.
    Neg {
        pred: usize,
        args: Vec<Src>,
    },
    /// A comparison over bound variables.
    Filter {
        op: CmpOp,
        left: Expr,
        right: Expr,
    },
    /// Binds `var` to the value of `expr`.
    Bind {
        var: u32,
        expr: Expr,
    },
    /// `var = expr` where `var` is already bound: an equality test.
    Test {
        var: u32,
        expr: Expr,
    },
    /// An aggregate over the solutions of a nested plan.
    Aggregate(Box<AggregateStep>),
}

/// `result = kind { body }` with its group variables bound.
#[derive(Debug, Clone)]
pub(crate) struct AggregateStep {
    pub kind: AggKind,
    /// The variable the value goes to.
    pub result: u32,
    /// Whether `result` is already bound (then the step is an equality test).
    pub test: bool,
    /// The body's plan; its index slots are the enclosing plan's.
    pub steps: Vec<Step>,
    /// The variables the body binds: a solution is one binding of them.
    pub locals: Vec<u32>,
    /// The aggregated value of one solution (`None` for `count`).
    pub value: Option<Expr>,
    /// What `sum` gives over no solution (`None`: the integer 0).
    pub zero: Option<Value>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    /// The indexes the plan uses: `(pred, bound-column mask)` per slot.
    pub needs: Vec<(usize, u64)>,
    /// The positive atoms' relations and access: if any range is empty the plan yields nothing.
    pub inputs: Vec<(usize, Access)>,
}

/// Orders `body` into a plan.
///
/// `bound` marks the variables bound before the body starts (query
/// parameters). When `delta` names a body position, that atom is evaluated
/// first. Every other positive atom is chosen greedily: the one with the most
/// bound columns (constants or bound variables) next, ties in body order;
/// comparisons, bindings and negations are applied as soon as their
/// variables are bound. Constants are added to `consts`.
///
/// Fails (naming the literal) only when the body is not range-restricted,
/// which callers check beforehand.
pub(crate) fn plan(
    body: &[Literal],
    bound: &mut [bool],
    delta: Option<usize>,
    access: impl Fn(usize) -> Access,
    consts: &mut Vec<Value>,
) -> Result<Plan, usize> {
    plan_ordered(body, bound, delta, access, consts, |_| false)
}

/// [`plan`] for a check with the head bound (is this fact derivable?):
/// among the atoms with a bound column, those for which `own_stratum` is
/// false come first. The rule's own relations are the large ones, so a
/// relation of a lower stratum (a schema, a hierarchy) narrows the search
/// before they are probed, by a full key where possible, and no index on
/// them is built that evaluation never needed.
pub(crate) fn plan_check(
    body: &[Literal],
    bound: &mut [bool],
    access: impl Fn(usize) -> Access,
    consts: &mut Vec<Value>,
    own_stratum: impl Fn(usize) -> bool,
) -> Result<Plan, usize> {
    plan_ordered(body, bound, None, access, consts, own_stratum)
}

fn plan_ordered(
    body: &[Literal],
    bound: &mut [bool],
    delta: Option<usize>,
    access: impl Fn(usize) -> Access,
    consts: &mut Vec<Value>,
    own_stratum: impl Fn(usize) -> bool,
) -> Result<Plan, usize> {
    let mut out = Plan::default();
    let mut placed = vec![false; body.len()];
    if let Some(d) = delta {
        place_atom(body, d, access(d), bound, consts, &mut out);
        placed[d] = true;
    }
    loop {
        place_ready(body, bound, &mut placed, consts, &mut out);
        let next = body
            .iter()
            .enumerate()
            .filter(|(i, _)| !placed[*i])
            .filter_map(|(i, l)| match l {
                Literal::Pos(atom) => {
                    let n_bound = atom
                        .args
                        .iter()
                        .filter(|t| match t {
                            Term::Const(_) => true,
                            Term::Var(v) => bound[v.0 as usize],
                        })
                        .count();
                    Some((i, n_bound, atom.args.len() - n_bound))
                }
                _ => None,
            })
            // Most bound columns (other strata first among atoms with
            // some); then fewest free ones; then body order.
            .min_by_key(|&(i, n_bound, n_free)| {
                (
                    n_bound == 0,
                    own_stratum(i),
                    std::cmp::Reverse(n_bound),
                    n_free,
                    i,
                )
            });
        let Some((i, _, _)) = next else { break };
        place_atom(body, i, access(i), bound, consts, &mut out);
        placed[i] = true;
    }
    match placed.iter().position(|p| !p) {
        Some(i) => Err(i),
        None => Ok(out),
    }
}

fn vars_bound(expr: &Expr, bound: &[bool]) -> bool {
    let mut vars: Vec<VarId> = Vec::new();
    expr_vars(expr, &mut vars);
    vars.iter().all(|v| bound[v.0 as usize])
}

/// Places every non-atom literal whose variables are bound, until none is left.
fn place_ready(
    body: &[Literal],
    bound: &mut [bool],
    placed: &mut [bool],
    consts: &mut Vec<Value>,
    out: &mut Plan,
) {
    loop {
        let mut progress = false;
        for (i, literal) in body.iter().enumerate() {
            if placed[i] {
                continue;
            }
            let step = match literal {
                Literal::Pos(_) => continue,
                Literal::Aggregate {
                    result,
                    kind,
                    group_by,
                    body: inner,
                    value,
                    zero,
                } => {
                    if !group_by.iter().all(|v| bound[v.0 as usize]) {
                        continue;
                    }
                    let Some(step) = aggregate_step(
                        *result, *kind, group_by, inner, value, zero, bound, consts, out,
                    ) else {
                        continue;
                    };
                    bound[result.0 as usize] = true;
                    Step::Aggregate(Box::new(step))
                }
                Literal::Neg(atom) => {
                    let all_bound = atom.args.iter().all(|t| match t {
                        Term::Var(v) => bound[v.0 as usize],
                        Term::Const(_) => true,
                    });
                    if !all_bound {
                        continue;
                    }
                    let args = atom
                        .args
                        .iter()
                        .map(|t| match t {
                            Term::Var(v) => Src::Var(v.0),
                            Term::Const(c) => Src::Const(const_slot(consts, c)),
                        })
                        .collect();
                    Step::Neg {
                        pred: atom.pred.index(),
                        args,
                    }
                }
                Literal::Compare { op, left, right } => {
                    if !(vars_bound(left, bound) && vars_bound(right, bound)) {
                        continue;
                    }
                    Step::Filter {
                        op: *op,
                        left: left.clone(),
                        right: right.clone(),
                    }
                }
                Literal::Bind { var, expr } => {
                    if !vars_bound(expr, bound) {
                        continue;
                    }
                    let slot = var.0;
                    if bound[slot as usize] {
                        Step::Test {
                            var: slot,
                            expr: expr.clone(),
                        }
                    } else {
                        bound[slot as usize] = true;
                        Step::Bind {
                            var: slot,
                            expr: expr.clone(),
                        }
                    }
                }
            };
            out.steps.push(step);
            placed[i] = true;
            progress = true;
        }
        if !progress {
            break;
        }
    }
}

/// Plans an aggregate's body with only its group variables bound; its
/// index slots are appended to the enclosing plan's. `None` when the body
/// cannot be scheduled (not range-restricted).
#[allow(clippy::too_many_arguments)]
fn aggregate_step(
    result: VarId,
    kind: AggKind,
    group_by: &[VarId],
    body: &[Literal],
    value: &Option<Expr>,
    zero: &Option<Value>,
    bound: &[bool],
    consts: &mut Vec<Value>,
    out: &mut Plan,
) -> Option<AggregateStep> {
    let mut inner_bound = vec![false; bound.len()];
    for v in group_by {
        inner_bound[v.0 as usize] = true;
    }
    let before = inner_bound.clone();
    let inner = plan(body, &mut inner_bound, None, |_| Access::Full, consts).ok()?;
    let offset = out.needs.len();
    out.needs.extend(inner.needs.iter().copied());
    let mut steps = inner.steps;
    for step in &mut steps {
        shift_slots(step, offset);
    }
    let locals = (0..bound.len())
        .filter(|&v| inner_bound[v] && !before[v])
        .map(|v| v as u32)
        .collect();
    Some(AggregateStep {
        kind,
        result: result.0,
        test: bound[result.0 as usize],
        steps,
        locals,
        value: value.clone(),
        zero: zero.clone(),
    })
}

/// Moves a nested plan's index slots behind the enclosing plan's.
fn shift_slots(step: &mut Step, offset: usize) {
    match step {
        Step::Atom(atom) => {
            if let Lookup::Index(slot) = &mut atom.lookup {
                *slot += offset;
            }
        }
        Step::Aggregate(agg) => agg.steps.iter_mut().for_each(|s| shift_slots(s, offset)),
        Step::Neg { .. } | Step::Filter { .. } | Step::Bind { .. } | Step::Test { .. } => {}
    }
}

fn place_atom(
    body: &[Literal],
    i: usize,
    access: Access,
    bound: &mut [bool],
    consts: &mut Vec<Value>,
    out: &mut Plan,
) {
    let Literal::Pos(atom) = &body[i] else {
        unreachable!("only positive atoms are placed as atoms")
    };
    let mut step = AtomStep {
        pred: atom.pred.index(),
        access,
        lookup: Lookup::Scan,
        bound: Vec::new(),
        binds: Vec::new(),
        eqs: Vec::new(),
    };
    let mut seen: Vec<u32> = Vec::new();
    for (col, term) in atom.args.iter().enumerate() {
        match term {
            Term::Const(value) => step
                .bound
                .push((col, Src::Const(const_slot(consts, value)))),
            Term::Var(v) if bound[v.0 as usize] => step.bound.push((col, Src::Var(v.0))),
            Term::Var(v) if seen.contains(&v.0) => step.eqs.push((col, v.0)),
            Term::Var(v) => {
                seen.push(v.0);
                step.binds.push((col, v.0));
            }
        }
    }
    for v in seen {
        bound[v as usize] = true;
    }
    // A fully bound delta atom uses an index on all columns: membership
    // sets do not know which rows are in the delta.
    step.lookup = if step.bound.len() == atom.args.len() && access != Access::Delta {
        Lookup::Contains
    } else if step.bound.is_empty() {
        Lookup::Scan
    } else {
        let mask = step.bound.iter().fold(0u64, |m, (c, _)| m | (1u64 << c));
        let need = (step.pred, mask);
        let slot = match out.needs.iter().position(|n| *n == need) {
            Some(slot) => slot,
            None => {
                out.needs.push(need);
                out.needs.len() - 1
            }
        };
        Lookup::Index(slot)
    };
    out.inputs.push((step.pred, access));
    out.steps.push(Step::Atom(step));
}

fn const_slot(consts: &mut Vec<Value>, value: &Value) -> u32 {
    match consts.iter().position(|c| c == value) {
        Some(i) => i as u32,
        None => {
            consts.push(value.clone());
            (consts.len() - 1) as u32
        }
    }
}
