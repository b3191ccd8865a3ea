//! The text format shared by the `sign` and `encode` targets, so that seed files are
//! readable: one field per line; a line's name and value are split at its first TAB; inside
//! a field `\n`, `\t` and `\\` stand for a newline, a TAB and a backslash (any other
//! backslash is kept as is). Inputs that are not UTF-8 are skipped.

/// Undo the escapes of one field.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Split `text` into its lines, each as (name, value); a line without TAB is a name with
/// an empty value.
pub fn pairs(lines: &[&str]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|line| {
            let (name, value) = line.split_once('\t').unwrap_or((line, ""));
            (unescape(name), unescape(value))
        })
        .collect()
}
