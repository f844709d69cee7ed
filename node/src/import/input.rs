//! What the csv reader reads: a case file as UTF-8 CSV text, whether the file is text in one of
//! the encodings `decode` reads, or an Excel workbook (`xlsx`, told by its `.xlsx` name or by
//! the zip signature it starts with). Either way the file's SHA-256 is of its bytes on disk, and
//! line numbers are the file's own (a sheet's row numbers for a workbook).

use std::{
    fs::File,
    io::{self, Chain, Cursor, Read, Seek},
    path::Path,
};

use ring::digest;

use super::{
    HashingReader, LfReader,
    decode::{self, Decoding},
    error::ImportError,
    xlsx,
};

/// The file's first bytes (read to tell its kind and encoding), then the rest, hashed as read.
type Sniffed = Chain<Cursor<Vec<u8>>, HashingReader<File>>;

/// A case file as UTF-8 CSV text.
pub(super) enum Input {
    /// UTF-8 text, passed through as it is.
    Utf8(LfReader<Sniffed>),
    /// Text in another encoding, decoded.
    Decoded(LfReader<Decoding<Sniffed>>),
    /// A workbook's sheet, as CSV, and the hash of the workbook.
    Sheet(xlsx::SheetReader, digest::Digest),
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Utf8(r) => r.read(buf),
            Input::Decoded(r) => r.read(buf),
            Input::Sheet(r, _) => r.read(buf),
        }
    }
}

impl Input {
    /// The SHA-256 of the file's bytes on disk (once it has been read to its end).
    pub(super) fn finish(self) -> digest::Digest {
        match self {
            Input::Utf8(r) => r.inner.into_inner().1.hash.finish(),
            Input::Decoded(r) => r.inner.into_inner().into_inner().1.hash.finish(),
            Input::Sheet(_, hash) => hash,
        }
    }
}

/// Opens the case file `file` (at `path`) as CSV text, with the notes the import summary gives
/// about how it was read: text in the `encoding` named (or UTF-8, UTF-16 or recognised
/// Windows-1252), or the workbook's `sheet` (or its first).
pub(super) fn open(
    path: &Path,
    file: File,
    encoding: Option<&str>,
    sheet: Option<&str>,
) -> Result<(Input, Vec<String>), ImportError> {
    let read_err = |source| ImportError::Read { path: path.to_owned(), source };
    let named = match encoding {
        Some(name) => Some(
            decode::by_name(name)
                .ok_or_else(|| ImportError::UnknownEncoding { name: name.to_owned(), expected: decode::NAMES })?,
        ),
        None => None,
    };
    let mut hashing = HashingReader { inner: file, hash: digest::Context::new(&digest::SHA256) };
    let mut sample = Vec::with_capacity(decode::SNIFF_BYTES);
    (&mut hashing).take(decode::SNIFF_BYTES as u64).read_to_end(&mut sample).map_err(read_err)?;
    let whole = sample.len() < decode::SNIFF_BYTES;

    let by_name = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if by_name || sample.starts_with(b"PK\x03\x04") {
        let mut file = hashing.inner;
        file.rewind().map_err(read_err)?;
        let (sheet, hash) = xlsx::open(path, file, sheet)?;
        return Ok((Input::Sheet(sheet, hash), Vec::new()));
    }

    let choice = decode::choose(&sample, whole, named);
    let source = Cursor::new(sample).chain(hashing);
    if choice.encoding == encoding_rs::UTF_8 {
        return Ok((Input::Utf8(LfReader::new(source)), Vec::new()));
    }
    let notes = if choice.guessed {
        vec![format!(
            "{} is not UTF-8: it was read as Windows-1252, as its first {} KiB are all Windows-1252 text. If that is \
             wrong, name its encoding in the mapping file (encoding = \"…\": {}).",
            path.display(),
            decode::SNIFF_BYTES / 1024,
            decode::NAMES
        )]
    } else {
        Vec::new()
    };
    let decoded = Decoding::new(source, choice.encoding);
    Ok((Input::Decoded(LfReader::new(decoded)), notes))
}
