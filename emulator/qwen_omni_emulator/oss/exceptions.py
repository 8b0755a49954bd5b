"""OSS error answers (the XML ``<Error>`` document carries these fields)."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["OssError", "condition_failed", "signature_mismatch"]


class OssError(Exception):
    """An OSS error answer: status, code, message and extra XML fields."""

    def __init__(self, status: int, code: str, message: str, **extra: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def signature_mismatch(access_key_id: str, provided: str, string_to_sign: str) -> OssError:
    """403 ``SignatureDoesNotMatch`` with what OSS returns to debug it."""
    return OssError(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        OSSAccessKeyId=access_key_id,
        SignatureProvided=provided,
        StringToSign=string_to_sign,
        EC="0002-00000040",
    )


def condition_failed(condition: Any) -> OssError:
    """403 ``AccessDenied``: a POST policy condition does not hold."""
    return OssError(
        403,
        "AccessDenied",
        f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}",
    )
