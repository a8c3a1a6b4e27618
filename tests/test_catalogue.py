"""Every catalogue entry, produced naturally by doing the wrong thing.

Each producer sets a lab up and returns the one wrong step; its docstring
says what CUCM does. The test checks the error's code and text, and that the
wrong step left every node's stores exactly as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flows import csr, pem, signed, upload_ca_chain

from emulator import CucmError, Lab
from emulator.errors import CATALOGUE

Wrong = Callable[[], object]
Producer = Callable[[Lab], Wrong]
NATURAL: dict[str, tuple[Producer, tuple[str, ...]]] = {}
DATA = Path(__file__).parent / "data"


def natural(code: str, *profiles: str) -> Callable[[Producer], Producer]:
    def register(producer: Producer) -> Producer:
        NATURAL[code] = (producer, profiles or ("11.5", "15"))
        return producer

    return register


def _sub(lab: Lab):
    return lab.cluster.subscribers[0]


# -- request -------------------------------------------------------------------
@natural("INVALID_CERTIFICATE_FILE")
def _garbage(lab: Lab) -> Wrong:
    """CUCM refuses a file that is not a certificate."""
    junk = bytes(range(256)) * 3
    return lambda: lab.certs.upload_trust(lab.publisher, "tomcat-trust", junk)


@natural("FILE_TOO_LARGE")
def _ten_megabytes(lab: Lab) -> Wrong:
    """CUCM refuses a 10 MB upload before reading it."""
    blob = b"A" * (10 * 1024 * 1024)
    return lambda: lab.certs.upload_identity(lab.publisher, "tomcat", blob)


@natural("CSR_NOT_CERTIFICATE")
def _csr_instead_of_certificate(lab: Lab) -> Wrong:
    """CUCM refuses a CSR uploaded where the signed certificate belongs."""
    pending = csr(lab, lab.publisher, "tomcat")
    return lambda: lab.certs.upload_identity(lab.publisher, "tomcat", pending.pem)


@natural("PRIVATE_KEY_NOT_ACCEPTED")
def _private_key(lab: Lab) -> Wrong:
    """CUCM never takes a private key pasted in place of a certificate."""
    from cryptography.hazmat.primitives import serialization

    key = lab.certs.stores(lab.publisher).identities["tomcat"].key
    blob = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return lambda: lab.certs.upload_trust(lab.publisher, "tomcat-trust", blob)


@natural("CHAIN_OUT_OF_ORDER")
def _chain_reversed(lab: Lab) -> Wrong:
    """CUCM refuses a chain whose certificates do not each follow their subject."""
    upload_ca_chain(lab, lab.publisher, "tomcat-trust")
    issued = signed(lab, lab.publisher, "tomcat")
    reversed_chain = b"".join(pem(c) for c in (*reversed(issued.chain), issued.leaf))
    return lambda: lab.certs.upload_identity(lab.publisher, "tomcat", reversed_chain)


@natural("INVALID_CERTIFICATE_PURPOSE")
def _unknown_purpose(lab: Lab) -> Wrong:
    """CUCM offers only its own certificate purposes."""
    root = pem(lab.ca.root)
    return lambda: lab.certs.upload_trust(lab.publisher, "tomcat-trusted", root)


@natural("UNIT_NOT_ON_NODE")
def _unit_elsewhere(lab: Lab) -> Wrong:
    """An IM&P unit does not exist on a CUCM node."""
    return lambda: csr(lab, lab.publisher, "cup-xmpp")


@natural("INVALID_DESCRIPTION")
def _hostile_description(lab: Lab) -> Wrong:
    """CUCM refuses markup in a certificate description."""
    root = pem(lab.ca.root)
    text = "<script>alert(1)</script>"
    return lambda: lab.certs.upload_trust(lab.publisher, "tomcat-trust", root, text)


@natural("PUBLISHER_ONLY", "15")
def _itlrecovery_on_subscriber(lab: Lab) -> Wrong:
    """From 12.5 ITLRecovery is regenerated on the publisher only."""
    return lambda: lab.certs.regenerate(_sub(lab), "ITLRecovery")


@natural("NODE_NOT_FOUND")
def _unknown_node(lab: Lab) -> Wrong:
    """A server outside the cluster cannot be acted on."""
    return lambda: lab.node("cucm-nowhere.example")


# -- csr ----------------------------------------------------------------------
@natural("CSR_KEY_TYPE_NOT_ALLOWED")
def _ec_tomcat(lab: Lab) -> Wrong:
    """Key Type is forced to RSA for tomcat."""
    return lambda: csr(lab, lab.publisher, "tomcat", key_type="EC")


@natural("CSR_KEY_LENGTH_NOT_ALLOWED")
def _odd_length(lab: Lab) -> Wrong:
    """CUCM offers only its listed key lengths."""
    return lambda: csr(lab, lab.publisher, "tomcat", key_length=1536)


@natural("CSR_HASH_NOT_ALLOWED")
def _weak_hash(lab: Lab) -> Wrong:
    """The hash must be at least as strong as an EC key."""
    return lambda: csr(
        lab, lab.publisher, "tomcat-ECDSA", key_length=384, hash_algorithm="SHA256"
    )


@natural("CSR_MULTI_SERVER_NOT_SUPPORTED")
def _multi_ipsec(lab: Lab) -> Wrong:
    """ipsec has no Multi-server(SAN) distribution."""
    return lambda: csr(lab, lab.publisher, "ipsec", distribution="multi-server")


@natural("CSR_INVALID_NAME")
def _wildcard_domain(lab: Lab) -> Wrong:
    """CUCM does not put wildcard names into a CSR."""
    return lambda: csr(lab, lab.publisher, "tomcat", other_domains=("*.example.com",))


@natural("CSR_INCLUDE_OU_NOT_AVAILABLE", "11.5")
def _include_ou_before_14(lab: Lab) -> Wrong:
    """Include OU in CSR arrived in 14SU1."""
    return lambda: csr(lab, lab.publisher, "tomcat", include_ou=False)


# -- upload -------------------------------------------------------------------
@natural("CA_CERT_NOT_IN_TRUST_STORE")
def _no_root(lab: Lab) -> Wrong:
    """CUCM refuses a leaf whose root and intermediate were not uploaded as trust."""
    issued = signed(lab, lab.publisher, "tomcat")
    return lambda: lab.certs.upload_identity(lab.publisher, "tomcat", issued.pem())


@natural("CSR_MISSING")
def _no_csr(lab: Lab) -> Wrong:
    """CUCM refuses a leaf when no CSR is pending (it was used by an earlier upload)."""
    upload_ca_chain(lab, lab.publisher, "CallManager-trust")
    issued = signed(lab, lab.publisher, "CallManager")
    lab.certs.upload_identity(lab.publisher, "CallManager", issued.pem())
    return lambda: lab.certs.upload_identity(lab.publisher, "CallManager", issued.pem())


@natural("CSR_PUBLIC_KEY_MISMATCH")
def _csr_regenerated(lab: Lab) -> Wrong:
    """A CSR regenerated after signing no longer matches the certificate's key."""
    upload_ca_chain(lab, lab.publisher, "tomcat-trust")
    issued = signed(lab, lab.publisher, "tomcat")
    csr(lab, lab.publisher, "tomcat")
    return lambda: lab.certs.upload_identity(lab.publisher, "tomcat", issued.pem())


