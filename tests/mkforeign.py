#!/usr/bin/env python3
"""mkforeign.py KIND OUT: writes one honest archive that no Debian tool
writes, byte by byte from the format's published specification, as the
Windows tools that make such archives write it. Deterministic; nothing is
kept in the tree.

  rar5        WinRAR 5: a directory and two stored files, host OS Windows,
              Windows attributes and FILETIME times, a locator record in
              the main header ("RAR 5.0 archive format", rarlab.com)
  rar5-names  the same layout with names in Latin accents, CJK and emoji
              (RAR 5 names are always UTF-8)
  lha-cp932   LHA level-2 headers as UNLHA32 writes them on Japanese
              Windows: code page 932 (extended header 0x46) and Shift-JIS
              names, a directory entry (-lhd-) and stored files (-lh0-)
  lha-utf16   the same with UTF-16LE names (extended headers 0x44 and
              0x45), the ASCII placeholders in 0x01 and 0x02 beside them
  7z-windows  7-Zip on Windows: a directory and two files in one folder
              (Copy coder), Windows attributes (0x10, 0x20) and no Unix
              mode in their high 16 bits, FILETIME times (7zFormat.txt)
  zip-cp437   a zip as Windows' Compressed Folders writes it on a western
              system: names in the OEM code page (CP437), flag bit 11
              clear, made by MS-DOS (APPNOTE.TXT 4.4.4, appendix D)
  zip-sjis    the same on a Japanese system: Shift-JIS (CP932) names

The names and contents are those tests/28-names.t and 27-honest.t expect
(`mkforeign.py names KIND` prints the names, one a line, as UTF-8)."""
import struct
import sys
import time
import zlib

# 2019-05-03 12:00:00 UTC, the time of every entry.
MTIME = 1556884800

CONTENT = {
    "readme": b"written on Windows\r\n",
    "hello": b"hello from WinRAR\r\n",
}


def vint(n):
    """A RAR 5 variable-length integer: 7 bits a byte, low first."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def rar5_block(htype, hflags, body, extra=b"", data=None):
    """One RAR 5 header: CRC32, size, type, flags, [extra size], [data
    size], body, extra area; then the data area."""
    fields = vint(htype)
    if extra:
        hflags |= 0x0001
    if data is not None:
        hflags |= 0x0002
    fields += vint(hflags)
    if extra:
        fields += vint(len(extra))
    if data is not None:
        fields += vint(len(data))
    fields += body + extra
    sized = vint(len(fields)) + fields
    return struct.pack("<I", zlib.crc32(sized)) + sized + (data or b"")


def filetime(t):
    return (t + 11644473600) * 10000000


def rar5_entry(name, data, is_dir):
    """A file header as WinRAR writes it: CRC32 field always present
    (zero for a directory), Windows attributes (0x10 directory, 0x20
    archive), host OS 0 (Windows), a high-precision time record (type 3,
    flag 2: mtime as a Windows FILETIME). Directories have a data area of
    length zero, which libarchive's reader requires."""
    file_flags = 0x0004 | (0x0001 if is_dir else 0)
    attrs = 0x10 if is_dir else 0x20
    raw = name.encode("utf-8")
    body = (vint(file_flags) + vint(len(data)) + vint(attrs) +
            struct.pack("<I", zlib.crc32(data) if not is_dir else 0) +
            vint(0) +          # compression: version 0, method 0 (store), 128 KiB window
            vint(0) +          # host OS: Windows
            vint(len(raw)) + raw)
    htime = vint(3) + vint(0x0002) + struct.pack("<Q", filetime(MTIME))
    extra = vint(len(htime)) + htime
    return rar5_block(2, 0, body, extra, data)


def rar5(entries):
    out = b"Rar!\x1a\x07\x01\x00"
    # Main header: archive flags 0, and the locator record WinRAR writes
    # (type 1, flag 1: a quick-open offset, here 0, padded to 4 bytes).
    locator = vint(1) + vint(1) + b"\x80\x80\x80\x00"
    out += rar5_block(1, 0x0004, vint(0), vint(len(locator)) + locator)
    for name, data in entries:
        is_dir = data is None
        out += rar5_entry(name, b"" if is_dir else data, is_dir)
    out += rar5_block(5, 0x0004, vint(0))    # end of archive, not a volume
    return out


