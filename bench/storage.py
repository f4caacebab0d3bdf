"""Storage throughput: `/storage/v1` uploads and downloads against the raw backend.

For each byte store (local disk, and a SeaweedFS started here) and each size
(1 MiB and 256 MiB), uploads a generated body through `POST /storage/v1/object`
as a streamed raw body (supabase-js's way) and downloads it back, then does
the same transfer straight to the backend (a plain file write and read; boto3
`upload_fileobj`/`get_object` to SeaweedFS), the ceiling KoyaLite's figure is
compared with. Reports MB/s, the ratio to the ceiling, and the server's peak
memory growth (the workers' VmHWM) during the large transfers.

With `--big`, instead: one 1 GiB upload and download through a local-disk
server, each with the server's peak RSS growth measured on its own (the peak
is reset between them through /proc/<pid>/clear_refs), against a 1 GiB file
written and read straight to disk.

    .venv/bin/python bench/storage.py [--small-count 40] [--large-count 2]
    .venv/bin/python bench/storage.py --big
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.seaweedfs import start_seaweedfs, stop_seaweedfs  # noqa: E402

KOYALITE = str(Path(sys.executable).parent / "koyalite")
MIB = 1024 * 1024
CHUNK = MIB
SIZES = {"1 MiB": MIB, "256 MiB": 256 * MIB}
BIG = 1024 * MIB


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def body(size: int) -> Iterator[bytes]:
    block = bytes(range(256)) * (CHUNK // 256)
    sent = 0
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        sent += len(piece)
        yield piece


def _env(project: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KOYALITE_", "DJANGO_"))
    }
    env["KOYALITE_PROJECT_DIR"] = str(project)
    env["KOYALITE_LOG_LEVEL"] = "warning"
    env["KOYALITE_STORAGE_MAX_FILE_SIZE"] = str(2 * 1024 * MIB)
    env.update(extra)
    return env


class Server:
    def __init__(self, project: Path, extra: dict[str, str]) -> None:
        env = _env(project, extra)
        subprocess.run([KOYALITE, "init", str(project)], env=env, check=True,
                       capture_output=True)  # fmt: skip
        subprocess.run(
            [KOYALITE, "sql", "-f", "-"],
            input="insert into storage.buckets (id, name) values ('bench', 'bench');",
            text=True, env=env, check=True, capture_output=True,
        )  # fmt: skip
        keys = json.loads(
            subprocess.run(
                [KOYALITE, "keys", "--json"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout  # fmt: skip
        )
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/storage/v1"
        self.headers = {
            "apikey": keys["service_role_key"],
            "Authorization": f"Bearer {keys['service_role_key']}",
        }
        self.log = (project / "server.log").open("w")
        self.process = subprocess.Popen(
            [KOYALITE, "serve", "--port", str(port), "--workers", "1", "--threads", "4"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("bench: koyalite serve did not start")
            time.sleep(0.2)

    def peak_kib(self) -> int:
        """The largest peak RSS among the server's processes."""
        return max(self._memory("VmHWM").values(), default=0)

    def _memory(self, field: str) -> dict[int, int]:
        """`field` of /proc/<pid>/status, in KiB, for each server process."""
        found = {}
        for pid in _tree(self.process.pid):
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith(f"{field}:"):
                    found[pid] = int(line.split()[1])
        return found

    def reset_peaks(self) -> dict[int, int]:
        """Lower each server process's peak RSS to its current RSS (Linux's
        clear_refs 5); the current RSS of each, in KiB."""
        for pid in _tree(self.process.pid):
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                continue
        return self._memory("VmRSS")

    def growth_kib(self, start: dict[int, int]) -> int:
        """The most any server process's RSS rose above `start` since."""
        peaks = self._memory("VmHWM")
        return max((peak - start.get(pid, 0) for pid, peak in peaks.items()), default=0)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)
        self.log.close()


def _tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [pid]
    if children.exists():
        for child in children.read_text().split():
            found += _tree(int(child))
    return found


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(count: int, size: int, action: Callable[[int], None]) -> float:
    """MB/s over `count` transfers of `size` bytes."""
    started = time.perf_counter()
    for number in range(count):
        action(number)
    return count * size / MIB / (time.perf_counter() - started)


def koyalite_pair(
    server: Server, size: int, count: int, label: str
) -> tuple[float, float]:
    client = httpx.Client(timeout=600)
    upload, download = koyalite_transfers(client, server, size, label)
    up = timed(count, size, upload)
    down = timed(count, size, download)
    client.close()
    return up, down


def koyalite_transfers(
    client: httpx.Client, server: Server, size: int, label: str
) -> tuple[Callable[[int], None], Callable[[int], None]]:
    """Upload and download of object `<label>-<number>.bin` of `size` bytes."""
    headers = server.headers | {
        "Content-Type": "application/octet-stream",
        "x-upsert": "true",
    }

    def upload(number: int) -> None:
        response = client.post(
            f"{server.url}/object/bench/{label}-{number}.bin",
            headers=headers,
            content=body(size),
        )
        response.raise_for_status()

    def download(number: int) -> None:
        received = 0
        with client.stream(
            "GET",
            f"{server.url}/object/bench/{label}-{number}.bin",
            headers=server.headers,
        ) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes(CHUNK):
                received += len(chunk)
        assert received == size, (received, size)

    return upload, download


