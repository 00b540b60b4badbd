//! The black-box harness: one real Worker under `wrangler dev` with fresh local D1, KV and
//! Durable Object state, and a small HTTP client to talk to it.
//!
//! `wrangler dev` runs in its own process group under a watchdog shell whose stdin is a pipe
//! from this process. When the pipe closes (the tests finished, panicked, or this process was
//! killed) the watchdog terminates the whole group, so no `workerd` outlives the tests.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use edge_customer_api::store::sql::Statement;
use serde_json::Value;

/// The clients of the local project `demo` (and of a second project, `other`) in `.dev.vars`.
pub const ADMIN: (&str, &str) = ("demo-admin", "demo-admin-secret");
pub const VIEWER: (&str, &str) = ("demo-viewer", "demo-viewer-secret");
pub const OTHER_ADMIN: (&str, &str) = ("other-admin", "other-admin-secret");

const READY_TIMEOUT: Duration = Duration::from_secs(600);

/// Whether the suite runs with customers spread over 4 D1 databases (`API_TEST_CONFIG=sharded`:
/// `wrangler.sharded.toml`, written by `scripts/sharded-config.sh`).
pub fn sharded() -> bool {
    std::env::var("API_TEST_CONFIG").is_ok_and(|v| v == "sharded")
}

/// The D1 bindings of the default (`false`) or the 4-shard configuration, the catalog first.
fn databases_of(sharded: bool) -> &'static [&'static str] {
    if sharded {
        &[
            "DB",
            "CUSTOMERS_1",
            "CUSTOMERS_2",
            "CUSTOMERS_3",
            "CUSTOMERS_4",
        ]
    } else {
        &["DB"]
    }
}

/// The `wrangler` arguments of the default (`false`) or the 4-shard configuration.
fn config_args_of(sharded: bool) -> Vec<&'static str> {
    static WRITTEN: OnceLock<()> = OnceLock::new();
    if !sharded {
        return Vec::new();
    }
    WRITTEN.get_or_init(|| {
        let out = Command::new("bash")
            .arg("scripts/sharded-config.sh")
            .current_dir(project_root())
            .output()
            .expect("run scripts/sharded-config.sh");
        assert!(out.status.success(), "scripts/sharded-config.sh failed");
    });
    vec!["-c", "wrangler.sharded.toml"]
}

/// Runs `wrangler dev` until dropped (and, through the watchdog, never longer than this process).
/// `$1` is the state directory; further arguments go to `wrangler dev`.
const WATCHDOG: &str = r#"
state="$1"; shift
node node_modules/wrangler/bin/wrangler.js dev --ip 127.0.0.1 --port 0 --persist-to "$state" \
  --show-interactive-dev-session=false --log-level info "$@" </dev/null 2>&1 &
wrangler=$!
trap '' TERM
read -r _ || true
kill -TERM -- -$$ 2>/dev/null
for _ in $(seq 100); do kill -0 "$wrangler" 2>/dev/null || break; sleep 0.1; done
kill -KILL -- -$$
"#;

pub struct Server {
    pub base_url: String,
    pub state_dir: PathBuf,
    /// Whether it runs the 4-shard configuration.
    pub sharded: bool,
    /// Whether dropping it keeps the state directory (a restart).
    keep_state: bool,
    child: Child,
    watchdog_pipe: Option<ChildStdin>,
    log: Arc<Mutex<Vec<String>>>,
}

const STATE_DIR_PREFIX: &str = "edge-customer-api-test-";

