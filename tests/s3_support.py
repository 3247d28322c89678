"""A local S3-compatible server for the tests: moto's ThreadedMotoServer over real HTTP on
loopback, with request signing enforced (an IAM user and its key are made first, then every
request must carry a valid Signature Version 4 made with that key's secret)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BUCKET = "lapor-media"
REGION = "us-east-1"


@dataclass(frozen=True)
class S3Server:
    url: str
    access_key_id: str
    secret_access_key: str
    bucket: str = BUCKET

    def client(self, *, secret: str | None = None) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=secret or self.secret_access_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def settings(self, cache_dir: Path, **overrides: object) -> dict[str, object]:
        """Settings overrides (``make_context``) for a media store in this server's bucket."""
        return {
            "media_store": "s3",
            "s3_endpoint_url": self.url,
            "s3_region": REGION,
            "s3_bucket": self.bucket,
            "s3_access_key_id": self.access_key_id,
            "s3_secret_access_key": self.secret_access_key,
            "media_cache_dir": cache_dir,
            **overrides,
        }

    def env(self, cache_dir: Path) -> dict[str, str]:
        """The same as ``LAPOR_`` variables, for a worker process."""
        return {f"LAPOR_{k.upper()}": str(v) for k, v in self.settings(cache_dir).items()}

    def keys(self, prefix: str = "") -> dict[str, int]:
        """Every object under ``prefix`` with its size."""
        found: dict[str, int] = {}
        pages = self.client().get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found[str(item["Key"])] = int(item["Size"])
        return found


@contextmanager
def running_s3() -> Iterator[S3Server]:
    import boto3
    import moto.settings
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    previous = moto.settings.INITIAL_NO_AUTH_ACTION_COUNT
    try:
        # moto keeps its users and buckets per process: start from nothing (moto's own API).
        httpx.post(f"{url}/moto-api/reset", timeout=30).raise_for_status()
        # Unauthenticated set-up: a user allowed everything on S3, and its key.
        iam = boto3.session.Session().client(
            "iam",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        iam.create_user(UserName="lapor")
        iam.put_user_policy(
            UserName="lapor",
            PolicyName="media",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
                }
            ),
        )
        key = iam.create_access_key(UserName="lapor")["AccessKey"]
        # From here on every request is authenticated and its signature checked.
        moto.settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        s3 = S3Server(url, str(key["AccessKeyId"]), str(key["SecretAccessKey"]))
        s3.client().create_bucket(Bucket=BUCKET)
        yield s3
    finally:
        moto.settings.INITIAL_NO_AUTH_ACTION_COUNT = previous
        server.stop()
