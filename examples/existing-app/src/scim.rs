//! What SCIM adds to the app: provisioning events copied into the app's own accounts table.
//!
//! The engine keeps the directory's users in its store (here the in-memory one; a real app
//! implements `ScimStore` over its own tables, as the reference server does). After every
//! write it publishes an event; [`Mirror`] then makes the account say what the directory
//! says: created, renamed, deactivated (the app refuses its logins) or deleted.

use std::sync::Arc;

use scim_core::engine::{Event, EventSink};
use scim_core::{MemoryStore, RequestContext, Resource, ResourceKind, ScimStore, StoreError};
use serde_json::Value;

use crate::accounts::Accounts;

/// An [`EventSink`] copying users into the accounts table.
pub(crate) struct Mirror {
    store: MemoryStore,
    accounts: Accounts,
    /// One copy at a time, so that the last one to run writes the latest state.
    order: Arc<tokio::sync::Mutex<()>>,
}

impl Mirror {
    /// Copies what `store` holds into `accounts`.
    pub(crate) fn new(store: MemoryStore, accounts: Accounts) -> Self {
        Self {
            store,
            accounts,
            order: Arc::default(),
        }
    }
}

impl EventSink for Mirror {
    fn publish(&self, event: &Event) {
        if event.resource_type != ResourceKind::User {
            return;
        }
        let (store, accounts, order) = (
            self.store.clone(),
            self.accounts.clone(),
            Arc::clone(&self.order),
        );
        let (tenant, id) = (event.tenant.clone(), event.id.clone());
        // Events arrive on the request's task: the copy runs on its own.
        tokio::spawn(async move {
            let _turn = order.lock().await;
            let ctx = RequestContext::new(tenant);
            let copied = match store.get(&ctx, ResourceKind::User, &id).await {
                Ok(user) => {
                    let (email, name, active) = account_of(&user);
                    accounts.mirror(&id, &email, &name, active).await
                }
                Err(StoreError::NotFound { .. }) => accounts.remove(&id).await,
                Err(err) => {
                    tracing::warn!(error = %err, user = %id, "reading a provisioned user failed");
                    return;
                }
            };
            if let Err(err) = copied {
                tracing::warn!(error = %err, user = %id, "copying a provisioned user failed");
            }
        });
    }
}

/// The account fields of a directory user: the primary (or work, or first) email, else the
/// `userName`; the display name, else the formatted name, else the `userName`; `active`.
fn account_of(user: &Resource) -> (String, String, bool) {
    let user_name = user.user_name().unwrap_or_default().to_owned();
    let emails = user.get("emails").and_then(Value::as_array);
    let email = emails
        .and_then(|emails| {
            let pick = |test: &dyn Fn(&Value) -> bool| emails.iter().find(|e| test(e));
            pick(&|e| e["primary"] == true)
                .or_else(|| pick(&|e| e["type"] == "work"))
                .or_else(|| emails.first())
        })
        .and_then(|e| e["value"].as_str())
        .map_or_else(|| user_name.clone(), str::to_owned);
    let name = user
        .get("displayName")
        .and_then(Value::as_str)
        .or_else(|| user.get("name").and_then(|n| n["formatted"].as_str()))
        .map_or_else(|| user_name.clone(), str::to_owned);
    let active = user.get("active").and_then(Value::as_bool).unwrap_or(true);
    (email, name, active)
}
