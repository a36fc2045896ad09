//! A mapping checked against the schemas: for each resource type, where every attribute
//! lives (a column, a child table, the membership table, the JSON document), in SQL terms.

use scim_core::{AttrType, Mutability, ResourceKind, ResourceSchemas, Returned};
use scim_filter::{AttrPath, AttributeLookup};
use serde_json::Value;

use crate::mapping::{Child, IdKind, Members, Table};

/// Why a mapping cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MappingError(pub(crate) String);

/// Where a value sits in a resource's JSON: top-level, under an extension's URN, and in a
/// complex attribute's sub-attribute. Names as the schema spells them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub(crate) extension: Option<String>,
    pub(crate) name: String,
    pub(crate) sub: Option<String>,
}

impl Loc {
    /// The keys from the resource's top down.
    pub(crate) fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self.extension.iter().map(String::as_str).collect();
        keys.push(&self.name);
        keys.extend(self.sub.as_deref());
        keys
    }
}

/// How a column holds an attribute's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Text,
    Bool,
    Int,
    Float,
    /// RFC 3339 text.
    DateTime,
}

impl ValueKind {
    fn of(kind: AttrType) -> Option<Self> {
        Some(match kind {
            AttrType::String | AttrType::Reference | AttrType::Binary => Self::Text,
            AttrType::Boolean => Self::Bool,
            AttrType::Integer => Self::Int,
            AttrType::Decimal => Self::Float,
            AttrType::DateTime => Self::DateTime,
            _ => return None,
        })
    }
}

/// A single-valued attribute held by a column of the resource's row.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub(crate) loc: Loc,
    pub(crate) column: String,
    pub(crate) value: ValueKind,
    pub(crate) case_exact: bool,
    /// The column keeps `''` for "no value" (its mapped default): read back as unassigned,
    /// and filtered as `NULLIF(column, '')`.
    pub(crate) empty_is_absent: bool,
}

/// A multi-valued attribute held by a child table.
#[derive(Debug, Clone)]
pub(crate) struct ChildSlot {
    /// The attribute's name (a core attribute).
    pub(crate) name: String,
    pub(crate) child: Child,
}

/// One resource type's tables.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) kind: ResourceKind,
    pub(crate) table: String,
    pub(crate) id: String,
    pub(crate) id_kind: IdKind,
    pub(crate) tenant: Option<String>,
    pub(crate) side: String,
    pub(crate) slots: Vec<Slot>,
    pub(crate) children: Vec<ChildSlot>,
    pub(crate) members: Option<Members>,
    /// The table's own JSON column, if any; else the side table's `extra`.
    pub(crate) json: Option<String>,
    pub(crate) defaults: Vec<(String, Value)>,
    /// Write-only attributes (`password`): the engine never returns them and the store
    /// never keeps them, in a column or the JSON document.
    pub(crate) secrets: Vec<Loc>,
}

