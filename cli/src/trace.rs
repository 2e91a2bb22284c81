//! The heartbeat trace format (see docs/trace-format.md): reading, writing,
//! and the per-node arrival sequences that the evaluator replays.
//!
//! ```text
//! # comment lines start with '#'
//! node,seq,send_ns,recv_ns
//! 1,0,1000000,1150000
//! 1,1,101000000,
//! #crash,1,350000000
//! ```

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

/// Marker for "no value" in the compact `u64` fields.
pub const NONE: u64 = u64::MAX;

/// One heartbeat the sender emitted. 32 bytes; times are nanoseconds on the
/// clock the trace was recorded with (`send_ns` on the sender's, `recv_ns` on
/// the receiver's; the two may have different origins).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// Peer id (0 in single-peer traces).
    pub node: u64,
    /// Sender's sequence number.
    pub seq: u64,
    /// Send time, or [`NONE`] when unknown (only allowed for lost heartbeats).
    pub send_ns: u64,
    /// Receive time, or [`NONE`] when the heartbeat was lost.
    pub recv_ns: u64,
}

impl Heartbeat {
    /// Receive time if received.
    pub fn recv(&self) -> Option<u64> {
        (self.recv_ns != NONE).then_some(self.recv_ns)
    }
    /// Send time if known.
    pub fn send(&self) -> Option<u64> {
        (self.send_ns != NONE).then_some(self.send_ns)
    }
}

/// A whole trace: heartbeats in file order plus crash markers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// Rows in file order.
    pub rows: Vec<Heartbeat>,
    /// `(node, time_ns)`: the sender `node` crashed at `time_ns` (sender clock);
    /// it sent nothing at or after that time.
    pub crashes: Vec<(u64, u64)>,
    /// Whether the trace has a `node` column (written back the same way).
    pub multi_node: bool,
}

/// Errors are reported as `io::Error` with the file's line number in the message.
fn bad(line: usize, msg: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("line {line}: {msg}"))
}

fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest
        } else {
            break;
        }
    }
    s
}

/// Opens a file for reading, transparently decompressing names ending in `.gz`.
/// `-` reads standard input.
pub fn open(path: &Path) -> io::Result<Box<dyn BufRead>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::with_capacity(1 << 20, io::stdin())));
    }
    let f = File::open(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let r: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 20, f)))
    } else {
        Box::new(f)
    };
    Ok(Box::new(BufReader::with_capacity(1 << 20, r)))
}

/// Creates a file for writing (`-`: standard output), gzip-compressed when the name ends in `.gz`.
pub fn create(path: &Path) -> io::Result<Box<dyn Write>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufWriter::with_capacity(1 << 20, io::stdout())));
    }
    let f = File::create(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(BufWriter::with_capacity(
            1 << 20,
            flate2::write::GzEncoder::new(f, flate2::Compression::fast()),
        )))
    } else {
        Ok(Box::new(BufWriter::with_capacity(1 << 20, f)))
    }
}

