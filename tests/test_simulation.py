"""Installed versus loaded, failover, automatic restarts, expiry, repeatability."""

from __future__ import annotations

from flows import renew, reset_and_wait, restart, trusting

from emulator.trustfiles.trustlist import fingerprint


def _presented(lab, node):
    return lab.services.get(node, "Cisco Tomcat").loaded.certificate


def test_tomcat_upload_changes_nothing_until_tomcat_restarts(make_lab):
    """An uploaded tomcat certificate is installed at once but presented only after
    Cisco Tomcat restarts on that node."""
    lab = make_lab("15", subscribers=1, imp=0)
    pub = lab.publisher
    before = _presented(lab, pub)
    renew(lab, pub, "tomcat", "tomcat-trust")
    installed = lab.certs.stores(pub).identities["tomcat"].certificate
    assert installed != before and _presented(lab, pub) == before
    restart(lab, ("Cisco Tomcat",), [pub])
    assert _presented(lab, pub) == installed


def test_stopping_callmanager_fails_phones_over_at_once(make_lab):
    """Stopping CallManager closes the phones' connections: they register with the
    secondary in seconds, and return to the primary when it is back."""
    lab = make_lab("15", imp=0, phones=10)
    sub1 = lab.cluster.subscribers[0]
    homed = [p for p in lab.phones.phones if p.primary == sub1.hostname]
    service = lab.services.get(sub1, "Cisco CallManager")
    control = service.stop()
    lab.clock.run_until(lambda: control.finished, limit=600)
    lab.clock.advance(10)
    assert all(p.registered and p.registered_to == p.secondary for p in homed)
    service.start()
    lab.clock.run_until_idle(limit=3600)
    assert all(p.registered_to == sub1.hostname for p in homed)


def test_tvs_regeneration_restarts_services_and_resets_phones_on_15(make_lab):
    """From 14 TVS restarts by itself after a TVS change and, with Phone Interaction
    on Certificate Update at its default, phones reset and take the new ITL."""
    lab = make_lab("15", imp=0, phones=10)
    tvs = lab.services.get(lab.publisher, "Cisco Trust Verification Service")
    generation = tvs.generation
    lab.certs.regenerate(lab.publisher, "TVS")
    lab.clock.run_until_idle(limit=7200)
    assert tvs.generation == generation + 1
    assert lab.journal.query(kind="phones.reboot")
    assert trusting(lab)


def test_no_automatic_restart_on_11_5(make_lab):
    """Before 14 nothing restarts by itself after a certificate change."""
    lab = make_lab("11.5", imp=0, phones=4)
    lab.certs.regenerate(lab.publisher, "TVS")
    assert lab.clock.run_until_idle(limit=3600)
    assert not lab.journal.query(kind="service.state")
    assert not lab.journal.query(kind="phones.reboot")


def test_jumping_years_ahead_raises_expiry_alarms(make_lab):
    """The Certificate Monitor reports each expired certificate with the
    CertExpired alarm, once, on its daily run."""
    lab = make_lab("15", subscribers=0, imp=0)
    tomcat = lab.certs.stores(lab.publisher).identities["tomcat"].certificate
    lab.clock.advance(6 * 365 * 86400)
    expired = lab.journal.query(kind="certificate.expired", subject="tomcat")
    assert len(expired) == 1
    event = expired[0]
    assert event.details["alarm"].startswith("%UC_CERT-0-CertExpired: %[Message=")
    assert (
        "Certificate name:tomcat.der Unit:tomcat Type:own-cert"
        in event.details["alarm"]
    )
    assert "[AppID=Cisco Certificate Monitor]" in event.details["alarm"]
    lag = (event.at - tomcat.not_valid_after_utc).total_seconds()
    assert 0 <= lag <= 86400
    assert lab.journal.query(kind="certificate.expiring", subject="tomcat")


def _rehearsal(lab):
    for node in lab.cluster.cucm_nodes:
        lab.certs.regenerate(node, "CallManager")
    restart(
        lab, ("Cisco CallManager", "Cisco Trust Verification Service", "Cisco Tftp")
    )
    reset_and_wait(lab)
    return [
        (e.seconds, e.kind, e.node, e.subject, sorted(e.details.items()))
        for e in lab.journal
    ]


def test_same_seed_same_journal(make_lab):
    """Two runs of the same procedure with the same seed journal the same events at
    the same simulated times."""
    first = _rehearsal(make_lab("11.5", imp=0, phones=25, seed=11))
    second = _rehearsal(make_lab("11.5", imp=0, phones=25, seed=11))
    other = _rehearsal(make_lab("11.5", imp=0, phones=25, seed=12))
    assert first == second
    assert first != other


def test_tvs_vouches_from_what_it_loaded(make_lab):
    """A TVS that has not restarted since a CallManager change does not know the
    new certificate."""
    lab = make_lab("11.5", imp=0)
    tvs = lab.services.get(lab.publisher, "Cisco Trust Verification Service")
    new = lab.certs.regenerate(lab.publisher, "CallManager").certificate
    assert fingerprint(new) not in tvs.loaded.vouches
    restart(lab, ("Cisco Trust Verification Service",), [lab.publisher])
    assert fingerprint(new) in tvs.loaded.vouches


def test_https_services_fail_through_tvs_after_a_tomcat_change(make_lab):
    """Phones reach HTTPS services through TVS; a new tomcat certificate presented
    before TVS has reloaded shows "Host Not Found" on the phone."""
    lab = make_lab("15", subscribers=1, imp=0, phones=2)
    phone = lab.phones.phones[0]
    sub = lab.cluster.subscribers[0]
    assert lab.phones.open_https_service(phone, sub.hostname) == "OK"
    lab.certs.regenerate(sub, "tomcat")
    restart(lab, ("Cisco Tomcat",), [sub])
    assert lab.phones.open_https_service(phone, sub.hostname) == "Host Not Found"
    restart(lab, ("Cisco Trust Verification Service",))
    assert lab.phones.open_https_service(phone, sub.hostname) == "OK"
