//! Group membership: the questions a server asks about a PATCH of a group (is it a
//! membership-only change, and which members; what did an applied request do to membership),
//! and the log that answers the second, recorded while a request is applied at a cost that
//! does not grow with the group (references to what was displaced, copies of the ids the
//! request brought) and turned into the ids added and removed only when someone asks.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use scim_filter::{CompValue, CompareOp, Filter, PatchPath};
use serde_json::{Map, Value};

use crate::{FewIds, OpKind, Outcome, PatchCompat, PatchRequest, member_id};

/// The URN of the core Group schema, which may qualify `members` in a path.
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A change to a group's membership: members to add and member ids to remove.
///
/// ```
/// use scim_patch::{PatchCompat, PatchRequest};
/// use serde_json::json;
///
/// // Entra's forms: members added with `"$ref": null`, removed with a value filter.
/// let request = PatchRequest::from_value(json!({
///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///     "Operations": [
///         {"op": "Add", "path": "members", "value": [{"$ref": null, "value": "u3"}]},
///         {"op": "Remove", "path": "members[value eq \"u1\"]"}
///     ]
/// }))?;
/// let change = request.membership_change(&PatchCompat::entra()).unwrap();
/// assert_eq!(change.add, [json!({"value": "u3"})]);
/// assert_eq!(change.remove, ["u1"]);
///
/// // Anything else is for the general path.
/// let rename = PatchRequest::from_value(json!({
///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///     "Operations": [{"op": "replace", "path": "displayName", "value": "Ops"}]
/// }))?;
/// assert!(rename.membership_change(&PatchCompat::entra()).is_none());
/// # Ok::<(), scim_patch::PatchError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Membership {
    /// The members to add: objects with a non-empty `value` (the member's id) and any of
    /// `display`, `type` and `$ref`, named as RFC 7643 spells them.
    pub add: Vec<Value>,
    /// The ids of the members to remove.
    pub remove: Vec<String>,
}

impl PatchRequest {
    /// The membership change this request makes, if it does nothing else and says it in full
    /// without the group: members added to `members` and members removed by id
    /// (`members[value eq "..."]`, or a value list where `compat` accepts Entra's
    /// [`remove_by_value_list`](PatchCompat::remove_by_value_list)), so that a server can
    /// change membership without loading a group of any size. `None` for anything else,
    /// including a request that adds and removes the same id (its order decides), and
    /// malformed members: applying the request reports what is wrong with it.
    pub fn membership_change(&self, compat: &PatchCompat) -> Option<Membership> {
        let mut change = Membership::default();
        for op in &self.operations {
            let path = op.path.as_ref().filter(|p| is_members(p))?;
            match (op.op, &path.filter, &op.value) {
                (OpKind::Add, None, Some(Value::Array(items))) => {
                    for item in items {
                        change.add.push(member(item, compat)?);
                    }
                }
                (OpKind::Add, None, Some(item @ Value::Object(_))) => {
                    change.add.push(member(item, compat)?);
                }
                (OpKind::Remove, Some(filter), None) => change.remove.push(removed_id(filter)?),
                (OpKind::Remove, None, Some(listed)) if compat.remove_by_value_list => {
                    let items = match listed {
                        Value::Array(items) => &items[..],
                        item @ Value::Object(_) => std::slice::from_ref(item),
                        _ => return None,
                    };
                    for item in items {
                        let id = member(item, compat)?["value"].as_str()?.to_owned();
                        change.remove.push(id);
                    }
                }
                _ => return None,
            }
        }
        let added: HashSet<&str> = change.add.iter().filter_map(member_id).collect();
        let clash = change.remove.iter().any(|id| added.contains(id.as_str()));
        let empty = change.add.is_empty() && change.remove.is_empty();
        (!clash && !empty).then_some(change)
    }
}

