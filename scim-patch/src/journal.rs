//! Every write to the resource, recorded so that a request is atomic, and what it changed.
//!
//! Each write moves the value it overwrites into the undo log (nothing is ever copied), so a
//! failed request is put back exactly as it was, keys in their places:
//!
//! - a whole attribute set or removed: the old value, with its position in its container;
//! - a member of a complex value or of one element set or removed: the old member;
//! - an element replaced: the old element;
//! - elements appended: the array's length before the first append;
//! - elements removed: each element, with its index.
//!
//! So adding a member to a group of 100,000 costs no copy of the group, and neither does
//! removing one or editing one element. Undo replays the log backwards; each entry restores
//! the state just before it. A write that changes something marks its attribute changed.

use serde_json::{Map, Value};

use crate::error::PatchError;
use crate::membership::MemberLog;
use crate::{Outcome, member_id};

type Object = Map<String, Value>;

/// Where a top-level attribute lives: at the resource's top level or in an extension object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Container {
    Root,
    /// The extension's key in the resource.
    Extension(String),
}

/// A top-level attribute's place: its container and its key there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slot {
    pub(crate) container: Container,
    pub(crate) key: String,
}

impl Slot {
    fn root(key: String) -> Self {
        Self {
            container: Container::Root,
            key,
        }
    }

    /// The attribute's name for [`Outcome::changed_attributes`].
    fn name(&self) -> String {
        match &self.container {
            Container::Root => self.key.clone(),
            Container::Extension(urn) => format!("{urn}:{}", self.key),
        }
    }

    /// Whether this is a group's `members`.
    fn is_members(&self) -> bool {
        self.container == Container::Root && self.key.eq_ignore_ascii_case("members")
    }
}

/// The container `container` of `resource`, if present and an object.
pub(crate) fn container<'r>(resource: &'r Object, container: &Container) -> Option<&'r Object> {
    match container {
        Container::Root => Some(resource),
        Container::Extension(urn) => resource.get(urn)?.as_object(),
    }
}

fn container_mut<'r>(resource: &'r mut Object, container: &Container) -> Option<&'r mut Object> {
    match container {
        Container::Root => Some(resource),
        Container::Extension(urn) => resource.get_mut(urn)?.as_object_mut(),
    }
}

/// The key of `map` that matches `name` in any case, or `name` itself if none does. Small
/// maps are scanned rather than hashed.
pub(crate) fn key_in<'m>(map: &'m Object, name: &'m str) -> &'m str {
    if map.len() > 8 && map.contains_key(name) {
        return name;
    }
    let mut folded = None;
    for k in map.keys() {
        if k == name {
            return k;
        }
        if folded.is_none() && k.eq_ignore_ascii_case(name) {
            folded = Some(k.as_str());
        }
    }
    folded.unwrap_or(name)
}

/// Position of `key` among `map`'s keys, for putting it back where it was.
fn position(map: &Object, key: &str) -> usize {
    map.keys().position(|k| k == key).unwrap_or(map.len())
}

/// Sets `key` of `map` to `value` (`null` removes it), matching an existing key in any case.
/// Returns the key used, the old value and the old key's position if it was removed.
fn write_member(map: &mut Object, key: &str, value: Value) -> (String, Option<Value>, usize) {
    let key = key_in(map, key).to_owned();
    if value.is_null() {
        let position = position(map, &key);
        let old = map.shift_remove(&key);
        return (key, old, position);
    }
    let old = match map.get_mut(&key) {
        Some(slot) => Some(std::mem::replace(slot, value)),
        None => {
            map.insert(key.clone(), value);
            None
        }
    };
    (key, old, 0)
}

enum Undo {
    /// The value at slot `s` was `old` (`None`: nothing), at `position` in its container.
    Whole {
        s: usize,
        old: Option<Value>,
        position: usize,
    },
    /// In the object at slot `s`, or in its element `element`, `key` was `old` at `position`.
    Member {
        s: usize,
        element: Option<usize>,
        key: String,
        old: Option<Value>,
        position: usize,
    },
    /// Element `index` of the array at slot `s` was `old`.
    Element { s: usize, index: usize, old: Value },
    /// The array at slot `s` had `len` elements.
    Truncate { s: usize, len: usize },
    /// `element` was removed from `index` of the array at slot `s`.
    Reinsert {
        s: usize,
        index: usize,
        element: Value,
    },
}

