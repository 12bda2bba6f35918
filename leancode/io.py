"""Reading inputs and writing outputs safely (whole or not at all)."""
from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Iterator, Optional

from .errors import DataError


def read_text(path: Optional[str]) -> str:
    """Read a file, or standard input when ``path`` is None or '-'."""
    if path is None or path == "-":
        if sys.stdin is None:
            raise DataError("no input: give a FILE or pipe code on standard input")
        return sys.stdin.read()
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {path}")
    if p.is_dir():
        raise DataError(f"{path} is a directory, not a file")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise DataError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path} is not UTF-8 text") from None


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success it is renamed over ``path``.

    For writers that want a file name (``safetensors.save_file``, ``json.dump`` via ``open``).
    The file gets ordinary permissions (0666 less the umask), not mkstemp's 0600.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise DataError(f"output directory does not exist: {parent}")
    if path.is_dir():
        raise DataError(f"output {path} is a directory")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_writer(path, mode: str = "w", encoding: Optional[str] = "utf-8"):
    """Open a temporary file beside ``path`` for writing; it replaces ``path`` only on success."""
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=encoding if "b" not in mode else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


def write_json_atomic(path, obj, indent: int = 2, sort_keys: bool = False) -> None:
    """Write ``obj`` as JSON to ``path`` atomically."""
    with atomic_writer(path) as f:
        json.dump(obj, f, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
        f.write("\n")


def write_text_if_changed(path, text: str) -> bool:
    """Write ``text`` to ``path`` atomically unless the file already holds exactly it (so that
    an unchanged file keeps its time stamp); True when written.  Creates the parent folder."""
    path = Path(path)
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path) as f:
        f.write(text)
    return True


def same_file(a, b) -> bool:
    a, b = Path(a), Path(b)
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def iter_jsonl_lines(path) -> Iterator[tuple]:
    """Yield ``(line, record)`` for each non-blank line of a JSONL file; clear errors on bad lines."""
    p = Path(path)
    if not p.exists():
        raise DataError(f"file not found: {path}")
    with open(p, encoding="utf-8") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{i}: not valid JSON ({e.msg})") from None
            if not isinstance(rec, dict):
                raise DataError(f"{path}:{i}: expected a JSON object per line")
            yield line, rec


def iter_jsonl(path) -> Iterator[dict]:
    """Yield the records of a JSONL file with clear errors on bad lines."""
    for _, rec in iter_jsonl_lines(path):
        yield rec


def write_jsonl(path, records: Iterable[dict]) -> int:
    n = 0
    with atomic_writer(path) as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
            n += 1
    return n
