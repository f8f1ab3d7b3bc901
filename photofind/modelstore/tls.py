"""Which certificates an HTTPS model download trusts (huggingface_hub's client is given this
context by photofind/modelstore/hubclient.py).

A frozen bundle carries its own OpenSSL, which looks for CA certificates where the build
machine's distribution keeps them: on another distribution, on macOS or on Windows it may find
none, and every HTTPS download would fail. So photofind trusts certifi's Mozilla bundle (a
dependency, bundled by PyInstaller's certifi hook) unless told otherwise:
`PHOTOFIND_CA_BUNDLE` or OpenSSL's own `SSL_CERT_FILE` / `SSL_CERT_DIR` name the certificates
to trust instead (an organisation's proxy CA, say), and then only those.
"""

from __future__ import annotations

import os
import ssl

import certifi

from photofind.errors import DownloadError

CA_BUNDLE_ENV = "PHOTOFIND_CA_BUNDLE"


def configured() -> tuple[str | None, ...]:
    """The CA settings a context is made from (a client is remade when they change)."""
    return tuple(os.environ.get(v) for v in (CA_BUNDLE_ENV, "SSL_CERT_FILE", "SSL_CERT_DIR"))


def context() -> ssl.SSLContext:
    """A verifying client context: the configured CA file/folder, else certifi's bundle."""
    cafile = os.environ.get(CA_BUNDLE_ENV) or os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    try:
        if cafile or capath:
            return ssl.create_default_context(cafile=cafile, capath=capath)
        return ssl.create_default_context(cafile=certifi.where())
    except (OSError, ssl.SSLError) as exc:
        where = cafile or capath or certifi.where()
        raise DownloadError(f"cannot load the CA certificates in {where} ({exc})") from None
