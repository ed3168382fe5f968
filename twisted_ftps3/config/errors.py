# -*- test-case-name: tests.test_config -*-
"""
The one exception a bad setting raises, and the one way a bad value is quoted.

Every parser and every cross-field rule reports through L{ConfigError}, so
that start-up fails with one readable line whatever went wrong.
"""

from __future__ import annotations

__all__ = ["ConfigError", "show"]

# Longest stretch of a bad value quoted back in an error message: enough to
# recognise the value, short enough to keep the message on one readable line.
_SHOWN_VALUE_LENGTH = 40


class ConfigError(Exception):
    """
    One bad setting, reported so that the operator can fix it without reading code.

    C{str(error)} is a single line, C{"VARIABLE: problem"}, suitable as the
    only output of a failed start.  The problem text never quotes the value of
    a password, secret key or session token, because start-up errors end up in
    logs that many more people can read than the secrets store.

    @ivar variable: the environment variable at fault, such as
        C{"FTP_USERS__2__PASSWORD"}.
    @ivar problem: what is wrong with it, in plain English.
    """

    variable: str
    problem: str

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(variable, problem)
        self.variable = variable
        self.problem = problem

    def __str__(self) -> str:
        # Variable names come from the environment's keys, which could in
        # principle hold a line break; the one-line promise holds regardless.
        return " ".join(f"{self.variable}: {self.problem}".splitlines())


def show(value: str) -> str:
    """
    Quote a bad value for an error message.

    C{repr} escapes line breaks, keeping the message on one line, and a long
    value is cut short.  Never call this with a secret.
    """
    if len(value) > _SHOWN_VALUE_LENGTH:
        return f"{value[:_SHOWN_VALUE_LENGTH]!r}..."
    return repr(value)
