"""Where commands write: one set of checks and one lock for every output, file or directory.

* ``check_output_dir(path, keep=())``: a directory output must be new or empty (but for ``keep``, the
  names a rerun of the same command replaces) and its place writable; checked before any work.
* ``parent_folders(path)``: the folders above an output, removed again if the command fails.
* ``check_writable(path)``: the nearest existing folder of ``path`` can be written in, so a read-only
  place fails at once, not after minutes of work.
* ``output_lock(path)``: an exclusive lock beside the output (``.NAME.lock``) for as long as a command
  writes it; a second process refuses at once. On taking it, the hidden temp files and export
  directories left by killed runs for that output are removed: the lock holder is the only live
  writer, so every one of them is stale.
* ``temp_file(path)`` / ``temp_dir(path)``: the hidden siblings an output is built in before it is
  renamed into place. Created like any file or folder (mode from the umask), unlike ``mkstemp`` and
  ``mkdtemp``, whose 0600/0700 the renamed output would keep.

Locks use ``fcntl.flock`` (POSIX): the kernel drops them when the process dies, kill -9 included.
Hand-written rather than ``filelock`` because the lock file must also be removed when the run ends
(else every output gets a stray ``.NAME.lock``), which needs the inode check in ``_acquire``. Where
there is no ``fcntl`` (Windows) no lock is taken and no stale temp is removed (without the lock it
could be a live run's): outputs are still written atomically, but a second process is not refused.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from jbert.errors import ConfigError

try:
    import fcntl
except ImportError:  # Windows: see the module docstring
    fcntl = None  # type: ignore[assignment]

_HELD: dict[str, int] = {}  # lock files this process holds -> depth (a command re-enters its own lock)


def check_output_dir(path: str | Path, keep: Iterable[str] = (), flag: str = "--output") -> Path:
    """``path`` as a Path, if it is new or an empty directory (entries named in ``keep`` aside) in a
    writable place; else a ConfigError that says why."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{flag} {out} is a file; give a new directory")
    held = sorted(p.name for p in out.iterdir() if not _kept(p.name, keep)) if out.is_dir() else []
    if held:
        raise ConfigError(f"{flag} {out} already exists and is not empty (it holds {held[0]}); "
                          "choose a new directory or remove it")
    check_writable(out, f"{flag} {out}")
    return out


def _kept(name: str, keep: Iterable[str]) -> bool:
    """``name`` is in ``keep``, or is the lock or a temp file of one in it (another rank writing it now)."""
    return any(name in (k, f".{k}.lock") or _stale_pattern(k).fullmatch(name) for k in keep)


def check_writable(path: str | Path, what: str | None = None) -> None:
    """The nearest existing folder of ``path`` (itself, when it is one) must be writable; ``what``
    names the output in the message (default: ``path``)."""
    place = Path(path).absolute()
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        raise ConfigError(f"{what or path}: {place} is a file, not a folder")
    # the effective ids, as the kernel uses when the file is written (not the real ones, os.access's default)
    if not os.access(place, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
        raise ConfigError(f"{what or path}: cannot write in {place} (permission denied); choose a writable place")


@contextmanager
def parent_folders(path: str | Path) -> Iterator[None]:
    """Create the missing folders above ``path`` (a lock and a temp sibling need one); if the block
    fails, remove those of them that are still empty, so a failed command leaves no new folders."""
    missing = [p for p in Path(path).absolute().parents if not p.exists()]  # nearest first
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        yield
    except BaseException:
        for folder in missing:
            try:
                folder.rmdir()
            except OSError:  # not empty (something else wrote there meanwhile): keep it and those above
                break
        raise


# --- the lock ---------------------------------------------------------------------------------------


@contextmanager
def output_lock(path: str | Path | None) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``path`` (None or ``-``: stdout, nothing to lock); see the module
    docstring. Re-entrant within a process; the parent folder must exist."""
    if path is None or str(path) == "-" or fcntl is None:
        yield
        return
    target = Path(path)
    lock = target.parent / f".{target.name}.lock"
    key = str(lock.absolute())
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    fd = _acquire(lock, target)
    _HELD[key] = 1
    try:
        remove_stale(target)
        yield
    finally:
        del _HELD[key]
        lock.unlink(missing_ok=True)  # before unlocking: a process waiting on this inode then sees it gone
        os.close(fd)


def _acquire(lock: Path, target: Path) -> int:
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except PermissionError:  # left by another user's killed run
            raise ConfigError(f"{lock}: no permission to open this lock file; if no jbert process is writing "
                              f"{target}, remove it") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.read(fd, 32).decode("ascii", "replace").strip()
            os.close(fd)
            raise ConfigError(f"{target} is being written by another jbert process (pid {owner or '?'}, lock "
                              f"{lock.name}); wait for it to finish or choose another --output") from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            return fd
        os.close(fd)  # the holder removed this file as we locked it: lock the new one


# --- temp siblings ----------------------------------------------------------------------------------

_RANDOM = "[a-z0-9_]{8}"  # ours (hex) and those of tempfile.mkstemp/mkdtemp in earlier versions


_KINDS = ("export", "train")  # temp_dir kinds: jbert export's work directory, tokenizer train's staging


def _stale_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(name)}\.(?:{_RANDOM}\.tmp|(?:{'|'.join(_KINDS)})-{_RANDOM})")


def remove_stale(target: Path) -> list[Path]:
    """Remove the temp files (``.NAME.<rand>.tmp``) and directories (``.NAME.export-<rand>``,
    ``.NAME.train-<rand>``) of ``target``; only safe while holding its lock. Returns what was removed."""
    pattern = _stale_pattern(target.name)
    stale = [p for p in target.parent.iterdir() if pattern.fullmatch(p.name)] if target.parent.is_dir() else []
    for p in stale:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):  # another user's, in a shared folder: theirs to remove
                p.unlink(missing_ok=True)
    return stale


def temp_file(target: Path) -> tuple[int, Path]:
    """A new hidden ``.NAME.<rand>.tmp`` beside ``target``, open for writing (fd, path)."""
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue


def temp_dir(target: Path, kind: str = "export") -> Path:
    """A new hidden ``.NAME.<kind>-<rand>`` directory beside ``target`` (``kind``: one of ``_KINDS``)."""
    while True:
        tmp = target.parent / f".{target.name}.{kind}-{secrets.token_hex(4)}"
        try:
            tmp.mkdir(0o777)
            return tmp
        except FileExistsError:
            continue
