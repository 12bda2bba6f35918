"""Shared fixtures for pruner tests: synthetic snippets and tables, no parser needed."""
from __future__ import annotations

import importlib.util
import random
from typing import Optional, Sequence

import pytest
from hypothesis import strategies as st

from leancode.tables import ImportanceTable, TableBuilder
from leancode.tokens import CATEGORIES, CodeSnippet, CodeToken, Statement


def make_snippet(texts: Sequence[str], levels: Optional[Sequence[int]] = None,
                 categories: Optional[Sequence[str]] = None,
                 statements: Optional[Sequence[int]] = None, language: str = "java") -> CodeSnippet:
    """A CodeSnippet built directly from per-token lists (source = texts joined by spaces).

    ``statements`` gives each token's statement index (-1: outside any statement); the
    default puts every token in statement 0.  ``categories`` defaults to "none".
    """
    n = len(texts)
    levels = list(levels) if levels is not None else [7] * n
    categories = list(categories) if categories is not None else ["none"] * n
    statements = list(statements) if statements is not None else [0] * n
    assert len(levels) == len(categories) == len(statements) == n
    tokens = []
    pos = 0
    for i, text in enumerate(texts):
        tokens.append(CodeToken(index=i, text=text, start=pos, end=pos + len(text), kind="other",
                                statement=statements[i], category=categories[i], level=levels[i]))
        pos += len(text) + 1
    stmts = []
    seen: dict = {}
    for i, sid in enumerate(statements):
        if sid < 0:
            continue
        if sid not in seen:
            seen[sid] = Statement(index=sid, category=categories[i], start_token=i, end_token=i + 1)
            stmts.append(seen[sid])
        else:
            seen[sid].end_token = i + 1
    return CodeSnippet(source=" ".join(texts), language=language, tokens=tokens, statements=stmts)


VOCAB = ["a", "b", "c", "x", "y", "(", ")", "{", "}", ";", ".", "=", "if", "return", "new",
         "int", "foo", "bar", "\"s\"", "0", "1"]
#: Texts that the synthetic table never sees (they score +infinity).
UNSEEN = ["zzz", "qq"]


@st.composite
def snippets(draw, max_tokens: int = 40) -> CodeSnippet:
    """Random synthetic snippets: contiguous statements with categories, some stray tokens."""
    n = draw(st.integers(0, max_tokens))
    texts = draw(st.lists(st.sampled_from(VOCAB + UNSEEN), min_size=n, max_size=n))
    levels = draw(st.lists(st.integers(1, 8), min_size=n, max_size=n))
    statements: list = []
    categories: list = []
    sid = -1
    cat = "none"
    for i in range(n):
        if i == 0 or draw(st.integers(0, 4)) == 0:
            if draw(st.integers(0, 6)) == 0:
                sid_here = -1
            else:
                sid += 1
                sid_here = sid
            cat = draw(st.sampled_from(CATEGORIES))
        else:
            sid_here = statements[-1]
        statements.append(sid_here)
        categories.append(cat)
    return make_snippet(texts, levels, categories, statements)


def synthetic_table(method: str = "leancode", seed: int = 0, n_snippets: int = 60) -> ImportanceTable:
    """A table built by the real builder from random snippets and random scores."""
    rng = random.Random(seed)
    builder = TableBuilder(method, "search", "java", model="synthetic", source="cls",
                           corpus="synthetic", split="train")
    for _ in range(n_snippets):
        n = rng.randint(1, 30)
        texts = [rng.choice(VOCAB) for _ in range(n)]
        cats, stmts, sid, cat = [], [], 0, rng.choice(CATEGORIES[:-1])
        for i in range(n):
            if i and rng.random() < 0.25:
                sid += 1
                cat = rng.choice(CATEGORIES[:-1])
            cats.append(cat)
            stmts.append(sid)
        snip = make_snippet(texts, categories=cats, statements=stmts)
        scores = [rng.random() if rng.random() > 0.05 else float("nan") for _ in range(n)]
        builder.add(snip, scores)
    return builder.build()


@pytest.fixture(scope="session")
def table() -> ImportanceTable:
    return synthetic_table()


def languages_ready() -> bool:
    """True when the Java and Python tokenisers are present in this tree."""
    return all(importlib.util.find_spec(f"leancode.languages.{m}") is not None
               for m in ("java", "python"))


needs_languages = pytest.mark.skipif(
    not languages_ready(),
    reason="leancode.languages.java / python are not in this tree yet (the real tokenisers)",
)
