//! Progress of long CLI work on stderr (stdout carries only results): an indicatif spinner or bar
//! when stderr is a terminal, plain lines otherwise, so that logs of cron jobs and CI stay
//! readable. Work that runs as one job (an import, a card issue) shows its phases, not rows it
//! cannot see.

use std::fmt::Display;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

#[derive(Clone)]
pub struct Progress {
    bar: Option<ProgressBar>,
    /// Plain lines (stderr is not a terminal); `false` with no bar means silent.
    plain: bool,
    label: String,
    started: Instant,
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

impl Progress {
    /// A phase of unknown length: a spinner, or one plain line when `plain_too`.
    pub fn phase(label: impl Into<String>, plain_too: bool) -> Progress {
        let label = label.into();
        let terminal = stderr_is_terminal();
        let bar = terminal.then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .expect("a valid template"),
            );
            bar.set_message(label.clone());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let plain = !terminal && plain_too;
        if plain {
            eprintln!("{label} …");
        }
        Progress {
            bar,
            plain,
            label,
            started: Instant::now(),
        }
    }

    /// Work of `len` steps (`unit` names them): a bar, or no lines (the caller reports).
    pub fn steps(label: impl Into<String>, len: u64, unit: &str) -> Progress {
        let label = label.into();
        let bar = stderr_is_terminal().then(|| {
            let bar = ProgressBar::new(len);
            let template = format!("{{msg}} [{{bar:30}}] {{pos}}/{{len}} {unit} [{{elapsed}}]");
            bar.set_style(ProgressStyle::with_template(&template).expect("a valid template"));
            bar.set_message(label.clone());
            bar
        });
        Progress {
            bar,
            plain: false,
            label,
            started: Instant::now(),
        }
    }

    pub fn set_position(&self, position: u64) {
        if let Some(bar) = &self.bar {
            // Work may overrun its estimate (a bench waits for the flows in flight).
            bar.set_position(position.min(bar.length().unwrap_or(u64::MAX)));
        }
    }

    /// Moves on to the next phase of the same work.
    pub fn next_phase(&mut self, label: impl Into<String>) {
        self.label = label.into();
        match &self.bar {
            Some(bar) => bar.set_message(self.label.clone()),
            None if self.plain => eprintln!("{} …", self.label),
            None => {}
        }
    }

    /// Ends the work with a summary line (on a terminal, or when plain lines were asked for).
    pub fn finish(self, summary: impl Display) {
        let seconds = self.started.elapsed().as_secs_f64();
        match &self.bar {
            Some(bar) => {
                bar.finish_and_clear();
                eprintln!("{summary} ({seconds:.1} s)");
            }
            None if self.plain => eprintln!("{summary} ({seconds:.1} s)"),
            None => {}
        }
    }

    /// Ends the work without a summary line (it failed, or the caller reports on stdout).
    pub fn abandon(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
