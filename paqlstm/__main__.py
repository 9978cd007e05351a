"""`python -m paqlstm`: the same as the `paqlstm` command."""
from .cli import main

main()
