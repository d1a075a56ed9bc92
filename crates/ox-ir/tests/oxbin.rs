//! The `.oxbin` artifact: round trips, determinism, integrity, compatibility,
//! layer-1 and layer-2 validation, hashes and the inspect summary.

mod oxbin_support;

use ox_ir::oxbin::{
    self, decode, encode, encode_artifact, encode_sections, from_cbor, schema_hash, sections,
    summary, to_canonical_cbor, validate_module, write_container, Control, Declarations,
    OxbinError, Preamble, RawSection, SectionFlags, TierTable, Version, MAX_NESTING,
};
use ox_ir::*;
use oxbin_support::{sample_module, tiny_module};

/// A named change to a module.
type ModuleEdit = fn(&mut Module);

fn code(result: Result<impl std::fmt::Debug, OxbinError>) -> &'static str {
    match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => error.code,
    }
}

/// Rebuilds a container from the module's sections after `edit`, with valid hashes.
fn reassemble(
    module: &Module,
    preamble: Preamble,
    edit: impl FnOnce(&mut Vec<RawSection>),
) -> Vec<u8> {
    let mut sections = encode_sections(module).unwrap();
    edit(&mut sections);
    write_container(&preamble, &sections).unwrap()
}

fn replace_payload(sections: &mut [RawSection], type_id: u8, payload: Vec<u8>) {
    let section = sections.iter_mut().find(|s| s.type_id == type_id).unwrap();
    section.payload = payload;
}

/// A container whose declarations are `edit`ed after encoding (bypassing the
/// encoder's validation), with every hash and the symbol table consistent.
fn with_tampered_declarations(edit: impl FnOnce(&mut Module)) -> Vec<u8> {
    let module = sample_module();
    let mut tampered = module.clone();
    edit(&mut tampered);
    reassemble(&module, Preamble::CURRENT, |sections| {
        let mut stripped = tampered.clone();
        oxbin::docs::take_docs(&mut stripped);
        let symbols = sections::symbols(&stripped);
        let (declarations, lattice) = Declarations::from_module(stripped);
        replace_payload(
            sections,
            sections::DECLARATIONS,
            to_canonical_cbor(&declarations).unwrap(),
        );
        replace_payload(
            sections,
            sections::STANDPOINT_LATTICE,
            to_canonical_cbor(&lattice).unwrap(),
        );
        replace_payload(
            sections,
            sections::SYMBOL_TABLE,
            to_canonical_cbor(&symbols).unwrap(),
        );
    })
}

#[test]
fn round_trip_is_the_identity() {
    let module = sample_module();
    let bytes = encode(&module).unwrap();
    assert!(bytes.starts_with(b"OXBIN"));
    let artifact = decode(&bytes).unwrap();
    assert_eq!(artifact.module, module);
    assert_eq!(encode(&artifact.module).unwrap(), bytes);
    assert_eq!(artifact.preamble, Preamble::CURRENT);
    assert_eq!(artifact.schema_hash, schema_hash(&module));
    assert_eq!(artifact.module_hash.len(), 64);
    let names: Vec<&str> = artifact.sections.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "control",
            "symbol_table",
            "declarations",
            "standpoint_lattice",
            "tier_table",
            "doc_blocks"
        ]
    );
}

#[test]
fn encoding_an_artifact_gives_what_decoding_its_bytes_gives() {
    for module in [sample_module(), tiny_module()] {
        let (bytes, artifact) = encode_artifact(&module).unwrap();
        assert_eq!(bytes, encode(&module).unwrap());
        assert_eq!(artifact, decode(&bytes).unwrap());
    }
    // An invalid module is refused before anything is written.
    let mut invalid = sample_module();
    invalid.standpoints[1].parents.push(StandpointId(3));
    assert_eq!(code(encode_artifact(&invalid)), "OE1210");
}

#[test]
fn encoding_is_deterministic() {
    let module = sample_module();
    assert_eq!(encode(&module).unwrap(), encode(&module.clone()).unwrap());
    assert_eq!(encode(&module).unwrap(), encode(&sample_module()).unwrap());
}