impl Outcome {
    /// The membership change an applied request made, if membership is all it changed: the
    /// members added as `patched` (the group after the request) holds them, and the ids
    /// removed. `None` if the request changed any other attribute, or nothing.
    ///
    /// ```
    /// use scim_patch::{PatchRequest, Patcher};
    /// use serde_json::json;
    ///
    /// let mut group = json!({"displayName": "Ops", "members": [{"value": "u1"}]});
    /// let request = PatchRequest::from_value(json!({
    ///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
    ///     "Operations": [{"op": "replace", "path": "members",
    ///                     "value": [{"value": "u2", "display": "Bob"}]}]
    /// }))?;
    /// let outcome = Patcher::default().apply(request, &mut group)?;
    /// let change = outcome.membership_change(group.as_object().unwrap()).unwrap();
    /// assert_eq!(change.add, [json!({"value": "u2", "display": "Bob"})]);
    /// assert_eq!(change.remove, ["u1"]);
    /// # Ok::<(), scim_patch::PatchError>(())
    /// ```
    pub fn membership_change(&self, patched: &Map<String, Value>) -> Option<Membership> {
        if self.changed_attributes != ["members"] {
            return None;
        }
        let (added, removed) = self.members_delta();
        let add = if added.is_empty() {
            Vec::new()
        } else {
            let added: HashSet<&str> = added.into_iter().collect();
            patched
                .get("members")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|m| member_id(m).is_some_and(|id| added.contains(id)))
                .cloned()
                .collect()
        };
        let remove = removed.into_iter().map(str::to_owned).collect();
        Some(Membership { add, remove })
    }
}

/// Whether `path` is the group's `members` itself (not a sub-attribute of it).
fn is_members(path: &PatchPath) -> bool {
    path.attr.name.eq_ignore_ascii_case("members")
        && path.attr.sub_attr.is_none()
        && path.sub_attr.is_none()
        && path
            .attr
            .schema
            .as_deref()
            .is_none_or(|s| s.eq_ignore_ascii_case(GROUP_URN))
}

/// A member as the request gives it, with its sub-attributes' canonical names; `None` for
/// anything the general path should judge (an unknown or non-string sub-attribute, no
/// `value`).
fn member(value: &Value, compat: &PatchCompat) -> Option<Value> {
    match value {
        Value::String(id) if compat.complex_from_string && !id.is_empty() => {
            let mut out = Map::new();
            out.insert("value".into(), Value::String(id.clone()));
            Some(Value::Object(out))
        }
        Value::Object(fields) => {
            let mut out = Map::new();
            for (key, v) in fields {
                let name = ["value", "display", "type", "$ref"]
                    .into_iter()
                    .find(|n| n.eq_ignore_ascii_case(key))?;
                match v {
                    Value::Null => {}
                    Value::String(s) => {
                        out.insert(name.to_owned(), Value::String(s.clone()));
                    }
                    _ => return None,
                }
            }
            out.get("value")
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
                .then_some(Value::Object(out))
        }
        _ => None,
    }
}

/// The id of `members[value eq "<id>"]`.
fn removed_id(filter: &Filter) -> Option<String> {
    match filter {
        Filter::Compare {
            attr,
            op: CompareOp::Eq,
            value: CompValue::String(id),
        } if attr.name.eq_ignore_ascii_case("value")
            && attr.sub_attr.is_none()
            && attr.schema.is_none() =>
        {
            Some(id.clone())
        }
        _ => None,
    }
}

/// One change, in the order the request made it.
#[derive(Debug, Clone)]
enum Event {
    /// The member whose id is `ids[i]` was added.
    Added(usize),
    /// The member displaced by undo entry `entry` (a member object, or its id as a string)
    /// was removed.
    Removed(usize),
    /// The member list displaced by undo entry `entry` (nothing, if there was none) was
    /// replaced by a list whose member ids are `ids[new]`.
    Replaced { entry: usize, new: Range<usize> },
}

