"""Decide the text encoding of a Shapefile's DBF without ever decoding silently into mojibake.

The order (issue 2, hardening.md A14):

1. ``encoding=`` given by the caller — used as is (it must decode the bytes strictly).
2. The ``.cpg`` side-car file (``UTF-8``, ``GBK``, ``936``, ``65001``, ``ANSI 936`` …).
3. The DBF language driver id (LDID, byte 29 of the header): 0x4D and 0x7A mean code page 936
   (GBK), 0x57 means the Windows "ANSI" code page 1252, and so on (:data:`LDID_CODEPAGES`).
4. A strict decode of the raw field names and record bytes as UTF-8.
5. A strict decode as GBK, then as GB18030 (GBK ⊂ GB18030; "GB18030" is reported only when
   characters outside GBK occur).

A declaration (``.cpg`` or LDID) that does not fit the bytes — a ``.cpg`` saying UTF-8 over GBK
bytes, an LDID saying code page 1252 over Chinese text — is a conflict: :func:`detect_dbf_encoding`
raises :class:`~geo.errors.EncodingError` showing a preview of the text under both readings, and the
caller chooses with ``encoding=``. Text that is pure ASCII reads the same under every candidate and
is reported as such.
"""

from __future__ import annotations

import codecs
import struct
from dataclasses import dataclass
from pathlib import Path

from geo.errors import EncodingError, UnsupportedFormatError

#: DBF language driver id → Python codec (dBase / Visual FoxPro / ESRI code-page table)
LDID_CODEPAGES: dict[int, str] = {
    0x01: "cp437",
    0x02: "cp850",
    0x03: "cp1252",
    0x08: "cp865",
    0x09: "cp437",
    0x0A: "cp850",
    0x0B: "cp437",
    0x0D: "cp437",
    0x0E: "cp850",
    0x0F: "cp437",
    0x10: "cp850",
    0x11: "cp437",
    0x12: "cp850",
    0x13: "cp932",
    0x14: "cp850",
    0x15: "cp437",
    0x16: "cp850",
    0x17: "cp865",
    0x18: "cp437",
    0x19: "cp437",
    0x1A: "cp850",
    0x1B: "cp437",
    0x1C: "cp863",
    0x1D: "cp850",
    0x1F: "cp852",
    0x22: "cp852",
    0x23: "cp852",
    0x24: "cp860",
    0x25: "cp850",
    0x26: "cp866",
    0x37: "cp850",
    0x40: "cp852",
    0x4D: "gbk",  # 936 Chinese Simplified (GBK)
    0x4E: "cp949",
    0x4F: "cp950",
    0x50: "cp874",
    0x57: "cp1252",  # ESRI "ANSI"
    0x58: "cp1252",
    0x59: "cp1252",
    0x64: "cp852",
    0x65: "cp866",
    0x66: "cp865",
    0x67: "cp861",
    0x6A: "cp737",
    0x6B: "cp857",
    0x78: "cp950",
    0x79: "cp949",
    0x7A: "gbk",  # 936 Chinese Simplified (Visual FoxPro)
    0x7B: "cp932",
    0x7C: "cp874",
    0x86: "cp737",
    0x87: "cp852",
    0x88: "cp857",
    0xC8: "cp1250",
    0xC9: "cp1251",
    0xCA: "cp1254",
    0xCB: "cp1253",
    0xCC: "cp1257",
}

#: spellings found in ``.cpg`` files → Python codec
_CPG_ALIASES: dict[str, str] = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
    "gbk": "gbk",
    "936": "gbk",
    "cp936": "gbk",
    "ansi 936": "gbk",
    "gb2312": "gbk",  # GB2312 ⊂ GBK, and files labelled GB2312 routinely hold GBK characters
    "euc-cn": "gbk",
    "gb18030": "gb18030",
    "54936": "gb18030",
    "big5": "cp950",
    "950": "cp950",
    "1252": "cp1252",
    "ansi 1252": "cp1252",
    "cp1252": "cp1252",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "88591": "latin-1",
    "8859_1": "latin-1",
    "ascii": "ascii",
    "us-ascii": "ascii",
}

