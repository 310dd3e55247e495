"""The one way input files are read: regular files only, inside the scanned tree, bounded in size.

eice-checks runs on pull requests, so every file it reads may be hostile. A FIFO blocks ``open``
forever, a device or ``/proc`` file reports size 0 and never ends, and a symbolic link can point at
``/proc/self/environ`` or another secret. So: the kind of file is checked with ``stat`` before it is
opened and again with ``fstat`` on the opened descriptor (it may have been swapped in between), the
read itself stops after the limit, and a file whose real path leaves the scan roots is not opened.
Nothing here ever puts file content into a reason.
"""
from __future__ import annotations

import codecs
import errno
import os
import stat
from typing import Iterable, Optional

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
HEAD_BYTES = 64 * 1024  # how much of a file that is not read is looked at, to tell whether it is a source
_CHUNK = 1024 * 1024
# Opening must never block (a FIFO swapped in after the check) or make a terminal ours.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
OUTSIDE = "a symbolic link to outside the scanned tree"


class UnreadableFile(Exception):
    """Why a file is not read, in one line without any of its content: ``reason`` ("a FIFO, not a
    regular file"), and ``message`` with what happened ("skipped: ...", or "cannot read: ..." when
    the system refused). ``head`` holds the first bytes when the file was a regular file that was
    opened (too large, or not UTF-8), so a caller can tell whether it looked like a source at all."""

    def __init__(self, reason: str, line: Optional[int] = None, head: Optional[bytes] = None,
                 refused: bool = False) -> None:
        self.message = f"{'cannot read' if refused else 'skipped'}: {reason}"
        super().__init__(self.message)
        self.reason = reason
        self.line = line
        self.head = head


def os_reason(exc: OSError) -> str:
    """An OSError as its plain reason ("Permission denied"), without the path it names."""
    if exc.errno == errno.ELOOP:
        return "a symbolic link loop"
    return exc.strerror or type(exc).__name__


