//! A TCP forwarding proxy the test can take down and bring back, to simulate
//! a database outage between the server and PostgreSQL.
//!
//! While down, it closes every open connection and refuses new ones at once
//! (accepts and drops them), so clients see the outage immediately.

use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// A running proxy from `127.0.0.1:port` to `target`.
pub struct OutageProxy {
    pub port: u16,
    up: Arc<AtomicBool>,
    stopped: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl OutageProxy {
    /// Starts forwarding to `target` (`host:port`).
    pub fn start(target: &str) -> OutageProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy binds");
        let port = listener.local_addr().expect("proxy address").port();
        let proxy = OutageProxy {
            port,
            up: Arc::new(AtomicBool::new(true)),
            stopped: Arc::new(AtomicBool::new(false)),
            open: Arc::new(Mutex::new(Vec::new())),
        };
        let (up, stopped, open) = (
            Arc::clone(&proxy.up),
            Arc::clone(&proxy.stopped),
            Arc::clone(&proxy.open),
        );
        let target = target.to_owned();
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                if !up.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&target) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                if let Ok(mut open) = open.lock() {
                    for stream in [&client, &server] {
                        if let Ok(clone) = stream.try_clone() {
                            open.push(clone);
                        }
                    }
                }
                pipe(&client, &server);
                pipe(&server, &client);
            }
        });
        proxy
    }

    /// Takes the database away: open connections are cut, new ones refused.
    pub fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        if let Ok(mut open) = self.open.lock() {
            for stream in open.drain(..) {
                let _ = stream.shutdown(Shutdown::Both);
            }
        }
    }

    /// Brings the database back.
    pub fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for OutageProxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.down();
        // Wake the accept loop so it sees the stop flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Copies `from` into `to` on a thread until either side closes.
fn pipe(from: &TcpStream, to: &TcpStream) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    thread::spawn(move || {
        let _: io::Result<u64> = io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}