#[test]
fn sections_are_canonical_cbor() {
    // Re-canonicalizing a decoded section gives the stored bytes back.
    for section in encode_sections(&sample_module()).unwrap() {
        let value: ciborium::Value = from_cbor(&section.payload).unwrap();
        assert_eq!(to_canonical_cbor(&value).unwrap(), section.payload);
    }
}

#[test]
fn no_absolute_paths_or_timestamps_in_the_file() {
    let bytes = encode(&sample_module()).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        !text.contains(env!("CARGO_MANIFEST_DIR")),
        "absolute path leaked"
    );
    assert!(text.contains("src/root.ar"), "the entry stays relative");
}

#[test]
fn a_module_without_docs_has_no_doc_section() {
    let mut module = tiny_module();
    module.concepts[0].doc = None;
    let artifact = decode(&encode(&module).unwrap()).unwrap();
    assert!(artifact.sections.iter().all(|s| s.name != "doc_blocks"));
    assert_eq!(artifact.module, module);
}

#[test]
fn every_byte_flip_of_a_small_artifact_is_refused() {
    let bytes = encode(&tiny_module()).unwrap();
    for position in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xFF] {
            let mut altered = bytes.clone();
            altered[position] ^= mask;
            assert!(
                decode(&altered).is_err(),
                "flipping byte {position} with {mask:#x} loaded"
            );
        }
    }
}

#[test]
fn sampled_byte_flips_of_a_realistic_artifact_are_refused() {
    let bytes = encode(&sample_module()).unwrap();
    // The whole header, then every 7th byte of the payloads, and the last byte.
    let header = 5 + 16 + 4 + 50 * 6 + 32;
    let positions = (0..header)
        .chain((header..bytes.len()).step_by(7))
        .chain([bytes.len() - 1]);
    for position in positions {
        let mut altered = bytes.clone();
        altered[position] ^= 0x20;
        let error = decode(&altered).expect_err("altered artifact loaded");
        assert!(error.code.starts_with("OE12"), "{error}");
    }
}

#[test]
fn every_truncation_is_refused() {
    let bytes = encode(&sample_module()).unwrap();
    for len in 0..bytes.len() {
        assert!(decode(&bytes[..len]).is_err(), "truncated to {len} loaded");
    }
    let mut extended = bytes.clone();
    extended.push(0);
    assert_eq!(code(decode(&extended)), "OE1200");
}

#[test]
fn garbage_and_huge_lengths_are_clean_errors() {
    assert_eq!(code(decode(b"")), "OE1200");
    assert_eq!(code(decode(b"hello world")), "OE1200");
    assert_eq!(code(decode(&[0xFF; 4096])), "OE1200");

    // One section claiming u64::MAX bytes, and a count claiming 2^32 - 1 sections.
    let mut header = b"OXBIN".to_vec();
    header.extend_from_slice(&Preamble::CURRENT.to_bytes());
    let mut huge = header.clone();
    huge.extend_from_slice(&1u32.to_be_bytes());
    huge.extend_from_slice(&[sections::CONTROL, 3]);
    huge.extend_from_slice(&(25u64 + 50 + 32).to_be_bytes());
    huge.extend_from_slice(&u64::MAX.to_be_bytes());
    huge.extend_from_slice(&[0; 64]);
    assert_eq!(code(decode(&huge)), "OE1200");
    let mut many = header;
    many.extend_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(code(decode(&many)), "OE1200");
}

#[test]
fn deep_cbor_nesting_in_a_section_is_an_error_not_a_crash() {
    let mut deep = vec![0x81u8; 200_000];
    deep.push(0xF6);
    let bytes = reassemble(&tiny_module(), Preamble::CURRENT, |sections| {
        replace_payload(sections, sections::DECLARATIONS, deep);
    });
    assert_eq!(code(decode(&bytes)), "OE1200");
}

