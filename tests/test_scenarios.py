"""Scenario suites: the library, the runner's reports, and the pytest plugin."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.scenarios import ScenarioFormatError, load_file
from api.scenarios.cli import scenario_app
from api.scenarios.coverage import UNREACHABLE, measure
from api.scenarios.labs import POOL_KEYS
from api.scenarios.runner import run_paths, run_scenario
from emulator.errors import CATALOGUE
from emulator.phones.trust import Outcome
from emulator.pki.keys import KeyPool

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "scenarios"
PLUGIN = "api.scenarios.pytest_plugin"

PASSING = """\
    name: Tomcat regenerated and restarted
    lab: {release: [11.5, 15], phones: 2}
    steps:
      - gui: {action: regenerate, unit: tomcat}
        expect:
          presents: {service: Cisco Tomcat, certificate: previous}
      - restart: {services: [Cisco Tomcat], nodes: publisher}
        expect:
          presents: {service: Cisco Tomcat, certificate: installed}
    """
WRONG = """\
    name: A leaf uploaded before its chain
    lab: {phones: 2}
    steps:
      - gui: {action: generate-csr, unit: tomcat}
      - lab: {ca-sign: {unit: tomcat}}
      - gui: {action: upload-certificate, purpose: tomcat, from: signed}
        expect:
          certificate: {unit: tomcat, issuer: lab-ca}
    """
MALFORMED = """\
    name: Typos
    lab: {release: 15, phones: 2}
    steps:
      - gui: {action: regenerate, unit: tomcat}
      - gui: {action: generate-csr, unti: tomcat}
    """


@pytest.fixture
def keys_file(tmp_path: Path, shared_keys: list) -> Path:
    """A key pool file already filled, so runs never generate keys."""
    path = tmp_path / "state" / "keys" / "scenarios-rsa-2048.pem"
    KeyPool(shared_keys[:POOL_KEYS]).save(path)
    return path


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_library_passes_on_two_processes(keys_file):
    """Every procedure, upload error and trust outcome of the reference behaves
    in the lab as the library's scenarios say CUCM behaves."""
    results = run_paths([LIBRARY], jobs=2, keys_file=keys_file)
    failed = [r.message for r in results if r.status != "passed"]
    assert not failed, "\n\n".join(failed)
    assert len(results) >= 80


def test_library_exercises_every_catalogue_entry_and_outcome():
    """Each CUCM error of the catalogue and each phone trust outcome is produced
    by some scenario, bar the outcomes no operation can produce."""
    coverage = measure([LIBRARY])
    assert not coverage.problems
    assert not coverage.missing, [row.name for row in coverage.missing]
    covered = {row.name for row in coverage.rows if row.covered}
    assert set(CATALOGUE) <= covered
    assert {o.name for o in Outcome} - covered == set(UNREACHABLE)
    natural = {row.name for row in coverage.rows if row.natural}
    assert set(CATALOGUE) <= natural


def test_same_seed_gives_the_same_result(shared_keys):
    """A lab rebuilt from the same seed repeats every draw, so a scenario's
    steps, journal and simulated times repeat exactly."""
    scenario = load_file(LIBRARY / "trust" / "phone-off-during-change.yaml")[0]
    first = run_scenario(scenario, shared_keys)
    second = run_scenario(scenario, shared_keys)
    assert first.status == "passed"
    assert first.outcome() == second.outcome()

    reseeded = replace(scenario, lab=scenario.lab.model_copy(update={"seed": 2}))
    assert run_scenario(reseeded, shared_keys).digest != first.digest


def test_wrong_expectation_names_step_expectation_and_what_happened(
    tmp_path, shared_keys
):
    """Uploading a CA-signed leaf before its chain is refused, and the failure
    says which step, what was expected, what CUCM did and the nearest valid
    step."""
    path = _write(tmp_path, "wrong.yaml", WRONG)
    result = run_scenario(load_file(path)[0], shared_keys)
    assert result.status == "failed"
    message = result.message
    assert (
        f"{path}:6: step 3 (gui upload-certificate tomcat from signed on publisher)"
        in message
    )
    assert "expected no error" in message
    assert "happened: CA_CERT_NOT_IN_TRUST_STORE" in message
    assert "CA certificate not available in the trust store" in message
    assert "nearest valid step: the chain's issuer 'cucm-lab Issuing CA G1'" in message
    assert "upload it as tomcat-trust first" in message
    assert [s.status for s in result.steps] == ["passed", "passed", "failed"]


