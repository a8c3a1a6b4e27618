"""Where refusals come from: the natural check and the fault plan, in one place.

Every check in the certificate operations raises through
:meth:`Checks.refuse_if`, which fails either because the check failed or
because a fault rule fired there. An injected error is therefore the natural
error: the same catalogue entry, the same text, the same place in CUCM's
order of checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from emulator import errors
from emulator.cluster import Node
from emulator.errors import CucmError
from emulator.profile import ReleaseProfile


class FaultSource(Protocol):
    """What the certificate checks ask of a lab's fault plan."""

    def armed(self) -> bool: ...

    def fires(
        self, target: str, *, node: str | None = None, unit: str | None = None
    ) -> Any: ...


FILE_CODES = (
    "FILE_TOO_LARGE",
    "INVALID_CERTIFICATE_FILE",
    "CSR_NOT_CERTIFICATE",
    "PRIVATE_KEY_NOT_ACCEPTED",
    "INVALID_DESCRIPTION",
)
CSR_CODES = (
    "CSR_KEY_TYPE_NOT_ALLOWED",
    "CSR_KEY_LENGTH_NOT_ALLOWED",
    "CSR_HASH_NOT_ALLOWED",
    "CSR_MULTI_SERVER_NOT_SUPPORTED",
    "CSR_INVALID_NAME",
    "CSR_INCLUDE_OU_NOT_AVAILABLE",
    "UNIT_NOT_ON_NODE",
    "INVALID_CERTIFICATE_PURPOSE",
)


class Checks:
    """The refusal half of :class:`~emulator.certstore.manager.CertificateManager`."""

    profile: ReleaseProfile
    faults: FaultSource | None

    def refuse_if(
        self,
        natural: bool,
        entry: errors.CatalogueEntry,
        node: Node,
        scope: str | None = None,
        **params: Any,
    ) -> None:
        """Raise ``entry`` when the check fails naturally or a fault rule fires
        (``scope`` is the unit or store a rule may be limited to).

        Both come out of this one line, so an injected error is the natural
        error: same entry, same text, same place in the order of checks.
        """
        if natural:
            raise CucmError(entry, self.profile, **params)
        if self.faults is None:
            return
        rule = self.faults.fires(entry.code, node=node.hostname, unit=scope)
        if rule is not None:
            raise CucmError(
                entry, self.profile, injected=True, variant=rule.variant, **params
            )

    def refuse_injected(
        self, codes: Iterable[str], node: Node, scope: str | None, **params: Any
    ) -> None:
        """Let a fault raise one of ``codes`` where an operation checks its input.

        For the refusals decided before any certificate is read (a bad file, a
        dialog value out of range) the operation's start is where CUCM makes
        them, so that is where injected ones come out too.
        """
        if self.faults is None or not self.faults.armed():
            return
        for code in codes:
            self.refuse_if(False, errors.CATALOGUE[code], node, scope, **params)
