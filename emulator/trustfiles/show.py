"""``show itl`` and ``show ctl``: the admin CLI's dump of a trust file.

The layout follows the verbatim ``show ctl`` sample of reference section
4.2 (cucm-certificates-and-trust): checksums, length and date, the header as
a ``BYTEPOS TAG LENGTH VALUE`` table, one such table per record, and a
verdict on the signature. CUCM's spellings are kept, typos included
(``DIGESTALGORTITHM``). ``show itl`` is not quoted anywhere, so it is
``show ctl`` with ITL in place of CTL.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from emulator.trustfiles import tlv
from emulator.trustfiles.tlv import Field, ParsedRecord, TrustFile, TrustFileError

_HEADER_TAGS = {
    tlv.SIGNER_INFO: "SIGNERID",
    tlv.SIGNER_NAME: "SIGNERNAME",
    tlv.SERIAL_NUMBER: "SERIALNUMBER",
    tlv.ISSUER_NAME: "CANAME",
    tlv.SIGNATURE_INFO: "SIGNATUREINFO",
    tlv.HASH_ALGORITHM: "DIGESTALGORTITHM",
    tlv.SIGNATURE_ALGO_INFO: "SIGNATUREALGOINFO",
    tlv.SIGNATURE_ALGORITHM: "SIGNATUREALGORTITHM",
    tlv.SIGNATURE_MODULUS: "SIGNATUREMODULUS",
    tlv.SIGNATURE: "SIGNATURE",
    tlv.FILENAME: "FILENAME",
    tlv.TIMESTAMP: "TIMESTAMP",
}
_RECORD_TAGS = {
    tlv.R_LENGTH: "RECORDLENGTH",
    tlv.R_DNS_NAME: "DNSNAME",
    tlv.R_SUBJECT: "SUBJECTNAME",
    tlv.R_FUNCTION: "FUNCTION",
    tlv.R_ISSUER: "ISSUERNAME",
    tlv.R_SERIAL: "SERIALNUMBER",
    tlv.R_PUBLIC_KEY: "PUBLICKEY",
    tlv.R_SIGNATURE: "SIGNATURE",
    tlv.R_CERTIFICATE: "CERTIFICATE",
    tlv.R_IP_ADDRESS: "IPADDRESS",
}

# What the CLI says when the file is missing. The CTL text is CUCM's own; no
# sample of the ITL case exists, so its advice points at what builds an ITL.
_NOT_FOUND = {
    "CTL": (
        "CTL File not found. Please run CTLClient plugin or run the CLI - "
        "utils ctl.. to generate the CTL file."
    ),
    "ITL": (
        "ITL File not found. Please restart the Cisco TFTP service "
        "to generate the ITL file."
    ),
}

_COLUMNS = "{:<9}{:<21}{:<8}{}"
_DUMP_BYTES_PER_LINE = 16


def render_itl(data: bytes | None, *, modified: datetime) -> str:
    """What ``show itl`` prints for the ITL file holding ``data``."""
    return _render("ITL", data, modified)


def render_ctl(data: bytes | None, *, modified: datetime) -> str:
    """What ``show ctl`` prints for the CTL file holding ``data``."""
    return _render("CTL", data, modified)


def _render(kind: str, data: bytes | None, modified: datetime) -> str:
    if not data:
        return "\n".join(
            [
                f"Length of {kind} file: 0",
                _NOT_FOUND[kind],
                f"Error parsing the {kind} File.",
                "",
            ]
        )
    if modified.tzinfo is None:
        raise ValueError("the modification time must be timezone-aware")

    lines = [
        f"The checksum value of the {kind} file:",
        f"{hashlib.md5(data, usedforsecurity=False).hexdigest()}(MD5)",
        f"{hashlib.sha1(data, usedforsecurity=False).hexdigest()}(SHA1)",
        "",
        f"Length of {kind} file: {len(data)}",
        f"The {kind} File was last modified on "
        + modified.strftime("%a %b %d %H:%M:%S %Z %Y"),
        "",
        f"Parse {kind} File",
        "----------------",
        "",
    ]
    try:
        trust = tlv.parse_trust_file(data)
    except TrustFileError as error:
        lines += [f"Error parsing the {kind} File.", f"Reason: {error}", ""]
        return "\n".join(lines)

    header = trust.header
    lines += [
        f"Version: {header.version[0]}.{header.version[1]}",
        f"HeaderLength: {header.header_length} (BYTES)",
        "",
    ]
    # VERSION and HEADERLENGTH have their own lines above the table.
    shown = [f for f in header.fields if f.tag not in (tlv.VERSION, tlv.HEADER_LENGTH)]
    lines += _table(shown, _HEADER_TAGS, hex_dump=tlv.SIGNATURE)

    signer = trust.signer_record()
    for number, record in enumerate(trust.records, start=1):
        lines += ["", f"{kind} Record #:{number}", "----"]
        lines += _table(_record_fields(trust, record), _RECORD_TAGS)
        if record.role is tlv.Role.SAST:
            used = "was" if record is signer else "was not"
            lines.append(f"This etoken {used} used to sign the {kind} file.")

    lines += ["", _verdict(kind, trust), ""]
    return "\n".join(lines)


def _table(
    fields: list[Field], names: dict[int, str], hex_dump: int | None = None
) -> list[str]:
    rows = [_COLUMNS.format("BYTEPOS", "TAG", "LENGTH", "VALUE")]
    rows.append(_COLUMNS.format("-------", "---", "------", "-----"))
    for field in fields:
        name = names.get(field.tag, str(field.tag))
        if field.tag == hex_dump:
            rows.append(_COLUMNS.format(field.bytepos, name, field.length, ""))
            dump, width = bytes.fromhex(field.value), _DUMP_BYTES_PER_LINE
            for start in range(0, len(dump), width):
                rows.append(" " * 9 + dump[start : start + width].hex(" "))
            continue
        rows.append(_COLUMNS.format(field.bytepos, name, field.length, field.value))
    return [row.rstrip() for row in rows]


def _record_fields(trust: TrustFile, record: ParsedRecord) -> list[Field]:
    """The TLVs of one record, read again from the file for their positions."""
    certificate = hashlib.sha1(record.certificate_der, usedforsecurity=False)
    shown = {
        tlv.R_LENGTH: str(record.length),
        tlv.R_DNS_NAME: record.dns_name,
        tlv.R_SUBJECT: record.subject_name,
        tlv.R_FUNCTION: record.role.label,
        tlv.R_ISSUER: record.issuer_name,
        tlv.R_SERIAL: record.serial_number.hex(":").upper(),
        tlv.R_CERTIFICATE: f"{certificate.hexdigest()} (SHA1 Hash HEX)",
        tlv.R_IP_ADDRESS: record.ip_address,
    }
    end = record.offset + record.length
    return [
        Field(position, tag, len(value), shown.get(tag, ""))
        for position, tag, value in tlv.iter_tlvs(trust.raw, record.offset, end)
    ]


def _verdict(kind: str, trust: TrustFile) -> str:
    if trust.verify():
        return f"The {kind} file was verified successfully."
    if trust.signer_record() is None:
        reason = "no SAST record carries the signer's serial number"
    else:
        reason = "its signature does not match the SAST record that signed it"
    return f"Error: The {kind} file was not verified successfully: {reason}."