def test_unmet_expectation_is_reported_with_what_the_lab_shows(tmp_path, shared_keys):
    """Tomcat presents the certificate it loaded until it restarts, and an
    expectation that it already presents the new one reports what it presents."""
    text = PASSING.replace("certificate: previous", "certificate: installed")
    path = _write(tmp_path, "unmet.yaml", text)
    result = run_scenario(load_file(path)[0], shared_keys)
    assert result.status == "failed"
    assert "step 1 (gui regenerate tomcat on publisher)" in result.message
    assert "expected presents." in result.message
    assert "Cisco Tomcat: the installed tomcat" in result.message
    assert "happened: the previous tomcat" in result.message
    assert "nearest valid step: restart Cisco Tomcat" in result.message


def test_malformed_file_names_the_file_line_and_what_was_expected(tmp_path):
    """A scenario with a misspelt key is refused at load time, naming where."""
    path = _write(tmp_path, "typos.yaml", MALFORMED)
    with pytest.raises(ScenarioFormatError) as raised:
        load_file(path)
    text = str(raised.value)
    assert (
        f"{path}:5: step 2 gui.unti: unknown key 'unti'; did you mean 'unit'?" in text
    )
    assert f"{path}:5: step 2 gui.unit: missing key 'unit'" in text

    broken = _write(tmp_path, "broken.yaml", "name: x\nsteps:\n  - gui: {a: b\n  - x\n")
    with pytest.raises(ScenarioFormatError) as raised:
        load_file(broken)
    text = str(raised.value)
    assert text.startswith(f"{broken}:5: invalid YAML: expected ',' or '}}'")
    assert text.endswith("(while parsing a flow mapping on line 3)")


def test_run_command_writes_junit_and_json_and_fails(tmp_path, keys_file):
    """The run command reports passes, failures and unreadable files in JUnit
    XML and JSON, and exits 1 when anything failed."""
    suite = tmp_path / "suite"
    _write(suite, "a-passing.yaml", PASSING)
    _write(suite, "b-wrong.yaml", WRONG)
    _write(suite, "c-malformed.yaml", MALFORMED)
    junit, report = tmp_path / "junit.xml", tmp_path / "report.json"
    outcome = CliRunner().invoke(
        scenario_app,
        [
            "run",
            str(suite),
            "--junit",
            str(junit),
            "--json",
            str(report),
            "--keys",
            str(keys_file),
            "-j",
            "2",
        ],
    )
    assert outcome.exit_code == 1, outcome.output

    root = ET.parse(junit).getroot()
    suite_element = root.find("testsuite")
    assert suite_element is not None
    attributes = suite_element.attrib
    assert (attributes["tests"], attributes["failures"], attributes["errors"]) == (
        "4",
        "1",
        "1",
    )
    cases = suite_element.findall("testcase")
    assert [c.get("name") for c in cases][:2] == [
        "Tomcat regenerated and restarted [11.5]",
        "Tomcat regenerated and restarted [15]",
    ]
    failure = cases[2].find("failure")
    assert failure is not None and "CA_CERT_NOT_IN_TRUST_STORE" in (failure.text or "")
    assert cases[3].find("error") is not None

    document = json.loads(report.read_text())
    assert document["summary"] == {
        "total": 4,
        "passed": 2,
        "failed": 1,
        "error": 1,
        "skipped": 0,
    }
    assert document["scenarios"][0]["steps"][1]["status"] == "passed"


def test_coverage_command_lists_every_entry():
    """The coverage command lists every catalogue entry and trust outcome."""
    outcome = CliRunner().invoke(scenario_app, ["coverage", str(LIBRARY)])
    assert outcome.exit_code == 0, outcome.output
    for name in [*CATALOGUE, *(o.name for o in Outcome)]:
        assert name in outcome.output


def test_pytest_plugin_collects_scenario_files(tmp_path, keys_file):
    """Scenario files under a scenarios folder run as pytest tests, one per
    release, and a failing one reports the runner's explanation."""
    _write(tmp_path, "scenarios/passing.yaml", PASSING)
    _write(tmp_path, "scenarios/wrong.yaml", WRONG)
    _write(tmp_path, "notes/other.yaml", "not: a scenario\n")
    environment = {**os.environ, "CUCM_LAB_STATE": str(keys_file.parent.parent)}
    # Loading it twice (entry point and -p) would be refused.
    installed = any(
        e.value == PLUGIN for e in importlib.metadata.entry_points(group="pytest11")
    )
    load = [] if installed else ["-p", PLUGIN]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            *load,
            "-p",
            "no:cacheprovider",
            "-q",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=300,
    )
    output = completed.stdout
    assert completed.returncode == 1, output + completed.stderr
    assert "1 failed, 2 passed" in output
    assert "happened: CA_CERT_NOT_IN_TRUST_STORE" in output