/// A slot the request wrote to, and what it did there.
struct Touched {
    slot: Slot,
    changed: bool,
    /// How many writes the request made to the slot.
    writes: u32,
    /// Whether to report the slot (not for an extension object created implicitly).
    report: bool,
    /// Whether a `Truncate` or `Whole` entry already covers appends to the slot.
    appends_covered: bool,
}

/// The undo log and change record of one request.
#[derive(Default)]
pub(crate) struct Journal {
    touched: Vec<Touched>,
    undo: Vec<Undo>,
    /// Membership changes.
    members: MemberLog,
}

impl Journal {
    /// The index of `slot` in this journal, registering it on first use.
    pub(crate) fn slot(&mut self, slot: Slot) -> usize {
        if let Some(s) = self.touched.iter().position(|t| t.slot == slot) {
            return s;
        }
        self.touched.push(Touched {
            slot,
            changed: false,
            writes: 0,
            report: true,
            appends_covered: false,
        });
        self.touched.len() - 1
    }

    /// The place slot `s` stands for.
    pub(crate) fn place(&self, s: usize) -> &Slot {
        &self.touched[s].slot
    }

    /// The value at slot `s`, if any.
    pub(crate) fn get<'r>(&self, resource: &'r Object, s: usize) -> Option<&'r Value> {
        slot_ref(resource, &self.touched[s].slot)
    }

    fn get_mut<'r>(&self, resource: &'r mut Object, s: usize) -> Option<&'r mut Value> {
        slot_mut(resource, &self.touched[s].slot)
    }

    /// The object at slot `s`, or its element `element`.
    fn object_mut<'r>(
        &self,
        resource: &'r mut Object,
        s: usize,
        element: Option<usize>,
    ) -> Option<&'r mut Object> {
        match (self.get_mut(resource, s)?, element) {
            (Value::Object(object), None) => Some(object),
            (Value::Array(elements), Some(index)) => elements.get_mut(index)?.as_object_mut(),
            _ => None,
        }
    }

    fn mark(&mut self, s: usize, changed: bool) {
        self.touched[s].changed |= changed;
        self.touched[s].writes += 1;
    }

    fn is_members(&self, s: usize) -> bool {
        self.touched[s].slot.is_members()
    }

    /// Sets (`Some`) or removes (`None`) the whole value at slot `s`, creating the extension
    /// object it lives in if needed.
    pub(crate) fn set(
        &mut self,
        resource: &mut Object,
        s: usize,
        new: Option<Value>,
    ) -> Result<(), PatchError> {
        if let Container::Extension(urn) = &self.touched[s].slot.container {
            match resource.get(urn) {
                Some(Value::Object(_)) => {}
                Some(_) => {
                    return Err(PatchError::value(format!(
                        "the resource's \"{urn}\" is not an object"
                    )));
                }
                None if new.is_none() => return Ok(()),
                None => {
                    // Created implicitly: reported through the attributes written into it,
                    // not by itself (unless the request also wrote it as a whole).
                    let created = Slot::root(urn.clone());
                    let known = self.touched.iter().any(|t| t.slot == created);
                    let c = self.slot(created);
                    self.set(resource, c, Some(Value::Object(Map::new())))?;
                    if !known {
                        self.touched[c].report = false;
                    }
                }
            }
        }
        let slot = &self.touched[s].slot;
        let map = container_mut(resource, &slot.container).expect("the container exists");
        let (old, position) = match new {
            Some(value) => match map.get_mut(&slot.key) {
                Some(current) => (Some(std::mem::replace(current, value)), 0),
                None => {
                    map.insert(slot.key.clone(), value);
                    (None, 0)
                }
            },
            None => {
                let position = position(map, &slot.key);
                match map.shift_remove(&slot.key) {
                    Some(old) => (Some(old), position),
                    None => return Ok(()),
                }
            }
        };
        let new = map.get(&slot.key);
        let changed = old.as_ref() != new;
        if changed && self.is_members(s) {
            let new = new.and_then(Value::as_array).into_iter().flatten();
            let new_ids = new.filter_map(member_id).map(str::to_owned);
            self.members.replaced(self.undo.len(), new_ids);
        }
        self.mark(s, changed);
        self.touched[s].appends_covered = true;
        self.undo.push(Undo::Whole { s, old, position });
        Ok(())
    }

    /// Sets `key` (matched in any case; `null` removes it) of the complex value at slot `s`,
    /// or of its element `element`. Does nothing if there is no such object.
    pub(crate) fn set_member(
        &mut self,
        resource: &mut Object,
        s: usize,
        element: Option<usize>,
        key: &str,
        value: Value,
    ) {
        let Some(object) = self.object_mut(resource, s, element) else {
            return;
        };
        if value.is_null() && !object.keys().any(|k| k.eq_ignore_ascii_case(key)) {
            return;
        }
        let (key, old, position) = write_member(object, key, value);
        let new = object.get(&key);
        let changed = old.as_ref() != new;
        if changed && element.is_some() && key == "value" && self.is_members(s) {
            // A member's id changed: one member out, another in.
            if let Some(new) = new.and_then(Value::as_str) {
                self.members.added(new.to_owned());
            }
            self.members.removed(self.undo.len());
        }
        self.mark(s, changed);
        self.undo.push(Undo::Member {
            s,
            element,
            key,
            old,
            position,
        });
    }

    /// Replaces element `index` of the array at slot `s` with `new`.
    pub(crate) fn replace_element(
        &mut self,
        resource: &mut Object,
        s: usize,
        index: usize,
        new: Value,
    ) {
        let Some(Value::Array(elements)) = self.get_mut(resource, s) else {
            return;
        };
        let old = std::mem::replace(&mut elements[index], new);
        let new = &elements[index];
        let changed = &old != new;
        if changed && self.is_members(s) {
            if let Some(new) = member_id(new) {
                self.members.added(new.to_owned());
            }
            self.members.removed(self.undo.len());
        }
        self.mark(s, changed);
        self.undo.push(Undo::Element { s, index, old });
    }

    /// Appends `new` to the array at slot `s`, which must exist.
    pub(crate) fn append(&mut self, resource: &mut Object, s: usize, new: Vec<Value>) {
        if new.is_empty() {
            return;
        }
        let Some(Value::Array(elements)) = self.get_mut(resource, s) else {
            unreachable!("append needs an array")
        };
        let len = elements.len();
        elements.extend(new);
        if self.is_members(s) {
            for id in elements[len..].iter().filter_map(member_id) {
                self.members.added(id.to_owned());
            }
        }
        self.mark(s, true);
        if !self.touched[s].appends_covered {
            self.touched[s].appends_covered = true;
            self.undo.push(Undo::Truncate { s, len });
        }
    }

    /// Removes, in one pass, the elements of the array at slot `s` for which
    /// `matches(index, element)` holds, and the attribute itself if none are left.
    pub(crate) fn remove_elements(
        &mut self,
        resource: &mut Object,
        s: usize,
        matches: impl Fn(usize, &Value) -> bool,
    ) -> Result<(), PatchError> {
        let Some(Value::Array(elements)) = self.get_mut(resource, s) else {
            return Ok(());
        };
        if !elements.iter().enumerate().any(|(i, e)| matches(i, e)) {
            return Ok(());
        }
        let mut removed = Vec::new();
        for (index, element) in std::mem::take(elements).into_iter().enumerate() {
            if matches(index, &element) {
                removed.push((index, element));
            } else {
                elements.push(element);
            }
        }
        let now_empty = elements.is_empty();
        let members = self.is_members(s);
        self.mark(s, true);
        // Undo reinserts in ascending order, so the entries go in descending order.
        for (index, element) in removed.into_iter().rev() {
            if members {
                self.members.removed(self.undo.len());
            }
            self.undo.push(Undo::Reinsert { s, index, element });
        }
        if now_empty {
            self.set(resource, s, None)?;
        }
        Ok(())
    }

    /// Puts the resource back as it was before the request.
    pub(crate) fn rollback(self, resource: &mut Object) {
        let slots = self.touched;
        for entry in self.undo.into_iter().rev() {
            let slot = &slots[entry.slot()].slot;
            match entry {
                Undo::Whole { old, position, .. } => {
                    let Some(map) = container_mut(resource, &slot.container) else {
                        continue;
                    };
                    restore_member(map, slot.key.clone(), old, position);
                }
                Undo::Member {
                    element,
                    key,
                    old,
                    position,
                    ..
                } => {
                    let object = slot_mut(resource, slot).and_then(|v| match (v, element) {
                        (Value::Object(object), None) => Some(object),
                        (Value::Array(elements), Some(i)) => elements.get_mut(i)?.as_object_mut(),
                        _ => None,
                    });
                    if let Some(object) = object {
                        restore_member(object, key, old, position);
                    }
                }
                Undo::Element { index, old, .. } => {
                    if let Some(Value::Array(elements)) = slot_mut(resource, slot) {
                        elements[index] = old;
                    }
                }
                Undo::Truncate { len, .. } => {
                    if let Some(Value::Array(elements)) = slot_mut(resource, slot) {
                        elements.truncate(len);
                    }
                }
                Undo::Reinsert { index, element, .. } => {
                    if let Some(Value::Array(elements)) = slot_mut(resource, slot) {
                        elements.insert(index.min(elements.len()), element);
                    }
                }
            }
        }
    }

    /// What the request changed, `resource` being the result. The outcome takes the values
    /// the request displaced.
    pub(crate) fn outcome(self, resource: &Object) -> Outcome {
        let Self {
            touched,
            undo,
            members,
        } = self;
        // A slot written more than once may have been changed and changed back: rebuild its
        // original from its current value and its own undo entries, and compare. (Large lists
        // are left as reported: a false "changed" only costs a write.)
        let changed_attributes = touched
            .iter()
            .enumerate()
            .filter(|(s, t)| {
                let large =
                    |v: Option<&Value>| v.and_then(Value::as_array).is_some_and(|a| a.len() > 256);
                let recheck = t.writes > 1
                    && !large(slot_ref(resource, &t.slot))
                    && !undo.iter().any(|e| e.slot() == *s && large(e.displaced()));
                t.report
                    && t.changed
                    && (!recheck || {
                        let current = slot_ref(resource, &t.slot);
                        let mut original = current.cloned();
                        for entry in undo.iter().rev().filter(|e| e.slot() == *s) {
                            entry.undo_on(&mut original);
                        }
                        original.as_ref() != current
                    })
            })
            .map(|(_, t)| t.slot.name())
            .collect();
        let displaced: Vec<Value> = undo.into_iter().map(Undo::into_displaced).collect();
        Outcome {
            changed_attributes,
            members,
            displaced,
        }
    }
}

