//! Applying a request to a resource (RFC 7644 §3.5.2.1-3), guided by an [`AttributeLookup`].
//!
//! Here: the [`Patcher`], and each operation resolved to what its path designates. Then
//! `values` writes what an `add`, `replace` or `remove` does to an attribute, `filtered` what
//! it does through a value filter (`emails[type eq "work"].value`), and `shape` puts values in
//! the form their attribute takes.

mod filtered;
mod shape;
mod values;

use scim_filter::{AttrPath, AttrType, AttributeLookup, Filter, NoSchema, PatchPath, SchemaKind};
use serde_json::{Map, Value};

use crate::Outcome;
use crate::compat::PatchCompat;
use crate::error::PatchError;
use crate::journal::{Container, Journal, Slot, container, key_in};
use crate::request::{OpKind, PatchOperation, PatchRequest};

/// Applies PATCH requests to JSON resources.
///
/// What it knows of attributes comes from an [`AttributeLookup`] (`scim-core`'s schema
/// registry; [`NoSchema`] works from the JSON alone), which Entra forms it accepts from a
/// [`PatchCompat`].
///
/// ```
/// use scim_patch::{PatchRequest, Patcher};
/// use serde_json::json;
///
/// let mut user = json!({
///     "userName": "bjensen",
///     "emails": [{"type": "work", "value": "old@example.com", "primary": true}]
/// });
/// let request = PatchRequest::from_value(json!({
///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///     "Operations": [
///         {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"},
///         {"op": "Add", "path": "emails[type eq \"home\"].value", "value": "babs@example.org"}
///     ]
/// }))?;
/// let outcome = Patcher::default().apply(request, &mut user)?;
/// assert_eq!(user["emails"], json!([
///     {"type": "work", "value": "new@example.com", "primary": true},
///     {"type": "home", "value": "babs@example.org"}
/// ]));
/// assert_eq!(outcome.changed_attributes, ["emails"]);
/// # Ok::<(), scim_patch::PatchError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Patcher<L = NoSchema> {
    lookup: L,
    compat: PatchCompat,
    reject_unknown: bool,
}

/// A patcher without schema information, with the default (Entra) compatibility.
impl Default for Patcher<NoSchema> {
    fn default() -> Self {
        Self::new(NoSchema)
    }
}

impl<L: AttributeLookup> Patcher<L> {
    /// A patcher asking `lookup` about attributes, with the default (Entra) compatibility and
    /// unknown attributes allowed.
    pub fn new(lookup: L) -> Self {
        Self {
            lookup,
            compat: PatchCompat::default(),
            reject_unknown: false,
        }
    }

    /// This patcher, accepting the non-RFC forms `compat` switches on.
    #[must_use]
    pub fn with_compat(mut self, compat: PatchCompat) -> Self {
        self.compat = compat;
        self
    }

    /// This patcher, refusing with `invalidPath` any path to an attribute or sub-attribute the
    /// lookup does not know (`email[type eq "work"].value` for `emails`). Only meaningful with
    /// a lookup that knows the resource's schemas.
    #[must_use]
    pub fn reject_unknown_attributes(mut self, on: bool) -> Self {
        self.reject_unknown = on;
        self
    }

    /// Applies `request` to `resource`, operation by operation. On error the resource is left
    /// exactly as it was.
    pub fn apply(
        &self,
        request: PatchRequest,
        resource: &mut Value,
    ) -> Result<Outcome, PatchError> {
        let Value::Object(resource) = resource else {
            return Err(PatchError::value(
                "the resource to patch is not a JSON object",
            ));
        };
        let mut run = Run {
            patcher: self,
            journal: Journal::default(),
        };
        for (index, operation) in request.operations.into_iter().enumerate() {
            if let Err(err) = run.operation(resource, operation) {
                run.journal.rollback(resource);
                return Err(err.in_operation(index));
            }
        }
        Ok(run.journal.outcome(resource))
    }
}

