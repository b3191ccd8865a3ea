//! The golden signature vectors of tests/vectors/signatures.json, for the core's and the C
//! API's tests.

use serde_json::Value;

pub struct Case {
    pub name: String,
    pub secret: String,
    pub params: Vec<(String, String)>,
    pub signature_base: String,
    pub api_sig: String,
}

pub fn cases() -> Vec<Case> {
    let text = include_str!("../vectors/signatures.json");
    let json: Value = serde_json::from_str(text).expect("vectors are JSON");
    let cases = json["cases"].as_array().expect("cases array");
    assert!(cases.len() >= 10, "expected the full vector set");
    cases
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            secret: c["secret"].as_str().unwrap().to_string(),
            params: c["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["name"].as_str().unwrap().to_string(),
                        p["value"].as_str().unwrap().to_string(),
                    )
                })
                .collect(),
            signature_base: c["signature_base"].as_str().unwrap().to_string(),
            api_sig: c["api_sig"].as_str().unwrap().to_string(),
        })
        .collect()
}
