"""The deployment files cannot run here (no Docker engine): check what a tool can check."""
import os
import shutil
import subprocess

import pytest
import yaml

from conftest import BIN, ROOT

DEPLOY = os.path.join(ROOT, "deploy")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_unit_verifies(tmp_path):
    unit = open(os.path.join(DEPLOY, "mtag.service")).read()
    # verify wants the executable to exist: point it at the binary under test.
    path = tmp_path / "mtag.service"
    path.write_text(unit.replace("/usr/local/bin/mtag", os.path.abspath(BIN)))
    r = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "ExecStart=/usr/local/bin/mtag serve" in unit


def test_compose_file_is_consistent():
    doc = yaml.safe_load(open(os.path.join(DEPLOY, "docker-compose.yml")))
    services = doc["services"]
    assert set(services) == {"postgres", "minio", "api", "worker"}
    assert services["postgres"]["image"] == "postgres:15"
    assert services["api"]["command"] == ["serve", "--role", "api"]
    assert services["worker"]["command"] == ["serve", "--role", "worker"]
    env = services["api"]["environment"]
    assert env["MTAG_DATABASE_URL"].startswith("postgresql://")
    assert env["MTAG_STORAGE_URL"].startswith("s3://")
    assert services["worker"]["environment"] == env
    # Every variable it sets is one mtag knows.
    known = subprocess.run([BIN, "help"], capture_output=True, text=True).stdout
    for var in env:
        assert var in known, var


def test_dockerfile_runs_as_a_user_and_builds_with_our_script():
    text = open(os.path.join(DEPLOY, "Dockerfile")).read()
    assert "FROM debian:12 AS build" in text and "FROM debian:12-slim" in text
    assert "tools/install-deps.sh build" in text
    assert "\nUSER mtag\n" in text