RAR5 = [
    ("docs", None),
    ("docs/readme.txt", CONTENT["readme"]),
    ("hello.txt", CONTENT["hello"]),
]
RAR5_NAMES = [
    ("日本語", None),
    ("日本語/文書.txt", "文書\n".encode()),
    ("café-ñ.txt", "café\n".encode()),
    ("emoji-😀.txt", "😀\n".encode()),
]


def crc16(data, crc=0):
    """LHA's CRC-16 (ARC: polynomial 0x8005 reflected, initial 0)."""
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def lha_ext(etype, data):
    return struct.pack("<H", 3 + len(data)) + bytes([etype]) + data


def lha2(method, data, exts):
    """One level-2 header and its data: fixed part, extended headers,
    the header CRC record (type 0) and the zero size that ends them; the
    CRC-16 of the whole header is taken with its own field zero."""
    fixed_len = 24
    body = b"".join(lha_ext(t, d) for t, d in exts)
    crc_rec = lha_ext(0x00, b"\x00\x00\x00")
    size = fixed_len + len(body) + len(crc_rec) + 2
    pad = b""
    if size & 0xFF == 0:       # LHa pads a header whose size ends in a zero byte
        pad = b"\x00"
        size += 1
    head = (struct.pack("<H", size) + method +
            struct.pack("<IIIBBH", len(data), len(data), MTIME, 0x20, 2, crc16(data)) +
            b"M" + body)
    crc_at = len(head) + 3
    head += crc_rec + b"\x00\x00" + pad
    c = crc16(head)
    head = head[:crc_at] + struct.pack("<H", c) + head[crc_at + 2:]
    return head + data


def lha(entries, names):
    """names: 'cp932' or 'utf16'."""
    out = b""
    for name, data in entries:
        is_dir = data is None
        dirname, _, base = name.rpartition("/") if not is_dir else (name, "", "")
        exts = [(0x46, struct.pack("<I", 932))]
        if names == "cp932":
            if base:
                exts.append((0x01, base.encode("cp932")))
            if dirname:
                exts.append((0x02, dirname.encode("cp932").replace(b"/", b"\xff") + b"\xff"))
        else:
            # UNLHA32 keeps an ASCII stand-in in the code-page records
            # and the true name in the UTF-16 ones, which come after.
            if base:
                exts.append((0x01, b"_" * 6 + b".txt"))
            if dirname:
                exts.append((0x02, b"_" * 6 + b"\xff"))
            if base:
                exts.append((0x44, base.encode("utf-16-le")))
            if dirname:
                exts.append((0x45, dirname.encode("utf-16-le").replace(b"/\x00", b"\xff\xff") + b"\xff\xff"))
        exts.append((0x40, struct.pack("<H", 0x10 if is_dir else 0x20)))
        exts.append((0x41, struct.pack("<QQQ", filetime(MTIME), filetime(MTIME), filetime(MTIME))))
        out += lha2(b"-lhd-" if is_dir else b"-lh0-", b"" if is_dir else data, exts)
    return out + b"\x00"


LHA_CP932 = [
    ("日本語", None),
    ("日本語/文書.txt", "文書\r\n".encode("cp932")),
    ("漢字.txt", "漢字かな".encode("cp932")),
]
LHA_UTF16 = [
    ("日本語", None),
    ("日本語/文書.txt", "文書\r\n".encode("utf-8")),
    ("café-ñ.txt", "café\r\n".encode("utf-8")),
    ("emoji-😀.txt", "😀\r\n".encode("utf-8")),
]

def num7(v):
    """A 7z NUMBER: the first byte's leading ones count the bytes after
    it, which hold the value's low bytes, little-endian; the first byte's
    other bits hold its high part."""
    for n in range(9):
        if n == 8 or v < 1 << (8 * n + 7 - n):
            high = v >> (8 * n) if n < 8 else 0
            return bytes([((0xFF << (8 - n)) & 0xFF) | high]) + v.to_bytes(8, "little")[:n]


