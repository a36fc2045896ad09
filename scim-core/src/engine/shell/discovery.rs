//! `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas` (RFC 7644 §4), generated from
//! the registered schemas.

use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;

use super::{Call, query, reply};
use crate::engine::Engine;
use crate::{ResourceKind, ScimError, ScimStore};

/// RFC 7644 §4: discovery endpoints take no filter.
fn no_filter(call: &Call<'_>) -> Result<(), ScimError> {
    let filtered = call
        .parts
        .uri
        .query()
        .is_some_and(|q| query::params(q).any(|(k, _)| k == "filter"));
    if filtered {
        return Err(ScimError::new(
            403,
            "discovery endpoints do not support filtering",
        ));
    }
    Ok(())
}

impl<S: ScimStore> Engine<S> {
    pub(super) fn service_provider_config(
        &self,
        call: &Call<'_>,
    ) -> Result<Response<Bytes>, ScimError> {
        no_filter(call)?;
        let mut body = self.inner.config.to_json(&call.base);
        let schemes = self.inner.auth.schemes();
        body["authenticationSchemes"] = schemes
            .iter()
            .enumerate()
            .map(|(i, scheme)| scheme.to_json(i == 0))
            .collect();
        Ok(reply::json(StatusCode::OK, &body))
    }

    pub(super) fn resource_types(
        &self,
        call: &Call<'_>,
        id: Option<&str>,
    ) -> Result<Response<Bytes>, ScimError> {
        no_filter(call)?;
        let all = ResourceKind::ALL
            .into_iter()
            .filter(|k| self.serves_for(call.ctx.tenant(), *k))
            .map(|k| {
                self.inner
                    .registry
                    .resource(k)
                    .resource_type_json(&call.base)
            })
            .collect();
        one_or_all(id, "ResourceType", all)
    }

    pub(super) fn schemas(
        &self,
        call: &Call<'_>,
        id: Option<&str>,
    ) -> Result<Response<Bytes>, ScimError> {
        no_filter(call)?;
        let registry = &self.inner.registry;
        // The schemas of the resource types served: a users-only store has no Group schema.
        let served = |schema: &&crate::Schema| {
            ResourceKind::ALL.into_iter().any(|k| {
                let schemas = registry.resource(k);
                self.serves_for(call.ctx.tenant(), k)
                    && (schemas.core().id == schema.id
                        || schemas.extensions().any(|e| e.id == schema.id))
            })
        };
        let all = registry
            .schemas()
            .into_iter()
            .filter(served)
            .map(|schema| {
                let mut json = schema.to_json(&call.base);
                for (urn, path) in &self.inner.hidden {
                    if urn.eq_ignore_ascii_case(&schema.id) {
                        hide(&mut json["attributes"], path);
                    }
                }
                json
            })
            .collect();
        one_or_all(id, "Schema", all)
    }
}

/// The document whose `id` is `id` (`404` if none), or all of them as a list response.
fn one_or_all(id: Option<&str>, what: &str, all: Vec<Value>) -> Result<Response<Bytes>, ScimError> {
    let Some(id) = id else {
        let all = all
            .iter()
            .map(|doc| serde_json::to_vec(doc).unwrap_or_default());
        return Ok(reply::list(
            all.len(),
            &reply::Paged::Index(1),
            &all.collect::<Vec<_>>(),
        ));
    };
    all.into_iter()
        .find(|doc| {
            doc["id"]
                .as_str()
                .is_some_and(|d| d.eq_ignore_ascii_case(id))
        })
        .map(|doc| reply::json(StatusCode::OK, &doc))
        .ok_or_else(|| ScimError::not_found(format!("there is no {what} \"{id}\"")))
}

/// Removes attribute `path` (`name` or `name.sub`) from a schema's `attributes` array.
fn hide(attributes: &mut Value, path: &str) {
    let Value::Array(list) = attributes else {
        return;
    };
    let (name, sub) = match path.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (path, None),
    };
    let named = |a: &Value, n: &str| {
        a["name"]
            .as_str()
            .is_some_and(|x| x.eq_ignore_ascii_case(n))
    };
    match sub {
        None => list.retain(|a| !named(a, name)),
        Some(sub) => {
            for attr in list.iter_mut().filter(|a| named(a, name)) {
                hide(&mut attr["subAttributes"], sub);
            }
        }
    }
}
