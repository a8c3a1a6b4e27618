"""Mixed mode, tokenless CTL, rollback, SSO and DRF (reference 2.3, 2.4, 3.5, 3.7)."""

from __future__ import annotations

import pytest
from flows import CALLMANAGER_RESTARTS, renew, reset_and_wait, restart, trusting

from emulator import CucmError
from emulator.trustfiles import Role, parse_trust_file


def _mixed(make_lab, version="15"):
    lab = make_lab(version, imp=0, phones=16, secure_phones=0.5)
    lab.security.set_mixed_mode()
    restart(lab, ("Cisco Tftp", "Cisco CallManager"))
    reset_and_wait(lab)
    return lab


def _callmanager_change(lab):
    for node in lab.cluster.cucm_nodes:
        lab.certs.regenerate(node, "CallManager")


def test_mixed_mode_registers_secure_phones_with_tls(make_lab):
    """After set-cluster mixed-mode, restarts and a reset, TLS phones register."""
    lab = _mixed(make_lab)
    assert lab.security.parameters.cluster_security_mode == 1
    secure = [p for p in lab.phones.phones if p.secure]
    assert secure and all(p.registered and p.ctl is not None for p in secure)


def test_callmanager_change_without_ctl_update_breaks_tls_phones(make_lab):
    """Restarting CallManager after a CallManager change without utils ctl update
    CTLFile leaves TLS phones unable to register (authentication error)."""
    lab = _mixed(make_lab)
    _callmanager_change(lab)
    restart(lab, CALLMANAGER_RESTARTS)
    lab.phones.reset()
    lab.clock.run_until_idle(limit=7200)
    secure = [p for p in lab.phones.phones if p.secure]
    assert all(p.status.value == "UnRegistered" and p.reason == 10 for p in secure)
    assert all(p.message == "Phone is registering" for p in secure)
    assert all(p.registered for p in lab.phones.phones if not p.secure)


def test_ctl_update_before_restarts_keeps_tls_phones(make_lab):
    """utils ctl update CTLFile before the restarts, then a reset: all register."""
    lab = _mixed(make_lab)
    _callmanager_change(lab)
    lab.security.update_ctl()
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert trusting(lab)


def test_ctl_on_11_5_is_vouched_by_tvs_after_its_signer_changes(make_lab):
    """On 11.5 the tokenless CTL is signed by the publisher's CallManager; after a
    CallManager change phones with Security By Default accept the new CTL via TVS."""
    lab = _mixed(make_lab, "11.5")
    _callmanager_change(lab)
    lab.security.update_ctl()
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert all(p.ctl is lab.security.ctl for p in lab.phones.phones)


def test_ctl_records_and_signature(make_lab):
    """The CTL holds SAST, CCM+TFTP and CAPF records, no TVS, signed by ITLRecovery."""
    lab = make_lab("15", imp=0)
    lab.security.set_mixed_mode()
    parsed = parse_trust_file(lab.security.ctl.raw)
    roles = [r.role for r in parsed.records]
    assert Role.TVS not in roles
    assert roles.count(Role.CCM_TFTP) == 3
    signer = lab.certs.stores(lab.publisher).identities["ITLRecovery"].certificate
    assert parsed.verify(signer)
    lab.security.set_non_secure_mode()
    assert Role.CCM_TFTP not in {r.role for r in lab.security.ctl.parsed.records}


def test_rollback_parameter_serves_an_empty_itl(make_lab):
    """Prepare Cluster for Rollback resets phones onto an ITL with no TVS or TFTP
    records; afterwards they accept any new ITL."""
    lab = make_lab("11.5", imp=0, phones=8)
    lab.security.set_prepare_cluster_for_rollback(True)
    assert lab.clock.run_until(lab.phones.all_registered, limit=3600)
    assert all(p.itl.empty for p in lab.phones.phones)
    for node in lab.cluster.cucm_nodes:
        lab.certs.regenerate(node, "CallManager")
        lab.certs.regenerate(node, "TVS")
    lab.security.set_prepare_cluster_for_rollback(False)
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert trusting(lab) and not lab.phones.locked()


def test_tomcat_change_breaks_sso_until_reestablished(make_lab):
    """With SSO on, a new tomcat certificate breaks logins once Tomcat restarts;
    disabling and enabling SSO again fixes them."""
    lab = make_lab("15", subscribers=1, imp=0)
    lab.sso.enable()
    lab.clock.run_until_idle(limit=3600)
    lab.sso.login(lab.publisher.hostname)
    renew(lab, lab.publisher, "tomcat", "tomcat-trust")
    lab.sso.login(lab.publisher.hostname)  # Tomcat still presents the old one
    restart(lab, ("Cisco Tomcat",), [lab.publisher])
    with pytest.raises(CucmError) as failed:
        lab.sso.login(lab.publisher.hostname)
    assert str(failed.value) == "Error while processing saml response"
    lab.sso.disable()
    lab.sso.enable()
    lab.clock.run_until_idle(limit=3600)
    lab.sso.login(lab.publisher.hostname)


def test_ipsec_change_during_backup_breaks_it(make_lab):
    """No backup may run while ipsec is regenerated: the agents lose trust."""
    lab = make_lab("15", subscribers=1, imp=0)
    backup = lab.drf.start_backup("nightly", seconds=600)
    lab.clock.advance(60)
    lab.certs.regenerate(lab.cluster.subscribers[0], "ipsec")
    lab.clock.advance(600)
    assert backup.status == "failed"
    assert "ipsec" in backup.reason
    quiet = lab.drf.start_backup("again", seconds=600)
    lab.clock.advance(700)
    assert quiet.status == "completed"
