"""Certificate commands: ``show cert``, ``show csr``, ``set csr``, ``set cert``.

Every change goes through the model's CertificateManager, which checks it
and either makes it whole or raises the catalogue error the shell prints;
nothing here judges a certificate. What the CLI adds is the dialogue: the
questions CUCM asks and the confirmations it prints (reference
cucm-certificates-and-trust.md section 4.1, cucm-interfaces.md section 5).
A question left unanswered because the client went away changes nothing.
"""

from __future__ import annotations

import shlex
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID

from emulator import errors
from emulator.certstore.csr import CsrRequest
from emulator.errors import CucmError
from emulator.pki.encoding import serial_hex

if TYPE_CHECKING:
    from api.admincli.shell import AdminShell, Handler

REGEN_WARNING = (
    "WARNING: This operation will overwrite any CA signed certificate "
    "previously imported for  {unit}"
)
ITLRECOVERY_WARNING = (
    "WARNING: If you are using a tokenless CTL and if the CallManager certificate "
    "is recently generated, please ensure that the CTL File already has the new "
    "CallManager certificate and is updated to the endpoints, before generating "
    "the ITL Recovery certificate. Are you sure want to proceed?"
)
PROCEED = "Proceed with regeneration (yes|no)? "
REGENERATED = "Successfully Regenerated Certificate for {unit}."
RESTART_AFTER_REGEN = (
    "You must restart services related to {unit} for the regenerated "
    "certificates to become active."
)
RESTART_AFTER_ITLRECOVERY = (
    "You must restart the services related to ITLRecovery for the regenerated "
    "certificates to become active."
)
INCLUDE_OU = "Include OU in CSR (yes|no)?"
CSR_GENERATED = "Successfully Generated CSR for {unit}."
PASTE = "Paste the Certificate and Hit Enter"
IMPORTED = "Successfully imported certificate for {unit}."
RESTART_AFTER_IMPORT = (
    "Please restart services related to {unit} for the new certificate to "
    "become active."
)
DELETE_QUESTION = "Do you wish to proceed (yes|no)? "
#: The date layout of ``show cert``, e.g. ``Fri Feb 04 15:31:39 UTC 2022``.
DATE = "%a %b %d %H:%M:%S %Z %Y"

_KEY_BYTES_PER_LINE = 32
# Key usage bits as cryptography names them, then as CUCM's Java dump does.
_KEY_USAGES = (
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "nonRepudiation"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
)


