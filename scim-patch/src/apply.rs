//! Applying a request to a resource (RFC 7644 §3.5.2.1-3), guided by an [`AttributeLookup`].

use std::collections::HashSet;

use scim_filter::{
    AttrPath, AttrType, AttributeLookup, CompValue, CompareOp, Evaluator, Filter, NoSchema,
    PatchPath, SchemaKind, string_boolean,
};
use serde_json::{Map, Value};

use crate::compat::PatchCompat;
use crate::error::PatchError;
use crate::journal::{Container, Journal, Slot, container, key_in};
use crate::request::{OpKind, PatchOperation, PatchRequest};
use crate::{FewIds, Outcome, member_id};

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

    /// `add` to the attribute itself.
    fn add(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        value: Value,
    ) -> Result<(), PatchError> {
        if value.is_null() {
            return Ok(()); // nothing to add
        }
        let existing = self.get(res, t);
        if Self::is_multi_valued(t, existing, &value) {
            let elements = self.elements(t, existing, value);
            return self.append(res, t, elements);
        }
        self.set_or_merge(res, t, value)
    }

    /// `replace` of the attribute itself.
    fn replace(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        value: Value,
    ) -> Result<(), PatchError> {
        let existing = self.get(res, t);
        if Self::is_multi_valued(t, existing, &value) {
            let elements = self.elements(t, existing, value);
            let new = (!elements.is_empty()).then_some(Value::Array(elements));
            return self.journal.set(res, t.s, new);
        }
        self.set_or_merge(res, t, value)
    }

    /// `remove` of the attribute itself; `value` is Entra's list of members to remove.
    fn remove(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        value: Option<Value>,
    ) -> Result<(), PatchError> {
        match value {
            Some(listed)
                if self.compat().remove_by_value_list
                    && !listed.is_null()
                    && matches!(self.get(res, t), Some(Value::Array(_))) =>
            {
                self.remove_listed(res, t, listed)
            }
            _ => self.journal.set(res, t.s, None),
        }
    }

    /// Entra's `remove` of `members` with a value list: removes the listed elements only.
    fn remove_listed(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        listed: Value,
    ) -> Result<(), PatchError> {
        let listed = match listed {
            Value::Array(items) => items,
            item => vec![item],
        };
        let listed_ids: Vec<&str> = listed.iter().filter_map(member_id).collect();
        self.journal
            .remove_elements(res, t.s, |_, element| match member_id(element) {
                Some(id) if !listed_ids.is_empty() => listed_ids.contains(&id),
                _ => listed.contains(element),
            })
    }

    /// Sets (or with `null`, removes) a sub-attribute of the attribute's value: of the object,
    /// or of every element of the array.
    fn set_sub(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        sub: &str,
        value: Value,
    ) -> Result<(), PatchError> {
        let value = self.normalize_sub(t.path, sub, value);
        match self.get(res, t) {
            None if value.is_null() => Ok(()),
            None => {
                let object = single(sub, value);
                let new = if t.multi_valued == Some(true) {
                    Value::Array(vec![object])
                } else {
                    object
                };
                self.journal.set(res, t.s, Some(new))
            }
            Some(Value::Object(_)) => {
                self.journal.set_member(res, t.s, None, sub, value);
                Ok(())
            }
            Some(Value::Array(elements)) => {
                let len = elements.len();
                if len == 0 {
                    if !value.is_null() {
                        self.journal.append(res, t.s, vec![single(sub, value)]);
                    }
                    return Ok(());
                }
                for index in 0..len {
                    self.journal
                        .set_member(res, t.s, Some(index), sub, value.clone());
                }
                Ok(())
            }
            Some(other) => Err(PatchError::path(format!(
                "\"{}.{sub}\" names a sub-attribute, but \"{}\" is {}",
                t.name(),
                t.name(),
                describe(other)
            ))),
        }
    }

    /// Merges an object into the complex value at the slot, or sets the whole value. For
    /// `replace` as for `add`, sub-attributes not in the value are left unchanged (RFC 7644
    /// §3.5.2.3), except that a value naming another resource (a `manager` with another
    /// `value`) replaces the old one whole, so that no stale `displayName` or `$ref` survives.
    fn set_or_merge(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        value: Value,
    ) -> Result<(), PatchError> {
        let existing = self.get(res, t);
        match (existing, self.shape_single(t, existing, value)) {
            (Some(old @ Value::Object(_)), Value::Object(subs))
                if !matches!((member_id(old), subs.get("value").and_then(Value::as_str)),
                    (Some(a), Some(b)) if a != b) =>
            {
                self.merge(res, t, None, subs);
                Ok(())
            }
            (existing, value) => {
                let new = self.normalize(t, existing, value);
                self.journal.set(res, t.s, new)
            }
        }
    }

    /// What a value for a single-valued attribute stands for: a one-element list is its
    /// element (Entra's older manager form, `[{"value": ...}]`), and with
    /// `complex_from_string` a bare string for a complex attribute is `{"value": ...}`, the
    /// empty string `null`.
    fn shape_single(&self, t: &AttrTarget<'_>, existing: Option<&Value>, value: Value) -> Value {
        let value = match value {
            Value::Array(mut items) if items.len() == 1 => items.pop().expect("one element"),
            other => other,
        };
        let complex = t.kind == Some(AttrType::Complex)
            || (t.kind.is_none() && matches!(existing, Some(Value::Object(_))));
        match value {
            Value::String(s) if complex && self.compat().complex_from_string => {
                if s.is_empty() {
                    Value::Null
                } else {
                    value_object(s)
                }
            }
            other => other,
        }
    }

    /// Merges sub-attributes into the complex value at the slot or its element `element`
    /// (`null` removes one).
    fn merge(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        element: Option<usize>,
        subs: Object,
    ) {
        for (sub, value) in subs {
            let value = self.normalize_sub(t.path, &sub, value);
            self.journal.set_member(res, t.s, element, &sub, value);
        }
    }

    /// Appends the elements that are not already there.
    fn append(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        elements: Vec<Value>,
    ) -> Result<(), PatchError> {
        let members = self.journal.place(t.s).key.eq_ignore_ascii_case("members");
        let existing: &[Value] = match self.get(res, t) {
            Some(Value::Array(existing)) => existing,
            None => &[],
            // A single value where a list belongs: the list starts with it.
            Some(single) => {
                let list = Value::Array(vec![single.clone()]);
                self.journal.set(res, t.s, Some(list))?;
                return self.append(res, t, elements);
            }
        };
        let mut new: Vec<Value> = Vec::new();
        if members && elements.len() > 1 {
            // Several members: drop the repeats among them, then make one pass over the group,
            // comparing each member with the few new ids (through a set when they are many).
            let mut unique: Vec<Value> = Vec::with_capacity(elements.len());
            for element in elements {
                if !contains(&unique, &element, true) {
                    unique.push(element);
                }
            }
            let present: Vec<bool> = {
                let ids: Vec<Option<&str>> = unique.iter().map(member_id).collect();
                let mut present = vec![false; unique.len()];
                if ids.len() <= 16 {
                    let wanted: Vec<&str> = ids.iter().flatten().copied().collect();
                    let wanted_ids = FewIds::new(wanted.iter().copied());
                    for id in existing.iter().filter_map(member_id) {
                        if let Some(w) = wanted_ids.position(id) {
                            for (p, new_id) in present.iter_mut().zip(&ids) {
                                *p |= *new_id == Some(wanted[w]);
                            }
                        }
                    }
                } else {
                    let set: HashSet<&str> = existing.iter().filter_map(member_id).collect();
                    for (p, new_id) in present.iter_mut().zip(&ids) {
                        *p = new_id.is_some_and(|id| set.contains(id));
                    }
                }
                // Values without an id are compared whole.
                for (p, (id, element)) in present.iter_mut().zip(ids.iter().zip(&unique)) {
                    if id.is_none() {
                        *p = existing.contains(element);
                    }
                }
                present
            };
            new = unique
                .into_iter()
                .zip(present)
                .filter_map(|(element, present)| (!present).then_some(element))
                .collect();
        } else {
            for element in elements {
                if !contains(existing, &element, members) && !contains(&new, &element, members) {
                    new.push(element);
                }
            }
        }
        if new.is_empty() {
            return Ok(());
        }
        let len = existing.len();
        let written: Vec<usize> = (len..len + new.len()).collect();
        if len == 0 && self.get(res, t).is_none() {
            self.journal.set(res, t.s, Some(Value::Array(new)))?;
        } else {
            self.journal.append(res, t.s, new);
        }
        self.keep_one_primary(res, t, &written);
        Ok(())
    }

    /// `name[filter]` and `name[filter].sub`: the elements the filter matches.
    fn through_filter(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        filter: &Filter,
        op: OpKind,
        value: Option<Value>,
    ) -> Result<(), PatchError> {
        let evaluator =
            Evaluator::new(self.lookup()).string_booleans(self.compat().string_booleans);
        let matches = |element: &Value| evaluator.matches_element(t.path, filter, element);
        let matched: Vec<usize> = match self.get(res, t) {
            Some(Value::Array(elements)) => (0..elements.len())
                .filter(|&i| matches(&elements[i]))
                .collect(),
            // A single complex value is filtered as a list of one (`manager[value eq "x"]`).
            Some(single @ Value::Object(_)) => {
                if matches(single) {
                    return self.on_single(res, t, op, value);
                }
                Vec::new()
            }
            Some(other) => {
                return Err(PatchError::path(format!(
                    "\"{}[{filter}]\" filters the values of \"{}\", but it is {}",
                    t.name(),
                    t.name(),
                    describe(other)
                )));
            }
            None => Vec::new(),
        };
        if let (Some(sub), Some(Value::Array(elements))) = (&t.filter_sub, self.get(res, t))
            && let Some(&i) = matched.iter().find(|&&i| !elements[i].is_object())
        {
            return Err(PatchError::path(format!(
                "\"{}[{filter}].{sub}\" names a sub-attribute, but a matching value of \"{}\" is {}",
                t.name(),
                t.name(),
                describe(&elements[i])
            )));
        }
        if op == OpKind::Remove {
            return match &t.filter_sub {
                Some(sub) => {
                    for &index in &matched {
                        self.journal
                            .set_member(res, t.s, Some(index), sub, Value::Null);
                    }
                    Ok(())
                }
                None => self
                    .journal
                    .remove_elements(res, t.s, |i, _| matched.binary_search(&i).is_ok()),
            };
        }
        let value = value.unwrap_or(Value::Null);
        if matched.is_empty() {
            return self.create_element(res, t, filter, value);
        }
        match &t.filter_sub {
            Some(sub) => {
                let value = self.normalize_sub(t.path, sub, value);
                for &index in &matched {
                    self.journal
                        .set_member(res, t.s, Some(index), sub, value.clone());
                }
            }
            None => {
                let scalars =
                    matches!(self.get(res, t), Some(Value::Array(e)) if !e[matched[0]].is_object());
                let value = if scalars {
                    value
                } else {
                    self.element(t, value)?
                };
                for &index in &matched {
                    match (op, &value) {
                        (OpKind::Add, Value::Object(subs)) => {
                            self.merge(res, t, Some(index), subs.clone());
                        }
                        _ => self.journal.replace_element(res, t.s, index, value.clone()),
                    }
                }
            }
        }
        self.keep_one_primary(res, t, &matched);
        Ok(())
    }

    /// A value filter over a single complex value that matched it.
    fn on_single(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        op: OpKind,
        value: Option<Value>,
    ) -> Result<(), PatchError> {
        let target = AttrTarget {
            sub: t.filter_sub.clone(),
            filter: None,
            filter_sub: None,
            ..t.clone()
        };
        self.on_attribute(res, &target, op, value)
    }

    /// `add` / `replace` through a filter that matched nothing: Entra's way of creating an
    /// element (`emails[type eq "work"].value`), when the policy allows it.
    fn create_element(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        filter: &Filter,
        value: Value,
    ) -> Result<(), PatchError> {
        let no_match = || format!("no value of \"{}\" matches {filter}", t.name());
        if !self.compat().create_missing_elements {
            return Err(PatchError::no_target(no_match()));
        }
        if value.is_null() {
            return Ok(());
        }
        let mut element = self.element_from_filter(t, filter).ok_or_else(|| {
            PatchError::no_target(format!(
                "{}, and a new one cannot be made from the filter: only \"eq\" conditions joined by \"and\" describe one",
                no_match()
            ))
        })?;
        match &t.filter_sub {
            Some(sub) => {
                let value = self.normalize_sub(t.path, sub, value);
                set_or_remove(&mut element, sub, value);
            }
            None => match self.element(t, value)? {
                Value::Object(subs) => {
                    for (sub, value) in subs {
                        set_or_remove(&mut element, &sub, value);
                    }
                }
                _ => unreachable!("element() returns objects for complex values"),
            },
        }
        let element = Value::Object(element);
        let single = match t.multi_valued {
            Some(multi) => !multi,
            None => matches!(self.get(res, t), Some(Value::Object(_))),
        };
        if single {
            return self.journal.set(res, t.s, Some(element));
        }
        self.append(res, t, vec![element])
    }

    /// The element a conjunction of `eq` terms describes, e.g. `{"type": "work"}`.
    fn element_from_filter(&self, t: &AttrTarget<'_>, filter: &Filter) -> Option<Object> {
        let terms = match filter {
            Filter::And(parts) => parts.as_slice(),
            single => std::slice::from_ref(single),
        };
        let mut element = Map::new();
        for term in terms {
            let Filter::Compare {
                attr,
                op: CompareOp::Eq,
                value,
            } = term
            else {
                return None;
            };
            if attr.schema.is_some() || attr.sub_attr.is_some() {
                return None;
            }
            let value = match value {
                CompValue::Null => continue,
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::String(s) => Value::String(s.clone()),
            };
            let info =
                self.lookup()
                    .sub_attribute(t.path.schema.as_deref(), &t.path.name, &attr.name);
            let name = info.map_or(attr.name.as_str(), |i| i.name);
            let value = self.normalize_sub(t.path, name, value);
            element.insert(name.to_owned(), value);
        }
        Some(element)
    }

    /// After elements at `written` were written: if one of them is now primary, no other
    /// element is (RFC 7643 §2.4: "primary" is true for at most one value).
    fn keep_one_primary(&mut self, res: &mut Object, t: &AttrTarget<'_>, written: &[usize]) {
        let Some(Value::Array(elements)) = self.get(res, t) else {
            return;
        };
        let Some(&keep) = written.iter().rev().find(|&&i| is_primary(&elements[i])) else {
            return;
        };
        let others: Vec<usize> = (0..elements.len())
            .filter(|&i| i != keep && is_primary(&elements[i]))
            .collect();
        for index in others {
            self.journal
                .set_member(res, t.s, Some(index), "primary", Value::Bool(false));
        }
    }

    /// Whether the attribute takes a list of values.
    fn is_multi_valued(t: &AttrTarget<'_>, existing: Option<&Value>, value: &Value) -> bool {
        match t.multi_valued {
            Some(multi) => multi,
            None => match existing {
                Some(existing) => existing.is_array(),
                None => value.is_array(),
            },
        }
    }

    /// The elements of a value for a multi-valued attribute, normalized; `null`s dropped.
    fn elements(&self, t: &AttrTarget<'_>, existing: Option<&Value>, value: Value) -> Vec<Value> {
        let values = match value {
            Value::Array(values) => values,
            Value::Null => Vec::new(),
            single => vec![single],
        };
        let complex = t.kind == Some(AttrType::Complex)
            || existing
                .and_then(Value::as_array)
                .and_then(|e| e.first())
                .is_some_and(Value::is_object);
        values
            .into_iter()
            .filter(|v| !v.is_null())
            .map(|v| match v {
                Value::String(s) if complex && self.compat().complex_from_string => value_object(s),
                Value::Object(object) => self.normalize_object(t.path, object),
                other => other,
            })
            .collect()
    }

    /// One value for the elements of a complex attribute: an object, normalized.
    fn element(&self, t: &AttrTarget<'_>, value: Value) -> Result<Value, PatchError> {
        match value {
            Value::Object(object) => Ok(self.normalize_object(t.path, object)),
            Value::String(s) if self.compat().complex_from_string => Ok(value_object(s)),
            other => Err(PatchError::value(format!(
                "a value of \"{}\" must be an object of its sub-attributes, not {}",
                t.name(),
                describe(&other)
            ))),
        }
    }

    /// A value for a single-valued attribute, normalized; `None` unassigns it.
    fn normalize(
        &self,
        t: &AttrTarget<'_>,
        existing: Option<&Value>,
        value: Value,
    ) -> Option<Value> {
        match value {
            Value::Null => None,
            Value::String(s) => {
                let boolean = t.kind == Some(AttrType::Boolean)
                    || (t.kind.is_none() && matches!(existing, Some(Value::Bool(_))));
                match string_boolean(&s) {
                    Some(b) if boolean && self.compat().string_booleans => Some(Value::Bool(b)),
                    _ => Some(Value::String(s)),
                }
            }
            Value::Object(object) => Some(self.normalize_object(t.path, object)),
            other => Some(other),
        }
    }

    /// A complex value: `null` sub-attributes (unassigned, such as Entra's `"$ref": null`)
    /// dropped, string booleans read.
    fn normalize_object(&self, parent: &AttrPath, object: Object) -> Value {
        Value::Object(
            object
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| {
                    let v = self.normalize_sub(parent, &k, v);
                    (k, v)
                })
                .collect(),
        )
    }

    /// A sub-attribute's value, with string booleans read when the policy says so. Without a
    /// schema, `primary` is known to be boolean (RFC 7643 §2.4).
    fn normalize_sub(&self, parent: &AttrPath, sub: &str, value: Value) -> Value {
        let Value::String(s) = &value else {
            return value;
        };
        if !self.compat().string_booleans {
            return value;
        }
        let boolean = match self
            .lookup()
            .sub_attribute(parent.schema.as_deref(), &parent.name, sub)
        {
            Some(info) => info.kind == AttrType::Boolean,
            None => sub.eq_ignore_ascii_case("primary"),
        };
        match string_boolean(s) {
            Some(b) if boolean => Value::Bool(b),
            _ => value,
        }
    }
}

