//! Declarations: `use`, `mod`, substrate, concepts, relations, values,
//! rules, checks, queries, mutations, functions, standpoints and tests.

use super::stmts::StmtContext;
use super::{PResult, Parser, Reported};
use crate::ast::*;
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::token::{Keyword, TokenKind};

/// Words that name query clauses ox does not support.
const UNSUPPORTED_CLAUSES: &[&str] =
    &["distinct", "union", "intersect", "except", "join", "window"];

impl Parser<'_> {
    /// Items up to the end of the file.
    pub(super) fn items_until_eof(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        while !self.at_eof() {
            if self.eat(&TokenKind::Semi) {
                continue;
            }
            if self.at(&TokenKind::RBrace) {
                if !self.after_broken_item {
                    self.error_expected("a declaration");
                }
                self.bump();
                continue;
            }
            self.item_with_recovery(&mut items, false);
        }
        items
    }

    /// Parses one item; on error skips what is left of it.
    fn item_with_recovery(&mut self, items: &mut Vec<Item>, in_standpoint: bool) {
        let base = self.brace_depth;
        let before = self.pos;
        match self.item(in_standpoint) {
            Ok(item) => {
                self.after_broken_item = false;
                items.extend(item);
            }
            Err(_) => {
                self.after_broken_item = true;
                self.recover_item(base);
            }
        }
        if self.pos == before {
            self.bump();
        }
    }

    /// One item; `None` when it parsed but is not kept (a nested standpoint).
    fn item(&mut self, in_standpoint: bool) -> PResult<Option<Item>> {
        let doc_before = self.take_doc();
        let attrs = self.attrs()?;
        let doc_after = if attrs.is_empty() {
            None
        } else {
            self.take_doc()
        };
        let doc = match (doc_before, doc_after) {
            (Some(a), Some(b)) => Some(format!("{a}\n{b}")),
            (a, b) => a.or(b),
        };
        let start = attrs.first().map_or(self.span(), |a| a.span);
        let vis = self.visibility()?;
        let is_metatype_modifier = |p: &Self| {
            let modifier =
                |k: &TokenKind| matches!(k, TokenKind::Ident(w) if w == "abstract" || w == "fixed");
            let metatype = |k: &TokenKind| *k == TokenKind::Keyword(Keyword::Metatype);
            modifier(p.peek())
                && (metatype(p.peek_nth(1)) || (modifier(p.peek_nth(1)) && metatype(p.peek_nth(2))))
        };
        let kind = match self.peek() {
            TokenKind::Keyword(Keyword::Use) => ItemKind::Use(self.use_decl()?),
            TokenKind::Keyword(Keyword::Mod) => {
                self.bump();
                let name = self.expect_ident("a module name")?;
                self.expect_semi("`mod` declaration");
                ItemKind::Mod(ModDecl { name })
            }
            TokenKind::Keyword(Keyword::Metaxis) => ItemKind::Metaxis(self.metaxis_decl()?),
            TokenKind::Keyword(Keyword::Metatype) => ItemKind::Metatype(self.metatype_decl()?),
            TokenKind::Ident(_) if is_metatype_modifier(self) => {
                ItemKind::Metatype(self.metatype_decl()?)
            }
            TokenKind::Keyword(Keyword::Metarel) => ItemKind::Metarel(self.metarel_decl()?),
            TokenKind::Keyword(Keyword::Struct) => {
                self.bump();
                let name = self.expect_ident("a struct name")?;
                self.expect(TokenKind::LBrace)?;
                let fields = self.comma_list(TokenKind::RBrace, |p| p.field())?;
                ItemKind::Struct(StructDecl { name, fields })
            }
            TokenKind::Keyword(Keyword::Enum) => {
                self.bump();
                let name = self.expect_ident("an enum name")?;
                self.expect(TokenKind::LBrace)?;
                let variants = self.comma_list(TokenKind::RBrace, |p| p.variant())?;
                ItemKind::Enum(EnumDecl { name, variants })
            }
            TokenKind::Keyword(Keyword::Derive) => ItemKind::Derive(self.derive_decl()?),
            TokenKind::Keyword(Keyword::Check) => ItemKind::Check(self.check_decl()?),
            TokenKind::Keyword(Keyword::Query) => ItemKind::Query(self.query_decl()?),
            TokenKind::Keyword(Keyword::Mutate | Keyword::Mutation) => {
                ItemKind::Mutate(self.mutate_decl()?)
            }
            TokenKind::Keyword(Keyword::Fn | Keyword::Compute) => ItemKind::Fn(self.fn_decl()?),
            TokenKind::Keyword(Keyword::Standpoint) => {
                let keyword = self.span();
                let standpoint = self.nested(|p| p.standpoint_decl())?;
                if in_standpoint {
                    let diag = Diagnostic::error(
                        codes::NESTED_STANDPOINT,
                        keyword.to(standpoint.name.span),
                        "a standpoint cannot be declared inside another standpoint",
                    )
                    .with_help("declare it at the top level and relate the two with `<:`");
                    self.report(diag);
                    return Ok(None);
                }
                ItemKind::Standpoint(standpoint)
            }
            TokenKind::Keyword(Keyword::Test) => {
                if vis != Visibility::Private {
                    let diag = Diagnostic::error(
                        codes::INVALID_VISIBILITY,
                        start.to(self.prev_span()),
                        "tests cannot have a visibility",
                    );
                    self.report(diag);
                }
                ItemKind::Test(self.test_decl()?)
            }
            TokenKind::Ident(_) if matches!(self.peek_nth(1), TokenKind::Ident(_)) => {
                self.concept_or_relation()?
            }
            _ if self.after_broken_item => return Err(Reported),
            _ => return Err(self.error_expected("a declaration")),
        };
        Ok(Some(Item {
            attrs,
            doc,
            vis,
            kind,
            span: self.span_from(start),
        }))
    }

    /// `#[name(args)]*`
    fn attrs(&mut self) -> PResult<Vec<Attr>> {
        let mut attrs = Vec::new();
        while self.at(&TokenKind::HashBracket) {
            let start = self.bump().span;
            let name = self.expect_ident("an attribute name")?;
            let args = if self.eat(&TokenKind::LParen) {
                self.comma_list(TokenKind::RParen, |p| p.attr_arg())?
            } else {
                Vec::new()
            };
            self.expect(TokenKind::RBracket)?;
            attrs.push(Attr {
                name,
                args,
                span: self.span_from(start),
            });
        }
        Ok(attrs)
    }

    fn attr_arg(&mut self) -> PResult<AttrArg> {
        if let Some(lit) = self.literal() {
            return Ok(AttrArg::Lit(lit));
        }
        if matches!(self.peek(), TokenKind::Ident(_)) {
            return Ok(AttrArg::Path(self.path("an attribute argument")?));
        }
        Err(self.error_expected("an attribute argument"))
    }

    /// `pub`, `pub(pkg)` or nothing.
    fn visibility(&mut self) -> PResult<Visibility> {
        if !self.at_word("pub") {
            return Ok(Visibility::Private);
        }
        self.bump();
        if !self.eat(&TokenKind::LParen) {
            return Ok(Visibility::Public);
        }
        let scope = self.expect_ident("`pkg`")?;
        if scope.name != "pkg" {
            let diag = Diagnostic::error(
                codes::INVALID_VISIBILITY,
                scope.span,
                format!("unknown visibility scope `{}`", scope.name),
            )
            .with_help("write `pub` to export or `pub(pkg)` for package-wide visibility");
            self.report(diag);
        }
        self.expect(TokenKind::RParen)?;
        Ok(Visibility::Package)
    }

    /// `use a::b;`, `use a::{b, c};`, `use a::*;`
    fn use_decl(&mut self) -> PResult<UseDecl> {
        self.expect_kw(Keyword::Use)?;
        let path = self.path("a module path")?;
        let tree = if self.eat(&TokenKind::ColonColon) {
            if self.eat(&TokenKind::Star) {
                UseTree::Glob
            } else if self.eat(&TokenKind::LBrace) {
                UseTree::Group(self.comma_list(TokenKind::RBrace, |p| p.expect_ident("a name"))?)
            } else {
                return Err(self.error_expected("a name, `{` or `*`"));
            }
        } else {
            UseTree::Single
        };
        self.expect_semi("`use` declaration");
        Ok(UseDecl { path, tree })
    }

    // ------------------------------------------------------------ substrate

    fn metaxis_decl(&mut self) -> PResult<MetaxisDecl> {
        self.expect_kw(Keyword::Metaxis)?;
        let name = self.expect_ident("an axis name")?;
        self.expect_kw(Keyword::For)?;
        let targets = self.metaxis_targets()?;
        let values = if self.eat(&TokenKind::LBrace) {
            let values = self.metaxis_values()?;
            self.expect(TokenKind::RBrace)?;
            values
        } else if self.eat(&TokenKind::Eq) {
            let ty = self.ty()?;
            let constraint = if self.eat_kw(Keyword::Where) {
                Some(self.expr()?)
            } else {
                None
            };
            MetaxisValues::Typed { ty, constraint }
        } else {
            MetaxisValues::Unspecified
        };
        self.expect_semi("`metaxis` declaration");
        Ok(MetaxisDecl {
            name,
            targets,
            values,
        })
    }

    /// `metatype`, `metarel`, `individual` or `[target, …]` (flattened).
    fn metaxis_targets(&mut self) -> PResult<Vec<MetaxisTarget>> {
        if self.eat(&TokenKind::LBracket) {
            let lists =
                self.comma_list(TokenKind::RBracket, |p| p.nested(|p| p.metaxis_targets()))?;
            return Ok(lists.into_iter().flatten().collect());
        }
        let kind = match self.peek() {
            TokenKind::Keyword(Keyword::Metatype) => MetaxisTargetKind::Metatype,
            TokenKind::Keyword(Keyword::Metarel) => MetaxisTargetKind::Metarel,
            TokenKind::Ident(w) if w == "individual" => MetaxisTargetKind::Individual,
            _ => return Err(self.error_expected("`metatype`, `metarel`, `individual` or `[`")),
        };
        let span = self.bump().span;
        Ok(vec![MetaxisTarget { kind, span }])
    }

    /// `a, b, c` or `a < b < c` (the braces are handled by the caller).
    fn metaxis_values(&mut self) -> PResult<MetaxisValues> {
        if self.at(&TokenKind::RBrace) {
            return Ok(MetaxisValues::Unordered(Vec::new()));
        }
        let first = self.expect_ident("an axis value")?;
        let mut values = vec![first];
        if self.at(&TokenKind::Lt) {
            while self.eat(&TokenKind::Lt) {
                values.push(self.expect_ident("an axis value")?);
            }
            return Ok(MetaxisValues::Chain(values));
        }
        while self.eat(&TokenKind::Comma) {
            if self.at(&TokenKind::RBrace) {
                break;
            }
            values.push(self.expect_ident("an axis value")?);
        }
        Ok(MetaxisValues::Unordered(values))
    }

    /// `abstract? fixed? metatype name = { axis: value, … };`
    fn metatype_decl(&mut self) -> PResult<MetatypeDecl> {
        let mut is_abstract = false;
        let mut is_fixed = false;
        loop {
            if self.eat_word("abstract") {
                is_abstract = true;
            } else if self.eat_word("fixed") {
                is_fixed = true;
            } else {
                break;
            }
        }
        self.expect_kw(Keyword::Metatype)?;
        let name = self.expect_ident("a metatype name")?;
        self.expect(TokenKind::Eq)?;
        self.expect(TokenKind::LBrace)?;
        let values = self.comma_list(TokenKind::RBrace, |p| p.axis_value())?;
        self.expect_semi("`metatype` declaration");
        Ok(MetatypeDecl {
            is_abstract,
            is_fixed,
            name,
            values,
        })
    }

    /// `axis: value` or `axis::value`.
    fn axis_value(&mut self) -> PResult<AxisValue> {
        let axis = self.expect_ident("an axis name")?;
        let value = if self.eat(&TokenKind::ColonColon) {
            AxisValueKind::Ident(self.expect_ident("an axis value")?)
        } else if self.eat(&TokenKind::Colon) {
            match self.literal() {
                Some(lit) => AxisValueKind::Lit(lit),
                None => AxisValueKind::Ident(self.expect_ident("an axis value")?),
            }
        } else {
            return Err(self.error_expected("`:` or `::`"));
        };
        Ok(AxisValue {
            span: self.span_from(axis.span),
            axis,
            value,
        })
    }

    /// `metarel name(end: metatype, …);`
    fn metarel_decl(&mut self) -> PResult<MetarelDecl> {
        self.expect_kw(Keyword::Metarel)?;
        let name = self.expect_ident("a metarel name")?;
        self.expect(TokenKind::LParen)?;
        let endpoints = self.comma_list(TokenKind::RParen, |p| {
            let name = p.expect_ident("an endpoint name")?;
            p.expect(TokenKind::Colon)?;
            let metatype = p.expect_ident("a metatype name")?;
            Ok(MetarelEndpoint {
                span: name.span.to(metatype.span),
                name,
                metatype,
            })
        })?;
        self.expect_semi("`metarel` declaration");
        Ok(MetarelDecl { name, endpoints })
    }

    // ------------------------------------------------------------ concepts and relations

    fn concept_or_relation(&mut self) -> PResult<ItemKind> {
        let introducer = self.expect_ident("an introducer")?;
        let name = self.expect_ident("a name")?;
        if self.at(&TokenKind::LParen) {
            return Ok(ItemKind::Relation(self.relation_rest(introducer, name)?));
        }
        if self.at(&TokenKind::Colon) {
            let diag = Diagnostic::error(
                codes::INSTANTIATION_UNSUPPORTED,
                self.span(),
                format!(
                    "`{}: …` (instantiation of a type) is not supported",
                    name.name
                ),
            )
            .with_help("use `<:` to declare a supertype");
            return Err(self.report(diag));
        }
        let supertypes = self.supertypes()?;
        let refinement = self.refinement()?;
        let body = match self.peek() {
            TokenKind::LBrace => self.concept_body()?,
            TokenKind::Semi => {
                self.bump();
                ConceptBody::None
            }
            _ => {
                self.body_or_semi_missing()?;
                ConceptBody::None
            }
        };
        Ok(ItemKind::Concept(ConceptDecl {
            introducer,
            name,
            supertypes,
            refinement,
            body,
        }))
    }

    /// Reports a missing `;` (and continues) when the declaration ends at a
    /// line break; otherwise reports the unexpected token.
    fn body_or_semi_missing(&mut self) -> PResult<()> {
        if self.newline_before() || self.at_eof() {
            self.expect_semi("the declaration");
            Ok(())
        } else {
            Err(self.error_expected("`{` or `;`"))
        }
    }

    /// `(<: T, U)?`
    fn supertypes(&mut self) -> PResult<Vec<Type>> {
        let mut types = Vec::new();
        if self.eat(&TokenKind::SubType) {
            types.push(self.ty()?);
            while self.eat(&TokenKind::Comma) {
                types.push(self.ty()?);
            }
        }
        Ok(types)
    }

    /// `(iff | where) { expr, … }`
    fn refinement(&mut self) -> PResult<Option<Refinement>> {
        let kind = if self.at_word("iff") {
            RefinementKind::Iff
        } else if self.at_kw(Keyword::Where) {
            RefinementKind::Where
        } else {
            return Ok(None);
        };
        let start = self.bump().span;
        self.expect(TokenKind::LBrace)?;
        let conditions = self.comma_list(TokenKind::RBrace, |p| p.expr())?;
        Ok(Some(Refinement {
            kind,
            conditions,
            span: self.span_from(start),
        }))
    }

    /// `{ fields }` or `{ Cover, Names }`.
    fn concept_body(&mut self) -> PResult<ConceptBody> {
        self.expect(TokenKind::LBrace)?;
        let is_ident = |k: &TokenKind| matches!(k, TokenKind::Ident(_));
        let fields_ahead = self.at(&TokenKind::HashBracket)
            || self.at(&TokenKind::RBrace)
            || (self.at_word("mut") && is_ident(self.peek_nth(1)))
            || (is_ident(self.peek())
                && matches!(self.peek_nth(1), TokenKind::Colon | TokenKind::Ident(_)));
        if fields_ahead {
            return Ok(ConceptBody::Fields(
                self.comma_list(TokenKind::RBrace, |p| p.field())?,
            ));
        }
        if is_ident(self.peek()) {
            let names = self.comma_list(TokenKind::RBrace, |p| p.expect_ident("a subtype name"))?;
            return Ok(ConceptBody::Cover(names));
        }
        Err(self.error_expected("a field or a subtype name"))
    }

    /// `#[attr]* mut? name: Type`
    fn field(&mut self) -> PResult<Field> {
        let doc_before = self.take_doc();
        let attrs = self.attrs()?;
        let doc = doc_before.or_else(|| self.take_doc());
        let start = attrs.first().map_or(self.span(), |a| a.span);
        let is_mut = self.at_word("mut") && matches!(self.peek_nth(1), TokenKind::Ident(_));
        if is_mut {
            self.bump();
        }
        let name = self.expect_ident("a field name")?;
        self.expect(TokenKind::Colon)?;
        let ty = self.ty()?;
        Ok(Field {
            attrs,
            doc,
            is_mut,
            name,
            ty,
            span: self.span_from(start),
        })
    }

    /// The rest of a relation after `INTRODUCER Name`.
    fn relation_rest(&mut self, introducer: Ident, name: Ident) -> PResult<RelationDecl> {
        self.expect(TokenKind::LParen)?;
        let endpoints = self.comma_list(TokenKind::RParen, |p| {
            let name = p.expect_ident("an endpoint name")?;
            p.expect(TokenKind::Colon)?;
            let ty = p.ty()?;
            Ok(Endpoint {
                span: name.span.to(ty.span),
                name,
                ty,
            })
        })?;
        let mut cardinalities = Vec::new();
        while self.at(&TokenKind::LBracket) {
            cardinalities.push(self.cardinality()?);
        }
        let supertypes = self.supertypes()?;
        let fields = match self.peek() {
            TokenKind::LBrace => {
                self.bump();
                Some(self.comma_list(TokenKind::RBrace, |p| p.field())?)
            }
            TokenKind::Semi => {
                self.bump();
                None
            }
            _ => {
                self.body_or_semi_missing()?;
                None
            }
        };
        Ok(RelationDecl {
            introducer,
            name,
            endpoints,
            cardinalities,
            supertypes,
            fields,
        })
    }

    /// `[n]`, `[n..m]` or `[n..*]`.
    fn cardinality(&mut self) -> PResult<Cardinality> {
        let start = self.expect(TokenKind::LBracket)?;
        let min = self.expect_int("a natural number")?;
        let max = if self.eat(&TokenKind::DotDot) {
            if self.eat(&TokenKind::Star) {
                None
            } else {
                Some(self.expect_int("a natural number or `*`")?)
            }
        } else {
            Some(min)
        };
        self.expect(TokenKind::RBracket)?;
        let span = self.span_from(start);
        if max.is_some_and(|max| max < min) {
            let diag = Diagnostic::error(
                codes::INVALID_CARDINALITY,
                span,
                "the lower bound of the cardinality exceeds its upper bound",
            );
            self.report(diag);
        }
        Ok(Cardinality { min, max, span })
    }

    /// `Name`, `Name(T, …)` or `Name { fields }`.
    fn variant(&mut self) -> PResult<Variant> {
        let doc = self.take_doc();
        let name = self.expect_ident("a variant name")?;
        let data = if self.eat(&TokenKind::LParen) {
            VariantData::Tuple(self.comma_list(TokenKind::RParen, |p| p.ty())?)
        } else if self.eat(&TokenKind::LBrace) {
            VariantData::Record(self.comma_list(TokenKind::RBrace, |p| p.field())?)
        } else {
            VariantData::Unit
        };
        Ok(Variant {
            doc,
            span: self.span_from(name.span),
            name,
            data,
        })
    }

    // ------------------------------------------------------------ rules and checks

    fn derive_decl(&mut self) -> PResult<DeriveDecl> {
        self.expect_kw(Keyword::Derive)?;
        let strong_negation = self.eat(&TokenKind::Tilde);
        let name = self.expect_ident("a predicate name")?;
        self.expect(TokenKind::LParen)?;
        let args = self.comma_list(TokenKind::RParen, |p| {
            let value = p.expr()?;
            let ty = if p.eat(&TokenKind::Colon) {
                Some(p.ty()?)
            } else {
                None
            };
            Ok(HeadArg {
                span: p.span_from(value.span),
                value,
                ty,
            })
        })?;
        let body = if self.eat(&TokenKind::ColonDash) {
            Some(self.atoms()?)
        } else {
            None
        };
        self.expect_semi("the rule");
        Ok(DeriveDecl {
            strong_negation,
            name,
            args,
            body,
        })
    }

    fn check_decl(&mut self) -> PResult<CheckDecl> {
        self.expect_kw(Keyword::Check)?;
        let name = self.expect_ident("a check name")?;
        let params = self.params()?;
        self.expect(TokenKind::ColonDash)?;
        let body = self.atoms()?;
        let message = if self.eat(&TokenKind::FatArrow) {
            Some(self.str_lit("a message string")?)
        } else {
            None
        };
        self.expect_semi("the check");
        Ok(CheckDecl {
            name,
            params,
            body,
            message,
        })
    }

    /// `( optional? name (: Type)?, … )`
    fn params(&mut self) -> PResult<Vec<Param>> {
        self.expect(TokenKind::LParen)?;
        self.comma_list(TokenKind::RParen, |p| {
            let start = p.span();
            let optional = p.at_word("optional") && matches!(p.peek_nth(1), TokenKind::Ident(_));
            if optional {
                p.bump();
            }
            let name = p.expect_ident("a parameter name")?;
            let ty = if p.eat(&TokenKind::Colon) {
                Some(p.ty()?)
            } else {
                None
            };
            Ok(Param {
                optional,
                name,
                ty,
                span: p.span_from(start),
            })
        })
    }

    // ------------------------------------------------------------ queries

    fn query_decl(&mut self) -> PResult<QueryDecl> {
        self.expect_kw(Keyword::Query)?;
        let name = self.expect_ident("a query name")?;
        let params = self.params()?;
        self.expect(TokenKind::Arrow)?;
        let ret = self.ty()?;
        let as_of = if self.eat_kw(Keyword::AsOf) {
            Some(self.expect_int("a transaction number")?)
        } else {
            None
        };
        let mut across = Vec::new();
        if self.eat_kw(Keyword::Across) {
            self.expect(TokenKind::LBracket)?;
            across = self.comma_list(TokenKind::RBracket, |p| p.path("a standpoint name"))?;
        }
        let body = match self.peek() {
            TokenKind::LBrace => Some(self.query_body()?),
            TokenKind::Semi => {
                self.bump();
                None
            }
            _ => {
                self.body_or_semi_missing()?;
                None
            }
        };
        Ok(QueryDecl {
            name,
            params,
            ret,
            as_of,
            across,
            body,
        })
    }

    fn query_body(&mut self) -> PResult<QueryBody> {
        let start = self.expect(TokenKind::LBrace)?;
        self.expect_kw(Keyword::Select)?;
        self.refuse_unsupported_clause()?;
        let select = if self.eat(&TokenKind::LBrace) {
            Projection::Record(self.comma_list(TokenKind::RBrace, |p| p.field_init(false))?)
        } else {
            Projection::Expr(self.expr()?)
        };
        self.expect_kw(Keyword::From)?;
        let from = self.atoms()?;
        let filter = if self.eat_kw(Keyword::Where) {
            self.atoms()?
        } else {
            Vec::new()
        };
        let mut group_by = Vec::new();
        if self.eat_word("group") {
            self.expect_word("by")?;
            group_by.push(self.expr()?);
            while self.eat(&TokenKind::Comma) {
                group_by.push(self.expr()?);
            }
        }
        let having = if self.at_word("having") {
            if group_by.is_empty() {
                let diag = Diagnostic::error(
                    codes::UNSUPPORTED_QUERY_CLAUSE,
                    self.span(),
                    "`having` is only supported after `group by`",
                )
                .with_help("move the condition into `where`");
                self.report(diag);
            }
            self.bump();
            Some(self.expr()?)
        } else {
            None
        };
        let mut order_by = Vec::new();
        if self.eat_word("order") {
            self.expect_word("by")?;
            order_by.push(self.order_key()?);
            while self.eat(&TokenKind::Comma) {
                order_by.push(self.order_key()?);
            }
        }
        let limit = if self.eat_word("limit") {
            Some(self.expect_int("a row count")?)
        } else {
            None
        };
        let offset = if self.eat_word("offset") {
            Some(self.expect_int("a row count")?)
        } else {
            None
        };
        self.refuse_unsupported_clause()?;
        self.expect(TokenKind::RBrace)?;
        Ok(QueryBody {
            select,
            from,
            filter,
            group_by,
            having,
            order_by,
            limit,
            offset,
            span: self.span_from(start),
        })
    }

    fn order_key(&mut self) -> PResult<OrderKey> {
        let expr = self.expr()?;
        let direction = if self.eat_word("desc") {
            SortDirection::Desc
        } else {
            self.eat_word("asc");
            SortDirection::Asc
        };
        Ok(OrderKey {
            span: self.span_from(expr.span),
            expr,
            direction,
        })
    }

    /// Reports `OE0007` at a clause word ox does not support.
    fn refuse_unsupported_clause(&mut self) -> PResult<()> {
        let TokenKind::Ident(word) = self.peek() else {
            return Ok(());
        };
        if !UNSUPPORTED_CLAUSES.contains(&word.as_str()) {
            return Ok(());
        }
        let diag = Diagnostic::error(
            codes::UNSUPPORTED_QUERY_CLAUSE,
            self.span(),
            format!("query clause `{word}` is not supported"),
        )
        .with_help(
            "supported clauses: select, from, where, group by, having, order by, limit, offset",
        );
        Err(self.report(diag))
    }

    // ------------------------------------------------------------ mutations, fns, standpoints, tests

    fn mutate_decl(&mut self) -> PResult<MutateDecl> {
        self.bump();
        let name = self.expect_ident("a mutation name")?;
        let params = self.params()?;
        let ret = if self.eat(&TokenKind::Arrow) {
            Some(self.ty()?)
        } else {
            None
        };
        self.expect(TokenKind::LBrace)?;
        let mut require = Vec::new();
        if self.eat_kw(Keyword::Require) {
            self.expect(TokenKind::LBrace)?;
            require = self.comma_list(TokenKind::RBrace, |p| p.expr())?;
        }
        let body = self.stmts_until_rbrace(StmtContext::Mutation);
        self.expect(TokenKind::RBrace)?;
        Ok(MutateDecl {
            name,
            params,
            ret,
            require,
            body,
        })
    }

    fn fn_decl(&mut self) -> PResult<FnDecl> {
        self.bump();
        let name = self.expect_ident("a function name")?;
        let params = self.params()?;
        self.expect(TokenKind::Arrow)?;
        let ret = self.ty()?;
        let body = if self.eat(&TokenKind::Eq) {
            let body = self.expr()?;
            self.expect_semi("the function body");
            body
        } else if self.at(&TokenKind::LBrace) {
            let block = self.block_expr()?;
            let span = block.span;
            Expr {
                kind: ExprKind::Block(block),
                span,
            }
        } else {
            return Err(self.error_expected("`=` or `{`"));
        };
        Ok(FnDecl {
            name,
            params,
            ret,
            body,
        })
    }

    fn standpoint_decl(&mut self) -> PResult<StandpointDecl> {
        self.expect_kw(Keyword::Standpoint)?;
        let name = self.expect_ident("a standpoint name")?;
        let mut parents = Vec::new();
        if self.eat(&TokenKind::SubType) {
            parents.push(self.path("a standpoint name")?);
            while self.eat(&TokenKind::Comma) {
                parents.push(self.path("a standpoint name")?);
            }
        }
        self.expect(TokenKind::LBrace)?;
        let mut items = Vec::new();
        while !self.at(&TokenKind::RBrace) && !self.at_eof() {
            if self.eat(&TokenKind::Semi) {
                continue;
            }
            self.item_with_recovery(&mut items, true);
        }
        self.expect(TokenKind::RBrace)?;
        Ok(StandpointDecl {
            name,
            parents,
            items,
        })
    }

    fn test_decl(&mut self) -> PResult<TestDecl> {
        self.expect_kw(Keyword::Test)?;
        let name = self.str_lit("a test name string")?;
        let body = self.stmt_block(StmtContext::Test)?;
        Ok(TestDecl { name, body })
    }
}
