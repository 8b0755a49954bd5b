"""The OSS operations: each request, authenticated, becomes an answer (moto's ``responses``).

- PUT, GET (with ``Range``), HEAD, DELETE object; ``?objectMeta``; a small ListObjects;
- multipart upload as ``oss2.resumable_upload`` uses it: initiate (``?uploads``), upload part,
  complete, abort, list parts;
- the form POST upload with a policy (the DashScope temporary upload).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import uuid
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from qwen_omni_emulator.oss.auth import Authenticator
from qwen_omni_emulator.oss.exceptions import OssError
from qwen_omni_emulator.oss.messages import (
    Message,
    OssRequest,
    OssResponse,
    http_date,
    iso_time,
    xml_document,
)
from qwen_omni_emulator.oss.models import (
    Bucket,
    OssState,
    Part,
    StoredObject,
    Upload,
    copy_hashing,
    crc64_fn,
    read_segments,
)

__all__ = ["MIN_PART_SIZE", "OFFLOAD_BYTES", "OssResponses"]

#: Every part but the last must be at least this large (OSS: 100 KiB).
MIN_PART_SIZE = 100 * 1024
#: Body chunks at least this large are written and hashed off the event loop.
OFFLOAD_BYTES = 32 * 1024


class OssResponses:
    """The operations over an :class:`~.models.OssState`, authorized by ``auth``."""

    def __init__(self, state: OssState, auth: Authenticator) -> None:
        self.state = state
        self.auth = auth

    async def dispatch(self, request: OssRequest) -> OssResponse:
        """Route an authenticated request to its operation (moto's ``urls`` + ``responses``)."""
        method, params = request.method, request.params
        if request.bucket is None:
            raise OssError(400, "InvalidBucketName", "A bucket name is required.")
        content_type = request.headers.get("content-type", "")
        if (
            method == "POST"
            and request.key is None
            and content_type.startswith("multipart/form-data")
        ):
            return await self._form_upload(request)
        bucket = self.state.bucket(request.bucket)
        if request.key is None:
            if method == "GET" and "uploads" not in params:
                self.auth.authorize_read(request, bucket)
                return self._list_objects(request, bucket)
            raise OssError(501, "NotImplemented", f"{method} on a bucket is not supported here.")
        if method in ("GET", "HEAD"):
            self.auth.authorize_read(request, bucket)
            if "uploadId" in params and method == "GET":
                return self._list_parts(request)
            return self._get_object(request, bucket, head=method == "HEAD")
        self.auth.authorize_write(request, bucket)
        if method == "PUT":
            if "uploadId" in params and "partNumber" in params:
                return await self._upload_part(request)
            if "x-oss-copy-source" in request.headers or params:
                raise OssError(501, "NotImplemented", "This PUT variant is not supported here.")
            return await self._put_object(request, bucket)
        if method == "POST":
            if "uploads" in params:
                return self._initiate(request)
            if "uploadId" in params:
                return await self._complete(request, bucket)
            raise OssError(501, "NotImplemented", "This POST variant is not supported here.")
        if method == "DELETE":
            if "uploadId" in params:
                return self._abort(request)
            self.state.delete_object(bucket.name, request.key)
            return OssResponse(204)
        raise OssError(405, "MethodNotAllowed", f"{method} is not allowed.")

    # --- objects ---------------------------------------------------------------------------------

    async def _receive_to_file(
        self, request: OssRequest, path: Path
    ) -> tuple[int, bytes, int | None]:
        md5 = hashlib.md5()  # noqa: S324 - OSS ETags are MD5
        crc = 0
        size = 0

        def absorb(chunk: bytes) -> None:
            nonlocal crc
            fh.write(chunk)
            md5.update(chunk)
            if crc64_fn is not None:
                crc = crc64_fn(chunk, crc)

        with path.open("wb") as fh:
            async for chunk in request.body_chunks():
                size += len(chunk)
                if len(chunk) >= OFFLOAD_BYTES:
                    # Disk writes and checksums off the event loop: other connections keep
                    # flowing while one waits on a busy disk.
                    await asyncio.to_thread(absorb, chunk)
                else:
                    absorb(chunk)
        expected = request.headers.get("content-length")
        if expected is not None and int(expected) != size:
            path.unlink(missing_ok=True)  # noqa: ASYNC240 - a local unlink, not I/O worth a thread
            raise OssError(
                400, "IncompleteBody", "The request body is shorter than Content-Length."
            )
        digest = md5.digest()
        content_md5 = request.headers.get("content-md5")
        if content_md5 and base64.b64encode(digest).decode() != content_md5:
            path.unlink(missing_ok=True)  # noqa: ASYNC240
            raise OssError(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
        return size, digest, (crc if crc64_fn is not None else None)

    def _forbid_overwrite(self, headers: dict[str, str] | Any, bucket: Bucket, key: str) -> None:
        if (
            str(headers.get("x-oss-forbid-overwrite", "")).lower() == "true"
            and key in bucket.objects
        ):
            raise OssError(
                409,
                "FileAlreadyExists",
                "The object you specified already exists and can not be overwritten.",
            )

    async def _put_object(self, request: OssRequest, bucket: Bucket) -> OssResponse:
        key = request.key or ""
        self._forbid_overwrite(request.headers, bucket, key)
        path = bucket.directory / f"{uuid.uuid4().hex}.obj"
        size, digest, crc = await self._receive_to_file(request, path)
        etag = f'"{digest.hex().upper()}"'
        obj = StoredObject(
            [(path, size)],
            size,
            etag,
            request.headers.get("content-type") or "application/octet-stream",
            self.state.now(),
            crc,
            acl=request.headers.get("x-oss-object-acl"),
        )
        self.state.store(bucket, key, obj)
        headers = {"ETag": etag, "Content-MD5": base64.b64encode(digest).decode()}
        if crc is not None:
            headers["x-oss-hash-crc64ecma"] = str(crc)
        return OssResponse(200, headers)

    def _object_headers(self, obj: StoredObject) -> dict[str, str]:
        headers = {
            "Content-Type": obj.content_type,
            "ETag": obj.etag,
            "Last-Modified": http_date(obj.last_modified),
            "Accept-Ranges": "bytes",
            "x-oss-object-type": "Multipart" if obj.multipart else "Normal",
            "x-oss-storage-class": "Standard",
        }
        if obj.crc64 is not None:
            headers["x-oss-hash-crc64ecma"] = str(obj.crc64)
        return headers

    def _get_object(self, request: OssRequest, bucket: Bucket, *, head: bool) -> OssResponse:
        obj = bucket.objects.get(request.key or "")
        if obj is None:
            raise OssError(
                404, "NoSuchKey", "The specified key does not exist.", Key=request.key or ""
            )
        headers = self._object_headers(obj)
        if "objectMeta" in request.params:
            return OssResponse(
                200,
                {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}
                | {"Content-Length": str(obj.size)},
                length=0,
            )
        start, end = 0, obj.size - 1
        status = 200
        byte_range = request.headers.get("range", "")
        if byte_range.startswith("bytes=") and "," not in byte_range and obj.size > 0:
            first, _, last = byte_range[6:].partition("-")
            try:
                if first:
                    start = int(first)
                    end = min(int(last), obj.size - 1) if last else obj.size - 1
                else:
                    start = max(0, obj.size - int(last))
                if start <= end and start < obj.size:
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{end}/{obj.size}"
                    headers.pop("x-oss-hash-crc64ecma", None)
                else:
                    start, end = 0, obj.size - 1
            except ValueError:
                start, end = 0, obj.size - 1
        length = max(0, end - start + 1)
        for name, param in (
            ("Content-Type", "response-content-type"),
            ("Content-Disposition", "response-content-disposition"),
        ):
            if param in request.params:
                headers[name] = request.params[param]
        if head:
            headers["Content-Length"] = str(length)
            return OssResponse(status, headers, length=0)
        return OssResponse(status, headers, stream=read_segments(obj, start, length), length=length)

    def _list_objects(self, request: OssRequest, bucket: Bucket) -> OssResponse:
        prefix = request.params.get("prefix", "")
        try:
            max_keys = int(request.params.get("max-keys", "100"))
        except ValueError:
            max_keys = 100
        marker = request.params.get("marker", "")
        keys = [k for k in sorted(bucket.objects) if k.startswith(prefix) and k > marker]
        page, truncated = keys[:max_keys], len(keys) > max_keys
        contents = "".join(
            "<Contents>"
            f"<Key>{escape(k)}</Key><LastModified>{iso_time(bucket.objects[k].last_modified)}</LastModified>"
            f"<ETag>{escape(bucket.objects[k].etag)}</ETag><Type>Normal</Type>"
            f"<Size>{bucket.objects[k].size}</Size><StorageClass>Standard</StorageClass>"
            "</Contents>"
            for k in page
        )
        inner = (
            f"<Name>{escape(bucket.name)}</Name><Prefix>{escape(prefix)}</Prefix>"
            f"<Marker>{escape(marker)}</Marker><MaxKeys>{max_keys}</MaxKeys><Delimiter></Delimiter>"
            f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>"
            + (f"<NextMarker>{escape(page[-1])}</NextMarker>" if truncated and page else "")
            + contents
        )
        body = xml_document("ListBucketResult", inner)
        return OssResponse(200, {"Content-Type": "application/xml"}, body)

    # --- multipart -------------------------------------------------------------------------------

    def _upload(self, request: OssRequest) -> Upload:
        upload = self.state.get_upload(request.params.get("uploadId", ""))
        if upload is None or upload.bucket != request.bucket or upload.key != request.key:
            raise OssError(
                404,
                "NoSuchUpload",
                "The specified upload does not exist.",
                UploadId=request.params.get("uploadId", ""),
            )
        return upload

    def _initiate(self, request: OssRequest) -> OssResponse:
        upload_id = uuid.uuid4().hex.upper()
        directory = self.state.root / "uploads" / upload_id
        directory.mkdir(parents=True)
        upload = Upload(
            upload_id,
            request.bucket or "",
            request.key or "",
            request.headers.get("content-type") or "application/octet-stream",
            directory,
            self.state.now(),
        )
        self.state.add_upload(upload)
        body = xml_document(
            "InitiateMultipartUploadResult",
            [("Bucket", upload.bucket), ("Key", upload.key), ("UploadId", upload_id)],
        )
        return OssResponse(200, {"Content-Type": "application/xml"}, body)

    async def _upload_part(self, request: OssRequest) -> OssResponse:
        upload = self._upload(request)
        try:
            number = int(request.params["partNumber"])
        except ValueError:
            raise OssError(400, "InvalidArgument", "partNumber is not a number.") from None
        if not 1 <= number <= 10000:
            raise OssError(400, "InvalidArgument", "partNumber must be between 1 and 10000.")
        path = upload.directory / f"{number:05d}.{uuid.uuid4().hex[:8]}.part"
        size, digest, crc = await self._receive_to_file(request, path)
        etag = f'"{digest.hex().upper()}"'
        with self.state.lock:
            old = upload.parts.get(number)
            upload.parts[number] = Part(path, size, etag, digest, self.state.now())
        if old is not None:
            old.path.unlink(missing_ok=True)
        headers = {"ETag": etag, "Content-MD5": base64.b64encode(digest).decode()}
        if crc is not None:
            headers["x-oss-hash-crc64ecma"] = str(crc)
        return OssResponse(200, headers)

    async def _complete(self, request: OssRequest, bucket: Bucket) -> OssResponse:
        import xml.etree.ElementTree as ET

        upload = self._upload(request)
        body = await request.body()
        try:
            root = ET.fromstring(body)  # noqa: S314 - the emulator parses its own clients' XML
        except ET.ParseError:
            raise OssError(
                400, "MalformedXML", "The XML you provided was not well-formed."
            ) from None
        chosen: list[Part] = []
        last_number = 0
        for element in root.findall("Part"):
            number = int(element.findtext("PartNumber") or "0")
            etag = (element.findtext("ETag") or "").strip()
            part = upload.parts.get(number)
            if part is None or part.etag.strip('"').upper() != etag.strip('"').upper():
                raise OssError(
                    400,
                    "InvalidPart",
                    "One or more of the specified parts could not be found.",
                    PartNumber=str(number),
                )
            if number <= last_number:
                raise OssError(
                    400, "InvalidPartOrder", "The list of parts was not in ascending order."
                )
            last_number = number
            chosen.append(part)
        if not chosen:
            raise OssError(400, "MalformedXML", "The XML you provided has no parts.")
        for part in chosen[:-1]:
            if part.size < MIN_PART_SIZE:
                raise OssError(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size.",
                )
        self._forbid_overwrite(request.headers, bucket, upload.key)
        combined = hashlib.md5(b"".join(p.md5 for p in chosen)).hexdigest().upper()  # noqa: S324
        etag = f'"{combined}-{len(chosen)}"'
        # The object keeps its parts as segments: completing 1 GiB copies nothing.
        segments = []
        keep_dir = bucket.directory / f"mp-{upload.upload_id}"
        keep_dir.mkdir()
        for part in chosen:
            target = keep_dir / part.path.name
            part.path.rename(target)
            segments.append((target, part.size))
        obj = StoredObject(
            segments,
            sum(p.size for p in chosen),
            etag,
            upload.content_type,
            self.state.now(),
            None,
            multipart=True,
            acl=request.headers.get("x-oss-object-acl"),
        )
        self.state.store(bucket, upload.key, obj)
        self.state.discard_upload(upload)
        location = f"http://{request.headers.get('host', '')}/{bucket.name}/{upload.key}"
        body_xml = xml_document(
            "CompleteMultipartUploadResult",
            [("Location", location), ("Bucket", bucket.name), ("Key", upload.key), ("ETag", etag)],
        )
        return OssResponse(200, {"Content-Type": "application/xml", "ETag": etag}, body_xml)

    def _abort(self, request: OssRequest) -> OssResponse:
        self.state.discard_upload(self._upload(request))
        return OssResponse(204)

    def _list_parts(self, request: OssRequest) -> OssResponse:
        upload = self._upload(request)
        try:
            marker = int(request.params.get("part-number-marker", "0") or 0)
            max_parts = int(request.params.get("max-parts", "1000") or 1000)
        except ValueError:
            raise OssError(
                400, "InvalidArgument", "Invalid part-number-marker or max-parts."
            ) from None
        numbers = [n for n in sorted(upload.parts) if n > marker]
        page, truncated = numbers[:max_parts], len(numbers) > max_parts
        parts = "".join(
            f"<Part><PartNumber>{n}</PartNumber><LastModified>{iso_time(upload.parts[n].last_modified)}"
            f"</LastModified><ETag>{escape(upload.parts[n].etag)}</ETag>"
            f"<Size>{upload.parts[n].size}</Size></Part>"
            for n in page
        )
        inner = (
            f"<Bucket>{escape(upload.bucket)}</Bucket><Key>{escape(upload.key)}</Key>"
            f"<UploadId>{upload.upload_id}</UploadId><PartNumberMarker>{marker}</PartNumberMarker>"
            f"<NextPartNumberMarker>{page[-1] if page else marker}</NextPartNumberMarker>"
            f"<MaxParts>{max_parts}</MaxParts><IsTruncated>{'true' if truncated else 'false'}"
            f"</IsTruncated>{parts}"
        )
        body = xml_document("ListPartsResult", inner)
        return OssResponse(200, {"Content-Type": "application/xml"}, body)

    # --- form POST upload (DashScope temporary upload) -------------------------------------------

    async def _form_upload(self, request: OssRequest) -> OssResponse:
        from starlette.requests import Request

        async def receive() -> Message:
            message = await request.receive()
            chunk = message.get("body", b"")
            if chunk:
                request.bytes_in += len(chunk)
                if request.pacer is not None:
                    await request.pacer.consume(len(chunk))
            return message

        bucket = self.state.bucket(request.bucket or "")
        form = await Request(request.scope, receive).form(max_files=1, max_fields=64)
        try:
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise OssError(400, "InvalidArgument", "The form has no file field.")
            key = self.auth.verify_form(request, fields)
            upload.file.seek(0, os.SEEK_END)
            size = upload.file.tell()
            upload.file.seek(0)
            self.auth.check_post_policy(fields.get("policy", ""), bucket.name, key, size, fields)
            request.key = key
            self._forbid_overwrite(fields, bucket, key)
            path = bucket.directory / f"{uuid.uuid4().hex}.obj"
            digest, crc = await asyncio.to_thread(copy_hashing, upload.file, path)
        finally:
            await form.close()
        etag = f'"{digest.hex().upper()}"'
        content_type = (
            fields.get("x-oss-content-type")
            or fields.get("Content-Type")
            or (upload.content_type or "application/octet-stream")
        )
        obj = StoredObject(
            [(path, size)],
            size,
            etag,
            content_type,
            self.state.now(),
            crc,
            acl=fields.get("x-oss-object-acl"),
        )
        self.state.store(bucket, key, obj)
        status = fields.get("success_action_status", "204")
        return OssResponse(int(status) if status in ("200", "201", "204") else 204, {"ETag": etag})

    # --- errors ----------------------------------------------------------------------------------

    def error(self, request: OssRequest, err: OssError) -> OssResponse:
        """The OSS error XML for ``err`` (in ``x-oss-err`` for HEAD, which has no body)."""
        fields: list[tuple[str, Any]] = [
            ("Code", err.code),
            ("Message", err.message),
            ("RequestId", request.request_id),
            ("HostId", request.headers.get("host", "")),
        ]
        fields += list(err.extra.items())
        headers = {"Content-Type": "application/xml"}
        if "EC" in err.extra:
            headers["x-oss-ec"] = err.extra["EC"]
        body = xml_document("Error", fields)
        if request.method == "HEAD":
            # HEAD answers have no body: OSS carries the error XML base64-encoded in x-oss-err.
            headers["x-oss-err"] = base64.b64encode(body).decode()
            return OssResponse(err.status, headers, length=0)
        return OssResponse(err.status, headers, body)
