# -*- test-case-name: tests.test_signing -*-
"""
Tests for L{twisted_ftps3.s3.signing}.

The main oracle is botocore's own S3 signer: for the same request both must produce
byte-identical headers. botocore encodes query parameters itself and is given a path
encoded by the standard library, so an encoding mistake in our module shows up as a
mismatch rather than being agreed with. The published AWS example pins the algorithm
independently of botocore.
"""

from __future__ import annotations

import datetime
import hashlib
import urllib.parse
from collections.abc import Mapping, Sequence

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from twisted.trial.unittest import SynchronousTestCase

from twisted_ftps3.s3.credentials import Credentials
from twisted_ftps3.s3.signing import (
    EMPTY_SHA256,
    UNSIGNED_PAYLOAD,
    CanonicalRequest,
    CredentialScope,
    canonical_headers,
    canonical_query_string,
    sign,
    signing_key,
    string_to_sign,
    uri_encode,
)

NOW = datetime.datetime(2026, 11, 26, 10, 19, 42, tzinfo=datetime.timezone.utc)
REGION = "eu-west-2"
HOST = "s3.eu-west-2.amazonaws.com"
CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 7 code points
CAKE = "\U0001f370"


class BotocoreComparisonTests(SynchronousTestCase):
    """
    L{sign} produces exactly the headers botocore's C{S3SigV4Auth} produces.
    """

    def setUp(self) -> None:
        # botocore.auth reads the time through this module-level name; freezing it is
        # what makes the two signatures comparable.
        frozen = NOW.replace(tzinfo=None)
        self.patch(botocore.auth, "get_current_datetime", lambda *a, **kw: frozen)

    def assertSameAsBotocore(
        self,
        *,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        credentials: Credentials = CREDENTIALS,
        scheme: str = "https",
        host: str = HOST,
        unsigned_payload: bool = False,
    ) -> dict[str, str]:
        """
        Sign the request both ways and assert every header matches.

        botocore signs the path it finds in the URL as is (S3 is never normalised), so
        the URL is built with the standard library's quote rather than uri_encode.
        """
        headers = dict(headers or {})
        request = AWSRequest(
            method=method,
            url=f"{scheme}://{host}{urllib.parse.quote(path, safe='/~')}",
            headers=dict(headers),
            data=body,
            params=list(query),
        )
        if unsigned_payload:
            request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
        boto_credentials = botocore.credentials.Credentials(
            credentials.access_key_id, credentials.secret_access_key, credentials.session_token
        )
        botocore.auth.S3SigV4Auth(boto_credentials, "s3", REGION).add_auth(request)
        expected = {name.lower(): value for name, value in request.headers.items()}
        expected["host"] = host

        ours = sign(
            method=method,
            host=host,
            path=path,
            query=query,
            headers=headers,
            payload_sha256=UNSIGNED_PAYLOAD
            if unsigned_payload
            else hashlib.sha256(body).hexdigest(),
            credentials=credentials,
            region=REGION,
            now=NOW,
        )
        self.assertEqual(ours["x-amz-date"], expected["x-amz-date"])
        self.assertEqual(ours["authorization"], expected["authorization"])
        self.assertEqual(ours, expected)
        return ours

    def test_listObjectsV2Query(self) -> None:
        """
        A ListObjectsV2 query whose prefix has spaces and non-ASCII characters and
        whose continuation token has '+', '/' and '=' signs the same.
        """
        self.assertSameAsBotocore(
            method="GET",
            path="/my-bucket",
            query=[
                ("list-type", "2"),
                ("prefix", f"dir with spaces/ünïcödé £ {FAMILY}/"),
                ("delimiter", "/"),
                ("continuation-token", "1xA+b/Cd9==/e+F="),
            ],
        )

    def test_putNonAsciiKey(self) -> None:
        """
        A PUT of a key with '£', a multi-code-point emoji and spaces, with a real
        payload hash, signs the same.
        """
        body = b"the contents of the file\n" * 10
        self.assertSameAsBotocore(
            method="PUT",
            path=f"/my-bucket/dir/my £ {FAMILY} {CAKE}.bin",
            headers={"Content-Type": "application/octet-stream", "Content-Length": str(len(body))},
            body=body,
        )

    def test_sessionToken(self) -> None:
        """
        With a session token, x-amz-security-token is sent and signed as botocore does.
        """
        headers = self.assertSameAsBotocore(
            method="GET",
            path="/my-bucket/file.txt",
            credentials=Credentials(
                "ASIAEXAMPLE", "secret/with+chars", session_token="IQoJb3JpZ2luX2VjE//token=="
            ),
        )
        self.assertEqual(headers["x-amz-security-token"], "IQoJb3JpZ2luX2VjE//token==")
        self.assertIn("x-amz-security-token", headers["authorization"])

    def test_emptyValueParameter(self) -> None:
        """
        CreateMultipartUpload's valueless C{uploads} parameter signs as 'uploads='.
        """
        self.assertSameAsBotocore(
            method="POST", path="/my-bucket/big file.bin", query=[("uploads", "")]
        )

    def test_uploadPartQuery(self) -> None:
        """
        UploadPart's partNumber and an opaque uploadId sign the same.
        """
        self.assertSameAsBotocore(
            method="PUT",
            path="/my-bucket/big file.bin",
            query=[("partNumber", "10"), ("uploadId", "VXBsb2FkIElE+Zm9y/IGVsdmluZw--")],
            body=b"x" * 1024,
        )

    def test_punctuationInKey(self) -> None:
        """
        Sub-delimiters that lax encoders leave alone (' \" ( ) * ! and %) are encoded,
        and ~ is not, exactly as botocore does.
        """
        self.assertSameAsBotocore(
            method="GET",
            path='/my-bucket/it\'s "quoted" (1) *star* !bang ~tilde 100% a+b=c&d;e,f@g:h#i?j',
        )

    def test_nonDefaultPort(self) -> None:
        """
        A host with a port (a local S3 lookalike over plain http) is signed with it.
        """
        headers = self.assertSameAsBotocore(
            method="GET", path="/my-bucket/key", scheme="http", host="localhost:9000"
        )
        self.assertEqual(headers["host"], "localhost:9000")

    def test_unsignedPayload(self) -> None:
        """
        UNSIGNED-PAYLOAD is signed as the payload hash, as botocore does for
        streaming uploads over TLS.
        """
        headers = self.assertSameAsBotocore(
            method="PUT", path="/my-bucket/stream.bin", unsigned_payload=True
        )
        self.assertEqual(headers["x-amz-content-sha256"], UNSIGNED_PAYLOAD)

    def test_headerWhitespaceAndCase(self) -> None:
        """
        Mixed-case names and values with surrounding and repeated spaces are
        canonicalised the same way.
        """
        self.assertSameAsBotocore(
            method="PUT",
            path="/my-bucket/key",
            headers={
                "X-Amz-Meta-Note": "  two   spaces  and   more ",
                "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==",
                "x-amz-copy-source": "/my-bucket/it%27s%20old",
            },
        )

    def test_urlRecipeMatches(self) -> None:
        """
        A URL built as the S3 client builds it (uri_encode on the path,
        canonical_query_string as the query) carries exactly what sign() signed:
        botocore, reading path and query back from that URL, agrees.
        """
        path = f"/my-bucket/a dir/{FAMILY} (copy) ~1.txt"
        query = [("prefix", "a b+c"), ("uploads", ""), ("list-type", "2")]
        encoded_path = uri_encode(path, encode_slash=False)
        url = f"https://{HOST}{encoded_path}?{canonical_query_string(query)}"
        request = AWSRequest(method="GET", url=url, headers={})
        botocore.auth.S3SigV4Auth(
            botocore.credentials.Credentials(
                CREDENTIALS.access_key_id, CREDENTIALS.secret_access_key
            ),
            "s3",
            REGION,
        ).add_auth(request)
        ours = sign(
            method="GET",
            host=HOST,
            path=path,
            query=query,
            headers={},
            payload_sha256=EMPTY_SHA256,
            credentials=CREDENTIALS,
            region=REGION,
            now=NOW,
        )
        self.assertEqual(ours["authorization"], request.headers["Authorization"])


