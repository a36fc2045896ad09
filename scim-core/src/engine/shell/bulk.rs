//! `/Bulk` (RFC 7644 §3.7): many operations in one request, with `bulkId` references, each
//! run as the typed operation it names.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use scim_patch::PatchRequest;
use serde_json::{Map, Value, json};

use super::route::Route;
use super::{Call, conditional, reply};
use crate::engine::Engine;
use crate::{ScimError, ScimStore, ScimType, Version};

const BULK_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const PREFIX: &str = "bulkId:";

/// One operation, as the request gives it.
struct Operation {
    method: Method,
    bulk_id: Option<String>,
    version: Option<String>,
    path: String,
    data: Option<Value>,
}

fn operation(index: usize, value: Value) -> Result<Operation, ScimError> {
    let bad = |what: &str| ScimError::invalid_syntax(format!("Operations[{index}]: {what}"));
    let Value::Object(mut op) = value else {
        return Err(bad("an operation must be an object"));
    };
    let mut take = |key: &str| {
        let found = op.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
        found.and_then(|k| op.remove(&k))
    };
    let text = |value: Option<Value>, what: &str| match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(&format!("\"{what}\" must be a string"))),
    };
    let method = text(take("method"), "method")?.ok_or_else(|| bad("\"method\" is required"))?;
    let method = match method.to_ascii_uppercase().as_str() {
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        _ => return Err(bad("\"method\" must be POST, PUT, PATCH or DELETE")),
    };
    Ok(Operation {
        bulk_id: text(take("bulkId"), "bulkId")?,
        version: text(take("version"), "version")?,
        path: text(take("path"), "path")?.ok_or_else(|| bad("\"path\" is required"))?,
        data: take("data"),
        method,
    })
}

