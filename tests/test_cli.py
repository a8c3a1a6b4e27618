"""The cucm-lab command: serve, its key pool, and the ca, status and faults
commands that drive a running server's management API."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import RotatingKeys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from api.cli import RELEASES, app
from api.keypool import BackgroundKeyPool
from api.mgmt.background import BackgroundControlPlane
from api.mgmt.registry import LabTemplate
from emulator.pki.ca import BEHAVIOURS
from emulator.pki.keys import KeyPool
from emulator.profile import PROFILES

runner = CliRunner()


@pytest.fixture(scope="module")
def plane(shared_keys: list[rsa.RSAPrivateKey]) -> Iterator[BackgroundControlPlane]:
    with BackgroundControlPlane(lambda: RotatingKeys(shared_keys, 11)) as running:
        running.create(
            "default",
            LabTemplate(subscribers=1, imp=0, phones=3, clock="stepped", seed=3),
        )
        yield running


def cli(*args: str) -> tuple[int, str]:
    outcome = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return outcome.exit_code, outcome.output


def _pem_csr(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cucm.example.com")])
    request = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(name)
        .sign(key, hashes.SHA256())
    )
    return request.public_bytes(serialization.Encoding.PEM)


# -- help -------------------------------------------------------------------------
def test_help_lists_every_command():
    """cucm-lab --help lists serve, status, ca, faults and approximations."""
    code, output = cli("--help")
    assert code == 0
    for command in ("serve", "status", "ca", "faults", "approximations"):
        assert command in output


@pytest.mark.parametrize(
    ("command", "words"),
    [
        (["serve"], ["--mgmt-port", "--speed", "--stepped", "--state-dir", "--seed"]),
        (["status"], ["--lab", "--mgmt", "CUCM_LAB_MGMT"]),
        (["ca", "sign"], ["--behaviour", "--format", "--out", "--lab", "--mgmt"]),
        (["faults", "add"], ["--probability", "--count", "--node", "--phone"]),
        (["faults", "list"], ["--lab"]),
        (["faults", "remove"], ["rule_id", "as `list` shows"]),
        (["faults", "clear"], ["--lab"]),
    ],
)
def test_every_command_has_help(command, words):
    """Each command's --help names its options."""
    code, output = cli(*command, "--help")
    assert code == 0
    for word in words:
        assert word.casefold() in output.casefold()


def test_help_lists_the_model_choices():
    """ca sign --help lists every CA behaviour and serve --help every release, as
    the model names them."""
    _, output = cli("ca", "sign", "--help")
    flat = " ".join(re.sub(r"[│\s]+", " ", output).split())
    assert all(name in flat for name in BEHAVIOURS)
    assert tuple(PROFILES) == RELEASES


# -- client commands ------------------------------------------------------------
def test_status_shows_labs_clock_phones_and_nodes(plane):
    """status prints each lab's release, clock and phone counts and every node's
    ports."""
    code, output = cli("status", "--mgmt", plane.url)
    assert code == 0, output
    assert "default: CUCM 15" in output and "stepped" in output
    assert "3 Registered" in output
    hostname = plane.call(lambda: plane.registry.get("default").lab.publisher.hostname)
    assert hostname in output


def test_ca_sign_writes_the_certificate(plane, tmp_path, shared_keys):
    """ca sign prints the signed PEM, or writes DER to a file."""
    csr = tmp_path / "tomcat.csr"
    csr.write_bytes(_pem_csr(shared_keys[1]))
    code, output = cli("ca", "sign", str(csr), "--mgmt", plane.url, "--with-chain")
    assert code == 0, output
    assert output.count("BEGIN CERTIFICATE") == 3
    leaf = x509.load_pem_x509_certificate(output.encode())
    assert leaf.public_key() == shared_keys[1].public_key()

    out = tmp_path / "tomcat.der"
    code, output = cli(
        "ca", "sign", str(csr), "--format", "der", "--out", str(out),
        "--behaviour", "expired", "--mgmt", plane.url,
    )  # fmt: skip
    assert code == 0, output
    expired = x509.load_der_x509_certificate(out.read_bytes())
    assert expired.not_valid_after_utc.year == 2026


def test_ca_sign_refusals_name_the_choices(plane, tmp_path, shared_keys):
    """An unknown behaviour or lab exits with 1 and the server's reason."""
    csr = tmp_path / "tomcat.csr"
    csr.write_bytes(_pem_csr(shared_keys[2]))
    code, output = cli(
        "ca", "sign", str(csr), "--behaviour", "nice", "--mgmt", plane.url
    )
    assert code == 1
    assert "behaviour: unknown CA behaviour 'nice'" in output and "faithful" in output
    code, output = cli("ca", "sign", str(csr), "--lab", "nope", "--mgmt", plane.url)
    assert code == 1 and "no lab 'nope'" in output


