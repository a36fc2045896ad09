//! Runs the data-driven corpus in `tests/corpus/` (see its README), reporting every failing
//! line at once.

use std::fmt::Display;

use scim_filter::{Filter, ParseError, PatchPath};

/// One parsed line: its number and tab-separated columns.
fn lines(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(n, line)| (n + 1, line.split('\t').collect()))
}

/// Parses `input` as `kind` and prints the result, or the error.
fn parse(kind: &str, input: &str) -> Result<(String, Box<dyn PartialEqAny>), ParseError> {
    match kind {
        "filter" => Filter::parse(input).map(|f| (f.to_string(), Box::new(f) as _)),
        "path" => PatchPath::parse(input).map(|p| (p.to_string(), Box::new(p) as _)),
        other => panic!("unknown kind {other:?}"),
    }
}

/// Equality across the two AST types, for comparing a parse with its reparse.
trait PartialEqAny: std::fmt::Debug {
    fn as_any(&self) -> &dyn std::any::Any;
    fn equals(&self, other: &dyn PartialEqAny) -> bool;
}

impl<T: PartialEq + std::fmt::Debug + 'static> PartialEqAny for T {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn equals(&self, other: &dyn PartialEqAny) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }
}

fn report(file: &str, failures: &[String], total: usize) {
    assert!(
        failures.is_empty(),
        "{} of {total} cases in {file} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        total > 50,
        "{file} holds only {total} cases: is it being read?"
    );
}

fn fail(failures: &mut Vec<String>, line: usize, input: &str, problem: impl Display) {
    failures.push(format!("  line {line}: {input:?}: {problem}"));
}

#[test]
fn valid_corpus() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (line, cols) in lines(include_str!("corpus/valid.tsv")) {
        total += 1;
        let [kind, input, canonical] = cols[..] else {
            fail(&mut failures, line, "", "expected 3 columns");
            continue;
        };
        let canonical = if canonical == "=" { input } else { canonical };
        match parse(kind, input) {
            Err(e) => fail(&mut failures, line, input, format!("failed to parse: {e}")),
            Ok((printed, _)) if printed != canonical => {
                fail(
                    &mut failures,
                    line,
                    input,
                    format!("printed as {printed:?}, expected {canonical:?}"),
                );
            }
            Ok((printed, ast)) => match parse(kind, &printed) {
                Ok((_, reparsed)) if reparsed.equals(&*ast) => {}
                Ok((_, reparsed)) => fail(
                    &mut failures,
                    line,
                    input,
                    format!("canonical text reparses to another AST: {ast:?} vs {reparsed:?}"),
                ),
                Err(e) => fail(
                    &mut failures,
                    line,
                    input,
                    format!("canonical text fails to parse: {e}"),
                ),
            },
        }
    }
    report("valid.tsv", &failures, total);
}

#[test]
fn invalid_corpus() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (line, cols) in lines(include_str!("corpus/invalid.tsv")) {
        total += 1;
        let [kind, input, position, message] = cols[..] else {
            fail(&mut failures, line, "", "expected 4 columns");
            continue;
        };
        let position: usize = position.parse().expect("a numeric position");
        match parse(kind, input) {
            Ok((printed, _)) => fail(
                &mut failures,
                line,
                input,
                format!("parsed, as {printed:?}"),
            ),
            Err(e) if (e.position(), e.message()) != (position, message) => fail(
                &mut failures,
                line,
                input,
                format!(
                    "failed with {:?} at {}, expected {message:?} at {position}",
                    e.message(),
                    e.position()
                ),
            ),
            Err(_) => {}
        }
    }
    report("invalid.tsv", &failures, total);
}
