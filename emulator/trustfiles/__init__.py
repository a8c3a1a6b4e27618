"""The ITL and CTL trust files: the ``.tlv`` encoding and ``show itl``/``show ctl``."""

from emulator.trustfiles.build import build_trust_file
from emulator.trustfiles.show import render_ctl, render_itl
from emulator.trustfiles.tlv import (
    Field,
    ParsedHeader,
    ParsedRecord,
    Role,
    TrustFile,
    TrustFileError,
    TrustRecord,
    name_string,
    parse_trust_file,
    signable_bytes,
)

__all__ = [
    "Field",
    "ParsedHeader",
    "ParsedRecord",
    "Role",
    "TrustFile",
    "TrustFileError",
    "TrustRecord",
    "build_trust_file",
    "name_string",
    "parse_trust_file",
    "render_ctl",
    "render_itl",
    "signable_bytes",
]
