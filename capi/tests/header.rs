//! include/lfm.h is generated: cbindgen reads capi/src/, and the items it emits (constants
//! first, then types, then functions) are put back in reading order, one section per module
//! of capi/src in the order lib.rs declares them, each item where its source puts it.
//! The committed header must be exactly that; regenerate with
//! `LFM_BLESS=1 cargo test -p lfm-capi --test header` (or `make header`).

use std::path::PathBuf;

/// The header's sections: the module each comes from and its title, in reading order.
const SECTIONS: [(&str, &str); 11] = [
    ("lib.rs", "Versions and conventions"),
    ("error.rs", "Errors"),
    ("client.rs", "The client and its settings"),
    ("sign.rs", "Signing"),
    ("call.rs", "Calls"),
    ("login.rs", "Login"),
    ("scrobble.rs", "Scrobbling"),
    ("queue.rs", "The offline queue"),
    ("scrobbler.rs", "The scrobbler"),
    ("read.rs", "Reading"),
    ("log.rs", "Logging"),
];

fn capi_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    capi_dir().join("../include/lfm.h")
}

/// One declaration of cbindgen's output with its doc comment.
struct Item {
    name: String,
    text: String,
}

/// The name an item declares: `#define NAME`, `typedef ... NAME;`, `} NAME;`,
/// `typedef R (*NAME)(...)`, or a function `R NAME(...)`.
fn declared_name(decl: &str) -> Option<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let decl = decl.trim();
    let last = decl.lines().last()?.trim();
    if let Some(rest) = decl.strip_prefix("#define ") {
        return Some(ident(rest));
    }
    if let Some(at) = decl.find("(*") {
        return Some(ident(&decl[at + 2..]));
    }
    if decl.starts_with("typedef") && last.ends_with(';') && !last.contains('(') {
        return last
            .trim_end_matches(';')
            .split_whitespace()
            .last()
            .map(ident);
    }
    let open = decl.find('(')?;
    decl[..open]
        .split_whitespace()
        .last()
        .map(|w| ident(w.trim_start_matches('*')))
}

/// Split cbindgen's body (between the includes and the closing guard) into items.
fn items(body: &str) -> Vec<Item> {
    let mut out = Vec::new();
    for block in body.split("\n\n") {
        let block = block.trim_matches('\n');
        if block.is_empty() || block.starts_with("#ifdef __cplusplus") || block == "#endif" {
            continue;
        }
        let block = block
            .trim_start_matches("#ifdef __cplusplus\nextern \"C\" {\n#endif // __cplusplus")
            .trim_matches('\n');
        if block.is_empty() {
            continue;
        }
        let decl_start = block.find("*/").map_or(0, |i| i + 2);
        let name = declared_name(&block[decl_start..])
            .unwrap_or_else(|| panic!("cannot tell what this declares:\n{block}"));
        out.push(Item {
            name,
            text: block.to_string(),
        });
    }
    out
}

/// Where `name` is defined in the capi sources: (section index, byte offset).
fn source_position(sources: &[String], name: &str) -> (usize, usize) {
    let patterns = [
        format!("fn {name}("),
        format!("struct {name} "),
        format!("const {name}:"),
        format!("type {name} "),
    ];
    for (i, src) in sources.iter().enumerate() {
        if let Some(at) = patterns.iter().filter_map(|p| src.find(p.as_str())).min() {
            return (i, at);
        }
    }
    panic!("{name} is in the header but defined in no module of SECTIONS");
}

/// The header as committed: cbindgen's output in reading order.
fn generate() -> String {
    let dir = capi_dir();
    let top = dir.parent().expect("the workspace root");
    let config = cbindgen::Config::from_file(top.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut raw = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&dir)
        .with_config(config)
        .generate()
        .expect("cbindgen failed on the sources")
        .write(&mut raw);
    let raw = String::from_utf8(raw).expect("header is UTF-8");

    let includes_end = raw.rfind("#include <").expect("includes");
    let body_start = raw[includes_end..].find('\n').unwrap() + includes_end + 1;
    let tail = "#ifdef __cplusplus\n}  // extern \"C\"\n#endif  // __cplusplus";
    let body_end = raw.rfind(tail).expect("the extern \"C\" end");
    let sources: Vec<String> = SECTIONS
        .iter()
        .map(|(file, _)| std::fs::read_to_string(dir.join("src").join(file)).expect(file))
        .collect();

    let mut placed: Vec<((usize, usize), Item)> = items(&raw[body_start..body_end])
        .into_iter()
        .map(|item| (source_position(&sources, &item.name), item))
        .collect();
    placed.sort_by_key(|(pos, _)| *pos);

    let mut out = raw[..body_start].to_string();
    out.push_str("\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n");
    let mut section = usize::MAX;
    for ((s, _), item) in &placed {
        if *s != section {
            section = *s;
            let title = SECTIONS[section].1;
            out.push_str(&format!("\n/* {:=<88} */\n", format!("== {title} ")));
        }
        out.push('\n');
        out.push_str(&item.text);
        out.push('\n');
    }
    out.push_str("\n#ifdef __cplusplus\n}  /* extern \"C\" */\n#endif\n\n#endif  /* LFM_H */\n");
    out
}