fn nested_not(depth: usize) -> Expr {
    let mut expr = Expr::Const(Value::Bool(true));
    for _ in 0..depth {
        expr = Expr::Unary {
            op: UnaryOp::Not,
            expr: Box::new(expr),
        };
    }
    expr
}

fn module_with_fn_body(body: Expr) -> Module {
    let mut module = tiny_module();
    module.functions.push(Function {
        name: "f".into(),
        path: "t::f".into(),
        visibility: Visibility::Public,
        params: vec![],
        result: Type::Bool,
        body,
        local_count: 0,
        doc: None,
    });
    module
}

/// `kind(x for x in [1, 2])` with `zero` as its value over nothing.
fn fold_over_a_list(kind: AggKind, zero: Option<Value>) -> Expr {
    Expr::Aggregate {
        kind,
        var: VarId(0),
        source: Box::new(Expr::List(vec![
            Expr::Const(Value::Int(1)),
            Expr::Const(Value::Int(2)),
        ])),
        filter: None,
        element: Box::new(Expr::Var(VarId(0))),
        zero,
    }
}

#[test]
fn a_sum_zero_round_trips_and_anything_else_there_is_refused() {
    let with_local = |body| {
        let mut module = module_with_fn_body(body);
        module.functions[0].result = Type::Money;
        module.functions[0].local_count = 1;
        module
    };
    let money_zero = Value::Money(Money {
        amount: 0.into(),
        currency: None,
    });
    let module = with_local(fold_over_a_list(AggKind::Sum, Some(money_zero.clone())));
    let artifact = decode(&encode(&module).unwrap()).unwrap();
    assert_eq!(artifact.module, module);
    // A zero on another aggregate, or a zero that is not one, is refused.
    let on_count = with_local(fold_over_a_list(AggKind::Count, Some(money_zero)));
    assert_eq!(code(encode(&on_count)), "OE1213");
    let not_zero = with_local(fold_over_a_list(AggKind::Sum, Some(Value::Int(1))));
    assert_eq!(code(encode(&not_zero)), "OE1213");
    // Modules written before the field existed decode without it.
    let without = with_local(fold_over_a_list(AggKind::Sum, None));
    assert_eq!(decode(&encode(&without).unwrap()).unwrap().module, without);
}

#[test]
fn expressions_nested_near_the_limit_round_trip_and_deeper_ones_are_refused() {
    // Each expression level is two CBOR levels ({"Unary": {"expr": …}}).
    let deepest = (MAX_NESTING - 16) / 2;
    let module = module_with_fn_body(nested_not(deepest));
    let artifact = decode(&encode(&module).unwrap()).unwrap();
    assert_eq!(artifact.module, module);
    let too_deep = module_with_fn_body(nested_not(MAX_NESTING));
    assert_eq!(code(encode(&too_deep)), "OE1201");
}

#[test]
fn unknown_optional_sections_are_skipped() {
    let module = sample_module();
    let bytes = reassemble(&module, Preamble::CURRENT, |sections| {
        sections.push(RawSection {
            type_id: 0x40,
            flags: SectionFlags::CONTENT_HASHED.union(SectionFlags::LAZY),
            payload: b"projection cache of the future".to_vec(),
        });
        sections.push(RawSection {
            type_id: 0x41,
            flags: SectionFlags(0),
            payload: vec![1, 2, 3],
        });
    });
    let artifact = decode(&bytes).unwrap();
    assert_eq!(artifact.module, module);
    let unknown: Vec<u8> = artifact
        .sections
        .iter()
        .filter(|s| s.name == "unknown")
        .map(|s| s.type_id)
        .collect();
    assert_eq!(unknown, [0x40, 0x41]);
}

#[test]
fn unknown_mandatory_sections_are_refused() {
    let bytes = reassemble(&sample_module(), Preamble::CURRENT, |sections| {
        sections.push(RawSection {
            type_id: 0x40,
            flags: SectionFlags::MANDATORY.union(SectionFlags::CONTENT_HASHED),
            payload: vec![0xF6],
        });
    });
    assert_eq!(code(decode(&bytes)), "OE1203");
}

