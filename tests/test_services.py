"""Control Center services: states, reasons, restarts and what they load."""

from __future__ import annotations

import random
from collections.abc import Mapping

import pytest

from emulator.clock import LabClock
from emulator.cluster import build_cluster
from emulator.journal import Journal
from emulator.profile import get_profile
from emulator.services import (
    INSTANT,
    SPECS,
    Loader,
    ReasonCode,
    Service,
    ServiceManager,
    ServiceState,
    ServiceTiming,
    Triangular,
    UnknownNode,
    UnknownService,
    restart_matrix,
)

TOMCAT = "Cisco Tomcat"
TVS = "Cisco Trust Verification Service"
CAPF = "Cisco Certificate Authority Proxy Function"


def manager(
    version: str = "15",
    *,
    seed: int = 1,
    timing: ServiceTiming | None = None,
    loaders: Mapping[str, Loader] | None = None,
    subscribers: int = 2,
    imp: int = 1,
    **options: object,
) -> ServiceManager:
    clock = LabClock()
    return ServiceManager(
        clock=clock,
        journal=Journal(clock),
        profile=get_profile(version),
        cluster=build_cluster(seed, subscribers=subscribers, imp=imp),
        rng=random.Random(seed),
        timing=timing,
        loaders=loaders,
        **options,  # type: ignore[arg-type]
    )


def pub(services: ServiceManager) -> str:
    return services.cluster.publisher.hostname


def sub(services: ServiceManager, index: int = 0) -> str:
    return services.cluster.subscribers[index].hostname


def states(services: ServiceManager, service: Service) -> list[tuple[float, str]]:
    events = services.journal.query(
        kind="service.state", node=service.node, subject=service.name
    )
    return [(e.seconds, e.details["state"]) for e in events]


def settle(services: ServiceManager, *controls: object) -> None:
    done = services.clock.run_until(
        lambda: all(c.finished for c in controls),  # type: ignore[attr-defined]
        limit=3600,
    )
    assert done


# -- the restart itself ---------------------------------------------------------
def test_tomcat_restart_goes_stopping_starting_started_within_its_range() -> None:
    """utils service restart Cisco Tomcat shows STOPPING, STARTING, then STARTED."""
    services = manager()
    tomcat = services.get(pub(services), TOMCAT)

    control = tomcat.restart()
    assert control.accepted
    assert tomcat.state is ServiceState.STOPPING
    settle(services, control)

    seen = states(services, tomcat)
    assert [state for _, state in seen] == ["Stopping", "Starting", "Started"]
    assert 0 < seen[1][0] < seen[2][0]
    assert 90 <= services.clock.seconds <= 300
    assert tomcat.state is ServiceState.STARTED
    assert tomcat.started_at == services.clock.seconds
    assert tomcat.generation == 2


def test_the_same_seed_draws_the_same_restart_times() -> None:
    """A lab replayed with its seed restarts every service in the same time."""

    def restart_times(seed: int) -> list[float]:
        services = manager(seed=seed)
        controls = [
            services.get(pub(services), name).restart()
            for name in (TOMCAT, "Cisco Tftp", TVS)
        ]
        settle(services, *controls)
        return [e.seconds for e in services.journal.query(kind="service.state")]

    assert restart_times(7) == restart_times(7)
    assert restart_times(7) != restart_times(8)


def test_scale_zero_makes_a_restart_instant() -> None:
    """With restart times set to zero a service is back before the command returns."""
    services = manager(timing=INSTANT)
    tomcat = services.get(pub(services), TOMCAT)

    control = tomcat.restart()

    assert control.finished
    assert tomcat.state is ServiceState.STARTED
    assert services.clock.seconds == 0
    assert [s for _, s in states(services, tomcat)] == [
        "Stopping",
        "Starting",
        "Started",
    ]


def test_a_per_service_override_replaces_the_default_range() -> None:
    """One service's restart time can be pinned without touching the others."""
    timing = ServiceTiming(overrides={TOMCAT: Triangular(400, 400, 400)})
    services = manager(timing=timing)

    settle(services, services.get(pub(services), TOMCAT).restart())

    assert services.clock.seconds == pytest.approx(400)


def test_tftp_start_includes_the_file_build_time() -> None:
    """Cisco Tftp takes longer to start when it has every device's files to build."""
    timing = ServiceTiming(overrides={"Cisco Tftp": Triangular(40, 40, 40)})
    services = manager(timing=timing)
    tftp = services.get(pub(services), "Cisco Tftp")
    tftp.extra_start_seconds = lambda: 500.0

    settle(services, tftp.restart())

    assert services.clock.seconds == pytest.approx(540)