#: the names panhuo reports (and passes to GDAL) for a codec
_REPORT_NAMES = {"utf-8": "UTF-8", "gbk": "GBK", "gb18030": "GB18030", "ascii": "ASCII"}

#: how many bytes of records are decoded for detection (the whole table up to this size)
DETECTION_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class EncodingDecision:
    """The encoding chosen for a DBF and how it was decided.

    ``name`` is the label reported and passed to GDAL (``UTF-8``, ``GBK``, ``GB18030``, ``CP1252``…);
    ``how`` says which evidence decided (in Chinese and English); ``declared`` holds what the
    ``.cpg`` / LDID said, when anything.
    """

    name: str
    how: str
    declared: str | None = None


@dataclass(frozen=True)
class DbfHeader:
    """The parts of a DBF header that detection needs."""

    ldid: int
    n_records: int
    header_len: int
    record_len: int
    field_names_raw: tuple[bytes, ...]
    field_types: tuple[str, ...]


def read_dbf_header(path: Path) -> DbfHeader:
    """Parse a dBase III/IV header: record count, lengths, LDID and the raw field-name bytes."""
    with path.open("rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            raise UnsupportedFormatError(f"{path.name}: DBF 文件过短或已损坏 / the DBF file is truncated")
        n_records, header_len, record_len = struct.unpack("<IHH", head[4:12])
        if header_len < 33 or record_len < 1:
            raise UnsupportedFormatError(f"{path.name}: DBF 文件头无效 / the DBF header is invalid")
        descriptors = fh.read(header_len - 32)
    names: list[bytes] = []
    types: list[str] = []
    for offset in range(0, len(descriptors) - 31, 32):
        block = descriptors[offset : offset + 32]
        if block[0] == 0x0D:
            break
        names.append(block[:11].split(b"\x00", 1)[0])
        types.append(chr(block[11]))
    return DbfHeader(head[29], n_records, header_len, record_len, tuple(names), tuple(types))


def normalise_codec(label: str) -> str | None:
    """Return the Python codec for an encoding label as files and users write it, or ``None``.

    ``936``, ``GB2312`` → ``gbk``; ``Big5`` → ``cp950``; other names as :func:`codecs.lookup` knows them.
    """
    key = " ".join(label.strip().lower().split())
    if key in _CPG_ALIASES:
        return _CPG_ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


def report_name(codec: str) -> str:
    """Return the label reported for a Python codec name (``gbk`` → ``GBK``)."""
    name = codecs.lookup(codec).name
    return _REPORT_NAMES.get(name, name.upper())


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class _Sample:
    """The text of a DBF as detection sees it: the whole blob and its separate names and values."""

    blob: bytes
    names: tuple[bytes, ...]
    records: bytes
    record_len: int
    text_fields: tuple[tuple[int, int], ...]  # (offset in record, width) of character fields


def _decodes_cut(value: bytes, codec: str) -> bool:
    """Strict decode that accepts one character cut short at the end (a full-width DBF field)."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    try:
        decoder.decode(value, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _fits(sample: _Sample, codec: str) -> bool:
    """Tell whether every field name and text value decodes strictly in ``codec``.

    DBF writers cut names at 10 bytes and values at the field width, possibly inside a multi-byte
    character; such a cut tail is accepted, any other invalid byte is not.
    """
    if _decodes(sample.blob, codec):
        return True
    if not all(_decodes_cut(name, codec) for name in sample.names):
        return False
    if _decodes(sample.records, codec):  # only the names were cut: no need to look value by value
        return True
    records = sample.records
    for start in range(0, len(records) - sample.record_len + 1, sample.record_len):
        for offset, width in sample.text_fields:
            value = records[start + offset : start + offset + width].rstrip(b" \x00")
            if not value.isascii() and not _decodes_cut(value, codec):
                return False
    return True


def _gbk_or_gb18030(sample: _Sample) -> str | None:
    if _fits(sample, "gbk"):
        return "gbk"
    if _fits(sample, "gb18030"):
        return "gb18030"
    return None


def _sniff(sample: _Sample) -> str | None:
    """UTF-8 first, then GBK, then GB18030 (strict decodes)."""
    if _fits(sample, "utf-8"):
        return "utf-8"
    return _gbk_or_gb18030(sample)


def preview(data: bytes, codec: str, limit: int = 6) -> str:
    """Show a short sample of the non-ASCII text fields as ``codec`` would show them (bad bytes as �)."""
    text = data.decode(codec, errors="replace")
    chunks = [c.strip() for c in text.replace("\x00", " ").split("  ") if c.strip()]
    samples = [c for c in chunks if any(ord(ch) > 127 for ch in c)] or chunks
    return " | ".join(samples[:limit])[:160]


#: the encodings a user may choose for a Shapefile's text, Chinese first (the upload's ``encoding``)
CHOICES: tuple[str, ...] = ("GBK", "GB18030", "Big5", "UTF-8")


def encoding_candidates(shp_path: Path, choices: tuple[str, ...] = CHOICES) -> list[dict[str, str]]:
    """Each encoding of ``choices`` a Shapefile's DBF decodes in, with a preview of its text.

    Only for a Shapefile whose encoding is a guess (no ``.cpg``, no known DBF language id) and whose
    text is not pure ASCII; an empty list otherwise, or when only one reading fits. A reading that
    gives the same text as one listed before (GB18030 over GBK-only bytes) is left out. The DBF is
    read once; "decodes" is the test an ``encoding=`` read applies (:func:`detect_dbf_encoding`).
    """
    dbf = shp_path.with_suffix(".dbf")
    if shp_path.suffix.lower() != ".shp" or shp_path.with_suffix(".cpg").exists() or not dbf.is_file():
        return []
    header = read_dbf_header(dbf)
    sample = dbf_sample(dbf, header)
    if header.ldid in LDID_CODEPAGES or sample.blob.isascii():
        return []
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    for label in choices:
        codec = normalise_codec(label)
        if codec is None or not _fits(sample, codec):
            continue
        text = sample.blob.decode(codec, errors="replace")
        if text in seen:
            continue
        seen.add(text)
        found.append({"encoding": label, "preview": preview(sample.blob, codec)})
    return found if len(found) > 1 else []


def dbf_sample(path: Path, header: DbfHeader, limit: int = DETECTION_BYTES) -> _Sample:
    """Raw field names and record bytes of a DBF (non-character fields are ASCII digits anyway)."""
    with path.open("rb") as fh:
        fh.seek(header.header_len)
        records = fh.read(min(limit, header.n_records * header.record_len))
    fields: list[tuple[int, int]] = []
    widths = _field_widths(path, header)
    offset = 1  # the deletion flag
    for ftype, width in zip(header.field_types, widths, strict=True):
        if ftype in ("C", "M", "V", "W"):
            fields.append((offset, width))
        offset += width
    # names and records separated by two spaces so previews show one value per chunk
    blob = b"  ".join(header.field_names_raw) + b"  " + records
    return _Sample(blob, header.field_names_raw, records, header.record_len, tuple(fields))


def _field_widths(path: Path, header: DbfHeader) -> list[int]:
    with path.open("rb") as fh:
        fh.seek(32)
        descriptors = fh.read(32 * len(header.field_names_raw))
    return [descriptors[i * 32 + 16] for i in range(len(header.field_names_raw))]


def detect_dbf_encoding(
    dbf_path: Path, cpg_path: Path | None, *, encoding: str | None = None
) -> EncodingDecision:
    """Decide the encoding of ``dbf_path`` (see the module docstring for the order).

    Raises
    ------
    EncodingError
        When the ``.cpg`` or the LDID declares an encoding the bytes do not fit while another
        candidate fits (both previews are in the message), when ``encoding=`` does not decode the
        bytes, or when no candidate decodes them.

    """
    header = read_dbf_header(dbf_path)
    sample = dbf_sample(dbf_path, header)
    data = sample.blob
    name = dbf_path.name
    ascii_only = data.isascii()

    if encoding is not None:
        codec = normalise_codec(encoding)
        if codec is None:
            raise EncodingError(
                f"{name}: 未知编码 unknown encoding {encoding!r}; use e.g. GBK, GB18030 or UTF-8"
            )
        if not _fits(sample, codec):
            raise EncodingError(
                f"{name}: 字节不是有效的 {report_name(codec)} / "
                f"the bytes are not valid {report_name(codec)}; "
                f"预览 preview: {preview(data, codec)}"
            )
        return EncodingDecision(report_name(codec), "encoding= 参数指定 / given by encoding=")

    if cpg_path is not None and cpg_path.exists():
        label = cpg_path.read_bytes()[:64].decode("ascii", errors="replace").strip()
        codec = normalise_codec(label)
        if codec is None:
            raise EncodingError(
                f"{name}: .cpg 写的编码 {label!r} 无法识别 / the .cpg names an unknown encoding {label!r}; "
                f"pass encoding= (e.g. GBK or UTF-8)"
            )
        if _fits(sample, codec):
            return EncodingDecision(report_name(codec), f".cpg 文件声明 / declared by .cpg ({label})", label)
        raise _conflict(name, f".cpg 声明 {label}", codec, sample)

    ldid = header.ldid
    if ldid in LDID_CODEPAGES:
        codec = LDID_CODEPAGES[ldid]
        declared = f"LDID 0x{ldid:02X} ({report_name(codec)})"
        if ascii_only:
            return EncodingDecision(
                report_name(codec), f"DBF 语言标识 / DBF language id {declared}", declared
            )
        fits = _fits(sample, codec)
        cjk = codec in ("gbk", "cp949", "cp950", "cp932")
        if cjk and fits:
            return EncodingDecision(
                report_name(codec), f"DBF 语言标识 / DBF language id {declared}", declared
            )
        if not cjk:
            # a single-byte code page decodes nearly any bytes: trust it only if the bytes are not
            # also valid UTF-8 / GBK text, which is what a mislabelled Chinese table looks like
            alternative = _sniff(sample)
            if fits and alternative is None:
                return EncodingDecision(
                    report_name(codec), f"DBF 语言标识 / DBF language id {declared}", declared
                )
        raise _conflict(name, f"DBF 语言标识 {declared}", codec, sample)

    if ascii_only:
        return EncodingDecision("UTF-8", "纯 ASCII 文本 / ASCII-only text (reads the same in every encoding)")
    found = _sniff(sample)
    if found == "utf-8":
        return EncodingDecision("UTF-8", "无 .cpg 且 LDID 为 0；按 UTF-8 严格解码成功 / strict UTF-8 decode")
    if found is not None:
        return EncodingDecision(
            report_name(found),
            f"无 .cpg 且 LDID 为 0；UTF-8 解码失败，按 {report_name(found)} 严格解码成功 / "
            f"not UTF-8; strict {report_name(found)} decode",
        )
    raise EncodingError(
        f"{name}: 无法确定编码：既不是 UTF-8 也不是 GBK/GB18030 / cannot decide the encoding: the text is "
        f"neither UTF-8 nor GBK/GB18030; pass encoding= (预览 preview as latin-1: {preview(data, 'latin-1')})"
    )


def _conflict(name: str, declared: str, codec: str, sample: _Sample) -> EncodingError:
    data = sample.blob
    alternative = _sniff(sample)
    if alternative is None or alternative == codec:
        return EncodingError(
            f"{name}: {declared}，但字节不符合该编码，也不是 UTF-8/GBK / "
            f"{declared} does not fit the bytes and "
            f"neither does UTF-8 or GBK; 预览 preview ({report_name(codec)}): {preview(data, codec)}; "
            "pass encoding= explicitly"
        )
    return EncodingError(
        f"{name}: 编码冲突 encoding conflict: {declared}，但字节不是有效的 {report_name(codec)}，"
        f"却是有效的 {report_name(alternative)} / the declared {report_name(codec)} does not fit the bytes, "
        f"{report_name(alternative)} does. "
        f"按 {report_name(codec)} 预览: {preview(data, codec)} ‖ "
        f"按 {report_name(alternative)} 预览: {preview(data, alternative)}. "
        f"请确认后传入 encoding={report_name(alternative)!r}（命令行 --encoding {report_name(alternative)}）"
        f" / confirm and pass encoding={report_name(alternative)!r}"
    )
