//! The committed C header must be exactly what cbindgen generates from the sources.
//! Regenerate with `LFM_BLESS=1 cargo test -p lfm-capi --test header` (or `make header`).

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let top = root.parent().expect("the workspace root");
    let config = cbindgen::Config::from_file(top.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen failed on the sources")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("header is UTF-8");
    let path = top.join("include/lfm.h");
    if std::env::var_os("LFM_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/lfm.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/lfm.h is out of date: run `make header` and commit the result"
    );
}

#[test]
fn header_exports_only_lfm_names() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../include/lfm.h"))
            .expect("include/lfm.h");
    for line in header.lines() {
        let line = line.trim();
        let name = if let Some(rest) = line.strip_prefix("#define ") {
            rest.split_whitespace().next()
        } else if line.starts_with("typedef ") && line.contains("(*") {
            // typedef void (*name)(args);
            line.split("(*")
                .nth(1)
                .and_then(|rest| rest.split(')').next())
        } else if (line.starts_with("typedef ") || line.starts_with("} ")) && line.ends_with(';') {
            line.trim_end_matches(';').split_whitespace().last()
        } else {
            None
        };
        if let Some(name) = name {
            if name != "LFM_H" {
                assert!(
                    name.starts_with("lfm_") || name.starts_with("LFM_"),
                    "header exports a name outside the lfm_/LFM_ namespace: {name}"
                );
            }
        }
    }
}
