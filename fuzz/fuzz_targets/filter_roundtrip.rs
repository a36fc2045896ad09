//! Round-trip invariant: whatever parses prints as canonical text that parses back to the same
//! AST, and printing that AST again gives the same text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_filter::{Filter, PatchPath};

fuzz_target!(|input: &str| {
    if let Ok(ast) = Filter::parse(input) {
        let text = ast.to_string();
        let again = Filter::parse(&text)
            .unwrap_or_else(|e| panic!("canonical text {text:?} of {input:?} fails: {e}"));
        assert_eq!(again, ast, "{input:?} printed as {text:?}");
        assert_eq!(again.to_string(), text);
    }
    if let Ok(ast) = PatchPath::parse(input) {
        let text = ast.to_string();
        let again = PatchPath::parse(&text)
            .unwrap_or_else(|e| panic!("canonical text {text:?} of {input:?} fails: {e}"));
        assert_eq!(again, ast, "{input:?} printed as {text:?}");
    }
});
