"""Shared fixtures: labs built quickly from a pool of pre-generated RSA keys."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from emulator import Lab, LabConfig
from emulator.pki.keys import GeneratedKeys, KeyPool

POOL_FILE = Path(__file__).resolve().parent.parent / ".cache" / "test-keys-2048.pem"
POOL_SIZE = 400


class RotatingKeys:
    """Test-only key source: 2048-bit keys from a shared list, in turn.

    Generating a lab's twenty-odd RSA keys takes about two seconds; the suite
    builds hundreds of labs. Each lab starts at a random place in a list far
    longer than any lab's needs, so keys never repeat within one lab. Keys do
    repeat between labs here, which serving labs never allow.
    """

    def __init__(self, keys: list[rsa.RSAPrivateKey], start: int) -> None:
        self._cycle = itertools.islice(itertools.cycle(keys), start, None)
        self._generated = GeneratedKeys()

    def rsa(self, bits: int) -> rsa.RSAPrivateKey:
        if bits == 2048:
            return next(self._cycle)
        return self._generated.rsa(bits)

    def ec(self, bits: int) -> ec.EllipticCurvePrivateKey:
        return self._generated.ec(bits)


@pytest.fixture(scope="session")
def shared_keys() -> list[rsa.RSAPrivateKey]:
    pool = KeyPool.load(POOL_FILE)
    if pool.available(2048) < POOL_SIZE:
        pool.fill(2048, POOL_SIZE)
        pool.save(POOL_FILE)
    return [pool.rsa(2048) for _ in range(POOL_SIZE)]


LabFactory = Callable[..., Lab]


@pytest.fixture
def make_lab(shared_keys: list[rsa.RSAPrivateKey]) -> Iterator[LabFactory]:
    """Build a lab: ``make_lab("11.5", subscribers=1, imp=0, seed=3)``."""
    offsets = random.Random(len(shared_keys))

    def factory(version: str = "15", **settings: object) -> Lab:
        settings.setdefault("subscribers", 2)
        settings.setdefault("imp", 1)
        config = LabConfig(version=version, **settings)  # type: ignore[arg-type]
        keys = RotatingKeys(shared_keys, offsets.randrange(len(shared_keys)))
        return Lab(config, keys=keys)

    yield factory


@pytest.fixture
def lab(make_lab: LabFactory) -> Lab:
    """The default lab: release 15, a publisher, two subscribers, one IM&P node."""
    return make_lab("15")


@pytest.fixture(scope="module")
def listeners() -> Iterator[object]:
    """Two uvicorn listeners on a background loop for the SOAP tests; each test
    mounts its own lab's routers on them."""
    from soap_harness import start_listeners

    yield from start_listeners()


@pytest.fixture(scope="module")
def plane(shared_keys: list[rsa.RSAPrivateKey]) -> Iterator[object]:
    """A management API on a background loop, its labs built from the key list."""
    from api.mgmt.background import BackgroundControlPlane

    offsets = random.Random(7)

    def keys() -> RotatingKeys:
        return RotatingKeys(shared_keys, offsets.randrange(len(shared_keys)))

    with BackgroundControlPlane(keys) as running:
        yield running


@pytest.fixture
def api(plane: object) -> Iterator[object]:
    """An httpx client of the management API."""
    import httpx

    with httpx.Client(base_url=plane.url, timeout=60) as client:  # type: ignore[attr-defined]
        yield client
