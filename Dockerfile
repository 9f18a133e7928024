# The API image: the service and its Python dependencies. No untrusted code runs here; code is
# executed by the sandbox image (sandbox/Dockerfile). BASE_IMAGE defaults to the official slim
# Python image; CI passes a locally debootstrapped Debian (see .ci/setup-docker.sh).
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt PATH=/opt/venv/bin:$PATH
RUN python3 -m venv /opt/venv
WORKDIR /app
COPY pyproject.toml README.md ./
COPY verifiers ./verifiers
COPY sandbox ./sandbox
COPY adapters ./adapters
RUN pip install --no-cache-dir . && useradd --system --uid 10001 --no-create-home verifiers 2>/dev/null \
    || (echo "verifiers:x:10001:10001::/app:/usr/sbin/nologin" >> /etc/passwd)
# The compose sandbox replicas' runner sockets appear here (a tmpfs volume, root:10001, 0750).
RUN mkdir -p /run/sandbox
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=5s --timeout=3s --retries=30 CMD ["python3", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status == 200 else 1)"]
# Inside the container the API must listen on all interfaces to be reachable through the
# published port; compose publishes it on the host's loopback only.
CMD ["verifiers", "serve", "--host", "0.0.0.0", "--port", "8000"]