#[test]
fn committed_header_matches_cbindgen() {
    let generated = generate();
    let path = header_path();
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

fn committed() -> String {
    std::fs::read_to_string(header_path()).expect("include/lfm.h")
}

/// The sections of the committed header, in order, and the items of each.
fn sections(header: &str) -> Vec<(String, Vec<Item>)> {
    let mut out: Vec<(String, Vec<Item>)> = Vec::new();
    for chunk in header.split("\n/* == ").skip(1) {
        let (title_line, rest) = chunk.split_once('\n').unwrap();
        let title = title_line
            .trim_end_matches(['=', ' ', '*', '/'])
            .to_string();
        let rest = rest.split("\n#ifdef __cplusplus\n}").next().unwrap();
        out.push((title, items(rest)));
    }
    out
}

#[test]
fn header_reads_in_the_order_a_player_learns_it() {
    let found: Vec<String> = sections(&committed()).into_iter().map(|(t, _)| t).collect();
    let expected: Vec<&str> = SECTIONS.iter().map(|(_, t)| *t).collect();
    assert_eq!(found, expected);
}

#[test]
fn every_item_in_the_header_is_documented() {
    let mut count = 0;
    for (title, items) in sections(&committed()) {
        for item in items {
            count += 1;
            let doc = item.text.split("*/").next().unwrap_or_default();
            let words = doc.split_whitespace().filter(|w| *w != "*").count();
            assert!(
                item.text.starts_with("/**") && words >= 3,
                "{} (section {title}) has no doc comment",
                item.name
            );
        }
    }
    assert!(count > 80, "only {count} items found: the parser is broken");
}

/// Each opaque type's doc has a "Methods:" list naming every function whose first parameter
/// is that type (it may add the functions that make one), and only functions that exist.
#[test]
fn each_type_lists_its_functions() {
    let all: Vec<Item> = sections(&committed())
        .into_iter()
        .flat_map(|(_, items)| items)
        .collect();
    let opaque: Vec<&Item> = all
        .iter()
        .filter(|i| i.text.contains(&format!("typedef struct {0} {0};", i.name)))
        .collect();
    assert!(opaque.len() >= 5, "opaque types not found");
    for ty in opaque {
        let expected: Vec<&str> = all
            .iter()
            .filter(|f| {
                let decl = f.text.rsplit("*/").next().unwrap_or_default().trim_start();
                if decl.contains("(*") || decl.starts_with('#') || decl.starts_with("typedef") {
                    return false;
                }
                let first = decl.split_once('(').map_or("", |(_, a)| a.trim_start());
                first.starts_with(&format!("const struct {} *", ty.name))
                    || first.starts_with(&format!("struct {} *", ty.name))
            })
            .map(|f| f.name.as_str())
            .collect();
        let doc = ty.text.split("*/").next().unwrap_or_default();
        let methods = doc
            .split_once("Methods:")
            .unwrap_or_else(|| panic!("{} has no \"Methods:\" list", ty.name))
            .1;
        let listed: Vec<&str> = methods
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("lfm_"))
            .collect();
        for f in &expected {
            assert!(
                listed.contains(f),
                "the Methods: list of {} lacks {f}",
                ty.name
            );
        }
        for f in &listed {
            assert!(
                all.iter()
                    .any(|i| i.name == *f && i.text.contains(&format!("{f}("))),
                "the Methods: list of {} names {f}, which is no function",
                ty.name
            );
        }
    }
}

#[test]
fn header_exports_only_lfm_names() {
    let header = committed();
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