def local_ceiling(directory: Path, size: int, count: int) -> tuple[float, float]:
    def write(number: int) -> None:
        with (directory / f"raw-{number}.bin").open("wb") as file:
            for chunk in body(size):
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())

    def read(number: int) -> None:
        with (directory / f"raw-{number}.bin").open("rb") as file:
            while file.read(CHUNK):
                pass

    return timed(count, size, write), timed(count, size, read)


class _Reader:
    def __init__(self, size: int) -> None:
        self.chunks = body(size)
        self.pending = b""

    def read(self, amount: int = -1) -> bytes:
        while amount < 0 or len(self.pending) < amount:
            try:
                self.pending += next(self.chunks)
            except StopIteration:
                break
        if amount < 0:
            amount = len(self.pending)
        data, self.pending = self.pending[:amount], self.pending[amount:]
        return data


def s3_ceiling(seaweed, size: int, count: int) -> tuple[float, float]:
    client = seaweed.client()
    bucket = seaweed.new_bucket()

    def upload(number: int) -> None:
        client.upload_fileobj(_Reader(size), bucket, f"raw-{number}")

    def download(number: int) -> None:
        stream = client.get_object(Bucket=bucket, Key=f"raw-{number}")["Body"]
        while stream.read(CHUNK):
            pass

    return timed(count, size, upload), timed(count, size, download)


def big(work: Path) -> None:
    """One 1 GiB upload and download, local disk, each with its own peak."""
    progress("local: starting KoyaLite")
    server = Server(work / "project-big", {})
    try:
        with httpx.Client(timeout=1800) as client:
            upload, download = koyalite_transfers(client, server, BIG, "1GiB")
            results = []
            for direction, action in (("upload", upload), ("download", download)):
                progress(f"local: 1 GiB {direction} through /storage/v1")
                start = server.reset_peaks()
                speed = timed(1, BIG, action)
                results.append((direction, speed, server.growth_kib(start)))
        baseline = sum(server._memory("VmRSS").values())
    finally:
        server.stop()
    progress("local: 1 GiB straight to disk")
    raw = dict(zip(("upload", "download"), local_ceiling(work, BIG, 1), strict=True))
    print(f"\nlocal, 1 GiB (server processes' RSS after: {baseline / 1024:.0f} MiB)")
    print("direction   MB/s (raw, ratio)        server peak RSS growth")
    for direction, speed, grown in results:
        ceiling = raw[direction]
        print(
            f"{direction:10} {speed:5.0f} ({ceiling:6.0f}, {speed / ceiling:4.2f}x)"
            f"      {grown / 1024:6.1f} MiB"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-count", type=int, default=40)
    parser.add_argument("--large-count", type=int, default=2)
    parser.add_argument(
        "--big",
        action="store_true",
        help="only a 1 GiB upload and download on local disk, with peak RSS",
    )
    args = parser.parse_args(argv)
    if args.big:
        with tempfile.TemporaryDirectory(prefix="koyalite-bench-storage-") as tmp:
            big(Path(tmp))
        return 0
    counts = {"1 MiB": args.small_count, "256 MiB": args.large_count}
    rows = []
    with tempfile.TemporaryDirectory(prefix="koyalite-bench-storage-") as tmp:
        work = Path(tmp)
        progress("starting SeaweedFS")
        (work / "weed").mkdir()
        seaweed = start_seaweedfs(work / "weed")
        try:
            from tests.seaweedfs import wait_until_ready

            wait_until_ready(seaweed)
            blob_bucket = seaweed.new_bucket()
            backends = {
                "local": ({}, lambda size, count: local_ceiling(work, size, count)),
                "seaweedfs": (
                    {
                        "KOYALITE_STORAGE_BACKEND": "s3",
                        "KOYALITE_S3_ENDPOINT": seaweed.endpoint,
                        "KOYALITE_S3_BUCKET": blob_bucket,
                        "KOYALITE_S3_ACCESS_KEY": seaweed.access_key,
                        "KOYALITE_S3_SECRET_KEY": seaweed.secret_key,
                    },
                    lambda size, count: s3_ceiling(seaweed, size, count),
                ),
            }
            for backend, (extra, ceiling) in backends.items():
                progress(f"{backend}: starting KoyaLite")
                server = Server(work / f"project-{backend}", extra)
                try:
                    for label, size in SIZES.items():
                        count = counts[label]
                        before = server.peak_kib()
                        progress(f"{backend}: {count} x {label} through /storage/v1")
                        up, down = koyalite_pair(
                            server, size, count, label.replace(" ", "")
                        )
                        grown = server.peak_kib() - before
                        progress(
                            f"{backend}: {count} x {label} straight to the backend"
                        )
                        raw_up, raw_down = ceiling(size, count)
                        rows.append((backend, label, up, raw_up, down, raw_down, grown))
                finally:
                    server.stop()
        finally:
            stop_seaweedfs(seaweed)
    print(
        "\nbackend     size      upload MB/s (raw, ratio)     download MB/s (raw, ratio)   server peak RSS growth"
    )
    for backend, label, up, raw_up, down, raw_down, grown in rows:
        print(
            f"{backend:11} {label:8} {up:7.0f} ({raw_up:6.0f}, {up / raw_up:4.2f}x)"
            f"      {down:7.0f} ({raw_down:6.0f}, {down / raw_down:4.2f}x)"
            f"      {grown / 1024:6.1f} MiB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