/// State directories of earlier runs whose process is gone (killed before it could clean up).
fn remove_abandoned_state_dirs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(STATE_DIR_PREFIX) else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Applies the migrations to one local D1 database of the configuration.
fn migrate(state_dir: &Path, database: &str, sharded: bool) {
    let migrate = Command::new("node")
        .args([
            "node_modules/wrangler/bin/wrangler.js",
            "d1",
            "migrations",
            "apply",
            database,
            "--local",
        ])
        .args(config_args_of(sharded))
        .arg("--persist-to")
        .arg(state_dir)
        .current_dir(project_root())
        .env("CI", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .output()
        .expect("run wrangler d1 migrations apply (did scripts/setup.sh run?)");
    assert!(
        migrate.status.success(),
        "migrations failed:\n{}{}",
        String::from_utf8_lossy(&migrate.stdout),
        String::from_utf8_lossy(&migrate.stderr)
    );
}

/// With shards, a customer write whose values contain this text fails in its shard (to test
/// that the catalog's claims are undone).
pub const FAIL_SHARD_WRITE: &str = "fail-shard-write";

/// With shards, a customer write whose values contain this text loses its shard part after
/// its catalog part was written, with no undo (what a Worker dying between the two leaves).
pub const LOSE_SHARD_WRITE: &str = "lose-shard-write";

fn sharded_args() -> Vec<String> {
    if sharded() {
        vec![
            "--var".into(),
            format!("TEST_FAIL_SHARD_WRITE:{FAIL_SHARD_WRITE}"),
            "--var".into(),
            format!("TEST_LOSE_SHARD_WRITE:{LOSE_SHARD_WRITE}"),
        ]
    } else {
        Vec::new()
    }
}

fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl Server {
    /// The server the tests share: it honours the test clock header
    /// (`X-Test-Clock-Offset-Ms`), so expiry is tested without waiting, and runs the scheduled
    /// handler on `GET /__scheduled` (`--test-scheduled`), so the message retention is tested
    /// without a cron.
    pub fn start() -> Server {
        Server::start_with(&[
            "--var",
            "TEST_CLOCK:enabled",
            "--test-scheduled",
            "--var",
            "SEARCH_INDEX_BATCH:4",
            "--var",
            "SEARCH_INDEX_PAUSE_MS:150",
        ])
    }

    /// A server with these extra `wrangler dev` arguments.
    pub fn start_with(extra_args: &[&str]) -> Server {
        Server::start_in(sharded(), extra_args)
    }

    /// A server of the 4-shard configuration (whatever `API_TEST_CONFIG` says), with these
    /// extra `wrangler dev` arguments (none of the default server's test markers).
    pub fn start_sharded_with(extra_args: &[&str]) -> Server {
        Server::start_in(true, extra_args)
    }

    /// The same Worker started again on the same state (D1, KV, Durable Objects), with
    /// these `wrangler dev` arguments instead (a redeploy with other vars).
    pub fn restart_with(mut self, extra_args: &[&str]) -> Server {
        self.keep_state = true;
        let (state_dir, sharded) = (self.state_dir.clone(), self.sharded);
        drop(self);
        let markers = if sharded && self::sharded() {
            sharded_args()
        } else {
            Vec::new()
        };
        Server::spawn(state_dir, sharded, &markers, extra_args)
    }

    fn start_in(sharded: bool, extra_args: &[&str]) -> Server {
        remove_abandoned_state_dirs();
        let state_dir = std::env::temp_dir().join(format!(
            "{STATE_DIR_PREFIX}{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&state_dir).expect("create the state directory");
        for database in databases_of(sharded) {
            migrate(&state_dir, database, sharded);
        }
        let markers = if sharded == self::sharded() {
            sharded_args()
        } else {
            Vec::new()
        };
        Server::spawn(state_dir, sharded, &markers, extra_args)
    }

    /// `wrangler dev` on a migrated state directory.
    fn spawn(state_dir: PathBuf, sharded: bool, markers: &[String], extra_args: &[&str]) -> Server {
        let mut child = Command::new("bash")
            .args(["-c", WATCHDOG, "watchdog"])
            .arg(&state_dir)
            .args(config_args_of(sharded))
            .args(markers)
            .args(extra_args)
            .current_dir(project_root())
            .env("CI", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn wrangler dev");
        let watchdog_pipe = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");

        // Drain the output for as long as the server runs (a full pipe would stall it), and
        // hand the lines to the readiness check.
        let log = Arc::new(Mutex::new(Vec::new()));
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        let drain_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                drain_log.lock().unwrap().push(line.clone());
                let _ = lines_tx.send(line);
            }
        });

        let mut server = Server {
            base_url: String::new(),
            state_dir,
            sharded,
            keep_state: false,
            child,
            watchdog_pipe,
            log,
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        let port = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines_rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(port) = ready_port(&line) {
                        break port;
                    }
                }
                Err(_) => panic!("wrangler dev did not become ready:\n{}", server.log_text()),
            }
        };
        server.base_url = format!("http://127.0.0.1:{port}");
        server.wait_until_answering(deadline);
        server
    }

    fn wait_until_answering(&self, deadline: Instant) {
        loop {
            let probe = ureq::get(&format!("{}/", self.base_url))
                .timeout(Duration::from_secs(5))
                .call();
            match probe {
                Ok(_) | Err(ureq::Error::Status(..)) => return,
                Err(e) if Instant::now() > deadline => {
                    panic!("wrangler dev does not answer: {e}\n{}", self.log_text())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let log = self.log.lock().unwrap();
        log[log.len().saturating_sub(lines)..].join("\n")
    }
}

fn ready_port(line: &str) -> Option<u16> {
    let rest =
        &line[line.find("Ready on http://127.0.0.1:")? + "Ready on http://127.0.0.1:".len()..];
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing the pipe tells the watchdog to terminate the process group.
        drop(self.watchdog_pipe.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Belt and braces: nothing of the group may survive.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
        if !self.keep_state {
            let _ = std::fs::remove_dir_all(&self.state_dir);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// A response: status, headers and body (parsed as JSON when it is JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub text: String,
    pub json: Value,
    headers: Vec<(String, String)>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `code` of the first error of an error envelope.
    pub fn error_code(&self) -> &str {
        self.json["errors"][0]["code"].as_str().unwrap_or_default()
    }

    /// Asserts a commercetools error envelope with this status and first error code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.json["statusCode"], status,
            "statusCode; body: {}",
            self.text
        );
        assert_eq!(self.error_code(), code, "error code; body: {}", self.text);
        assert!(
            self.json["message"].is_string(),
            "message; body: {}",
            self.text
        );
        assert_eq!(
            self.json["message"], self.json["errors"][0]["message"],
            "body: {}",
            self.text
        );
        &self.json["errors"][0]
    }
}

/// How `wrangler dev`'s proxy answers when its connection to the Worker dropped.
const PROXY_LOST_WORKER: &str = "Your worker restarted mid-request.";

fn to_reply(response: ureq::Response) -> Reply {
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .map(|n| {
            let v = response.header(&n).unwrap_or_default().to_string();
            (n, v)
        })
        .collect();
    let mut text = String::new();
    response
        .into_reader()
        .take(16 * 1024 * 1024)
        .read_to_string(&mut text)
        .expect("read the response body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        text,
        json,
        headers,
    }
}

/// A message as the messages table keeps it.
#[derive(Debug)]
pub struct StoredMessage {
    pub kind: String,
    pub sequence: i64,
    pub resource_version: i64,
    pub doc: Value,
}

impl StoredMessage {
    /// `(type, sequenceNumber, resourceVersion)`, for comparing whole histories.
    pub fn summary(messages: &[StoredMessage]) -> Vec<(&str, i64, i64)> {
        messages
            .iter()
            .map(|m| (m.kind.as_str(), m.sequence, m.resource_version))
            .collect()
    }
}

/// Talks to the Worker; every call is a real HTTP request.
pub struct App {
    pub base_url: String,
    state_dir: Option<PathBuf>,
    /// Whether the server runs the 4-shard configuration.
    sharded: bool,
    admin_token: OnceLock<String>,
}

impl App {
    pub fn new(base_url: String, state_dir: Option<PathBuf>) -> App {
        App {
            base_url,
            state_dir,
            sharded: sharded(),
            admin_token: OnceLock::new(),
        }
    }

    /// A client of `server` (its configuration, whatever `API_TEST_CONFIG` says).
    pub fn of(server: &Server) -> App {
        App {
            sharded: server.sharded,
            ..App::new(server.base_url.clone(), Some(server.state_dir.clone()))
        }
    }

    /// Runs SQL against the server's local D1 database, from outside the Worker: only in
    /// serial tests, while no request is in flight. With shards, in every database (the
    /// rows of all, concatenated).
    pub fn d1_query(&self, sql: &str) -> Vec<Value> {
        // With shards, the shards answer first: a customer's full row comes before the
        // catalog's stub row of it.
        databases_of(self.sharded)
            .iter()
            .rev()
            .flat_map(|database| self.d1_query_in(database, sql))
            .collect()
    }

    /// [`Self::d1_query`] in one database of the configuration.
    pub fn d1_query_in(&self, database: &str, sql: &str) -> Vec<Value> {
        // The Worker may still hold SQLite's write lock for a moment after its last answer
        // (the WAL is written back); a busy database is retried, like any SQLite client does.
        for _ in 0..50 {
            let out = Command::new("node")
                .args([
                    "node_modules/wrangler/bin/wrangler.js",
                    "d1",
                    "execute",
                    database,
                    "--local",
                    "--json",
                ])
                .args(config_args_of(self.sharded))
                .arg("--persist-to")
                .arg(self.state_dir.as_ref().expect("a running server"))
                .args(["--command", sql])
                .current_dir(project_root())
                .env("CI", "1")
                .env("WRANGLER_SEND_METRICS", "false")
                .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
                .output()
                .expect("run wrangler d1 execute");
            let stderr = String::from_utf8_lossy(&out.stderr);
            if !out.status.success() && stderr.contains("SQLITE_BUSY") {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            assert!(out.status.success(), "d1 execute failed: {stderr}");
            let parsed: Value =
                serde_json::from_slice(&out.stdout).expect("d1 execute prints JSON");
            return parsed[0]["results"].as_array().cloned().unwrap_or_default();
        }
        panic!("the local D1 database stayed busy");
    }

    /// The plan SQLite chooses for `statement` (its values written in), its steps joined by
    /// ` | ` (serial tests only, as [`Self::d1_query`]).
    pub fn query_plan(&self, statement: &Statement) -> String {
        let rows = self.d1_query(&format!("EXPLAIN QUERY PLAN {}", with_values(statement)));
        let details: Vec<&str> = rows
            .iter()
            .map(|row| row["detail"].as_str().unwrap_or_default())
            .collect();
        details.join(" | ")
    }

    /// The messages stored about a resource, in sequence (serial tests only, as [`Self::d1_query`]).
    pub fn messages_of(&self, resource_id: &str) -> Vec<StoredMessage> {
        let rows = self.d1_query(&format!(
            "SELECT type, sequence_number, resource_version, doc FROM messages \
             WHERE resource_id = '{resource_id}' ORDER BY sequence_number"
        ));
        rows.iter()
            .map(|r| StoredMessage {
                kind: r["type"].as_str().unwrap_or_default().to_string(),
                sequence: r["sequence_number"].as_i64().unwrap_or_default(),
                resource_version: r["resource_version"].as_i64().unwrap_or_default(),
                doc: serde_json::from_str(r["doc"].as_str().unwrap_or("null"))
                    .unwrap_or(Value::Null),
            })
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// Sends a request; `body` as given, headers as given.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        self.try_send(method, path, headers, body)
            .unwrap_or_else(|e| panic!("{method} {path} failed: {e}"))
    }

    /// Sends a request; a transport failure (no HTTP answer at all) is an error. A request
    /// answered by `wrangler dev`'s own proxy saying it lost its connection to the Worker (a
    /// known local flake under load, cloudflare/workers-sdk#14641, where the request does not
    /// reach our code) is sent once more, and said on stderr.
    pub fn try_send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply, String> {
        let reply = self.send_once(method, path, headers, body)?;
        if reply.status == 503 && reply.text.starts_with(PROXY_LOST_WORKER) {
            eprintln!("{method} {path}: wrangler dev's proxy lost the Worker; sent again");
            return self.send_once(method, path, headers, body);
        }
        Ok(reply)
    }

    fn send_once(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Reply, String> {
        let mut request = ureq::request(method, &self.url(path)).timeout(Duration::from_secs(60));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let result = match body {
            Some(bytes) => request.send_bytes(bytes),
            None => request.call(),
        };
        match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => Ok(to_reply(response)),
            Err(e) => Err(e.to_string()),
        }
    }

    /// `POST /oauth/token` with client credentials; returns the whole reply.
    pub fn request_token(&self, client: (&str, &str), form: &str) -> Reply {
        let basic = basic_auth(client.0, client.1);
        self.send(
            "POST",
            "/oauth/token",
            &[
                ("Authorization", &basic),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            Some(form.as_bytes()),
        )
    }

    /// A token for `client`, optionally narrowed to `scope`.
    #[track_caller]
    pub fn token(&self, client: (&str, &str), scope: Option<&str>) -> String {
        let form = match scope {
            Some(scope) => format!(
                "grant_type=client_credentials&scope={}",
                scope.replace(' ', "+")
            ),
            None => "grant_type=client_credentials".to_string(),
        };
        let reply = self.request_token(client, &form);
        assert_eq!(reply.status, 200, "token: {}", reply.text);
        reply.json["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A token of the demo project's admin client (manage_project:demo), fetched once.
    pub fn admin(&self) -> &str {
        self.admin_token.get_or_init(|| self.token(ADMIN, None))
    }

    pub fn get(&self, path: &str, token: &str) -> Reply {
        self.send(
            "GET",
            path,
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
    }

    pub fn head(&self, path: &str, token: &str) -> Reply {
        self.send(
            "HEAD",
            path,
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
    }

    pub fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(
            "DELETE",
            path,
            &[("Authorization", &format!("Bearer {token}"))],
            None,
        )
    }

    pub fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.post_raw(path, token, body.to_string().as_bytes())
    }

    pub fn post_raw(&self, path: &str, token: &str, body: &[u8]) -> Reply {
        self.send(
            "POST",
            path,
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "application/json"),
            ],
            Some(body),
        )
    }

    /// Creates a customer in the demo project (as admin) and returns it; panics unless 201.
    #[track_caller]
    pub fn create_customer(&self, draft: &Value) -> Value {
        let reply = self.post("/demo/customers", self.admin(), draft);
        assert_eq!(reply.status, 201, "create: {}", reply.text);
        reply.json["customer"].clone()
    }
}

/// A form POST to the authorization server with client credentials and optional headers.
pub fn form(
    app: &App,
    client: (&str, &str),
    path: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let basic = basic_auth(client.0, client.1);
    let mut all = vec![
        ("Authorization", basic.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    all.extend_from_slice(headers);
    app.send("POST", path, &all, Some(body.as_bytes()))
}

/// The SQL of `statement` with its values written in (`?` in turn, `?N` by number).
fn with_values(statement: &Statement) -> String {
    let mut sql = String::new();
    let mut next = 0;
    let mut rest = statement.sql.as_str();
    while let Some(at) = rest.find('?') {
        sql.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let index = match rest[..digits].parse::<usize>() {
            Ok(n) => n - 1,
            Err(_) => {
                next += 1;
                next - 1
            }
        };
        sql.push_str(&statement.params[index].sql_literal());
        rest = &rest[digits..];
    }
    sql.push_str(rest);
    sql
}

pub fn basic_auth(id: &str, secret: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    format!("Basic {encoded}")
}

/// A value no other test uses: for emails, keys and customer numbers.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{n}-{nanos}", std::process::id())
}

/// A unique email address.
pub fn unique_email(prefix: &str) -> String {
    format!("{}@example.com", unique(prefix))
}

impl App {
    /// `POST {path}` with `{version, actions}` and `token`.
    pub fn update(&self, path: &str, token: &str, version: u64, actions: Value) -> Reply {
        self.post(
            path,
            token,
            &serde_json::json!({"version": version, "actions": actions}),
        )
    }

    /// `POST /demo/login` from a given client address (so throttling stays per test).
    pub fn sign_in(&self, path: &str, email: &str, password: &str, address: &str) -> Reply {
        let auth = format!("Bearer {}", self.admin());
        let body = serde_json::json!({"email": email, "password": password}).to_string();
        self.send(
            "POST",
            path,
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/json"),
                ("CF-Connecting-IP", address),
            ],
            Some(body.as_bytes()),
        )
    }
}

/// The `id` of a resource representation.
pub fn id_of(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl App {
    /// Makes sure the demo project has the custom type `key` for `resource_type_ids` with
    /// `fields` (name → field type JSON, none required); returns its id. Tests share the
    /// project, so each test module uses its own keys; a concurrent create of the same type
    /// is tolerated.
    pub fn ensure_type(
        &self,
        key: &str,
        resource_type_ids: &[&str],
        fields: &[(&str, Value)],
    ) -> String {
        let definitions: Vec<Value> = fields
            .iter()
            .map(|(name, ty)| serde_json::json!({"name": name, "label": {"en": name}, "required": false, "type": ty}))
            .collect();
        let draft = serde_json::json!({
            "key": key, "name": {"en": key}, "resourceTypeIds": resource_type_ids,
            "fieldDefinitions": definitions
        });
        let created = self.post("/demo/types", self.admin(), &draft);
        if created.status == 201 {
            return created.json["id"].as_str().expect("an id").to_string();
        }
        let existing = self.get(&format!("/demo/types/key={key}"), self.admin());
        assert_eq!(
            existing.status, 200,
            "type {key}: {} / {}",
            created.text, existing.text
        );
        existing.json["id"].as_str().expect("an id").to_string()
    }

    /// Makes sure the demo project has the customer group `key` (named after it); returns its id.
    pub fn ensure_group(&self, key: &str) -> String {
        let created = self.post(
            "/demo/customer-groups",
            self.admin(),
            &serde_json::json!({"key": key, "groupName": key}),
        );
        if created.status == 201 {
            return created.json["id"].as_str().expect("an id").to_string();
        }
        let existing = self.get(&format!("/demo/customer-groups/key={key}"), self.admin());
        assert_eq!(
            existing.status, 200,
            "group {key}: {} / {}",
            created.text, existing.text
        );
        existing.json["id"].as_str().expect("an id").to_string()
    }
}
