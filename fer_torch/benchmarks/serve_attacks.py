"""Good users under attack: paced clients whose every other request is one of issue 23's attacks, against good
requests alone; reports failed good requests, their p50/p95 latency and the server process's RSS growth.

Each client sends one request every ``1 / rate`` seconds (a camera tab, not a flood), alternating a good
``POST /api/predict`` of a face frame with the next attack of :data:`ATTACKS`."""

from __future__ import annotations

import io
import itertools
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from fer_torch.hardware import process_rss_mb

JPEG = {"Content-Type": "image/jpeg"}


def png_bomb(width: int = 20000, height: int = 20000) -> bytes:
    """A 1-bit PNG of ``width`` x ``height`` zeros: ~60 KB on the wire, 1.2 GB once decoded to BGR."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    packer = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


@dataclass
class Payloads:
    """The bodies the clients send, built once."""

    face: bytes
    tiny: bytes = field(default_factory=lambda: cv2.imencode(".jpg", np.zeros((1, 1, 3), np.uint8))[1].tobytes())
    bomb: bytes = field(default_factory=png_bomb)


def raw_post(url: str, head: bytes, body: bytes, read: bool = True) -> int:
    """Send a hand-made request on a fresh socket; the answer's status (0 when the server closed without one)."""
    host, port = url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + body)
        if not read:
            return 0
        answer = sock.recv(64)
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def chunked_over_limit(session, url: str, p: Payloads, limit_mb: float) -> int:
    body = p.face + b"\0" * int((limit_mb + 1) * 2**20)
    parts = b"".join(b"%x\r\n%s\r\n" % (len(body[i : i + 2**16]), body[i : i + 2**16])
                     for i in range(0, len(body), 2**16)) + b"0\r\n\r\n"
    head = (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    return raw_post(url, head, parts)


def stalled_upload(session, url: str, p: Payloads, limit_mb: float) -> int:
    """Start an upload and never finish it: the socket timeout frees the server's thread."""
    head = (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
            b"Content-Length: 100000\r\n\r\n")
    threading.Thread(target=raw_post, args=(url, head, p.face[:100]), daemon=True).start()
    return 0


def tab_freeze(session, url: str, p: Payloads, limit_mb: float) -> int:
    tab = f"attack-{threading.get_ident()}"
    session.post(f"{url}/api/frame?tab={tab}", data=p.face, headers=JPEG, timeout=30)
    return session.post(f"{url}/api/frame?tab={tab}", data=p.tiny, headers=JPEG, timeout=30).status_code


def size_change(session, url: str, p: Payloads, limit_mb: float) -> int:
    small = cv2.imencode(".jpg", cv2.resize(cv2.imdecode(np.frombuffer(p.face, np.uint8), cv2.IMREAD_COLOR),
                                            (320, 240)))[1].tobytes()
    return session.post(f"{url}/api/frame?tab=attack-{threading.get_ident()}", data=small, headers=JPEG,
                        timeout=30).status_code


def upload(name: str, body: Callable[[Payloads], bytes], mimetype: str):
    def attack(session, url: str, p: Payloads, limit_mb: float) -> int:
        return session.post(f"{url}/api/upload", files={"file": (name, io.BytesIO(body(p)), mimetype)},
                            timeout=60).status_code
    return attack


def many_fields(session, url: str, p: Payloads, limit_mb: float) -> int:
    fields = {f"f{i}": (None, "x") for i in range(5000)}
    return session.post(f"{url}/api/upload", files=fields, timeout=30).status_code


ATTACKS: dict[str, Callable] = {
    "1x1 frame on a tracked tab (finding 1)": tab_freeze,
    "frame-size change on a tab (2)": size_change,
    "20000x20000 PNG bomb (3)": lambda s, url, p, mb: s.post(f"{url}/api/predict", data=p.bomb,
                                                              headers={"Content-Type": "image/png"},
                                                              timeout=30).status_code,
    "image + <script> named x.html (4)": upload("x.html", lambda p: p.face + b"<script>alert(1)</script>",
                                               "application/octet-stream"),
    "HTML upload (4)": upload("x.html", lambda p: b"<html><script>alert(1)</script></html>", "text/html"),
    "cross-origin POST (5)": lambda s, url, p, mb: s.post(f"{url}/api/predict", data=p.face,
                                                         headers={**JPEG, "Origin": "https://evil.example"},
                                                         timeout=30).status_code,
    "foreign Host header (5)": lambda s, url, p, mb: s.get(f"{url}/api/health", headers={"Host": "evil.example"},
                                                           timeout=30).status_code,
    "chunked body over the limit (8)": chunked_over_limit,
    "form of 5,000 fields (8)": many_fields,
    "truncated JPEG upload (8)": upload("cut.jpg", lambda p: p.face[: len(p.face) // 2], "image/jpeg"),
    "stalled upload (9)": stalled_upload,
}
"""Issue 23's attacks, each one request (finding number in brackets); the answer's status is recorded."""


@dataclass
class LoadResult:
    good_ms: list[float] = field(default_factory=list)
    good_failed: int = 0
    attack_status: dict[str, set[int]] = field(default_factory=dict)


def paced_load(url: str, payloads: Payloads, clients: int, seconds: float, rate: float, attacks: bool,
               limit_mb: float) -> LoadResult:
    """``clients`` threads for ``seconds``, each sending ``rate`` requests/s: good ones only, or every other one an
    attack (cycling through :data:`ATTACKS`)."""
    import requests

    result = LoadResult()
    lock = threading.Lock()
    names = itertools.cycle(ATTACKS)
    deadline = time.perf_counter() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        next_at = time.perf_counter() + index / (clients * rate)  # clients spread over one period
        for n in itertools.count():
            time.sleep(max(0.0, next_at - time.perf_counter()))
            if time.perf_counter() > deadline:
                return
            next_at += 1 / rate
            if attacks and n % 2 == 1:
                with lock:
                    name = next(names)
                try:
                    status = ATTACKS[name](session, url, payloads, limit_mb)
                except requests.RequestException:
                    status = 0
                with lock:
                    result.attack_status.setdefault(name, set()).add(status)
                continue
            start = time.perf_counter()
            try:
                ok = session.post(f"{url}/api/predict", data=payloads.face, headers=JPEG, timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            with lock:
                result.good_ms.append(1000 * (time.perf_counter() - start))
                result.good_failed += not ok

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return result


def attack_report(url: str, face: bytes, clients: int, seconds: float, rate: float, limit_mb: float) -> list[str]:
    """Markdown lines: good requests alone with 1 client, then with ``clients`` clients half of whose requests are
    attacks; failed good requests, p50/p95, and RSS growth over the attacked run."""
    import requests

    payloads = Payloads(face)
    alone = paced_load(url, payloads, 1, seconds / 2, rate, False, limit_mb)
    with requests.Session() as session:  # warm-up: first uploads import the plotting code
        for attack in ATTACKS.values():
            attack(session, url, payloads, limit_mb)
    rss_before = process_rss_mb()
    attacked = paced_load(url, payloads, clients, seconds, rate, True, limit_mb)
    rss_growth = process_rss_mb() - rss_before
    p95_alone = float(np.percentile(alone.good_ms, 95))
    p50, p95 = np.percentile(attacked.good_ms, [50, 95])
    statuses = "; ".join(f"{name}: {', '.join(str(s) for s in sorted(codes))}"
                         for name, codes in attacked.attack_status.items())
    return [
        f"Good users under attack: {clients} clients for {seconds:g} s, each sending {rate:g} requests/s, every "
        f"other one an attack; the baseline is 1 client sending good requests only for {seconds / 2:g} s.",
        "",
        "| run | good requests | good failed | good p50 ms | good p95 ms | p95 / 1-client p95 | RSS growth MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| 1 client, good only | {len(alone.good_ms)} | {alone.good_failed} | "
        f"{np.percentile(alone.good_ms, 50):.0f} | {p95_alone:.0f} | 1.00 | |",
        f"| {clients} clients, half attacks | {len(attacked.good_ms)} | {attacked.good_failed} | {p50:.0f} | "
        f"{p95:.0f} | {p95 / p95_alone:.2f} | {rss_growth:+.0f} |",
        "",
        f"Attack answers (HTTP status; 0: connection closed by the server): {statuses}.",
        "",
    ]
