"""The decision ladder of ../shared/LADDER.md: does the LSTM earn a 1 GB run?

`paqlstm ladder` compresses prefixes of an input (1 KB, 100 KB, 10 MB) with the LSTM
off and with each LSTM arm (the plan's LSTM mixer, the byte model, both), each run in
its own process, and reports a GO/NO-GO verdict by the plan's bands, per arm and for
the best. One concern per module:

- plan.py       rung sizes, arms, sweep grids, the compress options of each arm
- follow.py     the plan's decision tree: the next settings for the band reached
- corpus.py     the default corpus, built from the running Python's docs and stdlib
- runs.py       one arm (compress, decompress, compare) in child processes
- executors.py  where arms run: local threads driving child processes, or Dask
- progress.py   tqdm bars on stderr
- verdict.py    bands, sanity checks, overheads, the 1 GB projection
- report.py     report.json, report.md and the PNG charts
- command.py    the Click command and the run loop
"""
