"""gRPC with mutual TLS: a client with a certificate from the trusted CA gets in; others are refused."""
import datetime
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from common.errors import BoundaryConnectionFailed
from common.transports.grpc import build_server
from inventory.transports.grpc.client import GrpcInventoryApi
from inventory.transports.grpc.servicer import register

TOKEN = "dev-inventory-service-token"


def _certificate(tmp_path, name, *, issuer=None, ca=False):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer_cert, signer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder().subject_name(subject)
        .issuer_name(signer_cert.subject if signer_cert else subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    cert = builder.sign(signer_key, hashes.SHA256())
    (tmp_path / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / f"{name}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ))
    return cert, key


@pytest.fixture
def mtls_server(tmp_path):
    ca = _certificate(tmp_path, "ca", ca=True)
    _certificate(tmp_path, "server", issuer=ca)
    _certificate(tmp_path, "client", issuer=ca)
    tls = {"cert": str(tmp_path / "server.pem"), "key": str(tmp_path / "server.key"), "client_ca": str(tmp_path / "ca.pem")}
    server, port = build_server("inventory", "127.0.0.1:0", register, tls=tls)
    yield f"127.0.0.1:{port}", tmp_path
    server.stop(grace=None)


def test_a_client_with_a_trusted_certificate_is_served(mtls_server):
    target, certs = mtls_server
    tls = {"ca": str(certs / "ca.pem"), "cert": str(certs / "client.pem"), "key": str(certs / "client.key")}
    assert GrpcInventoryApi(target=target, token=TOKEN, tls=tls).get_availability(skus=[]) == []


@pytest.mark.parametrize("tls", [None, "server-only"], ids=["plaintext", "no-client-certificate"])
def test_a_client_without_a_certificate_is_refused(mtls_server, tls):
    target, certs = mtls_server
    config = {"ca": str(certs / "ca.pem")} if tls else None
    with pytest.raises(BoundaryConnectionFailed):
        GrpcInventoryApi(target=target, token=TOKEN, tls=config, timeout=3).get_availability(skus=[])