/// Whether `name` can be written into SQL as an identifier: letters, digits and `_`, with
/// `.` between a schema and a table.
fn identifier(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

fn check_identifier(what: &str, name: &str) -> Result<(), MappingError> {
    if identifier(name) {
        Ok(())
    } else {
        Err(MappingError(format!(
            "{what} \"{name}\" is not a plain SQL identifier (letters, digits, _)"
        )))
    }
}

impl Layout {
    /// `table`, checked against `schemas`.
    pub(crate) fn resolve(
        table: &Table,
        members: Option<&Members>,
        schemas: &ResourceSchemas,
    ) -> Result<Self, MappingError> {
        let kind = schemas.kind();
        check_identifier("table", &table.name)?;
        check_identifier("id column", &table.id)?;
        let side = table.side_name();
        check_identifier("side table", &side)?;
        if let Some(t) = &table.tenant {
            check_identifier("tenant column", t)?;
        }
        if let Some(j) = &table.json {
            check_identifier("JSON column", j)?;
        }
        let mut slots: Vec<Slot> = Vec::new();
        for (attribute, column) in &table.columns {
            check_identifier("column", column)?;
            let slot = Self::slot(schemas, attribute, column)?;
            if slots.iter().any(|s| s.loc == slot.loc) {
                return Err(MappingError(format!(
                    "{kind}: \"{attribute}\" is mapped twice"
                )));
            }
            if slots.iter().any(|s| s.column == slot.column) {
                return Err(MappingError(format!(
                    "{kind}: column \"{column}\" holds two attributes"
                )));
            }
            slots.push(slot);
        }
        let mut children = Vec::new();
        for (attribute, child) in &table.children {
            for name in [Some(&child.table), Some(&child.parent), Some(&child.value)]
                .into_iter()
                .chain([
                    child.kind.as_ref(),
                    child.primary.as_ref(),
                    child.display.as_ref(),
                    child.position.as_ref(),
                ])
                .flatten()
            {
                check_identifier("child table column", name)?;
            }
            let info = schemas
                .attribute(None, attribute)
                .filter(|i| i.multi_valued && i.extension.is_none())
                .ok_or_else(|| {
                    MappingError(format!(
                        "{kind}: \"{attribute}\" is not a multi-valued core attribute"
                    ))
                })?;
            let path = AttrPath::parse(attribute).map_err(|e| MappingError(e.to_string()))?;
            let definition = schemas
                .definition(&path)
                .ok_or_else(|| MappingError(format!("{kind}: no definition of \"{attribute}\"")))?;
            let foreign = definition.sub_attributes.iter().find(|s| {
                !["value", "type", "primary", "display"]
                    .iter()
                    .any(|k| s.name.eq_ignore_ascii_case(k))
            });
            if let Some(sub) = foreign {
                return Err(MappingError(format!(
                    "{kind}: \"{attribute}\" has the sub-attribute \"{}\", which a child table \
                     (value, type, primary, display) cannot hold: leave it to the JSON column",
                    sub.name
                )));
            }
            children.push(ChildSlot {
                name: info.name.to_owned(),
                child: child.clone(),
            });
        }
        if let Some(m) = members {
            for name in [Some(&m.table), Some(&m.group), Some(&m.member)]
                .into_iter()
                .chain([
                    m.display.as_ref(),
                    m.kind.as_ref(),
                    m.reference.as_ref(),
                    m.position.as_ref(),
                ])
                .flatten()
            {
                check_identifier("membership column", name)?;
            }
        }
        for (column, value) in &table.defaults {
            check_identifier("column", column)?;
            if value.as_str() == Some("")
                && let Some(slot) = slots.iter_mut().find(|s| s.column == *column)
            {
                slot.empty_is_absent = true;
            }
        }
        let secrets = schemas
            .all_attributes()
            .filter(|(_, a)| a.mutability == Mutability::WriteOnly || a.returned == Returned::Never)
            .map(|(urn, a)| Loc {
                extension: urn.map(str::to_owned),
                name: a.name.clone(),
                sub: None,
            })
            .collect();
        Ok(Self {
            kind,
            table: table.name.clone(),
            id: table.id.clone(),
            id_kind: table.id_kind,
            tenant: table.tenant.clone(),
            side,
            slots,
            children,
            members: members.cloned(),
            json: table.json.clone(),
            defaults: table.defaults.clone(),
            secrets,
        })
    }

    fn slot(
        schemas: &ResourceSchemas,
        attribute: &str,
        column: &str,
    ) -> Result<Slot, MappingError> {
        let kind = schemas.kind();
        let bad = |why: &str| MappingError(format!("{kind}: \"{attribute}\" {why}"));
        let path = AttrPath::parse(attribute).map_err(|e| bad(&format!("does not parse: {e}")))?;
        let top = schemas
            .attribute(path.schema.as_deref(), &path.name)
            .ok_or_else(|| bad("is no attribute of the schemas"))?;
        if top.name == "id" || top.name == "meta" {
            return Err(bad("is the store's own (the id column, the side table)"));
        }
        let declared = schemas
            .definition(&AttrPath {
                schema: path.schema.clone(),
                name: path.name.clone(),
                sub_attr: None,
            })
            .ok_or_else(|| bad("is no attribute of the schemas"))?;
        if declared.mutability == Mutability::WriteOnly || declared.returned == Returned::Never {
            return Err(bad(
                "is write-only (a secret): the store never keeps it; hash it in a write rule \
                 into a column of its own",
            ));
        }
        let definition = schemas
            .definition(&path)
            .ok_or_else(|| bad("is no attribute of the schemas"))?;
        if top.multi_valued {
            return Err(bad(
                "is multi-valued: map it to a child table (Table::child)",
            ));
        }
        let value = ValueKind::of(definition.kind)
            .ok_or_else(|| bad("is complex: map its sub-attributes (name.givenName)"))?;
        let sub = path.sub_attr.as_ref().map(|_| definition.name.clone());
        Ok(Slot {
            loc: Loc {
                extension: top.extension.map(str::to_owned),
                name: top.name.to_owned(),
                sub,
            },
            column: column.to_owned(),
            value,
            case_exact: definition.case_exact,
            empty_is_absent: false,
        })
    }

    /// The SQL expression reading `slot` from the row aliased `r`.
    pub(crate) fn slot_expr(slot: &Slot) -> String {
        Self::slot_read(slot, "r.")
    }

    /// The SQL expression reading `slot`, its column named with `prefix` (`"r."`, or `""`
    /// in an insert's `RETURNING`).
    pub(crate) fn slot_read(slot: &Slot, prefix: &str) -> String {
        if slot.empty_is_absent {
            format!("NULLIF({prefix}{}, '')", slot.column)
        } else {
            format!("{prefix}{}", slot.column)
        }
    }

    /// The slot of the top-level attribute `name` with sub-attribute `sub`, under `extension`.
    pub(crate) fn slot_at(&self, loc: &Loc) -> Option<&Slot> {
        self.slots.iter().find(|s| s.loc == *loc)
    }

    /// The child table of the multi-valued attribute `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&ChildSlot> {
        self.children
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// The column holding `externalId`: the app's, if mapped, else the side table's.
    pub(crate) fn external_id(&self) -> String {
        let loc = Loc {
            extension: None,
            name: "externalId".to_owned(),
            sub: None,
        };
        match self.slot_at(&loc) {
            Some(slot) => Self::slot_expr(slot),
            None => "s.external_id".to_owned(),
        }
    }

    /// Whether `externalId` lives in the side table.
    pub(crate) fn external_id_in_side(&self) -> bool {
        self.external_id() == "s.external_id"
    }
}