# -- installed versus loaded ---------------------------------------------------
def test_the_loaded_snapshot_changes_only_when_the_service_restarts() -> None:
    """Tomcat keeps presenting the certificate it loaded until it restarts."""
    installed = {"tomcat": "old certificate"}
    services = manager(loaders={TOMCAT: lambda host: (host, installed["tomcat"])})
    tomcat = services.get(pub(services), TOMCAT)
    assert tomcat.loaded == (pub(services), "old certificate")

    installed["tomcat"] = "new certificate"
    services.clock.advance(3600)
    assert tomcat.loaded == (pub(services), "old certificate")

    settle(services, tomcat.restart())
    assert tomcat.loaded == (pub(services), "new certificate")
    assert tomcat.generation == 2


def test_services_without_a_loader_load_nothing() -> None:
    """A service nobody gave a loader starts with an empty snapshot."""
    services = manager()

    assert services.get(pub(services), TVS).loaded is None


def test_a_loader_wired_in_later_snapshots_the_running_services() -> None:
    """Services already running when a layer is wired in hold its snapshot at once."""
    services = manager()
    services.set_loader("cisco tftp", lambda host: f"files of {host}")

    tftp = services.get(pub(services), "Cisco Tftp")
    assert tftp.loaded == f"files of {pub(services)}"
    assert tftp.generation == 1
    assert services.get(sub(services), "Cisco Tftp").loaded is None
    with pytest.raises(UnknownService, match="Cisco Tomcat"):
        services.set_loader("Cisco Tomcats", lambda host: None)


def test_listeners_hear_of_stops_and_starts_including_mid_restart() -> None:
    """Phones and TFTP learn when CallManager goes down and comes back."""
    services = manager(timing=INSTANT)
    heard: list[tuple[str, str]] = []
    services.on_stopped(lambda s: heard.append(("stopped", s.name)))
    unsubscribe = services.on_started(lambda s: heard.append(("started", s.name)))
    callmanager = services.get(sub(services), "Cisco CallManager")

    callmanager.restart()
    unsubscribe()
    callmanager.restart()

    assert heard == [
        ("stopped", "Cisco CallManager"),
        ("started", "Cisco CallManager"),
        ("stopped", "Cisco CallManager"),
    ]


# -- reasons and refusals --------------------------------------------------------
def test_not_activated_and_commanded_out_of_service_are_different_reasons() -> None:
    """Control Center tells a service never activated from one an admin stopped."""
    services = manager()
    callmanager_on_pub = services.get(pub(services), "Cisco CallManager")
    tomcat_on_sub = services.get(sub(services), TOMCAT)

    settle(services, tomcat_on_sub.stop())

    assert callmanager_on_pub.state is ServiceState.STOPPED
    assert callmanager_on_pub.reason_code == -1068
    assert callmanager_on_pub.reason_string == "Service Not Activated"
    assert tomcat_on_sub.state is ServiceState.STOPPED
    assert tomcat_on_sub.reason_code == -1069
    assert tomcat_on_sub.reason_string == "Commanded Out of Service"


def test_starting_a_started_service_is_refused_and_changes_nothing() -> None:
    """Control Center answers -1039 "Component already started" and leaves it be."""
    services = manager()
    tomcat = services.get(pub(services), TOMCAT)
    before = len(services.journal)

    control = tomcat.start()

    assert not control.accepted
    assert control.reason_code == -1039
    assert control.reason_string == "Component already started"
    assert control.finished
    assert tomcat.state is ServiceState.STARTED
    assert tomcat.generation == 1
    assert len(services.journal) == before


def test_stopping_a_stopped_or_stopping_service_is_refused() -> None:
    """A stop on a stopped service is -1040, on one already stopping -1057."""
    services = manager()
    tvs = services.get(pub(services), TVS)

    first = tvs.stop()
    again = tvs.stop()
    settle(services, first)
    stopped_again = tvs.stop()

    assert first.accepted
    assert again.reason is ReasonCode.ALREADY_IN_STATE
    assert again.done is first.done
    assert stopped_again.reason is ReasonCode.ALREADY_STOPPED


def test_commands_on_a_service_not_activated_are_refused() -> None:
    """A service that is not activated answers -1068 to start, stop and restart."""
    services = manager()
    tftp_on_sub = services.get(sub(services), "Cisco Tftp")

    for command in (tftp_on_sub.start, tftp_on_sub.stop, tftp_on_sub.restart):
        assert command().reason is ReasonCode.NOT_ACTIVATED
    assert tftp_on_sub.state is ServiceState.STOPPED


def test_a_restart_during_a_start_waits_and_then_restarts() -> None:
    """A second utils service restart lets the first finish, then restarts again."""
    services = manager()
    tomcat = services.get(pub(services), TOMCAT)

    first = tomcat.restart()
    services.clock.run_until(lambda: tomcat.state is ServiceState.STARTING, limit=600)
    second = tomcat.restart()
    settle(services, second)

    assert first.finished and second.accepted
    assert [s for _, s in states(services, tomcat)] == [
        "Stopping",
        "Starting",
        "Started",
        "Stopping",
        "Starting",
        "Started",
    ]
    assert tomcat.generation == 3


