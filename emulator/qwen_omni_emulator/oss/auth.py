"""Who may do what on the OSS server: request signatures verified (V1 and V4, in the
``Authorization`` header or the URL, with STS tokens; POST policies), then read/write rights.

A wrong signature is 403 ``SignatureDoesNotMatch`` with the StringToSign OSS shows; an expired
URL or policy is 403 ``AccessDenied``. The algorithms themselves are in :mod:`.signing`.
"""

from __future__ import annotations

import base64
import hmac
import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from qwen_omni_emulator.oss.exceptions import OssError, condition_failed, signature_mismatch
from qwen_omni_emulator.oss.messages import OssRequest, iso_time
from qwen_omni_emulator.oss.models import Bucket, Credential, OssState
from qwen_omni_emulator.oss.signing import (
    b64_hmac_sha1,
    iso_basic_time,
    v1_canonical_resource,
    v1_signature,
    v1_string_to_sign,
    v4_canonical_request,
    v4_signature,
    v4_signing_key,
    v4_string_to_sign,
)

__all__ = ["MAX_SKEW_S", "V4_MAX_EXPIRES_S", "Authenticator"]

#: How far a signed request's time may be from the server's (OSS: 15 minutes).
MAX_SKEW_S = 15 * 60
#: The longest a V4 presigned URL may be valid (7 days).
V4_MAX_EXPIRES_S = 604_800