#[test]
fn a_missing_mandatory_section_is_refused() {
    let bytes = reassemble(&sample_module(), Preamble::CURRENT, |sections| {
        sections.retain(|s| s.type_id != sections::TIER_TABLE);
    });
    assert_eq!(code(decode(&bytes)), "OE1200");
}

#[test]
fn newer_minor_versions_are_accepted_and_other_majors_refused() {
    let module = sample_module();
    let bump = |axis: usize, version: fn(Version) -> Version| {
        let mut preamble = Preamble::CURRENT;
        let slot = match axis {
            0 => &mut preamble.oxbin_format_version,
            1 => &mut preamble.core_ir_version,
            2 => &mut preamble.tier_ladder_version,
            _ => &mut preamble.runtime_contract_version,
        };
        *slot = version(*slot);
        preamble
    };
    for axis in 0..4 {
        let newer_minor = bump(axis, |v| Version::new(v.major, v.minor + 1));
        let artifact = decode(&reassemble(&module, newer_minor, |_| {})).unwrap();
        assert_eq!(artifact.preamble, newer_minor);
        assert_eq!(artifact.module, module);

        let newer_major = bump(axis, |v| Version::new(v.major + 1, 0));
        let error = decode(&reassemble(&module, newer_major, |_| {})).unwrap_err();
        assert_eq!(error.code, "OE1202");
        assert!(
            error.message.contains(newer_major.axes()[axis].0),
            "{error}"
        );

        let older_major = bump(axis, |v| Version::new(v.major - 1, 9));
        assert_eq!(
            code(decode(&reassemble(&module, older_major, |_| {}))),
            "OE1202"
        );
    }
    assert_eq!(Version::from_packed(0x0002_0003), Version::new(2, 3));
    assert_eq!(Version::new(2, 3).packed(), 0x0002_0003);
}

fn tamper_control(edit: impl FnOnce(&mut Control)) -> Vec<u8> {
    reassemble(&sample_module(), Preamble::CURRENT, |sections| {
        let section = sections
            .iter_mut()
            .find(|s| s.type_id == sections::CONTROL)
            .unwrap();
        let mut control: Control = from_cbor(&section.payload).unwrap();
        edit(&mut control);
        section.payload = to_canonical_cbor(&control).unwrap();
    })
}

#[test]
fn tier_caps_are_enforced() {
    assert_eq!(
        code(decode(&tamper_control(
            |c| c.required_tier = oxbin::SUPPORTED_TIER + 1
        ))),
        "OE1204"
    );
    // The sample needs the computed tier (a binding in the check's rule).
    let artifact = decode(&encode(&sample_module()).unwrap()).unwrap();
    assert_eq!(summary(&artifact)["tiers"]["required"], 2);
}

#[test]
fn an_inconsistent_tier_table_is_refused() {
    assert_eq!(
        code(decode(&tamper_control(|c| c.required_tier = 1))),
        "OE1214"
    );
    let tamper_table = |edit: fn(&mut TierTable)| {
        reassemble(&sample_module(), Preamble::CURRENT, |sections| {
            let section = sections
                .iter_mut()
                .find(|s| s.type_id == sections::TIER_TABLE)
                .unwrap();
            let mut table: TierTable = from_cbor(&section.payload).unwrap();
            edit(&mut table);
            section.payload = to_canonical_cbor(&table).unwrap();
        })
    };
    assert_eq!(code(decode(&tamper_table(|t| t.rules[4] = 0))), "OE1214");
    assert_eq!(
        code(decode(&tamper_table(|t| {
            t.rules.pop();
        }))),
        "OE1214"
    );
    assert_eq!(code(decode(&tamper_table(|t| t.queries.push(0)))), "OE1214");
}

#[test]
fn a_tampered_schema_hash_is_refused() {
    assert_eq!(
        code(decode(&tamper_control(|c| c.schema_hash = "00".repeat(32)))),
        "OE1200"
    );
}

