//! The parsers compared, behind one signature, and the corpus they share.
//!
//! Each `parse_*` function parses a whole filter and says whether it succeeded; what is timed
//! is exactly what a server does with a `filter` query parameter.

/// The shared corpus of realistic filters.
pub const FILTERS: &str = include_str!("../../bench/filters.txt");

/// The resource filters are evaluated on.
pub const USER: &str = include_str!("../../bench/user.json");

/// Every non-empty line of the corpus.
pub fn corpus() -> Vec<&'static str> {
    FILTERS.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// scim-rs's `scim-filter`.
pub fn parse_ours(input: &str) -> bool {
    scim_filter::Filter::parse(input).is_ok()
}

/// `scim_v2` 1.0.0 (lalrpop).
pub fn parse_scim_v2(input: &str) -> bool {
    input.parse::<peer_scim_v2::filter::Filter>().is_ok()
}

/// `scim-filter` 0.2.3 (nom 7), with the same whole-input check its own entry point makes.
pub fn parse_scim_filter_023(input: &str) -> bool {
    matches!(peer_scim_filter::parser::filter(input), Ok((rest, _)) if rest.is_empty())
}

/// kanidm's `scim_proto` 1.10.4 (peg). It rejects URN-qualified paths, so it is compared
/// with scim-rs alone, on the filters both accept ([`scim_proto_subset`]).
pub fn parse_scim_proto(input: &str) -> bool {
    input.parse::<peer_scim_proto::filter::ScimFilter>().is_ok()
}

/// The filters both scim-rs and `scim_proto` accept.
pub fn scim_proto_subset() -> Vec<&'static str> {
    corpus()
        .into_iter()
        .filter(|f| parse_ours(f) && parse_scim_proto(f))
        .collect()
}

/// The parsers by name, ours first.
pub const PARSERS: [(&str, fn(&str) -> bool); 3] = [
    ("scim-rs", parse_ours),
    ("scim_v2 1.0.0", parse_scim_v2),
    ("scim-filter 0.2.3", parse_scim_filter_023),
];

/// The filters every parser accepts.
pub fn common_subset() -> Vec<&'static str> {
    corpus()
        .into_iter()
        .filter(|f| PARSERS.iter().all(|(_, parse)| parse(f)))
        .collect()
}