def test_deactivating_stops_the_service_and_activating_starts_it() -> None:
    """Service Activation's untick stops a feature service; the tick starts it again."""
    services = manager(timing=INSTANT)
    callmanager = services.get(sub(services), "Cisco CallManager")

    callmanager.deactivate()
    assert callmanager.state is ServiceState.STOPPED
    assert callmanager.reason is ReasonCode.NOT_ACTIVATED

    callmanager.activate()
    assert callmanager.state is ServiceState.STARTED
    assert callmanager.activated
    kinds = [e.kind for e in services.journal.query(subject="Cisco CallManager")]
    assert kinds.count("service.activation") == 2


def test_activation_changes_wait_behind_a_restart_under_way() -> None:
    """Deactivating during a restart lets it finish, then stops the service."""
    services = manager()
    callmanager = services.get(sub(services), "Cisco CallManager")

    restart = callmanager.restart()
    deactivate = callmanager.deactivate()
    refused = callmanager.start()

    assert callmanager.activated
    assert refused.reason is ReasonCode.NOT_ACTIVATED
    settle(services, restart, deactivate)
    assert [s for _, s in states(services, callmanager)][-2:] == [
        "Stopping",
        "Stopped",
    ]
    assert callmanager.reason_string == "Service Not Activated"


def test_network_services_cannot_be_deactivated() -> None:
    """Tomcat is a network service and has no Service Activation checkbox."""
    services = manager()

    control = services.get(pub(services), TOMCAT).deactivate()

    assert control.reason is ReasonCode.BAD_ARGUMENTS


# -- placement -------------------------------------------------------------------
def test_default_placement_follows_the_reference() -> None:
    """TFTP, CAPF and DRF Master run on the publisher and CallManager on subscribers."""
    services = manager()
    p, s = pub(services), sub(services)

    def running(node: str, name: str) -> bool:
        return services.get(node, name).running

    assert running(p, "Cisco Tftp") and not running(s, "Cisco Tftp")
    assert running(p, "Cisco CTL Provider") and not running(s, "Cisco CTL Provider")
    assert running(p, CAPF) and not running(s, CAPF)
    assert running(p, "Cisco DRF Master")
    assert services.find(s, "Cisco DRF Master") is None
    assert not running(p, "Cisco CallManager") and running(s, "Cisco CallManager")
    assert running(s, "Cisco CTIManager") and running(s, TVS)
    assert services.tftp_nodes == (p,)


def test_extra_tftp_nodes_and_a_publisher_carrying_phones() -> None:
    """A lab can name more TFTP nodes and let the publisher run CallManager."""
    probe = manager()
    services = manager(
        tftp_nodes=[pub(probe), sub(probe, 1)], callmanager_on_publisher=True
    )

    assert services.get(sub(services, 1), "Cisco Tftp").running
    assert services.get(sub(services, 1), "Cisco CTL Provider").running
    assert services.get(pub(services), "Cisco CallManager").running


def test_activating_tftp_on_a_subscriber_makes_it_a_tftp_node() -> None:
    """A TFTP node is any node where Cisco Tftp is activated."""
    services = manager(timing=INSTANT)

    services.get(sub(services), "Cisco Tftp").activate()

    assert services.tftp_nodes == (pub(services), sub(services))


def test_haproxy_and_uds_tomcat_exist_only_on_the_releases_that_have_them() -> None:
    """Cisco HAProxy arrives in 14 and Cisco UDS Tomcat in 12.5."""
    old, new = manager("11.5"), manager("15")

    assert old.find(pub(old), "Cisco HAProxy") is None
    assert old.find(pub(old), "Cisco UDS Tomcat") is None
    assert new.get(pub(new), "Cisco HAProxy").running
    assert new.get(pub(new), "Cisco UDS Tomcat").running


def test_im_and_p_nodes_run_their_own_services() -> None:
    """IM&P runs XCP Router, SIP Proxy and Presence Engine, and no CallManager."""
    services = manager()
    imp = services.cluster.imp_nodes[0].hostname
    names = [s.name for s in services.on_node(imp)]

    assert {"Cisco XCP Router", "Cisco SIP Proxy", "Cisco Presence Engine"} <= set(
        names
    )
    assert "Cisco CallManager" not in names
    federation = services.get(imp, "Cisco XCP XMPP Federation Connection Manager")
    assert federation.reason is ReasonCode.NOT_ACTIVATED


def test_tomcat_and_platform_admin_cannot_be_controlled_over_soap() -> None:
    """Control Center's SOAP API refuses to stop non-stop services such as Tomcat."""
    uncontrollable = {spec.name for spec in SPECS if not spec.soap_controllable}

    assert uncontrollable == {TOMCAT, "Cisco Platform Administrative Web Service"}


