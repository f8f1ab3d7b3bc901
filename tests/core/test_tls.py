"""HTTPS downloads trust certifi's bundle, or exactly the CA file the user configures.

A loopback HTTPS server with a certificate from a CA made here (openssl): refused by default,
trusted when SSL_CERT_FILE or PHOTOFIND_CA_BUNDLE names that CA.
"""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from pathlib import Path

import certifi
import pytest

from photofind.errors import DownloadError
from photofind.modelstore import tls, web
from photofind.modelstore.download import fetch

BODY = b"model bytes " * 1000


def openssl(*args: str, cwd: Path) -> None:
    tool = shutil.which("openssl")
    assert tool, "this test needs openssl: apt-get install openssl (.ci/run installs it)"
    subprocess.run([tool, *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A test CA and a server certificate it signed for 127.0.0.1."""
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            "/CN=photofind test CA", "-keyout", "ca.key", "-out", "ca.pem", cwd=d)  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", "server.key", "-out", "server.csr", cwd=d)  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.pem",
            cwd=d)  # fmt: skip
    return d


@pytest.fixture(scope="module")
def https_url(pki: Path):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(pki / "server.pem", pki / "server.key")
    server.socket = served.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/visual.onnx"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_configured_ca(monkeypatch):
    for name in (tls.CA_BUNDLE_ENV, "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_the_test_ca_is_not_trusted_by_default(https_url, tmp_path):
    with pytest.raises(DownloadError, match="certificate is not trusted"):
        fetch(https_url, tmp_path / "a.part", retries=0)
    assert not (tmp_path / "a.part").exists() or (tmp_path / "a.part").stat().st_size == 0


def test_an_untrusted_certificate_fails_at_once_and_says_what_to_set(https_url, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    waits: list[float] = []
    monkeypatch.setattr(web, "sleep", lambda seconds, control=None: waits.append(seconds))
    with pytest.raises(DownloadError, match=tls.CA_BUNDLE_ENV) as caught:
        fetch(https_url, tmp_path / "a.part")  # the default retries
    assert waits == [], "a certificate failure is not retried as if offline"
    assert "are you online" not in str(caught.value)


def test_the_default_is_certifis_bundle():
    expected = ssl.create_default_context(cafile=certifi.where()).get_ca_certs()
    assert tls.context().get_ca_certs() == expected and len(expected) > 50


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", tls.CA_BUNDLE_ENV])
def test_a_configured_ca_is_trusted(https_url, pki, tmp_path, monkeypatch, variable):
    monkeypatch.setenv(variable, str(pki / "ca.pem"))
    part = tmp_path / "b.part"
    fetch(https_url, part, size=len(BODY), retries=0)
    assert part.read_bytes() == BODY


def test_a_missing_ca_file_is_one_clear_error(https_url, tmp_path, monkeypatch):
    monkeypatch.setenv(tls.CA_BUNDLE_ENV, str(tmp_path / "nowhere.pem"))
    with pytest.raises(DownloadError, match=r"cannot load the CA certificates in .*nowhere\.pem"):
        fetch(https_url, tmp_path / "c.part", retries=0)
