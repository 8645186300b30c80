//! STOMP frames (push.md §2, the STOMP 1.2 specification, read so that 1.0 and 1.1 clients work):
//! an incremental parser that takes whatever bytes a connection has buffered and says whether they
//! hold a whole frame (or a heart-beat), more bytes are needed, or the peer broke the protocol —
//! never panicking and never buffering past the limits (push.md §2.5: 1 MiB per frame, 100
//! headers) — and the writer of the frames a server sends.
//!
//! No I/O here: the listener owns the sockets; this crate only turns bytes into frames and back.
//! Written by hand rather than taken from a crate because the parser must be incremental, enforce the
//! limits while a frame is still arriving, and accept the 1.0/1.1 frames the SDKs send (the crates
//! seen parse whole 1.2 frames only); the fuzz target `stomp_frame` keeps it honest.

use std::fmt;

/// The largest frame a connection may send (push.md §2.5, `--stomp-frame-limit`).
pub const MAX_FRAME: usize = 1 << 20;
/// The most headers one frame may carry (push.md §2.5).
pub const MAX_HEADERS: usize = 100;

macro_rules! commands {
    ($($variant:ident = $text:literal),+ $(,)?) => {
        /// A frame's command: what clients send (CONNECT … DISCONNECT) and what servers send
        /// (CONNECTED, MESSAGE, RECEIPT, ERROR).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Command { $($variant),+ }

        impl Command {
            pub const ALL: &'static [Command] = &[$(Command::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Command::$variant => $text),+ }
            }

            /// Commands are case-sensitive (STOMP 1.2 "Frames and Headers").
            pub fn parse(name: &[u8]) -> Option<Command> {
                match name {
                    $(n if n == $text.as_bytes() => Some(Command::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

commands! {
    Connect = "CONNECT",
    Stomp = "STOMP",
    Send = "SEND",
    Subscribe = "SUBSCRIBE",
    Unsubscribe = "UNSUBSCRIBE",
    Ack = "ACK",
    Nack = "NACK",
    Begin = "BEGIN",
    Commit = "COMMIT",
    Abort = "ABORT",
    Disconnect = "DISCONNECT",
    Connected = "CONNECTED",
    Message = "MESSAGE",
    Receipt = "RECEIPT",
    Error = "ERROR",
}

impl Command {
    /// CONNECT and CONNECTED carry their headers raw: a 1.0 client cannot know the escapes yet.
    fn escapes_headers(self) -> bool {
        !matches!(self, Command::Connect | Command::Connected)
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One frame: command, headers in the order sent (a repeated header keeps every entry; the first
/// one counts, [`Frame::get`]), and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub command: Command,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Frame {
    pub fn new(command: Command) -> Frame {
        Frame {
            command,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Frame {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Frame {
        self.body = body.into();
        self
    }

    /// The value of the first header of that name (STOMP 1.2 "Repeated Header Entries").
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The frame on the wire: headers escaped (except on CONNECT/CONNECTED), a `content-length`
    /// whenever there is a body and none was given (so a body may hold NUL bytes), then the NUL.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.body.len());
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        encode_into(&mut out, self.command, &headers, &self.body);
        out
    }
}

/// Appends a frame to `out` as [`Frame::encode`] writes it, from borrowed parts: a server that
/// sends one body to many connections encodes it without copying it into a [`Frame`] first.
pub fn encode_into(out: &mut Vec<u8>, command: Command, headers: &[(&str, &str)], body: &[u8]) {
    out.reserve(64 + body.len());
    out.extend_from_slice(command.as_str().as_bytes());
    out.push(b'\n');
    let escape = command.escapes_headers();
    for (name, value) in headers {
        write_header_text(out, name, escape);
        out.push(b':');
        write_header_text(out, value, escape);
        out.push(b'\n');
    }
    if !body.is_empty() && !headers.iter().any(|(n, _)| *n == "content-length") {
        out.extend_from_slice(format!("content-length:{}\n", body.len()).as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(body);
    out.push(0);
}

fn write_header_text(out: &mut Vec<u8>, text: &str, escape: bool) {
    if !escape {
        out.extend_from_slice(text.as_bytes());
        return;
    }
    for byte in text.bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b':' => out.extend_from_slice(b"\\c"),
            other => out.push(other),
        }
    }
}

/// What the front of a connection's buffer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Frame(Frame),
    /// An end-of-line between frames (STOMP 1.1+ heart-beat).
    HeartBeat,
}

/// How much one frame may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_frame: usize,
    pub max_headers: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame: MAX_FRAME,
            max_headers: MAX_HEADERS,
        }
    }
}

/// Why a peer's bytes are not STOMP; the one-line `message` of the ERROR frame the server sends
/// before it closes the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    #[error("frame larger than {0} bytes")]
    TooLarge(usize),
    #[error("more than {0} headers")]
    TooManyHeaders(usize),
    #[error("header line without a colon")]
    MalformedHeader,
    #[error("undefined escape sequence in a header")]
    BadEscape,
    #[error("header is not UTF-8")]
    NotUtf8,
    #[error("content-length is not a byte count")]
    BadContentLength,
    #[error("frame body not terminated by NUL")]
    MissingNul,
}

/// Reads the item at the front of `buf`: `Ok(None)` when the bytes so far are the beginning of a
/// valid frame and more are needed, `Ok(Some((item, n)))` when the first `n` bytes are a whole
/// item, an error when they can never become one (including a frame that would pass the limits).
pub fn parse(buf: &[u8], limits: &Limits) -> Result<Option<(Item, usize)>, FrameError> {
    match buf {
        [] | [b'\r'] => return Ok(None),
        [b'\n', ..] => return Ok(Some((Item::HeartBeat, 1))),
        [b'\r', b'\n', ..] => return Ok(Some((Item::HeartBeat, 2))),
        _ => {}
    }
    let Some(head) = read_head(buf, limits)? else {
        return if buf.len() > limits.max_frame {
            Err(FrameError::TooLarge(limits.max_frame))
        } else {
            Ok(None)
        };
    };
    let Some(end) = body_end(buf, &head, limits)? else {
        return Ok(None);
    };
    let used = end + 1;
    if used > limits.max_frame {
        return Err(FrameError::TooLarge(limits.max_frame));
    }
    let frame = Frame {
        command: head.command,
        headers: head.headers,
        body: buf[head.body_start..end].to_vec(),
    };
    Ok(Some((Item::Frame(frame), used)))
}

/// The command and headers of a frame whose blank line has arrived.
struct Head {
    command: Command,
    headers: Vec<(String, String)>,
    body_start: usize,
}

/// `None` until the blank line after the headers is in `buf`.
fn read_head(buf: &[u8], limits: &Limits) -> Result<Option<Head>, FrameError> {
    let mut lines = Lines { buf, pos: 0 };
    let Some(first) = lines.next() else {
        return Ok(None);
    };
    let command = Command::parse(first).ok_or_else(|| unknown_command(first))?;
    let mut headers = Vec::new();
    loop {
        let Some(line) = lines.next() else {
            return Ok(None);
        };
        if line.is_empty() {
            return Ok(Some(Head {
                command,
                headers,
                body_start: lines.pos,
            }));
        }
        if headers.len() == limits.max_headers {
            return Err(FrameError::TooManyHeaders(limits.max_headers));
        }
        headers.push(header(line, command.escapes_headers())?);
    }
}

/// The lines of a frame's head, each without its LF or CRLF; stops at a line not yet complete.
struct Lines<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = &self.buf[self.pos..];
        let lf = rest.iter().position(|&b| b == b'\n')?;
        self.pos += lf + 1;
        let line = &rest[..lf];
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

fn unknown_command(line: &[u8]) -> FrameError {
    let shown: String = String::from_utf8_lossy(line).chars().take(40).collect();
    FrameError::UnknownCommand(shown)
}

fn header(line: &[u8], escaped: bool) -> Result<(String, String), FrameError> {
    let colon = line
        .iter()
        .position(|&b| b == b':')
        .ok_or(FrameError::MalformedHeader)?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    Ok((header_text(name, escaped)?, header_text(value, escaped)?))
}

fn header_text(raw: &[u8], escaped: bool) -> Result<String, FrameError> {
    let bytes = if escaped {
        unescape(raw)?
    } else {
        raw.to_vec()
    };
    String::from_utf8(bytes).map_err(|_| FrameError::NotUtf8)
}

/// STOMP 1.2's four escapes; any other backslash sequence is a protocol error.
fn unescape(raw: &[u8]) -> Result<Vec<u8>, FrameError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        out.push(match bytes.next() {
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b'c') => b':',
            Some(b'\\') => b'\\',
            _ => return Err(FrameError::BadEscape),
        });
    }
    Ok(out)
}

/// Where the body ends (the index of its NUL), or `None` until it has arrived: `content-length`
/// bytes when the header is there, else up to the first NUL.
fn body_end(buf: &[u8], head: &Head, limits: &Limits) -> Result<Option<usize>, FrameError> {
    let declared = head
        .headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map(|(_, v)| content_length(v))
        .transpose()?;
    match declared {
        Some(length) => {
            if length >= limits.max_frame.saturating_sub(head.body_start) {
                return Err(FrameError::TooLarge(limits.max_frame));
            }
            let end = head.body_start + length;
            match buf.get(end) {
                None => Ok(None),
                Some(0) => Ok(Some(end)),
                Some(_) => Err(FrameError::MissingNul),
            }
        }
        None => match buf[head.body_start..].iter().position(|&b| b == 0) {
            Some(at) => Ok(Some(head.body_start + at)),
            None if buf.len() > limits.max_frame => Err(FrameError::TooLarge(limits.max_frame)),
            None => Ok(None),
        },
    }
}

fn content_length(value: &str) -> Result<usize, FrameError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FrameError::BadContentLength);
    }
    // More digits than a usize holds is as good as too large.
    Ok(value.parse().unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests;
