//! Why an import could not be done. Nothing is stored when any of these happens.

use std::path::PathBuf;

use msp_schemas::Column;

use crate::store::NodeStoreError;

/// Why an import could not be done. Nothing is stored when any of these happens.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened or read.
    #[error("could not read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No header row.
    #[error(
        "{0} is empty: a case file starts with a header row naming its columns ({cols})",
        cols = required_columns()
    )]
    Empty(PathBuf),
    /// More rows were rejected than the import tolerates: nothing was stored.
    #[error(
        "{rejected} of the {read} rows of {path} were rejected, more than the {limit} allowed (--max-rejected), so nothing \
         was imported. The commonest reasons: {reasons}.{}",
        report.as_ref().map_or(String::new(), |p| format!(" Every rejected row is listed in {}.", p.display()))
    )]
    TooManyRejected {
        /// The file.
        path: PathBuf,
        /// Rows rejected.
        rejected: u64,
        /// Rows read.
        read: u64,
        /// The limit, in words.
        limit: String,
        /// The report listing them.
        report: Option<PathBuf>,
        /// The commonest reasons, with their counts.
        reasons: String,
    },
    /// The header is not UTF-8.
    #[error(
        "the header row of {0} is not valid UTF-8: export the file as UTF-8 (with or without a BOM) or UTF-16 with a \
         BOM, or name its encoding in the mapping file (encoding = \"windows-1252\")"
    )]
    HeaderNotUtf8(PathBuf),
    /// The mapping names an encoding the node does not read.
    #[error("the mapping file's encoding {name:?} is not one this node reads: name {expected}")]
    UnknownEncoding {
        /// The encoding named.
        name: String,
        /// The encodings it reads.
        expected: &'static str,
    },
    /// A workbook that is password protected (encrypted).
    #[error(
        "{0} is a password-protected workbook, which cannot be read without its password: save a copy without the \
         password (in Excel: File, Info, Protect Workbook, Encrypt with Password, and clear it) or export the sheet as CSV"
    )]
    WorkbookPassword(PathBuf),
    /// A workbook that cannot be read.
    #[error(
        "{path} is not a workbook this node can read ({why}): save it again from Excel as .xlsx, or export the sheet as CSV"
    )]
    Workbook {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The mapping names a sheet the workbook does not have.
    #[error("{path} has no sheet named {sheet:?} (the mapping file's sheet): its sheets are {sheets}")]
    NoSuchSheet {
        /// The file.
        path: PathBuf,
        /// The sheet named.
        sheet: String,
        /// The workbook's sheets, quoted.
        sheets: String,
    },
    /// Columns that are neither case-record/1 columns nor mapped.
    #[error(
        "{path} has columns this node does not know: {unknown}. Rename or ignore them with a mapping file \
         (--mapping FILE; see deploy/config/mapping-caseworks.example.toml). The case-record/1 columns are: {expected}"
    )]
    UnknownColumns {
        /// The file.
        path: PathBuf,
        /// The unknown names, quoted.
        unknown: String,
        /// Every column name.
        expected: String,
    },
    /// A `[[join]]` whose `on` column is in none of the files before it.
    #[error(
        "the mapping joins {file} on the column {on:?}, which neither the main file nor an earlier joined file has: name \
         one of {columns}"
    )]
    JoinOn {
        /// The joined file.
        file: PathBuf,
        /// The column named.
        on: String,
        /// The columns there are, quoted.
        columns: String,
    },
    /// A joined file without the key column its `[[join]]` names.
    #[error("{file} has no column {key:?} (the key its [[join]] in the mapping names): its columns are {columns}")]
    JoinKey {
        /// The joined file.
        file: PathBuf,
        /// The key named.
        key: String,
        /// Its columns, quoted.
        columns: String,
    },
    /// A joined file with a column an earlier file also has.
    #[error(
        "{file} has a column {column:?}, and so does {other}: so that each column comes from one file, leave it unread \
         in {file} with ignore = [{column:?}] in its [[join]] in the mapping"
    )]
    JoinClash {
        /// The joined file.
        file: PathBuf,
        /// The column.
        column: String,
        /// The file that has it too.
        other: String,
    },
    /// Two header columns that mean the same column.
    #[error(
        "{path} has two columns that both give {column} (columns {first} and {second}): remove one, or ignore one with a mapping file"
    )]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: &'static str,
        /// 1-based position of the first.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// Required columns are absent.
    #[error(
        "{path} lacks the required column(s) {missing}: every case file needs {required}. If the export names them \
         differently, map them with --mapping FILE"
    , required = required_columns())]
    MissingColumns {
        /// The file.
        path: PathBuf,
        /// The missing names.
        missing: String,
    },
    /// The rejects report could not be written.
    #[error("could not write the rejects report {path}: {source}")]
    Report {
        /// The report.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The database failed; the import was rolled back.
    #[error("the import was rolled back and nothing was stored: {0}")]
    Store(#[from] NodeStoreError),
}

fn required_columns() -> String {
    Column::ALL.iter().filter(|c| c.required()).map(|c| c.name()).collect::<Vec<_>>().join(", ")
}
