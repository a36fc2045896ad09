//! Operations through a value filter (`emails[type eq "work"].value`): the elements it
//! selects, an element created from the filter where the policy allows, one primary kept.

use scim_filter::{AttributeLookup, CompValue, CompareOp, Evaluator, Filter};
use serde_json::{Map, Value};

use super::shape::{describe, is_primary, set_or_remove};
use super::{AttrTarget, Object, Run};
use crate::error::PatchError;
use crate::request::OpKind;

impl<L: AttributeLookup> Run<'_, L> {
    /// `name[filter]` and `name[filter].sub`: the elements the filter matches.
    pub(super) fn through_filter(
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
    pub(super) fn on_single(
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
    pub(super) fn create_element(
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
    pub(super) fn element_from_filter(
        &self,
        t: &AttrTarget<'_>,
        filter: &Filter,
    ) -> Option<Object> {
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
    pub(super) fn keep_one_primary(
        &mut self,
        res: &mut Object,
        t: &AttrTarget<'_>,
        written: &[usize],
    ) {
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
}
