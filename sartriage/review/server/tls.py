"""TLS for a review server on a field LAN: a self-signed certificate kept beside the mission, and its
fingerprint, which volunteers compare with the one the coordinator shows before they accept it.

The certificate is made once and reused, so its fingerprint stays the same for the whole search.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sartriage.errors import ReviewError

VALID_DAYS = 365


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate, as browsers show it (AB:CD:...)."""
        try:
            loaded = x509.load_pem_x509_certificate(self.cert.read_bytes())
        except (OSError, ValueError) as exc:
            raise ReviewError(f"{self.cert}: not a readable PEM certificate ({exc})") from None
        return ":".join(f"{b:02X}" for b in loaded.fingerprint(hashes.SHA256()))


def _private_write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as stream:
        stream.write(data)


def self_signed(folder: Path, hosts: list[str]) -> Certificate:
    """The certificate in ``folder`` (made there first, for ``hosts``: names or IP addresses)."""
    found = Certificate(folder / "cert.pem", folder / "key.pem")
    if found.cert.exists() and found.key.exists():
        return found
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sartriage review server")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    _private_write(
        found.key,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    _private_write(found.cert, cert.public_bytes(serialization.Encoding.PEM))
    return found
