# -*- test-case-name: tests.test_credentials -*-
"""
Where S3 credentials come from.

The S3 client asks an L{ICredentialsProvider} for credentials before signing each
request, instead of holding keys itself, because credentials from an ECS task role
expire after a few hours and must be replaced while the server keeps running. A
static key pair is just the degenerate provider that never changes.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol
from urllib.parse import urlsplit

import treq
from twisted.internet.defer import Deferred, ensureDeferred, succeed
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from zope.interface import Interface, implementer

__all__ = [
    "ContainerCredentialsProvider",
    "Credentials",
    "CredentialsError",
    "HTTPGetter",
    "ICredentialsProvider",
    "StaticCredentialsProvider",
    "provider_from_settings",
]

_log = Logger()


@dataclass(frozen=True)
class Credentials:
    """
    One set of AWS credentials.

    The secret and the session token are left out of C{repr} so that logging a
    Credentials, or a traceback that shows one, cannot leak them.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)
    # Aware UTC; None means the credentials never expire (a static key pair).
    expiration: datetime.datetime | None = None

    def __post_init__(self) -> None:
        # A naive expiration would be compared as local time by .timestamp(), making
        # refreshes early or late by the host's UTC offset.
        if self.expiration is not None and self.expiration.utcoffset() is None:
            raise ValueError("Credentials.expiration must be timezone-aware")


class ICredentialsProvider(Interface):
    """A source of credentials for signing S3 requests."""

    def credentials() -> Deferred[Credentials]:
        """
        Fire with credentials valid for at least the next few minutes.

        Called once per S3 request, so implementations cache; fails with
        L{CredentialsError} when no credentials can be had.
        """


class CredentialsError(Exception):
    """
    Credentials are misconfigured or could not be fetched.

    The message is shown to operators and logged, so it never contains a secret, a
    session token or an authorization token.
    """


class HTTPGetter(Protocol):
    """
    The part of L{treq.client.HTTPClient} this module uses, so tests can pass a
    L{treq.testing.StubTreq} and never touch the network.
    """

    def get(self, url: str, **kwargs: Any) -> Deferred[Any]: ...


