//! `lfm`: the Last.fm API from the shell, built on liblfm.
//!
//! Exit codes: 0 success, 1 the request or operation failed (the error is printed on
//! stderr with its status and Last.fm code), 2 a usage error.

mod args;
mod history;
mod listen;

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use args::{pairs, Args, UsageError};
use lfm::log::{Level, Logger};
use lfm::queue::{EntryState, Queue};
use lfm::{CallFlags, Client, Service, Track};

const GLOBAL_OPTIONS: &[&str] = &[
    "api-key",
    "api-secret",
    "session-key",
    "base-url",
    "auth-url",
    "service",
    "ca-file",
    "proxy",
    "timeout-ms",
    "rate-limit",
    "max-batch",
];
const GLOBAL_FLAGS: &[&str] = &[
    "insecure-http",
    "system-roots",
    "verbose",
    "help",
    "version",
];
const TRACK_OPTIONS: &[&str] = &[
    "artist",
    "track",
    "album",
    "album-artist",
    "mbid",
    "timestamp",
    "duration",
    "track-number",
];

const HELP: &str = "\
lfm: talk to the Last.fm API (or Libre.fm, or a self-hosted server) from the shell

usage: lfm [OPTIONS] COMMAND [ARGS]

commands:
  sign NAME=VALUE...       print the signature base string (secret masked) and the api_sig
  auth mobile|token        log in; prints the session key and the user name
  call METHOD NAME=VALUE.. call any API method and print the JSON reply
  nowplaying               send track.updateNowPlaying
  scrobble                 scrobble one track now
  queue list|push|flush|remove|retry   the durable offline queue
  listen                   scrobble a player's events read from stdin (see lfm listen --help)
  history USER             export a user's whole listening history (jsonl or csv)
  help [COMMAND]           help for a command

options (each also read from the environment variable shown):
  --api-key KEY            LFM_API_KEY
  --api-secret SECRET      LFM_API_SECRET
  --session-key KEY        LFM_SESSION_KEY
  --service lastfm|librefm a built-in service (default lastfm)
  --base-url URL           LFM_BASE_URL: another API root (keep the trailing slash)
  --auth-url URL           another authorisation page
  --ca-file PEM            LFM_CA_FILE: also trust this CA
  --system-roots           trust the operating system's roots instead of the bundled ones
  --insecure-http          allow credentials (password, session key, token) over plain
                           http (self-hosted servers on a LAN)
  --proxy URL              LFM_PROXY: http://host:port or socks5://host:port
  --timeout-ms N           per-request timeout (default 30000)
  --rate-limit N           requests per second (default 5, 0 = off)
  --max-batch N            tracks per scrobble request (default 50)
  -v, --verbose            log every request to stderr (secrets redacted)
  --version                print the version

exit codes: 0 success, 1 the operation failed, 2 usage error";

fn command_help(command: &str) -> Option<&'static str> {
    Some(match command {
        "sign" => {
            "\
usage: lfm sign [--api-secret SECRET] NAME=VALUE...

Prints the string that is hashed (with the secret replaced by ****) and the api_sig, the
way liblfm signs every request: format, callback and api_sig are left out, names sorted as
bytes, values signed raw. Compare it with what your code signs when Last.fm answers
\"error 13: invalid signature\". Include method= and api_key= as your request does."
        }
        "auth" => {
            "\
usage: lfm auth mobile --username NAME     (password from LFM_PASSWORD or one line on stdin)
       lfm auth token [--wait-secs N] [--poll-secs N]

mobile: auth.getMobileSession over HTTPS. token: gets a token, prints the page to open,
and polls auth.getSession until you approve (default: wait 300 s, poll every 5 s).
Prints session_key=... and name=... on success."
        }
        "call" => {
            "\
usage: lfm call METHOD [NAME=VALUE...] [--signed] [--session] [--post] [--write]

Calls any method and prints the JSON reply. --write is --signed --session --post, what
every write method needs. method, api_key, format, sk and api_sig are added for you."
        }
        "nowplaying" => {
            "\
usage: lfm nowplaying --artist A --track T [--album X] [--album-artist X] [--mbid X]
                      [--duration SECS] [--track-number N]"
        }
        "scrobble" => {
            "\
usage: lfm scrobble --artist A --track T [--timestamp UNIX] [--album X] [--album-artist X]
                    [--mbid X] [--duration SECS] [--track-number N]

Scrobbles one play (timestamp: when it started; default now) and prints the verdict."
        }
        "queue" => {
            "\
usage: lfm queue --queue PATH list
       lfm queue --queue PATH push --artist A --track T [--timestamp UNIX] [...track options]
       lfm queue --queue PATH flush
       lfm queue --queue PATH remove ID | retry ID

The durable offline queue liblfm keeps for players (see the README)."
        }
        "listen" => {
            "\
usage: lfm listen --queue PATH [--json] [--drain-ms N] [--simulated-clock]

Drives liblfm's scrobbler engine with player events, one per line on stdin, and prints
what it does (now playing, queued, scrobbled, rejected, deferred, delivery stopped), one
line each (--json: one JSON object each). Try it from a shell or pipe a player's log in.
  play ARTIST - TITLE DURATION   a track starts at 0 (DURATION: seconds or M:SS, 0 unknown);
                                 the same track again is a new play (repeat-one)
  pause | resume | stop          stop: the track ended or the user stopped
  seek MS                        the position jumped (adds no listened time)
  flush                          try delivering now, ignoring the back-off once
  drain [MS]                     wait until nothing is pending (default 5000), print pending
  # comment                      ignored, as are blank lines
A bad line is reported on stderr and the session goes on. At the end of input it waits up
to --drain-ms (default 5000) for deliveries, then stops; plays not delivered stay in the
queue file, for the next lfm listen (or any liblfm scrobbler) on it.
--simulated-clock (for tests and demos): time stands still, starting at the real time, and
moves only by lines `advance MS`, so a whole session runs in an instant."
        }
        "history" => history::HELP,
        _ => return None,
    })
}