impl Undo {
    fn slot(&self) -> usize {
        match self {
            Self::Whole { s, .. }
            | Self::Member { s, .. }
            | Self::Element { s, .. }
            | Self::Truncate { s, .. }
            | Self::Reinsert { s, .. } => *s,
        }
    }

    /// Undoes this entry on a detached copy of its slot's value.
    fn undo_on(&self, value: &mut Option<Value>) {
        match self {
            Self::Whole { old, .. } => value.clone_from(old),
            Self::Member {
                element,
                key,
                old,
                position,
                ..
            } => {
                let object = match (value.as_mut(), element) {
                    (Some(Value::Object(object)), None) => Some(object),
                    (Some(Value::Array(elements)), Some(i)) => {
                        elements.get_mut(*i).and_then(Value::as_object_mut)
                    }
                    _ => None,
                };
                if let Some(object) = object {
                    restore_member(object, key.clone(), old.clone(), *position);
                }
            }
            Self::Element { index, old, .. } => {
                if let Some(Value::Array(elements)) = value {
                    elements[*index] = old.clone();
                }
            }
            Self::Truncate { len, .. } => {
                if let Some(Value::Array(elements)) = value {
                    elements.truncate(*len);
                }
            }
            Self::Reinsert { index, element, .. } => {
                if let Some(Value::Array(elements)) = value {
                    elements.insert((*index).min(elements.len()), element.clone());
                }
            }
        }
    }

