//! Start-up rules and the error-code registry, without a server.

use std::path::Path;

use ox_runtime::ErrorCode;
use ox_serve::check_bind_host;

#[test]
fn loopback_hosts_are_accepted() {
    for host in ["127.0.0.1", "127.5.5.5", "::1", "[::1]", "localhost"] {
        assert!(check_bind_host(host, false).is_ok(), "{host} is loopback");
    }
}

#[test]
fn other_hosts_are_refused_unless_allowed() {
    for host in [
        "0.0.0.0",
        "::",
        "10.0.0.1",
        "192.168.1.2",
        "example.com",
        "",
    ] {
        let err = check_bind_host(host, false).expect_err(host);
        let text = err.to_string();
        assert!(text.contains("gateway"), "{text}");
        assert!(text.contains("X-Tenant-Id"), "{text}");
        assert!(text.contains("--allow-non-loopback"), "{text}");
        assert!(check_bind_host(host, true).is_ok(), "{host} allowed");
    }
}

/// Source text with `#[cfg(test)]` modules cut off (tests do not emit codes).
fn production_source(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            production_source(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            out.push_str(&without_registry_listing(text));
        }
    }
}

/// The registry's `ALL` array lists every code; listing is not emitting.
fn without_registry_listing(text: &str) -> String {
    match text.find("pub const ALL") {
        Some(start) => match text[start..].find("];") {
            Some(len) => format!("{}{}", &text[..start], &text[start + len..]),
            None => text[..start].to_owned(),
        },
        None => text.to_owned(),
    }
}

fn variant_name(code: ErrorCode) -> String {
    // `ARGON_RUNTIME_VALIDATION_FAILED` → `ValidationFailed`.
    code.as_str()
        .trim_start_matches("ARGON_RUNTIME_")
        .split('_')
        .map(|word| {
            let lower = word.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn every_registered_code_is_emitted_somewhere() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut source = String::new();
    production_source(&crates.join("ox-serve/src"), &mut source);
    production_source(&crates.join("ox-runtime/src"), &mut source);
    let emitted = |code: ErrorCode| source.contains(&format!("ErrorCode::{}", variant_name(code)));
    let never: Vec<&str> = ErrorCode::ALL
        .iter()
        .filter(|code| !emitted(**code))
        .map(|code| code.as_str())
        .collect();
    assert!(
        never.is_empty(),
        "codes listed in the registry and never emitted: {never:?}"
    );
}

#[test]
fn the_published_table_lists_exactly_the_registry() {
    let table =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/errors.md"))
            .expect("docs/errors.md exists");
    let listed: Vec<(String, u16)> = table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let code = cells.get(1)?.trim_matches('`');
            let status = cells.get(2)?.parse().ok()?;
            code.starts_with("ARGON_RUNTIME_")
                .then(|| (code.to_string(), status))
        })
        .collect();
    let registry: Vec<(String, u16)> = ErrorCode::ALL
        .iter()
        .map(|code| (code.as_str().to_string(), code.http_status()))
        .collect();
    assert_eq!(
        listed, registry,
        "docs/errors.md and ox_runtime::ErrorCode disagree"
    );
}
