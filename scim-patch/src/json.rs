//! JSON as SCIM requests must be: parsed like [`serde_json::Value`], but an object that
//! names a member twice or a string holding U+0000 is refused rather than read one way or
//! another. `serde_json` keeps the last of two equal names silently, so a body could say two
//! things and a proxy, a log and the store could each believe a different one; and U+0000
//! cannot be stored in many databases (PostgreSQL's `text` among them).
//!
//! ```
//! assert!(scim_patch::json::from_slice(br#"{"userName": "bjensen"}"#).is_ok());
//! let twice = scim_patch::json::from_slice(br#"{"userName": "a", "userName": "b"}"#);
//! assert!(twice.unwrap_err().to_string().contains("twice"));
//! assert!(scim_patch::json::from_slice(br#"{"userName": "a\u0000"}"#).is_err());
//! ```

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

/// Parses `bytes` as JSON, refusing duplicate member names and U+0000 in strings.
pub fn from_slice(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    serde_json::from_slice::<StrictValue>(bytes).map(|v| v.0)
}

/// What a client reads about a body that failed to parse: not JSON at all, or JSON these
/// rules refuse (a member named twice, a NUL character).
pub fn error_detail(err: &serde_json::Error) -> String {
    match err.classify() {
        serde_json::error::Category::Data => format!("the body is refused: {err}"),
        _ => format!("the body is not valid JSON: {err}"),
    }
}

/// A [`Value`] deserialized with [`from_slice`]'s rules, for use inside other `Deserialize`
/// implementations.
#[derive(Debug, Clone, PartialEq)]
pub struct StrictValue(pub Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

fn string<E: de::Error>(s: &str) -> Result<(), E> {
    if s.contains('\0') {
        return Err(E::custom(
            "strings may not contain U+0000 (a NUL character)",
        ));
    }
    Ok(())
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        string(v)?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        string(&v)?;
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            string(&key)?;
            let StrictValue(value) = map.next_value()?;
            match members.entry(key) {
                Entry::Vacant(place) => {
                    place.insert(value);
                }
                Entry::Occupied(place) => {
                    return Err(de::Error::custom(format_args!(
                        "the member \"{}\" is given twice in one object",
                        place.key()
                    )));
                }
            }
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::from_slice;

    #[test]
    fn reads_what_serde_json_reads() {
        let text = br#"{"a": [1, -2, 3.5, 18446744073709551615, true, null, "x\u00e9"],
                        "b": {"c": {}}, "d": []}"#;
        assert_eq!(
            from_slice(text).unwrap(),
            serde_json::from_slice::<serde_json::Value>(text).unwrap()
        );
        assert_eq!(from_slice(b"\"s\"").unwrap(), json!("s"));
    }

    #[test]
    fn refuses_twice_and_nul() {
        for text in [
            &br#"{"a": 1, "a": 2}"#[..],
            br#"{"x": [{"b": {"c": 1, "c": 1}}]}"#,
            br#"{"a\u0000": 1}"#,
            br#"["ok", "n\u0000"]"#,
        ] {
            assert!(
                from_slice(text).is_err(),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
        // Names differing in case are different JSON names: the schema decides about them.
        assert!(from_slice(br#"{"a": 1, "A": 2}"#).is_ok());
        // serde_json's own limits still hold.
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        assert!(from_slice(deep.as_bytes()).is_err());
    }
}
