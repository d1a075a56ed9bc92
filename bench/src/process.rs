//! One whole process, measured: wall time from spawn to exit and peak
//! resident memory.
//!
//! The peak comes from GNU time (`/usr/bin/time -f %M`) wrapped around the
//! program: on Linux a child's `ru_maxrss` starts from the memory of the
//! process that spawned it, and time's is tiny while the harness's is not.
//! Without GNU time, `wait4`'s `ru_maxrss` of the child is used.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What one run of a process cost and printed.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Wall time from spawn to exit.
    pub wall: Duration,
    /// Peak resident set size in KiB (`ru_maxrss`).
    pub peak_rss_kib: u64,
    pub stdout: String,
}

/// Why a measured process did not give a sample.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("waiting for the process failed: {0}")]
    Wait(std::io::Error),
    #[error("killed after the {0:?} time limit")]
    Timeout(Duration),
    #[error("exited with {status}: {stderr}")]
    Failed { status: String, stderr: String },
}

/// Exit statuses that count as success: 0, and clingo's 10/20/30
/// (satisfiable / unsatisfiable / optimum found).
fn success(code: i32) -> bool {
    matches!(code, 0 | 10 | 20 | 30)
}

/// GNU time.
const GNU_TIME: &str = "/usr/bin/time";

/// `command` run under GNU time, which writes the peak RSS in KiB to `report`.
fn under_time(command: &Command, report: &Path) -> Command {
    let mut wrapped = Command::new(GNU_TIME);
    wrapped
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(report)
        .arg(command.get_program())
        .args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        wrapped.current_dir(dir);
    }
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    wrapped
}

/// A fresh path in the temporary folder for time's report.
fn report_path() -> PathBuf {
    use std::sync::atomic::AtomicU64;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("ox-bench-rss-{}-{n}", std::process::id()))
}

/// The peak RSS GNU time reported (its last line; earlier lines say why a
/// program failed).
fn read_report(report: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(report).ok()?;
    text.lines().rev().find_map(|l| l.trim().parse().ok())
}

/// Runs `command` to completion (killing its process group after `limit`),
/// measuring it.
pub fn measure(command: &mut Command, limit: Duration) -> Result<Sample, ProcessError> {
    let report = Path::new(GNU_TIME).is_file().then(report_path);
    let mut wrapped = report.as_deref().map(|r| under_time(command, r));
    let command = wrapped.as_mut().unwrap_or(command);
    let sample = run(command, limit);
    let peak = report.as_deref().and_then(read_report);
    if let Some(report) = &report {
        let _ = std::fs::remove_file(report);
    }
    sample.map(|mut s| {
        if let Some(peak) = peak {
            s.peak_rss_kib = peak;
        }
        s
    })
}

fn run(command: &mut Command, limit: Duration) -> Result<Sample, ProcessError> {
    command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().map_err(|source| ProcessError::Spawn {
        program: command.get_program().to_string_lossy().into_owned(),
        source,
    })?;
    let pid = child.id() as libc::pid_t;
    // Set (under the lock) once the child has exited but before it is
    // reaped, so the watchdog never signals a reused process id.
    let finished = Arc::new(Mutex::new(false));
    let timed_out = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (finished, timed_out) = (finished.clone(), timed_out.clone());
        thread::spawn(move || {
            while started.elapsed() < limit {
                if finished.lock().map(|f| *f).unwrap_or(true) {
                    return;
                }
                thread::sleep(Duration::from_millis(20));
            }
            if let Ok(done) = finished.lock() {
                if !*done {
                    timed_out.store(true, Ordering::Release);
                    // SAFETY: `pid` is our child and not reaped yet (it is
                    // reaped only after `finished` is set under this lock),
                    // so its process group is still ours: kill all of it.
                    unsafe {
                        libc::kill(-pid, libc::SIGKILL);
                    }
                }
            }
        })
    };
    let mut stderr_pipe = child.stderr.take();
    let stderr_reader = thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = stderr_pipe.as_mut() {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    });
    let mut stdout = String::new();
    if let Some(pipe) = child.stdout.as_mut() {
        let _ = pipe.read_to_string(&mut stdout);
    }
    wait_exited(pid)?;
    let wall = started.elapsed();
    if let Ok(mut done) = finished.lock() {
        *done = true;
    }
    let (status, usage) = wait4(pid)?;
    let _ = watchdog.join();
    let stderr = stderr_reader.join().unwrap_or_default();
    if timed_out.load(Ordering::Acquire) {
        return Err(ProcessError::Timeout(limit));
    }
    let exited_ok = libc::WIFEXITED(status) && success(libc::WEXITSTATUS(status));
    if !exited_ok {
        let status = if libc::WIFEXITED(status) {
            format!("exit code {}", libc::WEXITSTATUS(status))
        } else {
            format!("signal {}", libc::WTERMSIG(status))
        };
        let tail: String = stderr
            .lines()
            .rev()
            .take(5)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" | ");
        return Err(ProcessError::Failed {
            status,
            stderr: tail,
        });
    }
    Ok(Sample {
        wall,
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        stdout,
    })
}

/// Waits until `pid` has exited, leaving it unreaped (a zombie).
fn wait_exited(pid: libc::pid_t) -> Result<(), ProcessError> {
    loop {
        // SAFETY: siginfo_t is plain old data; zero is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: valid pointer to a local; `pid` is our unreaped child.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(ProcessError::Wait(err));
        }
    }
}

/// Reaps `pid`, returning its wait status and resource usage.
fn wait4(pid: libc::pid_t) -> Result<(libc::c_int, libc::rusage), ProcessError> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; `pid` is our unreaped child.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            return Ok((status, usage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(ProcessError::Wait(err));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_output_and_memory_of_a_child() {
        let sample = measure(
            Command::new("sh").args(["-c", "echo 42"]),
            Duration::from_secs(30),
        )
        .expect("sh runs");
        assert_eq!(sample.stdout.trim(), "42");
        assert!(sample.peak_rss_kib > 0);
    }

    /// The harness's own memory does not leak into a child's peak.
    #[test]
    fn a_small_child_of_a_big_parent_is_small() {
        if !Path::new(GNU_TIME).is_file() {
            eprintln!("SKIPPED: {GNU_TIME} is not installed");
            return;
        }
        let ballast = vec![1u8; 256 << 20];
        let sample = measure(
            Command::new("sh").args(["-c", "echo 1"]),
            Duration::from_secs(30),
        )
        .expect("sh runs");
        assert!(ballast.iter().all(|&b| b == 1));
        assert!(
            sample.peak_rss_kib < 64 << 10,
            "{} KiB",
            sample.peak_rss_kib
        );
    }

    #[test]
    fn failures_and_timeouts_are_errors() {
        let failed = measure(
            Command::new("sh").args(["-c", "echo oops >&2; exit 3"]),
            Duration::from_secs(30),
        );
        match failed {
            Err(ProcessError::Failed { status, stderr }) => {
                assert_eq!(status, "exit code 3");
                assert_eq!(stderr, "oops");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        let slow = measure(Command::new("sleep").arg("5"), Duration::from_millis(100));
        assert!(matches!(slow, Err(ProcessError::Timeout(_))));
        // Under GNU time a missing program is time's failure (exit 127).
        assert!(matches!(
            measure(&mut Command::new("/nonexistent/x"), Duration::from_secs(1)),
            Err(ProcessError::Spawn { .. } | ProcessError::Failed { .. })
        ));
    }
}
