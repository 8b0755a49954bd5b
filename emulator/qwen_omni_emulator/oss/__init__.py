"""A local OSS server: enough of the Alibaba Cloud OSS API for ``oss2`` and for DashScope's
temporary upload, on loopback, for tests, demos and benchmarks.

Split by role, as moto splits a service:

- :mod:`.signing`: the V1 and V4 signature algorithms, pure;
- :mod:`.models`: the state (buckets and objects on disk, credentials and STS tokens, multipart
  uploads, temporary-upload policies, the request log) and its clock;
- :mod:`.auth`: requests' signatures verified, then read/write rights;
- :mod:`.responses`: the operations (objects, multipart, form upload) and error answers;
- :mod:`.messages`: HTTP plumbing (parsed request, answer, bandwidth pacer, formats);
- :mod:`.app`: the ASGI app (addressing, sending) and :func:`serve_oss`;
- :mod:`.exceptions`: :class:`OssError`.

Every request is authenticated the way OSS does it, verified independently of any SDK:
V1 (``Authorization: OSS ak:sig`` and ``OSSAccessKeyId``/``Expires``/``Signature`` URLs) and V4
(``Authorization: OSS4-HMAC-SHA256 Credential=…`` and ``x-oss-signature-version`` URLs), with
STS tokens; a wrong signature is 403 ``SignatureDoesNotMatch``, an expired URL or policy 403
``AccessDenied``, with the OSS error XML. Anonymous reads work on public-read buckets only.

Time is ``OssState.now()``: tests move it with ``state.time_offset`` to expire URLs and policies.
"""

from __future__ import annotations

from qwen_omni_emulator.oss.app import OssApp, create_oss_app, serve_oss
from qwen_omni_emulator.oss.exceptions import OssError
from qwen_omni_emulator.oss.models import OssState, RequestRecord, StoredObject
from qwen_omni_emulator.oss.signing import (
    v1_canonical_resource,
    v1_signature,
    v1_string_to_sign,
    v4_canonical_request,
    v4_signature,
    v4_signing_key,
    v4_string_to_sign,
)

__all__ = [
    "OssApp",
    "OssError",
    "OssState",
    "RequestRecord",
    "StoredObject",
    "create_oss_app",
    "serve_oss",
    "v1_canonical_resource",
    "v1_signature",
    "v1_string_to_sign",
    "v4_canonical_request",
    "v4_signature",
    "v4_signing_key",
    "v4_string_to_sign",
]
