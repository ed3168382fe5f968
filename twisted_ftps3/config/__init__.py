# -*- test-case-name: tests.test_config -*-
"""
Every setting of the server, read and checked in one place before anything starts.

The server is configured entirely through environment variables (so that it
runs unchanged in a container), optionally overridden by C{twistd ftps3}
options.  Everything is validated up front: a typo in a port or a bucket name
should stop the process at start-up with one line naming the variable, not
surface as a confusing failure on the first client connection.

The package's modules, one concern each:
 - L{declarations}: the table of every setting and indexed family, declared once;
 - L{declare} and L{families}: what a declaration is, and how one is read;
 - L{parsers}: a variable's text to its value;
 - L{userfields}: the checks of a user's fields, shared with the users file;
 - L{rules}: the checks that relate two settings;
 - L{load}: L{load_settings}, which applies all of the above;
 - L{values}: the L{Settings} value, one section per part of the server;
 - L{unknown}: variables that look like settings but are none;
 - L{errors}: L{ConfigError}.
"""

from __future__ import annotations

from .declarations import (
    AUTH_ECS_ROLE,
    AUTH_SECRET_ACCESS_KEY,
    CIDR_TO_DOMAINS,
    FAMILIES,
    SETTINGS,
    USERS,
)
from .declare import Setting
from .errors import ConfigError
from .families import Family, FamilyOption, Field
from .load import load_settings
from .unknown import unknown_variables
from .values import (
    AccessSettings,
    CidrDomain,
    FTPSettings,
    LimitSettings,
    S3Settings,
    Settings,
    TLSSettings,
    User,
)

__all__ = [
    "AUTH_ECS_ROLE",
    "AUTH_SECRET_ACCESS_KEY",
    "CIDR_TO_DOMAINS",
    "FAMILIES",
    "SETTINGS",
    "USERS",
    "CidrDomain",
    "ConfigError",
    "FTPSettings",
    "Family",
    "FamilyOption",
    "Field",
    "AccessSettings",
    "LimitSettings",
    "S3Settings",
    "Setting",
    "Settings",
    "TLSSettings",
    "User",
    "load_settings",
    "unknown_variables",
]