# -- show ---------------------------------------------------------------------
async def show_cert_list_own(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    identities = shell.lab.certs.stores(shell.node).identities.values()
    await shell.show([f"{i.unit}/{i.filename}: {i.description}" for i in identities])


async def show_cert_list_trust(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    trust = shell.lab.certs.stores(shell.node).trust
    await shell.show(
        [
            f"{store}/{filename}: {entry.description}"
            for store, entries in trust.items()
            for filename, entry in entries.items()
        ]
    )


async def show_cert_own(shell: AdminShell, args: str) -> None:
    (name,) = shell.words(args, 1, 1)
    unit_name, _, filename = name.partition("/")
    certs = shell.lab.certs
    unit = certs.unit_on(shell.node, unit_name)
    identity = certs.stores(shell.node).identities[unit.name]
    if filename and filename.casefold() != identity.filename.casefold():
        raise CucmError(
            errors.TRUST_CERT_NOT_FOUND,
            shell.profile,
            filename=filename,
            store=unit.name,
        )
    await shell.show(describe(identity.certificate))


async def show_cert_trust(shell: AdminShell, args: str) -> None:
    (name,) = shell.words(args, 1, 1)
    store_name, _, filename = name.partition("/")
    if not filename:
        shell.usage()
    store = _trust_store(shell, store_name)
    entries = shell.lab.certs.stores(shell.node).trust[store]
    entry = entries.get(filename) or next(
        (e for f, e in entries.items() if f.casefold() == filename.casefold()), None
    )
    if entry is None:
        raise CucmError(
            errors.TRUST_CERT_NOT_FOUND, shell.profile, filename=filename, store=store
        )
    await shell.show(describe(entry.certificate))


async def show_csr_own(shell: AdminShell, args: str) -> None:
    (name,) = shell.words(args, 1, 1)
    certs = shell.lab.certs
    unit = certs.unit_on(shell.node, name)
    pending = certs.stores(shell.node).csrs.get(unit.name)
    if pending is None:
        # The catalogue's wording that names the CSR file itself, whatever
        # wording this release shows for an upload without a CSR.
        shell.say(errors.CSR_MISSING.variants["csr-path"].format(unit=unit.name))
        return
    await shell.show(pending.pem)


async def show_csr_list(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    csrs = shell.lab.certs.stores(shell.node).csrs
    await shell.show([f"{unit}/{pending.filename}" for unit, pending in csrs.items()])


async def show_web_security(shell: AdminShell, args: str) -> None:
    shell.words(args, 0, 0)
    web = shell.lab.certs.stores(shell.node).web_security
    org = web.organisation
    await shell.show(
        [
            "---------------------------------------------------------------",
            f"OrgUnit:             {org.orgunit}",
            f"OrgName:             {org.orgname}",
            f"Locality:            {org.locality}",
            f"State:               {org.state}",
            f"Country:             {org.country}",
            f"Alternate Host Name: {web.alternate_hostname or '(none)'}",
            "---------------------------------------------------------------",
        ]
    )


# -- set ------------------------------------------------------------------------
async def set_csr_gen(shell: AdminShell, args: str) -> None:
    (name,) = shell.words(args, 1, 1)
    certs = shell.lab.certs
    unit = certs.unit_on(shell.node, name)
    include_ou = None
    if shell.profile.include_ou_option:
        include_ou = await shell.confirm(INCLUDE_OU)
    certs.generate_csr(shell.node, CsrRequest(unit=unit.name, include_ou=include_ou))
    shell.say(CSR_GENERATED.format(unit=unit.name))


async def set_cert_regen(shell: AdminShell, args: str) -> None:
    (name,) = shell.words(args, 1, 1)
    certs = shell.lab.certs
    unit = certs.unit_on(shell.node, name)
    itlrecovery = unit.name == "ITLRecovery"
    shell.say(
        ITLRECOVERY_WARNING if itlrecovery else REGEN_WARNING.format(unit=unit.name)
    )
    if not await shell.confirm(PROCEED):
        return
    certs.regenerate(shell.node, unit.name)
    closing = RESTART_AFTER_ITLRECOVERY if itlrecovery else RESTART_AFTER_REGEN
    shell.say(REGENERATED.format(unit=unit.name), closing.format(unit=unit.name))


async def set_cert_import_own(shell: AdminShell, args: str) -> None:
    # The optional caCert argument names a file already in the trust store;
    # the model finds the issuers there by itself, so it is accepted unread.
    name = shell.words(args, 1, 2)[0]
    certs = shell.lab.certs
    unit = certs.unit_on(shell.node, name)
    pasted = await _paste(shell)
    certs.upload_identity(shell.node, unit.name, pasted, channel="cli")
    shell.say(
        IMPORTED.format(unit=unit.name), RESTART_AFTER_IMPORT.format(unit=unit.name)
    )


async def set_cert_import_trust(shell: AdminShell, args: str) -> None:
    (name,) = shell.words(args, 1, 1)
    store = _trust_store(shell, name)
    pasted = await _paste(shell)
    shell.lab.certs.upload_trust(shell.node, store, pasted)
    category = store.removesuffix("-trust")
    shell.say(
        IMPORTED.format(unit=category), RESTART_AFTER_IMPORT.format(unit=category)
    )


async def set_cert_delete(shell: AdminShell, args: str) -> None:
    name, filename = shell.words(args, 2, 2)
    store = _trust_store(shell, name)
    certs = shell.lab.certs
    if filename not in certs.stores(shell.node).trust[store]:
        # Let the model refuse it, in its words, before anything is asked.
        certs.delete_certificate(shell.node, store, filename)
    shell.say(f"This operation will delete {filename} from {store}.")
    if not await shell.confirm(DELETE_QUESTION):
        return
    certs.delete_certificate(shell.node, store, filename)
    shell.say(f"Successfully deleted {store}/{filename}.")


async def set_web_security(shell: AdminShell, args: str) -> None:
    try:
        words = shlex.split(args)
    except ValueError:
        shell.usage()
    if not 4 <= len(words) <= 6:
        shell.usage()
    orgunit, orgname, locality, state, *rest = words
    shell.lab.certs.set_web_security(
        shell.node,
        orgunit=orgunit,
        orgname=orgname,
        locality=locality,
        state=state,
        country=rest[0] if rest else None,
        alternatehostname=rest[1] if len(rest) > 1 else None,
    )
    shell.say(
        REGENERATED.format(unit="tomcat"), RESTART_AFTER_REGEN.format(unit="tomcat")
    )


# -- helpers ---------------------------------------------------------------------
def _trust_store(shell: AdminShell, name: str) -> str:
    """``tomcat`` means tomcat-trust; the store's full name is accepted too."""
    if not name.casefold().endswith("-trust"):
        name = f"{name}-trust"
    return shell.lab.certs.trust_store_on(shell.node, name)


async def _paste(shell: AdminShell) -> str:
    """Pasted lines up to the blank line that ends the paste.

    Clients paste the PEM and then send a bare line end. Blank lines before
    anything arrives, or inside a BEGIN/END block, do not end it.
    """
    shell.say(PASTE)
    lines: list[str] = []
    inside = False
    while True:
        line = (await shell.ask("")).strip()
        if not line:
            if lines and not inside:
                return "\n".join(lines) + "\n"
            continue
        if line.startswith("-----BEGIN"):
            inside = True
        elif line.startswith("-----END"):
            inside = False
        lines.append(line)


def describe(certificate: x509.Certificate) -> list[str]:
    """``show cert``'s dump: the fields parsers read, the extensions, the PEM."""
    key = certificate.public_key()
    kind = "EC" if isinstance(key, ec.EllipticCurvePublicKey) else "RSA"
    algorithm = certificate.signature_hash_algorithm
    digest = algorithm.name.upper().replace("-", "") if algorithm else "NONE"
    signer = "ECDSA" if kind == "EC" else "RSA"
    key_der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    lines = [
        "[",
        f"Version: V{certificate.version.value + 1}",
        f"Serial Number: {serial_hex(certificate)}",
        f"SignatureAlgorithm: {digest}with{signer} "
        f"({certificate.signature_algorithm_oid.dotted_string})",
        f"Issuer Name: {_name(certificate.issuer)}",
        f"Validity From: {_date(certificate.not_valid_before_utc)}",
        f"To: {_date(certificate.not_valid_after_utc)}",
        f"Subject Name: {_name(certificate.subject)}",
        f"Key: {kind} ({_key_detail(key)})",
        "Key value:",
    ]
    width = _KEY_BYTES_PER_LINE
    lines += [key_der[i : i + width].hex() for i in range(0, len(key_der), width)]
    lines.append(f"Extensions: {len(certificate.extensions)} present")
    for extension in certificate.extensions:
        lines += [
            "[",
            f"   Extension: {_extension_name(extension)} "
            f"(OID.{extension.oid.dotted_string})",
            f"   Critical: {str(extension.critical).lower()}",
            *(f"   {v}" for v in _extension_values(extension.value)),
            "]",
        ]
    lines.append("]")
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return [*lines, "", *pem.splitlines()]


def _name(name: x509.Name) -> str:
    # Most specific first, comma and space between, as Java prints a name.
    return ", ".join(rdn.rfc4514_string() for rdn in reversed(name.rdns))


def _date(moment: datetime) -> str:
    return moment.strftime(DATE)


def _key_detail(key: object) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return f"{key.key_size} bits"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.curve.name
    return type(key).__name__


def _extension_name(extension: x509.Extension[x509.ExtensionType]) -> str:
    name = getattr(extension.oid, "_name", "")
    return name if name and name != "Unknown OID" else "Unknown"


def _extension_values(value: x509.ExtensionType) -> list[str]:
    if isinstance(value, x509.SubjectAlternativeName):
        names = [f"DNS: {n}" for n in value.get_values_for_type(x509.DNSName)]
        addresses = value.get_values_for_type(x509.IPAddress)
        return names + [f"IP: {a}" for a in addresses]
    if isinstance(value, x509.ExtendedKeyUsage):
        return ["Usage oids: " + ", ".join(oid.dotted_string for oid in value)]
    if isinstance(value, x509.KeyUsage):
        usages = [java for name, java in _KEY_USAGES if getattr(value, name)]
        return ["Usages: " + ", ".join(usages)]
    if isinstance(value, x509.BasicConstraints):
        length = "undefined" if value.path_length is None else value.path_length
        return [f"CA: {str(value.ca).lower()}", f"PathLen: {length}"]
    if isinstance(value, x509.SubjectKeyIdentifier):
        return [f"KeyID: {value.digest.hex()}"]
    if value.oid == ExtensionOID.AUTHORITY_KEY_IDENTIFIER:
        identifier = getattr(value, "key_identifier", None) or b""
        return [f"KeyID: {identifier.hex()}"]
    return []


COMMANDS: tuple[tuple[str, Handler], ...] = (
    ("show cert list own", show_cert_list_own),
    ("show cert list trust", show_cert_list_trust),
    ("show cert own <unit>[/<unit>.pem]", show_cert_own),
    ("show cert trust <store>/<file>", show_cert_trust),
    ("show csr own <unit>", show_csr_own),
    ("show csr list own", show_csr_list),
    ("show csr list", show_csr_list),
    ("show web-security", show_web_security),
    ("set csr gen <unit>", set_csr_gen),
    ("set cert regen <unit>", set_cert_regen),
    ("set cert import own <unit> [caCert]", set_cert_import_own),
    ("set cert import trust <unit>", set_cert_import_trust),
    ("set cert delete <unit> <file>", set_cert_delete),
    (
        "set web-security <orgunit> <orgname> <locality> <state> [country] "
        "[alternatehostname]",
        set_web_security,
    ),
)
