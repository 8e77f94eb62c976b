//! Sending a laid-out receipt to a printer: raw TCP to a network printer (port 9100 unless the
//! address says otherwise), or the kernel's USB printer device (`/dev/usb/lp0`). A network
//! printer is asked first, with ESC/POS real-time status requests, whether it is on line, has
//! paper and has its cover closed; a printer that does not answer them within a second is sent
//! the receipt anyway (many cheap ones do not). Every wait is bounded, so a printer that hangs
//! costs the till at most a few seconds and never the sale.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use escpos::printer::Printer;
use escpos::utils::{Protocol, RealTimeStatusRequest, RealTimeStatusResponse};

use crate::PrintError;

/// How long to wait for a printer to take the connection.
const CONNECT: Duration = Duration::from_secs(3);
/// How long to wait for its answer to the status requests.
const STATUS: Duration = Duration::from_secs(1);
/// How long to wait for it to take the receipt.
const WRITE: Duration = Duration::from_secs(10);
/// The raw printing port of network receipt printers (JetDirect, AppSocket).
pub const DEFAULT_PORT: u16 = 9100;

/// Where a printer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A network printer: its host name or address and port.
    Network {
        /// Host name or IP address.
        host: String,
        /// TCP port (9100 for nearly all).
        port: u16,
    },
    /// A USB printer: the device the kernel made for it.
    Device(PathBuf),
}

impl Target {
    /// A printer's address as typed: `/dev/usb/lp0` (a device), or `192.168.1.50`,
    /// `printer.local:9100`, `[fe80::1]:9100` (the network).
    pub fn parse(text: &str) -> Result<Target, PrintError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(PrintError::Setting(
                "enter the printer's network address (192.168.1.50 or printer.local:9100) or its USB device (/dev/usb/lp0)".into(),
            ));
        }
        if text.starts_with('/') {
            return Ok(Target::Device(PathBuf::from(text)));
        }
        let bad = || {
            PrintError::Setting(format!(
                "{text:?} is not a printer address: use host or host:port (192.168.1.50:9100), or a device path (/dev/usb/lp0)"
            ))
        };
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest.split_once(']').ok_or_else(bad)?;
            match after.strip_prefix(':') {
                Some(port) => (host, port.parse().map_err(|_| bad())?),
                None if after.is_empty() => (host, DEFAULT_PORT),
                None => return Err(bad()),
            }
        } else {
            match text.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => {
                    (host, port.parse().map_err(|_| bad())?)
                }
                Some(_) => (text, DEFAULT_PORT),
                None => (text, DEFAULT_PORT),
            }
        };
        if host.is_empty() || port == 0 || host.chars().any(char::is_whitespace) {
            return Err(bad());
        }
        Ok(Target::Network {
            host: host.to_string(),
            port,
        })
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Network { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Target::Network { host, port } => write!(f, "{host}:{port}"),
            Target::Device(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Sends `bytes` (a laid-out receipt) to the printer at `target`.
#[tracing::instrument(skip(bytes), fields(bytes = bytes.len()), err(level = "info"))]
pub fn send(target: &Target, bytes: &[u8]) -> Result<(), PrintError> {
    match target {
        Target::Network { host, port } => send_tcp(target, host, *port, bytes),
        Target::Device(path) => send_device(target, path.clone(), bytes.to_vec()),
    }
}

fn unreachable(target: &Target, e: impl std::fmt::Display) -> PrintError {
    PrintError::Unreachable {
        target: target.to_string(),
        reason: e.to_string(),
    }
}

fn interrupted(target: &Target, e: impl std::fmt::Display) -> PrintError {
    PrintError::Interrupted {
        target: target.to_string(),
        reason: e.to_string(),
    }
}

fn send_tcp(target: &Target, host: &str, port: u16, bytes: &[u8]) -> Result<(), PrintError> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| unreachable(target, format!("the name is not known: {e}")))?
        .collect();
    let mut last = None;
    let mut stream = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, CONNECT) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let Some(mut stream) = stream else {
        return Err(unreachable(
            target,
            last.map_or_else(|| "no address".to_string(), |e| e.to_string()),
        ));
    };
    stream
        .set_nodelay(true)
        .map_err(|e| interrupted(target, e))?;
    stream
        .set_write_timeout(Some(WRITE))
        .map_err(|e| interrupted(target, e))?;
    check_status(target, &mut stream)?;
    stream
        .write_all(bytes)
        .map_err(|e| interrupted(target, e))?;
    stream.flush().map_err(|e| interrupted(target, e))?;
    // Close our side and let the printer close its own: it has the whole receipt.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    Ok(())
}

/// The three status requests, in the order their answers come back.
const ASKED: [RealTimeStatusRequest; 3] = [
    RealTimeStatusRequest::Printer,
    RealTimeStatusRequest::OfflineCause,
    RealTimeStatusRequest::RollPaperSensor,
];

