//! The write pipeline: a replace (PUT) or a PATCH turned into the resource a store keeps.
//!
//! A PATCH is applied to the stored resource by scim-patch, then validated where it changed
//! (what it left alone was checked when it was stored). Both then take their readOnly values
//! from the stored resource and must keep their immutable ones. On any error nothing is
//! returned, so nothing half-applied can be stored.

use scim_filter::AttrType;
use scim_patch::{Outcome, PatchRequest, Patcher};
use serde_json::{Map, Value};

use crate::compat::{Compat, UnknownAttributes};
use crate::error::ScimError;
use crate::registry::ResourceSchemas;
use crate::resource::Resource;
use crate::schema::{Attribute, Mutability};
use crate::validate::{Checker, Extensions, Mode, is_unassigned};

impl ResourceSchemas {
    /// Checks a PUT body against the stored resource: `id` and `meta` come from `existing`,
    /// readOnly attributes are ignored, immutable ones must keep their value (an omitted
    /// immutable attribute keeps it too), everything else is replaced.
    pub fn validate_replace(
        &self,
        input: Value,
        existing: &Resource,
        compat: &Compat,
    ) -> Result<Resource, ScimError> {
        let input = self.canonical_body(input)?;
        Checker::new(self, compat, Mode::Replace, Some(existing)).run(input)
    }

    /// Checks the result of applying a PATCH to `existing`: types, required attributes, and
    /// that readOnly and immutable attributes did not change (`400 mutability`).
    pub fn validate_patched(
        &self,
        patched: Value,
        existing: &Resource,
        compat: &Compat,
    ) -> Result<Resource, ScimError> {
        Checker::new(self, compat, Mode::Patched, Some(existing)).run(patched)
    }

    /// Applies a PATCH request to `existing` under `compat` and validates the result. On
    /// error nothing is returned, so nothing half-applied can be stored.
    pub fn apply_patch(
        &self,
        existing: &Resource,
        request: PatchRequest,
        compat: &Compat,
    ) -> Result<(Resource, Outcome), ScimError> {
        let mut doc = Value::Object(existing.to_map());
        let outcome = Patcher::new(self)
            .with_compat(compat.patch)
            .reject_unknown_attributes(compat.unknown_attributes == UnknownAttributes::Reject)
            .apply(request, &mut doc)?;
        let mut checker = Checker::new(self, compat, Mode::Patched, Some(existing));
        checker.changed = Some(&outcome.changed_attributes);
        let resource = checker.run(doc)?;
        Ok((resource, outcome))
    }
}

impl<'a> Checker<'a> {
    /// Replace and patch: readOnly attributes come from the stored resource, immutable ones
    /// must not change (an omitted one keeps its value on replace).
    pub(crate) fn carry_and_compare(
        &self,
        core: &mut Map<String, Value>,
        extensions: &mut Extensions<'a>,
    ) -> Result<(), ScimError> {
        let Some(existing) = self.existing else {
            return Ok(());
        };
        // What a patch did not change is the stored value already: nothing to carry.
        let touched = |key: &str| !self.unchanged(key, || false);
        let mut core_attrs: Vec<&Attribute> = crate::schema::common().iter().collect();
        core_attrs.extend(&self.schemas.core().attributes);
        for attr in core_attrs
            .into_iter()
            .filter(|a| carried(a) && touched(&a.name))
        {
            self.carry(attr, existing.as_json().get(&attr.name), core, &attr.name)?;
        }
        for (schema, out) in extensions.iter_mut().filter(|(s, _)| touched(&s.id)) {
            let Some(Value::Object(old)) = existing.as_json().get(&schema.id) else {
                continue;
            };
            for attr in schema.attributes.iter().filter(|a| carried(a)) {
                let path = format!("{}:{}", schema.id, attr.name);
                self.carry(attr, old.get(&attr.name), out, &path)?;
            }
        }
        Ok(())
    }

    /// Carries a readOnly value over and refuses a change to an immutable one, for an
    /// attribute that [`carried`] says has such a part.
    fn carry(
        &self,
        attr: &Attribute,
        old: Option<&Value>,
        out: &mut Map<String, Value>,
        path: &str,
    ) -> Result<(), ScimError> {
        let new = out.get(&attr.name);
        match attr.mutability {
            Mutability::ReadOnly => {
                if self.mode == Mode::Patched && attr.name != "meta" && new.is_some() && new != old
                {
                    return Err(ScimError::mutability(format!(
                        "attribute \"{path}\" is readOnly"
                    )));
                }
                match old {
                    Some(v) => out.insert(attr.name.clone(), v.clone()),
                    None => out.remove(&attr.name),
                };
            }
            Mutability::Immutable if !is_unassigned(old) => match new {
                None if self.mode == Mode::Replace => {
                    out.insert(attr.name.clone(), old.cloned().unwrap_or_default());
                }
                _ if new != old => {
                    return Err(ScimError::mutability(format!(
                        "attribute \"{path}\" is immutable and already set"
                    )));
                }
                _ => {}
            },
            _ if attr.kind == AttrType::Complex && !attr.multi_valued => {
                self.carry_subs(attr, old, out, path)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Immutable and readOnly sub-attributes of a single-valued complex attribute.
    fn carry_subs(
        &self,
        attr: &Attribute,
        old: Option<&Value>,
        out: &mut Map<String, Value>,
        path: &str,
    ) -> Result<(), ScimError> {
        for sub in &attr.sub_attributes {
            let old_sub = old.and_then(|o| o.get(&sub.name));
            let new_sub = out.get(&attr.name).and_then(|n| n.get(&sub.name));
            let changed = new_sub != old_sub;
            match sub.mutability {
                Mutability::Immutable if changed && !is_unassigned(old_sub) => {
                    return Err(ScimError::mutability(format!(
                        "attribute \"{path}.{}\" is immutable and already set",
                        sub.name
                    )));
                }
                Mutability::ReadOnly if changed && self.mode != Mode::Patched => {
                    // Carry the stored value over, if the attribute is still there.
                    if let (Some(v), Some(Value::Object(m))) = (old_sub, out.get_mut(&attr.name)) {
                        m.insert(sub.name.clone(), v.clone());
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Whether [`Checker::carry`] has anything to do for `attr`: it, or a sub-attribute of a
/// single-valued complex one, is readOnly or immutable.
fn carried(attr: &Attribute) -> bool {
    let fixed = |m: Mutability| matches!(m, Mutability::ReadOnly | Mutability::Immutable);
    fixed(attr.mutability)
        || (attr.kind == AttrType::Complex
            && !attr.multi_valued
            && attr.sub_attributes.iter().any(|s| fixed(s.mutability)))
}
