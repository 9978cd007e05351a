"""Writing files whole or not at all, and errors that name the file asked for."""
import contextlib
import os
import secrets
import shutil


@contextlib.contextmanager
def replacing(path, permissions_from=None, buffering=-1):
    """A binary file to write `path` through: a temporary file beside it, renamed onto
    `path` when the block ends and removed on any failure, so `path` is never half written.

    The file gets the permissions of the file `permissions_from`, else a new file's usual
    mode under the umask. Errors name `path`, never the temporary file."""
    path = os.fspath(path)
    with naming(path, rename=True):
        fd, temporary = _create_beside(path)
    try:
        with os.fdopen(fd, "wb", buffering=buffering) as out:
            yield out
        if permissions_from:
            shutil.copystat(permissions_from, temporary)
        with naming(path, rename=True):
            os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_whole(path, data):
    """Write bytes to `path` through `replacing`: all of them or, on any failure, none."""
    with replacing(path) as file:
        file.write(data)


def _create_beside(path):
    """(descriptor, name) of a new hidden file in path's directory. Created with mode 0o666,
    which the umask trims as for any new file: mkstemp's would be private."""
    while True:
        name = os.path.join(os.path.dirname(path) or ".", f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
        with contextlib.suppress(FileExistsError):
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), name


@contextlib.contextmanager
def naming(path, rename=False):
    """Give an OSError that names no file (a failed write, say), or any file if rename, the name `path`."""
    try:
        yield
    except OSError as exc:
        if (exc.filename is not None and not rename) or path is None or exc.errno is None:
            raise
        raise OSError(exc.errno, exc.strerror, path) from None  # same subclass (BrokenPipeError...)
