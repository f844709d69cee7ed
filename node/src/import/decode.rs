//! A case file's text encoding, and a streaming decoder to UTF-8.
//!
//! Which encoding a text file is read in is decided once, from its first bytes:
//!
//! 1. A byte order mark decides: UTF-8 (`EF BB BF`), UTF-16LE (`FF FE`) or UTF-16BE (`FE FF`),
//!    whatever the mapping says (a BOM is never there by chance).
//! 2. Otherwise the mapping's `encoding` decides, if it names one: `utf-8`, `utf-16le`,
//!    `utf-16be` or `windows-1252` (or another WHATWG label of one of these, such as `cp1252` or
//!    `latin1`, which browsers and this node both read as Windows-1252).
//! 3. Otherwise the file is read as UTF-8, unless its first 64 KiB (`SNIFF_BYTES`) are *not*
//!    UTF-8, hold no multi-byte UTF-8 character at all, and are all text in Windows-1252 (no
//!    control character but tab, CR and LF, and none of the five bytes Windows-1252 leaves
//!    undefined). Such a file is read as Windows-1252 and the import summary says so in a note.
//!    A file that mixes UTF-8 and other bytes is read as UTF-8, so no UTF-8 text turns to
//!    mojibake, and each field that is not UTF-8 is rejected as before.
//!
//! UTF-8 passes through untouched (its BOM too, which the header check strips). Other
//! encodings are decoded a buffer at a time, so a file of any size is never held in memory, and
//! its line breaks stay where they were, so line numbers are the file's own. A byte sequence that
//! is malformed in its encoding (a lone UTF-16 surrogate, a last odd byte) becomes a byte that
//! is never UTF-8, so the field holding it is rejected rather than imported altered.

use std::io::{self, Read};

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};

/// How much of a file is looked at to tell its encoding.
pub(super) const SNIFF_BYTES: usize = 64 * 1024;

/// Size of the decoder's input and output buffers.
const BUFFER_BYTES: usize = 64 * 1024;

/// The encodings a case file may be in, as the mapping's `encoding` names them.
pub(super) const NAMES: &str = "utf-8, utf-16le, utf-16be or windows-1252";

/// How a text file is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Choice {
    /// The encoding.
    pub(super) encoding: &'static Encoding,
    /// Chosen by looking at the bytes (rule 3 of the module docs), not by a BOM or the mapping.
    pub(super) guessed: bool,
}

/// The encoding a mapping's `encoding` names, if it is one a case file may be in.
pub(super) fn by_name(name: &str) -> Option<&'static Encoding> {
    let encoding = Encoding::for_label(name.trim().as_bytes())?;
    [UTF_8, UTF_16LE, UTF_16BE, WINDOWS_1252].contains(&encoding).then_some(encoding)
}

/// How to read a file that starts with `sample` (its first `SNIFF_BYTES`, or all of it when
/// `whole`), given the encoding the mapping names, if any.
pub(super) fn choose(sample: &[u8], whole: bool, named: Option<&'static Encoding>) -> Choice {
    if let Some((encoding, _)) = Encoding::for_bom(sample) {
        return Choice { encoding, guessed: false };
    }
    if let Some(encoding) = named {
        return Choice { encoding, guessed: false };
    }
    let guessed = looks_like_windows_1252(sample, whole);
    Choice { encoding: if guessed { WINDOWS_1252 } else { UTF_8 }, guessed }
}

/// Rule 3 of the module docs.
fn looks_like_windows_1252(sample: &[u8], whole: bool) -> bool {
    match std::str::from_utf8(sample) {
        Ok(_) => return false,
        // Valid but for a character cut off where the sample ends.
        Err(e) if e.error_len().is_none() && !whole => return false,
        Err(_) => {}
    }
    let printable = |b: u8| {
        matches!(b, b'\t' | b'\n' | b'\r' | 0x20..=0x7E)
            || (b >= 0x80 && !matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
    };
    sample.iter().all(|b| printable(*b)) && !(0..sample.len()).any(|i| utf8_char_at(&sample[i..]))
}

/// Whether `bytes` starts with a well-formed multi-byte UTF-8 character.
fn utf8_char_at(bytes: &[u8]) -> bool {
    let len = match bytes.first() {
        Some(0xC2..=0xDF) => 2,
        Some(0xE0..=0xEF) => 3,
        Some(0xF0..=0xF4) => 4,
        _ => return false,
    };
    bytes.get(..len).is_some_and(|c| std::str::from_utf8(c).is_ok())
}

/// A reader that decodes what it reads from `encoding` to UTF-8, a buffer at a time.
pub(super) struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Box<[u8]>,
    /// Undecoded bytes: `input[in_start..in_end]`.
    in_start: usize,
    in_end: usize,
    /// The inner reader is exhausted.
    eof: bool,
    /// The decoder has been given its last input and has flushed.
    done: bool,
    output: Box<[u8]>,
    /// Decoded bytes not yet handed out: `output[out_start..out_end]`.
    out_start: usize,
    out_end: usize,
}

