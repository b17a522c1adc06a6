"""Evidence files kept by name in a local directory or an S3-compatible bucket (boto3), behind
one small interface. Never chooses a name (callers do, at random) and never reads a whole file
into memory: uploads go up from a checked file on disk, downloads come down in chunks.
"""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol

from app.config import parse_storage_url

if TYPE_CHECKING:
    from app.config import Settings

CHUNK = 256 * 1024
NAME = re.compile(r"[0-9a-f]{32}")


class StorageUnavailable(RuntimeError):
    """The store did not answer (a bucket down, credentials refused); one sentence."""


def checked_name(stored_name: str) -> str:
    if not NAME.fullmatch(stored_name):
        raise ValueError("not a stored evidence name")
    return stored_name


class Storage(Protocol):
    url: str  # shown to people: never holds a secret

    def check(self) -> None:
        """Raise StorageUnavailable, in one sentence, when the store cannot be used."""

    def staging(self) -> Path:
        """A local directory where an upload is written and checked before it is kept."""

    def keep(self, stored_name: str, staged: Path) -> None:
        """Take a checked file from staging() under its name (the staged file is consumed)."""

    def put(self, stored_name: str, source: BinaryIO) -> None:
        """Store a stream under a name (restore, migrate)."""

    def open(self, stored_name: str) -> BinaryIO:
        """The file's content as a stream; FileNotFoundError when there is none."""

    def local_path(self, stored_name: str) -> Path | None:
        """The file on this host's disk, when the store is a directory."""

    def delete(self, stored_name: str) -> None: ...

    def copy(self, stored_name: str, new_name: str) -> None: ...

    def names(self) -> Iterator[str]:
        """Every kept file's name (not files half-written)."""


