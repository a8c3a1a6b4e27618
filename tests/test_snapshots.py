"""Snapshots rewind an exercise: certificates, phones and journal position."""

from __future__ import annotations

import pytest
from flows import CALLMANAGER_RESTARTS, reset_and_wait, restart, trusting


def test_restore_after_a_botched_exercise(make_lab):
    """Restoring the snapshot taken before the CallManager and TVS trap gives back
    the earlier certificates, unlocked phones and the journal as it was."""
    lab = make_lab("11.5", imp=0, phones=10)
    summary = lab.save_snapshot("before")
    position = len(lab.journal)
    identities = dict(lab.certs.stores(lab.publisher).identities)
    state = lab.certs.state()

    for node in lab.cluster.cucm_nodes:
        lab.certs.regenerate(node, "CallManager")
        lab.certs.regenerate(node, "TVS")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert len(lab.phones.locked()) == 10

    lab.restore_snapshot("before")
    assert lab.certs.state() == state
    assert lab.certs.stores(lab.publisher).identities == identities
    assert not lab.phones.locked() and lab.phones.all_registered()
    assert len(lab.journal) == position + 1  # the restore itself is journalled
    assert lab.clock.seconds == summary["seconds"]

    # The rewound lab runs on: the right order now keeps every phone trusting.
    for node in lab.cluster.cucm_nodes:
        lab.certs.regenerate(node, "CallManager")
    restart(lab, CALLMANAGER_RESTARTS)
    reset_and_wait(lab)
    assert trusting(lab)


def test_restore_repeats_the_same_future(make_lab):
    """After a restore the lab draws the same random numbers as the first time."""
    lab = make_lab("15", subscribers=1, imp=0, phones=6)
    lab.save_snapshot("start")
    reset_and_wait(lab)
    first = [(e.seconds, e.kind, e.subject) for e in lab.journal.query(kind="phone")]
    lab.restore_snapshot("start")
    reset_and_wait(lab)
    second = [(e.seconds, e.kind, e.subject) for e in lab.journal.query(kind="phone")]
    assert first == second


def test_unknown_snapshot_names_the_choices(make_lab):
    """Restoring a snapshot that was never saved names the ones that exist."""
    lab = make_lab("15", subscribers=0, imp=0)
    lab.save_snapshot("one")
    with pytest.raises(KeyError, match="one"):
        lab.restore_snapshot("two")
