"""Release profiles: every rule that changed between CUCM releases.

A lab runs one profile. Code asks the profile ("who signs the ITL?", "may a
subscriber hold a CAPF certificate?") instead of comparing version numbers,
so a behaviour that moved between releases is changed in one table here.
The facts come from the version landmarks at the top of
``reference/cucm-certificates-and-trust.md``; choices the reference leaves
open are listed in the approximations data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum


class ItlSigner(Enum):
    """Whose key signs ITLFile.tlv and the tokenless CTL."""

    CALLMANAGER = "CallManager"
    ITLRECOVERY = "ITLRecovery"


class TrustFileNaming(Enum):
    """How a trust certificate's file is named inside its store."""

    COMMON_NAME = "cn"
    COMMON_NAME_SERIAL = "cn_serial"


@dataclass(frozen=True)
class ReleaseProfile:
    """The version-dependent rules of one CUCM release."""

    name: str
    active_version: str
    itl_signer: ItlSigner
    capf_on_subscribers: bool
    itlrecovery_cluster_wide: bool
    itlrecovery_validity_years: tuple[int, ...]
    ecdsa_units: bool
    rsa_key_lengths: tuple[int, ...]
    ec_key_lengths: tuple[int, ...]
    hash_algorithms: tuple[str, ...]
    trust_file_naming: TrustFileNaming
    include_ou_option: bool
    multi_san_cli_import: bool
    automatic_restarts: bool
    phone_interaction_on_certificate_update: bool
    certmgr_rest_api: bool
    haproxy: bool
    uds_tomcat: bool
    #: Catalogue code -> the name of the text variant this release shows.
    message_variants: Mapping[str, str] = field(default_factory=dict)

    @property
    def major(self) -> float:
        return float(self.name)

    def key_lengths(self, key_type: str) -> tuple[int, ...]:
        return self.rsa_key_lengths if key_type == "RSA" else self.ec_key_lengths


_SHA2 = ("SHA256", "SHA384", "SHA512")

# Which text a release shows for a missing CSR (reference section 5: "this
# depends on the CUCM version"). Which releases show which is not documented;
# the split below is listed in the approximations.
_OLD_WORDING = {"CSR_MISSING": "csr-path"}
_NEW_WORDING = {"CSR_MISSING": "der-upload"}

_R10_5 = ReleaseProfile(
    name="10.5",
    active_version="10.5.2.15900-8",
    itl_signer=ItlSigner.CALLMANAGER,
    capf_on_subscribers=True,
    itlrecovery_cluster_wide=False,
    itlrecovery_validity_years=(5,),
    ecdsa_units=False,
    rsa_key_lengths=(1024, 2048),
    ec_key_lengths=(),
    hash_algorithms=_SHA2,
    trust_file_naming=TrustFileNaming.COMMON_NAME,
    include_ou_option=False,
    multi_san_cli_import=True,
    automatic_restarts=False,
    phone_interaction_on_certificate_update=False,
    certmgr_rest_api=False,
    haproxy=False,
    uds_tomcat=False,
    message_variants=_OLD_WORDING,
)
# Each release below is the one before it plus what changed (see the table of
# version landmarks in the reference).
_R11_5 = replace(
    _R10_5,
    name="11.5",
    active_version="11.5.1.18900-97",
    ecdsa_units=True,
    ec_key_lengths=(256, 384),
)
_R12_5 = replace(
    _R11_5,
    name="12.5",
    active_version="12.5.1.17900-64",
    itl_signer=ItlSigner.ITLRECOVERY,
    itlrecovery_cluster_wide=True,
    itlrecovery_validity_years=(20,),
    uds_tomcat=True,
    message_variants=_NEW_WORDING,
)
_R14 = replace(
    _R12_5,
    name="14",
    active_version="14.0.1.13900-155",
    capf_on_subscribers=False,
    rsa_key_lengths=(1024, 2048, 3072, 4096),
    trust_file_naming=TrustFileNaming.COMMON_NAME_SERIAL,
    include_ou_option=True,
    multi_san_cli_import=False,
    automatic_restarts=True,
    phone_interaction_on_certificate_update=True,
    certmgr_rest_api=True,
    haproxy=True,
)
_R15 = replace(
    _R14, name="15", active_version="15.0.1.11900-40",
    itlrecovery_validity_years=(20, 5, 10, 15),
)  # fmt: skip

PROFILES: dict[str, ReleaseProfile] = {
    profile.name: profile for profile in (_R10_5, _R11_5, _R12_5, _R14, _R15)
}


def get_profile(name: str) -> ReleaseProfile:
    """Look a profile up by its release name ("11.5", "15", ...)."""
    try:
        return PROFILES[name]
    except KeyError:
        choices = ", ".join(PROFILES)
        raise ValueError(f"unknown release {name!r}; choose one of {choices}") from None