/// `{sub: value}`.
fn single(sub: &str, value: Value) -> Value {
    let mut object = Map::new();
    object.insert(sub.to_owned(), value);
    Value::Object(object)
}

/// Sets `sub` (matched in any case) of `object` to `value`, or removes it for `null`.
fn set_or_remove(object: &mut Object, sub: &str, value: Value) {
    let key = key_in(object, sub).to_owned();
    if value.is_null() {
        object.shift_remove(&key);
    } else {
        object.insert(key, value);
    }
}

/// Whether `list` holds `element`: the same member id for group members, else an equal value.
fn contains(list: &[Value], element: &Value, members: bool) -> bool {
    match member_id(element) {
        Some(id) if members => list.iter().any(|e| member_id(e) == Some(id)),
        _ => list.contains(element),
    }
}

fn is_primary(element: &Value) -> bool {
    element
        .as_object()
        .and_then(|o| o.get(key_in(o, "primary")))
        == Some(&Value::Bool(true))
}

fn value_object(value: String) -> Value {
    let mut object = Map::new();
    object.insert("value".to_owned(), Value::String(value));
    Value::Object(object)
}

/// "a string", "an array"...: for messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_compares_members_by_id_and_others_by_value() {
        let members = [serde_json::json!({"value": "a", "display": "A"})];
        assert!(contains(&members, &serde_json::json!({"value": "a"}), true));
        assert!(!contains(
            &members,
            &serde_json::json!({"value": "a"}),
            false
        ));
        assert!(contains(
            &members,
            &serde_json::json!({"display": "A", "value": "a"}),
            false
        ));
    }
}
