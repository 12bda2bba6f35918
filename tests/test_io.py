"""Writing files whole: write_text_if_changed."""
from __future__ import annotations

import os

from leancode.io import write_text_if_changed


def test_write_text_if_changed(tmp_path):
    p = tmp_path / "sub" / "a.jsonl"
    assert write_text_if_changed(p, "x\n") and p.read_text() == "x\n"
    os.utime(p, ns=(1, 1))
    assert not write_text_if_changed(p, "x\n") and p.stat().st_mtime_ns == 1     # unchanged: left alone
    assert write_text_if_changed(p, "y\n") and p.read_text() == "y\n"
    assert [f.name for f in p.parent.iterdir()] == ["a.jsonl"]                   # no temporary file left
