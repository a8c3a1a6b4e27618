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
from dataclasses import dataclass, field
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

PROFILES: dict[str, ReleaseProfile] = {
    "10.5": ReleaseProfile(
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
        message_variants=_OLD_WORDING,
        automatic_restarts=False,
        phone_interaction_on_certificate_update=False,
        certmgr_rest_api=False,
        haproxy=False,
        uds_tomcat=False,
    ),
    "11.5": ReleaseProfile(
        name="11.5",
        active_version="11.5.1.18900-97",
        itl_signer=ItlSigner.CALLMANAGER,
        capf_on_subscribers=True,
        itlrecovery_cluster_wide=False,
        itlrecovery_validity_years=(5,),
        ecdsa_units=True,
        rsa_key_lengths=(1024, 2048),
        ec_key_lengths=(256, 384),
        hash_algorithms=_SHA2,
        trust_file_naming=TrustFileNaming.COMMON_NAME,
        include_ou_option=False,
        multi_san_cli_import=True,
        message_variants=_OLD_WORDING,
        automatic_restarts=False,
        phone_interaction_on_certificate_update=False,
        certmgr_rest_api=False,
        haproxy=False,
        uds_tomcat=False,
    ),
    "12.5": ReleaseProfile(
        name="12.5",
        active_version="12.5.1.17900-64",
        itl_signer=ItlSigner.ITLRECOVERY,
        capf_on_subscribers=True,
        itlrecovery_cluster_wide=True,
        itlrecovery_validity_years=(20,),
        ecdsa_units=True,
        rsa_key_lengths=(1024, 2048),
        ec_key_lengths=(256, 384),
        hash_algorithms=_SHA2,
        trust_file_naming=TrustFileNaming.COMMON_NAME,
        include_ou_option=False,
        multi_san_cli_import=True,
        message_variants=_NEW_WORDING,
        automatic_restarts=False,
        phone_interaction_on_certificate_update=False,
        certmgr_rest_api=False,
        haproxy=False,
        uds_tomcat=True,
    ),
    "14": ReleaseProfile(
        name="14",
        active_version="14.0.1.13900-155",
        itl_signer=ItlSigner.ITLRECOVERY,
        capf_on_subscribers=False,
        itlrecovery_cluster_wide=True,
        itlrecovery_validity_years=(20,),
        ecdsa_units=True,
        rsa_key_lengths=(1024, 2048, 3072, 4096),
        ec_key_lengths=(256, 384),
        hash_algorithms=_SHA2,
        trust_file_naming=TrustFileNaming.COMMON_NAME_SERIAL,
        include_ou_option=True,
        multi_san_cli_import=False,
        message_variants=_NEW_WORDING,
        automatic_restarts=True,
        phone_interaction_on_certificate_update=True,
        certmgr_rest_api=True,
        haproxy=True,
        uds_tomcat=True,
    ),
    "15": ReleaseProfile(
        name="15",
        active_version="15.0.1.11900-40",
        itl_signer=ItlSigner.ITLRECOVERY,
        capf_on_subscribers=False,
        itlrecovery_cluster_wide=True,
        itlrecovery_validity_years=(20, 5, 10, 15),
        ecdsa_units=True,
        rsa_key_lengths=(1024, 2048, 3072, 4096),
        ec_key_lengths=(256, 384),
        hash_algorithms=_SHA2,
        trust_file_naming=TrustFileNaming.COMMON_NAME_SERIAL,
        include_ou_option=True,
        multi_san_cli_import=False,
        message_variants=_NEW_WORDING,
        automatic_restarts=True,
        phone_interaction_on_certificate_update=True,
        certmgr_rest_api=True,
        haproxy=True,
        uds_tomcat=True,
    ),
}


def get_profile(name: str) -> ReleaseProfile:
    """Look a profile up by its release name ("11.5", "15", ...)."""
    try:
        return PROFILES[name]
    except KeyError:
        choices = ", ".join(PROFILES)
        raise ValueError(f"unknown release {name!r}; choose one of {choices}") from None
