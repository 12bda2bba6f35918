"""Mine documented functions from source trees into CodeSearchNet-style JSONL.

A *source* is a directory, a ``.zip`` archive (for example the JDK's ``src.zip``) or a single
source file.  Every function or method that carries a documentation comment (Javadoc for Java,
a docstring for Python) becomes one record with the CodeSearchNet fields::

    repo, path, func_name, language, code, code_tokens, docstring, docstring_tokens,
    url, sha, partition

* ``code`` is the function's source without its doc comment (inline comments stay), dedented.
* ``code_tokens`` are the grammar's leaf tokens (tree-sitter) with comments removed; a whole
  string literal is one token.
* ``docstring`` is the documentation text with Javadoc block tags (``@param`` ...) and HTML
  removed; ``docstring_tokens`` is its *summary* (the first sentence, Javadoc's own rule) split
  into words and punctuation as CodeSearchNet does.

The filters follow CodeSearchNet: the summary has at least 3 tokens; test code, constructors,
functions shorter than three lines, functions with more than ``max_tokens`` code tokens and
functions without a body are skipped; exact duplicates (same code tokens) are dropped, keeping
the first in (source, path, position) order.

Records are split into train/valid/test by a hash of the file's path inside its source, so a
file never spans two splits and the split of a file never depends on the other files mined.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
import textwrap
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator

from .errors import DataError
from .io import write_json_atomic

LANGUAGES = ("java", "python")
EXTENSIONS = {"java": (".java",), "python": (".py",)}
SPLITS = ("train", "valid", "test")
#: Percent of files in train and valid; the rest is test.
SPLIT_PERCENT = (80, 10)
DEFAULT_MAX_TOKENS = 256
MIN_SUMMARY_TOKENS = 3
MIN_LINES = 3

#: Directory names never descended into (third-party code, caches, VCS data).
EXCLUDED_DIRS = frozenset({"site-packages", "dist-packages", "__pycache__", ".git", ".hg", ".svn",
                           "node_modules", ".tox", ".venv", "venv"})
#: Names too generic to identify where code comes from; the repo name walks up past them.
_GENERIC_NAMES = frozenset({"src", "source", "sources", "lib", "lib64", "main", "java", "python",
                            "code", "usr", "share"})

_TEST_COMPONENT = re.compile(r"(^|[_\-.])(test|tests|testing|testsuite)($|[_\-.])", re.IGNORECASE)
_TEST_FILE = re.compile(r"(^test_.*|.*_test\.py|.*Tests?\.java|.*TestCase\.java)$")
_WORD_PUNCT = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_HTML_TAG = re.compile(r"<[^>]{0,300}>")
_INLINE_TAG = re.compile(r"\{@(\w+)\s*([^{}]*)\}")
_BLOCK_TAG = re.compile(r"^\s*@\w+", re.MULTILINE)
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "approx.", "resp.", "incl.", "Ltd.",
                  "Inc.", "No.", "Mr.", "Dr.", "et al.")
_SUMMARY_END = re.compile(r"\.(?=\s|$)")


@dataclass
class MiningStats:
    """What a mining run saw: files scanned, records per split, skips per reason."""

    language: str
    files_scanned: int = 0
    files_skipped: Counter = field(default_factory=Counter)
    functions_seen: int = 0
    skipped: Counter = field(default_factory=Counter)
    per_split: Counter = field(default_factory=Counter)

    @property
    def kept(self) -> int:
        return sum(self.per_split.values())

    def to_dict(self) -> dict:
        return {
            "language": self.language,
            "files_scanned": self.files_scanned,
            "files_skipped": dict(sorted(self.files_skipped.items())),
            "functions_seen": self.functions_seen,
            "kept": self.kept,
            "skipped": dict(sorted(self.skipped.items())),
            "per_split": {s: self.per_split.get(s, 0) for s in SPLITS},
        }


# --------------------------------------------------------------------------- text helpers

def split_words(text: str) -> list[str]:
    """CodeSearchNet-style tokenisation of natural language: words and single punctuation marks."""
    return _WORD_PUNCT.findall(text)


def first_sentence(text: str) -> str:
    """The summary of a documentation text: its first paragraph cut at the first sentence end.

    A sentence ends at a period followed by white space (Javadoc's rule), not counting common
    abbreviations such as ``e.g.``.
    """
    paragraph = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0] if text.strip() else ""
    paragraph = " ".join(paragraph.split())
    for m in _SUMMARY_END.finditer(paragraph):
        head = paragraph[: m.end()]
        if any(head.endswith(a) for a in _ABBREVIATIONS):
            continue
        # "1.5 x" or "java.util. Foo" are unlikely; a single-letter initial ("J. Smith") is skipped
        if re.search(r"(^|\s)\w\.$", head):
            continue
        return head
    return paragraph


def _inline_tag(m: re.Match) -> str:
    tag, body = m.group(1), m.group(2).strip()
    if tag in ("link", "linkplain", "see"):
        parts = body.split(None, 1)
        if len(parts) == 2:          # {@link Foo#bar(int) label} -> label
            return parts[1]
        target = parts[0] if parts else ""
        target = re.sub(r"\(.*\)$", "", target).lstrip("#").replace("#", ".")
        return target
    if tag in ("inheritDoc",):
        return ""
    return body                       # {@code x}, {@literal x}, {@value X} -> the text


def clean_javadoc(comment: str) -> str:
    """The description of a ``/** ... */`` comment: no markers, block tags, inline tags or HTML."""
    body = comment.strip()
    if body.startswith("/**"):
        body = body[3:]
    elif body.startswith("/*"):
        body = body[2:]
    if body.endswith("*/"):
        body = body[:-2]
    lines = []
    for line in body.splitlines():
        line = re.sub(r"^\s*\*( ?)", "", line)
        lines.append(line.rstrip())
    text = "\n".join(lines)
    m = _BLOCK_TAG.search(text)
    if m:
        text = text[: m.start()]
    for _ in range(3):                # nested inline tags are rare; a few passes suffice
        new = _INLINE_TAG.sub(_inline_tag, text)
        if new == text:
            break
        text = new
    text = re.sub(r"<\s*(p|br|/p|li|ul|/ul|ol|/ol|pre|/pre|dl|/dl|dt|dd|table|/table|h\d|/h\d)\b[^>]*>",
                  "\n\n", text, flags=re.IGNORECASE)
    text = _HTML_TAG.sub("", text)
    text = html.unescape(text)
    return textwrap.dedent(text).strip()


def clean_python_docstring(literal: str) -> str:
    """The text of a Python docstring literal (prefix and quotes removed, dedented, tags cut)."""
    s = literal
    m = re.match(r"^([rRuUbBfF]{0,2})('''|\"\"\"|'|\")", s)
    if m:
        quote = m.group(2)
        s = s[m.end():]
        if s.endswith(quote):
            s = s[: -len(quote)]
    lines = s.expandtabs().splitlines()
    if not lines:
        return ""
    first, rest = lines[0].strip(), textwrap.dedent("\n".join(lines[1:]))
    text = (first + "\n" + rest).strip() if rest.strip() else first
    # reST / Google / numpy sections describe parameters, like Javadoc block tags
    cut = re.search(r"^\s*(:param|:type|:return|:rtype|:raises|Args:|Arguments:|Parameters\n|Returns:|"
                    r"Raises:|Yields:|Examples?:|>>>)", text, re.MULTILINE)
    if cut and cut.start() > 0:
        text = text[: cut.start()]
    return text.strip()


# --------------------------------------------------------------------------- sources

def _repo_name(path: Path) -> str:
    """A readable name for a source: its stem, walking up past generic names like ``src``."""
    p = path.resolve()
    name = p.stem if p.is_file() else p.name
    cur = p
    while name.lower() in _GENERIC_NAMES and cur.parent != cur:
        cur = cur.parent
        name = cur.name
    return name or "source"


def _is_excluded_dir(parts: Iterable[str]) -> bool:
    return any(part in EXCLUDED_DIRS for part in parts)


def is_test_path(path: str) -> bool:
    """True for paths that hold test code (a ``test``/``tests`` directory, ``test_x.py``, ``XTest.java``)."""
    pp = PurePosixPath(path)
    if any(_TEST_COMPONENT.search(part) for part in pp.parts[:-1]):
        return True
    return bool(_TEST_FILE.match(pp.name))


def iter_source_files(source: str | os.PathLike, language: str) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """Yield ``(relative posix path, reader)`` for the ``language`` files of one source, sorted by path.

    Raises :class:`DataError` when the source does not exist or cannot be read.
    """
    exts = EXTENSIONS[language]
    src = Path(source)
    if not src.exists():
        raise DataError(f"source not found: {src}")
    if src.is_dir():
        found = []
        try:
            for root, dirs, files in os.walk(src, onerror=None):
                dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_DIRS)
                for f in files:
                    if f.endswith(exts):
                        full = Path(root) / f
                        found.append((full.relative_to(src).as_posix(), full))
        except OSError as e:
            raise DataError(f"cannot read source directory {src}: {e}") from e
        for rel, full in sorted(found):
            yield rel, (lambda full=full: full.read_bytes())
        return
    if not os.access(src, os.R_OK):
        raise DataError(f"source is not readable: {src}")
    if src.suffix.lower() == ".zip":
        try:
            zf = zipfile.ZipFile(src)
        except (zipfile.BadZipFile, OSError) as e:
            raise DataError(f"not a readable zip archive: {src} ({e})") from e
        with zf:
            names = sorted(n for n in zf.namelist()
                           if n.endswith(exts) and not n.endswith("/")
                           and not _is_excluded_dir(PurePosixPath(n).parts[:-1]))
            for n in names:
                yield n, (lambda n=n: zf.read(n))
        return
    if src.suffix in exts:
        yield src.name, (lambda: src.read_bytes())
        return
    raise DataError(f"unsupported source {src}: expected a directory, a .zip archive or a {'/'.join(exts)} file")


def split_of(path: str, seed: int = 0) -> str:
    """The split (train/valid/test) of a file path: a stable hash, 80/10/10 by default."""
    digest = hashlib.sha1(f"{seed}:{path}".encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:8], "big") % 100
    if bucket < SPLIT_PERCENT[0]:
        return "train"
    if bucket < SPLIT_PERCENT[0] + SPLIT_PERCENT[1]:
        return "valid"
    return "test"


# --------------------------------------------------------------------------- parsing

_PARSERS: dict = {}


def _parser(language: str):
    if language not in _PARSERS:
        import tree_sitter as ts

        if language == "java":
            import tree_sitter_java as grammar
        else:
            import tree_sitter_python as grammar
        _PARSERS[language] = ts.Parser(ts.Language(grammar.language()))
    return _PARSERS[language]


_ATOMIC = {"java": {"string_literal", "character_literal", "text_block"},
           "python": {"string", "concatenated_string_never"}}
_COMMENTS = {"line_comment", "block_comment", "comment"}
#: Leaves that are layout, not code (Python's backslash line continuation).
_LAYOUT = {"line_continuation"}


def leaf_tokens(node, language: str, skip: tuple[int, int] | None = None) -> list[str]:
    """The grammar leaves under ``node`` as text, comments dropped, string literals whole.

    ``skip`` is a byte range (start, end) whose tokens are left out (a Python docstring).
    """
    out: list[str] = []
    atomic = _ATOMIC[language]
    stack = [node]
    while stack:
        n = stack.pop()
        if skip is not None and n.start_byte >= skip[0] and n.end_byte <= skip[1]:
            continue
        if n.type in _COMMENTS or n.type in _LAYOUT:
            continue
        if n.child_count == 0 or n.type in atomic:
            text = n.text.decode("utf-8", errors="replace")
            if text.strip() and text.strip() != "\\":
                out.append(text)
            continue
        stack.extend(reversed(n.children))
    return out


@dataclass
class _Candidate:
    name: str
    node: object                    # the function node
    doc: str | None                 # cleaned documentation text, None when undocumented
    doc_span: tuple[int, int] | None  # byte span to cut from the code (Python docstring)
    reason: str | None = None       # a skip reason decided while parsing


def _java_candidates(root) -> Iterator[_Candidate]:
    def walk(node, owner: list[str]):
        for child in node.named_children:
            t = child.type
            if t in ("class_declaration", "interface_declaration", "enum_declaration",
                     "record_declaration", "annotation_type_declaration"):
                name = child.child_by_field_name("name")
                nm = name.text.decode("utf-8", "replace") if name is not None else "?"
                body = child.child_by_field_name("body")
                if body is not None:
                    yield from walk(body, owner + [nm])
            elif t in ("enum_body_declarations",):
                yield from walk(child, owner)
            elif t in ("method_declaration", "constructor_declaration", "compact_constructor_declaration"):
                name = child.child_by_field_name("name")
                nm = name.text.decode("utf-8", "replace") if name is not None else "?"
                prev = child.prev_sibling
                doc = None
                if prev is not None and prev.type == "block_comment" and prev.text.startswith(b"/**"):
                    doc = clean_javadoc(prev.text.decode("utf-8", "replace"))
                reason = None
                if t != "method_declaration":
                    reason = "constructor"
                elif child.child_by_field_name("body") is None:
                    reason = "no_body"
                yield _Candidate(".".join(owner + [nm]), child, doc, None, reason)

    yield from walk(root, [])


def _python_candidates(root) -> Iterator[_Candidate]:
    def walk(node, owner: list[str]):
        for child in node.named_children:
            t = child.type
            target = child
            if t == "decorated_definition":
                target = child.child_by_field_name("definition") or child
                t = target.type
            if t == "class_definition":
                name = target.child_by_field_name("name")
                body = target.child_by_field_name("body")
                if body is not None:
                    yield from walk(body, owner + [name.text.decode("utf-8", "replace") if name else "?"])
            elif t == "function_definition":
                name = target.child_by_field_name("name")
                nm = name.text.decode("utf-8", "replace") if name is not None else "?"
                body = target.child_by_field_name("body")
                doc, span = None, None
                if body is not None and body.named_child_count:
                    first = body.named_children[0]
                    if first.type == "expression_statement" and first.named_child_count == 1 \
                            and first.named_children[0].type == "string":
                        doc = clean_python_docstring(first.named_children[0].text.decode("utf-8", "replace"))
                        span = (first.start_byte, first.end_byte)
                reason = "constructor" if nm == "__init__" and owner else None
                yield _Candidate(".".join(owner + [nm]), target, doc, span, reason)
            elif t in ("if_statement", "try_statement", "else_clause", "elif_clause", "block",
                       "except_clause", "finally_clause"):
                # module-level conditional definitions (``if sys.platform == ...: def f(): ...``)
                yield from walk(child, owner)

    yield from walk(root, [])


def _function_code(source: bytes, node, cut: tuple[int, int] | None) -> str:
    """The function's text (without the byte range ``cut`` and its line), dedented."""
    start, end = node.start_byte, node.end_byte
    col = node.start_point[1]
    if cut is None:
        raw = source[start:end]
    else:
        a, b = cut
        # remove the whole lines the docstring occupies when it stands alone on them
        nl = source.rfind(b"\n", start, a)
        line_start = nl + 1 if nl >= 0 else a
        line_end = source.find(b"\n", b, end)
        before = source[line_start:a]
        after = source[b:line_end if line_end >= 0 else end]
        if not before.strip() and not after.strip():
            a, b = line_start, (line_end + 1 if line_end >= 0 else end)
        raw = source[start:a] + source[b:end]
    text = raw.decode("utf-8", errors="replace")
    return textwrap.dedent(" " * col + text).strip("\n")


def _count_lines(code: str) -> int:
    return sum(1 for line in code.splitlines() if line.strip())


def mine_file(source: bytes, path: str, language: str, *, repo: str = "",
              max_tokens: int = DEFAULT_MAX_TOKENS, stats: MiningStats | None = None) -> list[dict]:
    """All records of one file that pass the filters (duplicates are *not* removed here)."""
    stats = stats if stats is not None else MiningStats(language)
    tree = _parser(language).parse(source)
    cands = _java_candidates(tree.root_node) if language == "java" else _python_candidates(tree.root_node)
    sha = hashlib.sha1(source).hexdigest()
    records = []
    for c in cands:
        stats.functions_seen += 1
        short = c.name.rsplit(".", 1)[-1]
        if c.doc is None:
            stats.skipped["no_docstring"] += 1
            continue
        if c.reason:
            stats.skipped[c.reason] += 1
            continue
        if short.lower().startswith("test"):
            stats.skipped["test"] += 1
            continue
        if c.node.has_error:
            stats.skipped["parse_error"] += 1
            continue
        summary = first_sentence(c.doc)
        summary_tokens = split_words(summary)
        if len(summary_tokens) < MIN_SUMMARY_TOKENS:
            stats.skipped["short_docstring"] += 1
            continue
        code = _function_code(source, c.node, c.doc_span)
        if _count_lines(code) < MIN_LINES:
            stats.skipped["trivial"] += 1
            continue
        tokens = leaf_tokens(c.node, language, c.doc_span)
        if max_tokens and len(tokens) > max_tokens:
            stats.skipped["too_long"] += 1
            continue
        start_line = c.node.start_point[0] + 1
        end_line = c.node.end_point[0] + 1
        records.append({
            "repo": repo,
            "path": path,
            "func_name": c.name,
            "language": language,
            "code": code,
            "code_tokens": tokens,
            "docstring": c.doc,
            "docstring_tokens": summary_tokens,
            "url": f"{repo}/{path}#L{start_line}-L{end_line}",
            "sha": sha,
        })
    return records


# --------------------------------------------------------------------------- corpus

def mine(sources: Iterable[str | os.PathLike], language: str, *, seed: int = 0,
         max_tokens: int = DEFAULT_MAX_TOKENS, limit: int | None = None,
         progress: Callable[[str], None] | None = None) -> tuple[dict[str, list[dict]], MiningStats]:
    """Mine ``sources`` and return ``({split: records}, stats)``.

    Files are visited source by source, in sorted path order; ``limit`` stops after that many
    records were kept.  Duplicates (same code tokens) keep their first occurrence.
    """
    if language not in LANGUAGES:
        raise DataError(f"unknown language {language!r}: expected one of {', '.join(LANGUAGES)}")
    if limit is not None and limit < 1:
        raise DataError("--limit must be at least 1")
    if max_tokens < 1:
        raise DataError("--max-tokens must be at least 1")
    sources = [Path(s) for s in sources]
    if not sources:
        raise DataError("no source given")
    for s in sources:
        if not s.exists():
            raise DataError(f"source not found: {s}")
    stats = MiningStats(language)
    out: dict[str, list[dict]] = {s: [] for s in SPLITS}
    seen: set[str] = set()
    done = False
    for src in sources:
        repo = _repo_name(src)
        for rel, read in iter_source_files(src, language):
            if is_test_path(rel):
                stats.files_skipped["test_path"] += 1
                continue
            try:
                data = read()
            except (OSError, zipfile.BadZipFile, RuntimeError) as e:
                stats.files_skipped["unreadable"] += 1
                if progress:
                    progress(f"cannot read {rel}: {e}")
                continue
            stats.files_scanned += 1
            if progress and stats.files_scanned % 500 == 0:
                progress(f"{stats.files_scanned} files, {stats.kept} functions")
            split = split_of(rel, seed)
            for rec in mine_file(data, rel, language, repo=repo, max_tokens=max_tokens, stats=stats):
                key = " ".join(rec["code_tokens"])
                if key in seen:
                    stats.skipped["duplicate"] += 1
                    continue
                seen.add(key)
                rec["partition"] = split
                out[split].append(rec)
                stats.per_split[split] += 1
                if limit is not None and stats.kept >= limit:
                    done = True
                    break
            if done:
                break
        if done:
            break
    return out, stats


def write_jsonl_atomic(path: str | os.PathLike, records: Iterable[dict]) -> int:
    """Write ``records`` as JSON lines to ``path`` through a temporary file and ``os.replace``."""
    from .io import write_jsonl

    return write_jsonl(path, records)


def prepare_output_dir(out_dir: str | os.PathLike) -> Path:
    """Create ``out_dir`` (refusing when it is an existing file) and return it."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise DataError(f"output {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create output directory {out}: {e}") from e
    if not os.access(out, os.W_OK):
        raise DataError(f"output directory {out} is not writable")
    return out


def build_corpus(sources: Iterable[str | os.PathLike], language: str, out_dir: str | os.PathLike, *,
                 seed: int = 0, max_tokens: int = DEFAULT_MAX_TOKENS, limit: int | None = None,
                 progress: Callable[[str], None] | None = None) -> MiningStats:
    """Mine ``sources`` and write ``out_dir``/{train,valid,test}.jsonl plus ``stats.json``."""
    out = prepare_output_dir(out_dir)
    splits, stats = mine(sources, language, seed=seed, max_tokens=max_tokens, limit=limit, progress=progress)
    if stats.files_scanned == 0:
        raise DataError(f"no {language} files found in the given sources")
    for split in SPLITS:
        write_jsonl_atomic(out / f"{split}.jsonl", splits[split])
    info = stats.to_dict()
    info.update({"sources": [str(s) for s in sources], "seed": seed, "max_tokens": max_tokens,
                 "limit": limit})
    write_json_atomic(out / "stats.json", info, indent=2)
    return stats


def read_jsonl(path: str | os.PathLike, limit: int | None = None) -> list[dict]:
    """Read a CodeSearchNet-style JSONL file; a malformed line raises :class:`DataError`."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    rows = []
    with path.open(encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise DataError(f"{path}:{i}: not valid JSON ({e.msg})") from e
            if limit is not None and len(rows) >= limit:
                break
    return rows
