//! Property: for random modules (arbitrary names, docs, values including
//! decimals, dates, money and durations, nested types), encode → decode gives
//! the module back and encode → decode → encode gives the same bytes.

use chrono::{DateTime, NaiveDate};
use ox_ir::oxbin::{decode, encode, schema_hash};
use ox_ir::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

const CONCEPTS: u32 = 2;

fn name() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn doc() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("\\PC{0,40}")
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (any::<i64>(), 0u32..=28).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale))
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::Nat),
        any::<i64>().prop_map(Value::Int),
        decimal().prop_map(Value::Decimal),
        (decimal(), proptest::option::of("[A-Z]{3}"))
            .prop_map(|(amount, currency)| Value::Money(Money { amount, currency })),
        name().prop_map(Value::String),
        (-700_000i32..700_000).prop_map(|days| Value::Date(
            NaiveDate::from_num_days_from_ce_opt(days.abs() + 1).unwrap_or_default()
        )),
        (-10_000_000_000i64..10_000_000_000, 0u32..1_000_000_000).prop_map(|(secs, nanos)| {
            Value::DateTime(DateTime::from_timestamp(secs, nanos).unwrap_or_default())
        }),
        (any::<i64>(), any::<i64>(), any::<i64>()).prop_map(|(months, days, seconds)| {
            Value::Duration(Duration {
                months,
                days,
                seconds,
            })
        }),
        name().prop_map(Value::Ref),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            proptest::collection::vec((inner.clone(), inner.clone()), 0..3).prop_map(Value::Map),
            proptest::collection::vec(inner.clone(), 0..3)
                .prop_map(|fields| Value::Struct(StructId(0), fields)),
            (0u32..2, proptest::collection::vec(inner, 0..2))
                .prop_map(|(variant, payload)| Value::Enum(EnumId(0), variant, payload)),
        ]
    })
}

fn ty() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::Nat),
        Just(Type::Int),
        Just(Type::Real),
        Just(Type::Decimal),
        Just(Type::String),
        Just(Type::Bool),
        Just(Type::Date),
        Just(Type::DateTime),
        Just(Type::Duration),
        Just(Type::Money),
        Just(Type::Unit),
        (0..CONCEPTS).prop_map(|i| Type::Concept(ConceptId(i))),
        Just(Type::Struct(StructId(0))),
        Just(Type::Enum(EnumId(0))),
        Just(Type::Tuple(PredId(0))),
    ];
    leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|t| Type::Option(Box::new(t))),
            (
                inner.clone(),
                any::<u64>(),
                proptest::option::of(any::<u64>())
            )
                .prop_map(|(t, min, max)| Type::List(Box::new(t), Cardinality { min, max })),
            inner.clone().prop_map(|t| Type::Set(Box::new(t))),
            (inner.clone(), inner.clone()).prop_map(|(k, v)| Type::Map(Box::new(k), Box::new(v))),
            proptest::collection::vec((name(), inner), 0..3).prop_map(Type::Record),
        ]
    })
}

fn param() -> impl Strategy<Value = Param> {
    (name(), ty()).prop_map(|(name, ty)| Param { name, ty })
}

/// A module with two concepts (with random fields), a struct, an enum with
/// two variants, random functions returning constants, and a random DAG of standpoints.
fn module() -> impl Strategy<Value = Module> {
    (
        (name(), name(), name()),
        proptest::collection::vec(
            (
                name(),
                doc(),
                proptest::collection::vec((name(), ty()), 0..3),
            ),
            2,
        ),
        (name(), doc(), proptest::collection::vec(param(), 0..3)),
        (name(), doc(), proptest::collection::vec(param(), 0..2)),
        proptest::collection::vec(
            (
                name(),
                doc(),
                proptest::collection::vec(param(), 0..3),
                ty(),
                value(),
            ),
            0..4,
        ),
        proptest::collection::vec(
            proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
            0..4,
        ),
    )
        .prop_map(
            |(package, concepts, structure, enumeration, functions, lattice)| {
                build(
                    package,
                    concepts,
                    structure,
                    enumeration,
                    functions,
                    lattice,
                )
            },
        )
}

type ConceptSpec = (String, Option<String>, Vec<(String, Type)>);
type FnSpec = (String, Option<String>, Vec<Param>, Type, Value);