#[test]
fn out_of_range_ids_are_refused() {
    let cases: Vec<(&str, ModuleEdit)> = vec![
        ("supertype", |m| {
            m.concepts[1].supertypes.push(ConceptId(99))
        }),
        ("field type", |m| {
            m.concepts[0].fields[0].ty = Type::Struct(StructId(7))
        }),
        ("nested type", |m| {
            m.structs[0].fields[0].ty = Type::Map(
                Box::new(Type::String),
                Box::new(Type::Option(Box::new(Type::Enum(EnumId(3))))),
            )
        }),
        ("concept key", |m| m.concepts[0].key = Some(5)),
        ("field pred", |m| m.concepts[0].fields[0].pred = PredId(400)),
        ("pred kind", |m| {
            m.predicates[2].kind = PredKind::Field(ConceptId(0), 9)
        }),
        ("rule head", |m| m.rules[0].head.pred = PredId(1000)),
        ("rule var", |m| {
            m.rules[4].body[0] = Literal::Pos(Atom {
                pred: PredId(0),
                args: vec![Term::Var(VarId(1))],
            })
        }),
        ("rule origin", |m| {
            m.rules[2].origin = RuleOrigin::Refinement(ConceptId(9))
        }),
        ("query extent", |m| {
            m.queries[0].body = QueryBody::Extent(PredId(77))
        }),
        ("fn var", |m| m.functions[0].local_count = 1),
        ("fn call", |m| {
            m.functions[1].body = Expr::Call {
                func: FnId(5),
                args: vec![],
            }
        }),
        ("field ref", |m| {
            m.functions[0].body = Expr::Field {
                base: Box::new(Expr::Var(VarId(0))),
                field: expr::FieldRef {
                    concept: ConceptId(1),
                    field: 3,
                },
            }
        }),
        ("enum variant", |m| {
            m.functions[1].body = Expr::Const(Value::Enum(EnumId(0), 2, vec![]))
        }),
        ("insert field", |m| {
            if let Stmt::InsertIndividual { fields, .. } = &mut m.mutations[0].body[3] {
                fields.push((4, Expr::Const(Value::Null)));
            }
        }),
        ("mutation call", |m| {
            m.mutations[0].body.push(Stmt::CallMutation {
                mutation: MutationId(2),
                args: vec![],
                bind: None,
            })
        }),
        ("standpoint parent", |m| {
            m.standpoints[1].parents.push(StandpointId(3))
        }),
        ("rule standpoint", |m| {
            m.rules[0].standpoint = Some(StandpointId(9))
        }),
        ("check standpoint", |m| {
            m.checks[0].standpoint = Some(StandpointId(9))
        }),
        ("query across", |m| {
            m.queries[0].across.push(StandpointId(9))
        }),
        ("relation supertype", |m| {
            m.relations[0].supertypes.push(RelationId(9))
        }),
        ("cover subtype", |m| m.concepts[0].cover.push(ConceptId(40))),
        ("relation specialisation rule", |m| {
            m.rules[0].origin = RuleOrigin::RelationSpecialisation {
                sub: RelationId(0),
                sup: RelationId(9),
            }
        }),
        ("duplicate path", |m| {
            m.queries[1].path = "leasing::adults".into()
        }),
    ];
    for (what, edit) in cases {
        let mut module = sample_module();
        edit(&mut module);
        assert_eq!(code(validate_module(&module)), "OE1210", "{what}");
        assert_eq!(code(encode(&module)), "OE1210", "{what}");
        assert_eq!(
            code(decode(&with_tampered_declarations(edit))),
            "OE1210",
            "{what}"
        );
    }
}

#[test]
fn a_symbol_table_that_disagrees_with_the_declarations_is_refused() {
    let bytes = reassemble(&sample_module(), Preamble::CURRENT, |sections| {
        let section = sections
            .iter_mut()
            .find(|s| s.type_id == sections::SYMBOL_TABLE)
            .unwrap();
        let mut symbols: Vec<oxbin::Symbol> = from_cbor(&section.payload).unwrap();
        symbols[0].path = "leasing::Someone".into();
        section.payload = to_canonical_cbor(&symbols).unwrap();
    });
    assert_eq!(code(decode(&bytes)), "OE1210");
}

