"""A response body as the parser reads it: bounded in time and size, decoded honestly.

The parser (`xml.iter_records`) pulls the body through `BodyReader.read` as the bytes arrive,
so a response is never held whole in memory. Each read enforces what a request must never
exceed:

- a total deadline for the body (a body that trickles one byte a second is cut when the
  deadline passes, not when a single read stalls longer than the read timeout);
- a size cap (`ResponseTooLarge`, not retried: the same request returns the same size);
- one honest encoding. Netvisor answers in UTF-8, but bodies have been seen whose XML
  declaration names ISO-8859-15 while the bytes are UTF-8. Trusting the declaration would turn
  "ö" into "Ã¶". The reader always hands the parser UTF-8 with a declaration that says so:
  bytes that are valid UTF-8 stay as they are whatever the declaration claims; bytes that are
  not UTF-8 are decoded with the declared single-byte encoding; a body that mixes both (or
  declares UTF-8 and is not) raises `EncodingMismatch` naming the resource.

The first bytes are kept (`prefix`) so an error body that is not well-formed XML can still be
read for its `<Status>` text, and the envelope's TimeStamp found without a second parse.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from netvisor_assets.netvisor.errors import DeadlineExceeded, EncodingMismatch, ResponseTooLarge

if TYPE_CHECKING:
    import httpx

PREFIX_BYTES = 64 * 1024
_DECLARATION = re.compile(rb"^(\xef\xbb\xbf)?\s*<\?xml[^>]*?\?>", re.DOTALL)
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# The UTF-8 encoding of a Latin-1 supplement letter read as ISO-8859-x: "Ã" or "Â" then a byte
# 0x80-0xBF. In Finnish or Swedish text decoded as ISO-8859-15 it means UTF-8 bytes slipped in.
_MOJIBAKE = re.compile(rb"[\xc2\xc3][\x80-\xbf]")
# The first byte outside ASCII: the first place where a body's encoding can be told.
_NON_ASCII = re.compile(rb"[\x80-\xff]")
_UTF8 = frozenset({"utf-8", "utf8"})


def _norm(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


class BodyReader:
    """File-like view of a streamed body for `iterparse`: deadline, size cap, UTF-8 out."""

    def __init__(
        self,
        chunks: Iterator[bytes],
        *,
        resource: str,
        deadline: float,
        max_bytes: int,
        timeout: float,
    ) -> None:
        self._chunks = chunks
        self.resource = resource
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.bytes_read = 0
        self.prefix = b""
        self._pending = b""
        self._head = b""
        self._started = False
        self._eof = False
        self._declared = "utf-8"
        self._mode: str | None = None  # "utf-8" or the declared single-byte codec, once known
        self._validator = codecs.getincrementaldecoder("utf-8")("strict")
        self._carry = b""

    # -- the parser's side ---------------------------------------------------------------

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size < 0 or len(self._pending) < size):
            self._pull()
        if size < 0:
            out, self._pending = self._pending, b""
        else:
            out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def read_all(self) -> bytes:
        """The rest of the body (bounded by the size cap), for small irregular responses."""
        return self.read(-1)

    # -- the network's side --------------------------------------------------------------

    def received(self) -> bytes:
        """The whole body as it came, read off the network now (deadline and size cap checked
        as it arrives); decoding is left to the parse (`xml.body_reader`).

        Why: the company's turn ends with the last byte, not with the parse, so the next
        request can be on its way while this response is parsed (one request in flight still).
        """
        chunks = []
        while (chunk := self._next_chunk()) is not None:
            chunks.append(chunk)
        return b"".join(chunks)

    def _next_chunk(self) -> bytes | None:
        if time.monotonic() > self.deadline:
            raise self._late()
        try:
            chunk = next(self._chunks)
        except StopIteration:
            return None
        if time.monotonic() > self.deadline:
            raise self._late()
        self.bytes_read += len(chunk)
        if self.bytes_read > self.max_bytes:
            raise ResponseTooLarge(
                f"response body exceeds the {self.max_bytes // (1024 * 1024)} MB cap "
                "(NETVISOR_MAX_RESPONSE_MB); narrow the request window",
                resource=self.resource,
            )
        return chunk

    def _pull(self) -> None:
        chunk = self._next_chunk()
        if chunk is None:
            self._eof = True
            self._flush()
            return
        if len(self.prefix) < PREFIX_BYTES:
            self.prefix += chunk[: PREFIX_BYTES - len(self.prefix)]
        if not self._started:
            self._head += chunk
            # The declaration ends within the first few hundred bytes; wait until it is whole.
            if b"?>" not in self._head and len(self._head) < 1024 and b"<" not in self._head[5:]:
                return
            self._started = True
            chunk, self._head = self._declaration(self._head), b""
        self._pending += self._decode(chunk)

    def _late(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"no complete response within {self.timeout:.0f} s (NETVISOR_TIMEOUT_SECONDS); "
            f"{self.bytes_read} bytes had arrived",
            resource=self.resource,
        )

    def _declaration(self, head: bytes) -> bytes:
        """Read the declared encoding and rewrite the declaration to say UTF-8."""
        match = _DECLARATION.match(head)
        if not match:
            return head
        found = _ENCODING.search(match.group(0))
        if not found:
            return head
        self._declared = _norm(found.group(1).decode("ascii"))
        if self._declared in _UTF8:
            return head
        # The parser gets UTF-8 whatever the bytes were; the declaration must say so.
        start, end = found.span(1)
        return head[:start] + b"UTF-8" + head[end:]

    def _decode(self, chunk: bytes) -> bytes:
        if self._mode is None:
            data = self._carry + chunk
            self._carry = b""
            # Most bodies are all ASCII: one C-level test per chunk, not a Python loop per byte.
            if data.isascii():
                return data
            found = _NON_ASCII.search(data)
            assert found is not None
            first = found.start()
            if len(data) - first < 4 and not self._eof:
                # Too few bytes to tell a UTF-8 sequence from single-byte letters yet.
                self._carry = data[first:]
                return data[:first]
            if _starts_utf8(data[first:]):
                self._mode = "utf-8"
            elif self._declared in _UTF8:
                raise self._mismatch("declares UTF-8 but holds bytes that are not UTF-8")
            else:
                self._mode = self._declared
            chunk = data
        if self._mode == "utf-8":
            try:
                self._validator.decode(chunk, final=False)
            except UnicodeDecodeError:
                raise self._mismatch(
                    "mixes UTF-8 with bytes that are not UTF-8"
                    if self._declared not in _UTF8
                    else "declares UTF-8 but holds bytes that are not UTF-8"
                ) from None
            return chunk
        if _MOJIBAKE.search(self._carry[-1:] + chunk):
            raise self._mismatch(f"mixes {self._declared} with UTF-8 byte sequences")
        self._carry = chunk[-1:]
        try:
            return chunk.decode(self._mode, errors="strict").encode("utf-8")
        except (LookupError, UnicodeDecodeError):
            raise self._mismatch("cannot be decoded") from None

    def _flush(self) -> None:
        if self._mode is None and self._carry:
            carry, self._carry = self._carry, b""
            self._pending += self._decode(carry)
        elif not self._started and self._head:
            self._started = True
            head, self._head = self._declaration(self._head), b""
            self._pending += self._decode(head)

    def _mismatch(self, what: str) -> EncodingMismatch:
        return EncodingMismatch(
            f"the body {what} (declared encoding {self._declared}); refusing to guess, "
            "nothing was stored",
            resource=self.resource,
        )


def _starts_utf8(data: bytes) -> bool:
    """Whether `data` starts with one complete, valid multi-byte UTF-8 sequence."""
    lead = data[0]
    if 0xC2 <= lead <= 0xDF:
        length = 2
    elif 0xE0 <= lead <= 0xEF:
        length = 3
    elif 0xF0 <= lead <= 0xF4:
        length = 4
    else:
        return False
    try:
        data[:length].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Watchdog:
    """Shuts a response's socket at the deadline, so a read blocked on a stalled body ends.

    Without a socket (a test transport) the deadline is still checked between chunks.
    """

    def __init__(self, response: httpx.Response, deadline: float) -> None:
        self.fired = False
        stream = response.extensions.get("network_stream")
        self._socket = stream.get_extra_info("socket") if stream is not None else None
        self._timer: threading.Timer | None = None
        if self._socket is not None:
            self._timer = threading.Timer(max(deadline - time.monotonic(), 0.0), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
