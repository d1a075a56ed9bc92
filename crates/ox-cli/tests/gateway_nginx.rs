//! End to end: the shipped nginx gateway (`deploy/nginx/ox.conf`) in front of
//! the real `ox runtime serve`. The gateway authenticates API keys and
//! overwrites the trust headers, so a client cannot pick its tenant.
//!
//! Needs an `nginx` binary. Without one the test fails under `CI=true` and is
//! skipped loudly otherwise.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{example_lease, free_port, Server};

/// The gateway configuration shipped in `deploy/`.
fn shipped_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nginx/ox.conf")
}

/// The nginx binary on PATH or in the usual sbin folders.
fn find_nginx() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
}

/// Replaces the one line of `text` that carries `marker` with `replacement`.
fn replace_marked_line(text: &str, marker: &str, replacement: &str) -> String {
    let hits = text.lines().filter(|l| l.contains(marker)).count();
    assert_eq!(
        hits, 1,
        "deploy/nginx/ox.conf must have exactly one line with `{marker}`"
    );
    text.lines()
        .map(|line| {
            if line.contains(marker) {
                replacement.to_owned()
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A running nginx (single process, foreground), killed on drop.
struct Gateway {
    child: Child,
    port: u16,
    prefix: tempfile::TempDir,
}

impl Gateway {
    /// Starts nginx with the shipped server block, listening on a free port and
    /// proxying to `upstream_port`.
    fn start(nginx: &Path, upstream_port: u16) -> Gateway {
        let prefix = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let shipped = std::fs::read_to_string(shipped_config()).expect("deploy/nginx/ox.conf");
        let server_block = replace_marked_line(
            &shipped,
            "listen 127.0.0.1:8080;",
            &format!("    listen 127.0.0.1:{port};"),
        );
        let server_block = replace_marked_line(
            &server_block,
            "server 127.0.0.1:7780;",
            &format!("    server 127.0.0.1:{upstream_port};"),
        );
        let p = prefix.path().display();
        std::fs::write(prefix.path().join("ox.conf"), server_block).expect("write ox.conf");
        let main = format!(
            "master_process off;\n\
             pid {p}/nginx.pid;\n\
             error_log {p}/error.log info;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
             \x20   access_log off;\n\
             \x20   client_body_temp_path {p}/client_body;\n\
             \x20   proxy_temp_path {p}/proxy;\n\
             \x20   include {p}/ox.conf;\n\
             }}\n"
        );
        let conf = prefix.path().join("nginx.conf");
        std::fs::write(&conf, main).expect("write nginx.conf");
        let child = Command::new(nginx)
            .arg("-p")
            .arg(prefix.path())
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nginx starts");
        let mut gateway = Gateway {
            child,
            port,
            prefix,
        };
        gateway.wait_listening();
        gateway
    }

    fn wait_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self.prefix.path().join("error.log"))
                    .unwrap_or_default();
                panic!("nginx exited with {status}: {log}");
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nginx did not listen within 30 s");
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn decode(response: reqwest::blocking::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// POSTs JSON through the gateway with the given extra headers.
fn post(
    client: &reqwest::blocking::Client,
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (u16, Value) {
    let mut request = client
        .post(url)
        .header("Content-Type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    decode(request.send().expect("request through the gateway"))
}

#[test]
fn the_gateway_authenticates_and_overwrites_the_trust_headers() {
    let Some(nginx) = find_nginx() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("nginx is not installed; .ci/run installs it (apt-get install nginx-light)");
        }
        eprintln!(
            "SKIPPED: the nginx gateway test needs nginx on PATH (apt-get install nginx-light)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let project = example_lease();
    let oxbin = dir.path().join("root.oxbin");
    let data = dir.path().join("store.sqlite");
    let server = Server::start(&[
        "--project",
        project.to_str().unwrap(),
        "--oxbin",
        oxbin.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--build",
    ]);
    let gateway = Gateway::start(&nginx, server.port);
    let client = &server.client;

    // Probes pass through without a key.
    let (status, body) = decode(client.get(gateway.url("/healthz")).send().unwrap());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    let (status, body) = decode(client.get(gateway.url("/readyz")).send().unwrap());
    assert_eq!(status, 200, "{body}");

    // No key, or an unknown key: 401 from the gateway, the runtime never sees it.
    let dispatch = gateway.url("/v1/dispatch/query");
    let people = json!({"name": "lease::people"});
    let (status, body) = post(client, &dispatch, &[("X-Tenant-Id", "acme")], &people);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "GATEWAY_UNAUTHENTICATED");
    let (status, body) = post(
        client,
        &dispatch,
        &[("X-Api-Key", "key-nobody"), ("X-Tenant-Id", "acme")],
        &people,
    );
    assert_eq!(status, 401, "{body}");

    // acme's key with a forged X-Tenant-Id (and principal) still lands in acme.
    let (status, body) = post(
        client,
        &gateway.url("/v1/dispatch/mutation"),
        &[
            ("X-Api-Key", "key-acme"),
            ("X-Tenant-Id", "globex"),
            ("X-Principal-Id", "mallory"),
        ],
        &json!({"name": "lease::register_person", "args": {"id": "carol", "name": "Carol"}}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.query_ids("acme", "lease::people"), vec!["carol"]);
    assert!(server.query_ids("globex", "lease::people").is_empty());

    // Reads through the gateway see acme whatever tenant the client claims.
    let (status, body) = post(
        client,
        &dispatch,
        &[("X-Api-Key", "key-acme"), ("X-Tenant-Id", "globex")],
        &people,
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"][0]["id"], "carol");
    let (status, body) = post(client, &dispatch, &[("X-Api-Key", "key-globex")], &people);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["rows"], json!([]));

    // The body cannot get around the overwritten header either.
    let (status, body) = post(
        client,
        &dispatch,
        &[("X-Api-Key", "key-acme")],
        &json!({"name": "lease::people", "tenantId": "globex"}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "ARGON_RUNTIME_VALIDATION_FAILED");

    // Metrics stay inside.
    let (status, _) = decode(
        client
            .get(gateway.url("/metrics"))
            .header("X-Api-Key", "key-acme")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404);
}