class AWSExampleTests(SynchronousTestCase):
    """
    The worked examples published in the AWS Signature Version 4 documentation.
    """

    SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    WHEN = datetime.datetime(2013, 5, 24, tzinfo=datetime.timezone.utc)

    def test_getObjectCanonicalRequest(self) -> None:
        """
        The canonical request of S3's "Example: GET Object" is reproduced exactly.
        """
        request = CanonicalRequest(
            method="GET",
            canonical_uri=uri_encode("/test.txt", encode_slash=False),
            canonical_query=canonical_query_string([]),
            headers=canonical_headers(
                {
                    "Host": "examplebucket.s3.amazonaws.com",
                    "Range": "bytes=0-9",
                    "x-amz-content-sha256": EMPTY_SHA256,
                    "x-amz-date": "20130524T000000Z",
                }
            ),
            payload_sha256=EMPTY_SHA256,
        )
        self.assertEqual(
            request.render(),
            "GET\n"
            "/test.txt\n"
            "\n"
            "host:examplebucket.s3.amazonaws.com\n"
            "range:bytes=0-9\n"
            f"x-amz-content-sha256:{EMPTY_SHA256}\n"
            "x-amz-date:20130524T000000Z\n"
            "\n"
            "host;range;x-amz-content-sha256;x-amz-date\n"
            f"{EMPTY_SHA256}",
        )
        self.assertEqual(
            string_to_sign(
                "20130524T000000Z", CredentialScope("20130524", "us-east-1", "s3"), request
            ),
            "AWS4-HMAC-SHA256\n"
            "20130524T000000Z\n"
            "20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
        )

    def test_getObjectAuthorization(self) -> None:
        """
        sign() gives "Example: GET Object" its published signature. (The document
        separates the Authorization fields with ',' alone; we send ', ' as botocore
        does, which S3 equally accepts.)
        """
        headers = sign(
            method="GET",
            host="examplebucket.s3.amazonaws.com",
            path="/test.txt",
            query=[],
            headers={"Range": "bytes=0-9"},
            payload_sha256=EMPTY_SHA256,
            credentials=Credentials("AKIAIOSFODNN7EXAMPLE", self.SECRET),
            region="us-east-1",
            now=self.WHEN,
        )
        self.assertEqual(
            headers["authorization"],
            "AWS4-HMAC-SHA256 "
            "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        )
        self.assertEqual(headers["x-amz-date"], "20130524T000000Z")

    def test_signingKeyDerivation(self) -> None:
        """
        The general SigV4 documentation's key-derivation example (IAM, us-east-1,
        20120215) yields its published kSigning.
        """
        key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            CredentialScope("20120215", "us-east-1", "iam"),
        )
        self.assertEqual(
            key.hex(), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        )


