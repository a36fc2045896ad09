//! Routes: what a path below the tenant URL names, and the methods each answers.

use http::Method;
use percent_encoding::percent_decode_str;

use crate::ResourceKind;

/// A route, as the path names it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Route {
    Collection(ResourceKind),
    Item(ResourceKind, String),
    Search(Option<ResourceKind>),
    Me,
    ServiceProviderConfig,
    ResourceTypes(Option<String>),
    Schemas(Option<String>),
    Bulk,
}

impl Route {
    pub(super) fn parse(path: &str) -> Option<Self> {
        // No route has more than two segments.
        let mut segments = path.trim_matches('/').split('/');
        let (first, second) = (segments.next()?, segments.next());
        if segments.next().is_some() {
            return None;
        }
        let kind = [ResourceKind::User, ResourceKind::Group]
            .into_iter()
            .find(|k| k.endpoint()[1..].eq_ignore_ascii_case(first));
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .ok()
                .map(|s| s.into_owned())
                .filter(|s| !s.is_empty())
        };
        let named = |name: &str| first.eq_ignore_ascii_case(name);
        Some(match (kind, second) {
            (None, None) if first == ".search" => Self::Search(None),
            (Some(kind), None) => Self::Collection(kind),
            (Some(kind), Some(".search")) => Self::Search(Some(kind)),
            (Some(kind), Some(id)) => Self::Item(kind, decode(id)?),
            (None, None) if named("Me") => Self::Me,
            (None, None) if named("Bulk") => Self::Bulk,
            (None, None) if named("ServiceProviderConfig") => Self::ServiceProviderConfig,
            (None, id) if named("ResourceTypes") => Self::ResourceTypes(id.and_then(decode)),
            (None, id) if named("Schemas") => Self::Schemas(id.and_then(decode)),
            _ => return None,
        })
    }

    /// The resource type the route reads or writes, if it names one.
    pub(super) fn kind(&self) -> Option<ResourceKind> {
        match self {
            Self::Collection(kind) | Self::Item(kind, _) | Self::Search(Some(kind)) => Some(*kind),
            _ => None,
        }
    }

    /// The methods the route answers.
    pub(super) fn allowed(&self) -> &'static [Method] {
        match self {
            Self::Collection(_) => &[Method::GET, Method::POST],
            Self::Item(..) | Self::Me => &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE],
            Self::Search(_) | Self::Bulk => &[Method::POST],
            Self::ServiceProviderConfig | Self::ResourceTypes(_) | Self::Schemas(_) => {
                &[Method::GET]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            Route::parse("/Users"),
            Some(Route::Collection(ResourceKind::User))
        );
        assert_eq!(
            Route::parse("/users/"),
            Some(Route::Collection(ResourceKind::User))
        );
        assert_eq!(
            Route::parse("/Groups/a%20b"),
            Some(Route::Item(ResourceKind::Group, "a b".into()))
        );
        assert_eq!(Route::parse("/.search"), Some(Route::Search(None)));
        assert_eq!(
            Route::parse("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"),
            Some(Route::Schemas(Some(
                "urn:ietf:params:scim:schemas:core:2.0:User".into()
            )))
        );
        assert_eq!(
            Route::parse("/groups/.search"),
            Some(Route::Search(Some(ResourceKind::Group)))
        );
        assert_eq!(Route::parse("//me/"), Some(Route::Me));
        assert_eq!(Route::parse("/SCHEMAS"), Some(Route::Schemas(None)));
        assert_eq!(Route::parse("/ResourceTypes/a/b"), None);
        assert_eq!(Route::parse("/Me/x"), None);
        assert_eq!(Route::parse("/.search/Users"), None);
        assert_eq!(Route::parse("/Users/a/b"), None);
        assert_eq!(Route::parse("/"), None);
        assert_eq!(Route::parse("/Users/%FF"), None);
    }
}
