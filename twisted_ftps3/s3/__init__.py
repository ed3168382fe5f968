"""
Everything that knows S3: the L{IObjectStore} boundary, the HTTP client
that implements it with SigV4, the streaming multipart writer, and S3's
limits and error type. Nothing outside this package and the shell imports
from it, except the service wiring in L{twisted_ftps3.tap}.
"""