class URIEncodeTests(SynchronousTestCase):
    """
    L{uri_encode} implements SigV4's UriEncode.
    """

    def test_unreservedUnchanged(self) -> None:
        """
        Letters, digits, '-', '_', '.' and '~' are left as they are.
        """
        unreserved = "ABCXYZabcxyz0189-_.~"
        self.assertEqual(uri_encode(unreserved), unreserved)

    def test_spaceIsPercent20(self) -> None:
        """
        A space is '%20', never '+' (form encoding is not URI encoding).
        """
        self.assertEqual(uri_encode("a b"), "a%20b")

    def test_slashEncodedByDefault(self) -> None:
        """
        '/' is encoded unless told otherwise, as query keys and values need.
        """
        self.assertEqual(uri_encode("a/b"), "a%2Fb")

    def test_slashKept(self) -> None:
        """
        With encode_slash=False, '/' separates path segments and is kept.
        """
        self.assertEqual(uri_encode("/bucket/a b/c", encode_slash=False), "/bucket/a%20b/c")

    def test_reservedPunctuationEncoded(self) -> None:
        """
        Characters outside the unreserved set are encoded, including those some
        encoders keep ('!', "'", '(', ')', '*') and '%' itself.
        """
        self.assertEqual(uri_encode("!'()*%+=&"), "%21%27%28%29%2A%25%2B%3D%26")

    def test_utf8UpperCaseHex(self) -> None:
        """
        Non-ASCII characters are UTF-8 encoded with upper-case hex digits.
        """
        self.assertEqual(uri_encode(f"é£{CAKE}"), "%C3%A9%C2%A3%F0%9F%8D%B0")

    def test_loneSurrogateRejected(self) -> None:
        """
        A string that is not valid Unicode text cannot be encoded as UTF-8 and is
        refused rather than mangled.
        """
        self.assertRaises(UnicodeEncodeError, uri_encode, "bad\udcff")


