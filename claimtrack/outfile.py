"""The one way claimtrack writes a file a user named: `report -o`, `export -o`, the rejects
file of `import --skip-errors`, `db backup`.

A mistyped path must never cost the user their data, so every target is checked first:

- never the database itself, nor its `-wal`, `-shm` or `-journal` file, whether named by the
  same path, another path, a symbolic link or a hard link (compared by resolved path and by
  device and inode);
- an existing file is replaced only when the user said `--force`;
- a symbolic link is refused (give the file's own path), so a link can never redirect the
  write onto another file;
- a directory, socket or block device is refused; a FIFO or character device (`/dev/stdout`,
  `/dev/null`, a named pipe) is written in place, as the user asked, never replaced by a file.

A regular file is written beside its target under a temporary name (`.NAME.PID.claimtrack-tmp`,
mode 0600 like the database), flushed to disk, then renamed over the target: a reader sees the
old file or the whole new one, never half of one. On any failure, Ctrl-C or SIGTERM the
temporary file is removed; one left by a process killed outright (kill -9, power loss) is
removed by the next write to the same target once its process is gone.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import Conflict, InvalidValue, OutputError

TEMP_SUFFIX = ".claimtrack-tmp"


def database_files(url_or_path: str | Path | None) -> list[Path]:
    """The files of a SQLite database (the file, -wal, -shm, -journal); [] for a server."""
    if url_or_path is None:
        return []
    text = str(url_or_path)
    if "://" in text:
        from .db import sqlite_path

        path = sqlite_path(text)
        if path is None:
            return []
    else:
        path = Path(text)
    return [path] + [path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal")]


def bound_database_files(bind) -> list[Path]:
    """database_files() of the database an Engine, Connection or Session is bound to."""
    bind = bind.get_bind() if hasattr(bind, "get_bind") else bind
    url = bind.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return []
    return database_files(Path(url.database))


class Target:
    """A checked output path. `direct` is true for a FIFO or character device, written in
    place; otherwise the file is written atomically through a temporary file."""

    def __init__(
        self,
        path: str | Path,
        *,
        force: bool = False,
        protect: Iterable[str | Path] = (),
        inputs: Iterable[str | Path] = (),
        option: str = "-o",
        allow_direct: bool = True,
    ):
        self.given = str(path)
        self.option = option
        self.force = force
        path = Path(os.path.expanduser(str(path)))
        if not str(path) or path.name in ("", ".", ".."):
            raise InvalidValue(option, self.given, "a file name")
        parent = path.parent
        if not parent.is_dir():
            raise InvalidValue(option, self.given, "a file in an existing directory")
        # The directory may be reached through links; the name itself is checked with lstat.
        self.path = Path(os.path.realpath(parent)) / path.name
        _refuse_database(self.path, self.given, protect)
        for name in inputs:
            if _same_file(self.path, Path(name)):
                raise Conflict(
                    f"{self.given} is a file being imported: write the rejects to another file"
                )
        self.direct = False
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if _is_stream_alias(path):
            # `-o /dev/stdout`: the user asked for the stream, whatever it is connected to.
            _refuse_database(path, self.given, protect)
            self.path = path
            self.direct = True
            return
        if stat.S_ISLNK(info.st_mode):
            raise Conflict(
                f"{self.given} is a symbolic link: claimtrack never writes through one "
                f"(it could point at another file); give the real path, "
                f"{os.path.realpath(path)}, if that is the file you mean"
            )
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
            if not allow_direct:
                raise InvalidValue(option, self.given, "a regular file (this output cannot stream)")
            self.direct = True
            return
        if stat.S_ISDIR(info.st_mode):
            raise InvalidValue(option, self.given, "a file name, not a directory")
        if not stat.S_ISREG(info.st_mode):
            raise InvalidValue(option, self.given, "a regular file, a FIFO or /dev/stdout")
        if not force:
            raise Conflict(
                f"{self.given} already exists: choose another {_named(option)} FILE, or add "
                "{field:force} to replace it"
            )

    @contextmanager
    def temporary(self) -> Iterator[Path]:
        """A new empty 0600 file beside the target for a writer that needs a path (SQLite's
        backup, pg_dump); moved into place when the block ends without an error."""
        if self.direct:
            raise InvalidValue(self.option, self.given, "a regular file")
        _remove_stale_temporaries(self.path)
        with _removed_on_signal():
            fd, name = _make_temporary(self.path, self.given)
            os.close(fd)
            temp = Path(name)
            try:
                yield temp
                _fsync_path(temp)
                self._move_into_place(temp)
            finally:
                temp.unlink(missing_ok=True)

    @contextmanager
    def open(self, *, binary: bool = False) -> Iterator[IO]:
        """The output as a file object: the target itself when direct, else a temporary
        file renamed over the target when the block ends without an error."""
        mode = "wb" if binary else "w"
        encoding = None if binary else "utf-8"
        newline = None if binary else ""
        if self.direct:
            with (
                _translated(self.given),
                open(self.path, mode, encoding=encoding, newline=newline) as handle,
            ):
                yield handle
            return
        with self.temporary() as temp, _translated(self.given):
            with open(temp, mode, encoding=encoding, newline=newline) as handle:
                yield handle
                handle.flush()

    def _move_into_place(self, temp: Path) -> None:
        with _translated(self.given):
            try:
                current = os.lstat(self.path)
            except FileNotFoundError:
                current = None
            if current is None or not self.force:
                # No clobbering a file that appeared meanwhile (two backups to one name):
                # link() fails if the name exists, where rename() would replace it.
                try:
                    os.link(temp, self.path)
                except FileExistsError:
                    raise Conflict(
                        f"{self.given} appeared while claimtrack was writing it (another "
                        "process?); nothing was replaced: choose another name"
                    ) from None
                except OSError as exc:
                    if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                        raise
                    os.replace(temp, self.path)
            else:
                if stat.S_ISLNK(current.st_mode) or not stat.S_ISREG(current.st_mode):
                    raise Conflict(
                        f"{self.given} was replaced by something other than a file while "
                        "claimtrack was writing it; nothing was written"
                    )
                os.replace(temp, self.path)
            _fsync_directory(self.path.parent)


def write_text(target: Target, text: str) -> None:
    with target.open() as handle:
        handle.write(text)


def _named(option: str) -> str:
    """An option as given (`-o`), or a field the caller names (`skip_errors`) as {field:NAME},
    which the command line shows as the option that gives it (--skip-errors)."""
    return option if option.startswith("-") else "{field:" + option + "}"


def _refuse_database(path: Path, given: str, protect: Iterable[str | Path]) -> None:
    for candidate in map(Path, protect):
        if _same_file(path, candidate):
            end = candidate.name.rsplit("-", 1)[-1]
            which = (
                f"the database's -{end} file"
                if end in ("wal", "shm", "journal")
                else "the database"
            )
            raise Conflict(
                f"{given} is {which}: claimtrack never writes over it; choose another file name"
            )


def _same_file(path: Path, other: Path) -> bool:
    """The same file by resolved path, or by device and inode (a hard link)."""
    if Path(os.path.realpath(other)) == Path(os.path.realpath(path)):
        return True
    try:
        mine, theirs = os.stat(path), os.stat(other)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino)


def _is_stream_alias(path: Path) -> bool:
    """/dev/stdout, /dev/stderr, /dev/fd/N: links the user names to mean a stream."""
    text = os.path.abspath(path)
    return text in ("/dev/stdout", "/dev/stderr") or text.startswith(("/dev/fd/", "/proc/self/fd/"))


def _make_temporary(path: Path, given: str) -> tuple[int, str]:
    with _translated(given):
        return tempfile.mkstemp(
            dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=TEMP_SUFFIX
        )


def _remove_stale_temporaries(path: Path) -> None:
    """Temporary files of this target left by a killed process that is gone."""
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    prefix = f".{path.name}."
    for name in names:
        if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
            continue
        pid_text = name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        try:
            os.unlink(path.parent / name)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def _translated(given: str) -> Iterator[None]:
    """OS errors while writing become one clear message (a full disk, a read-only
    directory), saying the target was left as it was."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        reason = {
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "the disk quota is exceeded",
            errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
        }.get(exc.errno, exc.strerror or type(exc).__name__)
        raise OutputError(
            f"cannot write {given}: {reason}; nothing was written and any existing file "
            "was left as it was"
        ) from None


@contextmanager
def _removed_on_signal() -> Iterator[None]:
    """While the block runs, SIGTERM and SIGHUP raise SystemExit (Ctrl-C already raises
    KeyboardInterrupt), so the `finally` that removes a temporary file runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    previous = {}
    for number in (signal.SIGTERM, signal.SIGHUP):
        try:
            previous[number] = signal.signal(number, stop)
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
