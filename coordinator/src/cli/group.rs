//! `msp-coordinator group …`: named comparator groups. A group is a list of three or more
//! councils with an id and a name — a council's nearest neighbours, a CIPFA family, a regional
//! improvement partnership — defined for the whole network or saved as one council's peer list.
//! Once defined it is a group like any other: `named:<id>` in the API and `msp-node compare
//! --group`, and offered in the dashboard's pickers (a saved peer list to its council's readers
//! and to national analysts). Who sees its figures follows the publication rule, as for any group.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use msp_schemas::CouncilCode;
use msp_terminal::say;
use time::OffsetDateTime;

use super::error::CliError;
use crate::{
    benchmark::{Comparator, MIN_NAMED, Slug},
    store::Store,
};

/// `msp-coordinator group …`.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Define a named group from a file of council codes (or redefine it: its councils are replaced).
    Define {
        /// Its id: lower-case letters, digits and hyphens, such as hartlepool-neighbours.
        id: Slug,
        /// Its name, as readers will see it.
        #[arg(long)]
        name: String,
        /// The councils: a CSV with a column named code (or ons_code, gss_code, council), or one
        /// ONS code per line. Lines starting with # are ignored.
        #[arg(long)]
        councils: PathBuf,
        /// Save it as this council's peer list (offered to that council's readers) rather than for
        /// the whole network.
        #[arg(long = "for")]
        owner: Option<CouncilCode>,
    },
    /// List the named groups.
    List {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a named group.
    Remove {
        /// Its id.
        id: Slug,
    },
}

/// Runs a `group` command.
pub(super) async fn group(store: &Store, c: GroupCommand, now: OffsetDateTime) -> Result<(), CliError> {
    match c {
        GroupCommand::Define { id, name, councils, owner } => {
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(CliError::Usage(
                    "a group's name must be 1 to 100 characters: the name readers will see".into(),
                ));
            }
            let members = read_councils(&councils)?;
            if members.len() < MIN_NAMED {
                return Err(CliError::Usage(format!(
                    "{} lists {} council(s): a group needs at least {MIN_NAMED} (a single council is already its own \
                     figures; compare it with the group instead)",
                    councils.display(),
                    members.len()
                )));
            }
            let g = Comparator { slug: id, name, owner, members };
            store.define_comparator(&g.stored(), &now.to_string()).await?;
            let whose = owner
                .map_or_else(|| "for the whole network".to_owned(), |o| format!("as {}'s peer list", o.council().name));
            say!("Group named:{id} ({}) defined {whose}, with {} councils:", g.name, g.members.len());
            for c in &g.members {
                say!("  {c}  {}", c.council().name);
            }
        }
        GroupCommand::List { json } => {
            let groups: Vec<Comparator> =
                store.comparators().await?.into_iter().filter_map(Comparator::from_stored).collect();
            if json {
                let out: Vec<serde_json::Value> = groups
                    .iter()
                    .map(|g| {
                        serde_json::json!({
                            "group": format!("named:{}", g.slug), "name": g.name,
                            "for": g.owner.map(|o| o.as_str().to_owned()),
                            "councils": g.members.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                say!("{}", serde_json::to_string_pretty(&out).expect("serialises"));
            } else if groups.is_empty() {
                say!(
                    "No named groups yet: define one with `msp-coordinator group define ID --name NAME --councils FILE`."
                );
            } else {
                say!("{:<42} {:<10} {:<12} name", "group", "councils", "for");
                for g in &groups {
                    let owner = g.owner.map_or_else(|| "network".to_owned(), |o| o.as_str().to_owned());
                    say!("{:<42} {:<10} {:<12} {}", format!("named:{}", g.slug), g.members.len(), owner, g.name);
                }
            }
        }
        GroupCommand::Remove { id } => {
            if store.remove_comparator(id.as_str()).await? {
                say!("Group named:{id} removed.");
            } else {
                return Err(CliError::Usage(format!(
                    "there is no group named:{id} (see `msp-coordinator group list`)"
                )));
            }
        }
    }
    Ok(())
}

/// The councils a file lists: a CSV's code column, or one code per line; each a council of the
/// register, each once.
fn read_councils(path: &Path) -> Result<Vec<CouncilCode>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("could not read the councils file {}: {e}", path.display())))?;
    let wanted = ["code", "ons_code", "gss_code", "council", "council_code", "la_code"];
    let (mut column, mut first) = (None, true);
    let mut out: Vec<CouncilCode> = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
        let fields: Vec<String> = match reader.records().next() {
            Some(Ok(r)) => r.iter().map(|f| f.trim().to_owned()).collect(),
            _ => {
                problems.push(format!("line {}: not a CSV row", i + 1));
                continue;
            }
        };
        if std::mem::take(&mut first)
            && let Some(c) = fields.iter().position(|f| wanted.contains(&f.to_lowercase().as_str()))
        {
            column = Some(c);
            continue;
        }
        let text = fields.get(column.unwrap_or(0)).map_or("", String::as_str);
        match text.parse::<CouncilCode>() {
            Ok(c) if out.contains(&c) => problems.push(format!("line {}: {c} is listed twice", i + 1)),
            Ok(c) => out.push(c),
            Err(e) => problems.push(format!("line {}: {e}", i + 1)),
        }
    }
    if !problems.is_empty() {
        return Err(CliError::Usage(format!(
            "{} has councils that cannot be used, so no group was defined: {}",
            path.display(),
            problems.join("; ")
        )));
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("g.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn councils_are_read_from_a_code_column_or_one_per_line_and_bad_ones_are_named() {
        let (_d, p) =
            file("name,code\nHartlepool,E06000001\nMiddlesbrough,E06000002\n\n# a comment\nDarlington,E06000005\n");
        assert_eq!(read_councils(&p).unwrap().len(), 3);
        let (_d, p) = file("\u{feff}E06000002\nE06000001\n");
        assert_eq!(read_councils(&p).unwrap(), ["E06000001".parse().unwrap(), "E06000002".parse().unwrap()]);
        let (_d, p) = file("code\nE06000001\nE06000001\nE99999999\n");
        let e = read_councils(&p).unwrap_err().to_string();
        assert!(e.contains("line 3: E06000001 is listed twice") && e.contains("line 4:"), "{e}");
    }
}
