"""
Run moto_server with its SigV4 check fixed to read the URL as it was sent.

moto rebuilds the request URL from werkzeug's C{request.url}, which is an
IRI: percent-escapes are decoded (C{%C2%A3} becomes C{£}, C{%2F} in a query
becomes C{/}). The canonical request it then computes differs from the one
the client signed, so every correctly signed request for a key with a
non-ASCII character, or a listing whose prefix ends in C{/}, is refused with
SignatureDoesNotMatch — botocore's own requests included. This launcher keeps
the raw request line (werkzeug's C{RAW_URI}) and lets the check use it; all
of moto's other behaviour is unchanged.

Usage: python moto_launcher.py -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

from typing import Any

from moto.core import authorization
from moto.core.responses import BaseResponse
from moto.server import main

_setup_class = BaseResponse.setup_class
_authenticate = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action


def setup_class(self: Any, request: Any, full_url: str, *args: Any, **kwargs: Any) -> None:
    environ = getattr(request, "environ", None) or {}
    raw = environ.get("RAW_URI")
    if raw:
        scheme = environ.get("wsgi.url_scheme", "http")
        host = environ.get("HTTP_HOST", "")
        self._raw_url = f"{scheme}://{host}{raw}"
    _setup_class(self, request, full_url, *args, **kwargs)


def authenticate(self: Any, *args: Any, **kwargs: Any) -> None:
    raw = getattr(self, "_raw_url", None)
    if raw is None:
        return _authenticate(self, *args, **kwargs)
    decoded, self.uri = self.uri, raw
    try:
        return _authenticate(self, *args, **kwargs)
    finally:
        self.uri = decoded


BaseResponse.setup_class = setup_class
authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate

if __name__ == "__main__":
    main()
