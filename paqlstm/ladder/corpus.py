"""The ladder's default corpus, built on the user's machine from the running Python.

English documentation first (the help topics of `pydoc_data`, the text behind
`help('TOPIC')`), then the standard library's `.py` sources (tests last), each file
whole, in sorted path order, until there are at least 10 MiB. Nothing is downloaded,
and the bytes are the same every time for a given Python build.

The result is cached: in the checkout's `data/` (git-ignored) when paqlstm runs from
a source tree, else in $XDG_CACHE_HOME/paqlstm (~/.cache/paqlstm); PAQLSTM_CACHE_DIR
overrides both. A sidecar JSON holds the SHA-256, checked on every use.
"""
import hashlib
import json
import os
import sys
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path

from ..files import write_whole

TARGET_BYTES = 10 << 20
FORMAT = 1                      # bump when the build recipe changes
TEST_DIRS = {"test", "tests", "idle_test"}
SKIPPED_TOP_DIRS = {"site-packages", "dist-packages"}
TOPICS_SOURCE = "pydoc_data/topics.py"   # its text is already in the documentation part


@dataclass(frozen=True)
class Corpus:
    """A built corpus on disk: where, how big, its SHA-256 and how it was made."""
    path: str
    bytes: int
    sha256: str
    pieces: int
    python: str
    stdlib: str
    cached: bool        # True when it came from the cache rather than built just now

    def to_dict(self):
        return asdict(self)

    def describe(self):
        origin = "cached" if self.cached else "built"
        return (f"default corpus: {self.bytes:,} bytes of Python {self.python.split()[0]}'s documentation and "
                f"standard library ({self.pieces:,} pieces), sha256 {self.sha256}, {origin} at {self.path}")


def stdlib_dir():
    return Path(sysconfig.get_paths()["stdlib"])


def checkout_data_dir():
    """The source tree's data/ when paqlstm runs from a checkout, else None."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir():
        return root / "data"
    return None


def cache_dir():
    """Where the corpus is cached: PAQLSTM_CACHE_DIR, the checkout's data/, or the user cache."""
    if os.environ.get("PAQLSTM_CACHE_DIR"):
        return Path(os.environ["PAQLSTM_CACHE_DIR"])
    data = checkout_data_dir()
    if data is not None:
        return data
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "paqlstm"


def documentation_pieces():
    """(name, text) of each pydoc help topic, sorted by topic; none if pydoc_data is absent."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        return []
    return [(f"help topic {name}", topics[name].encode("utf-8")) for name in sorted(topics)]


def source_paths(root):
    """The stdlib's .py files as sorted relative POSIX paths: (library, tests)."""
    library, tests = [], []
    for folder, subfolders, files in os.walk(root):
        relative = Path(folder).relative_to(root)
        if relative.parts and relative.parts[0] in SKIPPED_TOP_DIRS:
            subfolders[:] = []
            continue
        subfolders[:] = [name for name in subfolders if name != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                path = (relative / name).as_posix()
                if path != TOPICS_SOURCE:
                    (tests if TEST_DIRS & set(relative.parts) else library).append(path)
    return sorted(library), sorted(tests)


def corpus_pieces(root):
    """(name, bytes) in corpus order, read lazily: documentation, library, then tests."""
    yield from documentation_pieces()
    library, tests = source_paths(root)
    for path in library + tests:
        try:
            yield f"Lib/{path}", (root / path).read_bytes()
        except OSError:       # unreadable file: the same on every run of this build
            continue


def build_corpus(target=TARGET_BYTES, root=None):
    """(corpus bytes, number of pieces): whole pieces, each after a title line, until >= target."""
    parts, size, count = [], 0, 0
    for name, body in corpus_pieces(Path(root) if root else stdlib_dir()):
        part = f"\n# ==== {name} ====\n".encode() + body
        parts.append(part)
        size += len(part)
        count += 1
        if size >= target:
            break
    return b"".join(parts), count


def cache_name(target, root):
    """File stem unique to this Python build, stdlib location, target size and recipe."""
    key = hashlib.sha256(f"{FORMAT}|{sys.version}|{root}|{target}".encode()).hexdigest()[:12]
    impl = sys.implementation.name
    return f"corpus-{impl}{sys.version_info.major}{sys.version_info.minor}-{key}"


def sha256_file(path, limit=None):
    """Hex SHA-256 of a file, or of its first `limit` bytes."""
    digest = hashlib.sha256()
    left = float("inf") if limit is None else limit
    with open(path, "rb") as f:
        while left > 0:
            block = f.read(int(min(1 << 20, left)))
            if not block:
                break
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def _cached(data_path, meta_path):
    """The cached corpus if its file matches its sidecar's size and SHA-256, else None."""
    try:
        meta = json.loads(meta_path.read_text())
        if data_path.stat().st_size == meta["bytes"] and sha256_file(data_path) == meta["sha256"]:
            return Corpus(**{**meta, "path": str(data_path), "cached": True})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def default_corpus(directory=None, target=TARGET_BYTES, root=None):
    """The default corpus as a file, built and cached on first use; returns a Corpus."""
    root = Path(root) if root else stdlib_dir()
    directory = Path(directory) if directory else cache_dir()
    stem = cache_name(target, root)
    data_path, meta_path = directory / f"{stem}.bin", directory / f"{stem}.json"
    found = _cached(data_path, meta_path)
    if found is not None:
        return found
    data, pieces = build_corpus(target, root)
    corpus = Corpus(str(data_path), len(data), hashlib.sha256(data).hexdigest(), pieces,
                    sys.version, str(root), cached=False)
    directory.mkdir(parents=True, exist_ok=True)
    meta = {k: v for k, v in corpus.to_dict().items() if k not in ("path", "cached")}
    write_whole(data_path, data)
    write_whole(meta_path, json.dumps(meta, indent=2).encode())
    return corpus
