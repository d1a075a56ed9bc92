//! A PostgreSQL database of its own for one test: `CREATE DATABASE
//! ox_e2e_<uuid>` on the server of `OX_TEST_DATABASE_URL` (else
//! `DATABASE_URL`), dropped when the test ends.
//!
//! Without either variable the test is skipped with a loud warning, except
//! under `CI=true`, where it fails. A set but unreachable server fails.

/// The URL of the test server, or `None` (skip) when none is configured.
pub fn server_url(test: &str) -> Option<String> {
    let url = std::env::var("OX_TEST_DATABASE_URL")
        .ok()
        .or_else(|| std::env::var("DATABASE_URL").ok())
        .filter(|u| !u.trim().is_empty());
    if url.is_none() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{test}: CI=true but neither OX_TEST_DATABASE_URL nor DATABASE_URL is set");
        }
        eprintln!("SKIPPED: {test} needs PostgreSQL; set OX_TEST_DATABASE_URL");
    }
    url
}

/// `url` with its database name replaced by `database` (query kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{prefix}/{database}?{query}"),
        None => format!("{prefix}/{database}"),
    }
}

/// `url` pointing at `host:port` instead of its own host and port.
pub fn with_host_port(url: &str, host_port: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let user = authority.rsplit_once('@').map(|(user, _)| user);
    let new_authority = match user {
        Some(user) => format!("{user}@{host_port}"),
        None => host_port.to_owned(),
    };
    format!("{}{new_authority}{}", &url[..authority_start], &rest[end..])
}

/// The `host:port` of a URL (default port 5432).
pub fn host_port(url: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[authority_start..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = rest[..end]
        .rsplit_once('@')
        .map_or(&rest[..end], |(_, h)| h);
    if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    }
}

/// A database created for one test and dropped on drop.
pub struct TestDatabase {
    admin_url: String,
    pub name: String,
    /// The URL of the new database.
    pub url: String,
}

impl TestDatabase {
    /// Creates a fresh database, or `None` when the test must be skipped.
    pub fn create(test: &str) -> Option<TestDatabase> {
        let admin_url = server_url(test)?;
        let name = format!("ox_e2e_{}", uuid::Uuid::now_v7().simple());
        let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{test}: cannot connect to {admin_url}: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("{test}: CREATE DATABASE {name}: {e}"));
        let url = with_database(&admin_url, &name);
        Some(TestDatabase {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(&self.admin_url, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
