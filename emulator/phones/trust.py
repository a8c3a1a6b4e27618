"""How a phone decides whether to accept a new ITL, CTL or configuration file.

The rules of reference section 3.2, in one place:

1. A phone with neither ITL nor CTL trusts the first trust list it is given
   (trust on first use).
2. Otherwise a new ITL or CTL must be signed by a certificate the phone
   already holds: a SAST record or the TFTP node's CallManager record of its
   CTL or ITL.
3. Failing that, the phone opens TLS to a TVS of its CallManager group,
   authenticating the TVS with a TVS record of its own ITL, and asks it to
   vouch for the unknown signer.
4. If none works the file is refused: "Trust List Update Failed".

Configuration files follow the same path with the TFTP roles only. An ITL
with no TFTP and no TVS records (what "Prepare Cluster for Rollback to
pre-8.0" serves) makes the phone accept anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from emulator.trustfiles.trustlist import CONFIG_ROLES, SIGNER_ROLES, TrustList


class Outcome(Enum):
    """Why a phone accepted or refused a file; the refusals are the trust
    outcomes the fault catalogue can also force."""

    FIRST_USE = "accepted on first use"
    SIGNER_KNOWN = "signer in the phone's trust list"
    TVS_VOUCHED = "vouched for by TVS"
    EMPTY_ITL = "accepted: the phone's ITL is empty"
    ITL_REJECTED = "Trust List Update Failed"
    TVS_UNREACHABLE = "TVS unreachable"
    TVS_NO_VOUCH = "TVS does not vouch for the signer"
    CONFIG_REJECTED = "configuration signature rejected"
    BAD_SIGNATURE = "file signature invalid"
    TLS_REJECTED = "TLS registration rejected"

    @property
    def accepted(self) -> bool:
        return self in _ACCEPTED


_ACCEPTED = frozenset(
    {Outcome.FIRST_USE, Outcome.SIGNER_KNOWN, Outcome.TVS_VOUCHED, Outcome.EMPTY_ITL}
)


class TvsAnswer(Enum):
    VOUCHED = "vouched"
    UNKNOWN_SIGNER = "unknown signer"
    UNREACHABLE = "unreachable"


#: Asks the TVS on one node: (node, TVS certificates the phone trusts,
#: signer fingerprint) -> answer.
TvsQuery = Callable[[str, frozenset[bytes], bytes], TvsAnswer]


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    via: str | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome.accepted


FIRST_USE = Verdict(Outcome.FIRST_USE)
SIGNER_KNOWN = Verdict(Outcome.SIGNER_KNOWN)
EMPTY_ITL = Verdict(Outcome.EMPTY_ITL)


def judge_trust_list(
    itl: TrustList | None,
    ctl: TrustList | None,
    new: TrustList,
    tvs_nodes: Sequence[str],
    ask_tvs: TvsQuery,
) -> Verdict:
    """Whether a phone holding ``itl`` and ``ctl`` accepts the trust list ``new``."""
    if not new.valid:
        return Verdict(Outcome.BAD_SIGNATURE)
    if itl is None and ctl is None:
        return FIRST_USE
    signer = new.signer_fingerprint
    if ctl is not None and ctl.holds(signer, SIGNER_ROLES):
        return SIGNER_KNOWN
    if itl is not None:
        if itl.holds(signer, SIGNER_ROLES):
            return SIGNER_KNOWN
        if itl.empty:
            return EMPTY_ITL
    return _through_tvs(itl, signer, tvs_nodes, ask_tvs, Outcome.ITL_REJECTED)


def judge_config(
    itl: TrustList | None,
    ctl: TrustList | None,
    signer: bytes,
    tvs_nodes: Sequence[str],
    ask_tvs: TvsQuery,
) -> Verdict:
    """Whether a phone accepts a configuration file signed by ``signer``."""
    if itl is None and ctl is None:
        return FIRST_USE
    if ctl is not None and ctl.holds(signer, CONFIG_ROLES):
        return SIGNER_KNOWN
    if itl is not None:
        if itl.holds(signer, CONFIG_ROLES):
            return SIGNER_KNOWN
        if itl.empty:
            return EMPTY_ITL
    return _through_tvs(itl, signer, tvs_nodes, ask_tvs, Outcome.CONFIG_REJECTED)


def _through_tvs(
    itl: TrustList | None,
    signer: bytes | None,
    tvs_nodes: Sequence[str],
    ask_tvs: TvsQuery,
    refusal: Outcome,
) -> Verdict:
    if itl is None or signer is None or not itl.tvs:
        return Verdict(refusal)
    reached = False
    for node in tvs_nodes:
        answer = ask_tvs(node, itl.tvs, signer)
        if answer is TvsAnswer.VOUCHED:
            return Verdict(Outcome.TVS_VOUCHED, via=node)
        reached = reached or answer is TvsAnswer.UNKNOWN_SIGNER
    if not reached:
        return Verdict(Outcome.TVS_UNREACHABLE)
    return Verdict(
        refusal if refusal is Outcome.CONFIG_REJECTED else Outcome.TVS_NO_VOUCH
    )
