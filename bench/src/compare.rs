//! The side-by-side run: every peer on every workload, several times, the
//! median kept, the tuple count checked against ox's, and the markdown
//! tables of the results.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::peers::{tuple_count, Peer, Tools};
use crate::process::{measure, ProcessError, Sample};
use crate::workload::Workload;

/// The median of one peer's runs on one workload, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Measured {
        wall: Duration,
        peak_rss_kib: u64,
        tuples: u64,
    },
    /// A run was killed at the time limit: slower than the limit.
    TimedOut(Duration),
    /// The peer failed or derived a different number of tuples than ox (a
    /// mismatch is an error, not a number).
    Failed(String),
}

/// One workload's row.
#[derive(Debug, Clone)]
pub struct Row {
    pub workload: Workload,
    pub base_facts: usize,
    /// Per peer, in the order asked for.
    pub cells: Vec<(Peer, Cell)>,
    /// PostgreSQL's load time (`\copy` + `ANALYZE`), when it ran.
    pub postgres_load: Option<Duration>,
}

impl Row {
    /// The cell of `peer`.
    pub fn cell(&self, peer: Peer) -> Option<&Cell> {
        self.cells.iter().find(|(p, _)| *p == peer).map(|(_, c)| c)
    }

    /// ox's tuple count, the reference for every other peer.
    pub fn tuples(&self) -> Option<u64> {
        match self.cell(Peer::Ox) {
            Some(Cell::Measured { tuples, .. }) => Some(*tuples),
            _ => None,
        }
    }
}

