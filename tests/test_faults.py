"""Fault injection: the same entries through the same code paths, seeded."""

from __future__ import annotations

import pytest
from flows import csr, pem, reset_and_wait, signed, upload_ca_chain
from test_catalogue import NATURAL

from emulator import CucmError
from emulator.errors import CATALOGUE
from emulator.faults import FaultError


def _good_upload(lab):
    """A correct CA-signed tomcat upload, ready to run."""
    upload_ca_chain(lab, lab.publisher, "tomcat-trust")
    issued = signed(lab, lab.publisher, "tomcat")
    return lambda: lab.certs.upload_identity(lab.publisher, "tomcat", issued.pem())


UPLOAD_ERRORS = [
    "CA_CERT_NOT_IN_TRUST_STORE",
    "CSR_MISSING",
    "CSR_PUBLIC_KEY_MISMATCH",
    "CSR_SAN_MISMATCH",
    "WILDCARD_NOT_SUPPORTED",
    "CERTIFICATE_EXPIRED",
    "CERTIFICATE_NOT_YET_VALID",
    "KEY_SIZE_NOT_SUPPORTED",
]


@pytest.mark.parametrize("code", UPLOAD_ERRORS)
def test_injected_upload_error_reads_like_the_natural_one(make_lab, code):
    """An injected upload error fails a correct upload with the natural text, and
    only the journal says it was injected."""
    lab = make_lab("15", subscribers=1, imp=0)
    upload = _good_upload(lab)
    before = lab.certs.state()
    lab.faults.add(code, node=lab.publisher.hostname, unit="tomcat", count=1)
    with pytest.raises(CucmError) as injected:
        upload()
    assert injected.value.code == code
    assert lab.certs.state() == before
    fired = lab.journal.query(kind="fault.fired")
    assert fired and all(e.injected for e in fired)

    natural_lab = make_lab("15", subscribers=1, imp=0)
    wrong = NATURAL[code][0](natural_lab)
    with pytest.raises(CucmError) as natural:
        wrong()
    if injected.value.params == natural.value.params:
        assert injected.value.message == natural.value.message
    assert injected.value.entry is natural.value.entry
    upload()  # the rule fired once; the same upload now succeeds


def test_csr_missing_in_both_wordings(make_lab):
    """The CSR-missing fault can show either wording CUCM releases use."""
    lab = make_lab("15", subscribers=0, imp=0)
    upload = _good_upload(lab)
    lab.faults.add("CSR_MISSING", variant="csr-path", count=1)
    with pytest.raises(CucmError) as raised:
        upload()
    assert str(raised.value).endswith("/keys/tomcat.csr does not exist")
    lab.faults.add("CSR_MISSING", count=1, unit="tomcat")
    with pytest.raises(CucmError) as raised:
        upload()
    assert str(raised.value).endswith("tomcat.der could not be uploaded.")


def test_every_catalogue_entry_is_injectable_or_listed(make_lab):
    """Every documented error can be injected (node lookups excepted)."""
    lab = make_lab("15", subscribers=0, imp=0)
    names = {e.name for e in lab.faults.catalogue()}
    assert set(CATALOGUE) <= names
    for outcome in ("ITL_REJECTED", "TVS_UNREACHABLE", "TVS_NO_VOUCH",
                    "CONFIG_REJECTED", "TLS_REJECTED"):  # fmt: skip
        assert outcome in names


def _upload_root(lab):
    return lab.certs.upload_trust(lab.publisher, "tomcat-trust", pem(lab.ca.root))


def _delete_first_trust(lab):
    first = next(iter(lab.certs.stores(lab.publisher).trust["tomcat-trust"]))
    return lab.certs.delete_certificate(lab.publisher, "tomcat-trust", first)


@pytest.mark.parametrize(
    ("target", "operation"),
    [
        ("CSR_KEY_LENGTH_NOT_ALLOWED", lambda lab: csr(lab, lab.publisher, "tomcat")),
        ("TRUST_SAME_CN_NEWER_EXISTS", _upload_root),
        ("IDENTITY_NOT_DELETABLE", _delete_first_trust),
        (
            "REGEN_KEY_LENGTH_NOT_ALLOWED",
            lambda lab: lab.certs.regenerate(lab.publisher, "TVS"),
        ),
        ("INVALID_CERTIFICATE_FILE", _upload_root),
    ],
)
def test_other_entries_come_out_of_their_operations(make_lab, target, operation):
    """Errors outside the upload checks are injected where their operation
    checks its input."""
    lab = make_lab("15", subscribers=0, imp=0)
    before = lab.certs.state()
    lab.faults.add(target, count=1)
    with pytest.raises(CucmError) as raised:
        operation(lab)
    assert raised.value.code == target
    assert lab.certs.state() == before