/// A failure: usage (exit 2) or an operation (exit 1).
enum Failure {
    Usage(String),
    Failed(String),
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Failure {
        Failure::Usage(e.0)
    }
}

impl From<lfm::Error> for Failure {
    fn from(e: lfm::Error) -> Failure {
        Failure::Failed(describe_error(&e))
    }
}

fn describe_error(e: &lfm::Error) -> String {
    let mut text = e.to_string();
    if e.is_retryable() {
        text.push_str(" [retryable");
        if e.retry_after_ms() > 0 {
            text.push_str(&format!(
                ", retry in {} s",
                e.retry_after_ms().div_ceil(1000)
            ));
        }
        text.push(']');
    }
    text
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    // Not locked for the whole run: `listen` prints events from the scrobbler's thread.
    match run(&argv, &mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("lfm: {message}\n(see lfm --help)");
            ExitCode::from(2)
        }
        Err(Failure::Failed(message)) => {
            eprintln!("lfm: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(argv: &[String], out: &mut dyn Write) -> Result<(), Failure> {
    let mut with_value: Vec<&str> = GLOBAL_OPTIONS.to_vec();
    with_value.extend_from_slice(TRACK_OPTIONS);
    with_value.extend_from_slice(&["username", "wait-secs", "poll-secs", "queue", "drain-ms"]);
    with_value.extend_from_slice(&["from", "to", "format", "output", "page-size"]);
    let mut flags: Vec<&str> = GLOBAL_FLAGS.to_vec();
    flags.extend_from_slice(&[
        "signed",
        "session",
        "post",
        "write",
        "json",
        "simulated-clock",
        "resume",
    ]);
    let args = Args::parse(argv, &with_value, &flags)?;
    let command = args.positional.first().map(String::as_str);
    let w = |out: &mut dyn Write, text: &str| {
        writeln!(out, "{text}").map_err(|e| Failure::Failed(e.to_string()))
    };

    if args.flag("version") {
        return w(out, &format!("lfm {}", lfm::VERSION));
    }
    if args.flag("help") || command.is_none() || command == Some("help") {
        let topic = if command == Some("help") {
            args.positional.get(1)
        } else {
            command.map(|_| &args.positional[0])
        };
        return w(out, topic.and_then(|t| command_help(t)).unwrap_or(HELP));
    }
    let rest = &args.positional[1..];
    match command.unwrap_or_default() {
        "sign" => sign(&args, rest, out),
        "auth" => auth(&args, rest, out),
        "call" => call(&args, rest, out),
        "nowplaying" => {
            let client = client(&args)?;
            client.update_now_playing(&track(&args, false)?)?;
            w(out, "now playing sent")
        }
        "scrobble" => scrobble(&args, out),
        "queue" => queue(&args, rest, out),
        "listen" => listen(&args, out),
        "history" => history::history(&args, rest, out),
        other => Err(Failure::Usage(format!("unknown command {other:?}"))),
    }
}

fn setting(args: &Args, option: &str, env: &str) -> Option<String> {
    args.get(option)
        .map(str::to_string)
        .or_else(|| std::env::var(env).ok().filter(|v| !v.is_empty()))
}

fn required(args: &Args, option: &str, env: &str) -> Result<String, Failure> {
    setting(args, option, env).ok_or_else(|| Failure::Usage(format!("set --{option} or {env}")))
}

/// A client configured from the options and the environment.
fn client(args: &Args) -> Result<Client, Failure> {
    let client = Client::new(
        &required(args, "api-key", "LFM_API_KEY")?,
        &required(args, "api-secret", "LFM_API_SECRET")?,
    )?;
    match args.get("service") {
        None | Some("lastfm") => {}
        Some("librefm") => client.set_service(Service::LibreFm)?,
        Some(other) => {
            return Err(Failure::Usage(format!(
                "unknown service {other:?} (lastfm or librefm)"
            )))
        }
    }
    if let Some(url) = setting(args, "base-url", "LFM_BASE_URL") {
        client.set_base_url(&url)?;
    }
    if let Some(url) = args.get("auth-url") {
        client.set_auth_url(url)?;
    }
    if args.flag("system-roots") {
        client.set_root_store(lfm::RootStore::System)?;
    }
    if let Some(pem) = setting(args, "ca-file", "LFM_CA_FILE") {
        client.set_ca_file(Path::new(&pem))?;
    }
    if let Some(proxy) = setting(args, "proxy", "LFM_PROXY") {
        client.set_proxy(Some(&proxy))?;
    }
    if let Some(key) = setting(args, "session-key", "LFM_SESSION_KEY") {
        client.set_session_key(Some(&key))?;
    }
    if let Some(ms) = args.number::<u64>("timeout-ms")? {
        client.set_timeout(Duration::from_millis(ms))?;
    }
    if let Some(rate) = args.number::<u32>("rate-limit")? {
        client.set_rate_limit(rate);
    }
    if let Some(n) = args.number::<u32>("max-batch")? {
        client.set_max_batch(n)?;
    }
    client.set_allow_insecure_http(args.flag("insecure-http"))?;
    if args.flag("verbose") {
        client.set_logger(Some(Logger::new(Level::Debug, |level, line| {
            eprintln!("[{}] {line}", format!("{level:?}").to_lowercase());
        })))?;
    }
    Ok(client)
}

fn sign(args: &Args, rest: &[String], out: &mut dyn Write) -> Result<(), Failure> {
    let secret = required(args, "api-secret", "LFM_API_SECRET")?;
    let owned = pairs(rest)?;
    if owned.is_empty() {
        return Err(Failure::Usage("sign needs NAME=VALUE parameters".into()));
    }
    let params: Vec<(&str, &str)> = owned
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let base = lfm::sign::signature_base_masked(&params, "****")?;
    let sig = lfm::sign::api_sig(&params, &secret)?;
    writeln!(out, "signed string: {base}\napi_sig: {sig}")
        .map_err(|e| Failure::Failed(e.to_string()))
}

fn auth(args: &Args, rest: &[String], out: &mut dyn Write) -> Result<(), Failure> {
    let client = client(args)?;
    let session = match rest.first().map(String::as_str) {
        Some("mobile") => {
            let username = args
                .get("username")
                .ok_or_else(|| Failure::Usage("auth mobile needs --username".into()))?;
            let password = match std::env::var("LFM_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    eprintln!("password (one line on stdin):");
                    let mut line = String::new();
                    std::io::stdin()
                        .lock()
                        .read_line(&mut line)
                        .map_err(|e| Failure::Failed(e.to_string()))?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            client.get_mobile_session(username, &password)?
        }
        Some("token") => {
            let wait = Duration::from_secs(args.number::<u64>("wait-secs")?.unwrap_or(300));
            let poll = Duration::from_secs(args.number::<u64>("poll-secs")?.unwrap_or(5).max(1));
            let token = client.get_token()?;
            writeln!(
                out,
                "open this page and approve the application:\n{}",
                client.auth_url(Some(&token), None)?
            )
            .and_then(|()| out.flush())
            .map_err(|e| Failure::Failed(e.to_string()))?;
            let deadline = Instant::now() + wait;
            loop {
                match client.get_session(&token) {
                    Ok(session) => break session,
                    Err(e) if e.api_code() == 14 && Instant::now() + poll < deadline => {
                        std::thread::sleep(poll)
                    }
                    Err(e) if e.api_code() == 14 => {
                        return Err(Failure::Failed(format!(
                            "not approved within {} s",
                            wait.as_secs()
                        )))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        _ => return Err(Failure::Usage("auth needs mobile or token".into())),
    };
    writeln!(out, "session_key={}\nname={}", session.key, session.name)
        .map_err(|e| Failure::Failed(e.to_string()))
}

fn call(args: &Args, rest: &[String], out: &mut dyn Write) -> Result<(), Failure> {
    let method = rest
        .first()
        .ok_or_else(|| Failure::Usage("call needs a METHOD".into()))?;
    let owned = pairs(&rest[1..])?;
    let params: Vec<(&str, &str)> = owned
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let mut flags = CallFlags::NONE;
    for (name, flag) in [
        ("signed", CallFlags::SIGNED),
        ("session", CallFlags::SESSION),
        ("post", CallFlags::POST),
        ("write", CallFlags::WRITE),
    ] {
        if args.flag(name) {
            flags = flags | flag;
        }
    }
    let body = client(args)?.call(method, &params, flags)?;
    writeln!(out, "{body}").map_err(|e| Failure::Failed(e.to_string()))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The track described by the options.
fn track(args: &Args, with_timestamp: bool) -> Result<Track, Failure> {
    let need = |name: &str| {
        args.get(name)
            .map(str::to_string)
            .ok_or_else(|| Failure::Usage(format!("--{name} is required")))
    };
    Ok(Track {
        artist: need("artist")?,
        track: need("track")?,
        album: args.get("album").map(str::to_string),
        album_artist: args.get("album-artist").map(str::to_string),
        mbid: args.get("mbid").map(str::to_string),
        timestamp: if with_timestamp {
            args.number("timestamp")?.unwrap_or_else(now)
        } else {
            0
        },
        duration_secs: args.number("duration")?.unwrap_or(0),
        track_number: args.number("track-number")?.unwrap_or(0),
        chosen_by_user: None,
    })
}

fn scrobble(args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let client = client(args)?;
    let result = client.scrobble(&[track(args, true)?])?;
    let verdict = &result.verdicts[0];
    if verdict.code == 0 {
        writeln!(out, "accepted").map_err(|e| Failure::Failed(e.to_string()))
    } else {
        Err(Failure::Failed(format!(
            "ignored by the server (code {}): {}",
            verdict.code, verdict.message
        )))
    }
}

fn listen(args: &Args, out: &mut dyn Write) -> Result<(), Failure> {
    let path = args
        .get("queue")
        .ok_or_else(|| Failure::Usage("listen needs --queue PATH".into()))?;
    let options = listen::Options {
        queue_path: Path::new(path),
        json: args.flag("json"),
        simulated_clock: args.flag("simulated-clock"),
        drain_at_end: args
            .number::<u64>("drain-ms")?
            .map_or(listen::DEFAULT_DRAIN, Duration::from_millis),
    };
    let client = client(args)?;
    if !client.has_session() {
        eprintln!("lfm listen: no session key (--session-key or LFM_SESSION_KEY): plays are queued, not sent");
    }
    let left = listen::listen(client, &options, &mut std::io::stdin().lock(), out)?;
    if left > 0 {
        eprintln!(
            "lfm listen: {left} play(s) not delivered yet stay in {path}; the next lfm listen on it sends them"
        );
    }
    Ok(())
}

fn queue(args: &Args, rest: &[String], out: &mut dyn Write) -> Result<(), Failure> {
    let path = args
        .get("queue")
        .ok_or_else(|| Failure::Usage("queue needs --queue PATH".into()))?;
    let queue = Queue::open(Path::new(path))?;
    let id_arg = || -> Result<u64, Failure> {
        rest.get(1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| Failure::Usage("give the play's ID (see lfm queue list)".into()))
    };
    let io = |e: std::io::Error| Failure::Failed(e.to_string());
    if let Some(report) = queue.damage().report() {
        eprintln!("lfm: warning: {report}");
    }
    match rest.first().map(String::as_str) {
        Some("list") => {
            for e in queue.entries() {
                let state = match &e.state {
                    EntryState::Pending => match &e.last_error {
                        Some(err) => {
                            format!("pending, {} failed attempt(s), last: {err}", e.attempts)
                        }
                        None => "pending".to_string(),
                    },
                    EntryState::Rejected { reason, .. } => format!("rejected: {reason}"),
                };
                writeln!(
                    out,
                    "{}\t{}\t{} - {}\t{state}",
                    e.id, e.track.timestamp, e.track.artist, e.track.track
                )
                .map_err(io)?;
            }
            writeln!(out, "{} pending", queue.pending_count()).map_err(io)
        }
        Some("push") => {
            let added = queue.push(&track(args, true)?)?;
            writeln!(out, "{}", if added { "queued" } else { "already queued" }).map_err(io)
        }
        Some("flush") => {
            let client = client(args)?;
            let outcome = queue.flush(&client);
            writeln!(
                out,
                "sent {}, rejected {}, pending {}",
                outcome.sent,
                outcome.rejected,
                queue.pending_count()
            )
            .map_err(io)?;
            match outcome.error {
                Some(e) => Err(e.into()),
                None => Ok(()),
            }
        }
        Some("remove") => {
            queue.remove(id_arg()?)?;
            writeln!(out, "removed").map_err(io)
        }
        Some("retry") => {
            queue.retry(id_arg()?)?;
            writeln!(out, "will be retried").map_err(io)
        }
        _ => Err(Failure::Usage(
            "queue needs list, push, flush, remove or retry".into(),
        )),
    }
}
