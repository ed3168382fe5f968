# -*- test-case-name: tests.test_signing -*-
"""
AWS Signature Version 4 for S3, as pure functions.

Nothing here reads the clock, the environment or the network: the caller passes the
time and the credentials in. That keeps signing trivially testable against published
examples and against botocore, and lets the S3 client decide when credentials are
refreshed.

The pipeline is the one the SigV4 specification describes, one small function per step::

    CanonicalRequest --sha256--> string_to_sign --HMAC(signing_key)--> signature

S3 differs from the generic SigV4 services in one way that matters here: the canonical
URI is the path encoded exactly once and never normalised, so object keys such as
``a//b`` or ``./x`` keep their meaning.

The URL to request is C{scheme://host + uri_encode(path, encode_slash=False)} plus
C{'?' + canonical_query_string(query)} when there is a query: building it from the same
functions as L{sign} does is what guarantees the signature covers exactly what is sent.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from twisted_ftps3.s3.credentials import Credentials

__all__ = [
    "ALGORITHM",
    "EMPTY_SHA256",
    "UNSIGNED_PAYLOAD",
    "CanonicalRequest",
    "CredentialScope",
    "authorization_header",
    "canonical_headers",
    "canonical_query_string",
    "sign",
    "signature",
    "signing_key",
    "string_to_sign",
    "uri_encode",
]

ALGORITHM = "AWS4-HMAC-SHA256"

# Sent as x-amz-content-sha256 when the body is not hashed into the signature, which S3
# accepts only over TLS: TLS protects the body on the way, and the requester sends its
# Content-MD5 for S3 to check, so that hashing every byte with SHA-256 is not needed.
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

# The payload hash of every body-less request (GET, HEAD, DELETE).
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

# Headers that sign() computes itself; accepting them from the caller as well would
# make it ambiguous which value was signed and which one is sent.
_RESERVED_HEADERS = frozenset(
    {"authorization", "host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"}
)


def uri_encode(value: str, *, encode_slash: bool = True) -> str:
    """
    RFC 3986 encoding as SigV4 wants it: only A-Z a-z 0-9 - _ . ~ unescaped, UTF-8
    percent-encoded upper-case hex; '/' kept when encode_slash is False.

    Anything looser (``+`` for space, lower-case hex, a kept ``!`` or ``'``) produces a
    canonical request that differs from the one S3 computes, and S3 then answers
    SignatureDoesNotMatch. ``urllib.parse.quote`` already never escapes exactly the
    unreserved set and always uses upper-case hex, so only ``/`` needs deciding.

    @raise UnicodeEncodeError: if C{value} holds lone surrogates; S3 keys must be
        valid UTF-8, so there is no correct encoding for them.
    """
    return quote(value, safe="" if encode_slash else "/", encoding="utf-8", errors="strict")


def canonical_query_string(params: Sequence[tuple[str, str]]) -> str:
    """
    Encode each key and value with uri_encode, sort by encoded key then value, join
    'k=v' with '&'. A param with an empty value renders 'k='.

    The same string serves as the query of the URL actually sent, so what is signed is
    byte for byte what S3 receives; sorting after encoding is what the specification
    asks for, since the server sorts the encoded form too.
    """
    pairs = sorted((uri_encode(key), uri_encode(value)) for key, value in params)
    return "&".join(f"{key}={value}" for key, value in pairs)


def canonical_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """
    Lower-case each name, trim each value and collapse inner runs of whitespace, and
    sort by name, as the canonical request needs them.

    @raise ValueError: if two names differ only in case; HTTP would treat them as one
        header with two values, which this module does not try to reproduce.
    """
    canonical: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in canonical:
            raise ValueError(f"header {lowered!r} given more than once")
        canonical[lowered] = " ".join(value.split())
    return tuple(sorted(canonical.items()))


@dataclass(frozen=True)
class CredentialScope:
    """
    The date/region/service a signature is valid for.

    Both the string to sign and the signing key are derived from it, so it is one value
    rather than three loose strings that could disagree.
    """

    date: str  # YYYYMMDD, the UTC date of the request
    region: str
    service: str

    def render(self) -> str:
        """The scope as it appears in the string to sign and the Credential field."""
        return f"{self.date}/{self.region}/{self.service}/aws4_request"


@dataclass(frozen=True)
class CanonicalRequest:
    """
    Everything about a request that the signature covers, already canonicalised.

    Kept as a value (rather than only a string) so tests and debugging can see the
    individual parts S3 will compare against when it reports SignatureDoesNotMatch.
    """

    method: str
    canonical_uri: str
    canonical_query: str
    headers: tuple[tuple[str, str], ...]  # from canonical_headers()
    payload_sha256: str

    @property
    def signed_headers(self) -> str:
        """The ';'-joined header names, as used in both the request and Authorization."""
        return ";".join(name for name, _ in self.headers)

    def render(self) -> str:
        """The canonical request text whose hash goes into the string to sign."""
        header_block = "".join(f"{name}:{value}\n" for name, value in self.headers)
        return "\n".join(
            [
                self.method,
                self.canonical_uri,
                self.canonical_query,
                header_block,
                self.signed_headers,
                self.payload_sha256,
            ]
        )

    def sha256(self) -> str:
        """Hex SHA-256 of L{render}, the last line of the string to sign."""
        return hashlib.sha256(self.render().encode("utf-8")).hexdigest()


def string_to_sign(amz_date: str, scope: CredentialScope, request: CanonicalRequest) -> str:
    """The text that is HMACed: algorithm, timestamp, scope and the request's hash."""
    return "\n".join([ALGORITHM, amz_date, scope.render(), request.sha256()])


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_access_key: str, scope: CredentialScope) -> bytes:
    """
    Derive the per-day, per-region, per-service key from the secret.

    The chain of HMACs means a leaked signing key is only good for one scope; it is
    also cacheable for a day, should signing ever show up in a profile.
    """
    key = _hmac(f"AWS4{secret_access_key}".encode(), scope.date)
    for part in (scope.region, scope.service, "aws4_request"):
        key = _hmac(key, part)
    return key


