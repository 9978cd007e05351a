"""tqdm progress on stderr: one bar for the whole ladder, one per running arm.

An arm moves through 2 x its rung's bytes (compress reads them, decompress writes
them). Worker threads call `advance`; one lock keeps the bars consistent. Bars hide
themselves when stderr is not a terminal; the one-line summary of each finished arm
is printed either way.
"""
import sys
import threading

from tqdm import tqdm


class Progress:
    """Bars for a ladder of total_bytes; `slots` arms at most run at once.

    enabled: None shows bars only on a terminal (tqdm's rule); True or False forces it.
    """

    def __init__(self, total_bytes, slots, enabled=None):
        self._lock = threading.Lock()
        self._overall = tqdm(total=total_bytes, desc="ladder", unit="B", unit_scale=True, unit_divisor=1024,
                             file=sys.stderr, disable=None if enabled is None else not enabled,
                             position=0, dynamic_ncols=True, leave=False)
        self._free = list(range(1, slots + 1))
        self._bars = {}           # spec.key -> (bar, bytes counted)

    def _bar(self, spec):
        if spec.key not in self._bars:
            position = self._free.pop(0) if self._free else len(self._bars) + 1
            bar = tqdm(total=2 * spec.length, desc=f"{spec.rung} {spec.arm} compress", unit="B", unit_scale=True,
                       unit_divisor=1024, file=sys.stderr, leave=False, position=position,
                       disable=self._overall.disable, dynamic_ncols=True)
            self._bars[spec.key] = [bar, 0, position]
        return self._bars[spec.key]

    def advance(self, spec, count):
        """count more bytes through the arm `spec` (any thread)."""
        with self._lock:
            entry = self._bar(spec)
            if entry[1] < spec.length <= entry[1] + count:
                entry[0].set_description(f"{spec.rung} {spec.arm} decompress", refresh=False)
            entry[0].update(count)
            entry[1] += count
            self._overall.update(count)

    def finish(self, spec, line):
        """The arm is done: close its bar, count what it did not report, print its line."""
        with self._lock:
            bar, counted, position = self._bars.pop(spec.key, (None, 0, None))
            if bar is not None:
                bar.close()
                self._free.append(position)
                self._free.sort()
            self._overall.update(max(0, 2 * spec.length - counted))
            tqdm.write(line, file=sys.stderr)

    def skip(self, byte_count):
        """Remove work that will not run (a stopped ladder) from the total."""
        with self._lock:
            self._overall.total = max(self._overall.n, self._overall.total - byte_count)
            self._overall.refresh()

    def extend(self, byte_count):
        """Add work decided on the way (a further round) to the total."""
        with self._lock:
            self._overall.total += byte_count
            self._overall.refresh()

    def note(self, line):
        with self._lock:
            tqdm.write(line, file=sys.stderr)

    def close(self):
        with self._lock:
            for bar, _, _ in self._bars.values():
                bar.close()
            self._bars.clear()
            self._overall.close()
