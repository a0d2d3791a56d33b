"""Loaded by schemathesis before a run (``SCHEMATHESIS_HOOKS``).

Hypothesis parses source files to describe its strategies, and Python 3.11's parser is not safe when two threads
parse at once ("AST constructor recursion depth mismatch", CPython gh-106905). With ``--workers 2`` schemathesis
generates in two threads, so parsing is made one thread at a time here. This changes nothing the fuzz run sends.
"""

import ast
import threading
from typing import Any

_parse = ast.parse
_one_at_a_time = threading.Lock()


def _parse_alone(*args: Any, **kwargs: Any) -> ast.AST:
    with _one_at_a_time:
        return _parse(*args, **kwargs)


ast.parse = _parse_alone
