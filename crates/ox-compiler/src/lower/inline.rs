//! Calls of pure `fn`s in rule and query bodies. The reasoner evaluates constants,
//! variables, unary and binary operators and builtins; a call whose function
//! body is built from those (and from calls of such functions) is replaced
//! by the body with the arguments in place of the parameters. Any other call
//! is refused with a diagnostic naming the construct that stands in the way.

use ox_ir::{Expr, Function, Literal};
use ox_syntax::{Diagnostic, Span};

use super::derive::SpannedRule;
use crate::codes;

/// How deep inlined calls may nest (functions never recurse; this bounds the work).
const MAX_DEPTH: u32 = 64;

/// Inlines every `fn` call in the rules' literals, reporting calls that cannot be.
pub(crate) fn calls(
    rules: &mut [SpannedRule],
    functions: &[Function],
    diags: &mut Vec<Diagnostic>,
) {
    for (rule, span) in rules.iter_mut() {
        body(&mut rule.body, functions, *span, diags);
    }
}

/// Inlines every `fn` call in the literals of one rule or query body; a call
/// that cannot be is reported at `span`.
pub(crate) fn body(
    lits: &mut [Literal],
    functions: &[Function],
    span: Span,
    diags: &mut Vec<Diagnostic>,
) {
    let mut errors = Vec::new();
    for lit in lits {
        literal(lit, functions, &mut errors);
    }
    for msg in errors {
        diags.push(
            Diagnostic::error(codes::NOT_SUPPORTED, span, msg).with_help(
                "a function called in a rule or query body may only use operators, comparisons, builtins and calls of such functions",
            ),
        );
    }
}

fn literal(lit: &mut Literal, functions: &[Function], errors: &mut Vec<String>) {
    match lit {
        Literal::Pos(_) | Literal::Neg(_) => {}
        Literal::Compare { left, right, .. } => {
            expr(left, functions, errors);
            expr(right, functions, errors);
        }
        Literal::Bind { expr: e, .. } => expr(e, functions, errors),
        Literal::Aggregate { body, value, .. } => {
            for l in body {
                literal(l, functions, errors);
            }
            if let Some(v) = value {
                expr(v, functions, errors);
            }
        }
    }
}

/// Replaces the calls inside `e` by their inlined bodies.
fn expr(e: &mut Expr, functions: &[Function], errors: &mut Vec<String>) {
    match inlined(e, functions, 0) {
        Ok(Some(new)) => *e = new,
        Ok(None) => {}
        Err(msg) => errors.push(msg),
    }
}

/// `e` with its calls inlined; `None` when it has no call.
fn inlined(e: &Expr, functions: &[Function], depth: u32) -> Result<Option<Expr>, String> {
    Ok(Some(match e {
        Expr::Call { func, args } => {
            let f = functions
                .get(func.index())
                .ok_or_else(|| format!("unknown function #{}", func.0))?;
            if depth >= MAX_DEPTH {
                return Err(format!(
                    "function `{}` nests calls more than {MAX_DEPTH} deep",
                    f.name
                ));
            }
            let args = args
                .iter()
                .map(|a| Ok(inlined(a, functions, depth)?.unwrap_or_else(|| a.clone())))
                .collect::<Result<Vec<Expr>, String>>()?;
            let body = substitute(&f.body, &args).map_err(|what| {
                format!(
                    "function `{}` cannot be evaluated by the reasoner: its body uses {what}",
                    f.name
                )
            })?;
            inlined(&body, functions, depth + 1)?.unwrap_or(body)
        }
        Expr::Unary { op, expr } => match inlined(expr, functions, depth)? {
            Some(x) => Expr::Unary {
                op: *op,
                expr: Box::new(x),
            },
            None => return Ok(None),
        },
        Expr::Binary { op, left, right } => {
            let l = inlined(left, functions, depth)?;
            let r = inlined(right, functions, depth)?;
            if l.is_none() && r.is_none() {
                return Ok(None);
            }
            Expr::Binary {
                op: *op,
                left: Box::new(l.unwrap_or_else(|| (**left).clone())),
                right: Box::new(r.unwrap_or_else(|| (**right).clone())),
            }
        }
        Expr::Builtin { builtin, args } => {
            let new: Vec<Option<Expr>> = args
                .iter()
                .map(|a| inlined(a, functions, depth))
                .collect::<Result<_, _>>()?;
            if new.iter().all(Option::is_none) {
                return Ok(None);
            }
            Expr::Builtin {
                builtin: builtin.clone(),
                args: new
                    .into_iter()
                    .zip(args)
                    .map(|(n, a)| n.unwrap_or_else(|| a.clone()))
                    .collect(),
            }
        }
        _ => return Ok(None),
    }))
}

/// A function body with `args[i]` in place of parameter `i`; the construct
/// the reasoner cannot evaluate, if the body has one.
fn substitute(body: &Expr, args: &[Expr]) -> Result<Expr, &'static str> {
    Ok(match body {
        Expr::Const(v) => Expr::Const(v.clone()),
        Expr::Var(v) => args.get(v.0 as usize).cloned().ok_or("a local variable")?,
        Expr::Unary { op, expr } => Expr::Unary {
            op: *op,
            expr: Box::new(substitute(expr, args)?),
        },
        Expr::Binary { op, left, right } => Expr::Binary {
            op: *op,
            left: Box::new(substitute(left, args)?),
            right: Box::new(substitute(right, args)?),
        },
        Expr::Builtin { builtin, args: a } => Expr::Builtin {
            builtin: builtin.clone(),
            args: a
                .iter()
                .map(|x| substitute(x, args))
                .collect::<Result<_, _>>()?,
        },
        Expr::Call { func, args: a } => Expr::Call {
            func: *func,
            args: a
                .iter()
                .map(|x| substitute(x, args))
                .collect::<Result<_, _>>()?,
        },
        other => return Err(construct(other)),
    })
}

/// How a construct the reasoner cannot evaluate is named in messages.
fn construct(e: &Expr) -> &'static str {
    match e {
        Expr::Field { .. } => "a field of an individual",
        Expr::StructField { .. } => "a struct field",
        Expr::If { .. } => "`if`",
        Expr::Match { .. } => "`match`",
        Expr::Holds { .. } => "a fact test",
        Expr::Query { .. } => "a query call",
        Expr::Extent(_) => "the instances of a type",
        Expr::List(_) | Expr::Comprehension { .. } => "a list",
        Expr::Struct { .. } | Expr::Variant { .. } => "a struct or enum value",
        Expr::Let { .. } => "a block with `let`",
        _ => "an unsupported expression",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ox_ir::{BinaryOp, FnId, Param, Type, Value, VarId, Visibility};

    fn function(name: &str, params: usize, body: Expr) -> Function {
        Function {
            name: name.into(),
            path: format!("pkg::{name}"),
            visibility: Visibility::Public,
            params: (0..params)
                .map(|i| Param {
                    name: format!("p{i}"),
                    ty: Type::Int,
                })
                .collect(),
            result: Type::Int,
            body,
            local_count: params as u32,
            doc: None,
        }
    }

    fn bin(op: BinaryOp, left: Expr, right: Expr) -> Expr {
        Expr::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
        }
    }

    #[test]
    fn nested_calls_are_replaced_by_their_bodies() {
        // double(x) = x + x; quad(x) = double(double(x))
        let double = function(
            "double",
            1,
            bin(BinaryOp::Add, Expr::Var(VarId(0)), Expr::Var(VarId(0))),
        );
        let quad_body = Expr::Call {
            func: FnId(0),
            args: vec![Expr::Call {
                func: FnId(0),
                args: vec![Expr::Var(VarId(0))],
            }],
        };
        let functions = vec![double, function("quad", 1, quad_body)];
        let call = Expr::Call {
            func: FnId(1),
            args: vec![Expr::Const(Value::Int(3))],
        };
        let out = inlined(&call, &functions, 0).unwrap().unwrap();
        let three = Expr::Const(Value::Int(3));
        let six = bin(BinaryOp::Add, three.clone(), three);
        assert_eq!(out, bin(BinaryOp::Add, six.clone(), six));
    }

    #[test]
    fn a_body_the_reasoner_cannot_evaluate_is_named() {
        let body = Expr::If {
            cond: Box::new(Expr::Const(Value::Bool(true))),
            then: Box::new(Expr::Var(VarId(0))),
            otherwise: Box::new(Expr::Const(Value::Int(0))),
        };
        let functions = vec![function("pick", 1, body)];
        let call = Expr::Call {
            func: FnId(0),
            args: vec![Expr::Const(Value::Int(1))],
        };
        let err = inlined(&call, &functions, 0).unwrap_err();
        assert!(err.contains("`pick`") && err.contains("`if`"), "{err}");
    }
}