# -- lookup ----------------------------------------------------------------------
def test_lookup_forgives_case_and_the_tftp_spelling() -> None:
    """Control Center spells it Cisco Tftp; people type Cisco TFTP."""
    services = manager()
    tftp = services.get(pub(services), "Cisco Tftp")

    assert services.get(pub(services), "Cisco TFTP") is tftp
    assert services.get(pub(services).upper(), "cisco  tftp") is tftp
    assert tftp.name == "Cisco Tftp"


def test_an_unknown_service_names_the_valid_ones() -> None:
    """Asking for a service the node lacks lists what the node does have."""
    services = manager()
    imp = services.cluster.imp_nodes[0].hostname

    with pytest.raises(UnknownService, match="Cisco XCP Router") as caught:
        services.get(imp, "Cisco CallManager")
    assert isinstance(caught.value, KeyError)
    with pytest.raises(UnknownNode, match=pub(services)):
        services.get("nosuchnode", TOMCAT)


# -- certificate rules -----------------------------------------------------------
def test_release_15_restarts_tvs_by_itself_and_11_5_does_not() -> None:
    """From 14, regenerating TVS restarts the Trust Verification Service by itself."""
    new, old = manager("15"), manager("11.5")

    controls = new.restart_for_unit(pub(new), "TVS")
    assert [c.service for c in controls] == [new.get(pub(new), TVS)]
    assert new.get(pub(new), TVS).state is ServiceState.STOPPING
    settle(new, *controls)
    assert new.get(pub(new), TVS).generation == 2

    assert old.restart_for_unit(pub(old), "TVS") == []
    assert old.get(pub(old), TVS).state is ServiceState.STARTED


def test_itlrecovery_restarts_tvs_everywhere_and_capf_on_the_publisher() -> None:
    """From 14, ITLRecovery restarts every node's TVS and CAPF the publisher's CAPF."""
    services = manager("14")

    itl = services.restart_for_unit(pub(services), "ITLRecovery")
    capf = services.restart_for_unit(sub(services), "CAPF")

    assert {c.service.node for c in itl} == {
        n.hostname for n in services.cluster.cucm_nodes
    }
    assert {c.service.name for c in itl} == {TVS}
    assert [(c.service.node, c.service.name) for c in capf] == [(pub(services), CAPF)]
    assert services.restart_for_unit(pub(services), "tomcat") == []


def test_callmanager_restart_matrix_includes_haproxy_on_15_only() -> None:
    """After a CallManager change 15 also restarts Cisco HAProxy; 11.5 has none."""
    on_15 = restart_matrix("CallManager", get_profile("15"))
    on_11 = restart_matrix("CallManager", get_profile("11.5"))

    assert on_15 == (
        "Cisco CallManager",
        "Cisco CTIManager",
        TVS,
        "Cisco Tftp",
        "Cisco HAProxy",
    )
    assert on_11 == on_15[:-1]


def test_restart_matrix_rows_follow_the_reference_table() -> None:
    """Each certificate type lists the services CUCM says to restart, in order."""
    services = manager("12.5")

    assert services.restart_matrix("tomcat") == (TOMCAT,)
    assert services.restart_matrix("ipsec") == ("Cisco DRF Master", "Cisco DRF Local")
    assert services.restart_matrix("capf") == (CAPF, TVS, "Cisco Tftp")
    assert services.restart_matrix("TVS") == (TVS, "Cisco Tftp")
    assert services.restart_matrix("ITLRecovery") == (TVS, "Cisco Tftp")
    with pytest.raises(ValueError, match="tomcat"):
        services.restart_matrix("nosuchunit")


# -- settings and the lab --------------------------------------------------------
@pytest.mark.parametrize(
    "build",
    [
        lambda: ServiceTiming(scale=-1),
        lambda: ServiceTiming(scale=float("nan")),
        lambda: ServiceTiming(stop_share=1.5),
        lambda: Triangular(10, 5, 20),
        lambda: Triangular(-1, 0, 1),
    ],
)
def test_bad_timing_settings_are_refused(build: object) -> None:
    """Restart times must be finite, non-negative and in low-mode-high order."""
    with pytest.raises(ValueError):
        build()  # type: ignore[operator]


def test_a_lab_starts_with_its_services_running(lab) -> None:  # type: ignore[no-untyped-def]
    """A freshly built cluster has its services up, recorded by one ready event."""
    tomcat = lab.services.get(lab.publisher.hostname, TOMCAT)

    assert tomcat.running
    assert tomcat.started_at == 0
    ready = lab.journal.query(kind="services.ready")
    assert len(ready) == 1
    assert ready[0].details["started"] > 0
