//! Any bytes: parsing as a filter, a PATCH path and an attribute path never panics, and a
//! filter that parses evaluates (without and with string booleans) without panicking.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use scim_filter::{AttrPath, Evaluator, Filter, NoSchema, PatchPath};
use serde_json::Value;

static USER: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("../../bench/user.json")).expect("valid JSON")
});

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let _ = PatchPath::parse(input);
    let _ = AttrPath::parse(input);
    if let Ok(filter) = Filter::parse(input) {
        let _ = filter.matches(&USER);
        let _ = Evaluator::new(NoSchema)
            .string_booleans(true)
            .matches(&filter, &USER);
    }
});
