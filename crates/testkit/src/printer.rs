//! A receipt printer for the tests: a real TCP listener on a loopback port that answers ESC/POS
//! real-time status requests (DLE EOT 1, 2, 4) as a printer in the chosen state would, and keeps
//! every print job it receives.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the printer says when asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterState {
    /// On line, paper in, cover closed.
    Ready,
    /// Off line: the paper ran out.
    OutOfPaper,
    /// Off line: the cover is open.
    CoverOpen,
    /// Answers no status request (a printer without real-time status); prints.
    Silent,
}

impl PrinterState {
    /// The answer to DLE EOT `n` (each of the form 0xx1xx10b).
    fn answer(self, n: u8) -> Option<u8> {
        let (printer, offline, paper) = match self {
            PrinterState::Ready => (0x12, 0x12, 0x12),
            PrinterState::OutOfPaper => (0x1a, 0x32, 0x72),
            PrinterState::CoverOpen => (0x1a, 0x16, 0x12),
            PrinterState::Silent => return None,
        };
        match n {
            1 => Some(printer),
            2 => Some(offline),
            4 => Some(paper),
            _ => None,
        }
    }
}

#[derive(Default)]
struct Shared {
    jobs: Vec<Vec<u8>>,
    connections: usize,
}

/// The test printer; it stops listening when dropped.
pub struct TestPrinter {
    port: u16,
    state: Arc<Mutex<PrinterState>>,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
}

impl TestPrinter {
    /// A printer in `state` on a free loopback port.
    pub fn start(state: PrinterState) -> TestPrinter {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(state));
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, sh, st) = (state.clone(), shared.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let now = *s.lock().unwrap();
                    serve(conn, now, &sh);
                }
            }
        });
        TestPrinter {
            port,
            state,
            shared,
            stop,
        }
    }

    /// `127.0.0.1:PORT`, as a till user types it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Changes what it says from the next connection on.
    pub fn set_state(&self, state: PrinterState) {
        *self.state.lock().unwrap() = state;
    }

    /// Every job received so far (the bytes after the status requests), oldest first.
    pub fn jobs(&self) -> Vec<Vec<u8>> {
        self.shared.lock().unwrap().jobs.clone()
    }

    /// Connections taken so far (a refused print still connects).
    pub fn connections(&self) -> usize {
        self.shared.lock().unwrap().connections
    }

    /// Waits up to `timeout` for `n` jobs; returns them.
    pub fn wait_for_jobs(&self, n: usize, timeout: Duration) -> Vec<Vec<u8>> {
        let until = Instant::now() + timeout;
        loop {
            let jobs = self.jobs();
            if jobs.len() >= n || Instant::now() > until {
                return jobs;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A loopback address where no printer listens (a printer switched off).
    pub fn switched_off_address() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("127.0.0.1:{port}")
    }
}

impl Drop for TestPrinter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One connection: answer status requests (DLE EOT n) at its start, keep the rest as a job.
fn serve(mut conn: TcpStream, state: PrinterState, shared: &Mutex<Shared>) {
    shared.lock().unwrap().connections += 1;
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let mut status_done = false;
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
        if !status_done {
            while data.len() >= 3 && data[0] == 0x10 && data[1] == 0x04 {
                if let Some(answer) = state.answer(data[2]) {
                    let _ = conn.write_all(&[answer]);
                }
                // DLE EOT n, and the NUL the escpos crate sends after it.
                let n = if data.get(3) == Some(&0) { 4 } else { 3 };
                data.drain(..n);
            }
            if data.len() >= 3 || (!data.is_empty() && data[0] != 0x10) {
                status_done = true;
            }
        }
    }
    if !data.is_empty() {
        shared.lock().unwrap().jobs.push(data);
    }
}