/// The `bulkId`s an operation refers to, in its path and anywhere in its data.
fn references(op: &Operation) -> HashSet<String> {
    fn walk(value: &Value, found: &mut HashSet<String>) {
        match value {
            Value::String(s) => {
                if let Some(id) = s.strip_prefix(PREFIX) {
                    found.insert(id.to_owned());
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
            Value::Object(map) => map.values().for_each(|v| walk(v, found)),
            _ => {}
        }
    }
    let mut found = HashSet::new();
    for segment in op.path.split('/') {
        if let Some(id) = segment.strip_prefix(PREFIX) {
            found.insert(id.to_owned());
        }
    }
    if let Some(data) = &op.data {
        walk(data, &mut found);
    }
    found
}

/// `value` with every `bulkId:x` replaced by the id `x` was created with.
fn resolve(value: &mut Value, ids: &HashMap<String, String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(PREFIX).and_then(|b| ids.get(b)) {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve(v, ids)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve(v, ids)),
        _ => {}
    }
}

/// What an operation that succeeded did.
struct Done {
    status: StatusCode,
    version: Option<Version>,
    /// The new resource's id and `Location`, for a creation.
    created: Option<(String, String)>,
}

/// An operation's entry in the response.
fn result(op: &Operation, outcome: &Result<Done, ScimError>) -> Value {
    let mut entry = Map::new();
    entry.insert("method".into(), op.method.as_str().into());
    if let Some(id) = &op.bulk_id {
        entry.insert("bulkId".into(), id.as_str().into());
    }
    match outcome {
        Ok(done) => {
            if let Some(version) = &done.version {
                entry.insert("version".into(), version.to_etag().into());
            }
            if let Some((_, location)) = &done.created {
                entry.insert("location".into(), location.as_str().into());
            }
            entry.insert("status".into(), done.status.as_str().into());
        }
        Err(err) => {
            entry.insert("status".into(), err.status().to_string().into());
            entry.insert("response".into(), err.to_json());
        }
    }
    Value::Object(entry)
}

impl<S: ScimStore> Engine<S> {
    pub(super) async fn bulk(&self, call: &Call<'_>) -> Result<Response<Bytes>, ScimError> {
        let config = &self.inner.config;
        if !config.bulk {
            return Err(ScimError::new(
                501,
                "/Bulk is not supported by this service",
            ));
        }
        let Value::Object(mut body) = reply::json_body(call)? else {
            return Err(ScimError::invalid_syntax(
                "a bulk request must be a JSON object",
            ));
        };
        let mut field = |name: &str| {
            let key = body.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned();
            key.and_then(|k| body.remove(&k))
        };
        let fail_on_errors = match field("failOnErrors") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n > 0) => n.as_u64(),
            Some(_) => {
                return Err(ScimError::invalid_value(
                    "failOnErrors must be a positive integer",
                ));
            }
        };
        let Some(Value::Array(raw)) = field("Operations") else {
            return Err(ScimError::invalid_syntax(
                "a bulk request needs an \"Operations\" array",
            ));
        };
        if raw.len() > config.bulk_max_operations {
            return Err(ScimError::new(
                413,
                format!(
                    "the bulk request has {} operations; at most {} are accepted",
                    raw.len(),
                    config.bulk_max_operations
                ),
            ));
        }
        let ops = raw
            .into_iter()
            .enumerate()
            .map(|(i, v)| operation(i, v))
            .collect::<Result<Vec<_>, _>>()?;
        let mut declared = HashSet::new();
        for op in &ops {
            if let Some(id) = &op.bulk_id
                && !declared.insert(id.clone())
            {
                return Err(ScimError::invalid_value(format!(
                    "bulkId \"{id}\" is used by more than one operation"
                )));
            }
        }

        // Operations run in order, except that one referring to a bulkId not created yet
        // waits for it (forward references). What still waits when nothing more can run
        // refers in a circle, or to an operation that failed: 409.
        let mut results: Vec<Option<Value>> = vec![None; ops.len()];
        let mut created: HashMap<String, String> = HashMap::new();
        let mut failed: HashSet<String> = HashSet::new();
        let mut errors = 0u64;
        let mut pending: Vec<usize> = (0..ops.len()).collect();
        'passes: loop {
            let mut progressed = false;
            let mut waiting = Vec::new();
            for &i in &pending {
                let op = &ops[i];
                let refs = references(op);
                let blocked = refs.iter().any(|r| !created.contains_key(r));
                let hopeless = refs
                    .iter()
                    .any(|r| failed.contains(r) || !declared.contains(r));
                let outcome = if hopeless {
                    Err(ScimError::new(
                        409,
                        "the operation refers to a bulkId that was not created",
                    ))
                } else if blocked {
                    waiting.push(i);
                    continue;
                } else {
                    Box::pin(self.bulk_operation(call, op, &created)).await
                };
                progressed = true;
                match (&outcome, &op.bulk_id) {
                    (Ok(done), Some(bulk_id)) => {
                        let id = done.created.as_ref().map(|(id, _)| id.clone());
                        created.insert(bulk_id.clone(), id.unwrap_or_default());
                    }
                    (Ok(_), None) => {}
                    (Err(_), bulk_id) => {
                        failed.extend(bulk_id.clone());
                        errors += 1;
                    }
                }
                results[i] = Some(result(op, &outcome));
                if fail_on_errors.is_some_and(|max| errors >= max) {
                    break 'passes;
                }
            }
            pending = waiting;
            if pending.is_empty() {
                break;
            }
            if !progressed {
                for &i in &pending {
                    let err = ScimError::new(
                        409,
                        "the operation's bulkId references form a circle that cannot be resolved",
                    );
                    results[i] = Some(result(&ops[i], &Err(err)));
                }
                break;
            }
        }
        let operations: Vec<Value> = results.into_iter().flatten().collect();
        Ok(reply::json(
            StatusCode::OK,
            &json!({"schemas": [BULK_RESPONSE_URN], "Operations": operations}),
        ))
    }

    /// Runs one operation as the typed operation it names, with `bulkId`s resolved.
    async fn bulk_operation(
        &self,
        call: &Call<'_>,
        op: &Operation,
        created: &HashMap<String, String>,
    ) -> Result<Done, ScimError> {
        let path = op
            .path
            .split('/')
            .map(|segment| {
                segment
                    .strip_prefix(PREFIX)
                    .and_then(|b| created.get(b))
                    .map_or(segment, String::as_str)
            })
            .collect::<Vec<_>>()
            .join("/");
        let (route, kind, id) = match Route::parse(&path) {
            Some(route @ Route::Collection(kind)) => (route, kind, None),
            Some(Route::Item(kind, id)) => (Route::Item(kind, id.clone()), kind, Some(id)),
            _ => {
                return Err(ScimError::bad_request(
                    ScimType::InvalidPath,
                    format!(
                        "a bulk operation addresses /Users or /Groups, not \"{}\"",
                        op.path
                    ),
                ));
            }
        };
        let allowed = route.allowed();
        if !allowed.contains(&op.method) {
            return Err(reply::method_not_allowed_error(&op.method, allowed));
        }
        self.check_served(kind)?;
        let precondition = conditional::precondition(op.version.as_deref());
        let data = || {
            let mut data = op
                .data
                .clone()
                .ok_or_else(|| ScimError::invalid_syntax("the request needs a JSON body"))?;
            resolve(&mut data, created);
            Ok::<_, ScimError>(data)
        };
        let (ctx, compat) = (&call.ctx, &call.compat);
        let id = id.as_deref().unwrap_or_default();
        let done = |status, version| Done {
            status,
            version,
            created: None,
        };
        match op.method {
            Method::POST => {
                let resource = self.create_under(compat, ctx, kind, data()?).await?;
                let new_id = resource.id().unwrap_or_default().to_owned();
                let location = format!("{}{}/{new_id}", call.base, kind.endpoint());
                Ok(Done {
                    status: StatusCode::CREATED,
                    version: resource.version(),
                    created: Some((new_id, location)),
                })
            }
            Method::PUT => {
                let stored = self
                    .replace_under(compat, ctx, kind, id, data()?, &precondition)
                    .await?;
                Ok(done(StatusCode::OK, stored.version()))
            }
            Method::PATCH => {
                let request = PatchRequest::from_value(data()?)?;
                let patched = self
                    .patch_under(compat, ctx, kind, id, request, &precondition)
                    .await?;
                let status = if self.no_content(compat) {
                    StatusCode::NO_CONTENT
                } else {
                    StatusCode::OK
                };
                Ok(done(status, patched.version()))
            }
            _ => {
                self.delete(ctx, kind, id, &precondition).await?;
                Ok(done(StatusCode::NO_CONTENT, None))
            }
        }
    }
}
