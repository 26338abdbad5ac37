"""Error types. Every error a user can cause is a JbertError: the CLI prints it on one line and exits 1."""

from __future__ import annotations


class JbertError(Exception):
    """Base class: a message that tells the user what is wrong and how to fix it."""


class ConfigError(JbertError):
    """A bad option, recipe key or task spec."""


class UnknownNameError(ConfigError):
    """A registry lookup with a name that is not registered."""


class DataFormatError(JbertError):
    """Bad input data. Always names the file and, where there is one, the line (1-based).

    ``kind`` says what sort of problem it is, so that ``jbert data check`` can count problems
    by kind without parsing messages."""

    kind = "unparseable"

    def __init__(self, path: object, line: int | None, reason: str, fix: str | None = None):
        self.path, self.line, self.reason, self.fix = str(path), line, reason, fix
        where = f"{self.path}:{line}" if line is not None else self.path
        msg = f"{where}: {reason}"
        if fix:
            msg += f" ({fix})"
        super().__init__(msg)


class MissingColumnError(DataFormatError):
    """A row without a column the task's spec maps a role to."""

    kind = "missing_column"


class IobError(DataFormatError):
    """A tag that is not IOB2, or (with ``data.iob=strict``) an I-X that continues no entity."""

    kind = "iob"


class TokenizerLoadError(JbertError):
    """A tokenizer that cannot be loaded (missing fugashi, dictionary package, unknown class ...)."""


class ExportRefusedError(JbertError):
    """An export whose predictions agree with the original model's less than the user allows."""
