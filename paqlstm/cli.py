"""The `paqlstm` command: gzip-style `compress`, `decompress` and `test` of .pql files.

Thin on purpose: the archive work is `paqlstm.api`'s; this module only picks file
names, guards against clobbering files, and reports. Every failure ends in one
`paqlstm: error: ...` line on stderr and a non-zero exit status, never a traceback.
"""
import contextlib
import json
import os
import shutil
import signal
import stat
import sys
import time

import click
from tqdm import tqdm

from . import __version__, api
from .click_options import schema_option
from .engine import CHUNK_SIZE
from .errors import PaqlstmError
from .files import naming, replacing, write_whole
from .settings import DEFAULT_LEVEL, FAST, PROFILE_SPEEDS, LEVEL_TABLE_BITS, LSTM_KINDS, LSTM_MODEL, LSTM_OFF, OPTIONS, SCHEMA, level_memory

SUFFIX = ".pql"
PROGRESS_MIN_SIZE = 1 << 20   # smaller inputs finish before a bar would be worth seeing


def _error(message):
    click.echo(f"paqlstm: error: {message}", err=True)


_signal_seen = None  # SIGINT (Ctrl-C), SIGTERM or SIGHUP, once one has arrived
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _on_signal(signum, frame):
    """Remember the signal, then interrupt, so temporary output is removed on the way out.
    Python swallows a KeyboardInterrupt raised inside a finalizer (llvmlite runs some
    while Numba compiles), so the copy loop also checks the flag at every chunk and
    before the output is kept."""
    global _signal_seen
    _signal_seen = signum
    raise KeyboardInterrupt


def _check_interrupt():
    if _signal_seen:
        raise KeyboardInterrupt


def _quiet_swallowed_interrupts(unraisable, report=sys.unraisablehook):
    """The flag carries a Ctrl-C that a finalizer swallowed: no "Exception ignored" noise."""
    if not isinstance(unraisable.exc_value, KeyboardInterrupt):
        report(unraisable)


def _bare_lstm(args):
    """args with a bare --lstm (no kind after it) spelled --lstm=model, as it meant before
    the mixer came: click would take the next word, maybe a file name, for its value."""
    args = list(sys.argv[1:] if args is None else args)
    for i, word in enumerate(args):
        if word == "--":
            break
        if word == "--lstm" and (i + 1 == len(args) or args[i + 1] not in LSTM_KINDS):
            args[i] = f"--lstm={LSTM_MODEL}"
    return args


class _Cli(click.Group):
    """A group whose every outcome is an exit status, with errors as one line on stderr."""

    def main(self, args=None, prog_name=None, **extra):
        args = _bare_lstm(args)
        extra["standalone_mode"] = False  # let errors reach us instead of click's printer
        for signum in _STOP_SIGNALS:
            signal.signal(signum, _on_signal)
        sys.unraisablehook = _quiet_swallowed_interrupts
        try:
            status = super().main(args, prog_name or "paqlstm", **extra)
        except click.Abort:               # click's form of KeyboardInterrupt
            # Temporary files are already gone. An interrupt can leave compiler objects
            # half torn down, whose finalizers would print noise at exit: leave now.
            if _signal_seen in (None, signal.SIGINT):
                _error("interrupted")
                sys.stderr.flush()
                os._exit(130)
            with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
                _error("terminated")
                sys.stderr.flush()
            signal.signal(_signal_seen, signal.SIG_DFL)  # die by the signal, as its sender expects
            os.kill(os.getpid(), _signal_seen)
            os._exit(128 + _signal_seen)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} --help')" if ctx else ""
            _error(exc.format_message() + hint)
            status = exc.exit_code
        except Exception as exc:  # a bug: still one line, never a traceback
            _error(f"internal error: {type(exc).__name__}: {exc}")
            status = 1
        sys.exit(status or 0)


@click.group(cls=_Cli, invoke_without_command=True)
@click.version_option(__version__, prog_name="paqlstm")
@click.pass_context
def cli(ctx):
    """paqlstm: a PAQ-family context-mixing compressor. Archives end in .pql."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def main(argv=None):
    """Entry point of the `paqlstm` console script."""
    cli.main(argv, prog_name="paqlstm")


THREADS_OPTION = click.option(
    "-T", "--threads", type=click.IntRange(min=1), default=None, metavar="N",
    help="Threads to code with (default: 2 where there are; more are not used): the byte LSTM's delayed "
         "training (--lstm-update delayed) takes the second. The output is the same with any N.")


def _file_options(command):
    """The gzip-style options shared by compress and decompress."""
    options = [
        click.argument("files", nargs=-1),
        click.option("-k", "--keep", is_flag=True, help="Keep the input file (default: delete it after success)."),
        click.option("-f", "--force", is_flag=True,
                     help="Overwrite existing output; allow compressed output to a terminal."),
        click.option("-c", "--stdout", "to_stdout", is_flag=True, help="Write to standard output; keep the input."),
        click.option("-o", "--output", metavar="PATH", help="Write to PATH ('-' = standard output); one input only."),
        click.option("-q", "--quiet", is_flag=True, help="No progress bar."),
        click.option("-v", "--verbose", is_flag=True, help="Report sizes, bits per character and speed."),
        THREADS_OPTION,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _levels_epilog():
    rows = [f"  -{level}  {level_memory(level) / 2**20:6.0f} MiB {level_memory(level, FAST) / 2**20:6.0f} MiB"
            + ("  (default)" if level == DEFAULT_LEVEL else "") for level in sorted(LEVEL_TABLE_BITS)]
    # \b keeps click from re-wrapping the table.
    return ("\b\nModel memory per level (decompression needs the same):\n          strong   --fast\n"
            + "\n".join(rows) + "\n\n\b\n" + PROFILE_SPEEDS)


_FILES_HELP = """

