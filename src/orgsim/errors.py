"""The one exception tree of orgsim.

Every error orgsim raises on purpose derives from :class:`OrgsimError`, so the CLI
can turn any of them into one readable line and exit 2, and library users can catch
them all at once. Where a builtin fits, the subclass inherits it too (the attrs
convention): a scenario error is also a ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs


def printable(text: str) -> str:
    """``text`` with every non-printable character escaped as ``repr`` escapes it.

    A newline becomes the two characters backslash and ``n``. Messages quote what
    the user gave (a file name, a ``--set``, a key), and a newline or a terminal
    control character in it would break the one line an error is, or garble the
    terminal.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class OrgsimError(Exception):
    """Base class of every error orgsim raises on purpose.

    Its text is one printable line, whatever user input it quotes (see
    :func:`printable`).
    """

    def __str__(self) -> str:
        return printable(super().__str__())


@attrs.frozen
class Problem:
    """One thing wrong with an input, located by its dotted path.

    Attributes:
        path: Dotted path of the offending value (``broker.mediators``), or ``""``
            for the document as a whole.
        message: What is wrong, quoting the bad value.
    """

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(OrgsimError, ValueError):
    """A scenario (or sweep) input is malformed, mistyped or out of range.

    All problems found in one pass are carried together, so a user fixes a file
    once instead of once per error.
    """

    def __init__(self, problems: Iterable[Problem], *, source: str = "") -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        head = f"{printable(source)}: " if source else ""
        if len(self.problems) == 1:
            text = f"{head}{printable(str(self.problems[0]))}"
        else:
            lines = "\n".join(f"  - {printable(str(p))}" for p in self.problems)
            text = f"{head}{len(self.problems)} problems:\n{lines}"
        super().__init__(text)

    def __str__(self) -> str:
        # One line per problem: each piece was made printable above, the line
        # breaks between them are the message's own.
        return Exception.__str__(self)


class EventOrderError(OrgsimError, ValueError):
    """An event arrived out of sequence or with a time earlier than the last one."""


class SchemaVersionError(OrgsimError, ValueError):
    """A stored event has a schema version this orgsim cannot read or upcast."""


class StoreError(OrgsimError):
    """The event or results store cannot be read or written."""


class ExperimentError(OrgsimError, ValueError):
    """An experiment (comparison or sweep) was asked for with invalid settings."""
