# -*- test-case-name: tests.test_credentials -*-
"""
Tests for L{twisted_ftps3.s3.credentials}.

The container endpoint is a small in-memory twisted.web resource behind
L{treq.testing.StubTreq}, and time is a L{Clock}: nothing here opens a socket, and
169.254.170.2 is only ever a string in a URL.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from treq.testing import StubTreq
from twisted.internet.defer import CancelledError
from twisted.internet.task import Clock
from twisted.trial.unittest import SynchronousTestCase
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Request
from zope.interface.verify import verifyObject

from twisted_ftps3.s3.credentials import (
    ContainerCredentialsProvider,
    Credentials,
    CredentialsError,
    ICredentialsProvider,
    StaticCredentialsProvider,
    provider_from_settings,
)

UTC = datetime.timezone.utc
START = datetime.datetime(2026, 11, 26, 9, 0, 0, tzinfo=UTC)
EXPIRATION = datetime.datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
SECRET = "s3cr3t/SECRET+key"
TOKEN = "IQoJb3JpZ2luX2VjE-session-token"
RELATIVE = {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/0b3f-task-guid"}


def document(**overrides: Any) -> dict[str, Any]:
    """A container credentials response, as ECS sends it."""
    answer = {
        "RoleArn": "arn:aws:iam::123456789012:role/ftps3-task",
        "AccessKeyId": "ASIAEXAMPLE1",
        "SecretAccessKey": SECRET,
        "Token": TOKEN,
        "Expiration": "2026-11-26T12:00:00Z",
    }
    answer.update(overrides)
    return answer


class CredentialsEndpoint(Resource):
    """
    A fake container credentials endpoint that records what it was asked.

    Set C{code} and C{body} to change the answer; set C{hold} to keep requests open
    (in C{held}) until the test answers them with L{answer}.
    """

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[Request] = []
        self.held: list[Request] = []
        self.code = 200
        self.body = json.dumps(document()).encode()
        self.hold = False

    def render_GET(self, request: Request) -> bytes | int:
        self.requests.append(request)
        if self.hold:
            self.held.append(request)
            return NOT_DONE_YET
        request.setResponseCode(self.code)
        request.setHeader(b"content-type", b"application/json")
        return self.body

    def answer(self, stub: StubTreq) -> None:
        """Complete every held request with the current code and body."""
        held, self.held = self.held, []
        for request in held:
            request.setResponseCode(self.code)
            request.write(self.body)
            request.finish()
        stub.flush()


class CredentialsTests(SynchronousTestCase):
    """
    L{Credentials} keeps secrets out of its representation.
    """

    def test_reprHidesSecrets(self) -> None:
        """
        repr() shows the access key id but neither the secret nor the session token.
        """
        text = repr(Credentials("ASIAEXAMPLE1", SECRET, TOKEN, EXPIRATION))
        self.assertIn("ASIAEXAMPLE1", text)
        self.assertNotIn(SECRET, text)
        self.assertNotIn(TOKEN, text)

    def test_naiveExpirationRejected(self) -> None:
        """
        A naive expiration is refused, since it would be read as local time.
        """
        self.assertRaises(
            ValueError, Credentials, "AKID", SECRET, None, EXPIRATION.replace(tzinfo=None)
        )


class StaticCredentialsProviderTests(SynchronousTestCase):
    """
    L{StaticCredentialsProvider} hands out the credentials it was given.
    """

    def test_interface(self) -> None:
        """
        It provides L{ICredentialsProvider}.
        """
        self.assertTrue(
            verifyObject(ICredentialsProvider, StaticCredentialsProvider(Credentials("A", "S")))
        )

    def test_credentials(self) -> None:
        """
        credentials() fires at once with the configured credentials.
        """
        credentials = Credentials("AKID", SECRET)
        provider = StaticCredentialsProvider(credentials)
        self.assertIs(self.successResultOf(provider.credentials()), credentials)


class ContainerCredentialsProviderTests(SynchronousTestCase):
    """
    L{ContainerCredentialsProvider} fetches, caches and refreshes ECS task role
    credentials.
    """

    def setUp(self) -> None:
        self.endpoint = CredentialsEndpoint()
        self.stub = StubTreq(self.endpoint)
        self.clock = Clock()
        self.clock.advance(START.timestamp())

    def provider(
        self, environ: dict[str, str] | None = None, **kwargs: Any
    ) -> ContainerCredentialsProvider:
        return ContainerCredentialsProvider(
            self.stub, self.clock, RELATIVE if environ is None else environ, **kwargs
        )

    def test_interface(self) -> None:
        """
        It provides L{ICredentialsProvider}.
        """
        self.assertTrue(verifyObject(ICredentialsProvider, self.provider()))

    def test_fetchAndParse(self) -> None:
        """
        The endpoint's JSON becomes Credentials with an aware UTC expiration.
        """
        credentials = self.successResultOf(self.provider().credentials())
        self.assertEqual(credentials, Credentials("ASIAEXAMPLE1", SECRET, TOKEN, EXPIRATION))
        self.assertEqual(credentials.expiration.tzinfo, UTC)

    def test_relativeUri(self) -> None:
        """
        With a relative URI, the request goes to the ECS agent at 169.254.170.2 at
        that path, without an Authorization header.
        """
        environ = {**RELATIVE, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "not-for-ecs"}
        self.successResultOf(self.provider(environ).credentials())
        [request] = self.endpoint.requests
        self.assertEqual(request.uri, b"/v2/credentials/0b3f-task-guid")
        self.assertEqual(request.getHeader(b"host"), b"169.254.170.2")
        self.assertIsNone(request.getHeader(b"authorization"))

    def test_relativeUriPreferred(self) -> None:
        """
        When both URIs are set, the relative one wins, as in the AWS SDKs.
        """
        environ = {**RELATIVE, "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/other"}
        self.successResultOf(self.provider(environ).credentials())
        [request] = self.endpoint.requests
        self.assertEqual(request.getHeader(b"host"), b"169.254.170.2")

    def test_fullUriWithToken(self) -> None:
        """
        With a full URI, AWS_CONTAINER_AUTHORIZATION_TOKEN is sent as Authorization.
        """
        environ = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "token-from-env",
        }
        self.successResultOf(self.provider(environ).credentials())
        [request] = self.endpoint.requests
        self.assertEqual(request.uri, b"/v1/credentials")
        self.assertEqual(request.getHeader(b"authorization"), b"token-from-env")

    def test_fullUriWithTokenFile(self) -> None:
        """
        With AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, the file's contents (without a
        trailing newline) are sent as Authorization.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            f.write("token-from-file\n")
        environ = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": path,
        }
        self.successResultOf(self.provider(environ).credentials())
        [request] = self.endpoint.requests
        self.assertEqual(request.getHeader(b"authorization"), b"token-from-file")

    def test_tokenFileReadOnEachFetch(self) -> None:
        """
        The token file is read again for each fetch, so a rotated token is used.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            f.write("first")
        environ = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://localhost:8080/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": path,
        }
        provider = self.provider(environ)
        self.successResultOf(provider.credentials())
        with open(path, "w") as f:
            f.write("second")
        self.clock.advance((EXPIRATION - START).total_seconds())
        self.successResultOf(provider.credentials())
        self.assertEqual(
            [r.getHeader(b"authorization") for r in self.endpoint.requests],
            [b"first", b"second"],
        )

    def test_tokenFilePreferredOverToken(self) -> None:
        """
        When both token variables are set the file wins, as in the AWS SDKs.
        """
        path = self.mktemp()
        with open(path, "w") as f:
            f.write("from-file")
        environ = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:51679/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "from-env",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": path,
        }
        self.successResultOf(self.provider(environ).credentials())
        [request] = self.endpoint.requests
        self.assertEqual(request.getHeader(b"authorization"), b"from-file")

    def test_unreadableTokenFile(self) -> None:
        """
        A token file that cannot be read fails the fetch with CredentialsError,
        without contacting the endpoint.
        """
        environ = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": self.mktemp(),
        }
        failure = self.failureResultOf(self.provider(environ).credentials(), CredentialsError)
        self.assertIn("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(failure.value))
        self.assertEqual(self.endpoint.requests, [])

    def test_tokenWithNewlineRejected(self) -> None:
        """
        A token that would break the header apart is refused at construction, and
        the message does not repeat it.
        """
        environ = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/creds",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "abc\r\nX-Injected: 1",
        }
        error = self.assertRaises(CredentialsError, self.provider, environ)
        self.assertNotIn("Injected", str(error))

    def test_plainHttpToOtherHostRejected(self) -> None:
        """
        A plain-http full URI to a host other than the container agents or loopback
        is refused, so a token is never sent in the clear to an arbitrary host.
        """
        environ = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://credentials.example.com/x"}
        error = self.assertRaises(CredentialsError, self.provider, environ)
        self.assertIn("credentials.example.com", str(error))

    def test_httpsToAnyHostAllowed(self) -> None:
        """
        An https full URI may point anywhere.
        """
        environ = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://credentials.example.com/x"}
        self.successResultOf(self.provider(environ).credentials())

    def test_missingEnvironment(self) -> None:
        """
        With neither URI variable set, construction fails naming both variables.
        """
        error = self.assertRaises(CredentialsError, self.provider, {"HOME": "/root"})
        self.assertIn("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", str(error))
        self.assertIn("AWS_CONTAINER_CREDENTIALS_FULL_URI", str(error))

    def test_cachedWhileValid(self) -> None:
        """
        A second call within the validity period is answered from the cache.
        """
        provider = self.provider()
        first = self.successResultOf(provider.credentials())
        self.clock.advance((EXPIRATION - START).total_seconds() - 300)
        second = self.successResultOf(provider.credentials())
        self.assertIs(first, second)
        self.assertEqual(len(self.endpoint.requests), 1)

    def test_refreshedWithinMargin(self) -> None:
        """
        Once fewer than refresh_margin seconds remain, the next call fetches anew.
        """
        provider = self.provider(refresh_margin=300.0)
        self.successResultOf(provider.credentials())
        self.endpoint.body = json.dumps(
            document(AccessKeyId="ASIAEXAMPLE2", Expiration="2026-11-26T18:00:00Z")
        ).encode()
        self.clock.advance((EXPIRATION - START).total_seconds() - 299)
        credentials = self.successResultOf(provider.credentials())
        self.assertEqual(credentials.access_key_id, "ASIAEXAMPLE2")
        self.assertEqual(len(self.endpoint.requests), 2)

    def test_concurrentCallsShareOneRequest(self) -> None:
        """
        Calls made while a fetch is in flight wait for it: one HTTP request, and
        every caller gets its result.
        """
        self.endpoint.hold = True
        provider = self.provider()
        waiting = [provider.credentials() for _ in range(3)]
        for d in waiting:
            self.assertNoResult(d)
        self.assertEqual(len(self.endpoint.requests), 1)
        self.endpoint.answer(self.stub)
        results = [self.successResultOf(d) for d in waiting]
        self.assertEqual(results, [Credentials("ASIAEXAMPLE1", SECRET, TOKEN, EXPIRATION)] * 3)
        self.assertEqual(len(self.endpoint.requests), 1)

    def test_failureReachesAllWaiters(self) -> None:
        """
        A failed fetch fails every caller waiting on it with CredentialsError.
        """
        self.endpoint.hold = True
        provider = self.provider()
        waiting = [provider.credentials(), provider.credentials()]
        self.endpoint.code = 500
        self.endpoint.answer(self.stub)
        for d in waiting:
            self.failureResultOf(d, CredentialsError)

    def test_cancelledWaiterLeavesOthers(self) -> None:
        """
        A caller cancelling its wait does not cancel the shared fetch.
        """
        self.endpoint.hold = True
        provider = self.provider()
        cancelled, kept = provider.credentials(), provider.credentials()
        cancelled.cancel()
        self.failureResultOf(cancelled, CancelledError)
        self.endpoint.answer(self.stub)
        self.assertEqual(self.successResultOf(kept).access_key_id, "ASIAEXAMPLE1")

    def test_non200ThenRetry(self) -> None:
        """
        A non-200 answer fails with CredentialsError naming the status; the next
        call tries again.
        """
        provider = self.provider()
        self.endpoint.code = 500
        failure = self.failureResultOf(provider.credentials(), CredentialsError)
        self.assertIn("500", str(failure.value))
        self.endpoint.code = 200
        self.successResultOf(provider.credentials())
        self.assertEqual(len(self.endpoint.requests), 2)

    def test_malformedJsonThenRetry(self) -> None:
        """
        A body that is not JSON fails with CredentialsError; the next call tries
        again.
        """
        provider = self.provider()
        self.endpoint.body = b'{"AccessKeyId": "ASIA", "SecretAccessKey": "' + SECRET.encode()
        failure = self.failureResultOf(provider.credentials(), CredentialsError)
        self.assertNotIn(SECRET, str(failure.value))
        self.endpoint.body = json.dumps(document()).encode()
        self.successResultOf(provider.credentials())
        self.assertEqual(len(self.endpoint.requests), 2)

    def test_notAnObject(self) -> None:
        """
        JSON that is not an object fails with CredentialsError.
        """
        self.endpoint.body = b"[]"
        self.failureResultOf(self.provider().credentials(), CredentialsError)

    def test_missingField(self) -> None:
        """
        A response lacking any of the four fields fails with CredentialsError naming
        the field and not echoing the secret.
        """
        for name in ["AccessKeyId", "SecretAccessKey", "Token", "Expiration"]:
            body = document()
            del body[name]
            self.endpoint.body = json.dumps(body).encode()
            failure = self.failureResultOf(self.provider().credentials(), CredentialsError)
            self.assertIn(name, str(failure.value))
            self.assertNotIn(SECRET, str(failure.value))

    def test_badExpiration(self) -> None:
        """
        An Expiration that is not ISO 8601 fails with CredentialsError.
        """
        self.endpoint.body = json.dumps(document(Expiration="tomorrow")).encode()
        self.failureResultOf(self.provider().credentials(), CredentialsError)

    def test_expirationWithOffset(self) -> None:
        """
        An Expiration with fractional seconds and a numeric offset is converted
        to UTC.
        """
        self.endpoint.body = json.dumps(
            document(Expiration="2026-11-26T13:00:00.000+01:00")
        ).encode()
        credentials = self.successResultOf(self.provider().credentials())
        self.assertEqual(credentials.expiration, EXPIRATION)
        self.assertEqual(credentials.expiration.tzinfo, UTC)

    def test_timeout(self) -> None:
        """
        An endpoint that does not answer within the timeout fails the fetch with
        CredentialsError, and the next call tries again.
        """
        self.endpoint.hold = True
        provider = self.provider(timeout=5.0)
        d = provider.credentials()
        self.clock.advance(4.9)
        self.assertNoResult(d)
        self.clock.advance(0.1)
        failure = self.failureResultOf(d, CredentialsError)
        self.assertIn("5 seconds", str(failure.value))
        self.endpoint.hold = False
        self.successResultOf(provider.credentials())
        self.assertEqual(len(self.endpoint.requests), 2)


class ProviderFromSettingsTests(SynchronousTestCase):
    """
    L{provider_from_settings} maps the configured mechanism to a provider.
    """

    def build(self, mechanism: str, **overrides: Any) -> Any:
        arguments: dict[str, Any] = dict(
            access_key_id="AKID",
            secret_access_key=SECRET,
            session_token=None,
            http=StubTreq(CredentialsEndpoint()),
            clock=Clock(),
            environ=RELATIVE,
        )
        arguments.update(overrides)
        return provider_from_settings(mechanism, **arguments)

    def test_secretAccessKey(self) -> None:
        """
        "secret_access_key" gives a static provider with the configured keys.
        """
        provider = self.build("secret_access_key", session_token="tok")
        self.assertIsInstance(provider, StaticCredentialsProvider)
        self.assertEqual(
            self.successResultOf(provider.credentials()), Credentials("AKID", SECRET, "tok")
        )

    def test_secretAccessKeyMissing(self) -> None:
        """
        "secret_access_key" without a secret is a CredentialsError.
        """
        self.assertRaises(CredentialsError, self.build, "secret_access_key", secret_access_key=None)

    def test_ecsRole(self) -> None:
        """
        "ecs_role" gives a container provider.
        """
        self.assertIsInstance(self.build("ecs_role"), ContainerCredentialsProvider)

    def test_unknownMechanism(self) -> None:
        """
        Any other mechanism is a CredentialsError naming the valid ones.
        """
        error = self.assertRaises(CredentialsError, self.build, "instance_profile")
        self.assertIn("ecs_role", str(error))
