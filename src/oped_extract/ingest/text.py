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


def reject_binary(head: bytes, uri: str) -> None:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise BinaryInput(f"file is {what}, not text: {uri}")
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return
    controls = len(head.translate(None, _NOT_CONTROL))  # counted in C: this runs on every file
    if b"\x00" in head or controls > max(2, len(head) // 20):
        raise BinaryInput(
            f"file looks binary ({controls} control bytes in the first {len(head)}), not text: {uri}"
        )


def decode_bytes(data: bytes, uri: str, declared: str | None = None) -> str:
    """UTF-8 (a BOM tolerated), else the declared charset, else a confident detection; otherwise reject."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise UndecodableText(f"file starts with a {encoding} byte-order mark but is not {encoding}: "
                                      f"{exc.reason} at byte {exc.start}: {uri}") from None
    reject_binary(data[:8192], uri)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(codecs.lookup(declared).name)
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes  # imported here: only non-UTF-8 input needs detection

    best = from_bytes(data).best()
    if best is None:
        raise UndecodableText(
            f"file is not UTF-8 and its encoding could not be detected; save it as UTF-8: {uri}"
        )
    text = str(best)
    # Detectors find *some* code page for any junk; English-language articles decode to mostly Latin letters.
    latin = sum(1 for ch in text if ch.isascii() and (ch.isalpha() or ch.isspace()))
    if latin < 0.6 * len(text):
        raise UndecodableText(f"file is not UTF-8; as {best.encoding} it does not read as English text; "
                              f"save it as UTF-8: {uri}")
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
