//! Arbitrary bytes as an OTLP/HTTP export response body, read as protobuf and as OTLP/JSON
//! (what a server, or anything answering on its port, can send the OTLP sink): never a
//! panic; an accepted partial success has a count the sink can use (it clamps negatives to 0).
#![no_main]

use libfuzzer_sys::fuzz_target;
use logcap_core::config::{OtlpEncoding, OtlpLabelsAs};
use logcap_core::encode::otlp::OtlpEncoder;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    for encoding in [OtlpEncoding::Protobuf, OtlpEncoding::Json] {
        let enc = OtlpEncoder::new(encoding, OtlpLabelsAs::Resource, BTreeMap::new(), false);
        match enc.response(data) {
            Ok(r) => {
                if data.is_empty() {
                    assert!(r.partial_success.is_none());
                }
            }
            Err(e) => assert!(e.starts_with("undecodable"), "{e}"),
        }
    }
});