fn build(
    (package, version, entry): (String, String, String),
    concept_specs: Vec<ConceptSpec>,
    (struct_name, struct_doc, struct_fields): (String, Option<String>, Vec<Param>),
    (enum_name, enum_doc, payload): (String, Option<String>, Vec<Param>),
    function_specs: Vec<FnSpec>,
    lattice: Vec<Vec<prop::sample::Index>>,
) -> Module {
    let mut predicates = Vec::new();
    let mut concepts = Vec::new();
    // Membership predicates first: PredId(i) is concept i's.
    for (index, (concept_name, _, _)) in concept_specs.iter().enumerate() {
        predicates.push(Predicate {
            name: concept_name.clone(),
            path: format!("c{index}"),
            kind: PredKind::Concept(ConceptId(index as u32)),
            params: vec![Param {
                name: "x".into(),
                ty: Type::Concept(ConceptId(index as u32)),
            }],
            visibility: Visibility::Public,
            doc: None,
        });
    }
    for (index, (concept_name, concept_doc, fields)) in concept_specs.into_iter().enumerate() {
        let id = ConceptId(index as u32);
        let fields = fields
            .into_iter()
            .enumerate()
            .map(|(field_index, (field_name, ty))| {
                let pred = PredId(predicates.len() as u32);
                predicates.push(Predicate {
                    name: format!("{concept_name}.{field_name}"),
                    path: format!("c{index}.f{field_index}"),
                    kind: PredKind::Field(id, field_index as u32),
                    params: vec![
                        Param {
                            name: "x".into(),
                            ty: Type::Concept(id),
                        },
                        Param {
                            name: "v".into(),
                            ty: ty.clone(),
                        },
                    ],
                    visibility: Visibility::Private,
                    doc: concept_doc.clone(),
                });
                Field {
                    name: field_name,
                    ty,
                    mutable: field_index % 2 == 0,
                    pred,
                    doc: None,
                }
            })
            .collect();
        concepts.push(Concept {
            name: concept_name,
            path: format!("c{index}"),
            metatype: "kind".into(),
            visibility: Visibility::Public,
            supertypes: if index > 0 {
                vec![ConceptId(0)]
            } else {
                vec![]
            },
            fields,
            key: None,
            refinement: Refinement::None,
            pred: PredId(index as u32),
            doc: concept_doc,
            cover: Vec::new(),
        });
    }
    let functions = function_specs
        .into_iter()
        .enumerate()
        .map(
            |(index, (fn_name, fn_doc, params, result, body))| Function {
                name: fn_name,
                path: format!("f{index}"),
                visibility: Visibility::Public,
                local_count: params.len() as u32,
                params,
                result,
                body: Expr::List(vec![
                    Expr::Const(body),
                    Expr::Const(Value::Nat(index as u64)),
                ]),
                doc: fn_doc,
            },
        )
        .collect();
    let standpoints = lattice
        .into_iter()
        .enumerate()
        .map(|(index, parents)| Standpoint {
            name: format!("s{index}"),
            path: format!("s{index}"),
            // Parents only among earlier standpoints: a DAG.
            parents: if index == 0 {
                vec![]
            } else {
                parents
                    .iter()
                    .map(|p| StandpointId(p.index(index) as u32))
                    .collect()
            },
        })
        .collect();
    Module {
        package: PackageInfo {
            name: package,
            version,
            entry,
        },
        concepts,
        relations: vec![],
        structs: vec![StructDecl {
            name: struct_name,
            path: "st".into(),
            fields: struct_fields,
            doc: struct_doc,
            field_docs: Vec::new(),
        }],
        enums: vec![EnumDecl {
            name: enum_name,
            path: "en".into(),
            variants: vec![
                Variant {
                    name: "A".into(),
                    payload: vec![],
                    doc: None,
                },
                Variant {
                    name: "B".into(),
                    payload,
                    doc: None,
                },
            ],
            doc: enum_doc,
        }],
        predicates,
        rules: vec![],
        checks: vec![],
        queries: vec![],
        mutations: vec![],
        functions,
        standpoints,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn encode_decode_encode_is_the_identity(module in module()) {
        let bytes = encode(&module).unwrap();
        let artifact = decode(&bytes).unwrap();
        prop_assert_eq!(&artifact.module, &module);
        prop_assert_eq!(encode(&artifact.module).unwrap(), bytes);
        prop_assert_eq!(artifact.schema_hash, schema_hash(&module));
    }

    #[test]
    fn docs_never_change_the_schema_hash(module in module(), text in doc()) {
        let mut documented = module.clone();
        for concept in &mut documented.concepts {
            concept.doc = text.clone();
        }
        prop_assert_eq!(schema_hash(&documented), schema_hash(&module));
    }
}
