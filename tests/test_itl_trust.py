"""What certificate changes do to phones' trust (reference sections 3.2 to 3.5)."""

from __future__ import annotations

import pytest
from flows import (
    CALLMANAGER_RESTARTS,
    TVS_RESTARTS,
    reset_and_wait,
    restart,
    trusting,
)


def _regenerate_everywhere(lab, *units):
    for node in lab.cluster.cucm_nodes:
        for unit in units:
            lab.certs.regenerate(node, unit)


def test_callmanager_and_tvs_together_lock_phones_on_11_5(make_lab):
    """With the ITL signed by CallManager, regenerating CallManager and TVS before
    phones took the new ITL leaves them no trust path: Trust List Update Failed."""
    lab = make_lab("11.5", imp=0, phones=30)
    _regenerate_everywhere(lab, "CallManager", "TVS")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert len(lab.phones.locked()) == 30
    assert not trusting(lab)
    outcomes = {
        e.details["outcome"] for e in lab.journal.query(kind="phone.trust.rejected")
    }
    assert outcomes == {"TVS_UNREACHABLE"}
    # Locked phones keep their old configuration but still register.
    assert lab.phones.counts() == {"Registered": 30}


def test_one_certificate_at_a_time_keeps_every_phone_trusting_on_11_5(make_lab):
    """CallManager first (restarts, reset, wait for registration), then TVS: every
    phone takes each new ITL, vouched for by TVS the first time."""
    lab = make_lab("11.5", imp=0, phones=30)
    _regenerate_everywhere(lab, "CallManager")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert trusting(lab) and not lab.phones.locked()
    vouched = lab.journal.query(kind="phone.trust.itl")
    assert {e.details["outcome"] for e in vouched} == {"TVS_VOUCHED"}

    _regenerate_everywhere(lab, "TVS")
    restart(lab, TVS_RESTARTS)
    reset_and_wait(lab)
    assert trusting(lab) and not lab.phones.locked()


@pytest.mark.parametrize("version", ["12.5", "15"])
def test_callmanager_and_tvs_together_are_benign_from_12(make_lab, version):
    """From 12.0 ITLRecovery signs the ITL, so changing CallManager and TVS together
    does not lock phones."""
    lab = make_lab(version, imp=0, phones=20)
    lab.security.set_cluster_parameter("PhoneInteractionOnCertificateUpdate", False)
    _regenerate_everywhere(lab, "CallManager", "TVS")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert trusting(lab) and not lab.phones.locked()


def test_changing_all_three_locks_phones_on_15(make_lab):
    """Regenerating CallManager, TVS and ITLRecovery together leaves no anchor."""
    lab = make_lab("15", imp=0, phones=10)
    lab.security.set_cluster_parameter("PhoneInteractionOnCertificateUpdate", False)
    _regenerate_everywhere(lab, "CallManager", "TVS")
    lab.certs.regenerate(lab.publisher, "ITLRecovery")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert len(lab.phones.locked()) == 10


def test_phone_off_during_the_changes_is_locked_and_itl_reset_recovers_it(make_lab):
    """A phone that missed the CallManager change and powers on after the TVS change
    is locked; utils itl reset localkey with the two resets brings it back."""
    lab = make_lab("11.5", imp=0, phones=12)
    absent = lab.phones.phones[0]
    lab.phones.power_off([absent])

    _regenerate_everywhere(lab, "CallManager")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    _regenerate_everywhere(lab, "TVS")
    restart(lab, TVS_RESTARTS)
    reset_and_wait(lab)

    lab.phones.power_on([absent])
    assert lab.clock.run_until(lambda: absent.registered, limit=3600)
    assert lab.phones.locked() == [absent]

    lab.security.reset_itl()
    reset_and_wait(lab)
    restart(lab, ("Cisco Tftp",), [lab.publisher])
    reset_and_wait(lab)
    assert trusting(lab) and not lab.phones.locked()


def test_factory_reset_recovers_a_locked_phone(make_lab):
    """A factory reset erases the ITL, so the phone trusts the next one it gets."""
    lab = make_lab("11.5", imp=0, phones=4)
    _regenerate_everywhere(lab, "CallManager", "TVS")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert len(lab.phones.locked()) == 4
    lab.phones.erase_trust(lab.phones.phones, factory=True)
    assert lab.clock.run_until(lab.phones.all_registered, limit=3600)
    assert trusting(lab) and not lab.phones.locked()


def test_drs_restore_of_old_certificates_unlocks_phones(make_lab):
    """Restoring the old CallManager and TVS keys from a DRS backup puts back what
    the phones trust."""
    lab = make_lab("11.5", imp=0, phones=6)
    lab.drf.start_backup("before")
    lab.clock.run_until(lambda: lab.drf.running is None, limit=7200)
    _regenerate_everywhere(lab, "CallManager", "TVS")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert lab.phones.locked()
    lab.drf.restore_certificates("before")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert not lab.phones.locked() and trusting(lab)


def test_trust_files_parse_back_and_verify(make_lab):
    """The ITL parses back and its signature verifies with the signer's certificate:
    ITLRecovery from 12.0, the TFTP node's CallManager before."""
    from emulator.trustfiles import Role, parse_trust_file

    for version, unit in (("11.5", "CallManager"), ("15", "ITLRecovery")):
        lab = make_lab(version, subscribers=1, imp=0)
        files = lab.services.get(lab.publisher, "Cisco Tftp").loaded
        parsed = parse_trust_file(files.itl.raw)
        signer = lab.certs.stores(lab.publisher).identities[unit].certificate
        assert parsed.verify(signer)
        roles = {r.role for r in parsed.records}
        assert {Role.SAST, Role.TFTP, Role.TVS, Role.CAPF} <= roles
        tvs = [r for r in parsed.records if r.role is Role.TVS]
        assert len(tvs) == 2