def file_kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def size_text(limit: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if limit >= size and limit % size == 0:
            return f"{limit // size} {unit}"
    return f"{limit} bytes"


class FileReader:
    """Reads files for one scan. ``roots`` are real directory paths: a file is *confined* when its
    real path, links resolved, is inside one of them. Files the user named on the command line
    (--var-file, --parameters, --config) are read unconfined, but still only as regular files."""

    def __init__(self, roots: Iterable[str] = (), max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        self.roots: list[str] = []
        self.max_bytes = max_bytes
        self._real_dirs: dict[str, str] = {}  # per scan: a long-lived cache could go stale
        self._contained: dict[str, bool] = {}  # path -> contains(path): each module call asks again
        self._cwd = os.getcwd()  # (os.path.abspath would ask the system once per path)
        for root in roots:
            self.add_root(root)

    def add_root(self, directory: str) -> None:
        """Allow reading below ``directory`` (its real path)."""
        real = os.path.realpath(directory)
        if real not in self.roots:
            self.roots.append(real)

    def contains(self, path: str) -> bool:
        """Whether ``path`` (links resolved) is inside a root; False when it cannot be resolved.
        Asked once per path and scan (reading a file checks its path again, whatever this said)."""
        known = self._contained.get(path)
        if known is None:
            try:
                known = inside(self.real_path(path), self.roots)
            except (OSError, ValueError):  # ValueError: a NUL in the name
                known = False
            self._contained[path] = known
        return known

    def real_path(self, path: str) -> str:
        """``path`` with every link resolved. Raises OSError for a loop or a missing target,
        ValueError for a name with a NUL (os.path.islink would call it no link)."""
        if "\0" in path:
            raise ValueError("embedded null byte")
        directory, name = os.path.split(os.path.normpath(os.path.join(self._cwd, path)))
        return _resolved(os.path.join(self._real_directory(directory), name))

    def _real_directory(self, directory: str) -> str:
        """``os.path.realpath(directory, strict=True)``, built on its parent's, which is cached: one
        lstat per directory, so a walk stays linear however deep the tree (and no recursion)."""
        wanted, pending = directory, []
        while directory not in self._real_dirs:
            parent, name = os.path.split(directory)
            if parent == directory:  # the file system's root
                self._real_dirs[directory] = directory
                break
            pending.append((directory, parent, name))
            directory = parent
        for directory, parent, name in reversed(pending):
            self._real_dirs[directory] = _resolved(os.path.join(self._real_dirs[parent], name))
        return self._real_dirs[wanted]

    def read_text(self, path: str, confined: bool = True) -> str:
        """The file's text (UTF-8, a BOM allowed). Raises UnreadableFile."""
        return decode(self.read_bytes(path, confined))

    def read_bytes(self, path: str, confined: bool = True) -> bytes:
        real = self._checked_path(path, confined)
        stat_regular(real)  # before opening: opening a FIFO blocks, opening some devices acts
        try:
            fd = os.open(real, _OPEN_FLAGS | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            raise UnreadableFile(os_reason(exc), refused=True) from None
        with os.fdopen(fd, "rb", buffering=0) as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):  # swapped for something else since the check
                raise UnreadableFile(f"{file_kind(info.st_mode)}, not a regular file")
            return self._bounded(handle, info.st_size)

    def _checked_path(self, path: str, confined: bool) -> str:
        try:
            real = self.real_path(path)
        except OSError as exc:
            raise _unresolved(path, exc) from None
        except ValueError:  # a NUL in the name: no file system has such a file
            raise UnreadableFile("not a valid file name") from None
        if confined and not inside(real, self.roots):
            raise UnreadableFile(OUTSIDE if _is_link(path) else "outside the scanned tree")
        return real

    def _bounded(self, handle, size: int) -> bytes:
        """At most ``max_bytes``: the size fstat reports is not trusted (0 for /proc files)."""
        too_large = f"larger than {size_text(self.max_bytes)} (see --max-file-size)"
        if size > self.max_bytes:
            raise UnreadableFile(too_large, head=handle.read(HEAD_BYTES))
        chunks, total = [], 0
        want = size + 1  # all of a file whose size is true, and the end seen; asking for a whole chunk
        while total <= self.max_bytes:  # per small file costs more than reading it
            chunk = handle.read(min(max(want, 4096), self.max_bytes + 1 - total))
            want = _CHUNK
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
        raise UnreadableFile(too_large, head=b"".join(chunks)[:HEAD_BYTES])


def stat_regular(path: str) -> os.stat_result:
    """``os.stat`` of a regular file (links followed); raises UnreadableFile for anything else."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise UnreadableFile(os_reason(exc), refused=True) from None
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableFile(f"{file_kind(info.st_mode)}, not a regular file")
    return info


def decode(data: bytes) -> str:
    """UTF-8 text (a BOM allowed). Other encodings are refused by name rather than misread."""
    wide = wide_encoding(data)
    if wide:
        raise UnreadableFile(f"{wide} text is not read; save it as UTF-8", head=data[:HEAD_BYTES])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(f"not UTF-8 text (byte 0x{data[exc.start]:02X}); save it as UTF-8", line,
                             head=data[:HEAD_BYTES]) from None


def wide_encoding(data: bytes) -> Optional[str]:
    """"UTF-16" or "UTF-32" for text in those encodings (a BOM, or ASCII text with every other byte
    zero, as Windows tools write it), else None."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    sample = data[:512]
    half = len(sample) // 2
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if half >= 4 and max(even, odd) >= 0.8 * half and min(even, odd) <= 0.05 * half:
        return "UTF-16"
    return None


def head_text(head: bytes) -> str:
    """The start of a file as text in whatever encoding it seems to be, to tell whether it looks
    like a source (never shown)."""
    wide = wide_encoding(head)
    if wide == "UTF-16":
        little = head.startswith(codecs.BOM_UTF16_LE) or head[1:2] == b"\0"
        return head[: len(head) // 2 * 2].decode("utf-16-le" if little else "utf-16-be", "replace")
    if wide == "UTF-32":
        return head[: len(head) // 4 * 4].decode("utf-32", "replace")
    return head.decode("latin-1")


def _resolved(path: str) -> str:
    """``path`` (whose directory is real already) with its last part resolved if it is a link.
    Raises OSError when it does not exist, or for a loop."""
    if stat.S_ISLNK(os.lstat(path).st_mode):
        return os.path.realpath(path, strict=True)
    return path


def inside(real: str, roots: Iterable[str]) -> bool:
    """Whether the real path ``real`` is one of ``roots`` or below one."""
    return any(real == root or real.startswith(root if root.endswith(os.sep) else root + os.sep) for root in roots)


def _is_link(path: str) -> bool:
    try:
        return os.path.islink(path)
    except (OSError, ValueError):
        return False


def _unresolved(path: str, exc: OSError) -> UnreadableFile:
    if exc.errno == errno.ELOOP:
        return UnreadableFile("a symbolic link loop")
    if exc.errno == errno.ENOENT and _is_link(path):
        return UnreadableFile("a symbolic link to nothing (its target does not exist)")
    return UnreadableFile(os_reason(exc), refused=True)
