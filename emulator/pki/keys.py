"""Private keys for a lab: generated on demand or taken from a pool.

RSA generation dominates the cost of building a lab (about 70 ms for a
2048-bit key, over a second for 4096), so a lab may be handed a
:class:`KeyPool` filled ahead of time. A pool hands each key out once: keys
are never shared between the certificates of one lab, nor between labs that
draw from the same pool file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_CURVES: dict[int, ec.EllipticCurve] = {
    256: ec.SECP256R1(),
    384: ec.SECP384R1(),
    521: ec.SECP521R1(),
}


class KeySource(Protocol):
    """Where a lab gets fresh private keys."""

    def rsa(self, bits: int) -> rsa.RSAPrivateKey: ...

    def ec(self, bits: int) -> ec.EllipticCurvePrivateKey: ...


def new_key(key_type: str, bits: int, source: KeySource) -> PrivateKey:
    """A fresh key of CUCM's ``key_type`` ("RSA" or "EC") and size."""
    if key_type == "RSA":
        return source.rsa(bits)
    return source.ec(bits)


class GeneratedKeys:
    """Generate every key when it is asked for."""

    def rsa(self, bits: int) -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)

    def ec(self, bits: int) -> ec.EllipticCurvePrivateKey:
        try:
            curve = _CURVES[bits]
        except KeyError:
            raise ValueError(f"no EC curve of {bits} bits") from None
        return ec.generate_private_key(curve)


class KeyPool(GeneratedKeys):
    """RSA keys generated ahead of time, each handed out once.

    EC keys cost microseconds and are always generated on demand.
    """

    def __init__(self, keys: Iterable[rsa.RSAPrivateKey] = ()) -> None:
        self._keys: dict[int, list[rsa.RSAPrivateKey]] = {}
        for key in keys:
            self._keys.setdefault(key.key_size, []).append(key)

    def available(self, bits: int) -> int:
        return len(self._keys.get(bits, ()))

    def fill(self, bits: int, count: int) -> None:
        """Generate keys until ``count`` of ``bits`` bits are waiting."""
        waiting = self._keys.setdefault(bits, [])
        while len(waiting) < count:
            waiting.append(super().rsa(bits))

    def rsa(self, bits: int) -> rsa.RSAPrivateKey:
        waiting = self._keys.get(bits)
        if waiting:
            return waiting.pop()
        return super().rsa(bits)

    def save(self, path: Path) -> None:
        """Write the keys still waiting, so a later run can use them."""
        blobs = [
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            for keys in self._keys.values()
            for key in keys
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(b"".join(blobs))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> KeyPool:
        """Read a pool file written by :meth:`save`; a missing file is empty."""
        if not path.exists():
            return cls()
        marker = b"-----END PRIVATE KEY-----"
        keys = []
        for chunk in path.read_bytes().split(marker):
            if b"-----BEGIN" not in chunk:
                continue
            # The pool holds keys this project generated; re-checking each
            # one's arithmetic would cost as much as generating it.
            key = serialization.load_pem_private_key(
                chunk + marker, password=None, unsafe_skip_rsa_key_validation=True
            )
            if isinstance(key, rsa.RSAPrivateKey):
                keys.append(key)
        return cls(keys)
