//! Helpers for end-to-end tests: run the real `ox` binary, start servers on
//! free loopback ports, and talk HTTP to them.

#![allow(dead_code)] // each test binary uses a different subset of the helpers

pub mod pg;
pub mod proxy;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The path of the `ox` binary built for these tests.
pub fn ox_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ox"))
}

/// The repository's example package.
pub fn example_lease() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/lease")
}

/// Runs `ox` with arguments and returns its output.
pub fn ox(args: &[&str]) -> Output {
    Command::new(ox_bin())
        .args(args)
        .output()
        .expect("the ox binary runs")
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `ox runtime serve`, killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub client: reqwest::blocking::Client,
}

impl Server {
    /// Starts `ox runtime serve` with the given extra arguments on a free port and
    /// waits until `/healthz` answers.
    pub fn start(extra: &[&str]) -> Server {
        Server::start_with_env(extra, &[])
    }

    /// As [`Server::start`], with extra environment variables.
    pub fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Server {
        let port = free_port();
        let port_text = port.to_string();
        let mut args = vec!["runtime", "serve", "--port", &port_text];
        args.extend_from_slice(extra);
        let child = Command::new(ox_bin())
            .args(&args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ox runtime serve starts");
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        let mut server = Server {
            child,
            port,
            client,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = self.child.stderr.take() {
                    use std::io::Read;
                    let _ = pipe.read_to_string(&mut stderr);
                }
                panic!("ox runtime serve exited with {status}: {stderr}");
            }
            if self
                .client
                .get(self.url("/healthz"))
                .send()
                .is_ok_and(|r| r.status() == 200)
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("ox runtime serve did not answer /healthz within 60 s");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// GET a path; returns status and JSON body.
    pub fn get(&self, path: &str, tenant: Option<&str>) -> (u16, Value) {
        let mut request = self.client.get(self.url(path));
        if let Some(tenant) = tenant {
            request = request.header("X-Tenant-Id", tenant);
        }
        decode(request.send().expect("GET succeeds"))
    }

    /// POST JSON to a path as a tenant; returns status and JSON body.
    pub fn post(&self, path: &str, tenant: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .body(body.to_string());
        if let Some(tenant) = tenant {
            request = request.header("X-Tenant-Id", tenant);
        }
        decode(request.send().expect("POST succeeds"))
    }

    /// Sends `method path` with extra headers and an optional JSON body;
    /// returns status and JSON body.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        decode(request.send().expect("request succeeds"))
    }

    /// Sends SIGKILL and waits: no shutdown of any kind.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Runs a declared mutation and asserts it succeeded.
    pub fn mutate(&self, tenant: &str, name: &str, args: Value) -> Value {
        let (status, body) = self.post(
            "/v1/dispatch/mutation",
            Some(tenant),
            &serde_json::json!({"name": name, "args": args}),
        );
        assert_eq!(status, 200, "mutation {name} failed: {body}");
        body
    }

    /// Runs a declared query and returns the ids of the individuals in its rows.
    pub fn query_ids(&self, tenant: &str, name: &str) -> Vec<String> {
        let (status, body) = self.post(
            "/v1/dispatch/query",
            Some(tenant),
            &serde_json::json!({"name": name}),
        );
        assert_eq!(status, 200, "query {name} failed: {body}");
        body["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| row["id"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Sends SIGKILL-free shutdown (SIGTERM via kill) and waits.
    pub fn stop(mut self) {
        terminate(&mut self.child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn decode(response: reqwest::blocking::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts the error envelope shape and code.
pub fn assert_envelope(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!(status, want_status, "unexpected status; body: {body}");
    assert_eq!(
        body["error"]["code"], want_code,
        "unexpected code; body: {body}"
    );
    assert!(
        body["error"]["message"].is_string(),
        "envelope without message: {body}"
    );
    assert!(
        body["requestId"].is_string(),
        "envelope without requestId: {body}"
    );
    assert!(
        body["moduleHash"].is_string(),
        "envelope without moduleHash: {body}"
    );
}

/// Starts the example package with its own artifact in `dir` and the given
/// storage flags (plus extra flags).
pub fn start_lease(dir: &Path, storage: &[&str], extra: &[&str]) -> Server {
    start_package(&example_lease(), dir, storage, extra)
}

/// Builds `project` into an artifact in `dir` and serves it with the given
/// storage flags (plus extra flags).
pub fn start_package(project: &Path, dir: &Path, storage: &[&str], extra: &[&str]) -> Server {
    let oxbin = dir.join("root.oxbin");
    let mut args = vec![
        "--project".to_owned(),
        project.display().to_string(),
        "--oxbin".to_owned(),
        oxbin.display().to_string(),
        "--build".to_owned(),
    ];
    args.extend(storage.iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(&args)
}

/// Builds `project` and serves it on a sqlite store in `dir`.
pub fn start_on_sqlite(project: &Path, dir: &Path) -> Server {
    let data = dir.join("store.sqlite");
    start_package(project, dir, &["--data", &data.display().to_string()], &[])
}

/// Writes a one-file package (`ox.toml` and `src/root.ar`) named `name`
/// under `dir` and returns its folder.
pub fn write_package(dir: &Path, name: &str, manifest: &str, source: &str) -> PathBuf {
    let project = dir.join(name);
    std::fs::create_dir_all(project.join("src")).expect("package folder");
    std::fs::write(project.join("ox.toml"), manifest).expect("manifest");
    std::fs::write(project.join("src/root.ar"), source).expect("source");
    project
}

/// Runs `ox` with `args` and `env`, killing it if it has not exited within
/// `limit` (a server that should have refused to start).
pub fn ox_until_exit(args: &[&str], env: &[(&str, &str)], limit: Duration) -> Output {
    let mut child = Command::new(ox_bin())
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ox runs");
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("output");
    panic!(
        "ox {args:?} did not exit within {limit:?}; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
