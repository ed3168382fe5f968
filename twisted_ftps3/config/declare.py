# -*- test-case-name: tests.test_config -*-
"""
L{Setting}: one scalar environment variable, declared once.

A declaration names the variable, the field of L{Settings} it fills, its
parser, its default and its help.  The loader, the twistd options and
C{--help} are all derived from the declarations in
L{twisted_ftps3.config.declarations}, so a setting added there is read,
checked, documented and overridable from the command line at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError
from .parsers import Parser

__all__ = ["Setting"]


@dataclass(frozen=True)
class Setting:
    """
    One scalar environment variable.

    An empty value counts as unset, because container tooling often cannot
    unset a variable, only blank it.

    @ivar name: the environment variable, such as C{"FTP_COMMAND_PORT"}.
    @ivar target: the field it fills, as C{"section.field"}, such as
        C{"ftp.command_port"}.
    @ivar parse: turns the variable's non-empty text into the field's value.
    @ivar help: one sentence for C{--help}; C{{default}} in it stands for the
        rendered default, so the default is written once, here.
    @ivar default: the value when unset.
    @ivar required: whether unset is an error instead.
    @ivar secret: whether the value must never be echoed (in help, logs or errors).
    @ivar default_from: computes the default from the environment, for
        defaults such as C{$HOME/ssl.crt}; wins over C{default}.
    @ivar render: shows the default in C{help}.
    """

    name: str
    target: str
    parse: Parser
    help: str
    default: Any = None
    required: bool = False
    secret: bool = False
    default_from: Callable[[Mapping[str, str]], Any] | None = None
    render: Callable[[Any], str] = str

    @property
    def help_text(self) -> str:
        """
        The help, with the default filled in.
        """
        return self.help.format(default=self.render(self.default))

    @property
    def option(self) -> str:
        """
        The twistd option that overrides it: C{FTP_COMMAND_PORT} is C{ftp-command-port}.
        """
        return self.name.lower().replace("_", "-")

    def read(self, environ: Mapping[str, str]) -> Any:
        """
        This setting's value in C{environ}.

        @raise ConfigError: if it is required and unset, or its parser refuses it.
        """
        value = environ.get(self.name, "")
        if value == "":
            if self.required:
                raise ConfigError(self.name, "is required")
            if self.default_from is not None:
                return self.default_from(environ)
            return self.default
        return self.parse(self.name, value)
