//! A tiny, engine-neutral Datalog: positive rules over integer constants.
//!
//! Every workload states its rules once in this form; the renderers turn
//! them into an ox [`Module`], a Nemo program and a clingo program, so the
//! engines that read rules as text all evaluate the very same rules.

use std::fmt::Write as _;

use ox_ir::{
    Atom as IrAtom, Literal, Module, PackageInfo, PredId, PredKind, Predicate, Rule as IrRule,
    RuleOrigin, Term as IrTerm, Value, VarId, Visibility,
};

/// An argument of an atom: a named variable or an integer constant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A variable, named by a lowercase identifier.
    Var(&'static str),
    /// An integer constant (an entity, class or property id).
    Const(i64),
}

/// `pred(args…)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Atom {
    pub pred: &'static str,
    pub args: Vec<Term>,
}

/// `head :- body₁, …, bodyₙ.` (positive body, range-restricted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub head: Atom,
    pub body: Vec<Atom>,
}

/// A predicate and its arity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pred {
    pub name: &'static str,
    pub arity: usize,
}

/// A program: base (input) predicates, derived predicates and rules. The
/// derived predicates are the output: the benchmark's tuple count is the sum
/// of their sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub base: Vec<Pred>,
    pub derived: Vec<Pred>,
    pub rules: Vec<Rule>,
}

/// Shorthand for a variable term.
pub fn v(name: &'static str) -> Term {
    Term::Var(name)
}

/// Shorthand for a constant term.
pub fn c(value: i64) -> Term {
    Term::Const(value)
}

/// Shorthand for an atom.
pub fn atom(pred: &'static str, args: Vec<Term>) -> Atom {
    Atom { pred, args }
}

/// Shorthand for a rule.
pub fn rule(head: Atom, body: Vec<Atom>) -> Rule {
    Rule { head, body }
}

impl Program {
    /// All predicates: base first, then derived, in declaration order. The
    /// position of a predicate here is its [`PredId`] in [`Program::to_module`].
    pub fn predicates(&self) -> impl Iterator<Item = &Pred> {
        self.base.iter().chain(self.derived.iter())
    }

    /// The [`PredId`] of `name` in [`Program::to_module`].
    pub fn pred_id(&self, name: &str) -> Option<PredId> {
        self.predicates()
            .position(|p| p.name == name)
            .and_then(|i| u32::try_from(i).ok())
            .map(PredId)
    }

    /// The rules as an ox module: every predicate becomes a `derive`d
    /// predicate of package `bench`, every rule a `derive` clause.
    pub fn to_module(&self) -> Module {
        let predicates = self
            .predicates()
            .map(|p| Predicate {
                name: p.name.into(),
                path: format!("bench::{}", p.name),
                kind: PredKind::Derived,
                params: vec![],
                visibility: Visibility::Public,
                doc: None,
            })
            .collect();
        let rules = self
            .rules
            .iter()
            .enumerate()
            .map(|(clause, rule)| self.to_ir_rule(rule, clause as u32))
            .collect();
        Module {
            package: PackageInfo {
                name: "bench".into(),
                version: "0.0.0".into(),
                entry: "src/root.ar".into(),
            },
            concepts: vec![],
            relations: vec![],
            structs: vec![],
            enums: vec![],
            predicates,
            rules,
            checks: vec![],
            queries: vec![],
            mutations: vec![],
            functions: vec![],
            standpoints: vec![],
        }
    }

    fn to_ir_rule(&self, rule: &Rule, clause: u32) -> IrRule {
        let mut names: Vec<&'static str> = Vec::new();
        let mut term = |t: &Term| match t {
            Term::Const(k) => IrTerm::Const(Value::Int(*k)),
            Term::Var(name) => {
                let index = names.iter().position(|n| n == name).unwrap_or_else(|| {
                    names.push(name);
                    names.len() - 1
                });
                IrTerm::Var(VarId(index as u32))
            }
        };
        let pred_id = |name: &str| {
            // Rules only name declared predicates (checked by the tests of
            // every workload); an unknown name maps past the end and is
            // refused by `Program::new` as malformed.
            self.pred_id(name)
                .unwrap_or(PredId(self.predicates().count() as u32))
        };
        // Head first, so variables are numbered as they appear in the text.
        let head = IrAtom {
            pred: pred_id(rule.head.pred),
            args: rule.head.args.iter().map(&mut term).collect(),
        };
        let body: Vec<Literal> = rule
            .body
            .iter()
            .map(|a| {
                Literal::Pos(IrAtom {
                    pred: pred_id(a.pred),
                    args: a.args.iter().map(&mut term).collect(),
                })
            })
            .collect();
        IrRule {
            head,
            body,
            var_count: names.len() as u32,
            var_names: names.iter().map(|n| n.to_string()).collect(),
            origin: RuleOrigin::Derive {
                name: rule.head.pred.into(),
                clause,
            },
            defeasibility: ox_ir::Defeasibility::default(),
            standpoint: None,
        }
    }