def test_faults_add_list_remove_clear(plane):
    """faults add, list, remove and clear change the lab's plan; a bad rule is
    refused naming the field."""
    mgmt = ("--mgmt", plane.url)
    code, output = cli("faults", "add", "CSR_MISSING", "--probability", "0.4", *mgmt)
    assert code == 0, output
    rule = re.search(r"Added (f\d+)", output)
    assert rule
    cli("faults", "add", "SERVICE_HANG", "--service", "Cisco Tomcat", *mgmt)
    code, output = cli("faults", "list", *mgmt)
    assert "CSR_MISSING" in output and "p=0.4" in output and "SERVICE_HANG" in output

    code, output = cli("faults", "add", "CSR_MISSING", "--probability", "2", *mgmt)
    assert code == 1 and "probability: 2.0 is not between 0 and 1" in output
    code, output = cli("faults", "remove", rule.group(1), *mgmt)
    assert code == 0 and f"Removed {rule.group(1)}" in output
    code, output = cli("faults", "clear", *mgmt)
    assert code == 0 and "Removed 1 rule." in output
    code, output = cli("faults", "catalogue", *mgmt)
    assert "TVS_UNREACHABLE" in output


def test_commands_without_a_server_say_where_they_looked():
    """With nothing listening, a command exits with 1 and says how to start one."""
    code, output = cli("status", "--mgmt", "http://127.0.0.1:9")
    assert code == 1
    assert "no management API answers at http://127.0.0.1:9" in output


# -- the key pool ---------------------------------------------------------------
def test_key_pool_hands_each_key_out_once_and_saves_the_rest(tmp_path, shared_keys):
    """Keys a lab takes leave the pool file; a second server on the same state
    directory does not read it."""
    path = tmp_path / "keys" / "rsa-2048.pem"
    KeyPool(shared_keys[:6]).save(path)
    pool = BackgroundKeyPool.open(tmp_path, target=6)
    source = pool.source()
    taken = {source.rsa(2048).public_key().public_numbers().n for _ in range(2)}
    assert pool.available == 4

    other = BackgroundKeyPool.open(tmp_path)
    assert other.path is None and other.available == 0

    asyncio.run(pool.save())
    left = {k.public_key().public_numbers().n for k in _pooled(path)}
    assert len(left) == 4 and not taken & left
    asyncio.run(pool.close())


def test_key_pool_refills_in_the_background(tmp_path, shared_keys):
    """The keeper tops the pool up to its target off the loop and saves it."""
    KeyPool(shared_keys[:3]).save(tmp_path / "keys" / "rsa-2048.pem")

    async def run() -> int:
        pool = BackgroundKeyPool.open(tmp_path, target=5)
        pool.start()
        for _ in range(200):
            await asyncio.sleep(0.05)
            if pool.available == 5:
                break
        await pool.close()
        return pool.available

    assert asyncio.run(run()) == 5
    assert len(_pooled(tmp_path / "keys" / "rsa-2048.pem")) == 5


def _pooled(path: Path) -> list[rsa.RSAPrivateKey]:
    pool = KeyPool.load(path)
    return [pool.rsa(2048) for _ in range(pool.available(2048))]


# -- serve ------------------------------------------------------------------------
@pytest.mark.slow
def test_serve_starts_the_default_lab_and_the_management_api(tmp_path, shared_keys):
    """serve from a warm state directory prints the nodes and the management
    address, serves the default lab (15, 2 subscribers, IM&P, 50 phones, paced),
    and stops cleanly on Ctrl-C."""
    KeyPool(shared_keys[:120]).save(tmp_path / "keys" / "rsa-2048.pem")
    command = [
        str(Path(sys.executable).with_name("cucm-lab")), "serve",
        "--state-dir", str(tmp_path), "--base-port", "0", "--mgmt-port", "0",
    ]  # fmt: skip
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    try:
        assert process.stdout is not None
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.startswith("Management API:"):
                break
        url = line.split()[2]
        assert "Generating RSA keys" not in "".join(printed)
        labs = httpx.get(f"{url}/labs").json()
        assert [lab["name"] for lab in labs] == ["default"]
        default = httpx.get(f"{url}/labs/default").json()
        assert default["version"] == "15" and default["phones"] == 50
        assert default["clock"] == {**default["clock"], "mode": "paced", "speed": 30}
        roles = [n["role"] for n in httpx.get(f"{url}/labs/default/nodes").json()]
        assert roles == ["publisher", "subscriber", "subscriber", "imp"]
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Stopped." in rest
