"""Files that hold personal data (uploads, backups, reports): readable by the app's account only, and written
whole or not at all.

Each is written to a new 0600 file beside its final name, flushed to disk, and renamed when complete, so that
a crash or a full disk never leaves a truncated file that looks like the real one, and no other account can read
it at any moment (the mode is set when the file is created, whatever the umask)."""
import errno
import os
import resource
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
# Errors that mean "no room": a full disk, a full quota, or the file size limit (ulimit -f).
NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def private_folder(path: Path) -> Path:
    """Create folder PATH (and missing parents) for the app's account only; tighten it if it exists (ours)."""
    path = Path(path)
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != FOLDER_MODE:
        path.chmod(FOLDER_MODE)   # made by an older version, or under a umask that cut the mode
    return path


def _new_parent(path: Path) -> None:
    """Create the missing folders above PATH as private ones; leave the existing ones (perhaps not ours) alone."""
    missing = []
    parent = path.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)


def _sync_folder(folder: Path) -> None:
    """Flush a rename in FOLDER to disk (a rename not yet on disk may be lost in a power cut)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def private_file(final: Path) -> Iterator[Path]:
    """Yield a new, empty 0600 file beside FINAL for the caller (or a program) to fill; rename it to FINAL when
    the block ends, or delete it if the block raises."""
    final = Path(final)
    _new_parent(final)
    temporary = final.with_name(f".{final.name}.{secrets.token_hex(4)}.partial")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    try:
        yield temporary
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, final)
    except BaseException:
        temporary.unlink(missing_ok=True)   # a half copy still holds personal data
        raise
    _sync_folder(final.parent)


def write_private(path: Path, data: bytes) -> Path:
    """Write DATA to PATH, readable by the app's account only, whole or not at all."""
    with private_file(path) as temporary, open(temporary, "wb") as out:
        out.write(data)
    return Path(path)


def private_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """Read PATH; if it does not exist, create it 0600 with MAKE()'s bytes, atomically and once: of several
    processes starting together (gunicorn workers), exactly one value lands and every process reads that one."""
    path = Path(path)
    if not path.exists():
        _new_parent(path)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.write(descriptor, make())
            os.fsync(descriptor)
            os.close(descriptor)
            try:
                os.link(temporary, path)   # fails if another process got there first: theirs stays
            except FileExistsError:
                pass
        finally:
            temporary.unlink(missing_ok=True)
    return path.read_bytes()


def file_size_limited() -> bool:
    """Tell whether this process has a file size limit (ulimit -f)."""
    return resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY


def why_no_room(folder: Path) -> str:
    """Say in plain words why a write to FOLDER found no room: a full disk, or the file size limit."""
    try:
        stats = os.statvfs(folder)
        free = stats.f_bavail * stats.f_frsize
    except OSError:
        free = None
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY and (free is None or free > limit):
        return f"the file size limit of this process was reached ({limit:,} bytes: see ulimit -f)"
    if free is not None:
        return f"the disk is full ({free // (1024 * 1024):,} MB free in {folder})"
    return "the disk is full"
