"""Release profiles hold the rules that changed between releases."""

from __future__ import annotations

import pytest

from emulator.profile import PROFILES, ItlSigner, get_profile


def test_itl_signer_moved_to_itlrecovery_in_12():
    """Up to 11.5 the TFTP node CallManager key signs the ITL; from 12.0 ITLRecovery."""
    assert get_profile("11.5").itl_signer is ItlSigner.CALLMANAGER
    assert get_profile("12.5").itl_signer is ItlSigner.ITLRECOVERY


def test_rest_api_from_14():
    """The certificate management REST API exists from release 14."""
    assert [p.name for p in PROFILES.values() if p.certmgr_rest_api] == ["14", "15"]


def test_unknown_release_names_the_choices():
    """Asking for a release the lab does not model lists the ones it does."""
    with pytest.raises(ValueError, match=r"10\.5, 11\.5, 12\.5, 14, 15"):
        get_profile("9.1")
