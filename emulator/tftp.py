"""What Cisco TFTP loads when it starts: the ITL it serves and its signing key.

Each TFTP node builds its own ``ITLFile.tlv`` (reference section 3.1): its
CallManager certificate (role TFTP, or CCM+TFTP in mixed mode), the SAST
signer, every TVS certificate of the cluster and CAPF when the CAPF service
is activated. The signer is the node's CallManager key up to 11.5 and the
ITLRecovery key from 12.0. Configuration files are always signed with the
CallManager key TFTP loaded. None of this changes until TFTP restarts (or a
command such as ``utils itl reset`` rewrites the file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.certstore import CertificateManager, IdentityCertificate
from emulator.cluster import Node
from emulator.pki.keys import PrivateKey
from emulator.profile import ItlSigner
from emulator.trustfiles.build import build_trust_file
from emulator.trustfiles.signed import sign_file
from emulator.trustfiles.tlv import Role, TrustRecord
from emulator.trustfiles.trustlist import TrustList, fingerprint, trust_list


@dataclass(frozen=True)
class Signer:
    """A certificate and key that signs trust files, and what it is called."""

    certificate: x509.Certificate
    key: rsa.RSAPrivateKey
    unit: str

    @classmethod
    def of(cls, identity: IdentityCertificate) -> Signer:
        """The signer for an installed identity (ITL signers are RSA units)."""
        if not isinstance(identity.key, rsa.RSAPrivateKey):
            raise ValueError(f"{identity.unit} has no RSA key to sign trust files")
        return cls(identity.certificate, identity.key, identity.unit)


@dataclass(frozen=True, eq=False)
class TftpFiles:
    """The snapshot one TFTP node serves from until it restarts."""

    node: str
    itl: TrustList
    itl_signer: str
    built_at: datetime
    config_certificate: x509.Certificate
    config_key: PrivateKey
    tomcat: x509.Certificate
    #: Fingerprint of ``config_certificate``, what phones compare.
    config_signer: bytes


def itl_signer(certs: CertificateManager, node: Node) -> Signer:
    """The key this release signs a TFTP node's ITL with."""
    stores = certs.stores(node)
    unit = (
        "ITLRecovery"
        if certs.profile.itl_signer is ItlSigner.ITLRECOVERY
        else ("CallManager")
    )
    return Signer.of(stores.identities[unit])


def recovery_signer(certs: CertificateManager, node: Node) -> Signer:
    """The key ``utils itl reset localkey`` signs with: the one phones already
    trust besides the usual signer (CallManager from 12.0, ITLRecovery before)."""
    stores = certs.stores(node)
    unit = (
        "CallManager"
        if certs.profile.itl_signer is ItlSigner.ITLRECOVERY
        else ("ITLRecovery")
    )
    return Signer.of(stores.identities[unit])


def build_itl(
    certs: CertificateManager,
    node: Node,
    *,
    mixed_mode: bool,
    capf_active: bool,
    rollback: bool,
    timestamp: int,
    signer: Signer | None = None,
) -> bytes:
    """The ``ITLFile.tlv`` bytes ``node`` builds from what is installed now."""
    signer = signer or itl_signer(certs, node)
    stores = certs.stores(node)
    records = [TrustRecord(Role.SAST, signer.certificate, node.fqdn, node.ip_address)]
    if signer.unit != "ITLRecovery":
        # The ITLRecovery key is listed whenever it is not the signer (always
        # up to 11.5, during ``utils itl reset`` from 12.0): it is what lets a
        # later ITL signed by it be trusted.
        recovery = stores.identities["ITLRecovery"].certificate
        records.append(TrustRecord(Role.SAST, recovery, node.fqdn, node.ip_address))
    if not rollback:
        role = Role.CCM_TFTP if mixed_mode else Role.TFTP
        own = stores.identities["CallManager"].certificate
        records.append(TrustRecord(role, own, node.fqdn, node.ip_address))
        for peer in certs.cluster.cucm_nodes:
            tvs = certs.stores(peer).identities["TVS"].certificate
            records.append(TrustRecord(Role.TVS, tvs, peer.fqdn, peer.ip_address))
        publisher = certs.cluster.publisher
        if capf_active:
            capf = certs.stores(publisher).identities["CAPF"].certificate
            records.append(
                TrustRecord(Role.CAPF, capf, publisher.fqdn, publisher.ip_address)
            )
    algorithm = (
        "SHA1" if certs.profile.itl_signer is ItlSigner.CALLMANAGER else "SHA512"
    )
    key = signer.key
    return build_trust_file(
        "ITLFile.tlv",
        records,
        signer.certificate,
        key,
        timestamp,
        algorithm,  # type: ignore[arg-type]
    )


def load_tftp(
    certs: CertificateManager,
    node: Node,
    *,
    mixed_mode: bool,
    capf_active: bool,
    rollback: bool,
    now: datetime,
    signer: Signer | None = None,
) -> TftpFiles:
    """Everything Cisco TFTP on ``node`` loads when it starts."""
    stores = certs.stores(node)
    chosen = signer or itl_signer(certs, node)
    raw = build_itl(
        certs,
        node,
        mixed_mode=mixed_mode,
        capf_active=capf_active,
        rollback=rollback,
        timestamp=int(now.timestamp()),
        signer=chosen,
    )
    callmanager = stores.identities["CallManager"]
    return TftpFiles(
        node=node.hostname,
        itl=trust_list(raw),
        itl_signer=chosen.unit,
        built_at=now,
        config_certificate=callmanager.certificate,
        config_key=callmanager.key,
        tomcat=stores.identities["tomcat"].certificate,
        config_signer=fingerprint(callmanager.certificate),
    )


def device_config(
    phone_name: str,
    callmanagers: tuple[str, ...],
    *,
    generation: int,
    security_mode: int,
    tvs_nodes: tuple[str, ...],
) -> bytes:
    """The ``SEP<MAC>.cnf.xml`` TFTP serves: the parts certificate work touches."""
    members = "".join(
        f'<member priority="{i}"><callManager><name>{name}</name><ports>'
        "<sipPort>5060</sipPort><securedSipPort>5061</securedSipPort></ports>"
        "</callManager></member>"
        for i, name in enumerate(callmanagers)
    )
    tvs = "".join(
        f"<tvs><address>{name}</address><port>2445</port></tvs>" for name in tvs_nodes
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<device><fullConfig>true</fullConfig><deviceProtocol>SIP</deviceProtocol>"
        f"<devicePool><callManagerGroup><members>{members}</members>"
        f"</callManagerGroup></devicePool>"
        f"<deviceSecurityMode>{1 + security_mode}</deviceSecurityMode>"
        f"<TVS><members>{tvs}</members></TVS>"
        f"<configVersionStamp>{phone_name}-{generation}</configVersionStamp>"
        "</device>\n"
    )
    return xml.encode()


def signed_config(files: TftpFiles, filename: str, xml: bytes, timestamp: int) -> bytes:
    """``xml`` signed with the CallManager key TFTP loaded, as ``.sgn``."""
    key = files.config_key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("CallManager has no RSA key to sign configuration files")
    return sign_file(filename, xml, files.config_certificate, key, timestamp)
