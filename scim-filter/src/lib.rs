#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod ast;
mod error;
mod eval;
mod fold;
mod parser;
mod schema;
#[cfg(feature = "sql")]
#[cfg_attr(docsrs, doc(cfg(feature = "sql")))]
pub mod sql;

use std::str::FromStr;

pub use ast::{AttrPath, CompValue, CompareOp, Filter, PatchPath, ValuePath};
pub use error::{ErrorKind, ParseError};
pub use eval::{Evaluator, string_boolean};
pub use fold::Fold;
pub use parser::Limits;
pub use schema::{AttrInfo, AttrType, AttributeLookup, NoSchema, SchemaKind, default_schema_kind};

impl Filter {
    /// Parses a filter with the default [`Limits`].
    ///
    /// ```
    /// use scim_filter::Filter;
    ///
    /// let filter = Filter::parse(r#"emails[type eq "work"].value eq "bjensen@example.com""#)?;
    /// // Entra's form means the same as the RFC's:
    /// assert_eq!(filter.to_string(), r#"emails[type eq "work" and value eq "bjensen@example.com"]"#);
    /// # Ok::<(), scim_filter::ParseError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        parser::parse_filter(input, &Limits::default())
    }

    /// Parses a filter within `limits`.
    pub fn parse_with(input: &str, limits: &Limits) -> Result<Self, ParseError> {
        parser::parse_filter(input, limits)
    }
}

impl PatchPath {
    /// Parses a PATCH `path` with the default [`Limits`].
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        parser::parse_patch_path(input, &Limits::default())
    }

    /// Parses a PATCH `path` within `limits`.
    pub fn parse_with(input: &str, limits: &Limits) -> Result<Self, ParseError> {
        parser::parse_patch_path(input, limits)
    }
}

impl AttrPath {
    /// Parses an attribute path, as found in `attributes`, `excludedAttributes` and `sortBy`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        parser::parse_attr_path(input, &Limits::default())
    }
}

macro_rules! from_str_and_serde {
    ($($ty:ty),*) => {$(
        impl FromStr for $ty {
            type Err = ParseError;

            fn from_str(input: &str) -> Result<Self, ParseError> {
                Self::parse(input)
            }
        }

        /// Serialized as its canonical text.
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        /// Deserialized from text, by parsing it.
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    )*};
}

from_str_and_serde!(Filter, PatchPath, AttrPath);
