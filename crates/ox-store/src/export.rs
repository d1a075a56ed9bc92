//! The export format: JSON lines, a header line then one line per event with
//! every column (body in base64), in (tx, position) order.

use std::io::{BufRead, Write};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{content_id, Event, Op, StoreError, TenantId, MAIN_FORK};

/// The `format` of the header line.
const FORMAT: &str = "ox-events";
/// The format version written and read.
const VERSION: u32 = 1;

/// The first line of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Header {
    pub format: String,
    pub version: u32,
    pub tenant: TenantId,
    pub fork: String,
    pub last_tx: u64,
    pub schema_hash: Option<String>,
}

impl Header {
    pub(crate) fn new(
        tenant: &TenantId,
        fork: &str,
        last_tx: u64,
        schema_hash: Option<String>,
    ) -> Header {
        Header {
            format: FORMAT.to_owned(),
            version: VERSION,
            tenant: tenant.clone(),
            fork: fork.to_owned(),
            last_tx,
            schema_hash,
        }
    }
}

/// One event line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Line {
    event_id: Uuid,
    tx: u64,
    axiom_id: String,
    kind: String,
    op: Op,
    body: String,
    content_id: String,
    standpoint: Option<String>,
    valid_from: DateTime<Utc>,
    valid_to: Option<DateTime<Utc>>,
    tx_to: Option<u64>,
    principal: String,
    schema_hash: String,
    committed_at: DateTime<Utc>,
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("export: {e}"))
}

/// Writes the header and the events; returns the number of events written.
pub(crate) fn write(
    out: &mut dyn Write,
    header: &Header,
    events: &[Event],
) -> Result<u64, StoreError> {
    let encode = |v: &dyn erased::Json| v.line();
    out.write_all(encode(header)?.as_bytes())
        .map_err(io_error)?;
    for e in events {
        let line = Line {
            event_id: e.event_id,
            tx: e.tx,
            axiom_id: e.axiom_id.clone(),
            kind: e.kind.clone(),
            op: e.op,
            body: BASE64.encode(&e.body),
            content_id: e.content_id_hex(),
            standpoint: e.standpoint.clone(),
            valid_from: e.valid_from,
            valid_to: e.valid_to,
            tx_to: e.tx_to,
            principal: e.principal.clone(),
            schema_hash: e.schema_hash.clone(),
            committed_at: e.committed_at,
        };
        out.write_all(encode(&line)?.as_bytes()).map_err(io_error)?;
    }
    out.flush().map_err(io_error)?;
    Ok(events.len() as u64)
}

/// Reads an export for `tenant`: the header and the events, checked (format,
/// version, fork `main`, content ids, tx order).
pub(crate) fn read(
    input: &mut dyn BufRead,
    tenant: &TenantId,
) -> Result<(Header, Vec<Event>), StoreError> {
    let bad = |n: usize, m: String| StoreError::Import(format!("line {n}: {m}"));
    let mut lines = input.lines().enumerate();
    let header: Header = match lines.next() {
        Some((_, Ok(text))) => serde_json::from_str(&text).map_err(|e| bad(1, e.to_string()))?,
        Some((_, Err(e))) => return Err(StoreError::Import(format!("reading: {e}"))),
        None => return Err(StoreError::Import("empty input (no header line)".into())),
    };
    if header.format != FORMAT || header.version != VERSION {
        return Err(bad(
            1,
            format!(
                "unsupported export format {} v{} (expected {FORMAT} v{VERSION})",
                header.format.escape_debug(),
                header.version
            ),
        ));
    }
    if header.fork != MAIN_FORK {
        return Err(bad(
            1,
            format!("only exports of `{MAIN_FORK}` can be imported"),
        ));
    }
    let mut events = Vec::new();
    let mut last_tx = 0;
    for (i, line) in lines {
        let n = i + 1;
        let text = line.map_err(|e| StoreError::Import(format!("reading line {n}: {e}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&text).map_err(|e| bad(n, e.to_string()))?;
        let body = BASE64
            .decode(&l.body)
            .map_err(|e| bad(n, format!("body is not base64: {e}")))?;
        let cid = content_id(&body);
        if hex::encode(cid) != l.content_id {
            return Err(bad(n, "content id does not match the body".into()));
        }
        if l.tx < last_tx || l.tx == 0 || l.tx > header.last_tx {
            return Err(bad(n, format!("tx {} out of order or range", l.tx)));
        }
        last_tx = l.tx;
        events.push(Event {
            event_id: l.event_id,
            axiom_id: l.axiom_id,
            kind: l.kind,
            op: l.op,
            body,
            content_id: cid,
            tenant: tenant.clone(),
            fork: MAIN_FORK.to_owned(),
            standpoint: l.standpoint,
            tx: l.tx,
            valid_from: l.valid_from,
            valid_to: l.valid_to,
            tx_to: l.tx_to,
            principal: l.principal,
            schema_hash: l.schema_hash,
            committed_at: l.committed_at,
        });
    }
    Ok((header, events))
}

/// One JSON line of a serialisable value.
mod erased {
    use crate::StoreError;

    pub(super) trait Json {
        fn line(&self) -> Result<String, StoreError>;
    }

    impl<T: serde::Serialize> Json for T {
        fn line(&self) -> Result<String, StoreError> {
            let mut text = serde_json::to_string(self)
                .map_err(|e| StoreError::Corrupt(format!("encoding an export line: {e}")))?;
            text.push('\n');
            Ok(text)
        }
    }
}