/// The membership changes of one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemberLog {
    events: Vec<Event>,
    ids: Vec<String>,
}

impl MemberLog {
    /// Records that a member with `id` was added.
    pub(crate) fn added(&mut self, id: String) {
        self.events.push(Event::Added(self.ids.len()));
        self.ids.push(id);
    }

    /// Records that the member displaced by undo entry `entry` was removed.
    pub(crate) fn removed(&mut self, entry: usize) {
        self.events.push(Event::Removed(entry));
    }

    /// Records that the list displaced by undo entry `entry` was replaced by one with these
    /// member ids.
    pub(crate) fn replaced(&mut self, entry: usize, new: impl IntoIterator<Item = String>) {
        let start = self.ids.len();
        self.ids.extend(new);
        self.events.push(Event::Replaced {
            entry,
            new: start..self.ids.len(),
        });
    }

    /// The net changes, `displaced` being the values the undo entries displaced: the ids
    /// added and removed, each in the order of its first mention. An id added then removed
    /// (or removed then added) in one request did not change.
    pub(crate) fn delta<'a>(&'a self, displaced: &'a [Value]) -> (Vec<&'a str>, Vec<&'a str>) {
        let mut changes: Vec<(&str, bool)> = Vec::new();
        for event in &self.events {
            match event {
                Event::Added(i) => changes.push((&self.ids[*i], true)),
                Event::Removed(entry) => {
                    let id = match &displaced[*entry] {
                        Value::String(id) => Some(id.as_str()),
                        member => member_id(member),
                    };
                    changes.extend(id.map(|id| (id, false)));
                }
                Event::Replaced { entry, new } => {
                    let old: Vec<&str> = displaced[*entry]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(member_id)
                        .collect();
                    let new: Vec<&str> = self.ids[new.clone()].iter().map(String::as_str).collect();
                    diff(&old, &new, &mut changes);
                }
            }
        }
        net(&changes)
    }
}

/// Appends the ids of `old` missing from `new` as removed, then those of `new` missing from
/// `old` as added, each in its list's order.
fn diff<'a>(old: &[&'a str], new: &[&'a str], changes: &mut Vec<(&'a str, bool)>) {
    if old.is_empty() || new.is_empty() {
        changes.extend(old.iter().map(|id| (*id, false)));
        changes.extend(new.iter().map(|id| (*id, true)));
    } else if new.len() <= 16 {
        // A handful of members pushed over a large list: one pass over the old list. The new
        // list may name a member twice; it is there (or not) once.
        let new = unique(new.to_vec());
        let new_ids = FewIds::new(new.iter().copied());
        let mut was_there = vec![false; new.len()];
        for id in old {
            match new_ids.position(id) {
                Some(j) => was_there[j] = true,
                None => changes.push((id, false)),
            }
        }
        let added = new.iter().zip(was_there).filter(|(_, was)| !was);
        changes.extend(added.map(|(id, _)| (*id, true)));
    } else {
        let new_set: HashSet<&str> = new.iter().copied().collect();
        let old_set: HashSet<&str> = old.iter().copied().collect();
        changes.extend(
            old.iter()
                .filter(|id| !new_set.contains(*id))
                .map(|id| (*id, false)),
        );
        changes.extend(
            new.iter()
                .filter(|id| !old_set.contains(*id))
                .map(|id| (*id, true)),
        );
    }
}