#[test]
fn doc_blocks_for_missing_items_are_refused() {
    let bytes = reassemble(&sample_module(), Preamble::CURRENT, |sections| {
        let blocks = vec![oxbin::DocBlock {
            kind: oxbin::SymbolKind::Query,
            index: 9,
            member: None,
            text: "nobody".into(),
        }];
        replace_payload(
            sections,
            sections::DOC_BLOCKS,
            to_canonical_cbor(&blocks).unwrap(),
        );
    });
    assert_eq!(code(decode(&bytes)), "OE1210");
}

#[test]
fn standpoint_lattice_cycles_are_refused() {
    let cycle = |m: &mut Module| m.standpoints[0].parents.push(StandpointId(2));
    let mut module = sample_module();
    cycle(&mut module);
    let error = validate_module(&module).unwrap_err();
    assert_eq!(error.code, "OE1211");
    assert!(error.message.contains("leasing::legal"), "{error}");
    assert_eq!(code(decode(&with_tampered_declarations(cycle))), "OE1211");
    let self_loop = |m: &mut Module| m.standpoints[1].parents = vec![StandpointId(1)];
    assert_eq!(
        code(decode(&with_tampered_declarations(self_loop))),
        "OE1211"
    );
}

#[test]
fn signature_mismatches_are_refused() {
    let cases: Vec<(&str, ModuleEdit)> = vec![
        ("atom arity", |m| {
            m.rules[3].body[0] = Literal::Pos(Atom {
                pred: PredId(9),
                args: vec![Term::Var(VarId(0))],
            })
        }),
        ("head arity", |m| {
            m.rules[4].head.args.push(Term::Var(VarId(0)))
        }),
        ("holds", |m| {
            m.mutations[0].body[0] = Stmt::Require {
                cond: Expr::Holds {
                    pred: PredId(9),
                    args: vec![Expr::Var(VarId(0))],
                },
                text: "LeaseOf(tenant)".into(),
            }
        }),
        ("call", |m| {
            m.functions[1].body = Expr::Call {
                func: FnId(0),
                args: vec![],
            }
        }),
        ("query args", |m| {
            m.mutations[0].body[1] = Stmt::Let {
                var: VarId(4),
                value: Expr::Query {
                    query: QueryId(1),
                    args: vec![Some(Expr::Var(VarId(0)))],
                },
            }
        }),
        ("required query arg left free", |m| {
            m.mutations[0].body[1] = Stmt::Let {
                var: VarId(4),
                value: Expr::Query {
                    query: QueryId(1),
                    args: vec![None, None],
                },
            }
        }),
        ("call mutation", |m| {
            m.mutations[0].body[7] = Stmt::CallMutation {
                mutation: MutationId(1),
                args: vec![],
                bind: None,
            }
        }),
        ("insert tuple", |m| {
            m.mutations[0].body[4] = Stmt::InsertTuple {
                relation: RelationId(0),
                args: vec![Expr::Var(VarId(3))],
            }
        }),
        ("struct literal", |m| {
            m.functions[1].body = Expr::Struct {
                id: StructId(0),
                fields: vec![],
            }
        }),
        ("builtin", |m| {
            m.functions[1].body = Expr::Builtin {
                builtin: Builtin::Today,
                args: vec![Expr::Var(VarId(0))],
            }
        }),
        ("relation predicate", |m| {
            m.predicates[9].params.pop().map(drop).unwrap_or(())
        }),
        ("cardinalities", |m| {
            m.relations[0].cardinalities.pop().map(drop).unwrap_or(())
        }),
        ("tuple fields without their relation", |m| {
            m.relations[0].fields = m.relations[0].params.clone()
        }),
        ("a field relation of the wrong arity", |m| {
            m.relations[0].fields = m.relations[0].params.clone();
            m.relations[0].field_values = Some(RelationId(0));
        }),
        ("var names", |m| m.rules[0].var_names.push("y".into())),
        ("params beyond locals", |m| m.mutations[1].local_count = 0),
    ];
    for (what, edit) in cases {
        let mut module = sample_module();
        edit(&mut module);
        assert_eq!(code(validate_module(&module)), "OE1213", "{what}");
        assert_eq!(
            code(decode(&with_tampered_declarations(edit))),
            "OE1213",
            "{what}"
        );
    }
}

