"""Uploaded import files in the export bucket (under `imports/`): the presigned PUT a client
uploads a large file with, and the bounded read of it when its import starts."""

from __future__ import annotations

from botocore.exceptions import ClientError

from loyalty.store.export_files import BucketFiles

READ_BYTES = 1024 * 1024


def upload_key(tenant_id: str, import_id: str, file_format: str) -> str:
    return f"imports/{tenant_id}/{import_id}.{file_format}"


class UploadTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class ImportFiles(BucketFiles):
    def upload_url(self, key: str, seconds: int) -> str:
        return self.client.generate_presigned_url(
            "put_object", Params={"Bucket": self._bucket(), "Key": key}, ExpiresIn=seconds
        )

    def read(self, key: str, limit: int) -> bytes | None:
        """The object's bytes, read a MiB at a time and never more than `limit` (`UploadTooLarge`
        says its size); None when nothing was uploaded under the key."""
        try:
            response = self.client.get_object(Bucket=self._bucket(), Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        size = int(response.get("ContentLength") or 0)
        if size > limit:
            response["Body"].close()
            raise UploadTooLarge(size)
        content = bytearray()
        for piece in response["Body"].iter_chunks(READ_BYTES):
            content += piece
            if len(content) > limit:
                response["Body"].close()
                raise UploadTooLarge(len(content))
        return bytes(content)