def bools(bits):
    """A 7z bit vector, most significant bit first."""
    out = bytearray((len(bits) + 7) // 8)
    for i, b in enumerate(bits):
        if b:
            out[i // 8] |= 0x80 >> (i % 8)
    return bytes(out)


def sevenzip(entries):
    """An uncompressed header (kHeader) and one folder of one Copy coder
    holding every file's data, one substream each, with their CRCs."""
    files = [d for _, d in entries if d is not None]
    packed = b"".join(files)
    streams = (b"\x06" + num7(0) + num7(1) + b"\x09" + num7(len(packed)) + b"\x00" +
               b"\x07" + b"\x0b" + num7(1) + b"\x00" +
               num7(1) + b"\x01\x00" +                 # one coder: id size 1, Copy
               b"\x0c" + num7(len(packed)) + b"\x00" +
               b"\x08" + b"\x0d" + num7(len(files)) +
               b"\x09" + b"".join(num7(len(f)) for f in files[:-1]) +
               b"\x0a" + b"\x01" + b"".join(struct.pack("<I", zlib.crc32(f)) for f in files) +
               b"\x00")

    def prop(ptype, body):
        return bytes([ptype]) + num7(len(body)) + body
    names = b"".join(n.encode("utf-16-le") + b"\x00\x00" for n, _ in entries)
    times = b"".join(struct.pack("<Q", filetime(MTIME)) for _ in entries)
    attrs = b"".join(struct.pack("<I", 0x10 if d is None else 0x20) for _, d in entries)
    info = (num7(len(entries)) +
            prop(0x0E, bools([d is None for _, d in entries])) +
            prop(0x11, b"\x00" + names) +
            prop(0x14, b"\x01\x00" + times) +
            prop(0x15, b"\x01\x00" + attrs) +
            b"\x00")
    header = b"\x01" + b"\x04" + streams + b"\x00" + b"\x05" + info + b"\x00"
    start = struct.pack("<QQI", len(packed), len(header), zlib.crc32(header))
    return (b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start +
            packed + header)


def dos_time(t):
    tm = time.gmtime(t)
    return ((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec // 2),
            ((tm.tm_year - 1980) << 9) | (tm.tm_mon << 5) | tm.tm_mday)


def legacy_zip(entries, codec):
    """Stored entries with names in a legacy code page and flag bit 11
    clear; version made by 20 on host 0 (MS-DOS), DOS attributes."""
    local, central = b"", b""
    t, d = dos_time(MTIME)
    for name, data in entries:
        is_dir = data is None
        data = b"" if is_dir else data
        raw = (name + ("/" if is_dir else "")).encode(codec)
        crc = zlib.crc32(data)
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, t, d,
                             crc, len(data), len(data), len(raw), 0) + raw + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, t, d,
                               crc, len(data), len(data), len(raw), 0, 0, 0, 0,
                               0x10 if is_dir else 0x20, offset) + raw
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                      len(central), len(local), 0)
    return local + central + end


ZIP_CP437 = [
    ("readme.txt", b"plain\r\n"),
    ("café-ñ.txt", "café\r\n".encode("cp437")),
]
ZIP_SJIS = [
    ("日本語", None),
    ("日本語/文書.txt", "文書\r\n".encode("cp932")),
]

KINDS = {
    "rar5": (RAR5, lambda e: rar5(e)),
    "rar5-names": (RAR5_NAMES, lambda e: rar5(e)),
    "lha-cp932": (LHA_CP932, lambda e: lha(e, "cp932")),
    "lha-utf16": (LHA_UTF16, lambda e: lha(e, "utf16")),
    "7z-windows": (RAR5, sevenzip),
    "zip-cp437": (ZIP_CP437, lambda e: legacy_zip(e, "cp437")),
    "zip-sjis": (ZIP_SJIS, lambda e: legacy_zip(e, "cp932")),
}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "names" and sys.argv[2] in KINDS:
        for name, data in KINDS[sys.argv[2]][0]:
            sys.stdout.buffer.write(name.encode() + (b"/" if data is None else b"") + b"\n")
        return 0
    if len(sys.argv) != 3 or sys.argv[1] not in KINDS:
        sys.stderr.write("usage: mkforeign.py {%s} OUT | names KIND\n" % "|".join(KINDS))
        return 2
    entries, write = KINDS[sys.argv[1]]
    with open(sys.argv[2], "wb") as f:
        f.write(write(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
