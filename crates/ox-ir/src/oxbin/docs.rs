//! Moving doc comments out of a module (into the doc-blocks section) and back.

use super::error::{OxbinError, SYMBOL_RESOLUTION_FAILED};
use super::sections::{DocBlock, SymbolKind};
use crate::module::Module;

/// Removes every doc comment from `module`, returning them ordered by kind and index.
pub fn take_docs(module: &mut Module) -> Vec<DocBlock> {
    let mut blocks = Vec::new();
    for kind in DOCUMENTED_KINDS {
        for_each_doc(module, kind, |index, doc| {
            if let Some(text) = doc.take() {
                blocks.push(DocBlock {
                    kind,
                    index: index as u32,
                    text,
                });
            }
        });
    }
    blocks
}

/// Puts doc comments back; a block naming a missing item (or an item kind
/// without docs) is `OE1210`, two blocks for one item are `OE1200`.
pub fn apply_docs(module: &mut Module, blocks: Vec<DocBlock>) -> Result<(), OxbinError> {
    for block in blocks {
        let missing = || {
            OxbinError::new(
                SYMBOL_RESOLUTION_FAILED,
                format!(
                    "doc block for {:?} #{} names no documented item",
                    block.kind, block.index
                ),
            )
        };
        let slot = doc_slot(module, block.kind, block.index as usize).ok_or_else(missing)?;
        if slot.is_some() {
            return Err(OxbinError::malformed(format!(
                "two doc blocks for {:?} #{}",
                block.kind, block.index
            )));
        }
        *slot = Some(block.text);
    }
    Ok(())
}

/// Item kinds that carry a `doc` field.
const DOCUMENTED_KINDS: [SymbolKind; 8] = [
    SymbolKind::Concept,
    SymbolKind::Relation,
    SymbolKind::Struct,
    SymbolKind::Enum,
    SymbolKind::Predicate,
    SymbolKind::Query,
    SymbolKind::Mutation,
    SymbolKind::Function,
];

fn for_each_doc(
    module: &mut Module,
    kind: SymbolKind,
    mut f: impl FnMut(usize, &mut Option<String>),
) {
    let count = kind_len(module, kind);
    for index in 0..count {
        if let Some(slot) = doc_slot(module, kind, index) {
            f(index, slot);
        }
    }
}

fn kind_len(module: &Module, kind: SymbolKind) -> usize {
    match kind {
        SymbolKind::Concept => module.concepts.len(),
        SymbolKind::Relation => module.relations.len(),
        SymbolKind::Struct => module.structs.len(),
        SymbolKind::Enum => module.enums.len(),
        SymbolKind::Predicate => module.predicates.len(),
        SymbolKind::Check => module.checks.len(),
        SymbolKind::Query => module.queries.len(),
        SymbolKind::Mutation => module.mutations.len(),
        SymbolKind::Function => module.functions.len(),
        SymbolKind::Standpoint => module.standpoints.len(),
    }
}

/// The `doc` field of item `index` of `kind`, if it exists and has one.
fn doc_slot(module: &mut Module, kind: SymbolKind, index: usize) -> Option<&mut Option<String>> {
    match kind {
        SymbolKind::Concept => module.concepts.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Relation => module.relations.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Struct => module.structs.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Enum => module.enums.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Predicate => module.predicates.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Query => module.queries.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Mutation => module.mutations.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Function => module.functions.get_mut(index).map(|x| &mut x.doc),
        SymbolKind::Check | SymbolKind::Standpoint => None,
    }
}
