//! `lfm-mock`: runs the mock Last.fm server until killed or until its maximum lifetime.
//!
//! After binding it prints exactly one line to stdout,
//! `READY http=<http base> https=<https base> ca=<ca.pem path>`, and writes the same line
//! to `<state_dir>/ready`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use lfm_mock::{MockConfig, MockServer, TlsFlavor};

const USAGE: &str = "\
usage: lfm-mock [options]

  --state-dir DIR          where ca.pem and ready are written (default: a fresh temp dir)
  --http-port N            plain-HTTP port on 127.0.0.1 (default 0: ephemeral)
  --https-port N           HTTPS port on 127.0.0.1 (default 0: ephemeral)
  --libre                  Libre.fm mode: any api_key, no signature check
  --allow-insecure-auth    accept auth.getMobileSession over plain HTTP
  --tls-flavor F           normal | expired | wrong-host | self-signed (default normal)
  --token-ttl-secs N       lifetime of auth.getToken tokens (default 3600)
  --max-lifetime-secs N    exit 0 after N seconds (default 900; 0 = no limit)
  --verbose                log one line per request to stderr
  --help                   this text

Prints `READY http=<base> https=<base> ca=<path>` once listening.";

/// Parsed command line.
struct Args {
    config: MockConfig,
    max_lifetime: Option<Duration>,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut config = MockConfig::default();
    let mut max_lifetime = Some(Duration::from_secs(900));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--state-dir" => config.state_dir = PathBuf::from(value(&arg)?),
            "--http-port" => config.http_port = number(&arg, &value(&arg)?)?,
            "--https-port" => config.https_port = number(&arg, &value(&arg)?)?,
            "--libre" => config.libre_mode = true,
            "--allow-insecure-auth" => config.allow_insecure_auth = true,
            "--tls-flavor" => config.tls_flavor = value(&arg)?.parse::<TlsFlavor>()?,
            "--token-ttl-secs" => {
                config.token_ttl = Duration::from_secs(number(&arg, &value(&arg)?)?)
            }
            "--max-lifetime-secs" => {
                let secs: u64 = number(&arg, &value(&arg)?)?;
                max_lifetime = (secs > 0).then(|| Duration::from_secs(secs));
            }
            "--verbose" | "-v" => config.verbose = true,
            other => return Err(format!("unknown argument '{other}'")),
        }
    }
    Ok(Some(Args {
        config,
        max_lifetime,
    }))
}

fn number<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.parse()
        .map_err(|_| format!("{name}: '{v}' is not a valid number"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("lfm-mock: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let server = match MockServer::start(args.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("lfm-mock: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let line = format!(
        "READY http={} https={} ca={}",
        server.http_base(),
        server.https_base(),
        server.ca_pem_path().display()
    );
    if let Err(e) = std::fs::write(server.state_dir().join("ready"), format!("{line}\n")) {
        eprintln!("lfm-mock: cannot write the ready file: {e}");
        return ExitCode::FAILURE;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    drop(out);

    loop {
        let wait = match args.max_lifetime {
            Some(max) => match max.checked_sub(started.elapsed()) {
                Some(left) if !left.is_zero() => left.min(Duration::from_secs(1)),
                _ => break,
            },
            None => Duration::from_secs(3600),
        };
        std::thread::sleep(wait);
    }
    server.stop();
    ExitCode::SUCCESS
}
