"""The labs scenarios run on: built from the ``lab:`` section, with keys from
a fixed pool so the same seed gives the same certificates every run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.scenarios import model as m
from emulator import Lab, LabConfig
from emulator.pki.keys import GeneratedKeys, KeyPool
from emulator.services import Service

#: Keys read from the pool file; more than any scenario's lab needs.
POOL_KEYS = 120
_MIXED_MODE_RESTARTS = ("Cisco Tftp", "Cisco CallManager")


# -- keys ----------------------------------------------------------------------
class ListedKeys:
    """Hands out a fixed list of RSA keys in order, then generates; so a lab's
    certificates repeat from run to run, and no key repeats within a lab."""

    def __init__(self, keys: Sequence[rsa.RSAPrivateKey]) -> None:
        self._keys, self._next = keys, 0
        self._fresh = GeneratedKeys()

    def rsa(self, bits: int) -> rsa.RSAPrivateKey:
        if bits == 2048 and self._next < len(self._keys):
            self._next += 1
            return self._keys[self._next - 1]
        return self._fresh.rsa(bits)

    def ec(self, bits: int) -> ec.EllipticCurvePrivateKey:
        return self._fresh.ec(bits)


_LOADED: dict[Path, list[rsa.RSAPrivateKey]] = {}


def pool_keys(
    path: Path, on_generate: Callable[[int], None] | None = None
) -> list[rsa.RSAPrivateKey]:
    """The first :data:`POOL_KEYS` keys of the pool file, filling it if short."""
    if path not in _LOADED:
        pool = KeyPool.load(path)
        missing = POOL_KEYS - pool.available(2048)
        if missing > 0:
            if on_generate is not None:
                on_generate(missing)
            pool.fill(2048, POOL_KEYS)
            pool.save(path)
        _LOADED[path] = [pool.rsa(2048) for _ in range(POOL_KEYS)]
    return _LOADED[path]


def default_keys_file() -> Path:
    """The pool under ``$CUCM_LAB_STATE``, else ``.lab-state`` (as ``serve``)."""
    state = Path(os.environ.get("CUCM_LAB_STATE", ".lab-state"))
    return state / "keys" / "scenarios-rsa-2048.pem"


def build_lab(scenario: m.Scenario, keys: Sequence[rsa.RSAPrivateKey]) -> Lab:
    """The scenario's lab, set up as its ``lab:`` section says."""
    spec = scenario.lab
    config = LabConfig(
        version=scenario.release,
        subscribers=spec.subscribers,
        imp=spec.imp,
        seed=spec.seed,
        phones=spec.phones,
        secure_phones=spec.secure_phones,
        service_scale=spec.service_scale,
        phone_scale=spec.phone_scale,
        ca_intermediate=spec.ca_intermediate,
        installed_days_ago=spec.installed_days_ago,
    )
    lab = Lab(config, keys=ListedKeys(keys))
    for name, value in spec.parameters.items():
        if name == "PrepareClusterForRollback":
            lab.security.set_prepare_cluster_for_rollback(value)
        else:
            lab.security.set_cluster_parameter(name, value)
    if spec.mixed_mode:
        # utils ctl set-cluster mixed-mode, then what its closing line asks.
        lab.security.set_mixed_mode()
        for service in lab.services:
            if service.name in _MIXED_MODE_RESTARTS and service.activated:
                _restart_and_wait(lab, service)
        lab.phones.reset()
        lab.clock.run_until(lab.phones.all_registered, limit=4 * 3600)
    return lab


def _restart_and_wait(lab: Lab, service: Service) -> None:
    control = service.restart()
    lab.clock.run_until(lambda: control.finished, limit=3600)
