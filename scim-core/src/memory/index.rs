//! One resource type's resources in one tenant, in creation order, with their hash indexes
//! (`id`, the unique attribute, `externalId`, a user's `displayName`, `members.value`).

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use super::document::{Doc, Entry, GroupDoc};
use chrono::{DateTime, Utc};

use crate::{MemberChange, ResourceKind, StoreError, Version};

/// One resource type's resources in one tenant, with their indexes. Indexes lead to slots.
#[derive(Default)]
pub(super) struct Collection {
    /// Resources in creation order, the stable default order of lists. A deleted resource
    /// leaves `None` until [`Collection::compact`].
    slots: Vec<Option<Entry>>,
    /// How many slots are `None`.
    holes: usize,
    /// `id` ([`id_key`]) to slot: the key is in the table, so a lookup reads no string.
    ids: HashMap<u128, usize>,
    /// Lower-cased `userName` (users) or `displayName` (groups) to slot: unique.
    pub(super) unique: HashMap<Box<str>, usize>,
    /// Other indexed attributes (`externalId`, a user's `displayName`, `members.value`),
    /// by index key, to slots.
    indexes: HashMap<&'static str, HashMap<Box<str>, Slots>>,
}

/// The slots an index key leads to: nearly always one.
enum Slots {
    One(usize),
    Many(Vec<usize>),
}

/// The attributes indexed besides the unique one, and whether keys are lower-cased.
pub(super) fn indexed(kind: ResourceKind) -> &'static [(&'static str, bool)] {
    match kind {
        ResourceKind::User => &[("externalId", false), ("displayName", true)],
        _ => &[("externalId", false), ("members", true)],
    }
}

/// The key of an id the store made: a UUID written as the store writes them (hyphenated,
/// lower case). Any other text is no id of this store.
fn id_key(id: &str) -> Option<u128> {
    let canonical = id.len() == 36 && !id.bytes().any(|b| b.is_ascii_uppercase());
    canonical
        .then(|| Uuid::try_parse(id).ok())
        .flatten()
        .map(|u| u.as_u128())
}

/// An index key of a case-insensitive value.
pub(super) fn fold(s: &str) -> String {
    s.to_lowercase()
}

impl Collection {
    pub(super) fn slot(&self, id: &str) -> Option<usize> {
        self.ids.get(&id_key(id)?).copied()
    }

