"""
twisted-ftps3: an FTPS server that keeps every file in an S3 bucket.

Run it with ``twistd -n ftps3``; see L{twisted_ftps3.tap} for its options.
"""
