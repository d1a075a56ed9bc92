//! What `ox inspect --json` prints about an artifact.

use serde_json::{json, Map, Value};

use super::tiers::{tier_table, SUPPORTED_TIER};
use super::Artifact;

/// The preamble, the directory, both hashes, the tier cap and the
/// declarations (count and paths per kind) of an artifact.
pub fn summary(artifact: &Artifact) -> Value {
    let module = &artifact.module;
    let preamble: Map<String, Value> = artifact
        .preamble
        .axes()
        .into_iter()
        .map(|(axis, version)| (axis.to_owned(), json!(version.to_string())))
        .collect();
    let directory: Vec<Value> = artifact
        .sections
        .iter()
        .map(|section| {
            json!({
                "type": section.type_id,
                "name": section.name,
                "flags": section.flags.names(),
                "offset": section.offset,
                "length": section.length,
                "hash": section.hash,
            })
        })
        .collect();
    let named = |paths: Vec<&str>| json!({ "count": paths.len(), "names": paths });
    let declarations = json!({
        "concepts": named(module.concepts.iter().map(|x| x.path.as_str()).collect()),
        "relations": named(module.relations.iter().map(|x| x.path.as_str()).collect()),
        "structs": named(module.structs.iter().map(|x| x.path.as_str()).collect()),
        "enums": named(module.enums.iter().map(|x| x.path.as_str()).collect()),
        "predicates": named(module.predicates.iter().map(|x| x.path.as_str()).collect()),
        "rules": { "count": module.rules.len() },
        "checks": named(module.checks.iter().map(|x| x.path.as_str()).collect()),
        "queries": named(module.queries.iter().map(|x| x.path.as_str()).collect()),
        "mutations": named(module.mutations.iter().map(|x| x.path.as_str()).collect()),
        "functions": named(module.functions.iter().map(|x| x.path.as_str()).collect()),
        "standpoints": named(module.standpoints.iter().map(|x| x.path.as_str()).collect()),
    });
    json!({
        "format": "oxbin",
        "package": {
            "name": module.package.name,
            "version": module.package.version,
            "entry": module.package.entry,
        },
        "preamble": preamble,
        "moduleHash": artifact.module_hash,
        "schemaHash": artifact.schema_hash,
        "tiers": {
            "required": tier_table(module).max_tier,
            "supported": SUPPORTED_TIER,
        },
        "directory": directory,
        "declarations": declarations,
    })
}