class Authenticator:
    """Verifies requests against the credentials of an :class:`~.models.OssState`."""

    def __init__(self, state: OssState) -> None:
        self.state = state

    def credential(self, access_key_id: str) -> Credential:
        """The credential of an access key id; 403 ``InvalidAccessKeyId`` when unknown."""
        credential = self.state.credential(access_key_id)
        if credential is None:
            raise OssError(
                403,
                "InvalidAccessKeyId",
                "The OSS Access Key Id you provided does not exist in our records.",
                OSSAccessKeyId=access_key_id,
            )
        return credential

    def check_token(self, credential: Credential, token: str | None) -> None:
        """STS credentials need their token, before it expires."""
        if credential.token is None:
            return
        if token != credential.token:
            raise OssError(403, "InvalidAccessKeyId", "The security token you provided is invalid.")
        if credential.expires_at is not None and self.state.now() > credential.expires_at:
            raise OssError(
                403, "SecurityTokenExpired", "The security token you provided has expired."
            )

    def authenticate(self, request: OssRequest) -> None:
        """Verify the signature the request carries (V1/V4, header or URL).

        Sets ``auth`` and ``principal``; unsigned requests stay anonymous.
        """
        params, headers = request.params, request.headers
        authorization = headers.get("authorization", "")
        if "x-oss-signature" in params:
            self._auth_v4(request, query=True)
        elif "Signature" in params and "OSSAccessKeyId" in params:
            self._auth_v1_query(request)
        elif authorization.startswith("OSS4-HMAC-SHA256 "):
            self._auth_v4(request, query=False)
        elif authorization.startswith("OSS "):
            self._auth_v1_header(request)
        elif authorization:
            raise OssError(400, "InvalidArgument", "Unsupported Authorization header.")

    def _auth_v1_query(self, request: OssRequest) -> None:
        params = request.params
        access_key_id = params["OSSAccessKeyId"]
        credential = self.credential(access_key_id)
        try:
            expires = int(params.get("Expires", ""))
        except ValueError:
            raise OssError(400, "InvalidArgument", "Expires is not a valid number.") from None
        now = self.state.now()
        if now > expires:
            raise OssError(
                403,
                "AccessDenied",
                "Request has expired.",
                Expires=iso_time(expires),
                ServerTime=iso_time(now),
                EC="0002-00000069",
            )
        resource = v1_canonical_resource(request.bucket, request.key, params)
        string_to_sign = v1_string_to_sign(
            request.method,
            request.headers.get("content-md5", ""),
            request.headers.get("content-type", ""),
            str(expires),
            request.headers,
            resource,
        )
        provided = params["Signature"]
        if not hmac.compare_digest(v1_signature(credential.secret, string_to_sign), provided):
            raise signature_mismatch(access_key_id, provided, string_to_sign)
        self.check_token(credential, params.get("security-token"))
        request.auth, request.principal = "v1-query", access_key_id

    def _auth_v1_header(self, request: OssRequest) -> None:
        headers = request.headers
        access_key_id, _, provided = headers["authorization"][4:].strip().partition(":")
        credential = self.credential(access_key_id)
        date = headers.get("date", "")
        try:
            when = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            raise OssError(403, "AccessDenied", "Invalid date format of header Date.") from None
        if abs(self.state.now() - when) > MAX_SKEW_S:
            raise OssError(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
        resource = v1_canonical_resource(request.bucket, request.key, request.params)
        string_to_sign = v1_string_to_sign(
            request.method,
            headers.get("content-md5", ""),
            headers.get("content-type", ""),
            date,
            headers,
            resource,
        )
        if not hmac.compare_digest(v1_signature(credential.secret, string_to_sign), provided):
            raise signature_mismatch(access_key_id, provided, string_to_sign)
        self.check_token(credential, headers.get("x-oss-security-token"))
        request.auth, request.principal = "v1-header", access_key_id

    def _auth_v4(self, request: OssRequest, *, query: bool) -> None:
        params, headers = request.params, request.headers
        if query:
            if params.get("x-oss-signature-version") != "OSS4-HMAC-SHA256":
                raise OssError(400, "InvalidArgument", "Unsupported x-oss-signature-version.")
            credential_field = params.get("x-oss-credential", "")
            date_time = params.get("x-oss-date", "")
            provided = params.get("x-oss-signature", "")
            additional = [h for h in params.get("x-oss-additional-headers", "").split(";") if h]
            token = params.get("x-oss-security-token")
        else:
            fields: dict[str, str] = {}
            for item in headers["authorization"][len("OSS4-HMAC-SHA256 ") :].split(","):
                name, _, value = item.strip().partition("=")
                fields[name] = value
            credential_field = fields.get("Credential", "")
            date_time = headers.get("x-oss-date", "")
            provided = fields.get("Signature", "")
            additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
            token = headers.get("x-oss-security-token")
        scope_parts = credential_field.split("/")
        if (
            len(scope_parts) != 5
            or scope_parts[3] != "oss"
            or scope_parts[4] != "aliyun_v4_request"
        ):
            raise OssError(
                400, "InvalidArgument", "Invalid credential in the request.", EC="0002-00000227"
            )
        access_key_id, date, region = scope_parts[0], scope_parts[1], scope_parts[2]
        credential = self.credential(access_key_id)
        start = iso_basic_time(date_time)
        if start is None or date_time[:8] != date:
            raise OssError(400, "InvalidArgument", "Invalid date in the credential or x-oss-date.")
        if region != self.state.region:
            raise OssError(
                403,
                "SignatureDoesNotMatch",
                "The signing region in credential is invalid.",
                Region=region,
                ExpectedRegion=self.state.region,
            )
        now = self.state.now()
        if query:
            try:
                expires = int(params.get("x-oss-expires", ""))
            except ValueError:
                raise OssError(400, "InvalidArgument", "x-oss-expires is not a number.") from None
            if not 1 <= expires <= V4_MAX_EXPIRES_S:
                raise OssError(
                    400,
                    "InvalidArgument",
                    "x-oss-expires must be between 1 and 604800 seconds.",
                    EC="0002-00000232",
                )
            if now > start + expires:
                raise OssError(
                    403,
                    "AccessDenied",
                    "Request has expired.",
                    Expires=iso_time(start + expires),
                    ServerTime=iso_time(now),
                    EC="0002-00000236",
                )
            if start - now > MAX_SKEW_S:
                raise OssError(403, "AccessDenied", "Request is not valid yet.")
        elif abs(now - start) > MAX_SKEW_S:
            raise OssError(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
        signed_params = {k: v for k, v in params.items() if k != "x-oss-signature"}
        payload = (
            "UNSIGNED-PAYLOAD" if query else headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
        )
        canonical = v4_canonical_request(
            request.method, request.bucket, request.key, signed_params, headers, additional, payload
        )
        scope = f"{date}/{region}/oss/aliyun_v4_request"
        string_to_sign = v4_string_to_sign(date_time, scope, canonical)
        expected = v4_signature(v4_signing_key(credential.secret, date, region), string_to_sign)
        if not hmac.compare_digest(expected, provided):
            err = signature_mismatch(access_key_id, provided, string_to_sign)
            err.extra["CanonicalRequest"] = canonical
            raise err
        self.check_token(credential, token)
        request.auth = "v4-query" if query else "v4-header"
        request.principal = access_key_id

    def authorize_read(self, request: OssRequest, bucket: Bucket) -> None:
        """May this request read ``bucket``? Anonymous: public-read only; temp bucket: nobody."""
        if bucket.name == self.state.temp_bucket:
            # Temporary uploads cannot be listed or downloaded (reference §7).
            raise OssError(403, "AccessDenied", "You have no right to access this object.")
        if request.principal is not None:
            return
        obj = bucket.objects.get(request.key or "")
        if bucket.public_read or (
            obj is not None and obj.acl in ("public-read", "public-read-write")
        ):
            return
        raise OssError(
            403,
            "AccessDenied",
            "You have no right to access this object because of bucket acl.",
            EC="0003-00000001",
        )

    def authorize_write(self, request: OssRequest, bucket: Bucket) -> None:
        """May this request write ``bucket``? Signed only; the temp bucket: its own key only."""
        if request.principal is None:
            raise OssError(
                403,
                "AccessDenied",
                "You have no right to access this object because of bucket acl.",
            )
        if (
            bucket.name == self.state.temp_bucket
            and request.principal != self.state.temp_access_key_id
        ):
            raise OssError(403, "AccessDenied", "You have no right to write to this bucket.")

    def verify_form(self, request: OssRequest, fields: dict[str, str]) -> str:
        """Verify a POST form upload's policy signature; the object key it names.

        The policy document's conditions are checked by :meth:`check_post_policy` once the file
        size is known.
        """
        access_key_id = fields.get("OSSAccessKeyId", "")
        policy_b64 = fields.get("policy", "")
        signature = fields.get("Signature", "")
        key = fields.get("key", "")
        if not (access_key_id and policy_b64 and signature):
            raise OssError(403, "AccessDenied", "Anonymous form uploads are not allowed.")
        if not key:
            raise OssError(400, "InvalidArgument", "The form has no key field.")
        credential = self.credential(access_key_id)
        expected = b64_hmac_sha1(credential.secret, policy_b64)
        if not hmac.compare_digest(expected, signature):
            raise signature_mismatch(access_key_id, signature, policy_b64)
        self.check_token(credential, fields.get("x-oss-security-token"))
        request.auth, request.principal = "post-policy", access_key_id
        return key

    def check_post_policy(
        self, policy_b64: str, bucket: str, key: str, size: int, fields: dict[str, str]
    ) -> None:
        """The POST policy document holds for this upload: not expired, every condition met."""
        try:
            document = json.loads(base64.b64decode(policy_b64))
            expiration = datetime.strptime(
                document["expiration"].replace(".000Z", "Z"), "%Y-%m-%dT%H:%M:%SZ"
            ).replace(tzinfo=timezone.utc)
        except (ValueError, KeyError, TypeError):
            raise OssError(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
        if self.state.now() > expiration.timestamp():
            raise OssError(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
        values = {f"${k.lower()}": v for k, v in fields.items()} | {"$key": key, "$bucket": bucket}
        for condition in document.get("conditions", []):
            if isinstance(condition, dict):
                for name, value in condition.items():
                    if values.get(f"${name.lower()}") != value:
                        raise condition_failed(condition)
            elif isinstance(condition, list) and len(condition) == 3:
                op = str(condition[0]).lower()
                if op == "content-length-range":
                    if not int(condition[1]) <= size <= int(condition[2]):
                        raise OssError(
                            400,
                            "EntityTooLarge" if size > int(condition[2]) else "EntityTooSmall",
                            "Your proposed upload size is outside the allowed range.",
                            MaxSizeAllowed=str(condition[2]),
                            ProposedSize=str(size),
                        )
                elif op == "starts-with":
                    if not str(values.get(str(condition[1]).lower(), "")).startswith(
                        str(condition[2])
                    ):
                        raise condition_failed(condition)
                elif op == "eq" and values.get(str(condition[1]).lower()) != condition[2]:
                    raise condition_failed(condition)
