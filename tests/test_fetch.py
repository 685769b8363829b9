"""Fetching URLs from a real HTTP server on 127.0.0.1: the sample page, transient faults, hard faults, size caps."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from oped_extract.ingest.discovery import url_source
from oped_extract.ingest.fetch import FetchPolicy, canonical_url
from oped_extract.ingest.readers import ingest, read_source, read_uri
from oped_extract.ingest.records import Article, Failure, make_article_id

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SAMPLE_HTML = (SAMPLES / "000_0c9b78742a5f1fc9.html").read_bytes()
SAMPLE_TXT = (SAMPLES / "000_0c9b78742a5f1fc9.txt").read_bytes()
FAST = FetchPolicy(connect_timeout=1.0, read_timeout=0.5, total_timeout=5.0, attempts=3, backoff=0.01)
METADATA = ("title", "author", "author_handle", "author_bio", "published_date", "publisher", "site", "body_text")


class Handler(BaseHTTPRequestHandler):
    hits: ClassVar[Counter] = Counter()

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client hung up early (size cap), as it may
            self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        Handler.hits[path] += 1
        hits = Handler.hits[path]
        if path == "/opinion/strikes":
            self.send(200, SAMPLE_HTML)
        elif path == "/plain":
            self.send(200, SAMPLE_TXT, "text/plain; charset=utf-8")
        elif path == "/flaky":  # two 503s, then the page
            self.send(503, b"busy") if hits <= 2 else self.send(200, SAMPLE_HTML)
        elif path == "/rate-limited":
            self.send(429, b"slow down", Retry_After="0") if hits == 1 else self.send(200, SAMPLE_HTML)
        elif path == "/down":
            self.send(502, b"bad gateway")
        elif path == "/missing":
            self.send(404, b"not here")
        elif path == "/slow":
            time.sleep(1.5)
            self.send(200, SAMPLE_HTML)
        elif path == "/big":
            self.send(200, b"<p>" + b"x" * 50_000 + b"</p>")
        elif path == "/big-unannounced":  # no Content-Length: the cap must hold while streaming
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.close_connection = True
            try:
                for _ in range(50):
                    self.wfile.write(b"<p>" + b"x" * 1000 + b"</p>")
            except OSError:  # the client hung up once over its cap, as it should
                pass
        elif path == "/moved":
            self.send(301, b"", Location="/opinion/strikes")
        elif path == "/report.pdf":
            self.send(200, b"%PDF-1.4 ...", "application/pdf")
        elif path == "/boilerplate":
            self.send(200, b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
        else:
            self.send(404, b"")


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def reset_hits():
    Handler.hits.clear()


def read(url: str, max_bytes: int = 5_000_000) -> Article | Failure:
    items = list(read_source(url_source(url), max_bytes=max_bytes, policy=FAST))
    assert len(items) == 1, items
    return items[0]


def test_a_url_gives_the_same_article_as_the_sample_file(server):
    txt = next(iter(ingest([SAMPLES / "000_0c9b78742a5f1fc9.txt"])))
    url = f"{server}/opinion/strikes"
    a = read(url)
    assert isinstance(a, Article)
    assert {k: getattr(a, k) for k in METADATA} == {k: getattr(txt, k) for k in METADATA}
    assert a.source_uri == url
    assert a.article_id == make_article_id(f"url:{url}")


def test_url_spellings_of_one_page_share_an_article_id_and_are_read_once(server):
    other_spelling = f"{server.upper().replace('HTTP://', 'http://')}/opinion/strikes?utm_source=twitter#comments"
    urls = [f"{server}/opinion/strikes", other_spelling]
    items = list(ingest(urls))
    assert len(items) == 1 and isinstance(items[0], Article)
    assert Handler.hits["/opinion/strikes"] == 1  # one page, fetched once


def test_read_uri_refetches_with_the_same_article_id(server):
    first = read(f"{server}/opinion/strikes")
    again = read_uri(first.source_uri, policy=FAST)
    assert [a.article_id for a in again] == [first.article_id]


def test_plain_text_and_redirects(server):
    plain = read(f"{server}/plain")
    assert isinstance(plain, Article) and plain.publisher == "The News" and plain.site == "Geo.tv"
    moved = read(f"{server}/moved")
    assert isinstance(moved, Article) and moved.article_id == make_article_id(f"url:{server}/moved")


def test_transient_faults_are_retried_until_the_page_comes(server):
    assert isinstance(read(f"{server}/flaky"), Article)
    assert Handler.hits["/flaky"] == 3
    assert isinstance(read(f"{server}/rate-limited"), Article)
    assert Handler.hits["/rate-limited"] == 2


def test_a_server_that_stays_down_is_a_fetch_failure_after_all_attempts(server):
    f = read(f"{server}/down")
    assert (f.stage, f.error_type) == ("fetch", "TransientFetchError")
    assert "3 attempts" in f.message and "502" in f.message
    assert Handler.hits["/down"] == 3


def test_4xx_is_not_retried(server):
    f = read(f"{server}/missing")
    assert (f.stage, f.error_type) == ("fetch", "FetchError")
    assert "404" in f.message
    assert Handler.hits["/missing"] == 1


def test_a_read_timeout_is_retried_then_reported(server):
    f = read(f"{server}/slow")
    assert (f.stage, f.error_type) == ("fetch", "TransientFetchError")
    assert "ReadTimeout" in f.message
    assert Handler.hits["/slow"] == 3


def test_an_unreachable_host_is_a_fetch_failure():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    f = read(f"http://127.0.0.1:{port}/x")
    assert (f.stage, f.error_type) == ("fetch", "TransientFetchError")
    assert "ConnectError" in f.message


@pytest.mark.parametrize("path", ["/big", "/big-unannounced"])
def test_pages_over_the_size_cap_are_rejected(server, path):
    f = read(f"{server}{path}", max_bytes=10_000)
    assert f.error_type == "OversizedInput" and "10,000-byte cap" in f.message


def test_non_html_and_empty_pages_are_rejected(server):
    assert read(f"{server}/report.pdf").error_type == "UnsupportedInput"
    assert read(f"{server}/boilerplate").error_type == "NoExtractableText"
    assert read("ftp://example.org/a.html").error_type == "FetchError"


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("HTTPS://WWW.Geo.TV:443/latest/1/?utm_source=x&b=2&a=1#top", "https://www.geo.tv/latest/1?a=1&b=2"),
        ("http://example.org", "http://example.org/"),
        ("http://example.org:8080/a?fbclid=abc", "http://example.org:8080/a"),
    ],
)
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical
