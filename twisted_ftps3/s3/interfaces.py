# -*- test-case-name: tests.test_object_store -*-
"""
The boundary between the FTP side of the server and the bucket.

L{IObjectStore} names every S3 operation the shell, the multipart writer and
the clean-up services (the abandoned-upload sweeper, the lifecycle check)
use, and nothing else, what a download holds between S3's answer and the
data connection (L{IObjectBody}), and where an abort that failed is handed
so that it is tried again (L{IAbortRetrier}). L{twisted_ftps3.s3.client.S3Client} implements it over
HTTP; the tests' in-memory store implements it too, and one contract suite
runs against both, so the fake cannot drift from a real S3 server.

Every method is a coroutine function. A failure is raised as
L{twisted_ftps3.s3.errors.S3Error}, carrying S3's error code, the HTTP status
and the request id, whichever implementation raised it.
"""

from __future__ import annotations

from zope.interface import Attribute, Interface


class IObjectStore(Interface):
    """One bucket of an S3-compatible store."""

    bucket = Attribute("The name of the bucket, as a str.")

    aborts = Attribute(
        "Where an AbortMultipartUpload that failed is handed, to be tried again in the"
        " background: an IAbortRetrier, or None to log the failure and leave the upload"
        " to the sweeper."
    )

    async def create_bucket() -> None:
        """Create the bucket (the quick start's embedded S3 only)."""

    async def head_object(key: str):  # type: ignore[no-untyped-def]
        """
        Describe C{key}: an L{ObjectInfo}. A missing key raises L{S3Error}
        whose C{not_found} is true.
        """

    async def open_object(key: str, first_byte: int = 0):  # type: ignore[no-untyped-def]
        """
        Ask for C{key}'s body from byte C{first_byte} on, and return once the
        store has answered, before any of the body is read: an
        L{IObjectBody}, which says how long the whole object is and holds
        the body back until it is streamed or discarded. This is the one
        request a download makes: what the object is, and whether it exists
        (a missing key raises L{S3Error} whose C{not_found} is true), come
        with its bytes. A C{first_byte} at or past the end is no error: the
        body is then empty, and the object's size tells the caller so.
        """

    async def get_object_bytes(key: str):  # type: ignore[no-untyped-def]
        """The whole body of a small object, as bytes."""

    async def put_object(key: str, data=b""):  # type: ignore[no-untyped-def]
        """Store C{data} (bytes or a L{PartBody}) whole as C{key}; return its ETag."""

    async def copy_object(source_key: str, target_key: str, size: int) -> None:
        """
        Copy C{source_key}, of C{size} bytes, to C{target_key} inside the
        bucket, part by part when it is too large for one CopyObject.
        """

    async def delete_object(key: str) -> None:
        """Delete C{key}; a missing key is no error."""

    async def delete_objects(keys) -> None:  # type: ignore[no-untyped-def]
        """
        Delete at most L{twisted_ftps3.s3.limits.MAX_DELETE_KEYS} keys in one
        request. The first key S3 could not delete raises L{S3Error}.
        """

    async def list_objects(  # type: ignore[no-untyped-def]
        prefix: str,
        delimiter: str | None = None,
        max_keys: int | None = None,
        continuation_token: str | None = None,
    ):
        """One page of ListObjectsV2 under C{prefix}: a L{ListPage}."""

    def iter_pages(prefix: str, delimiter: str | None = None):  # type: ignore[no-untyped-def]
        """Every page of a listing, as an async iterator of L{ListPage}."""

    async def create_multipart_upload(key: str):  # type: ignore[no-untyped-def]
        """Start a multipart upload of C{key}; return its upload id."""

    async def upload_part(key: str, upload_id: str, number: int, body):  # type: ignore[no-untyped-def]
        """
        Send part C{number} (a L{PartBody}); return what S3 acknowledged of
        it, an L{UploadedPart} (its ETag with quotes, its checksum).
        """

    async def upload_part_copy(  # type: ignore[no-untyped-def]
        key: str, upload_id: str, number: int, source_key: str, first: int, last: int
    ):
        """
        Make part C{number} of bytes C{first}..C{last} of C{source_key};
        return an L{UploadedPart}, as L{upload_part} does.
        """

    async def complete_multipart_upload(key: str, upload_id: str, parts):  # type: ignore[no-untyped-def]
        """
        Join C{parts}, a sequence of C{(number, UploadedPart)}, into the object;
        return the ETag S3 says it made (unquoted), or C{None} if its
        answer names none.
        """

    async def abort_multipart_upload(key: str, upload_id: str) -> None:
        """Throw away an upload and its parts; an unknown upload is no error."""

    async def list_multipart_uploads(prefix: str = ""):  # type: ignore[no-untyped-def]
        """
        The uploads in progress under C{prefix}, over every page: a tuple of
        L{MultipartUploadEntry}.
        """

    async def list_multipart_upload_page(  # type: ignore[no-untyped-def]
        prefix: str = "",
        key_marker: str | None = None,
        upload_id_marker: str | None = None,
        max_uploads: int | None = None,
    ):
        """
        One page of ListMultipartUploads under C{prefix}, after the markers
        of the page before (at most C{max_uploads}, S3's 1,000 by default):
        an L{UploadPage}.
        """

    async def get_bucket_lifecycle():  # type: ignore[no-untyped-def]
        """
        The bucket's lifecycle rules, a tuple of L{LifecycleRule}; a bucket
        without a lifecycle configuration has none.
        """


class IObjectBody(Interface):
    """
    An object whose GET the store has answered, its body not read yet.

    The body waits, paused, for L{stream_into}; whoever opened it must
    either stream it or L{discard} it, or the connection it waits on is
    never given back.
    """

    info = Attribute(
        "What the answer said of the object: an ObjectInfo whose size is the whole"
        " object's, wherever the body starts."
    )

    first_byte = Attribute("Where in the object the body starts, as an int.")

    async def stream_into(consumer):  # type: ignore[no-untyped-def]
        """
        Write the body into C{consumer} (an C{IConsumer}), registering a
        streaming producer on it so that a slow consumer pauses the store;
        return the number of bytes written. Called at most once; a body cut
        off raises L{S3Error}.
        """

    def discard() -> None:
        """
        Let the body go unread: what holds it (an HTTP connection) is
        closed or given back. Harmless when the body has been streamed, or
        is being streamed: a stream is stopped by its consumer, through the
        producer it was given.
        """


class IAbortRetrier(Interface):
    """Keeps trying to abort multipart uploads whose abort failed."""

    def retry(store: IObjectStore, key: str, upload_id: str) -> None:
        """
        Try again, in the background, to abort upload C{upload_id} of C{key}
        in C{store}, until it works or a deadline passes.
        """
