//! The undo log that makes a request atomic, and the record of what it changed.
//!
//! Every mutation goes through the journal, which keeps just enough to put the resource back
//! exactly as it was (byte for byte, keys in their places) if a later operation fails:
//!
//! - a whole value set or removed: the old value, moved out (never copied) with its position;
//! - elements appended to an array: the array's length before the first append;
//! - elements removed from an array: each element, moved out, with its index;
//! - anything edited in place (a sub-attribute, a matched element): a copy of the attribute,
//!   made once per request and attribute, before its first in-place edit.
//!
//! So adding a member to a group of 100,000 costs no copy of the group, and neither does
//! removing one. Undo replays the log backwards; each entry restores the state just before it.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::error::PatchError;
use crate::{Outcome, member_id};

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
    pub(crate) fn root(key: impl Into<String>) -> Self {
        Self {
            container: Container::Root,
            key: key.into(),
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
    pub(crate) fn is_members(&self) -> bool {
        self.container == Container::Root && self.key.eq_ignore_ascii_case("members")
    }
}

/// The container `container` of `resource`, if present and an object.
pub(crate) fn container<'r>(
    resource: &'r Map<String, Value>,
    container: &Container,
) -> Option<&'r Map<String, Value>> {
    match container {
        Container::Root => Some(resource),
        Container::Extension(urn) => resource.get(urn)?.as_object(),
    }
}

fn container_mut<'r>(
    resource: &'r mut Map<String, Value>,
    container: &Container,
) -> Option<&'r mut Map<String, Value>> {
    match container {
        Container::Root => Some(resource),
        Container::Extension(urn) => resource.get_mut(urn)?.as_object_mut(),
    }
}

/// The value at `slot`, if any.
pub(crate) fn get<'r>(resource: &'r Map<String, Value>, slot: &Slot) -> Option<&'r Value> {
    container(resource, &slot.container)?.get(&slot.key)
}

/// The value at `slot`, if any, for editing.
pub(crate) fn get_mut<'r>(
    resource: &'r mut Map<String, Value>,
    slot: &Slot,
) -> Option<&'r mut Value> {
    container_mut(resource, &slot.container)?.get_mut(&slot.key)
}

enum Undo {
    /// `slot` held `old` (`None`: nothing) at `position` in its container.
    Restore {
        slot: Slot,
        old: Option<Value>,
        position: usize,
    },
    /// The array at `slot` had `len` elements.
    Truncate { slot: Slot, len: usize },
    /// `element` was removed from `index` of the array at `slot`.
    Reinsert {
        slot: Slot,
        index: usize,
        element: Value,
    },
}

/// What the request did to one slot.
struct Touched {
    slot: Slot,
    /// The first `Restore` entry for the slot: its old value is the slot's value before the
    /// request, or before the first in-place edit if appends or removals came first.
    first_restore: Option<usize>,
    /// Whether a `Truncate` entry already covers appends to the slot.
    truncate: bool,
    /// Whether elements were appended or removed.
    resized: bool,
    /// Whether to report the slot (not for an extension object created implicitly).
    report: bool,
}

/// The undo log and change record of one request.
#[derive(Default)]
pub(crate) struct Journal {
    undo: Vec<Undo>,
    touched: Vec<Touched>,
    /// Membership events in order: (member id, added).
    members: Vec<(String, bool)>,
    /// The `members` slot and its ids before the current operation's first in-place edit.
    members_before: Option<(Slot, Vec<String>)>,
}

impl Journal {
    fn touched(&mut self, slot: &Slot) -> &mut Touched {
        let index = match self.touched.iter().position(|t| &t.slot == slot) {
            Some(index) => index,
            None => {
                self.touched.push(Touched {
                    slot: slot.clone(),
                    first_restore: None,
                    truncate: false,
                    resized: false,
                    report: true,
                });
                self.touched.len() - 1
            }
        };
        &mut self.touched[index]
    }

