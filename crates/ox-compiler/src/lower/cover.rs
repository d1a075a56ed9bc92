//! Concept covers `kind Animal { Dog, Cat }`: a complete cover by named
//! subtypes. Each name must be a declared subtype (direct or indirect) of
//! the covered concept; the runtime refuses a write after which an instance
//! of the concept is in none of them.

use ox_ir::ConceptId;
use ox_syntax::ast::{self, ConceptBody, ItemKind};
use ox_syntax::Diagnostic;

use super::collect::Collected;
use super::env::Env;
use crate::codes;
use crate::scope::Symbol;

/// Resolves the covers of all concepts (after every supertype is known).
pub(crate) fn resolve(env: &mut Env<'_>, c: &Collected<'_>, diags: &mut Vec<Diagnostic>) {
    for (i, d) in c.concepts.iter().enumerate() {
        let ItemKind::Concept(decl) = &d.item.kind else {
            continue;
        };
        let ConceptBody::Cover(names) = &decl.body else {
            continue;
        };
        let id = ConceptId(i as u32);
        let mut cover = Vec::new();
        for name in names {
            let path = ast::Path {
                segments: vec![name.clone()],
                span: name.span,
            };
            let sub = match env.scope.resolve(d.module, &path) {
                Ok(Symbol::Concept(sub)) => sub,
                Ok(sym) => {
                    diags.push(Diagnostic::error(
                        codes::WRONG_KIND,
                        name.span,
                        format!(
                            "a cover names subtypes of `{}`; `{}` is {}",
                            decl.name.name,
                            name.name,
                            sym.describe()
                        ),
                    ));
                    continue;
                }
                Err(diag) => {
                    diags.push(diag);
                    continue;
                }
            };
            if sub == id || !env.is_sub(sub, id) {
                diags.push(
                    Diagnostic::error(
                        codes::TYPE_MISMATCH,
                        name.span,
                        format!(
                            "`{}` is not a subtype of `{}`: a cover lists declared subtypes",
                            name.name, decl.name.name
                        ),
                    )
                    .with_help(format!(
                        "declare it as one: `type {} <: {};`",
                        name.name, decl.name.name
                    )),
                );
                continue;
            }
            if cover.contains(&sub) {
                diags.push(Diagnostic::error(
                    codes::DUPLICATE,
                    name.span,
                    format!("`{}` is listed twice in the cover", name.name),
                ));
                continue;
            }
            cover.push(sub);
        }
        env.concepts[i].cover = cover;
    }
}