/// Keeps, for each id, its first change when its first and last changes agree; splits the
/// kept ones into added and removed.
///
/// Only ids on both sides can cancel, so those are found first, by scanning when one side is
/// small (as it almost always is: a few members added to a large group).
fn net<'a>(changes: &[(&'a str, bool)]) -> (Vec<&'a str>, Vec<&'a str>) {
    let added: Vec<&str> = changes.iter().filter(|c| c.1).map(|c| c.0).collect();
    let removed: Vec<&str> = changes.iter().filter(|c| !c.1).map(|c| c.0).collect();
    let (small, large) = if added.len() <= removed.len() {
        (&added, &removed)
    } else {
        (&removed, &added)
    };
    let both: HashSet<&str> = if small.len() <= 16 {
        let small = FewIds::new(small.iter().copied());
        large
            .iter()
            .copied()
            .filter(|id| small.contains(id))
            .collect()
    } else {
        let small: HashSet<&str> = small.iter().copied().collect();
        large
            .iter()
            .copied()
            .filter(|id| small.contains(id))
            .collect()
    };
    if both.is_empty() {
        return (unique(added), unique(removed));
    }
    // For the ids on both sides: the index of their first change, and whether their first
    // and last changes agree.
    let mut first: HashMap<&str, (usize, bool)> = HashMap::with_capacity(both.len());
    for (index, (id, is_added)) in changes.iter().enumerate() {
        if !both.contains(id) {
            continue;
        }
        match first.get_mut(id) {
            Some((at, agree)) => *agree = changes[*at].1 == *is_added,
            None => {
                first.insert(id, (index, true));
            }
        }
    }
    let kept = changes.iter().enumerate().filter(|(index, (id, _))| {
        first
            .get(id)
            .is_none_or(|&(at, agree)| at == *index && agree)
    });
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for (_, (id, is_added)) in kept {
        if *is_added {
            added.push(*id);
        } else {
            removed.push(*id);
        }
    }
    (unique(added), unique(removed))
}

/// `ids` with each id once, at its first place: a list may name a member twice, and a
/// member added (or removed) twice was added (or removed) once.
fn unique(mut ids: Vec<&str>) -> Vec<&str> {
    if ids.len() <= 16 {
        let mut kept = 0;
        for i in 0..ids.len() {
            if !ids[..kept].contains(&ids[i]) {
                ids[kept] = ids[i];
                kept += 1;
            }
        }
        ids.truncate(kept);
    } else {
        let mut seen = HashSet::with_capacity(ids.len());
        ids.retain(|id| seen.insert(*id));
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_id_added_then_removed_did_not_change() {
        // +a, -b, -a, +c, +b, -b
        let changes = vec![
            ("a", true),
            ("b", false),
            ("a", false),
            ("c", true),
            ("b", true),
            ("b", false),
        ];
        assert_eq!(net(&changes), (vec!["c"], vec!["b"]));
    }

    #[test]
    fn members_named_twice_count_once() {
        // A replacement naming a present member twice did not add it; one naming a new
        // member twice added it once; an old list naming a member twice lost it once.
        let displaced = [json!([{"value": "u1"}, {"value": "u2"}, {"value": "u2"}])];
        let mut log = MemberLog::default();
        log.replaced(0, ["u1", "x", "u1", "x"].map(str::to_owned));
        assert_eq!(log.delta(&displaced), (vec!["x"], vec!["u2"]));
        // The same with lists too long for the small-list path.
        let many: Vec<String> = (0..20).map(|i| format!("n{i}")).collect();
        let mut log = MemberLog::default();
        log.replaced(
            0,
            many.iter().chain(&many).cloned().chain(["u1".to_owned()]),
        );
        let (added, removed) = log.delta(&displaced);
        assert_eq!(added, many.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(removed, ["u2"]);
        // Added twice by two operations.
        let mut log = MemberLog::default();
        log.added("y".to_owned());
        log.added("y".to_owned());
        assert_eq!(log.delta(&[]), (vec!["y"], vec![]));
    }

    #[test]
    fn a_replaced_list_reports_its_difference() {
        let displaced = [json!([{"value": "a"}, {"value": "b"}, {"value": "c"}])];
        let mut log = MemberLog::default();
        log.replaced(0, ["c".to_owned(), "d".to_owned()]);
        assert_eq!(log.delta(&displaced), (vec!["d"], vec!["a", "b"]));
    }
}
