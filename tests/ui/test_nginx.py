"""The multi-server deployment of the README, run: two app servers behind nginx with the
configuration in deploy/nginx.conf (the file the README points at, ports replaced by free
ones). Pages open through the proxy, their websocket reaches the server that built the page,
a slider move and a simulation answer, and Chromium finds every resource through the proxy."""

import asyncio
import concurrent.futures
import contextlib
import re
import shutil
import subprocess
import time
import urllib.request

import pytest

from bench.browser import ROOT, free_port, serve_command, served, stop_process_group
from bench.load import Session
from tests.waiting import run_async

from .test_online_page import no_errors
from .test_spiked_page import open_page, source

pytestmark = pytest.mark.ui

CONFIG = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_config(listen: int, servers: list[int], prefix) -> str:
    """A main configuration around deploy/nginx.conf, with its ports replaced."""
    site = CONFIG.read_text()
    documented = re.findall(r"server 127\.0\.0\.1:(\d+);", site)
    assert len(documented) == 2, "deploy/nginx.conf: two upstream servers expected"
    for old, new in zip(documented, servers, strict=True):
        site = site.replace(f"server 127.0.0.1:{old};", f"server 127.0.0.1:{new};")
    assert "listen 80;" in site
    site = site.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    (prefix / "site.conf").write_text(site)
    return f"""
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
worker_processes 1;
events {{ worker_connections 256; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include /etc/nginx/mime.types;
    include {prefix}/site.conf;
}}
"""


@contextlib.contextmanager
def nginx(listen: int, servers: list[int], prefix):
    config = prefix / "nginx.conf"
    config.write_text(nginx_config(listen, servers, prefix))
    check = subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(prefix)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-c", str(config), "-p", str(prefix), "-g", "daemon off;"],
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{listen}/liveness", timeout=5):
                    break
            except OSError:
                assert proc.poll() is None, (prefix / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx did not answer"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{listen}"
    finally:
        stop_process_group(proc)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """Two servers as `make run` starts them, with the proxy's address as their websocket
    origin and --use-xheaders, and nginx in front."""
    if not shutil.which("nginx") and not shutil.which(NGINX):
        pytest.fail("nginx is missing: `apt-get install nginx` (.ci/run installs it)")
    listen, ports = free_port(), [free_port(), free_port()]
    prefix = tmp_path_factory.mktemp("nginx")
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / name).mkdir()
    servers = [served([*serve_command(port), "--allow-websocket-origin", f"127.0.0.1:{listen}",
                       "--use-xheaders"], port, timeout=240) for port in ports]
    with contextlib.ExitStack() as stack:
        # both start (and warm their caches) at once
        with concurrent.futures.ThreadPoolExecutor(2) as starting:
            started = [starting.submit(server.__enter__) for server in servers]
        for server, start in zip(servers, started, strict=True):
            if start.exception() is None:
                stack.push(server)
        for start in started:
            start.result()
        url = stack.enter_context(nginx(listen, ports, prefix))
        yield url, ports


def _server_logs(ports) -> list[str]:
    return [(ROOT / f".server-{port}.log").read_text() for port in ports]


async def _slider_and_simulation(base: str) -> dict:
    session = Session(base, tab=0, query="amp_n=500")  # a short simulation
    await session.open()
    try:
        slider = session.find("Slider", title="Sparsity ρ")
        curves = session.find("ColumnDataSource", name="spiked-curves")
        changed = session.expect_change(curves)
        await session.set_value(slider, 0.2)
        await asyncio.wait_for(changed, 60)
        runs = session.find("ColumnDataSource", name="spiked-amp")
        finished = session.expect_change(runs)
        await session.click(session.find("Button", label="Run AMP"))
        await asyncio.wait_for(finished, 180)
        return {"errors": session.errors}
    finally:
        await session.close()


def test_through_nginx_a_page_moves_a_slider_and_runs_a_simulation(proxied):
    base, ports = proxied
    before = [log.count("WebSocket connection opened") for log in _server_logs(ports)]
    pages = [log.count("GET /app") for log in _server_logs(ports)]
    assert run_async(_slider_and_simulation(base)) == {"errors": []}
    opened = [log.count("WebSocket connection opened") - b
              for log, b in zip(_server_logs(ports), before, strict=True)]
    served_pages = [log.count("GET /app") - p
                    for log, p in zip(_server_logs(ports), pages, strict=True)]
    # sticky: the page and its websocket on the same server (ip_hash: one client, one server)
    assert sorted(opened) == [0, 1]
    assert opened.index(1) == served_pages.index(max(served_pages))


def test_several_pages_through_nginx_work_at_once(proxied):
    base, _ = proxied

    async def many():
        return await asyncio.gather(*[_slider_and_simulation(base) for _ in range(3)])

    assert run_async(many()) == [{"errors": []}] * 3


def test_chromium_opens_the_page_through_nginx(proxied, page):
    base, _ = proxied
    open_page(page, f"{base}/app", timeout=90_000)
    page.wait_for_timeout(1000)
    no_errors(page)
    assert all(url.startswith(base) for url in page.requests_seen), [
        u for u in page.requests_seen if not u.startswith(base)][:5]
    assert len(source(page, "spiked-curves")["snr"]) > 0