    fn push_restore(&mut self, slot: &Slot, old: Option<Value>, position: usize) {
        let index = self.undo.len();
        self.undo.push(Undo::Restore {
            slot: slot.clone(),
            old,
            position,
        });
        self.touched(slot).first_restore.get_or_insert(index);
    }

    /// Sets (`Some`) or removes (`None`) the whole value at `slot`, creating the extension
    /// object it lives in if needed.
    pub(crate) fn set(
        &mut self,
        resource: &mut Map<String, Value>,
        slot: &Slot,
        new: Option<Value>,
    ) -> Result<(), PatchError> {
        if let Container::Extension(urn) = &slot.container {
            match resource.get(urn) {
                Some(Value::Object(_)) => {}
                Some(_) => {
                    return Err(PatchError::value(format!(
                        "the resource's \"{urn}\" is not an object"
                    )));
                }
                None if new.is_none() => return Ok(()),
                None => {
                    // Created implicitly: reported through the attributes written into it, not
                    // by itself (unless the request also touched it as a whole).
                    let created = Slot::root(urn.clone());
                    let touched_before = self.touched.iter().any(|t| t.slot == created);
                    self.set(resource, &created, Some(Value::Object(Map::new())))?;
                    if !touched_before {
                        self.touched(&created).report = false;
                    }
                }
            }
        }
        let members = slot.is_members();
        let map = container_mut(resource, &slot.container).expect("the container exists");
        let position = map.keys().position(|k| k == &slot.key).unwrap_or(map.len());
        let old = match new {
            Some(value) => map.insert(slot.key.clone(), value),
            None => map.shift_remove(&slot.key),
        };
        if members {
            let new = map.get(&slot.key);
            self.diff_members(old.as_ref(), new);
        }
        if old.is_some() || map.contains_key(&slot.key) {
            self.push_restore(slot, old, position);
        }
        Ok(())
    }

    /// Prepares an in-place edit of the value at `slot`: the first one in the request copies
    /// the value, unless a `Restore` already covers the slot.
    pub(crate) fn edit(&mut self, resource: &Map<String, Value>, slot: &Slot) {
        if slot.is_members() && self.members_before.is_none() {
            let ids = member_ids(get(resource, slot)).map(str::to_owned).collect();
            self.members_before = Some((slot.clone(), ids));
        }
        if self.touched(slot).first_restore.is_some() {
            return;
        }
        let map = container(resource, &slot.container);
        let position = map
            .and_then(|m| m.keys().position(|k| k == &slot.key))
            .unwrap_or(0);
        let old = get(resource, slot).cloned();
        self.push_restore(slot, old, position);
    }

    /// Records that elements are about to be appended to the array at `slot`, `len` long now.
    pub(crate) fn append(&mut self, slot: &Slot, len: usize) {
        let touched = self.touched(slot);
        touched.resized = true;
        if touched.first_restore.is_none() && !touched.truncate {
            touched.truncate = true;
            self.undo.push(Undo::Truncate {
                slot: slot.clone(),
                len,
            });
        }
    }

    /// Records that `element`, at `index`, was removed from the array at `slot`. Removals
    /// recorded together must come in descending index order.
    pub(crate) fn removed(&mut self, slot: &Slot, index: usize, element: Value) {
        self.touched(slot).resized = true;
        if slot.is_members() {
            if let Some(id) = member_id(&element) {
                self.members.push((id.to_owned(), false));
            }
        }
        self.undo.push(Undo::Reinsert {
            slot: slot.clone(),
            index,
            element,
        });
    }

    /// Records that a member was appended.
    pub(crate) fn member_added(&mut self, id: &str) {
        self.members.push((id.to_owned(), true));
    }

