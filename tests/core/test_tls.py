"""HTTPS downloads trust certifi's bundle, or exactly the CA file the user configures.

A loopback HTTPS replica of the hub with a certificate from a CA made here (openssl): refused by
default (at once, with what to set), trusted when SSL_CERT_FILE or PHOTOFIND_CA_BUNDLE names that
CA; huggingface_hub's client is the one that verifies (photofind/modelstore/hubclient.py).
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from pathlib import Path

import certifi
import pytest
from replica_hub import TINY_REPO as REPO
from replica_hub import Server, list_in_catalog, publish

from photofind.errors import DownloadError
from photofind.modelstore import ModelStore, tls


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


@pytest.fixture
def https_hub(pki: Path, tmp_path, tiny_immich_dir, monkeypatch):
    server = Server(certificate=(pki / "server.pem", pki / "server.key"))
    repo = publish(server, REPO, tiny_immich_dir, tmp_path / "hub" / REPO)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    list_in_catalog(monkeypatch, repo.commit)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _no_configured_ca(monkeypatch):
    for name in (tls.CA_BUNDLE_ENV, "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_an_untrusted_certificate_fails_at_once_and_says_what_to_set(https_hub, tmp_path):
    started = time.monotonic()
    with pytest.raises(DownloadError, match="certificate is not trusted") as caught:
        ModelStore(tmp_path / "models").install("tiny__immich")
    assert tls.CA_BUNDLE_ENV in str(caught.value) and "are you online" not in str(caught.value)
    # Not retried as if offline (huggingface_hub would back off for half a minute).
    assert time.monotonic() - started < 15


def test_the_default_is_certifis_bundle():
    expected = ssl.create_default_context(cafile=certifi.where()).get_ca_certs()
    assert tls.context().get_ca_certs() == expected and len(expected) > 50


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", tls.CA_BUNDLE_ENV])
def test_a_configured_ca_is_trusted(https_hub, pki, tmp_path, monkeypatch, variable):
    monkeypatch.setenv(variable, str(pki / "ca.pem"))
    installed = ModelStore(tmp_path / "models").install("tiny__immich")
    assert installed.name == "tiny__immich"
    assert {r.server for r in https_hub.log} == {"hub", "cdn"}


def test_a_missing_ca_file_is_one_clear_error(https_hub, tmp_path, monkeypatch):
    monkeypatch.setenv(tls.CA_BUNDLE_ENV, str(tmp_path / "nowhere.pem"))
    with pytest.raises(DownloadError, match=r"cannot load the CA certificates in .*nowhere\.pem"):
        ModelStore(tmp_path / "models").install("tiny__immich")