/// The median of `values` (the lower middle for an even count).
pub fn median<T: Copy + Ord>(values: &mut [T]) -> Option<T> {
    values.sort_unstable();
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// Runs `peer` `reps` times on the workload in `dir`, keeping the medians.
/// `expected` is ox's count (None for ox itself).
pub fn run_peer(
    tools: &Tools,
    peer: Peer,
    workload: &Workload,
    dir: &Path,
    reps: usize,
    limit: Duration,
    expected: Option<u64>,
) -> Cell {
    let mut samples: Vec<Sample> = Vec::new();
    for _ in 0..reps.max(1) {
        let sample = match measure(&mut tools.command(peer, workload, dir), limit) {
            Ok(sample) => sample,
            Err(ProcessError::Timeout(limit)) => return Cell::TimedOut(limit),
            Err(e) => return Cell::Failed(e.to_string()),
        };
        let Some(tuples) = tuple_count(peer, &sample.stdout) else {
            return Cell::Failed(format!(
                "no tuple count in its output: {:?}",
                sample.stdout.chars().take(200).collect::<String>()
            ));
        };
        if let Some(expected) = expected {
            if tuples != expected {
                return Cell::Failed(format!("derived {tuples} tuples, ox derived {expected}"));
            }
        }
        samples.push(sample);
    }
    let tuples = samples
        .first()
        .and_then(|s| tuple_count(peer, &s.stdout))
        .unwrap_or(0);
    let mut walls: Vec<Duration> = samples.iter().map(|s| s.wall).collect();
    let mut rss: Vec<u64> = samples.iter().map(|s| s.peak_rss_kib).collect();
    Cell::Measured {
        wall: median(&mut walls).unwrap_or_default(),
        peak_rss_kib: median(&mut rss).unwrap_or(0),
        tuples,
    }
}

/// `a / b` as "1.23×".
fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.3} s")
    } else {
        format!("{s:.1} s")
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// The time table, the memory table, and the failures, in markdown.
pub fn markdown(rows: &[Row], peers: &[Peer]) -> String {
    let mut out = String::new();
    let header = |out: &mut String, first: &str| {
        let _ = write!(out, "| {first} | base facts | derived tuples |");
        for p in peers {
            let _ = write!(out, " {} |", p.label());
        }
        out.push('\n');
        out.push_str("|---|---:|---:|");
        for _ in peers {
            out.push_str("---:|");
        }
        out.push('\n');
    };
    let mut failures = Vec::new();
    out.push_str("Wall time, median (ratio to ox; above 1 means slower than ox):\n\n");
    header(&mut out, "workload");
    for row in rows {
        let ox = match row.cell(Peer::Ox) {
            Some(Cell::Measured { wall, .. }) => Some(wall.as_secs_f64()),
            _ => None,
        };
        let tuples = row.tuples().map_or("–".into(), |t| t.to_string());
        let _ = write!(
            out,
            "| {} | {} | {} |",
            row.workload, row.base_facts, tuples
        );
        for p in peers {
            let text = match row.cell(*p) {
                Some(Cell::Measured { wall, .. }) => match (ox, *p) {
                    (Some(ox), peer) if peer != Peer::Ox => {
                        format!("{} ({})", seconds(*wall), ratio(wall.as_secs_f64(), ox))
                    }
                    _ => seconds(*wall),
                },
                Some(Cell::TimedOut(limit)) => match ox {
                    Some(ox) => format!(
                        "> {} (> {})",
                        seconds(*limit),
                        ratio(limit.as_secs_f64(), ox)
                    ),
                    None => format!("> {}", seconds(*limit)),
                },
                Some(Cell::Failed(why)) => {
                    failures.push(format!("{} on {}: {why}", p.label(), row.workload));
                    "failed".into()
                }
                None => "–".into(),
            };
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
    out.push_str("\nPeak resident memory, median (ratio to ox):\n\n");
    header(&mut out, "workload");
    for row in rows {
        let ox = match row.cell(Peer::Ox) {
            Some(Cell::Measured { peak_rss_kib, .. }) => Some(*peak_rss_kib as f64),
            _ => None,
        };
        let tuples = row.tuples().map_or("–".into(), |t| t.to_string());
        let _ = write!(
            out,
            "| {} | {} | {} |",
            row.workload, row.base_facts, tuples
        );
        for p in peers {
            let text = match row.cell(*p) {
                Some(Cell::Measured { .. }) if *p == Peer::Postgres => "n/a (server)".to_string(),
                Some(Cell::Measured { peak_rss_kib, .. }) => match ox {
                    Some(ox) if *p != Peer::Ox => {
                        format!(
                            "{} ({})",
                            mib(*peak_rss_kib),
                            ratio(*peak_rss_kib as f64, ox)
                        )
                    }
                    _ => mib(*peak_rss_kib),
                },
                Some(Cell::TimedOut(_)) => "timed out".into(),
                Some(Cell::Failed(_)) => "failed".into(),
                None => "–".into(),
            };
            let _ = write!(out, " {text} |");
        }
        out.push('\n');
    }
    let loads: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            r.postgres_load
                .map(|d| format!("{} {}", r.workload, seconds(d)))
        })
        .collect();
    if !loads.is_empty() {
        let _ = writeln!(
            out,
            "\nPostgreSQL times are the recursive query alone (`psql -f pg-query.sql`); loading (`\\copy` + `ANALYZE`, once): {}.",
            loads.join(", ")
        );
    }
    out.push_str(&targets(rows));
    if !failures.is_empty() {
        out.push_str("\nFailures:\n\n");
        for f in failures {
            let _ = writeln!(out, "- {f}");
        }
    }
    out
}

/// The targets of the specification, per workload: faster than Nemo and
/// clingo, within 2× of ascent, peak memory no more than Nemo's.
fn targets(rows: &[Row]) -> String {
    let measured = |row: &Row, p: Peer| match row.cell(p) {
        Some(Cell::Measured {
            wall, peak_rss_kib, ..
        }) => Some((wall.as_secs_f64(), *peak_rss_kib as f64)),
        _ => None,
    };
    let verdict = |ok: Option<bool>| match ok {
        Some(true) => "met",
        Some(false) => "**not met**",
        None => "–",
    };
    let mut out = String::from(
        "\nTargets (time ratios peer/ox: above 1 is good; ascent: ox/ascent ≤ 2; memory: ox/Nemo ≤ 1):\n\n\
         | workload | faster than Nemo | faster than clingo | within 2× of ascent | memory ≤ Nemo |\n\
         |---|---|---|---|---|\n",
    );
    for row in rows {
        let Some((ox_t, ox_m)) = measured(row, Peer::Ox) else {
            continue;
        };
        let vs = |p: Peer, f: &dyn Fn(f64, f64) -> (bool, String)| match measured(row, p) {
            Some((t, m)) => {
                let (ok, text) = f(t, m);
                format!("{} ({text})", verdict(Some(ok)))
            }
            None => verdict(None).to_string(),
        };
        let faster = |t: f64, _m: f64| (t > ox_t, ratio(t, ox_t));
        let faster_than = |p: Peer| match row.cell(p) {
            Some(Cell::TimedOut(limit)) => {
                format!("met (> {}, timed out)", ratio(limit.as_secs_f64(), ox_t))
            }
            _ => vs(p, &faster),
        };
        let ascent = |t: f64, _m: f64| (ox_t <= 2.0 * t, ratio(ox_t, t));
        let memory = |_t: f64, m: f64| (ox_m <= m, ratio(ox_m, m));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            row.workload,
            faster_than(Peer::Nemo),
            faster_than(Peer::Clingo),
            vs(Peer::Ascent, &ascent),
            vs(Peer::Nemo, &memory),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_lower_middle() {
        assert_eq!(median(&mut [3, 1, 2]), Some(2));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(median::<u32>(&mut []), None);
    }

    fn measured(ms: u64, mib: u64, tuples: u64) -> Cell {
        Cell::Measured {
            wall: Duration::from_millis(ms),
            peak_rss_kib: mib * 1024,
            tuples,
        }
    }

    #[test]
    fn tables_show_ratios_to_ox_failures_and_targets() {
        let rows = vec![Row {
            workload: Workload::Tc {
                nodes: 10,
                edges: 20,
            },
            base_facts: 20,
            cells: vec![
                (Peer::Ox, measured(100, 10, 55)),
                (Peer::Ascent, measured(80, 5, 55)),
                (Peer::Nemo, measured(300, 20, 55)),
                (
                    Peer::Clingo,
                    Cell::Failed("derived 54 tuples, ox derived 55".into()),
                ),
                (Peer::Sqlite, Cell::TimedOut(Duration::from_secs(1))),
            ],
            postgres_load: None,
        }];
        let text = markdown(
            &rows,
            &[
                Peer::Ox,
                Peer::Ascent,
                Peer::Nemo,
                Peer::Clingo,
                Peer::Sqlite,
            ],
        );
        assert!(text.contains(
            "| tc-10-20 | 20 | 55 | 0.100 s | 0.080 s (0.80×) | 0.300 s (3.00×) | failed | > 1.000 s (> 10.00×) |"
        ));
        assert!(text.contains(
            "| tc-10-20 | 20 | 55 | 10 MiB | 5 MiB (0.50×) | 20 MiB (2.00×) | failed | timed out |"
        ));
        assert!(text.contains("- clingo on tc-10-20: derived 54 tuples, ox derived 55"));
        assert!(text.contains("| tc-10-20 | met (3.00×) | – | met (1.25×) | met (0.50×) |"));
    }
}