def test_forced_trust_outcome_locks_the_chosen_phone(make_lab):
    """A TVS_UNREACHABLE rule on one phone makes it refuse the new ITL."""
    lab = make_lab("11.5", imp=0, phones=6)
    victim = lab.phones.phones[2]
    lab.faults.add("ITL_REJECTED", phones=[victim.name])
    for node in lab.cluster.cucm_nodes:
        lab.certs.regenerate(node, "TVS")
    control = lab.services.get(lab.publisher, "Cisco Tftp").restart()
    lab.clock.run_until(lambda: control.finished, limit=3600)
    reset_and_wait(lab)
    assert lab.phones.locked() == [victim]
    event = lab.journal.query(kind="phone.trust.rejected", subject=victim.name)[0]
    assert event.injected and event.details["outcome"] == "ITL_REJECTED"


def test_service_that_fails_to_start(make_lab):
    """A service whose start fails reports Stopped, Component is not running."""
    lab = make_lab("15", subscribers=0, imp=0)
    lab.faults.add("SERVICE_FAIL_START", service="Cisco Tftp", count=1)
    tftp = lab.services.get(lab.publisher, "Cisco Tftp")
    control = tftp.restart()
    lab.clock.run_until(lambda: control.finished, limit=3600)
    assert (tftp.state.value, tftp.reason_code) == ("Stopped", -1019)
    control = tftp.start()
    lab.clock.run_until(lambda: control.finished, limit=3600)
    assert tftp.running


def test_service_that_hangs(make_lab):
    """A hanging service stays Starting for half an hour."""
    lab = make_lab("15", subscribers=0, imp=0)
    lab.faults.add("SERVICE_HANG", service="Cisco Tomcat")
    tomcat = lab.services.get(lab.publisher, "Cisco Tomcat")
    tomcat.restart()
    lab.clock.advance(900)
    assert tomcat.state.value == "Starting"
    lab.clock.advance(1800)
    assert tomcat.running


def test_seeded_probability_fires_on_the_same_calls(make_lab):
    """A probabilistic rule fires on the same calls in two runs of the same seed."""

    def run() -> list[bool]:
        lab = make_lab("15", subscribers=0, imp=0, seed=21)
        lab.faults.add("CSR_HASH_NOT_ALLOWED", probability=0.4)
        outcomes = []
        for _ in range(20):
            try:
                csr(lab, lab.publisher, "ipsec")
                outcomes.append(False)
            except CucmError:
                outcomes.append(True)
        return outcomes

    first, second = run(), run()
    assert first == second and any(first) and not all(first)


def test_replication_broken_condition(make_lab):
    """With replication broken, a tomcat-trust upload stays on its node; removing
    the rule heals it."""
    lab = make_lab("15", subscribers=1, imp=0)
    rule = lab.faults.add("REPLICATION_BROKEN")
    lab.clock.advance(1)
    written = lab.certs.upload_trust(lab.publisher, "tomcat-trust", pem(lab.ca.root))
    sub = lab.cluster.subscribers[0]
    assert written[0].filename not in lab.certs.stores(sub).trust["tomcat-trust"]
    lab.faults.remove(rule.id)
    assert lab.certs.replication_healthy


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"target": "NOPE"}, "target"),
        ({"target": "CSR_MISSING", "probability": 1.5}, "probability"),
        ({"target": "CSR_MISSING", "count": 0}, "count"),
        ({"target": "CSR_MISSING", "node": "elsewhere"}, "node"),
        ({"target": "CSR_MISSING", "variant": "neither"}, "variant"),
        ({"target": "ITL_REJECTED", "phones": ["SEP000000000000"]}, "phones"),
    ],
)
def test_bad_rules_name_the_field(make_lab, arguments, field):
    """A bad rule is refused with a message naming the field, and nothing is added."""
    lab = make_lab("15", subscribers=0, imp=0, phones=1)
    target = arguments.pop("target")
    with pytest.raises(FaultError, match=f"^{field}:"):
        lab.faults.add(target, **arguments)
    assert not lab.faults.rules


def test_overlapping_rule_refused(make_lab):
    """The same target with the same scope twice is refused."""
    lab = make_lab("15", subscribers=0, imp=0)
    lab.faults.add("CSR_MISSING")
    with pytest.raises(FaultError, match="already injects"):
        lab.faults.add("CSR_MISSING")
    assert len(lab.faults.rules) == 1
