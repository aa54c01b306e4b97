"""The finish callback: the job's summary POSTed as JSON to the URL given with the job.

Signed, when the server has a shared secret, with ``X-Remixer-Signature: sha256=<hex>``,
the HMAC-SHA256 of the exact body, so the receiver can check it came from this server.
Network errors, 429 and 5xx answers are retried with exponential backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from typing import Any

log = logging.getLogger("remixer.studio")

SIGNATURE_HEADER = "X-Remixer-Signature"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def deliver(url: str, payload: dict[str, Any], secret: str = "", *, attempts: int = 5,
            backoff: float = 0.5, timeout: float = 10.0) -> bool:
    """POST ``payload``; True once the receiver answers 2xx, False after the last attempt."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "remixer-studio"}
    if secret:
        headers[SIGNATURE_HEADER] = signature(secret, body)
    for attempt in range(attempts):
        try:
            request = urllib.request.Request(url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - http(s) checked at submission
                if 200 <= answer.status < 300:
                    return True
        except urllib.error.HTTPError as exc:
            if exc.code < 500 and exc.code != 429:
                log.warning("webhook %s refused the summary: HTTP %s", url, exc.code)
                return False
        except OSError as exc:
            log.info("webhook %s: %s (attempt %d of %d)", url, exc, attempt + 1, attempts)
        if attempt + 1 < attempts:
            time.sleep(backoff * 2 ** attempt)
    log.warning("webhook %s: gave up after %d attempts", url, attempts)
    return False
