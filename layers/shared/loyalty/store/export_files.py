"""The export bucket: each step's part object, the one file they are combined into, and the
presigned URL it is fetched with. The only module that speaks S3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from loyalty.store.table import CLIENT_CONFIG

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Presigned URLs signed with SigV4 (every region accepts it; SigV2 only the oldest ones).
S3_CONFIG = CLIENT_CONFIG.merge(Config(signature_version="s3v4"))
# S3 multipart parts are at least 5 MiB (but the last); 8 MiB keeps a file under 10,000 parts up
# to 78 GiB.
PART_BYTES = 8 * 1024 * 1024


def part_key(tenant_id: str, export_id: str, chunk: int, page: int, extension: str) -> str:
    """Named by chunk and step, so a step done again overwrites its own part: never a second copy."""
    return f"{parts_prefix(tenant_id, export_id)}{chunk:05d}/{page:08d}.{extension}"


def parts_prefix(tenant_id: str, export_id: str) -> str:
    return f"exports/{tenant_id}/{export_id}/parts/"


def file_key(tenant_id: str, export_id: str, extension: str) -> str:
    return f"exports/{tenant_id}/{export_id}/{export_id}.{extension}"


class BucketFiles:
    """The files of one bucket (exports and imports share the export bucket, under their prefixes);
    its S3 client made on first use."""

    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> S3Client:
        if self._client is None:
            self._client = boto3.client("s3", config=S3_CONFIG)
        return self._client

    def _bucket(self) -> str:
        if not self.bucket:
            raise RuntimeError(f"{type(self).__name__}: the bucket is not configured")
        return self.bucket


class ExportFiles(BucketFiles):
    def put_part(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self._bucket(), Key=key, Body=body)

    def part_keys(self, prefix: str) -> list[str]:
        """Every part under a prefix, in key order (chunk, then step)."""
        found: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket(), Prefix=prefix
        ):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(found)

    def combine(self, keys: list[str], header: bytes, target: str) -> int:
        """Write `header` and then every part, in order, as one object (a multipart upload of
        8 MiB parts, or one put when smaller); returns its size in bytes. Nothing is written
        unless every part was read, and doing it again writes the same object again."""
        bucket = self._bucket()
        size = len(header)
        buffer = bytearray(header)
        upload_id: str | None = None
        uploaded: list[dict[str, Any]] = []
        try:
            for body in self._bodies(keys):
                size += len(body)
                buffer += body
                while len(buffer) >= PART_BYTES:
                    if upload_id is None:
                        upload_id = self.client.create_multipart_upload(Bucket=bucket, Key=target)["UploadId"]
                    uploaded.append(
                        self._upload_part(target, upload_id, len(uploaded) + 1, bytes(buffer[:PART_BYTES]))
                    )
                    del buffer[:PART_BYTES]
            if upload_id is None:
                self.client.put_object(Bucket=bucket, Key=target, Body=bytes(buffer))
                return size
            if buffer:
                uploaded.append(self._upload_part(target, upload_id, len(uploaded) + 1, bytes(buffer)))
            self.client.complete_multipart_upload(
                Bucket=bucket,
                Key=target,
                UploadId=upload_id,
                MultipartUpload={"Parts": uploaded},  # type: ignore[typeddict-item]
            )
        except Exception:
            if upload_id is not None:
                self.client.abort_multipart_upload(Bucket=bucket, Key=target, UploadId=upload_id)
            raise
        return size

    def _bodies(self, keys: list[str]) -> Iterator[bytes]:
        for key in keys:
            yield self.client.get_object(Bucket=self._bucket(), Key=key)["Body"].read()

    def _upload_part(self, target: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        response = self.client.upload_part(
            Bucket=self._bucket(), Key=target, UploadId=upload_id, PartNumber=number, Body=body
        )
        return {"ETag": response["ETag"], "PartNumber": number}

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            self.client.delete_objects(
                Bucket=self._bucket(),
                Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]], "Quiet": True},
            )

    def download_url(self, key: str, seconds: int) -> str:
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self._bucket(), "Key": key}, ExpiresIn=seconds
        )
