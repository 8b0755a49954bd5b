"""oss2 pulls in requests/urllib3, which probe IPv6 with a socket at import: import it before
the unit suite disables sockets so that probe is not mistaken for a test using the network."""

import contextlib

with contextlib.suppress(ImportError):  # oss2 is the optional "oss" extra
    import oss2  # noqa: F401