@natural("CSR_SAN_MISMATCH")
def _extra_sans(lab: Lab) -> Wrong:
    """A CA that adds the CN and an IP to the SANs gets its certificate refused."""
    upload_ca_chain(lab, lab.publisher, "tomcat-trust")
    issued = signed(
        lab, lab.publisher, "tomcat", "extra-sans", distribution="multi-server"
    )
    return lambda: lab.certs.upload_identity(lab.publisher, "tomcat", issued.pem())


@natural("WILDCARD_NOT_SUPPORTED")
def _wildcard(lab: Lab) -> Wrong:
    """CUCM does not support wildcard certificates."""
    upload_ca_chain(lab, lab.publisher, "tomcat-trust")
    issued = signed(lab, lab.publisher, "tomcat", "wildcard")
    return lambda: lab.certs.upload_identity(lab.publisher, "tomcat", issued.pem())


@natural("CERTIFICATE_EXPIRED")
def _expired(lab: Lab) -> Wrong:
    """CUCM refuses an expired certificate."""
    upload_ca_chain(lab, lab.publisher, "ipsec-trust")
    issued = signed(lab, lab.publisher, "ipsec", "expired")
    return lambda: lab.certs.upload_identity(lab.publisher, "ipsec", issued.der())


@natural("CERTIFICATE_NOT_YET_VALID")
def _not_yet_valid(lab: Lab) -> Wrong:
    """A certificate whose validity has not begun is refused."""
    upload_ca_chain(lab, lab.publisher, "TVS-trust")
    issued = signed(lab, lab.publisher, "TVS", "not-yet-valid")
    return lambda: lab.certs.upload_identity(lab.publisher, "TVS", issued.pkcs7_pem())


@natural("KEY_SIZE_NOT_SUPPORTED")
def _oversized_key(lab: Lab) -> Wrong:
    """CUCM takes keys of at most 4096 bits."""
    root = (DATA / "rsa8192-root.pem").read_bytes()
    return lambda: lab.certs.upload_trust(lab.publisher, "CallManager-trust", root)


@natural("MULTI_SAN_CLI_IMPORT", "15")
def _multi_san_by_cli(lab: Lab) -> Wrong:
    """From 14SU2 a multi-SAN certificate can only be uploaded in the GUI."""
    upload_ca_chain(lab, lab.publisher, "tomcat-trust")
    issued = signed(lab, lab.publisher, "tomcat", distribution="multi-server")
    return lambda: lab.certs.upload_identity(
        lab.publisher, "tomcat", issued.pem(), channel="cli"
    )