#[test]
fn doc_changes_keep_the_schema_hash_and_change_the_module_hash() {
    let module = sample_module();
    let original = decode(&encode(&module).unwrap()).unwrap();

    let mut documented = module.clone();
    documented.concepts[0].doc = Some("Reworded.".into());
    documented.queries[1].doc = Some("New doc.".into());
    documented.concepts[0].fields[0].doc = Some("A field doc.".into());
    documented.enums[0].variants[0].doc = Some("A variant doc.".into());
    documented.structs[0].field_docs = vec![Some("A struct field doc.".into()), None];
    let changed = decode(&encode(&documented).unwrap()).unwrap();
    assert_eq!(changed.schema_hash, original.schema_hash);
    assert_ne!(changed.module_hash, original.module_hash);
    assert_eq!(changed.module, documented);

    let mut moved = module.clone();
    moved.package.entry = "src/main.ar".into();
    let moved = decode(&encode(&moved).unwrap()).unwrap();
    assert_eq!(moved.schema_hash, original.schema_hash);
    assert_ne!(moved.module_hash, original.module_hash);
}

#[test]
fn schema_changes_change_both_hashes() {
    let module = sample_module();
    let original = decode(&encode(&module).unwrap()).unwrap();
    let edits: Vec<fn(&mut Module)> = vec![
        |m| m.concepts[2].fields[1].name = "monthly_rent".into(),
        |m| {
            m.rules[2].body[2] = Literal::Compare {
                op: CmpOp::Gt,
                left: Expr::Var(VarId(1)),
                right: Expr::Const(Value::Nat(21)),
            }
        },
        |m| m.standpoints[2].parents.pop().map(drop).unwrap_or(()),
        |m| m.checks[0].severity = Severity::Warning,
    ];
    for edit in edits {
        let mut changed = module.clone();
        edit(&mut changed);
        assert_ne!(schema_hash(&changed), original.schema_hash);
        let artifact = decode(&encode(&changed).unwrap()).unwrap();
        assert_ne!(artifact.schema_hash, original.schema_hash);
        assert_ne!(artifact.module_hash, original.module_hash);
    }
}

#[test]
fn summary_lists_preamble_directory_hashes_and_declarations() {
    let artifact = decode(&encode(&sample_module()).unwrap()).unwrap();
    let json = summary(&artifact);
    assert_eq!(json["moduleHash"], artifact.module_hash.as_str());
    assert_eq!(json["schemaHash"], artifact.schema_hash.as_str());
    assert_eq!(json["preamble"]["oxbin_format_version"], "1.0");
    assert_eq!(json["preamble"]["runtime_contract_version"], "1.0");
    let directory = json["directory"].as_array().unwrap();
    assert_eq!(directory.len(), 6);
    assert_eq!(directory[0]["name"], "control");
    assert_eq!(
        directory[0]["flags"],
        serde_json::json!(["mandatory", "content_hashed"])
    );
    assert_eq!(
        directory[5]["flags"],
        serde_json::json!(["content_hashed", "lazy"])
    );
    assert_eq!(directory[2]["hash"].as_str().unwrap().len(), 64);
    assert_eq!(json["declarations"]["concepts"]["count"], 4);
    assert_eq!(
        json["declarations"]["concepts"]["names"][0],
        "leasing::Party"
    );
    assert_eq!(json["declarations"]["rules"]["count"], 7);
    assert_eq!(
        json["declarations"]["mutations"]["names"][1],
        "leasing::end_lease"
    );
}