    /// Ends an operation: records the membership changes its in-place edits made.
    pub(crate) fn end_operation(&mut self, resource: &Map<String, Value>) {
        if let Some((slot, before)) = self.members_before.take() {
            let after: Vec<&str> = member_ids(get(resource, &slot)).collect();
            record_diff(&mut self.members, before.iter().map(String::as_str), &after);
        }
    }

    fn diff_members(&mut self, old: Option<&Value>, new: Option<&Value>) {
        let after: Vec<&str> = member_ids(new).collect();
        record_diff(&mut self.members, member_ids(old), &after);
    }

    /// Puts the resource back as it was before the request.
    pub(crate) fn rollback(self, resource: &mut Map<String, Value>) {
        for entry in self.undo.into_iter().rev() {
            match entry {
                Undo::Restore {
                    slot,
                    old,
                    position,
                } => {
                    let Some(map) = container_mut(resource, &slot.container) else {
                        continue;
                    };
                    match old {
                        Some(old) if map.contains_key(&slot.key) => {
                            map.insert(slot.key, old);
                        }
                        Some(old) => {
                            map.shift_insert(position.min(map.len()), slot.key, old);
                        }
                        None => {
                            map.shift_remove(&slot.key);
                        }
                    }
                }
                Undo::Truncate { slot, len } => {
                    if let Some(Value::Array(elements)) = get_mut(resource, &slot) {
                        elements.truncate(len);
                    }
                }
                Undo::Reinsert {
                    slot,
                    index,
                    element,
                } => {
                    if let Some(Value::Array(elements)) = get_mut(resource, &slot) {
                        elements.insert(index.min(elements.len()), element);
                    }
                }
            }
        }
    }

    /// What the request changed, compared with the resource as it is now.
    pub(crate) fn outcome(self, resource: &Map<String, Value>) -> Outcome {
        let changed_attributes = self
            .touched
            .iter()
            .filter(|t| t.report)
            .filter(|t| {
                t.resized
                    || t.first_restore
                        .is_some_and(|index| match &self.undo[index] {
                            Undo::Restore { old, .. } => old.as_ref() != get(resource, &t.slot),
                            _ => unreachable!("first_restore indexes a Restore entry"),
                        })
            })
            .map(|t| t.slot.name())
            .collect();
        let (members_added, members_removed) = net_membership(self.members);
        Outcome {
            changed_attributes,
            members_added,
            members_removed,
        }
    }
}

/// The `value` of each element of a members array.
fn member_ids(members: Option<&Value>) -> impl Iterator<Item = &str> {
    members
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(member_id)
}

/// Records the ids of `before` missing from `after` as removed and those of `after` missing
/// from `before` as added, each in its list's order.
fn record_diff<'a>(
    events: &mut Vec<(String, bool)>,
    before: impl Iterator<Item = &'a str>,
    after: &[&str],
) {
    let before: Vec<&str> = before.collect();
    let before_set: HashSet<&str> = before.iter().copied().collect();
    let after_set: HashSet<&str> = after.iter().copied().collect();
    events.extend(
        before
            .iter()
            .filter(|id| !after_set.contains(*id))
            .map(|id| ((*id).to_owned(), false)),
    );
    events.extend(
        after
            .iter()
            .filter(|id| !before_set.contains(*id))
            .map(|id| ((*id).to_owned(), true)),
    );
}

/// The net membership change of a sequence of events: an id added then removed (or removed
/// then added) in one request did not change.
fn net_membership(events: Vec<(String, bool)>) -> (Vec<String>, Vec<String>) {
    let mut order = Vec::new();
    let mut first_last: HashMap<String, (bool, bool)> = HashMap::new();
    for (id, added) in events {
        match first_last.get_mut(&id) {
            Some((_, last)) => *last = added,
            None => {
                order.push(id.clone());
                first_last.insert(id, (added, added));
            }
        }
    }
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for id in order {
        match first_last[&id] {
            (true, true) => added.push(id),
            (false, false) => removed.push(id),
            _ => {}
        }
    }
    (added, removed)
}
