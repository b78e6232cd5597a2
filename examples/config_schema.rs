//! Prints the JSON Schema of the configuration document, generated from the configuration
//! types by schemars:
//!
//!     cargo run --example config_schema --features schema > docs/config.schema.json
//!
//! A unit test (`cargo test -p logcap-core --features schema --lib load::schema`) fails when the checked-in
//! file differs from what this prints.

fn main() {
    let schema = logcap_core::load::config_schema();
    println!(
        "{}",
        serde_json::to_string_pretty(&schema).expect("a schema serialises")
    );
}