def signature(key: bytes, text: str) -> str:
    """Hex HMAC-SHA256 of the string to sign under the signing key."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization_header(
    access_key_id: str, scope: CredentialScope, signed_headers: str, sig: str
) -> str:
    """
    The Authorization value; the ', ' separators are the ones botocore sends, so the
    two can be compared verbatim (S3 accepts ',' alone too).
    """
    return (
        f"{ALGORITHM} Credential={access_key_id}/{scope.render()}, "
        f"SignedHeaders={signed_headers}, Signature={sig}"
    )


def _amz_date(now: datetime.datetime) -> str:
    """
    Format C{now} as the x-amz-date timestamp, refusing naive times: guessing their
    zone would produce signatures that fail only on hosts not running in UTC.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(datetime.timezone.utc).strftime(_AMZ_DATE_FORMAT)


def _caller_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """
    The caller's headers with lower-case names, refusing one given twice or one
    that L{sign} sets itself.
    """
    lowered_headers: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _RESERVED_HEADERS:
            raise ValueError(f"sign() sets the {lowered!r} header itself")
        if lowered in lowered_headers:
            raise ValueError(f"header {lowered!r} given more than once")
        lowered_headers[lowered] = value
    return lowered_headers


def sign(
    *,
    method: str,
    host: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    payload_sha256: str,
    credentials: Credentials,
    region: str,
    now: datetime.datetime,
    service: str = "s3",
) -> dict[str, str]:
    """
    Return the complete set of headers to send: the given headers plus host, x-amz-date,
    x-amz-content-sha256 (= payload_sha256), x-amz-security-token when
    credentials.session_token is set, and authorization.

    C{path} is the raw (unencoded) absolute path, e.g. '/bucket/my £ file.bin'; the
    canonical URI is uri_encode(path, encode_slash=False) (S3 style: encoded once, no
    normalisation). C{host} is what goes in the Host header (include ':port' when the
    port is non-default). All headers given are signed (names lower-cased, values
    trimmed with inner runs of spaces collapsed), sorted by name. C{now} must be
    timezone-aware UTC (any aware time is converted).

    Returned names are lower-case, so a caller cannot end up sending two spellings of
    one header.

    @raise ValueError: if C{path} is not absolute, C{now} is naive, C{headers} names
        one header twice (in different cases), or C{headers} contains a header this
        function sets itself (host, x-amz-date, x-amz-content-sha256,
        x-amz-security-token, authorization).
    """
    if not path.startswith("/"):
        raise ValueError(f"path must be absolute, got {path!r}")
    to_send = _caller_headers(headers)
    amz_date = _amz_date(now)
    to_send["host"] = host
    to_send["x-amz-date"] = amz_date
    to_send["x-amz-content-sha256"] = payload_sha256
    if credentials.session_token is not None:
        to_send["x-amz-security-token"] = credentials.session_token

    request = CanonicalRequest(
        method=method.upper(),
        canonical_uri=uri_encode(path, encode_slash=False),
        canonical_query=canonical_query_string(query),
        headers=canonical_headers(to_send),
        payload_sha256=payload_sha256,
    )
    scope = CredentialScope(date=amz_date[:8], region=region, service=service)
    sig = signature(
        signing_key(credentials.secret_access_key, scope),
        string_to_sign(amz_date, scope, request),
    )
    to_send["authorization"] = authorization_header(
        credentials.access_key_id, scope, request.signed_headers, sig
    )
    return to_send
