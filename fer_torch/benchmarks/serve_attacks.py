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


def chunked_body(body: bytes, size: int = 1 << 16) -> bytes:
    """``body`` in HTTP/1.1 chunked transfer encoding."""
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


@dataclass
class Payloads:
    """The bodies the clients send, built once (the benchmark's clients share the server's process)."""

    face: bytes
    limit_mb: float
    tiny: bytes = field(default_factory=lambda: cv2.imencode(".jpg", np.zeros((1, 1, 3), np.uint8))[1].tobytes())
    bomb: bytes = field(default_factory=png_bomb)
    over_limit: bytes = b""

    def __post_init__(self) -> None:
        self.over_limit = chunked_body(self.face + b"\0" * int((self.limit_mb + 1) * 2**20))


def raw_post(url: str, head: bytes, body: bytes, stall_s: float = 0.0) -> int:
    """Send a hand-made request on a fresh socket; the answer's status (0 when the server closed without one).
    With ``stall_s`` the request is left unfinished that long and no answer is read."""
    host, port = url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(head + body)
        if stall_s:
            time.sleep(stall_s)
            return 0
        answer = sock.recv(64)
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


def chunked_over_limit(session, url: str, p: Payloads) -> int:
    head = (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    return raw_post(url, head, p.over_limit)


def stalled_upload(session, url: str, p: Payloads) -> int:
    """Start an upload and leave it unfinished for 40 s: the server's socket timeout frees its thread first."""
    head = (b"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
            b"Content-Length: 100000\r\n\r\n")
    threading.Thread(target=raw_post, args=(url, head, p.face[:100], 40.0), daemon=True).start()
    return 0


def tab_freeze(session, url: str, p: Payloads) -> int:
    tab = f"attack-{threading.get_ident()}"
    session.post(f"{url}/api/frame?tab={tab}", data=p.face, headers=JPEG, timeout=30)
    return session.post(f"{url}/api/frame?tab={tab}", data=p.tiny, headers=JPEG, timeout=30).status_code


def size_change(session, url: str, p: Payloads) -> int:
    small = cv2.imencode(".jpg", cv2.resize(cv2.imdecode(np.frombuffer(p.face, np.uint8), cv2.IMREAD_COLOR),
                                            (320, 240)))[1].tobytes()
    return session.post(f"{url}/api/frame?tab=attack-{threading.get_ident()}", data=small, headers=JPEG,
                        timeout=30).status_code


def upload(name: str, body: Callable[[Payloads], bytes], mimetype: str):
    def attack(session, url: str, p: Payloads) -> int:
        return session.post(f"{url}/api/upload", files={"file": (name, io.BytesIO(body(p)), mimetype)},
                            timeout=60).status_code
    return attack


def many_fields(session, url: str, p: Payloads) -> int:
    fields = {f"f{i}": (None, "x") for i in range(5000)}
    return session.post(f"{url}/api/upload", files=fields, timeout=30).status_code


ATTACKS: dict[str, Callable] = {
    "1x1 frame on a tracked tab (finding 1)": tab_freeze,
    "frame-size change on a tab (2)": size_change,
    "20000x20000 PNG bomb (3)": lambda s, url, p: s.post(f"{url}/api/predict", data=p.bomb,
                                                          headers={"Content-Type": "image/png"},
                                                          timeout=30).status_code,
    "image + <script> named x.html (4)": upload("x.html", lambda p: p.face + b"<script>alert(1)</script>",
                                               "application/octet-stream"),
    "HTML upload (4)": upload("x.html", lambda p: b"<html><script>alert(1)</script></html>", "text/html"),
    "cross-origin POST (5)": lambda s, url, p: s.post(f"{url}/api/predict", data=p.face,
                                                     headers={**JPEG, "Origin": "https://evil.example"},
                                                     timeout=30).status_code,
    "foreign Host header (5)": lambda s, url, p: s.get(f"{url}/api/health", headers={"Host": "evil.example"},
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


def paced_load(url: str, payloads: Payloads, clients: int, seconds: float, rate: float, attacks: bool) -> LoadResult:
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
                    status = ATTACKS[name](session, url, payloads)
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
    """Markdown lines: good requests alone from 1 client and from ``clients`` clients, then ``clients`` clients half
    of whose requests are attacks; failed good requests, p50/p95, and RSS growth over the attacked run."""
    import requests

    payloads = Payloads(face, limit_mb)
    runs = {"1 client, good only": paced_load(url, payloads, 1, seconds / 2, rate, False),
            f"{clients} clients, good only": paced_load(url, payloads, clients, seconds / 2, rate, False)}
    with requests.Session() as session:  # warm-up: the first upload imports the plotting code
        for attack in ATTACKS.values():
            attack(session, url, payloads)
    rss_before = process_rss_mb()
    runs[f"{clients} clients, half attacks"] = attacked = paced_load(url, payloads, clients, seconds, rate, True)
    rss_growth = process_rss_mb() - rss_before
    p95_alone = float(np.percentile(runs["1 client, good only"].good_ms, 95))
    rows = []
    for name, run in runs.items():
        p50, p95 = np.percentile(run.good_ms, [50, 95])
        growth = f"{rss_growth:+.0f}" if run is attacked else ""
        rows.append(f"| {name} | {len(run.good_ms)} | {run.good_failed} | {p50:.0f} | {p95:.0f} | "
                    f"{p95 / p95_alone:.2f} | {growth} |")
    statuses = "; ".join(f"{name}: {', '.join(str(s) for s in sorted(codes))}"
                         for name, codes in sorted(attacked.attack_status.items(), key=lambda kv: kv[0][-3:]))
    return [
        f"Good users under attack: each client sends {rate:g} requests/s (a paced camera, not a flood); in the "
        f"attacked run ({seconds:g} s) every other request is one of issue 23's attacks, in turn; the good-only runs "
        f"take {seconds / 2:g} s.",
        "",
        "| run | good requests | good failed | good p50 ms | good p95 ms | p95 / 1-client p95 | RSS growth MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Attack answers (HTTP status; 0: no answer read, the client left the request unfinished): {statuses}.",
        "",
    ]