# -- trust --------------------------------------------------------------------
@natural("TRUST_SAME_CN_NEWER_EXISTS")
def _older_root_again(lab: Lab) -> Wrong:
    """With a renewed root of the same CN stored, the older root is not uploaded."""
    old_root = pem(lab.ca.root)
    lab.clock.advance(86400)
    renewed = lab.ca.__class__(
        keys=lab.keys, now=lambda: lab.clock.now, rng=__import__("random").Random(5)
    )
    lab.certs.upload_trust(lab.publisher, "tomcat-trust", pem(renewed.root))
    return lambda: lab.certs.upload_trust(lab.publisher, "tomcat-trust", old_root)


@natural("TRUST_CERT_NOT_FOUND")
def _delete_unknown(lab: Lab) -> Wrong:
    """Only a file listed in the store can be deleted."""
    return lambda: lab.certs.delete_certificate(lab.publisher, "tomcat-trust", "no.pem")


@natural("IDENTITY_NOT_DELETABLE")
def _delete_identity(lab: Lab) -> Wrong:
    """System identity certificates can only be regenerated, never deleted."""
    return lambda: lab.certs.delete_certificate(lab.publisher, "tomcat", "tomcat.pem")


# -- platform -----------------------------------------------------------------
@natural("REGEN_KEY_LENGTH_NOT_ALLOWED")
def _regen_odd_length(lab: Lab) -> Wrong:
    """Generate Self-signed offers only the release's key lengths."""
    return lambda: lab.certs.regenerate(lab.publisher, "ipsec", key_length=8192)


@natural("WEB_SECURITY_COUNTRY_FIXED")
def _change_country(lab: Lab) -> Wrong:
    """The country of the subject cannot change after installation."""
    return lambda: lab.certs.set_web_security(
        lab.publisher,
        orgunit="Voice",
        orgname="Lab",
        locality="X",
        state="Y",
        country="DE",
    )


@natural("SSO_SAML_RESPONSE")
def _sso_after_tomcat_change(lab: Lab) -> Wrong:
    """A tomcat change with SSO enabled breaks SAML logins once Tomcat restarts."""
    lab.sso.enable()
    lab.clock.run_until_idle(limit=3600)
    lab.certs.regenerate(lab.publisher, "tomcat")
    control = lab.services.get(lab.publisher, "Cisco Tomcat").restart()
    lab.clock.run_until(lambda: control.finished, limit=3600)
    return lambda: lab.sso.login(lab.publisher.hostname)


@natural("DRF_BUSY")
def _second_backup(lab: Lab) -> Wrong:
    """DRF runs one backup or restore at a time."""
    lab.drf.start_backup("first")
    return lambda: lab.drf.start_backup("second")


@natural("DRF_NO_BACKUP")
def _restore_unknown(lab: Lab) -> Wrong:
    """A restore needs a completed backup."""
    return lambda: lab.drf.restore_certificates("never-taken")


def test_every_catalogue_entry_has_a_natural_producer():
    """Each documented CUCM error can be produced by doing the wrong thing."""
    assert set(NATURAL) == set(CATALOGUE)


CASES = [
    pytest.param(code, version, id=f"{code}-{version}")
    for code, (_, profiles) in sorted(NATURAL.items())
    for version in profiles
]


@pytest.mark.parametrize(("code", "version"), CASES)
def test_wrong_step_raises_its_entry_and_changes_nothing(make_lab, code, version):
    """The wrong step fails with the entry's text for the release, stores untouched."""
    lab = make_lab(version, subscribers=1)
    producer, _ = NATURAL[code]
    wrong = producer(lab)
    before = lab.certs.state()
    journal_length = len(lab.journal)
    with pytest.raises(CucmError) as raised:
        wrong()
    error = raised.value
    assert error.code == code
    assert error.message == CATALOGUE[code].render(lab.profile, **error.params)
    assert error.hint
    assert lab.certs.state() == before
    assert len(lab.journal) == journal_length


@pytest.mark.parametrize(
    ("version", "text"),
    [
        (
            "11.5",
            "The file /usr/local/platform/.security/CallManager/keys/"
            "CallManager.csr does not exist",
        ),
        (
            "15",
            "The file /usr/local/platform/upload/certs//CallManager.der "
            "could not be uploaded.",
        ),
    ],
)
def test_csr_missing_wording_per_release(make_lab, version, text):
    """The missing-CSR error names the .csr path on older releases, .der on newer."""
    lab = make_lab(version, subscribers=0, imp=0)
    wrong = _no_csr(lab)
    with pytest.raises(CucmError) as raised:
        wrong()
    assert str(raised.value) == text


def test_san_mismatch_text_is_cucms(make_lab):
    """CUCM's SAN mismatch reads 'CSR SAN and Certificate SAN does not match'."""
    lab = make_lab("11.5", subscribers=1, imp=0)
    with pytest.raises(CucmError) as raised:
        _extra_sans(lab)()
    assert str(raised.value) == "CSR SAN and Certificate SAN does not match"
    assert "the certificate has" in raised.value.hint
