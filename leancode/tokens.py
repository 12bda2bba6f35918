"""The one data model: a code token with its roles, flowing from parsing to display.

Parsing (``leancode.languages``) produces a :class:`CodeSnippet`; importance sources
(``leancode.importance``) attach one score per code token; pruners (``leancode.pruners``)
return a keep-mask over the same tokens.  Every layer indexes tokens the same way.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

#: Lexical kinds of a code token.
KINDS = ("identifier", "keyword", "type", "literal", "operator", "punctuation", "comment", "other")

#: SlimCode role sets a token may belong to (SPEC section 3).
ROLES = ("symbol", "identifier", "structure", "invocation", "signature")

#: DietCode's statement categories, in classification order (SPEC section 4).
CATEGORIES = (
    "try", "catch", "finally", "break", "continue", "return", "throw", "annotation",
    "while", "for", "if", "switch", "expression", "synchronized", "case", "method",
    "variable", "logger", "setter", "getter", "function", "none",
)


@dataclass(slots=True)
class CodeToken:
    """One leaf of the grammar (or a comment) with every role the methods need."""

    index: int                     # position among the snippet's code tokens
    text: str
    start: int                     # character offset in CodeSnippet.source (inclusive)
    end: int                       # character offset (exclusive); source[start:end] == text
    kind: str                      # one of KINDS
    statement: int = -1            # index into CodeSnippet.statements
    category: str = "none"         # category of that statement (one of CATEGORIES)
    level: int = 7                 # SlimCode level 1..8 (8 is removed first)
    roles: frozenset = frozenset() # subset of ROLES

    def to_dict(self) -> dict:
        d = asdict(self)
        d["roles"] = sorted(self.roles)
        return d


@dataclass(slots=True)
class Statement:
    index: int
    category: str
    start_token: int               # first token index
    end_token: int                 # one past the last token index

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CodeSnippet:
    """A tokenised function: the source, its code tokens and statements, and any warnings."""

    source: str
    language: str
    tokens: list = field(default_factory=list)      # list[CodeToken]
    statements: list = field(default_factory=list)  # list[Statement]
    warnings: list = field(default_factory=list)    # list[str], human readable
    parsed: bool = True            # False when the grammar reported errors or the lexical fallback was used

    @property
    def n(self) -> int:
        return len(self.tokens)

    @property
    def texts(self) -> list:
        return [t.text for t in self.tokens]

    @property
    def model_text(self) -> str:
        """Model input text: the tokens joined by single spaces (SPEC section 1)."""
        return " ".join(t.text for t in self.tokens)

    def to_dict(self) -> dict:
        return {
            "language": self.language,
            "n_tokens": self.n,
            "parsed": self.parsed,
            "warnings": list(self.warnings),
            "tokens": [t.to_dict() for t in self.tokens],
            "statements": [s.to_dict() for s in self.statements],
        }