class CanonicalQueryStringTests(SynchronousTestCase):
    """
    L{canonical_query_string} builds SigV4's CanonicalQueryString.
    """

    def test_empty(self) -> None:
        """
        No parameters give the empty string.
        """
        self.assertEqual(canonical_query_string([]), "")

    def test_sortedByKey(self) -> None:
        """
        Parameters are sorted by key, whatever order they were given in.
        """
        self.assertEqual(
            canonical_query_string([("prefix", "p"), ("delimiter", "/"), ("list-type", "2")]),
            "delimiter=%2F&list-type=2&prefix=p",
        )

    def test_repeatedKeySortedByValue(self) -> None:
        """
        A repeated key is ordered by value.
        """
        self.assertEqual(canonical_query_string([("a", "2"), ("a", "1")]), "a=1&a=2")

    def test_sortedAfterEncoding(self) -> None:
        """
        Sorting uses the encoded form: 'é' sorts after 'z' raw but '%C3%A9' sorts
        before it.
        """
        self.assertEqual(canonical_query_string([("z", "1"), ("é", "2")]), "%C3%A9=2&z=1")

    def test_emptyValue(self) -> None:
        """
        A parameter with an empty value keeps its '='.
        """
        self.assertEqual(canonical_query_string([("uploads", "")]), "uploads=")

    def test_keysAndValuesEncoded(self) -> None:
        """
        Keys and values are both encoded, '/' included.
        """
        self.assertEqual(canonical_query_string([("a b", "c/d+e")]), "a%20b=c%2Fd%2Be")


class SignTests(SynchronousTestCase):
    """
    L{sign}'s own contract, beyond agreeing with botocore.
    """

    def _sign(self, **overrides: object) -> dict[str, str]:
        arguments: dict[str, object] = dict(
            method="GET",
            host=HOST,
            path="/my-bucket/key",
            query=[],
            headers={},
            payload_sha256=EMPTY_SHA256,
            credentials=CREDENTIALS,
            region=REGION,
            now=NOW,
        )
        arguments.update(overrides)
        return sign(**arguments)  # type: ignore[arg-type]

    def test_returnsGivenAndComputedHeaders(self) -> None:
        """
        The result holds the caller's headers (lower-cased names, original values)
        plus host, x-amz-date, x-amz-content-sha256 and authorization.
        """
        headers = self._sign(headers={"Content-Type": " text/plain "})
        self.assertEqual(
            sorted(headers),
            ["authorization", "content-type", "host", "x-amz-content-sha256", "x-amz-date"],
        )
        self.assertEqual(headers["content-type"], " text/plain ")
        self.assertEqual(headers["x-amz-date"], "20261126T101942Z")
        self.assertEqual(headers["x-amz-content-sha256"], EMPTY_SHA256)

    def test_noTokenNoSecurityTokenHeader(self) -> None:
        """
        Without a session token no x-amz-security-token header is sent.
        """
        self.assertNotIn("x-amz-security-token", self._sign())

    def test_otherTimezoneConverted(self) -> None:
        """
        An aware time in another zone signs as the same instant in UTC.
        """
        elsewhere = NOW.astimezone(datetime.timezone(datetime.timedelta(hours=-5)))
        self.assertEqual(self._sign(now=elsewhere), self._sign())

    def test_naiveTimeRejected(self) -> None:
        """
        A naive time is refused rather than guessed at.
        """
        self.assertRaises(ValueError, self._sign, now=NOW.replace(tzinfo=None))

    def test_relativePathRejected(self) -> None:
        """
        The path must be absolute.
        """
        self.assertRaises(ValueError, self._sign, path="my-bucket/key")

    def test_reservedHeaderRejected(self) -> None:
        """
        Headers sign() computes itself cannot also be supplied by the caller.
        """
        for name in ["Host", "X-Amz-Date", "x-amz-content-sha256", "Authorization"]:
            self.assertRaises(ValueError, self._sign, headers={name: "x"})

    def test_duplicateHeaderRejected(self) -> None:
        """
        Two spellings of one header name are refused.
        """
        self.assertRaises(
            ValueError, self._sign, headers={"Content-Type": "a", "content-type": "b"}
        )

    def test_secretNotInHeaders(self) -> None:
        """
        The secret key appears nowhere in what is sent.
        """
        headers = self._sign()
        for value in headers.values():
            self.assertNotIn(CREDENTIALS.secret_access_key, value)
