"""The RSA keys a server's labs draw from, topped up in the background.

A 2048-bit key costs about 75 ms to generate and a lab draws twenty to ninety
of them as it is built (the Cisco CA stand-ins take eleven more, once per
process). Generating them at start would cost a `cucm-lab serve` several
seconds, so keys are kept between runs in a pool file in the state directory.
A warm start only reads that file; a cold one generates what the first lab
is short of, and everything else happens while the server already answers:
a keeper task generates keys one at a time in a worker thread
(``asyncio.to_thread``) until the pool is back at its target, and saves it.

A key is handed out once. It leaves the pool in memory when a lab takes it
and leaves the file at the next save, which follows every hand-out. Two
servers never read the same file: the first holds a lock on it, and a second
server on the same state directory keeps its pool in memory only.

Only the asyncio loop touches the pool's list; worker threads generate keys
and write files, and hand their results back to the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
from collections.abc import Callable
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from emulator.pki.keys import GeneratedKeys, KeyPool

log = logging.getLogger("cucm-lab")

#: Keys a server keeps waiting: enough for a few labs of the default size.
TARGET = 120
#: Keys the Cisco CA stand-ins draw from the first lab built in a process.
CISCO_STAND_INS = 11
BITS = 2048


def keys_for(*, subscribers: int, imp: int, first: bool = False) -> int:
    """A generous estimate of the keys one lab draws while it is built.

    Measured draws run from six to eight RSA keys per CUCM node (more on
    older releases), about one per IM&P node and two for the lab CA. Too
    high costs nothing: what a lab does not take stays in the pool.
    """
    estimate = 2 + 8 * (1 + subscribers) + 3 * imp
    return estimate + (CISCO_STAND_INS if first else 0)


class PoolKeys:
    """One lab's key source: RSA keys from the shared pool, EC made on demand."""

    def __init__(self, pool: BackgroundKeyPool) -> None:
        self._pool = pool
        self._generated = GeneratedKeys()

    def rsa(self, bits: int) -> rsa.RSAPrivateKey:
        if bits == self._pool.bits:
            return self._pool.take()
        return self._generated.rsa(bits)

    def ec(self, bits: int) -> ec.EllipticCurvePrivateKey:
        return self._generated.ec(bits)


class BackgroundKeyPool:
    """Pre-generated RSA keys of one size, kept at ``target`` by a keeper task."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        target: int = TARGET,
        bits: int = BITS,
    ) -> None:
        self.path = path
        self.target = target
        self.bits = bits
        #: Keys generated on the spot because the pool ran dry.
        self.generated_inline = 0
        self._keys: list[rsa.RSAPrivateKey] = []
        self._lock: IO[bytes] | None = None
        self._changed = asyncio.Event()
        self._keeper: asyncio.Task[None] | None = None

    @classmethod
    def open(cls, state_dir: Path | None, *, target: int = TARGET) -> BackgroundKeyPool:
        """The pool kept in ``state_dir``, or an in-memory one if another server
        holds it (or ``state_dir`` is None)."""
        if state_dir is None:
            return cls(target=target)
        path = state_dir / "keys" / f"rsa-{BITS}.pem"
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = (path.parent / f"rsa-{BITS}.lock").open("wb")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            log.warning("%s is in use by another server; keys stay in memory", path)
            return cls(target=target)
        pool = cls(path, target=target)
        pool._lock = lock
        loaded = KeyPool.load(path)
        pool._keys = [loaded.rsa(BITS) for _ in range(loaded.available(BITS))]
        return pool

    @property
    def available(self) -> int:
        return len(self._keys)

    def source(self) -> PoolKeys:
        """A key source for one lab."""
        return PoolKeys(self)

    def take(self) -> rsa.RSAPrivateKey:
        """A key nobody else holds; generated on the spot if the pool is dry."""
        self._changed.set()
        if self._keys:
            return self._keys.pop()
        self.generated_inline += 1
        return _generate(self.bits)

    def fill(self, count: int, progress: Callable[[], None] | None = None) -> None:
        """Generate until ``count`` keys wait, here and now (a cold start, before
        anything is served); ``progress`` is called after each key."""
        while len(self._keys) < count:
            self._keys.append(_generate(self.bits))
            if progress is not None:
                progress()

    async def ensure(self, count: int) -> None:
        """Have ``count`` keys waiting, generating any shortfall off the loop."""
        while len(self._keys) < count:
            self._keys.append(await asyncio.to_thread(_generate, self.bits))
        self._changed.set()

    # -- the keeper ------------------------------------------------------------
    def start(self) -> None:
        """Start topping the pool up and saving it, on the running loop."""
        if self._keeper is None:
            self._changed.set()
            self._keeper = asyncio.get_running_loop().create_task(self._keep())

    async def close(self) -> None:
        """Stop the keeper, save what is left and release the file."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        await self.save()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    async def save(self) -> None:
        """Write the keys still waiting; handed-out keys leave the file."""
        if self.path is None:
            return
        pool = KeyPool(list(self._keys))
        await asyncio.to_thread(pool.save, self.path)

    async def _keep(self) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            # Whatever was handed out leaves the file before anything else,
            # so a crash never lets the next run reuse a lab's key.
            await self.save()
            while len(self._keys) < self.target:
                self._keys.append(await asyncio.to_thread(_generate, self.bits))
                if len(self._keys) % 10 == 0 or len(self._keys) == self.target:
                    await self.save()


def _generate(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)
