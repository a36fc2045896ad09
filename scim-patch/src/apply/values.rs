//! What `add`, `replace` and `remove` write into an attribute: set, merge, append (without
//! duplicating values), remove, remove listed elements.

use std::collections::HashSet;

use scim_filter::{AttrType, AttributeLookup};
use serde_json::Value;

use super::shape::{contains, describe, single, value_object};
use super::{AttrTarget, Object, Run};
use crate::error::PatchError;
use crate::{FewIds, member_id};

impl<L: AttributeLookup> Run<'_, L> {
    /// `add` to the attribute itself.
    pub(super) fn add(
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
    pub(super) fn replace(
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
    pub(super) fn remove(
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
    pub(super) fn remove_listed(
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
    pub(super) fn set_sub(
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
    pub(super) fn set_or_merge(
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
    pub(super) fn shape_single(
        &self,
        t: &AttrTarget<'_>,
        existing: Option<&Value>,
        value: Value,
    ) -> Value {
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
    pub(super) fn merge(
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
    pub(super) fn append(
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
}
