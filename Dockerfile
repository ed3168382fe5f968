# twisted-ftps3: an implicit-FTPS server that streams every file into one S3 bucket.
#
#     docker build -t twisted-ftps3 .
#     docker run --rm -p 8021:8021 -p 8022:8022 -p 4001-4030:4001-4030 -e ... twisted-ftps3
#
# Every setting is an environment variable (see README.md, "Configuration"); arguments
# after the image name are passed to `twistd ftps3` as options. The passive ports must be
# published under the same numbers, because PASV replies name the port inside.

FROM python:3.11-slim

# MALLOC_MMAP_THRESHOLD_ keeps glibc giving each upload part its own mapping, freed when the
# part is sent; left to itself glibc moves parts to a heap it may not shrink (README, "Uploads").
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# An unprivileged account to run as; $HOME/ssl.crt and $HOME/ssl.key are the default
# certificate and key, so mount them there or set FTP_TLS_CERTIFICATE_FILE / _KEY_FILE.
RUN useradd --create-home --home-dir /home/ftps3 --uid 10001 --user-group --shell /usr/sbin/nologin ftps3

WORKDIR /src
COPY . .
# Install, then build Twisted's plugin cache (twisted/plugins/dropin.cache) while still
# root: the unprivileged user cannot write into site-packages, and twistd would otherwise
# complain at every start that it cannot save the cache.
RUN pip install --no-cache-dir . \
    && python -c "from twisted.plugin import IPlugin, getPlugins; list(getPlugins(IPlugin))" \
    && twistd ftps3 --help > /dev/null

USER ftps3
ENV HOME=/home/ftps3
WORKDIR /home/ftps3

# FTP command port, health check, passive data range: the defaults of FTP_COMMAND_PORT,
# HEALTHCHECK_PORT, FTP_DATA_PORTS_FIRST and FTP_DATA_PORTS_COUNT.
EXPOSE 8021 8022 4001-4030

# Shell form, so that HEALTHCHECK_PORT is read when the check runs.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${HEALTHCHECK_PORT:-8022}/health', timeout=4).read()"

# -n: stay in the foreground and log to stdout; --pidfile=: no pid file to write.
ENTRYPOINT ["twistd", "-n", "--pidfile=", "ftps3"]
