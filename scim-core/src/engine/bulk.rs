//! `/Bulk` (RFC 7644 §3.7): many operations in one request, with `bulkId` references.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, ETAG, IF_MATCH, LOCATION};
use http::{Method, Response, StatusCode};
use serde_json::{Map, Value, json};

use super::{Call, Engine, Route, reply};
use crate::{ScimError, ScimStore};

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

/// An operation's entry in the response.
fn result(op: &Operation, status: StatusCode, response: Option<&Response<Bytes>>) -> Value {
    let mut entry = Map::new();
    entry.insert("method".into(), op.method.as_str().into());
    if let Some(id) = &op.bulk_id {
        entry.insert("bulkId".into(), id.as_str().into());
    }
    let header = |name| {
        response
            .and_then(|r| r.headers().get(name))
            .and_then(|v| v.to_str().ok())
    };
    if let Some(version) = header(ETAG) {
        entry.insert("version".into(), version.into());
    }
    if let Some(location) = header(LOCATION) {
        entry.insert("location".into(), location.into());
    }
    entry.insert("status".into(), status.as_str().into());
    if !status.is_success()
        && let Some(body) = response.and_then(|r| serde_json::from_slice::<Value>(r.body()).ok())
    {
        entry.insert("response".into(), body);
    }
    Value::Object(entry)
}

fn failure(op: &Operation, err: &ScimError) -> Value {
    let response = reply::error(err);
    result(op, response.status(), Some(&response))
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
                    Ok(self.bulk_operation(call, op, &created).await)
                };
                progressed = true;
                let entry = match outcome {
                    Ok(Ok(response)) => {
                        if let (Some(id), true) = (&op.bulk_id, response.status().is_success()) {
                            let location = response.headers().get(LOCATION);
                            let new_id = location
                                .and_then(|l| l.to_str().ok())
                                .and_then(|l| l.rsplit('/').next())
                                .unwrap_or_default();
                            created.insert(id.clone(), new_id.to_owned());
                        }
                        if !response.status().is_success() {
                            if let Some(id) = &op.bulk_id {
                                failed.insert(id.clone());
                            }
                            errors += 1;
                        }
                        result(op, response.status(), Some(&response))
                    }
                    Ok(Err(err)) | Err(err) => {
                        if let Some(id) = &op.bulk_id {
                            failed.insert(id.clone());
                        }
                        errors += 1;
                        failure(op, &err)
                    }
                };
                results[i] = Some(entry);
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
                    results[i] = Some(failure(&ops[i], &err));
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

    /// Runs one operation as the request it stands for, with `bulkId`s resolved.
    async fn bulk_operation(
        &self,
        call: &Call<'_>,
        op: &Operation,
        created: &HashMap<String, String>,
    ) -> Result<Response<Bytes>, ScimError> {
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
        let route = Route::parse(&path)
            .filter(|r| matches!(r, Route::Collection(_) | Route::Item(..)))
            .ok_or_else(|| {
                ScimError::bad_request(
                    crate::ScimType::InvalidPath,
                    format!(
                        "a bulk operation addresses /Users or /Groups, not \"{}\"",
                        op.path
                    ),
                )
            })?;
        let mut builder = http::Request::builder()
            .method(op.method.clone())
            .uri(path.as_str())
            .header(CONTENT_TYPE, reply::SCIM_CONTENT_TYPE);
        if let Some(version) = &op.version {
            builder = builder.header(IF_MATCH, version.as_str());
        }
        let body = match &op.data {
            Some(data) => {
                let mut data = data.clone();
                resolve(&mut data, created);
                Bytes::from(serde_json::to_vec(&data).unwrap_or_default())
            }
            None => Bytes::new(),
        };
        let (parts, ()) = builder
            .body(())
            .map_err(|e| ScimError::bad_request(crate::ScimType::InvalidPath, e.to_string()))?
            .into_parts();
        let sub = Call {
            parts: &parts,
            body,
            ctx: call.ctx.clone(),
            base: call.base.clone(),
            compat: call.compat,
            max_results: call.max_results,
        };
        Ok(match self.serve(&sub, route).await {
            Ok(response) => response,
            Err(err) => reply::error(&err),
        })
    }
}