@implementer(ICredentialsProvider)
class StaticCredentialsProvider:
    """Credentials fixed in the configuration (an IAM user's key pair)."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def credentials(self) -> Deferred[Credentials]:
        return succeed(self._credentials)


# The SDKs' rules for the container endpoint, restated rather than imported.
_RELATIVE_URI = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
_FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
_AUTH_TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
_AUTH_TOKEN_FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
_ECS_HOST = "169.254.170.2"
# Plain-http full URIs may only point at these (or at a loopback address), so that an
# authorization token is never sent in the clear to an arbitrary host. These are the
# ECS and EKS Pod Identity agent addresses the AWS SDKs accept.
_PLAIN_HTTP_HOSTS = frozenset({_ECS_HOST, "169.254.170.23", "fd00:ec2::23", "localhost"})
_FIELDS = ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")


@dataclass(frozen=True)
class _Endpoint:
    """Where to fetch container credentials and how to authenticate to it."""

    url: str
    token: str | None = field(default=None, repr=False)
    token_file: str | None = None

    def authorization(self) -> str | None:
        """
        The Authorization header value, if any.

        The token file is read on every fetch because EKS Pod Identity rotates it.
        """
        token = self.token
        if self.token_file is not None:
            try:
                with open(self.token_file, encoding="utf-8") as f:
                    token = f.read().strip()
            except OSError as e:
                raise CredentialsError(
                    f"cannot read {_AUTH_TOKEN_FILE} {self.token_file!r}: {e.strerror}"
                ) from None
        if token is not None:
            _check_header_value(token)
        return token


def _check_header_value(token: str) -> None:
    # A newline would let the token inject headers into the request.
    if "\r" in token or "\n" in token:
        raise CredentialsError("the container authorization token is not a legal header value")


def _endpoint_from_environ(environ: Mapping[str, str]) -> _Endpoint:
    """Work out the endpoint the way the AWS SDKs do, failing early if there is none."""
    relative = environ.get(_RELATIVE_URI)
    if relative:
        return _Endpoint(url=f"http://{_ECS_HOST}{relative}")
    full = environ.get(_FULL_URI)
    if not full:
        raise CredentialsError(
            f"no container credentials endpoint: neither {_RELATIVE_URI} nor {_FULL_URI}"
            " is set (is this running in an ECS task with a task role?)"
        )
    _check_full_uri(full)
    token_file = environ.get(_AUTH_TOKEN_FILE) or None
    token = None if token_file else environ.get(_AUTH_TOKEN) or None
    if token is not None:
        _check_header_value(token)
    return _Endpoint(url=full, token=token, token_file=token_file)


def _check_full_uri(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme != "http" or not parts.hostname:
        raise CredentialsError(f"{_FULL_URI} must be an http or https URL with a host")
    if parts.hostname in _PLAIN_HTTP_HOSTS:
        return
    try:
        if ipaddress.ip_address(parts.hostname).is_loopback:
            return
    except ValueError:
        pass
    raise CredentialsError(
        f"{_FULL_URI} uses plain http to {parts.hostname!r}; only https, a loopback"
        f" address or one of {', '.join(sorted(_PLAIN_HTTP_HOSTS))} is allowed"
    )


def _parse_expiration(text: str) -> datetime.datetime:
    # fromisoformat only learned the 'Z' suffix in Python 3.11.
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise CredentialsError(
            f"container credentials Expiration {text!r} is not ISO 8601"
        ) from None
    if parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def _parse_credentials(body: bytes) -> Credentials:
    """Turn the endpoint's JSON into Credentials; never echo the body, it holds secrets."""
    try:
        document = json.loads(body)
    except ValueError:
        raise CredentialsError("container credentials response is not valid JSON") from None
    if not isinstance(document, dict):
        raise CredentialsError("container credentials response is not a JSON object")
    for name in _FIELDS:
        value = document.get(name)
        if not isinstance(value, str) or not value:
            raise CredentialsError(f"container credentials response has no usable {name}")
    return Credentials(
        access_key_id=document["AccessKeyId"],
        secret_access_key=document["SecretAccessKey"],
        session_token=document["Token"],
        expiration=_parse_expiration(document["Expiration"]),
    )


