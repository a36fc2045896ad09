//! Starts `axum-memory` as a script would and provisions a user over real HTTP.

#[path = "../../start_test.rs"]
mod start_test;

#[test]
fn starts_on_the_given_address_with_the_given_token() {
    start_test::flags(env!("CARGO_BIN_EXE_axum-memory"), &[]);
}

#[test]
fn takes_its_options_from_the_environment() {
    start_test::environment(env!("CARGO_BIN_EXE_axum-memory"), &[]);
}