/// The bytes that ask a printer for [`ASKED`].
pub fn status_request() -> Result<Vec<u8>, PrintError> {
    let capture = crate::layout::Capture::default();
    let mut p = Printer::new(capture.clone(), Protocol::default(), None);
    for request in ASKED {
        p.real_time_status(request)?;
    }
    p.send_status()?;
    Ok(capture.bytes())
}

/// Asks the printer whether it can print; refuses when it says it cannot.
fn check_status(target: &Target, stream: &mut TcpStream) -> Result<(), PrintError> {
    stream
        .write_all(&status_request()?)
        .map_err(|e| interrupted(target, e))?;
    stream
        .set_read_timeout(Some(STATUS))
        .map_err(|e| interrupted(target, e))?;
    let mut answer = [0u8; 3];
    let mut got = 0;
    while got < answer.len() {
        match stream.read(&mut answer[got..]) {
            Ok(0) => return Err(interrupted(target, "it closed the connection")),
            Ok(n) => got += n,
            // No answer: a printer without real-time status. Print anyway.
            Err(_) => {
                tracing::info!(%target, got, "the printer did not answer its status");
                return Ok(());
            }
        }
    }
    let flag = |request, byte: u8, flag| {
        RealTimeStatusResponse::parse(request, byte)
            .ok()
            .and_then(|m| m.get(&flag).copied())
    };
    let online = flag(ASKED[0], answer[0], RealTimeStatusResponse::Online);
    let cover_closed = flag(ASKED[1], answer[1], RealTimeStatusResponse::CoverClosed);
    let paper_end = flag(
        ASKED[1],
        answer[1],
        RealTimeStatusResponse::PrintingStopsDueToPaperEnd,
    );
    let paper_present = flag(
        ASKED[2],
        answer[2],
        RealTimeStatusResponse::RollPaperEndSensorPaperPresent,
    );
    let name = target.to_string();
    if paper_end == Some(true) || paper_present == Some(false) {
        return Err(PrintError::OutOfPaper(name));
    }
    if cover_closed == Some(false) {
        return Err(PrintError::CoverOpen(name));
    }
    if online == Some(false) {
        return Err(PrintError::Offline(name));
    }
    Ok(())
}

fn send_device(target: &Target, path: PathBuf, bytes: Vec<u8>) -> Result<(), PrintError> {
    // A USB printer's device can block a write for as long as the printer is stuck: write from a
    // thread of its own and stop waiting after `WRITE`.
    let (tx, rx) = mpsc::channel();
    let shown = path.clone();
    std::thread::Builder::new()
        .name("print-device".into())
        .spawn(move || {
            let result = OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|mut f| f.write_all(&bytes).and_then(|()| f.flush()))
                .map_err(|e| (e.kind(), e.raw_os_error(), e.to_string()));
            let _ = tx.send(result);
        })
        .map_err(|e| interrupted(target, e))?;
    match rx.recv_timeout(WRITE) {
        Ok(Ok(())) => Ok(()),
        Ok(Err((std::io::ErrorKind::NotFound, _, _))) => Err(unreachable(
            target,
            "no such device; is the printer plugged in?",
        )),
        Ok(Err((std::io::ErrorKind::PermissionDenied, _, _))) => Err(PrintError::Setting(format!(
            "Fairtill may not write to {}: add this user to the group that owns it (lp)",
            shown.display()
        ))),
        // ENOSPC is what the kernel's usblp driver answers when the printer reports no paper.
        Ok(Err((_, Some(28), _))) => Err(PrintError::OutOfPaper(target.to_string())),
        Ok(Err((_, _, reason))) => Err(interrupted(target, reason)),
        Err(_) => Err(interrupted(target, "it took nothing for 10 seconds")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_as_a_till_user_types_them() {
        let net = |h: &str, p| Target::Network {
            host: h.into(),
            port: p,
        };
        assert_eq!(
            Target::parse("192.168.1.50").unwrap(),
            net("192.168.1.50", 9100)
        );
        assert_eq!(
            Target::parse(" printer.local:9101 ").unwrap(),
            net("printer.local", 9101)
        );
        assert_eq!(
            Target::parse("[fe80::1]:9100").unwrap(),
            net("fe80::1", 9100)
        );
        assert_eq!(Target::parse("fe80::1").unwrap(), net("fe80::1", 9100));
        assert_eq!(
            Target::parse("/dev/usb/lp0").unwrap(),
            Target::Device("/dev/usb/lp0".into())
        );
        for bad in ["", "host:port", "host:0", "a b:9100", "[::1"] {
            assert!(
                matches!(Target::parse(bad), Err(PrintError::Setting(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn the_status_request_is_the_three_dle_eot_commands() {
        // The crate ends each with a NUL, which printers ignore between commands.
        assert_eq!(
            status_request().unwrap(),
            vec![0x10, 4, 1, 0, 0x10, 4, 2, 0, 0x10, 4, 4, 0]
        );
    }
}
