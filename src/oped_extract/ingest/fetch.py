"""Fetching article URLs: timeouts, a size cap, and retries with backoff for transient faults only."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from oped_extract import __version__
from oped_extract.errors import FetchError, OversizedInput, TransientFetchError
from oped_extract.paths import is_http_url

# Status codes worth another try: the server is busy or briefly broken, not telling us the page is wrong.
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "igshid", "ocid", "cmpid")


@dataclass(frozen=True)
class FetchPolicy:
    """How patiently to fetch: per-phase timeouts (seconds), attempts and the backoff between them."""

    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    # One deadline per URL, across all attempts and waits: a server dripping a byte every few seconds never trips
    # read_timeout, and must not cost minutes.
    total_timeout: float = 60.0
    attempts: int = 4
    backoff: float = 1.0  # first wait; doubles on each retry
    max_backoff: float = 16.0
    max_redirects: int = 5
    user_agent: str = f"oped-extract/{__version__} (+https://github.com/oped-extract)"


DEFAULT_POLICY = FetchPolicy()


@dataclass(frozen=True)
class Page:
    """A fetched page: the final URL after redirects, its declared media type and charset, and the bytes."""

    url: str
    status: int
    media_type: str
    charset: str | None
    body: bytes


def canonical_url(url: str) -> str:
    """One spelling per page: lower-case scheme and host, no default port, fragment or tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not k.lower().startswith(_TRACKING_PARAMS)]
    return urlunsplit((scheme, netloc, path, urlencode(sorted(query)), ""))


def fetch(url: str, max_bytes: int, policy: FetchPolicy = DEFAULT_POLICY) -> Page:
    """GET `url`, retrying timeouts, connection errors and HTTP 408/429/5xx with exponential backoff, all within
    one deadline (`total_timeout`) for the URL.

    Raises FetchError for an answer that will not change on retry (4xx, bad URL, a redirect to file:// or
    another scheme), TransientFetchError when the attempts or the deadline run out, and OversizedInput when the
    page is larger than `max_bytes`."""
    import httpx  # imported here: only runs that read URLs pay for it

    if not is_http_url(url):
        raise FetchError(f"only http(s) URLs can be fetched, got {url!r}")
    deadline = time.monotonic() + policy.total_timeout
    headers = {"User-Agent": policy.user_agent, "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"}
    last_error = ""
    attempt = 0
    with httpx.Client(headers=headers, follow_redirects=True, max_redirects=policy.max_redirects) as client:
        while attempt < policy.attempts and (left := deadline - time.monotonic()) > 0:
            attempt += 1
            wait = min(policy.backoff * 2 ** (attempt - 1), policy.max_backoff)
            timeout = httpx.Timeout(min(policy.read_timeout, left), connect=min(policy.connect_timeout, left))
            try:
                return _get(client, url, max_bytes, timeout, deadline, policy)
            except _Retryable as exc:
                last_error = str(exc)
                wait = min(exc.retry_after, policy.max_backoff) if exc.retry_after is not None else wait
            except httpx.TooManyRedirects:
                raise FetchError(f"too many redirects (more than {policy.max_redirects}) fetching {url}") from None
            except httpx.UnsupportedProtocol as exc:  # e.g. a redirect to file:// - the same on every try
                raise FetchError(f"{url} leads to a URL that is not http(s) ({exc}); not followed") from None
            except httpx.InvalidURL as exc:
                raise FetchError(f"invalid URL {url!r}: {exc}") from None
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last_error = f"{type(exc).__name__}: {exc or 'no detail'}"
            if attempt < policy.attempts:
                time.sleep(max(0.0, min(wait, deadline - time.monotonic())))
    within = f" within the {policy.total_timeout:g}s deadline" if time.monotonic() >= deadline else ""
    attempts = f"{attempt} attempt{'s' * (attempt != 1)}"
    raise TransientFetchError(f"GET {url} failed after {attempts}{within}; last error: {last_error}")


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _get(client, url: str, max_bytes: int, timeout, deadline: float, policy: FetchPolicy) -> Page:
    with client.stream("GET", url, timeout=timeout) as response:
        status = response.status_code
        reason = f"HTTP {status} {response.reason_phrase}".strip()
        if status in TRANSIENT_STATUS:
            raise _Retryable(reason, _retry_after(response.headers.get("Retry-After")))
        if status >= 400:
            raise FetchError(f"{reason} for {url} (not retried: the server says the request itself is wrong)")
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise OversizedInput(f"page is {int(declared):,} bytes, over the {max_bytes:,}-byte cap: {url}")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise OversizedInput(f"page is over the {max_bytes:,}-byte cap (stopped reading): {url}")
            if time.monotonic() > deadline:
                raise _Retryable(f"download took longer than the {policy.total_timeout:g}s deadline")
            chunks.append(chunk)
        media_type, _, _ = response.headers.get("Content-Type", "").partition(";")
        charset = response.charset_encoding
        return Page(str(response.url), status, media_type.strip().lower(), charset, b"".join(chunks))


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds or as an HTTP date (RFC 9110)."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