    /// The program in Nemo's rule language, importing every base predicate
    /// from `<name>.tsv` (relative to the working directory) and counting
    /// every derived predicate into `count_<name>`.
    pub fn to_nemo(&self) -> String {
        let mut out = String::new();
        for p in &self.base {
            let format = vec!["int"; p.arity].join(",");
            let _ = writeln!(
                out,
                "@import {name} :- tsv{{resource=\"{name}.tsv\", format=({format})}} .",
                name = p.name
            );
        }
        for r in &self.rules {
            let atom = |a: &Atom| {
                let args: Vec<String> = a
                    .args
                    .iter()
                    .map(|t| match t {
                        Term::Var(n) => format!("?{n}"),
                        Term::Const(k) => k.to_string(),
                    })
                    .collect();
                format!("{}({})", a.pred, args.join(", "))
            };
            let body: Vec<String> = r.body.iter().map(atom).collect();
            let _ = writeln!(out, "{} :- {} .", atom(&r.head), body.join(", "));
        }
        for p in &self.derived {
            let vars = arg_names(p.arity, "?");
            let _ = writeln!(
                out,
                "count_{name}(#count({vars})) :- {name}({vars}) .",
                name = p.name
            );
        }
        for p in &self.derived {
            let _ = writeln!(out, "@output count_{} .", p.name);
        }
        out
    }

    /// The program in clingo's language (facts come from a separate file of
    /// `pred(a,b).` lines), showing only `count_<name>(N)` per derived
    /// predicate.
    pub fn to_clingo(&self) -> String {
        let mut out = String::new();
        for r in &self.rules {
            let atom = |a: &Atom| {
                let args: Vec<String> = a
                    .args
                    .iter()
                    .map(|t| match t {
                        Term::Var(n) => n.to_uppercase(),
                        Term::Const(k) => k.to_string(),
                    })
                    .collect();
                format!("{}({})", a.pred, args.join(","))
            };
            let body: Vec<String> = r.body.iter().map(atom).collect();
            let _ = writeln!(out, "{} :- {}.", atom(&r.head), body.join(", "));
        }
        for p in &self.derived {
            let vars = arg_names(p.arity, "");
            let _ = writeln!(
                out,
                "count_{name}(N) :- N = #count {{ {vars} : {name}({vars}) }}.",
                name = p.name
            );
        }
        for p in &self.derived {
            let _ = writeln!(out, "#show count_{}/1.", p.name);
        }
        out
    }
}

/// `X0,X1,…` (clingo) or `?X0,?X1,…` (Nemo).
fn arg_names(arity: usize, sigil: &str) -> String {
    (0..arity)
        .map(|i| format!("{sigil}X{i}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc() -> Program {
        Program {
            base: vec![Pred {
                name: "edge",
                arity: 2,
            }],
            derived: vec![Pred {
                name: "path",
                arity: 2,
            }],
            rules: vec![
                rule(
                    atom("path", vec![v("x"), v("y")]),
                    vec![atom("edge", vec![v("x"), v("y")])],
                ),
                rule(
                    atom("path", vec![v("x"), v("z")]),
                    vec![
                        atom("path", vec![v("x"), v("y")]),
                        atom("edge", vec![v("y"), v("z")]),
                        atom("edge", vec![v("z"), c(7)]),
                    ],
                ),
            ],
        }
    }

    #[test]
    fn nemo_text_imports_base_and_counts_derived() {
        let text = tc().to_nemo();
        assert_eq!(
            text,
            "@import edge :- tsv{resource=\"edge.tsv\", format=(int,int)} .\n\
             path(?x, ?y) :- edge(?x, ?y) .\n\
             path(?x, ?z) :- path(?x, ?y), edge(?y, ?z), edge(?z, 7) .\n\
             count_path(#count(?X0,?X1)) :- path(?X0,?X1) .\n\
             @output count_path .\n"
        );
    }

    #[test]
    fn clingo_text_shows_only_counts() {
        let text = tc().to_clingo();
        assert_eq!(
            text,
            "path(X,Y) :- edge(X,Y).\n\
             path(X,Z) :- path(X,Y), edge(Y,Z), edge(Z,7).\n\
             count_path(N) :- N = #count { X0,X1 : path(X0,X1) }.\n\
             #show count_path/1.\n"
        );
    }

    #[test]
    fn module_numbers_predicates_and_variables_in_order() {
        let program = tc();
        let module = program.to_module();
        assert_eq!(module.predicates.len(), 2);
        assert_eq!(program.pred_id("path"), Some(PredId(1)));
        let second = &module.rules[1];
        assert_eq!(second.var_count, 3);
        assert_eq!(second.var_names, vec!["x", "z", "y"]);
        assert_eq!(second.head.pred, PredId(1));
        assert_eq!(
            second.body[2],
            Literal::Pos(IrAtom {
                pred: PredId(0),
                args: vec![IrTerm::Var(VarId(1)), IrTerm::Const(Value::Int(7))],
            })
        );
        assert!(ox_reasoner::Program::new(&module).is_ok());
    }
}
