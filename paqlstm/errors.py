"""The one exception type of the package (like lzma.LZMAError)."""


class PaqlstmError(Exception):
    """Raised for corrupt, truncated or foreign archives and invalid settings."""