/// What a path designates in a resource.
enum Target<'p> {
    /// The whole resource: a core schema URN as the path.
    Root,
    /// A whole extension object, by its key in the resource.
    Extension(String),
    /// An attribute.
    Attr(AttrTarget<'p>),
}

/// An attribute, and how the path narrows it.
#[derive(Clone)]
struct AttrTarget<'p> {
    /// The attribute's path; its `sub_attr`, if any, is in `sub`.
    path: &'p AttrPath,
    /// The attribute's slot in the journal.
    s: usize,
    kind: Option<AttrType>,
    multi_valued: Option<bool>,
    /// `name.sub`: a sub-attribute of every value.
    sub: Option<String>,
    /// `name[filter]`, and `name[filter].sub`.
    filter: Option<&'p Filter>,
    filter_sub: Option<String>,
}

impl AttrTarget<'_> {
    /// The attribute's name without its sub-attribute, for messages.
    fn name(&self) -> String {
        match &self.path.schema {
            Some(schema) => format!("{schema}:{}", self.path.name),
            None => self.path.name.clone(),
        }
    }
}

/// One request in progress.
struct Run<'a, L> {
    patcher: &'a Patcher<L>,
    journal: Journal,
}

type Object = Map<String, Value>;

impl<L: AttributeLookup> Run<'_, L> {
    fn compat(&self) -> PatchCompat {
        self.patcher.compat
    }

    fn lookup(&self) -> &L {
        &self.patcher.lookup
    }

    fn operation(&mut self, res: &mut Object, operation: PatchOperation) -> Result<(), PatchError> {
        let PatchOperation { op, path, value } = operation;
        match path {
            Some(path) => self.at_path(res, op, &path, value),
            None => match value {
                Some(Value::Object(members)) => self.root(res, op, members),
                _ => Err(PatchError::value(
                    "a path-less operation needs an object value",
                )),
            },
        }
    }

    /// A path-less `add` or `replace`: each key of the value is a path (an attribute, a dotted
    /// sub-attribute, a URN-qualified attribute, or an extension URN).
    fn root(&mut self, res: &mut Object, op: OpKind, value: Object) -> Result<(), PatchError> {
        for (key, value) in value {
            if self.compat().ignore_id_in_value && key.eq_ignore_ascii_case("id") {
                continue;
            }
            let path = PatchPath::parse(&key).map_err(|e| PatchError::bad_path(&key, &e))?;
            self.at_path(res, op, &path, Some(value))?;
        }
        Ok(())
    }

    fn at_path(
        &mut self,
        res: &mut Object,
        op: OpKind,
        path: &PatchPath,
        value: Option<Value>,
    ) -> Result<(), PatchError> {
        match self.resolve(res, path)? {
            Target::Root => match (op, value) {
                (OpKind::Remove, _) => Err(PatchError::path(format!(
                    "\"{path}\" names the whole resource, which cannot be removed"
                ))),
                (_, Some(Value::Object(members))) => self.root(res, op, members),
                _ => Err(PatchError::value(format!(
                    "\"{path}\" names the whole resource: its value must be an object"
                ))),
            },
            Target::Extension(urn) => self.extension(res, op, urn, value),
            Target::Attr(target) => self.on_attribute(res, &target, op, value),
        }
    }

    /// `op` on an attribute: through its value filter, on a sub-attribute of every value, or
    /// on the attribute itself.
    fn on_attribute(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        op: OpKind,
        value: Option<Value>,
    ) -> Result<(), PatchError> {
        // Only a remove of the attribute itself reads its value (Entra's list of members).
        let narrowed = t.filter.is_some() || t.sub.is_some();
        let value = if op == OpKind::Remove && narrowed {
            None
        } else {
            value
        };
        if let Some(filter) = t.filter {
            return self.through_filter(res, t, filter, op, value);
        }
        if let Some(sub) = &t.sub {
            return self.set_sub(res, t, sub, value.unwrap_or(Value::Null));
        }
        match op {
            OpKind::Add => self.add(res, t, value.unwrap_or(Value::Null)),
            OpKind::Replace => self.replace(res, t, value.unwrap_or(Value::Null)),
            OpKind::Remove => self.remove(res, t, value),
        }
    }

    /// An operation on a whole extension object: remove it, or add / replace its attributes.
    fn extension(
        &mut self,
        res: &mut Object,
        op: OpKind,
        urn: String,
        value: Option<Value>,
    ) -> Result<(), PatchError> {
        match (op, value) {
            (OpKind::Remove, _) | (OpKind::Replace, Some(Value::Null)) => {
                let s = self.journal.slot(Slot {
                    container: Container::Root,
                    key: urn,
                });
                self.journal.set(res, s, None)
            }
            (OpKind::Add, Some(Value::Null)) => Ok(()),
            (_, Some(Value::Object(attributes))) => {
                for (name, value) in attributes {
                    // scim2-models writes the extension's own `schemas` into the object: it
                    // names no attribute.
                    if name.eq_ignore_ascii_case("schemas") {
                        continue;
                    }
                    let text = format!("{urn}:{name}");
                    let path =
                        PatchPath::parse(&text).map_err(|e| PatchError::bad_path(&text, &e))?;
                    self.at_path(res, op, &path, Some(value))?;
                }
                Ok(())
            }
            _ => Err(PatchError::value(format!(
                "the value for the extension \"{urn}\" must be an object of its attributes"
            ))),
        }
    }

    fn resolve<'p>(&mut self, res: &Object, path: &'p PatchPath) -> Result<Target<'p>, PatchError> {
        let attr = &path.attr;
        if path.filter.is_none()
            && let Some(urn) = attr.urn()
        {
            match self.lookup().schema_kind(&urn) {
                Some(SchemaKind::Core) => return Ok(Target::Root),
                Some(SchemaKind::Extension) => {
                    return Ok(Target::Extension(key_in(res, &urn).to_owned()));
                }
                None => {}
            }
        }
        let schema = attr.schema.as_deref();
        let lookup = &self.patcher.lookup;
        let info = lookup.attribute(schema, &attr.name);
        if info.is_none() && self.patcher.reject_unknown {
            let name = match schema {
                Some(schema) => format!("{schema}:{}", attr.name),
                None => attr.name.clone(),
            };
            return Err(PatchError::path(format!(
                "\"{name}\" is not an attribute of this resource"
            )));
        }
        let container = match (info.and_then(|i| i.extension), schema) {
            (Some(urn), _) => Container::Extension(key_in(res, urn).to_owned()),
            (None, Some(schema))
                if info.is_none() && lookup.schema_kind(schema) != Some(SchemaKind::Core) =>
            {
                Container::Extension(key_in(res, schema).to_owned())
            }
            _ => Container::Root,
        };
        let name = info.map_or(attr.name.as_str(), |i| i.name);
        let key = match self::container(res, &container) {
            Some(map) => key_in(map, name).to_owned(),
            None => name.to_owned(),
        };
        let sub_name = |sub: &str| -> Result<String, PatchError> {
            let info = lookup.sub_attribute(schema, &attr.name, sub);
            if info.is_none() && self.patcher.reject_unknown {
                return Err(PatchError::path(format!(
                    "\"{sub}\" is not a sub-attribute of \"{}\"",
                    attr.name
                )));
            }
            Ok(info.map_or(sub, |i| i.name).to_owned())
        };
        let sub = attr.sub_attr.as_deref().map(sub_name).transpose()?;
        let filter_sub = path.sub_attr.as_deref().map(sub_name).transpose()?;
        let (kind, multi_valued) = (info.map(|i| i.kind), info.map(|i| i.multi_valued));
        let s = self.journal.slot(Slot { container, key });
        Ok(Target::Attr(AttrTarget {
            path: attr,
            s,
            kind,
            multi_valued,
            sub,
            filter: path.filter.as_ref(),
            filter_sub,
        }))
    }

    fn get<'r>(&self, res: &'r Object, t: &AttrTarget<'_>) -> Option<&'r Value> {
        self.journal.get(res, t.s)
    }
}