FILES default to '-': standard input to standard output. Like gzip, each input
file is deleted after success unless -k or -c is given. Output goes to a
temporary file renamed into place at the end, and existing files are never
overwritten without -f. A device or pipe given with -o is written in place and
the input kept.
"""


def _model_options(command):
    """The model's options, from the settings schema; --level N also as -1 .. -9 (hidden: the
    epilog lists them), --profile fast also as --fast. Their defaults are Settings' (the archive header records them all)."""
    options = [schema_option(option, note="-1 .. -9 also work" if option.name == "level" else None)
               for option in SCHEMA if option.command_line]
    options += [click.option(f"-{level}", "level", flag_value=level, hidden=True) for level in LEVEL_TABLE_BITS]
    options.append(click.option("--no-lstm", "lstm", flag_value=LSTM_OFF, hidden=True))
    options.append(click.option("--fast", "profile", flag_value=FAST, hidden=True))   # as zstd's --fast
    for option in reversed(options):
        command = option(command)
    return command


@cli.command(help="Compress each FILE to FILE.pql." + _FILES_HELP, epilog=_levels_epilog())
@_file_options
@_model_options
@click.option("--stats", "stats_path", type=click.Path(dir_okay=False), metavar="FILE.json",
              help="Write diagnostics (bits/byte per window of the final, classic and LSTM predictions, the "
              "LSTM's spread, weights and steps; the coding's wall and CPU seconds) to FILE.json, replacing it; "
              "one input only.")
def compress(files, stats_path, **options):
    model = {name: options.pop(name) for name in OPTIONS if name in options}
    if stats_path is not None and len(files) > 1:
        raise click.UsageError("--stats takes exactly one input file")
    return _run("compress", files, model=model, stats_path=stats_path, **options)


@cli.command(help="Decompress each FILE.pql to FILE." + _FILES_HELP)
@_file_options
def decompress(files, **options):
    return _run("decompress", files, **options)