    /// The value this entry displaced, if any.
    fn displaced(&self) -> Option<&Value> {
        match self {
            Self::Whole { old, .. } | Self::Member { old, .. } => old.as_ref(),
            Self::Element { old, .. } => Some(old),
            Self::Reinsert { element, .. } => Some(element),
            Self::Truncate { .. } => None,
        }
    }

    /// The value this entry displaced, `null` if none.
    fn into_displaced(self) -> Value {
        match self {
            Self::Whole { old, .. } | Self::Member { old, .. } => old.unwrap_or_default(),
            Self::Element { old, .. } => old,
            Self::Reinsert { element, .. } => element,
            Self::Truncate { .. } => Value::Null,
        }
    }
}

/// Puts `key` of `object` back to `old` (`None`: absent), at `position` if it must be
/// reinserted.
fn restore_member(object: &mut Object, key: String, old: Option<Value>, position: usize) {
    match old {
        Some(old) if object.contains_key(&key) => {
            object.insert(key, old);
        }
        Some(old) => {
            object.shift_insert(position.min(object.len()), key, old);
        }
        None => {
            object.shift_remove(&key);
        }
    }
}

fn slot_ref<'r>(resource: &'r Object, slot: &Slot) -> Option<&'r Value> {
    container(resource, &slot.container)?.get(&slot.key)
}

fn slot_mut<'r>(resource: &'r mut Object, slot: &Slot) -> Option<&'r mut Value> {
    container_mut(resource, &slot.container)?.get_mut(&slot.key)
}
