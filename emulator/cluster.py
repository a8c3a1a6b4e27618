"""The cluster: a publisher, subscribers and IM&P nodes with their names.

Host names, the domain, addresses and the organisation fields a node puts in
its certificate subjects are drawn from the lab seed through faker, so the
same seed always gives the same cluster while different seeds give trainees
clusters that do not all look alike.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from faker import Faker


@dataclass(frozen=True)
class Organisation:
    """The subject fields set at install time (``set web-security`` changes them)."""

    orgunit: str
    orgname: str
    locality: str
    state: str
    country: str


@dataclass(frozen=True)
class Node:
    """One server of the cluster."""

    hostname: str
    domain: str
    ip_address: str
    role: str  # "publisher", "subscriber" or "imp"
    index: int = 0

    @property
    def fqdn(self) -> str:
        return f"{self.hostname}.{self.domain}"

    @property
    def is_cucm(self) -> bool:
        return self.role != "imp"

    @property
    def is_publisher(self) -> bool:
        return self.role == "publisher"

    @property
    def role_label(self) -> str:
        return {"publisher": "Publisher", "subscriber": "Subscriber"}.get(
            self.role, "IM and Presence"
        )


@dataclass(frozen=True)
class Cluster:
    """Every node of one CUCM cluster, publisher first."""

    nodes: tuple[Node, ...]
    domain: str
    organisation: Organisation
    _by_name: dict[str, Node] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for node in self.nodes:
            for key in (node.hostname, node.fqdn, node.ip_address):
                self._by_name[key.casefold()] = node

    @property
    def publisher(self) -> Node:
        return self.nodes[0]

    @property
    def subscribers(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.role == "subscriber")

    @property
    def cucm_nodes(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.is_cucm)

    @property
    def imp_nodes(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.role == "imp")

    def find(self, name: str) -> Node | None:
        """The node known by host name, FQDN or address (any case)."""
        return self._by_name.get(name.casefold())


def _slug(text: str, limit: int) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())[:limit] or "lab"


def build_cluster(seed: int, *, subscribers: int, imp: int) -> Cluster:
    """Draw a cluster's names and addresses from ``seed``."""
    if not 0 <= subscribers <= 8:
        raise ValueError("subscribers must be between 0 and 8")
    if not 0 <= imp <= 6:
        raise ValueError("imp must be between 0 and 6")

    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)

    site = _slug(fake.city(), 6)
    domain = f"{_slug(fake.company(), 10)}.example"
    organisation = Organisation(
        orgunit="Collaboration",
        orgname=fake.company().replace(",", ""),
        locality=fake.city(),
        state=fake.state(),
        country="US",
    )
    net = f"10.{rng.randrange(1, 255)}.{rng.randrange(0, 255)}"

    nodes = [Node(f"{site}cmpub", domain, f"{net}.10", "publisher")]
    for i in range(1, subscribers + 1):
        nodes.append(
            Node(f"{site}cmsub{i}", domain, f"{net}.{10 + i}", "subscriber", i)
        )
    for i in range(1, imp + 1):
        nodes.append(Node(f"{site}imp{i}", domain, f"{net}.{40 + i}", "imp", i))
    return Cluster(tuple(nodes), domain, organisation)
