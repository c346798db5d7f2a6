"""The one exception the recording reader raises for bad content."""

from __future__ import annotations

__all__ = ["RecordingError", "quote_value"]

#: Longest value (in characters) quoted verbatim in an error message.
_QUOTE_MAX_CHARS = 40


def quote_value(value: str) -> str:
    """``value`` as a short single-line Python literal, truncated for error messages."""
    if len(value) > _QUOTE_MAX_CHARS:
        return repr(value[: _QUOTE_MAX_CHARS - 3]) + "..."
    return repr(value)


class RecordingError(Exception):
    """A recording file cannot be read: names the file, the line and the problem.

    Attributes:
        path: the file, as given to the reader.
        line: 1-based physical line in the file, or ``None`` when the problem has no line
            (the file cannot be opened, say).
        problem: what is wrong, one line, no trailing period.

    ``str(error)`` is exactly one line: ``"{path}:{line}: {problem}"`` (or
    ``"{path}: {problem}"`` without a line), the format compilers use so editors can jump to it.
    """

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        super().__init__(path, line, problem)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        text = f"{where}: {self.problem}"
        return text.replace("\r", "\\r").replace("\n", "\\n")