class HashingReader:
    """A stream hashed as it is read, so a copy is checked while it is made."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    """The SHA-256 and size of what is left to read in a stream (closed at the end)."""
    with stream:
        reader = HashingReader(stream)
        while reader.read(CHUNK):
            pass
    return reader.hexdigest(), reader.size


def chunks(stream: BinaryIO) -> Iterator[bytes]:
    """A stream read in chunks, closed at the end (or when the reader stops early)."""
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    finally:
        stream.close()


@dataclass
class LocalStorage:
    root: Path

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-test-"):
                pass
        except OSError as error:
            raise StorageUnavailable(
                f"S11_STORAGE_URL ({self.url}) is not a writable directory: "
                f"{error.strerror or error}."
            ) from None

    def staging(self) -> Path:
        # Beside the files, so keeping one is a rename on the same disk.
        self.root.mkdir(parents=True, exist_ok=True)
        return self.root

    def _path(self, stored_name: str) -> Path:
        return self.root / checked_name(stored_name)

    def keep(self, stored_name: str, staged: Path) -> None:
        staged.replace(self._path(stored_name))

    def put(self, stored_name: str, source: BinaryIO) -> None:
        target = self._path(stored_name)
        self.root.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{stored_name}.part")
        with partial.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
        partial.replace(target)

    def open(self, stored_name: str) -> BinaryIO:
        return self._path(stored_name).open("rb")

    def local_path(self, stored_name: str) -> Path | None:
        return self._path(stored_name)

    def delete(self, stored_name: str) -> None:
        self._path(stored_name).unlink(missing_ok=True)

    def copy(self, stored_name: str, new_name: str) -> None:
        with self.open(stored_name) as source:
            self.put(new_name, source)

    def names(self) -> Iterator[str]:
        if self.root.is_dir():
            yield from sorted(p.name for p in self.root.iterdir() if NAME.fullmatch(p.name))


class S3Storage:
    """A bucket, and a prefix inside it, through boto3. The endpoint and region come from
    S11_STORAGE_ENDPOINT_URL and S11_STORAGE_REGION, the keys from boto3's usual places
    (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the host's role)."""

    def __init__(
        self,
        *,
        bucket: str,
        prefix: str,
        endpoint_url: str | None,
        region: str | None,
        staging: Path,
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.url = f"s3://{bucket}/{self.prefix}"
        self._staging = staging
        # A bucket that is down should cost a person seconds, not boto3's default minutes.
        config = Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 2, "mode": "standard"},
            signature_version="s3v4",
        )
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=config
        )

    def _key(self, stored_name: str) -> str:
        return self.prefix + checked_name(stored_name)

    def _unavailable(self, error: Exception) -> StorageUnavailable:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return StorageUnavailable(f"S11_STORAGE_URL ({self.url}) cannot be reached: {reason}.")

    def _call(self, method: str, **kwargs: object) -> dict:  # type: ignore[type-arg]
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(**kwargs)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise FileNotFoundError(kwargs.get("Key")) from None
            raise self._unavailable(error) from None
        except BotoCoreError as error:
            raise self._unavailable(error) from None

    def check(self) -> None:
        self._call("head_bucket", Bucket=self.bucket)

    def staging(self) -> Path:
        self._staging.mkdir(parents=True, exist_ok=True)
        return self._staging

    def keep(self, stored_name: str, staged: Path) -> None:
        try:
            with staged.open("rb") as source:
                self.put(stored_name, source)
        finally:
            staged.unlink(missing_ok=True)

    def put(self, stored_name: str, source: BinaryIO) -> None:
        from boto3.s3.transfer import TransferConfig

        # upload_fileobj sends large files in parts: never more than a few parts in memory.
        self._call(
            "upload_fileobj",
            Fileobj=source,
            Bucket=self.bucket,
            Key=self._key(stored_name),
            Config=TransferConfig(multipart_threshold=8 * 1024 * 1024, max_concurrency=2),
        )

    def open(self, stored_name: str) -> BinaryIO:
        return self._call("get_object", Bucket=self.bucket, Key=self._key(stored_name))["Body"]

    def local_path(self, stored_name: str) -> Path | None:
        return None

    def delete(self, stored_name: str) -> None:
        self._call("delete_object", Bucket=self.bucket, Key=self._key(stored_name))

    def copy(self, stored_name: str, new_name: str) -> None:
        self._call(
            "copy_object",
            Bucket=self.bucket,
            Key=self._key(new_name),
            CopySource={"Bucket": self.bucket, "Key": self._key(stored_name)},
        )

    def names(self) -> Iterator[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(self.prefix) :]
                    if NAME.fullmatch(name):
                        yield name
        except (BotoCoreError, ClientError) as error:
            raise self._unavailable(error) from None


def open_storage(
    url: str, *, endpoint_url: str | None = None, region: str | None = None, staging: Path
) -> Storage:
    kind, where, prefix = parse_storage_url(url)
    if kind == "file":
        return LocalStorage(Path(where))
    return _s3(where, prefix, endpoint_url, region, staging)


@functools.lru_cache(maxsize=16)
def _s3(bucket: str, prefix: str, endpoint: str | None, region: str | None, staging: Path):  # type: ignore[no-untyped-def]
    # A boto3 client takes ~50 ms to make and is safe to share between threads: one each.
    return S3Storage(
        bucket=bucket, prefix=prefix, endpoint_url=endpoint, region=region, staging=staging
    )


def storage_for(settings: Settings) -> Storage:
    """The evidence store the settings name (S11_STORAGE_URL, by default the upload directory)."""
    return open_storage(
        settings.storage,
        endpoint_url=settings.storage_endpoint_url,
        region=settings.storage_region,
        staging=settings.var_dir / "staging",
    )


def checked_storage(settings: Settings) -> Storage:
    """The evidence store, or ConfigError in one sentence when it cannot be used at start."""
    from app.config import ConfigError

    storage = storage_for(settings)
    try:
        storage.check()
    except StorageUnavailable as error:
        raise ConfigError(str(error)) from None
    return storage