impl<R: Read> Decoding<R> {
    /// Decodes `inner` from `encoding`, dropping a byte order mark of that encoding at the start.
    pub(super) fn new(inner: R, encoding: &'static Encoding) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; BUFFER_BYTES].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            eof: false,
            done: false,
            output: vec![0; BUFFER_BYTES].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
        }
    }

    /// The reader beneath.
    pub(super) fn into_inner(self) -> R {
        self.inner
    }

    /// Decodes more into the output buffer (which is empty).
    fn fill(&mut self) -> io::Result<()> {
        if self.in_start == self.in_end && !self.eof {
            let n = self.inner.read(&mut self.input)?;
            (self.in_start, self.in_end, self.eof) = (0, n, n == 0);
        }
        // One byte is kept free for the marker of a malformed sequence.
        let room = self.output.len() - 1;
        let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
            &self.input[self.in_start..self.in_end],
            &mut self.output[..room],
            self.eof,
        );
        self.in_start += read;
        (self.out_start, self.out_end) = (0, written);
        match result {
            DecoderResult::InputEmpty => self.done = self.eof,
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(..) => {
                // 0xFF is never part of UTF-8: the field holding it is rejected as not UTF-8.
                self.output[written] = 0xFF;
                self.out_end += 1;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.out_start == self.out_end {
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], encoding: &'static Encoding, chunk: usize) -> Vec<u8> {
        /// A source that hands out at most `chunk` bytes a read.
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        Decoding::new(Chunks(bytes, chunk), encoding).read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn utf_16_decodes_to_the_same_text_however_the_reads_fall() {
        let text = "case_id,ethnicity\r\nC1,Café £\r\n";
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        for chunk in [1, 2, 3, 7, 1000] {
            assert_eq!(decode(&le, UTF_16LE, chunk), text.as_bytes(), "LE, reads of {chunk}");
            assert_eq!(decode(&be, UTF_16BE, chunk), text.as_bytes(), "BE, reads of {chunk}");
        }
    }

    #[test]
    fn a_malformed_sequence_becomes_a_byte_that_is_not_utf_8() {
        // A lone high surrogate between "a" and "b".
        let bytes = [b'a', 0, 0x00, 0xD8, b'b', 0];
        let out = decode(&bytes, UTF_16LE, 64);
        assert_eq!(out, b"a\xFFb");
    }

    #[test]
    fn a_bom_decides_then_the_mapping_then_the_bytes() {
        let w = |s: &[u8]| choose(s, true, None);
        assert_eq!(w(b"\xFF\xFEc\0"), Choice { encoding: UTF_16LE, guessed: false });
        assert_eq!(w(b"\xFE\xFF\0c"), Choice { encoding: UTF_16BE, guessed: false });
        assert_eq!(w(b"\xEF\xBB\xBFcase"), Choice { encoding: UTF_8, guessed: false });
        assert_eq!(choose(b"\xEF\xBB\xBFx", true, Some(WINDOWS_1252)).encoding, UTF_8);
        assert_eq!(choose(b"Caf\xC3\xA9", true, Some(WINDOWS_1252)).encoding, WINDOWS_1252);
        assert_eq!(w(b"Caf\xE9,\xA35\r\n"), Choice { encoding: WINDOWS_1252, guessed: true });
        assert_eq!(w(b"Caf\xC3\xA9").encoding, UTF_8);
    }

    #[test]
    fn windows_1252_is_guessed_only_for_text_that_is_not_utf_8_at_all() {
        let guess = |s: &[u8], whole| looks_like_windows_1252(s, whole);
        assert!(guess(b"\x93quoted\x94 \x80 5", true));
        assert!(!guess(b"plain ascii", true), "UTF-8");
        assert!(!guess(b"Caf\xC3", false), "a UTF-8 character cut off by the sample's end");
        assert!(guess(b"Caf\xC3", true), "the whole file, ending in a lone byte");
        assert!(!guess(b"Caf\xC3\xA9 and \xA3", true), "mixed: its UTF-8 is left as it is");
        assert!(!guess(b"bin\x00ary \xFF", true), "a control character");
        assert!(!guess(b"undefined \x81 \xE9", true), "a byte Windows-1252 leaves undefined");
    }

    #[test]
    fn encodings_are_named_by_their_labels_and_only_these_four() {
        assert_eq!(by_name(" Windows-1252 "), Some(WINDOWS_1252));
        assert_eq!(by_name("cp1252"), Some(WINDOWS_1252));
        assert_eq!(by_name("latin1"), Some(WINDOWS_1252));
        assert_eq!(by_name("utf8"), Some(UTF_8));
        assert_eq!(by_name("UTF-16LE"), Some(UTF_16LE));
        assert_eq!(by_name("utf-16be"), Some(UTF_16BE));
        assert_eq!(by_name("shift_jis"), None);
        assert_eq!(by_name("ebcdic"), None);
    }
}