impl Trace {
    /// Reads a trace in the documented CSV format from `r`.
    ///
    /// Errors: a missing or incomplete header, a malformed number, a row
    /// with a receive time but no send time, or a malformed crash marker
    /// (all with the line number).
    pub fn read(mut r: impl BufRead) -> io::Result<Trace> {
        let mut t = Trace::default();
        let mut line = Vec::with_capacity(128);
        let mut lineno = 0usize;
        let mut cols: Option<[usize; 4]> = None; // node, seq, send, recv (node = usize::MAX if absent)
        let mut ncols = 0usize;
        let mut spans: Vec<(usize, usize)> = Vec::with_capacity(8);
        loop {
            line.clear();
            if r.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            lineno += 1;
            let l = trim(&line);
            if l.is_empty() {
                continue;
            }
            if l[0] == b'#' {
                if let Some(rest) = l.strip_prefix(b"#crash,") {
                    let parts: Vec<&[u8]> = rest.split(|&c| c == b',').map(trim).collect();
                    match parts.as_slice() {
                        [n, tm] => {
                            let node = parse_u64(n).ok_or_else(|| bad(lineno, "crash marker: bad node"))?;
                            let time = parse_u64(tm).ok_or_else(|| bad(lineno, "crash marker: bad time"))?;
                            t.crashes.push((node, time));
                        }
                        _ => return Err(bad(lineno, "crash marker must be `#crash,<node>,<time_ns>`")),
                    }
                }
                continue;
            }
            spans.clear();
            let mut st = 0usize;
            for (i, &c) in l.iter().enumerate() {
                if c == b',' {
                    spans.push((st, i));
                    st = i + 1;
                }
            }
            spans.push((st, l.len()));
            let field = |i: usize| trim(&l[spans[i].0..spans[i].1]);
            let fields: Vec<&[u8]> = if cols.is_none() {
                (0..spans.len()).map(field).collect()
            } else {
                Vec::new()
            };
            let Some(c) = cols else {
                let find = |name: &str| fields.iter().position(|f| f.eq_ignore_ascii_case(name.as_bytes()));
                let (Some(seq), Some(send), Some(recv)) = (find("seq"), find("send_ns"), find("recv_ns")) else {
                    return Err(bad(
                        lineno,
                        "header must name the columns seq, send_ns, recv_ns (and optionally node)",
                    ));
                };
                let node = find("node");
                t.multi_node = node.is_some();
                cols = Some([node.unwrap_or(usize::MAX), seq, send, recv]);
                ncols = fields.len();
                continue;
            };
            if spans.len() < ncols {
                return Err(bad(lineno, format!("expected {ncols} fields, found {}", spans.len())));
            }
            let num = |i: usize, what: &str| -> io::Result<u64> {
                let f = field(i);
                if f.is_empty() {
                    return Ok(NONE);
                }
                parse_u64(f).ok_or_else(|| {
                    bad(
                        lineno,
                        format!("{what}: not an unsigned integer: {:?}", String::from_utf8_lossy(f)),
                    )
                })
            };
            let node = if c[0] == usize::MAX { 0 } else { num(c[0], "node")? };
            let seq = num(c[1], "seq")?;
            let send = num(c[2], "send_ns")?;
            let recv = num(c[3], "recv_ns")?;
            if seq == NONE || node == NONE {
                return Err(bad(lineno, "node and seq must not be empty"));
            }
            if send == NONE && recv != NONE {
                return Err(bad(lineno, "a received heartbeat needs its send_ns"));
            }
            t.rows.push(Heartbeat {
                node,
                seq,
                send_ns: send,
                recv_ns: recv,
            });
        }
        if cols.is_none() {
            return Err(bad(lineno, "no header line (seq,send_ns,recv_ns)"));
        }
        Ok(t)
    }

    /// Reads a trace from a file (`.gz` decompressed, `-` for stdin).
    pub fn read_path(path: &Path) -> io::Result<Trace> {
        Trace::read(open(path)?).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
    }

    /// Writes the trace in the documented format; the `node` column is
    /// written when the trace is multi-node or has a node other than 0.
    pub fn write(&self, mut w: impl Write) -> io::Result<()> {
        let with_node = self.multi_node || self.rows.iter().any(|h| h.node != 0);
        if with_node {
            writeln!(w, "node,seq,send_ns,recv_ns")?;
        } else {
            writeln!(w, "seq,send_ns,recv_ns")?;
        }
        let mut buf = String::with_capacity(64);
        for h in &self.rows {
            buf.clear();
            use std::fmt::Write as _;
            if with_node {
                let _ = write!(buf, "{},", h.node);
            }
            let _ = write!(buf, "{},", h.seq);
            if h.send_ns != NONE {
                let _ = write!(buf, "{}", h.send_ns);
            }
            buf.push(',');
            if h.recv_ns != NONE {
                let _ = write!(buf, "{}", h.recv_ns);
            }
            buf.push('\n');
            w.write_all(buf.as_bytes())?;
        }
        for (n, tm) in &self.crashes {
            writeln!(w, "#crash,{n},{tm}")?;
        }
        w.flush()
    }