@cli.command()
@click.argument("archives", nargs=-1, required=True)
@click.option("-v", "--verbose", is_flag=True, help="Report each archive that is fine.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@THREADS_OPTION
def test(archives, verbose, quiet, threads):
    """Check that ARCHIVES decode correctly, writing nothing."""
    return _run("test", archives, verbose=verbose, quiet=quiet, threads=threads)


from .ladder.command import ladder  # noqa: E402  (paqlstm ladder: the LSTM decision ladder, issue 4)
cli.add_command(ladder)


def _run(mode, files, model=None, stats_path=None, keep=False, force=False, to_stdout=False, output=None,
         quiet=False, verbose=False, threads=None):
    if output is not None and (to_stdout or len(files) > 1):
        raise click.UsageError("-o/--output takes exactly one input file and no -c")
    failed = False
    for name in files or ("-",):
        try:
            _process(mode, name, model, stats_path, keep, force, to_stdout, output, quiet, verbose, threads)
        except BrokenPipeError:
            raise  # reader of our stdout went away: click exits quietly
        except (click.ClickException, PaqlstmError, OSError, MemoryError) as exc:
            _error(f"{_display(name)}: {_describe(exc, name)}")
            failed = True
    return 1 if failed else 0


def _process(mode, name, model, stats_path, keep, force, to_stdout, output, quiet, verbose, threads):
    from_stdin = name == "-"
    if mode == "test":
        target = None
    elif to_stdout or output == "-" or (from_stdin and output is None):
        target = "-"
    else:
        target = output or _default_output(mode, name)

    with contextlib.ExitStack() as stack:
        source = sys.stdin.buffer if from_stdin else stack.enter_context(open(name, "rb"))
        size = _regular_file_size(source)
        if target == "-":
            sink = sys.stdout.buffer
            if mode == "compress" and sink.isatty() and not force:
                raise click.ClickException("compressed data not written to a terminal (use -f to force)")
        elif target is not None and os.path.isdir(target):
            raise click.ClickException(f"{target} is a directory")
        elif target is not None and _is_device_or_pipe(target):  # e.g. -o /dev/null: written in place
            sink = stack.enter_context(open(target, "wb", buffering=0))
        elif target is not None:
            if os.path.lexists(target):
                if not force:
                    raise click.ClickException(f"{target} already exists (use -f to overwrite)")
                if not from_stdin and os.path.samefile(name, target):
                    raise click.ClickException("input and output are the same file")
            # Unbuffered, so a write error (disk full) comes from a write, where `_Meter` names target.
            permissions_from = None if from_stdin or size is None else name
            sink = stack.enter_context(replacing(target, permissions_from, buffering=0))
        else:
            sink = None
        bar = None
        if size is not None and size > PROGRESS_MIN_SIZE and not quiet and sys.stderr.isatty():
            bar = stack.enter_context(tqdm(total=size, unit="B", unit_scale=True, unit_divisor=1024,
                                           desc=_display(name), file=sys.stderr, leave=False))
        # Wall and CPU seconds of the coding itself: with the LSTM training on a second
        # thread they differ, and the ladder reports both (process_time counts every thread).
        started, cpu_started = time.perf_counter(), time.process_time()
        reader, writer = _Meter(source, bar), _Meter(sink, name="<stdout>" if target == "-" else target)
        stats = _transfer(mode, reader, writer, model, size, threads, stats_path is not None)
        _check_interrupt()
        if target == "-":
            writer.flush()
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        if stats_path is not None:
            _write_stats(stats_path, {**stats, "archive_bytes": writer.count, "seconds": seconds,
                                      "cpu_seconds": cpu_seconds})

    if target not in (None, "-") and not keep and size is not None and not from_stdin \
            and not _is_device_or_pipe(target):  # writing to /dev/null must not lose the input
        os.unlink(name)
    if verbose:
        raw, packed = (reader.count, writer.count) if mode == "compress" else (writer.count, reader.count)
        click.echo(_summary(name, target, raw, packed, seconds), err=True)


def _transfer(mode, reader, writer, model, size, threads, want_stats=False):
    """Compress or decompress reader into writer; returns the compressor's stats if wanted."""
    if mode == "compress":
        compressor = api.Compressor(size_hint=size, threads=threads, **model)
        for block in iter(lambda: reader.read(CHUNK_SIZE), b""):
            writer.write(compressor.compress(block))
        writer.write(compressor.flush())
        return compressor.stats() if want_stats else None
    with api.open(reader, "rb", threads=threads) as archive:
        shutil.copyfileobj(archive, writer, CHUNK_SIZE)
    return None


def _write_stats(path, stats):
    write_whole(path, json.dumps(stats, indent=1).encode() + b"\n")


def _default_output(mode, name):
    if mode == "compress":
        if name.endswith(SUFFIX):
            raise click.ClickException(f"already has {SUFFIX} suffix (use -o or -c to compress it anyway)")
        return name + SUFFIX
    if not name.endswith(SUFFIX) or os.path.basename(name) == SUFFIX:
        raise click.ClickException(f"unknown suffix, expected {SUFFIX} (use -o or -c)")
    return name[:-len(SUFFIX)]


class _Meter:
    """Counts the bytes read or written through a binary file, advancing a progress bar.

    Without a file it is a sink that only counts (for `paqlstm test`). Write errors
    name the output (`name`), e.g. "No space left on device: out.pql".
    """

    def __init__(self, file, bar=None, name=None):
        self._file = file
        self._bar = bar
        self._name = name
        self.count = 0

    def read(self, size=-1):
        data = self._file.read(size)
        self._advance(len(data))
        return data

    def write(self, data):
        view = memoryview(data).cast("B")
        written = 0
        with naming(self._name):
            while self._file is not None and written < view.nbytes:
                # A buffered write can stop short without raising (seen when a pipe's reader
                # leaves); writing the rest then raises the error instead of losing data.
                written += self._file.write(view[written:])
        self._advance(view.nbytes)
        return view.nbytes

    def flush(self):
        with naming(self._name):
            self._file.flush()

    def _advance(self, size):
        _check_interrupt()
        self.count += size
        if self._bar is not None:
            self._bar.update(size)


def _is_device_or_pipe(path):
    """Whether path is an existing character or block device, FIFO or socket."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _regular_file_size(file):
    """Size of a regular file; None for pipes, terminals and in-memory streams."""
    try:
        info = os.fstat(file.fileno())
    except (AttributeError, OSError, ValueError):  # no descriptor at all
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _display(name):
    return "<stdin>" if name == "-" else name


def _describe(exc, name):
    """One line for an error met while processing the file `name`."""
    if isinstance(exc, click.ClickException):
        return exc.format_message()
    if isinstance(exc, MemoryError):
        return "out of memory (a lower level needs less)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror if exc.filename in (None, name) else f"{exc.strerror}: {exc.filename}"
    return str(exc)


def _summary(name, target, raw, packed, seconds):
    ratio = f" ({8 * packed / raw:.3f} bpc, {100 * packed / raw:.1f}%)" if raw else ""
    speed = raw / max(seconds, 1e-9) / 1000
    outcome = "OK" if target is None else "-> " + ("<stdout>" if target == "-" else target)
    return f"{_display(name)}: {raw} bytes raw, {packed} packed{ratio}, {speed:.1f} kB/s {outcome}"
