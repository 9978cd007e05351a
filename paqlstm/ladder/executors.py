"""Where arms run. One small interface, two implementations:

    executor.run(specs, progress)  -> yields each arm's result dict as it finishes
    executor.stop()                -> Ctrl-C: stop what runs, drop what waits
    executor.close()

LocalExecutor runs up to `jobs` arms at once on this machine. An arm's work happens in
its own child processes (runs.py), so a thread per arm is enough to drive them, and
Ctrl-C can reach every child. DaskExecutor submits the same `runs.run_arm` to a
dask.distributed scheduler; its workers need paqlstm installed and INPUT at the same path.
"""
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

from . import runs

STOP_GRACE_SECONDS = 10


class LocalExecutor:
    def __init__(self, jobs):
        self.jobs = jobs
        self._pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ladder-arm")
        self._futures = set()

    def describe(self):
        return f"local, {self.jobs} arm(s) at once"

    def run(self, specs, progress):
        self._futures = {self._pool.submit(runs.run_arm, spec, _advance(progress, spec)) for spec in specs}
        pending = set(self._futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()

    def stop(self):
        """SIGINT to the running children, which exit at once; SIGKILL any still there after a grace."""
        runs.request_stop()
        for future in self._futures:
            future.cancel()
        _, running = wait(self._futures, timeout=STOP_GRACE_SECONDS)
        if running:
            runs.kill_children()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def close(self):
        self._pool.shutdown(wait=True, cancel_futures=True)


def _advance(progress, spec):
    return None if progress is None else (lambda count: progress.advance(spec, count))


class DaskExecutor:
    def __init__(self, address):
        try:
            from dask.distributed import Client
        except ImportError as exc:
            raise RuntimeError("--scheduler needs dask.distributed: pip install 'paqlstm[dask]'") from exc
        self.address = address
        self._client = Client(address)
        self._futures = []

    def describe(self):
        return f"dask scheduler {self.address}"

    def run(self, specs, progress):
        from dask.distributed import as_completed
        self._futures = [self._client.submit(runs.run_arm, spec, pure=False) for spec in specs]
        for future in as_completed(self._futures):
            yield future.result()

    def stop(self):
        """Cancel what has not started; arms already running on workers finish there."""
        self._client.cancel(self._futures)

    def close(self):
        self._client.close()


def make_executor(jobs, scheduler=None):
    return DaskExecutor(scheduler) if scheduler else LocalExecutor(jobs)
