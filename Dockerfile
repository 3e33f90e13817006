# learning-phases: the same install and serve command as `make run`, in a slim image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    NUMBA_CACHE_DIR=/tmp/numba-cache \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

RUN useradd --create-home --uid 1000 app
WORKDIR /home/app/learning-phases

COPY pyproject.toml README.md ./
COPY theory ./theory
COPY dashboards ./dashboards
RUN python -m pip install --upgrade "pip>=25.1" && python -m pip install .

COPY app.py ./
COPY assets ./assets

USER app
EXPOSE 5006

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5006/liveness', timeout=4).status == 200 else 1)"

# Set ORIGIN to the host:port users type in their browser (e.g. lecture.example.org:5006).
# PROCS: worker processes (one per core the container may use).
# LEARNING_PHASES_POOL: pages built ahead per link for arriving students (0: none).
ENV ORIGIN=localhost:5006 PROCS=1 LEARNING_PHASES_POOL=12
CMD ["sh", "-c", "exec panel serve app.py --address 0.0.0.0 --port 5006 --allow-websocket-origin \"$ORIGIN\" --static-dirs assets=assets --global-loading-spinner --warm --liveness --num-procs \"$PROCS\" --check-unused-sessions 5000 --unused-session-lifetime 15000 --session-token-expiration 300"]
