//! msp-terminal: what the network's command-line programs (`msp-node`, `msp-coordinator`,
//! `msp-demo`) print, written once.
//!
//! - [`say!`]: a line to standard output that ends the program quietly (exit 0) when the reader
//!   has gone (`msp-node receipts | head`), where `println!` would panic;
//! - `progress_bar` (feature `progress`): long work (an import, the demo) shows progress on a terminal and stays
//!   quiet when piped or logged (DESIGN §9).

#[cfg(feature = "progress")]
pub use indicatif::ProgressBar;
#[cfg(feature = "progress")]
use indicatif::{ProgressDrawTarget, ProgressStyle};

/// Prints a line to standard output. When the reader has gone, stops the program quietly
/// instead of panicking.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

#[cfg(feature = "progress")]
/// A progress bar of `len` steps drawn on standard error with `template` (indicatif's syntax)
/// when `shown`, else one that draws nothing (so callers update it either way).
///
/// # Panics
/// When `template` is not a valid indicatif template: the templates are literals in our code.
pub fn progress_bar(shown: bool, len: u64, template: &'static str) -> ProgressBar {
    if !shown {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template(template).expect("a valid progress template"));
    bar
}

#[cfg(all(test, feature = "progress"))]
mod tests {
    #[test]
    fn a_hidden_bar_still_counts_and_a_shown_one_takes_its_template() {
        let hidden = super::progress_bar(false, 10, "{bar:40} {pos}/{len}");
        hidden.inc(3);
        assert_eq!(hidden.position(), 3);
        assert!(hidden.is_hidden());
        let shown =
            super::progress_bar(true, 10, "{spinner} councils {bar:40} {pos}/{len} ({elapsed}, {eta} left) {msg}");
        shown.inc(1);
        assert_eq!(shown.length(), Some(10));
    }
}
