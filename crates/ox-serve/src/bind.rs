//! The loopback-only bind rule of the trust model.

use std::net::IpAddr;

use thiserror::Error;

/// A bind host refused by [`check_bind_host`]; the message explains the gateway contract.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("refusing to bind `{host}`: {reason}\n\n{GATEWAY_CONTRACT}")]
pub struct BindRefused {
    /// The host as given.
    pub host: String,
    /// Why it was refused.
    pub reason: String,
}

/// The deployment contract printed with every refusal.
pub const GATEWAY_CONTRACT: &str = "\
ox runtime serve has no authentication: it trusts X-Tenant-Id, X-Principal-Id, X-Standpoint \
and the other context headers at face value, so it must never be reachable by untrusted clients.
To serve on a non-loopback address:
  - front it with an authenticating gateway (reverse proxy / API gateway) that authenticates \
clients and OVERWRITES (never passes through) X-Tenant-Id, X-Principal-Id and X-Standpoint;
  - network-isolate the runtime so that only the gateway can open a connection to it;
  - only then pass --allow-non-loopback (a warning is logged at every start).";

/// Whether `host` is a loopback host: `localhost`, `127.0.0.0/8` or `::1`.
/// `0.0.0.0` and `::` (every interface) are not loopback.
pub fn is_loopback_host(host: &str) -> bool {
    let trimmed = host.trim_start_matches('[').trim_end_matches(']');
    if trimmed.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match trimmed.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.is_loopback(),
            None => v6.is_loopback(),
        },
        Err(_) => false,
    }
}

/// Refuses a non-loopback `host` unless `allow_non_loopback` (the CLI exits 2 on the error).
pub fn check_bind_host(host: &str, allow_non_loopback: bool) -> Result<(), BindRefused> {
    if allow_non_loopback || is_loopback_host(host) {
        return Ok(());
    }
    let reason = if host.trim().is_empty() {
        "an empty host binds every interface, which is not loopback".to_owned()
    } else {
        "it is not a loopback address (127.0.0.0/8, ::1 or localhost) and --allow-non-loopback was not given".to_owned()
    };
    Err(BindRefused {
        host: host.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "127.0.0.1",
            "127.5.5.5",
            "::1",
            "[::1]",
            "localhost",
            "LOCALHOST",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "0.0.0.0",
            "::",
            "10.0.0.1",
            "",
            "example.com",
            "128.0.0.1",
            "localhost.evil",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
