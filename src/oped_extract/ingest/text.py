"""Bytes to text: encodings, binary detection, and the normalisation every body goes through before spaCy."""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata

from oped_extract.errors import BinaryInput, UndecodableText
from oped_extract.ingest.layout import is_footer_line, parse_date

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"), (b"PK\x03\x04", "a ZIP archive (or .docx/.xlsx)"), (b"\x1f\x8b", "gzip data"),
    (b"\xd0\xcf\x11\xe0", "an MS Office document"), (b"RIFF", "a media file"), (b"\x7fELF", "a program"),
)
_NOT_CONTROL = bytes([9, 10, 12, 13, 27, *range(32, 256)])
# Labels that mean Windows-1252 in practice (as browsers read them): Latin-1's letters, plus curly quotes.
_MEANS_CP1252 = frozenset({"latin_1", "iso8859-1", "ascii", "cp1252"})


def wide_encoding(head: bytes) -> str | None:
    """The encoding of text whose code units are wider than a byte: from a byte-order mark, or, without one,
    from where the zero bytes of ASCII letters fall (UTF-16/32, little or big endian). None otherwise."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    head = head[: len(head) // 4 * 4]
    if len(head) < 8 or b"\x00" not in head:
        return None
    def zeros(offset: int, step: int) -> float:
        units = head[offset::step]
        return units.count(0) / len(units)

    if zeros(1, 4) > 0.9 and zeros(2, 4) > 0.9 and zeros(3, 4) > 0.9 and zeros(0, 4) < 0.2:
        return "utf-32-le"
    if zeros(0, 4) > 0.9 and zeros(1, 4) > 0.9 and zeros(2, 4) > 0.9 and zeros(3, 4) < 0.2:
        return "utf-32-be"
    if zeros(1, 2) > 0.5 and zeros(0, 2) < 0.1:
        return "utf-16-le"
    if zeros(0, 2) > 0.5 and zeros(1, 2) < 0.1:
        return "utf-16-be"
    return None


def reject_binary(head: bytes, uri: str) -> None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise BinaryInput(f"file is {what}, not text: {uri}")
    if wide_encoding(head):
        return
    controls = len(head.translate(None, _NOT_CONTROL))  # counted in C: this runs on every file
    if b"\x00" in head or controls > max(2, len(head) // 20):
        raise BinaryInput(
            f"file looks binary ({controls} control bytes in the first {len(head)}), not text: {uri}"
        )


def decode_bytes(data: bytes, uri: str, declared: str | None = None) -> str:
    """Bytes -> text, preferring what English-language text really uses: UTF-8 (a BOM tolerated), UTF-16/32
    (with or without a BOM), the declared charset, Windows-1252 (which reads Latin-1's letters the same),
    and only then a detected code page. Text that reads as none of these is rejected."""
    reject_binary(data[:8192], uri)
    wide = wide_encoding(data[:8192])
    if wide:
        try:
            text = data.decode(wide)
        except UnicodeDecodeError as exc:
            raise UndecodableText(f"file looks like {wide} (byte-order mark or zero bytes) but is not: "
                                  f"{exc.reason} at byte {exc.start}: {uri}") from None
        return _checked_text(text.removeprefix("\ufeff"), wide, uri)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            name = codecs.lookup(declared).name
            text = data.decode("cp1252" if name in _MEANS_CP1252 else name)
            return text
        except (LookupError, UnicodeDecodeError):
            pass
    text = _windows_1252(data)
    if _reads_as_english(text):
        return text
    from charset_normalizer import from_bytes  # imported here: only unusual input needs detection

    best = from_bytes(data).best()
    if best is None:
        raise UndecodableText(
            f"file is not UTF-8 and its encoding could not be detected; save it as UTF-8: {uri}"
        )
    if not _reads_as_english(str(best)):
        raise UndecodableText(f"file is not UTF-8; as {best.encoding} it does not read as English text; "
                              f"save it as UTF-8: {uri}")
    return str(best)


def _windows_1252(data: bytes) -> str:
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # one of the five bytes cp1252 leaves undefined: Latin-1 maps every byte
        return data.decode("latin-1")


def _reads_as_english(text: str) -> bool:
    """Detectors find *some* code page for any junk; English-language articles decode to mostly Latin letters,
    and their other characters are letters or punctuation, not controls."""
    if not text:
        return False
    latin = sum(1 for ch in text if ch.isascii() and (ch.isalpha() or ch.isspace()))
    odd = sum(1 for ch in text if not ch.isascii() and unicodedata.category(ch)[0] in "CZ" and ch != "\u00a0")
    return latin >= 0.6 * len(text) and odd <= len(text) // 200


def _checked_text(text: str, encoding: str, uri: str) -> str:
    controls = sum(1 for ch in text[:8192] if ch < " " and ch not in "\t\n\r\f")
    if controls > max(2, len(text[:8192]) // 20):
        raise BinaryInput(f"file looks binary ({controls} control characters as {encoding}), not text: {uri}")
    return text


# --- normalisation ------------------------------------------------------------------------------------------
# Invisible characters that only split words (zero-width space, word joiner, BOM, soft hyphen) and control
# characters go; paragraph separators become newlines. ZWJ/ZWNJ stay: they shape Urdu and Persian script.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\x00-\x08\x0e-\x1b\x7f]")
_PARAGRAPH_SEPARATOR = re.compile("[\u2028\u2029\x85]")
_LIST_ITEM = re.compile(r"^(?:[-*•·–—]|\d{1,2}[.)])\s")


def normalize_text(text: str) -> str:
    """NFC, unified newlines, whitespace runs collapsed, blank lines dropped: one paragraph per line.

    Characters are never replaced by look-alikes (curly quotes and apostrophes stay), so offsets into the
    result are offsets into what the author wrote. Hard-wrapped text (paragraphs broken at a fixed width,
    separated by blank lines) is re-joined into one line per paragraph."""
    # Plain str methods where they do: this runs on every article of every batch.
    text = _INVISIBLE.sub("", text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in text or "\u2029" in text or "\x85" in text:
        text = _PARAGRAPH_SEPARATOR.sub("\n", text)
    text = unicodedata.normalize("NFC", text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    if "" in lines and _is_hard_wrapped(lines):
        lines = _unwrap(lines)
    return "\n".join(line for line in lines if line)


def _is_hard_wrapped(lines: list[str]) -> bool:
    if max(map(len, lines), default=0) > 100:
        return False
    # Lines followed by another line of the same paragraph.
    wrapped = [a for a, b in itertools.pairwise(lines) if a and b]
    return len(wrapped) >= 3 and sorted(map(len, wrapped))[len(wrapped) // 2] >= 50


def _unwrap(lines: list[str]) -> list[str]:
    out: list[str] = []
    joinable = False
    for line in lines:
        starts_own_line = not line or _LIST_ITEM.match(line) or is_footer_line(line) or parse_date(line)
        if joinable and not starts_own_line:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        joinable = bool(line) and not parse_date(line)
    return out
