"""go-plugin's AutoMTLS, plugin side: when the host passes its certificate in
PLUGIN_CLIENT_CERT, make a throw-away self-signed certificate (CN and SAN
"localhost", usable as its own CA, as go-plugin's own), serve TLS that
requires exactly the host's certificate, and announce ours in the handshake
line (DER, base64 without padding).

One exception: go-plugin's Go hosts make P-521 certificates, and grpcio's
TLS (BoringSSL) does not offer P-521 signatures for client certificates, so
such a host could never present its certificate. For those, the connection
stays TLS with the plugin authenticated, the host's certificate is asked for
but not required, and the socket's folder (private to the user) is what
keeps other users out. A warning says so. Over TCP (when no unix socket can
be made) nothing would, so plugin.py serves TCP only when the host's
certificate is required."""
import base64
import datetime
import logging

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAME = "localhost"


class Identity:
    def __init__(self):
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sluice")])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(seconds=30))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(digital_signature=True, key_encipherment=True, key_cert_sign=True, content_commitment=False,
                              data_encipherment=False, key_agreement=False, crl_sign=False, encipher_only=False, decipher_only=False),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME)]), critical=False)
            .sign(key, hashes.SHA256())
        )
        self.key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        self.cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
        self.handshake_field = base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode().rstrip("=")
        # Whether the TLS served requires the host's certificate (set by server_credentials).
        self.requires_client_cert = False

    def server_credentials(self, client_cert_pem: str) -> grpc.ServerCredentials:
        host_key = x509.load_pem_x509_certificate(client_cert_pem.encode()).public_key()
        verifiable = not (isinstance(host_key, ec.EllipticCurvePublicKey) and isinstance(host_key.curve, ec.SECP521R1))
        self.requires_client_cert = verifiable
        if not verifiable:
            logging.getLogger("sluice_sdk").warning(
                "AutoMTLS: the host's certificate is P-521, which grpcio cannot verify; serving TLS without requiring it")
        return grpc.ssl_server_credentials([(self.key_pem, self.cert_pem)], root_certificates=client_cert_pem.encode(), require_client_auth=verifiable)
