"""
TLS handshakes in memory, between two pyOpenSSL connections without
sockets, whose bytes the test carries from one side to the other: for unit
tests of the server's TLS contexts, session reuse and data channels.
"""

from __future__ import annotations

from OpenSSL import SSL


def handshake(server_context: SSL.Context, version: int) -> SSL.Connection:
    """
    Complete a handshake between C{server_context} and a client that speaks
    only TLS C{version}, and return the client's side.

    The client allows every cipher (security level 0), so that only the
    server's settings can make the handshake fail.

    @raise SSL.Error: if the handshake fails.
    """
    client_context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    client_context.set_min_proto_version(version)
    client_context.set_max_proto_version(version)
    client_context.set_cipher_list(b"DEFAULT:@SECLEVEL=0")
    server = SSL.Connection(server_context, None)
    client = SSL.Connection(client_context, None)
    handshake_between(client, server)
    return client


def handshake_between(client: SSL.Connection, server: SSL.Connection) -> None:
    """
    Complete a handshake between two connections, carrying the bytes each
    side writes to the other until both are done.

    What the server writes once its handshake is over (TLS 1.3 session
    tickets) is carried into the client's input too, unread.

    @raise SSL.Error: if the handshake fails.
    """
    server.set_accept_state()
    client.set_connect_state()
    done = {client: False, server: False}
    for _ in range(20):
        for side, other in ((client, server), (server, client)):
            if not done[side]:
                try:
                    side.do_handshake()
                except SSL.WantReadError:
                    pass
                else:
                    done[side] = True
            try:
                other.bio_write(side.bio_read(65536))
            except SSL.WantReadError:
                pass
        if all(done.values()):
            return
    raise AssertionError("the handshake did not finish")


def client_context(version: int, tickets: bool = True) -> SSL.Context:
    """
    A client's context that speaks only TLS C{version} and keeps its
    sessions; without C{tickets}, it asks for none, so that under TLS 1.2
    its sessions resume by session ID.
    """
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_min_proto_version(version)
    context.set_max_proto_version(version)
    context.set_session_cache_mode(SSL.SESS_CACHE_CLIENT)
    if not tickets:
        context.set_options(SSL.OP_NO_TICKET)
    return context


def client_connection(context: SSL.Context, session: SSL.Session | None = None) -> SSL.Connection:
    """A client's connection from C{context}, offering C{session} if one is given."""
    connection = SSL.Connection(context, None)
    if session is not None:
        connection.set_session(session)
    return connection


def session_after(client: SSL.Connection, server: SSL.Connection) -> SSL.Session:
    """
    The client's TLS session once a handshake between C{client} and
    C{server} is over, as a client would keep it to resume.

    The server sends a few bytes and the client reads them first: under
    TLS 1.3 the session tickets follow the handshake, and the client
    processes them only when it reads.
    """
    server.send(b"ready")
    client.bio_write(server.bio_read(65536))
    assert client.recv(65536) == b"ready"
    return client.get_session()
