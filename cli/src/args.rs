//! A small, strict argument parser: `--flag`, `--option VALUE`, `--option=VALUE`, and
//! positional arguments, with every unknown option an error. `-v`, `-h` and `-o` are
//! `--verbose`, `--help` and `--output`.

use std::collections::HashMap;

/// Parsed arguments of one command.
#[derive(Debug, Default)]
pub struct Args {
    options: HashMap<String, String>,
    flags: Vec<String>,
    /// Positional arguments, in order.
    pub positional: Vec<String>,
}

/// A usage error: the message to print before the help.
#[derive(Debug)]
pub struct UsageError(pub String);

impl Args {
    /// Parse `argv`, knowing which names take a value and which are plain flags.
    pub fn parse(argv: &[String], with_value: &[&str], flags: &[&str]) -> Result<Args, UsageError> {
        let mut args = Args::default();
        let mut i = 0;
        while i < argv.len() {
            let arg = &argv[i];
            i += 1;
            if arg == "--" {
                args.positional.extend(argv[i..].iter().cloned());
                break;
            }
            // -o is --output.
            let arg = if arg == "-o" {
                "--output"
            } else {
                arg.as_str()
            };
            let Some(name) = arg.strip_prefix("--") else {
                if arg == "-v" {
                    args.flags.push("verbose".into());
                } else if arg == "-h" {
                    args.flags.push("help".into());
                } else {
                    args.positional.push(arg.to_string());
                }
                continue;
            };
            let (name, inline) = match name.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (name, None),
            };
            if with_value.contains(&name) {
                let value = match inline {
                    Some(v) => v,
                    None => {
                        let v = argv
                            .get(i)
                            .cloned()
                            .ok_or_else(|| UsageError(format!("--{name} needs a value")))?;
                        i += 1;
                        v
                    }
                };
                args.options.insert(name.to_string(), value);
            } else if flags.contains(&name) && inline.is_none() {
                args.flags.push(name.to_string());
            } else {
                return Err(UsageError(format!("unknown option --{name}")));
            }
        }
        Ok(args)
    }

    /// The value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options.get(name).map(String::as_str)
    }

    /// Whether `--name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    /// The value of `--name` as a number.
    pub fn number<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, UsageError> {
        self.get(name)
            .map(|v| {
                v.parse()
                    .map_err(|_| UsageError(format!("--{name} must be a number, not {v:?}")))
            })
            .transpose()
    }
}

/// Split `name=value` arguments into pairs.
pub fn pairs(positional: &[String]) -> Result<Vec<(String, String)>, UsageError> {
    positional
        .iter()
        .map(|p| {
            p.split_once('=')
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .ok_or_else(|| UsageError(format!("expected NAME=VALUE, got {p:?}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn parses_options_flags_and_positionals() {
        let a = Args::parse(
            &argv(&["x", "--k", "v", "--w=1", "--post", "-v", "a=b", "-o", "f"]),
            &["k", "w", "output"],
            &["post", "verbose"],
        )
        .unwrap();
        assert_eq!(a.get("k"), Some("v"));
        assert_eq!(a.get("output"), Some("f"));
        assert_eq!(a.number::<u32>("w").unwrap(), Some(1));
        assert!(a.flag("post") && a.flag("verbose"));
        assert_eq!(a.positional, ["x", "a=b"]);
        assert!(Args::parse(&argv(&["--nope"]), &[], &[]).is_err());
        assert!(Args::parse(&argv(&["--k"]), &["k"], &[]).is_err());
        assert_eq!(
            pairs(&argv(&["a=b=c"])).unwrap(),
            [("a".to_string(), "b=c".to_string())]
        );
        assert!(pairs(&argv(&["ab"])).is_err());
    }
}
