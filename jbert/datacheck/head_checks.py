"""The data check of a head: its registered ``HeadCheck`` (the built-in ones imported here, so that
registering never imports the registry's users), else the default, which adds nothing."""

from __future__ import annotations

from jbert.datacheck import embedding, reranker  # noqa: F401  (registration)
from jbert.datacheck.hooks import HEAD_CHECKS, HeadCheck


def head_check(head: str) -> HeadCheck:
    return (HEAD_CHECKS.get(head) if head in HEAD_CHECKS else HeadCheck)()
