"""Cluster security: Cluster Security Mode, the tokenless CTL and ITL recovery.

Tokenless CTL (reference section 3.7): ``utils ctl set-cluster mixed-mode``
builds ``CTLFile.tlv`` from what is installed and sets Cluster Security Mode
to 1; ``utils ctl update CTLFile`` rebuilds it after a CallManager, CAPF or
ITLRecovery change; ``set-cluster non-secure-mode`` leaves a CTL without
CCM+TFTP records. Unlike the ITL, the CTL is a cluster file written by the
command, so TFTP serves a new CTL without restarting.

ITL recovery (section 3.5): ``utils itl reset localkey|remotekey`` rewrites
every TFTP node's ITL, signed with a key phones already trust, until Cisco
TFTP restarts and signs with the usual key again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.profile import ItlSigner
from emulator.tftp import Signer, load_tftp, recovery_signer
from emulator.trustfiles.build import build_trust_file
from emulator.trustfiles.tlv import Role, TrustRecord
from emulator.trustfiles.trustlist import TrustList, trust_list

if TYPE_CHECKING:
    from emulator.lab import Lab

TFTP = "Cisco Tftp"
CALLMANAGER = "Cisco CallManager"
CAPF = "Cisco Certificate Authority Proxy Function"


@dataclass
class EnterpriseParameters:
    """The enterprise parameters certificate work touches."""

    cluster_security_mode: int = 0
    prepare_cluster_for_rollback: bool = False
    phone_interaction_on_certificate_update: bool = False


class ClusterSecurity:
    """Cluster-wide security state and the commands that change it."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.parameters = EnterpriseParameters(
            phone_interaction_on_certificate_update=(
                lab.profile.phone_interaction_on_certificate_update
            )
        )
        self.ctl: TrustList | None = None
        #: What ``file get tftp ITLRecovery.p12`` exported, for remotekey.
        self.exported_itlrecovery: Signer | None = None

    @property
    def mixed_mode(self) -> bool:
        return self.parameters.cluster_security_mode == 1

    # -- TFTP loading -------------------------------------------------------------
    def tftp_loader(self, hostname: str) -> object:
        """What Cisco TFTP on ``hostname`` loads when it starts."""
        lab = self.lab
        node = lab.cluster.find(hostname)
        assert node is not None
        return load_tftp(
            lab.certs,
            node,
            mixed_mode=self.mixed_mode,
            capf_active=self._capf_active(),
            rollback=self.parameters.prepare_cluster_for_rollback,
            now=lab.clock.now,
        )

    def _capf_active(self) -> bool:
        services = getattr(self.lab, "services", None)
        if services is None:
            return True
        capf = services.find(self.lab.cluster.publisher, CAPF)
        return capf is not None and capf.activated

    # -- CTL ------------------------------------------------------------------------
    def build_ctl(
        self, *, signer: Signer | None = None, secure: bool = True
    ) -> TrustList:
        """A tokenless CTL from what is installed now."""
        lab = self.lab
        certs = lab.certs
        pub = lab.cluster.publisher
        pub_ids = certs.stores(pub).identities
        itlrecovery = pub_ids["ITLRecovery"].certificate
        callmanager = pub_ids["CallManager"].certificate
        if signer is None:
            unit = (
                "ITLRecovery"
                if lab.profile.itl_signer is ItlSigner.ITLRECOVERY
                else "CallManager"
            )
            signer = Signer.of(pub_ids[unit])
        records = [
            TrustRecord(Role.SAST, itlrecovery, pub.fqdn, pub.ip_address),
            TrustRecord(Role.SAST, callmanager, pub.fqdn, pub.ip_address),
        ]
        if signer.certificate not in (itlrecovery, callmanager):
            records.insert(0, TrustRecord(Role.SAST, signer.certificate, pub.fqdn))
        if secure:
            for node in lab.cluster.cucm_nodes:
                if self._runs_callmanager_or_tftp(node.hostname):
                    cert = certs.stores(node).identities["CallManager"].certificate
                    records.append(
                        TrustRecord(Role.CCM_TFTP, cert, node.fqdn, node.ip_address)
                    )
        capf = pub_ids.get("CAPF")
        if capf is not None:
            records.append(
                TrustRecord(Role.CAPF, capf.certificate, pub.fqdn, pub.ip_address)
            )
        raw = build_trust_file(
            "CTLFile.tlv",
            records,
            signer.certificate,
            signer.key,
            int(lab.clock.now.timestamp()),
        )
        return trust_list(raw)

    def _runs_callmanager_or_tftp(self, hostname: str) -> bool:
        services = self.lab.services
        return any(
            (s := services.find(hostname, name)) is not None and s.activated
            for name in (CALLMANAGER, TFTP)
        )

    def set_mixed_mode(self) -> None:
        """``utils ctl set-cluster mixed-mode``."""
        self.ctl = self.build_ctl()
        self.parameters.cluster_security_mode = 1
        self._ctl_event("mixed-mode")

    def set_non_secure_mode(self) -> None:
        """``utils ctl set-cluster non-secure-mode``."""
        self.ctl = self.build_ctl(secure=False)
        self.parameters.cluster_security_mode = 0
        self._ctl_event("non-secure-mode")

    def update_ctl(self) -> None:
        """``utils ctl update CTLFile``."""
        self.ctl = self.build_ctl(secure=self.mixed_mode)
        self._ctl_event("update")

    def reset_ctl_localkey(self) -> None:
        """``utils ctl reset localkey``: the CTL signed by the CallManager key."""
        pub = self.lab.cluster.publisher
        signer = Signer.of(self.lab.certs.stores(pub).identities["CallManager"])
        self.ctl = self.build_ctl(signer=signer, secure=self.mixed_mode)
        self._ctl_event("reset-localkey")

    def _ctl_event(self, action: str) -> None:
        assert self.ctl is not None
        self.lab.journal.emit(
            "security.ctl",
            node=self.lab.cluster.publisher.hostname,
            action=action,
            mode=self.parameters.cluster_security_mode,
            signer=self.ctl.parsed.header.signer_name,
        )

    # -- enterprise parameters ---------------------------------------------------------
    def set_prepare_cluster_for_rollback(self, value: bool) -> None:
        """ "Prepare Cluster for Rollback to pre-8.0": TFTP serves an ITL with
        empty TVS and TFTP sections (or the full one again) and every phone
        resets by itself to fetch it."""
        self.parameters.prepare_cluster_for_rollback = value
        self.lab.journal.emit(
            "enterprise.parameter", name="PrepareClusterForRollback", value=value
        )
        self._rebuild_tftp()
        self.lab.phones.reset()

    def set_cluster_parameter(self, name: str, value: bool) -> None:
        """Set "Phone Interaction on Certificate Update" (14 and later)."""
        if name != "PhoneInteractionOnCertificateUpdate":
            raise KeyError(name)
        self.parameters.phone_interaction_on_certificate_update = value
        self.lab.journal.emit("enterprise.parameter", name=name, value=value)

    def _rebuild_tftp(self) -> None:
        """TFTP's change notification: the ITL rebuilt without a restart."""
        for hostname in self.lab.services.tftp_nodes:
            service = self.lab.services.get(hostname, TFTP)
            if service.running:
                service.replace_loaded(self.tftp_loader(hostname))

    # -- ITL recovery -----------------------------------------------------------------
    def reset_itl(self, *, remote: bool = False) -> list[str]:
        """``utils itl reset localkey`` (or ``remotekey``) on every TFTP node."""
        lab = self.lab
        rewritten = []
        for hostname in lab.services.tftp_nodes:
            service = lab.services.get(hostname, TFTP)
            if not service.running:
                continue
            node = lab.node(hostname)
            signer = self.exported_itlrecovery if remote else None
            files = load_tftp(
                lab.certs,
                node,
                mixed_mode=self.mixed_mode,
                capf_active=self._capf_active(),
                rollback=self.parameters.prepare_cluster_for_rollback,
                now=lab.clock.now,
                signer=signer or recovery_signer(lab.certs, node),
            )
            service.replace_loaded(files)
            rewritten.append(hostname)
            lab.journal.emit(
                "security.itl.reset",
                node=hostname,
                key="remotekey" if remote else "localkey",
                signer=files.itl_signer,
            )
        return rewritten

    def export_itlrecovery(self) -> Signer:
        """``file get tftp ITLRecovery.p12``: keep the current ITLRecovery pair."""
        pub = self.lab.cluster.publisher
        identity = self.lab.certs.stores(pub).identities["ITLRecovery"]
        self.exported_itlrecovery = Signer.of(identity)
        self.lab.journal.emit("security.itlrecovery.exported", node=pub.hostname)
        return self.exported_itlrecovery