    /// Writes to a file (`.gz` compressed, `-` for stdout).
    pub fn write_path(&self, path: &Path) -> io::Result<()> {
        self.write(create(path)?)
    }

    /// The nodes present, ascending.
    pub fn nodes(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.rows.iter().map(|h| h.node).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Splits the trace into one [`Stream`] per node.
    pub fn streams(&self) -> Vec<Stream> {
        let mut by: BTreeMap<u64, Vec<Heartbeat>> = BTreeMap::new();
        for h in &self.rows {
            by.entry(h.node).or_default().push(*h);
        }
        by.into_iter()
            .map(|(node, rows)| {
                let crash = self.crashes.iter().filter(|c| c.0 == node).map(|c| c.1).min();
                Stream::new(node, rows, crash)
            })
            .collect()
    }
}

/// One node's heartbeats, prepared for replay: the received ones sorted by
/// receive time (ties by sequence number).
#[derive(Debug, Clone)]
pub struct Stream {
    /// Node id.
    pub node: u64,
    /// Receive times, ascending, ns.
    pub recv: Vec<u64>,
    /// Send times of the same heartbeats (sender clock), ns.
    pub send: Vec<u64>,
    /// Sequence numbers of the same heartbeats.
    pub seq: Vec<u64>,
    /// Heartbeats sent (received or not).
    pub sent: u64,
    /// Crash time from a marker (sender clock), if any.
    pub crash_ns: Option<u64>,
}

impl Stream {
    /// Builds the arrival sequence from a node's rows.
    pub fn new(node: u64, rows: Vec<Heartbeat>, crash_ns: Option<u64>) -> Stream {
        let sent = rows.len() as u64;
        let mut got: Vec<(u64, u64, u64)> = rows
            .iter()
            .filter(|h| h.recv_ns != NONE)
            .map(|h| (h.recv_ns, h.seq, h.send_ns))
            .collect();
        if !got.windows(2).all(|w| w[0] <= w[1]) {
            got.sort_unstable();
        }
        Stream {
            node,
            recv: got.iter().map(|g| g.0).collect(),
            seq: got.iter().map(|g| g.1).collect(),
            send: got.iter().map(|g| g.2).collect(),
            sent,
            crash_ns,
        }
    }

    /// Builds a stream straight from arrival times (sequence numbers 0, 1, …,
    /// send time = receive time). For tests and hand-built examples.
    pub fn from_arrivals(recv: Vec<u64>) -> Stream {
        let n = recv.len();
        Stream {
            node: 0,
            send: recv.clone(),
            seq: (0..n as u64).collect(),
            recv,
            sent: n as u64,
            crash_ns: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_losses_nodes_and_crashes() {
        let text = "# a comment\nnode,seq,send_ns,recv_ns\n1,0,100,250\n1,1,200,\n2,0,150,300\n#crash,2,400\n";
        let t = Trace::read(text.as_bytes()).unwrap();
        assert_eq!(t.rows.len(), 3);
        assert_eq!(t.rows[1].recv(), None);
        assert_eq!(t.crashes, vec![(2, 400)]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        assert_eq!(Trace::read(out.as_slice()).unwrap(), t);
        let s = t.streams();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].recv, vec![250]);
        assert_eq!(s[0].sent, 2);
        assert_eq!(s[1].crash_ns, Some(400));
    }

    #[test]
    fn errors_name_the_line() {
        let e = Trace::read("seq,send_ns,recv_ns\n1,x,3\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(Trace::read("a,b,c\n".as_bytes()).is_err());
        assert!(Trace::read("seq,send_ns,recv_ns\n1,,5\n".as_bytes()).is_err());
    }
}
