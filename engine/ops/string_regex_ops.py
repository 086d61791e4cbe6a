r"""String ops with regular expressions: `regex_replace` and `regex_full_match`.

Regular expressions use Python's `re` with `re.ASCII` (TensorFlow uses RE2), so `\w`,
`\d`, `\s` and `\b` are ASCII-only, as in RE2. Differences: `(?i)` folds ASCII letters
only (RE2 folds all of Unicode); RE2's Unicode classes (`\pL`) are refused and its POSIX
classes (`[[:alpha:]]`, `[[:punct:]]`, ...) are translated; Python's look-arounds and
back-references work (RE2 refuses them); a global replace also replaces an empty match
right after a match (`x*` in "abxd"). Rewrites take RE2's syntax, not Python's: `\1` to
`\9` insert a group, `\0` the whole match and `\\` a backslash.
"""

from __future__ import annotations

import functools
import re

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import InvalidArgumentError
from engine.ops.string_ops import _STRING, _check_strings, _decode, _encode, _map, _run, _text
from engine.registry import OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["regex_replace", "regex_full_match"]


# --- regular expressions ---------------------------------------------------------------------
_POSIX = {"alnum": "0-9A-Za-z", "alpha": "A-Za-z", "ascii": "\\x00-\\x7f", "blank": "\\t ",
          "cntrl": "\\x00-\\x1f\\x7f", "digit": "0-9", "graph": "!-~", "lower": "a-z",
          "print": " -~", "punct": "!-/:-@\\[-`{-~", "space": "\\t\\n\\v\\f\\r ",
          "upper": "A-Z", "word": "0-9A-Za-z_", "xdigit": "0-9A-Fa-f"}


def _posix_class(match) -> str:
    return _POSIX.get(match.group(1), match.group(0))


@functools.lru_cache(maxsize=256)
def _compile(op: str, pattern: str):
    """The compiled pattern (RE2's POSIX classes translated); errors name the pattern."""
    translated = re.sub(r"(?<!\\)\[:(\w+):\]", _posix_class, pattern)
    try:
        return re.compile(translated, re.ASCII)
    except re.error as exc:
        raise InvalidArgumentError(f"{op}: invalid regular expression {pattern!r}: {exc}. "
                                   "Patterns use Python's re syntax (mostly RE2's; see "
                                   "engine.strings).", op=op) from None


@functools.lru_cache(maxsize=256)
def _template(rewrite: str, groups: int) -> str:
    """RE2's rewrite (`\\1`, `\\0`, `\\\\`) as a Python `re.sub` template."""
    out, i = [], 0
    while i < len(rewrite):
        char, follow = rewrite[i], rewrite[i + 1:i + 2]
        i += 1 if char != "\\" else 2
        if char != "\\":
            out.append(char)
        elif follow == "\\":
            out.append("\\\\")
        elif follow and follow in "0123456789" and int(follow) <= groups:
            out.append(f"\\g<{follow}>")
        else:
            raise InvalidArgumentError(
                f"regex_replace: invalid rewrite {rewrite!r}: a backslash must be followed by "
                f"a group number (\\0 to \\{groups}: the pattern has {groups} group(s)) or by "
                "another backslash.", op="regex_replace")
    return "".join(out)


def _regex_replace_infer(x, pattern="", rewrite="", replace_global=True):
    _check_strings("regex_replace", x)
    _template(rewrite, _compile("regex_replace", pattern).groups)
    return TensorSpec(x.shape, _STRING)


def _regex_replace_kernel(xp, x, pattern="", rewrite="", replace_global=True):
    compiled = _compile("regex_replace", pattern)
    template = _template(rewrite, compiled.groups)
    count = 0 if replace_global else 1

    def replace(s):
        return _encode(compiled.sub(template, _decode(s), count=count))

    return _map(replace, x)


def _regex_full_match_infer(x, pattern=""):
    _check_strings("regex_full_match", x)
    _compile("regex_full_match", pattern)
    return TensorSpec(x.shape, _dt.bool)


def _regex_full_match_kernel(xp, x, pattern=""):
    compiled = _compile("regex_full_match", pattern)

    def matches(s):
        return compiled.fullmatch(_decode(s)) is not None

    return _map(matches, x, bool)


_REGEX_REPLACE = register(OpDef(
    "regex_replace", "StaticRegexReplace", ("input",), _regex_replace_infer,
    _regex_replace_kernel, attrs={"pattern": "", "rewrite": "", "replace_global": True},
    gpu=False, doc="Replaces the matches of a regular expression (RE2-style rewrite)."))
_REGEX_FULL_MATCH = register(OpDef(
    "regex_full_match", "StaticRegexFullMatch", ("input",), _regex_full_match_infer,
    _regex_full_match_kernel, attrs={"pattern": ""}, gpu=False,
    doc="Whether each whole string matches a regular expression."))


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    r"""Replaces the matches of the regular expression `pattern` with `rewrite`.

    Args:
        input: a string tensor (or strings).
        pattern: the regular expression (a string; see the module notes on RE2).
        rewrite: the replacement; `\1`..`\9` insert groups, `\0` the match (RE2 syntax).
        replace_global: replace every match (True) or only the first.

    Returns:
        A string tensor of the input's shape.

    Raises:
        InvalidArgumentError: for an invalid pattern or rewrite (naming it).

    Example:
        >>> engine.strings.regex_replace(["a1b22", "Ärger 7"], r"[0-9]+", "#").numpy()
        array([b'a#b#', b'\xc3\x84rger #'], dtype=object)
        >>> engine.strings.regex_replace("john smith", r"(\w+) (\w+)", r"\2 \1").numpy()
        b'smith john'
    """
    attrs = {"pattern": _text("regex_replace", "pattern", pattern),
             "rewrite": _text("regex_replace", "rewrite", rewrite),
             "replace_global": bool(replace_global)}
    return _run(_REGEX_REPLACE, [convert_to_tensor(input)], attrs)


def regex_full_match(input, pattern, name=None):
    r"""Whether each whole string matches the regular expression `pattern`.

    Args:
        input: a string tensor (or strings).
        pattern: the regular expression (a string; see the module notes on RE2).

    Returns:
        A bool tensor of the input's shape.

    Raises:
        InvalidArgumentError: for an invalid pattern (naming it).

    Example:
        >>> engine.strings.regex_full_match(["abc12", "abc", "12"], r"[a-z]+\d*").numpy()
        array([ True,  True, False])
    """
    attrs = {"pattern": _text("regex_full_match", "pattern", pattern)}
    return _run(_REGEX_FULL_MATCH, [convert_to_tensor(input)], attrs)