    pub(super) fn entry(&self, slot: usize) -> Option<&Entry> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    pub(super) fn entries(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot, e)| e.as_ref().map(|e| (slot, e)))
    }

    /// Whether the entry in `slot` has the id `id`.
    pub(super) fn holds(&self, slot: usize, id: &str) -> bool {
        self.entry(slot)
            .is_some_and(|e| id_key(id) == Some(e.id.as_u128()))
    }

    fn index(&mut self, kind: ResourceKind, slot: usize, add: bool) {
        let Self {
            slots,
            unique,
            indexes,
            ..
        } = self;
        let Some(entry) = slots.get(slot).and_then(Option::as_ref) else {
            return;
        };
        let keys = entry.keys(kind);
        if let Some(key) = keys.unique {
            let key = fold(&key);
            if add {
                unique.insert(key.into(), slot);
            } else if unique.get(key.as_str()) == Some(&slot) {
                unique.remove(key.as_str());
            }
        }
        for (attr, key) in keys.indexed {
            let folded = indexed(kind).iter().any(|&(a, f)| a == attr && f);
            let key = if folded { fold(&key) } else { key.into_owned() };
            index_edit(indexes.entry(attr).or_default(), key, slot, add);
        }
    }

    /// Stores a new resource at the end of the default order.
    pub(super) fn insert(&mut self, kind: ResourceKind, entry: Entry) {
        let slot = self.slots.len();
        self.ids.insert(entry.id.as_u128(), slot);
        self.slots.push(Some(entry));
        self.index(kind, slot, true);
    }

    /// Replaces the resource in `slot`, keeping its place in the default order; the indexes
    /// are touched only if its index keys changed.
    pub(super) fn update(&mut self, kind: ResourceKind, slot: usize, entry: Entry) {
        let same_keys = self
            .entry(slot)
            .is_some_and(|old| old.same_keys(kind, &entry));
        if !same_keys {
            self.index(kind, slot, false);
        }
        if let Some(place) = self.slots.get_mut(slot) {
            *place = Some(entry);
        }
        if !same_keys {
            self.index(kind, slot, true);
        }
    }

    pub(super) fn remove(&mut self, kind: ResourceKind, slot: usize) -> Option<Entry> {
        self.index(kind, slot, false);
        let entry = self.slots.get_mut(slot)?.take()?;
        self.ids.remove(&entry.id.as_u128());
        self.holes += 1;
        if self.holes > 64 && self.holes * 2 > self.slots.len() {
            self.compact(kind);
        }
        Some(entry)
    }

    /// Drops the slots deleted resources left, rebuilding the indexes.
    fn compact(&mut self, kind: ResourceKind) {
        let entries: Vec<Entry> = std::mem::take(&mut self.slots)
            .into_iter()
            .flatten()
            .collect();
        *self = Self::default();
        for entry in entries {
            self.insert(kind, entry);
        }
    }

    pub(super) fn lookup(&self, attr: &str, key: &str) -> Vec<usize> {
        match self.indexes.get(attr).and_then(|index| index.get(key)) {
            Some(Slots::One(slot)) => vec![*slot],
            Some(Slots::Many(slots)) => slots.clone(),
            None => Vec::new(),
        }
    }

    /// Adds and removes members of the group in `slot` in place: O(1) per member, whatever
    /// the group's size. Returns the ids added and removed (members already there, or not
    /// there, are skipped); the group takes `version`, changed `now`, only if something
    /// changed.
    pub(super) fn apply_members(
        &mut self,
        slot: usize,
        change: &MemberChange,
        (version, now): (Version, DateTime<Utc>),
    ) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let Self { slots, indexes, .. } = self;
        let Some(Some(entry)) = slots.get_mut(slot) else {
            return Err(StoreError::backend("a group's slot is empty"));
        };
        let Doc::Tree(group) = &mut entry.doc else {
            return Err(StoreError::backend("a stored group is not a tree"));
        };
        let group = &mut **group;
        let GroupDoc {
            doc,
            members: positions,
            ..
        } = group;
        let Value::Object(doc) = doc else {
            return Err(StoreError::backend("a stored group is not an object"));
        };
        let members = doc
            .entry("members")
            .or_insert_with(|| Value::Array(Vec::new()));
        let Value::Array(list) = members else {
            return Err(StoreError::backend(
                "a stored group's members are not an array",
            ));
        };
        let index = indexes.entry("members").or_default();
        let (mut added, mut removed) = (Vec::new(), Vec::new());
        for id in &change.remove {
            let Some(pos) = positions.remove(id) else {
                continue;
            };
            list.swap_remove(pos);
            if let Some(moved) = list
                .get(pos)
                .and_then(|m| m.get("value"))
                .and_then(Value::as_str)
            {
                positions.insert(moved.to_owned(), pos);
            }
            index_edit(index, fold(id), slot, false);
            removed.push(id.clone());
        }
        for member in &change.add {
            let Some(value) = member.get("value").and_then(Value::as_str) else {
                continue;
            };
            if positions.contains_key(value) {
                continue;
            }
            positions.insert(value.to_owned(), list.len());
            index_edit(index, fold(value), slot, true);
            list.push(member.clone());
            added.push(value.to_owned());
        }
        if !(added.is_empty() && removed.is_empty()) {
            group.touch(version, now);
        }
        Ok((added, removed))
    }
}

fn index_edit(index: &mut HashMap<Box<str>, Slots>, key: String, slot: usize, add: bool) {
    if add {
        match index.get_mut(key.as_str()) {
            None => {
                index.insert(key.into(), Slots::One(slot));
            }
            Some(Slots::One(one)) if *one == slot => {}
            Some(slots @ Slots::One(_)) => {
                if let Slots::One(one) = *slots {
                    *slots = Slots::Many(vec![one, slot]);
                }
            }
            Some(Slots::Many(many)) => {
                if !many.contains(&slot) {
                    many.push(slot);
                }
            }
        }
    } else {
        let empty = match index.get_mut(key.as_str()) {
            Some(Slots::One(one)) => *one == slot,
            Some(Slots::Many(many)) => {
                many.retain(|s| *s != slot);
                if let [one] = many[..] {
                    index.insert(key.clone().into(), Slots::One(one));
                }
                false
            }
            None => false,
        };
        if empty {
            index.remove(key.as_str());
        }
    }
}
