//! `msp-node import`: imports a case file and prints what became of every row.

use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
};

use clap::Args;
use msp_terminal::say;

use super::{CliError, thousands};
use crate::{
    clock::Clock,
    config::DataDir,
    import::{self, ImportOptions, Mapping, MaxRejected},
    keys::NodeSecret,
    store::Store,
};

/// `msp-node import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The case file: CSV (UTF-8, UTF-16 or Windows-1252) or an Excel workbook (.xlsx). With a
    /// mapping that joins other files ([[join]]), the main file, one row per case.
    pub file: PathBuf,
    /// A mapping file (TOML) that renames columns and translates local values to codes.
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Where to list rejected rows and warnings (default: the data directory's rejects/, when any).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Roll the import back, storing nothing, if more rows than this are rejected: a number of
    /// rows (250) or a share of the rows read (5%). A rejected row is never imported either way.
    #[arg(long, default_value = "10%")]
    pub max_rejected: MaxRejected,
    /// The file is the complete set of cases for its date range (its rows' earliest to latest
    /// concern_date): stored cases received in that range that it does not hold are removed, in
    /// the same transaction. A rejected row's case counts as held and is kept; cases outside the
    /// range are kept; releases already made and the privacy budget are not touched.
    #[arg(long)]
    pub snapshot: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Reads and parses a mapping file.
fn read_mapping(path: &Path) -> Result<Mapping, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("could not read the mapping file {}: {e}", path.display())))?;
    Mapping::parse(&text).map_err(|source| CliError::Mapping { path: path.to_owned(), source })
}

/// Imports the file and prints the counts.
pub async fn import(data: &DataDir, a: ImportArgs, clock: Clock) -> Result<(), CliError> {
    let config = data.load()?;
    let mapping = a.mapping.as_deref().map(read_mapping).transpose()?;
    let secret = NodeSecret::load(&data.keys_dir())?;
    let store = Store::open(&data.database_url(&config), config.council).await?;
    let options = ImportOptions {
        mapping,
        rejects_path: a.rejects.clone(),
        rejects_dir: data.rejects_dir(),
        progress: std::io::stderr().is_terminal() && !a.json,
        clock,
        max_rejected: Some(a.max_rejected),
    };
    let summary = if a.snapshot {
        import::import_snapshot(&store, &secret, &a.file, options, &crate::audit::Actor::command_line(None)).await
    } else {
        import::import_file(&store, &secret, &a.file, options).await
    };
    store.db().close().await;
    let summary = summary?;
    if a.json {
        say!("{}", serde_json::to_string_pretty(&summary).expect("serialises"));
        return Ok(());
    }
    let c = &summary.counts;
    say!("Imported {} into {}'s node (import {})", a.file.display(), config.council.council().name, summary.import_id);
    for note in &summary.notes {
        say!("  Note: {note}");
    }
    let line = |label: &str, n: u64| say!("  {label:<10} {:>12}", thousands(n));
    line("rows read", c.rows_read);
    line("new", c.imported);
    line("updated", c.updated);
    line("unchanged", c.unchanged);
    line("rejected", c.rejected);
    line("warnings", c.warnings);
    for j in &summary.joined {
        say!(
            "  joined     {:>12} of {} rows of {} ({} rejected)",
            thousands(j.matched),
            thousands(j.rows_read),
            j.file.display(),
            thousands(j.rejected)
        );
    }
    if let Some(s) = &summary.snapshot {
        line("removed", s.removed);
        say!();
        match (s.first, s.last) {
            (Some(first), Some(last)) => say!(
                "As a snapshot, the file is every case received {first} to {last} (its rows' concern dates): {} \
                 stored case(s) received then and not in it were removed. Cases outside those dates, and those of \
                 rejected rows, are kept; releases already made are unchanged.",
                thousands(s.removed)
            ),
            _ => say!("As a snapshot: no row was imported, so no date range and no stored case was removed."),
        }
    }
    if !summary.problems.is_empty() {
        say!();
        say!("By reason (line numbers are the file's own; the header is line 1):");
        for p in &summary.problems {
            let column = if p.column.is_empty() { String::new() } else { format!(" {}", p.column) };
            say!("  {} {}{column}: {}", thousands(p.count), p.severity, p.reason);
            let main = a.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let lines: Vec<String> = p
                .examples
                .iter()
                .map(|e| {
                    let file = if e.file == main { String::new() } else { format!("{} ", e.file) };
                    format!("{file}line {} ({})", e.line, e.case_id)
                })
                .collect();
            let more = if p.count > p.examples.len() as u64 { ", …" } else { "" };
            say!("      e.g. {}{more}", lines.join(", "));
        }
    }
    if let Some(p) = &summary.rejects_file {
        say!();
        say!("Rejected rows and warnings are listed, with file, line, column, value and reason, in {}", p.display());
    }
    Ok(())
}