@implementer(ICredentialsProvider)
class ContainerCredentialsProvider:
    """
    ECS task role credentials from the container credentials endpoint.

    Credentials are cached and fetched again once fewer than C{refresh_margin} seconds
    remain, so a request signed now is still valid when S3 checks it, even for a long
    upload. Callers arriving during a fetch wait for that fetch rather than starting
    their own, so a burst of FTP activity costs one round trip, not one per request.
    """

    def __init__(
        self,
        http: HTTPGetter,
        clock: IReactorTime,
        environ: Mapping[str, str],
        refresh_margin: float = 300.0,
        *,
        timeout: float = 10.0,
    ) -> None:
        """
        @param http: a treq C{HTTPClient} (or C{StubTreq} in tests).
        @param clock: decides freshness and bounds each fetch by C{timeout}.
        @param environ: normally C{os.environ}; read once, here.
        @param timeout: seconds before a fetch that has not completed is abandoned, so
            a stuck endpoint fails requests instead of hanging them forever.
        @raise CredentialsError: if the environment names no usable endpoint.
        """
        self._endpoint = _endpoint_from_environ(environ)
        self._http = http
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._timeout = timeout
        self._cached: Credentials | None = None
        # Not None while a fetch is in flight: everyone waiting for its outcome.
        self._waiters: list[Deferred[Credentials]] | None = None

    def credentials(self) -> Deferred[Credentials]:
        return ensureDeferred(self._credentials())

    async def _credentials(self) -> Credentials:
        cached = self._cached
        if cached is not None and self._fresh(cached):
            return cached
        # Each caller gets its own Deferred: a caller cancelling its wait must not
        # cancel the fetch the others are waiting on.
        waiter: Deferred[Credentials] = Deferred()
        if self._waiters is not None:
            self._waiters.append(waiter)
        else:
            self._waiters = [waiter]
            ensureDeferred(self._fetch()).addBoth(self._deliver)
        return await waiter

    def _fresh(self, credentials: Credentials) -> bool:
        if credentials.expiration is None:
            return True
        remaining = credentials.expiration.timestamp() - self._clock.seconds()
        return remaining >= self._refresh_margin

    def _deliver(self, result: Any) -> None:
        """Hand the fetch's outcome to every waiter, caching it if it succeeded."""
        waiters, self._waiters = self._waiters or [], None
        if isinstance(result, Credentials):
            self._cached = result
        for waiter in waiters:
            if waiter.called:  # cancelled by its caller
                continue
            if isinstance(result, Credentials):
                waiter.callback(result)
            else:
                waiter.errback(result)

    async def _fetch(self) -> Credentials:
        """One bounded round trip; every way it can fail ends as CredentialsError."""
        body = await ensureDeferred(self._request()).addTimeout(
            self._timeout, self._clock, onTimeoutCancel=self._timed_out
        )
        credentials = _parse_credentials(body)
        _log.info(
            "Fetched container credentials {access_key_id}, expiring {expiration}",
            access_key_id=credentials.access_key_id,
            expiration=credentials.expiration,
        )
        return credentials

    def _timed_out(self, result: object, timeout: float) -> NoReturn:
        # Whatever the cancelled request failed with (the agent reports it as
        # ResponseNeverReceived), the useful news is that the endpoint is too slow.
        raise CredentialsError(
            f"container credentials endpoint {self._where()} did not answer"
            f" within {timeout:g} seconds"
        )

    async def _request(self) -> bytes:
        headers = {"Accept": "application/json"}
        authorization = self._endpoint.authorization()
        if authorization is not None:
            headers["Authorization"] = authorization
        try:
            response = await self._http.get(self._endpoint.url, headers=headers)
            # Read the body even on failure, so a pooled connection is released.
            body: bytes = await treq.content(response)
        except Exception as e:
            raise CredentialsError(
                f"container credentials endpoint {self._where()} failed: {e.__class__.__name__}"
            ) from e
        if response.code != 200:
            raise CredentialsError(
                f"container credentials endpoint {self._where()} answered HTTP {response.code}"
            )
        return body

    def _where(self) -> str:
        # Only scheme, host and port: the path of a relative URI identifies the task's
        # credentials and a full URI could carry user:password, neither fit for logs.
        parts = urlsplit(self._endpoint.url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def provider_from_settings(
    mechanism: str,
    *,
    access_key_id: str | None,
    secret_access_key: str | None,
    session_token: str | None,
    http: HTTPGetter,
    clock: IReactorTime,
    environ: Mapping[str, str],
) -> ICredentialsProvider:
    """
    Build the provider the configuration asks for.

    "secret_access_key" uses the given key pair (and optional session token) as is;
    "ecs_role" fetches task role credentials, ignoring any key given.

    @raise CredentialsError: for an unknown mechanism, a missing key, or an ECS
        environment without a credentials endpoint, so misconfiguration is reported at
        startup rather than on the first FTP upload.
    """
    if mechanism == "secret_access_key":
        if not access_key_id or not secret_access_key:
            raise CredentialsError(
                "the secret_access_key mechanism needs both an access key id"
                " and a secret access key"
            )
        return StaticCredentialsProvider(
            Credentials(access_key_id, secret_access_key, session_token or None)
        )
    if mechanism == "ecs_role":
        return ContainerCredentialsProvider(http, clock, environ)
    raise CredentialsError(
        f"unknown credentials mechanism {mechanism!r}; expected 'secret_access_key' or 'ecs_role'"
    )
