//! The CLI's stdout. Rust ignores SIGPIPE, so once a reader goes away (`loyalpos … | head -2`)
//! every later write fails with `BrokenPipe`, and `println!` panics. Results go through
//! [`Stdout`] instead, which turns a closed pipe into [`StdoutClosed`]: a clean stop with a message
//! on stderr and exit status [`CLOSED_EXIT`], never a panic.

use std::fmt::{self, Display};
use std::io::Write;

/// Exit status after stdout was closed early: what a shell reports for a process that SIGPIPE
/// stopped (128 + 13), so `set -o pipefail` scripts see what they see with any other tool.
pub const CLOSED_EXIT: u8 = 141;

/// Stdout's reader went away before the output ended.
#[derive(Debug)]
pub struct StdoutClosed {
    /// Lines written before the pipe broke (the reader may not have read all of them).
    pub lines: u64,
    /// Where the output can still be found, if anywhere.
    pub note: Option<String>,
}

impl Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "stdout was closed by its reader after {} lines (broken pipe); stopped",
            self.lines
        )?;
        match &self.note {
            Some(note) => write!(f, "; {note}"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for StdoutClosed {}

/// Why a line could not be written.
#[derive(Debug)]
pub enum OutputError {
    Closed(StdoutClosed),
    Failed(std::io::Error),
}

impl Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputError::Closed(closed) => closed.fmt(f),
            OutputError::Failed(e) => write!(f, "writing to stdout failed: {e}"),
        }
    }
}

impl std::error::Error for OutputError {}

/// Writes whole lines to stdout and counts them.
#[derive(Default)]
pub struct Stdout {
    lines: u64,
}

impl Stdout {
    pub fn new() -> Stdout {
        Stdout::default()
    }

    pub fn line(&mut self, text: impl Display) -> Result<(), OutputError> {
        let mut out = std::io::stdout().lock();
        match writeln!(out, "{text}").and_then(|()| out.flush()) {
            Ok(()) => {
                self.lines += 1;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                Err(OutputError::Closed(StdoutClosed {
                    lines: self.lines,
                    note: None,
                }))
            }
            Err(e) => Err(OutputError::Failed(e)),
        }
    }
}

/// The exit status for a command's error: [`CLOSED_EXIT`] for a closed stdout, else `None`.
pub fn closed_exit(err: &anyhow::Error) -> Option<u8> {
    let closed = err.downcast_ref::<StdoutClosed>().is_some()
        || matches!(
            err.downcast_ref::<OutputError>(),
            Some(OutputError::Closed(_))
        );
    closed.then_some(CLOSED_EXIT)
}

/// A safety net for output that does not go through [`Stdout`] (a `println!` elsewhere): the
/// panic of a print to a closed stdout becomes the same clean stop. Its message is std's
/// ("failed printing to stdout: Broken pipe (os error 32)").
pub fn install_closed_pipe_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if text.starts_with("failed printing to stdout") && text.contains("Broken pipe") {
            eprintln!("error: stdout was closed by its reader (broken pipe); stopped");
            std::process::exit(CLOSED_EXIT.into());
        }
        default(info);
    }));
}
