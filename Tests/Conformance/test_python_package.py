"""The Python package in clients/python, installed the way users install it: `pip install ./clients/python`
into a fresh virtual environment (system site packages give it boto3 and pytest; nothing is fetched).

Then the sample project in docs/examples/python/project runs under the installed pytest plugin: its
app module makes a boto3 client at import time, its ini file names its fixtures relative to itself,
and it runs from a subdirectory under pytest-xdist with two workers. The rough edges the plugin used
to have each get a test: a wrong binary, a daemon that does not start, interruptions (no temp
directory left behind), and the examples in the plugin's docstring, docs/testing.md, docs/handlers.md
(its first, complete example; the cookbook's later fragments are sketches) and README.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import sys
import textwrap
import time
from pathlib import Path

import pytest

import harness

PACKAGE = harness.PYTHON_PACKAGE
PROJECT = harness.REPO / "docs" / "examples" / "python" / "project"
DOCS = harness.REPO / "docs"

# Writes one JSON record per test of the sample project: which worker, which daemon, what it was asked.
RECORDING_CONFTEST = '''
import json, os, sys, uuid
import pytest

import app  # conftest.py files are imported before pytest_configure: the daemon must be up already

@pytest.fixture(autouse=True)
def _record(request, sealbox):
    yield
    record = {"test": request.node.name, "worker": os.environ.get("PYTEST_XDIST_WORKER"),
              "daemon_pid": sealbox.pid, "daemon_dir": os.path.dirname(sealbox.socket_path),
              "endpoint": sealbox.endpoint_url, "operations": sealbox.operations(),
              "app_endpoint": app.ssm.meta.endpoint_url}
    with open(os.path.join(os.environ["RECORD_DIR"], uuid.uuid4().hex + ".json"), "w") as f:
        json.dump(record, f)
'''


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment with the package installed from a copy of clients/python."""
    base = tmp_path_factory.mktemp("pyvenv")
    source = base / "src"
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    env = _env(base)
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(base / "venv")], check=True,
                   env=env, timeout=120)
    python = base / "venv" / "bin" / "python"
    p = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        str(source)], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"pip install ./clients/python failed:\n{p.stdout}\n{p.stderr}"
    where = subprocess.run([str(python), "-c", "import importlib.metadata as m, sealbox.pytest_plugin as p; "
                            "print(p.__file__); print([e.value for e in m.entry_points(group='pytest11')])"],
                           env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    assert str(base / "venv") in where.splitlines()[0], where
    assert "sealbox.pytest_plugin" in where.splitlines()[1], where
    return python


def _env(tmp: Path, **extra: str | None) -> dict:
    env = harness.clean_env()
    env.update({"TMPDIR": str(tmp), "PYTHONDONTWRITEBYTECODE": "1", "SEALBOXD": str(harness.daemon_binary())})
    for name, value in extra.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return project


def _pytest(venv: Path, cwd: Path, tmp: Path, *args: str, timeout: float = 120, **env: str | None):
    return subprocess.run([str(venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:benchmark", *args],
                          cwd=str(cwd), env=_env(tmp, **env), capture_output=True, text=True, timeout=timeout)


def _leftovers(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("sealbox-pytest-"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is not alive either: it is gone, waiting for its parent.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


@pytest.fixture
def short_temp():
    """The children's TMPDIR: short, since pytest's own temp paths leave a Unix socket under them too
    little of its 103 bytes, and the plugin would then fall back to /tmp where these tests do not look."""
    path = Path(tempfile.mkdtemp(prefix="sbx-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_sample_project_under_xdist_from_a_subdirectory(venv, tmp_path, short_temp):
    project = _project(tmp_path)
    (project / "tests" / "conftest.py").write_text(RECORDING_CONFTEST)
    records = tmp_path / "records"
    records.mkdir()
    temp = short_temp
    started = time.monotonic()
    p = _pytest(venv, project / "tests", temp, "-n", "2", RECORD_DIR=str(records))
    print(f"\nMEASURE: sample project, 2 xdist workers, {time.monotonic() - started:.1f} s")
    assert p.returncode == 0, f"{p.stdout}\n{p.stderr}"
    assert re.search(r"\b6 passed\b", p.stdout), p.stdout
    runs = [json.loads(f.read_text()) for f in records.iterdir()]
    assert len(runs) == 6, runs
    # One daemon per worker, each in its own temp directory.
    by_worker = {r["worker"]: r["daemon_pid"] for r in runs}
    assert set(by_worker) == {"gw0", "gw1"}, runs
    assert len(set(by_worker.values())) == 2, runs
    assert all(r["daemon_dir"].startswith(str(temp)) for r in runs), runs
    # The import-time client talks to its worker's daemon, and the daemon recorded the call.
    first = next(r for r in runs if r["test"] == "test_the_import_time_client_reads_the_fixture")
    assert first["operations"] == [["ssm:GetParameter", "/app/db/password"]], first
    assert all(r["app_endpoint"] == r["endpoint"] for r in runs), runs
    # Everything is gone afterwards: no temp directory, no daemon.
    assert _leftovers(temp) == []
    assert [pid for pid in by_worker.values() if _alive(pid)] == []


def _python_blocks(markdown: str, heading: str) -> list[str]:
    section = markdown.split(heading, 1)[1]
    section = re.split(r"\n## ", section, maxsplit=1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_a_tmpdir_too_deep_for_a_socket_puts_the_daemon_under_tmp(venv, tmp_path):
    project = _project(tmp_path)
    (project / "tests" / "conftest.py").write_text(RECORDING_CONFTEST)
    records = tmp_path / "records"
    records.mkdir()
    deep = tmp_path / ("d" * 70) / "temp"
    deep.mkdir(parents=True)
    before = set(_leftovers(Path("/tmp")))
    p = _pytest(venv, project / "tests", deep, RECORD_DIR=str(records))
    assert p.returncode == 0, f"{p.stdout}\n{p.stderr}"
    seen = [json.loads(f.read_text()) for f in records.iterdir()]
    assert seen and all(r["daemon_dir"].startswith("/tmp/sealbox-pytest-") for r in seen), seen
    assert set(_leftovers(Path("/tmp"))) == before
    assert _leftovers(deep) == []


def test_the_documented_examples_run(venv, tmp_path, short_temp):
    project = _project(tmp_path)
    tests = project / "tests"
    # The plugin's own docstring example.
    import sealbox.pytest_plugin as plugin  # noqa: PLC0415 (loaded from clients/python by conftest.py)
    example = plugin.__doc__.split("Then, in tests::\n", 1)[1].split("\n\n", 1)[0]
    assert "def test_" in example, example
    (tests / "test_docstring_example.py").write_text(textwrap.dedent(example).strip() + "\n")
    # docs/testing.md: every Python block of the pytest section that names its file.
    written = []
    for block in _python_blocks((DOCS / "testing.md").read_text(), "## pytest and boto3"):
        match = re.match(r"# (tests/\w+\.py)\n", block)
        if match:
            if "def run_handler(" in block:
                # The inspect example's own helper, given a handler that dies at import: it must raise,
                # not wait forever for a line that never comes.
                block += textwrap.dedent("""

                    def test_run_handler_stops_when_the_handler_dies(tmp_path, monkeypatch):
                        import pytest
                        monkeypatch.setitem(globals(), "HANDLER", "import no_such_module_here")
                        with pytest.raises(RuntimeError, match="exited with status 1"):
                            run_handler(tmp_path, "lease")
                    """)
            (project / match.group(1)).write_text(block)
            written.append(match.group(1))
    assert written, "docs/testing.md shows no test file"
    # docs/handlers.md: the first Python example, as a handler module, and a test that invokes it.
    (project / "handler_doc.py").write_text(_python_blocks((DOCS / "handlers.md").read_text(),
                                                           "## The clients")[0])
    (tests / "test_handlers_doc.py").write_text(
        "import handler_doc\n\n\ndef test_the_handlers_md_example(sealbox):\n"
        "    assert sealbox.calls() == []\n"
        "    handler_doc.handler({}, None)\n"
        "    assert ('lease:Redeem', '/app/db/password') in sealbox.operations()\n")
    # README.md: the handler example; `connect` is the reader's database driver, here a check.
    readme = next(b for b in re.findall(r"```python\n(.*?)```", (harness.REPO / "README.md").read_text(), re.S)
                  if "sealbox.client" in b)
    (project / "readme_handler.py").write_text(
        readme + "\n\nCONNECTED = []\n\n\ndef connect(password):\n    CONNECTED.append(password)\n")
    (tests / "test_readme.py").write_text(
        "import readme_handler\n\n\ndef test_the_readme_example(sealbox):\n"
        "    readme_handler.handler({}, None)\n"
        "    assert readme_handler.CONNECTED == ['s3cr3t']\n"
        "    assert ('lease:Redeem', '/app/db/password') in sealbox.operations()\n")
    temp = short_temp
    p = _pytest(venv, project, temp, "-rA")
    assert p.returncode == 0, f"{p.stdout}\n{p.stderr}"
    passed = set(re.findall(r"^PASSED (\S+)", p.stdout, re.M))
    files = {name.split("::")[0] for name in passed}
    assert {"tests/test_docstring_example.py", "tests/test_handlers_doc.py", "tests/test_readme.py",
            *written} <= files, p.stdout
    assert any(name.endswith("::test_run_handler_stops_when_the_handler_dies") for name in passed), p.stdout
    assert not re.search(r"\b\d+ (failed|errors?|skipped)\b", p.stdout), p.stdout
    assert _leftovers(temp) == []


def test_a_wrong_binary_is_one_clear_error(venv, tmp_path, short_temp):
    project = _project(tmp_path)
    temp = short_temp
    # From $SEALBOXD, under xdist: the controller reports it once, before any worker starts.
    p = _pytest(venv, project, temp, "-n", "2", SEALBOXD="/nonexistent/sealboxd")
    assert p.returncode == 4, f"{p.stdout}\n{p.stderr}"
    assert "Traceback" not in p.stderr + p.stdout, p.stderr
    assert p.stderr.count("/nonexistent/sealboxd") == 1, p.stderr
    assert "$SEALBOXD" in p.stderr and "does not exist" in p.stderr, p.stderr
    # From the ini file: relative to it, wherever pytest runs from.
    ini = project / "pytest.ini"
    ini.write_text(ini.read_text() + "sealboxd = bin/sealboxd\n")
    p = _pytest(venv, project / "tests", temp)
    assert p.returncode == 4, f"{p.stdout}\n{p.stderr}"
    assert f"{project}/bin/sealboxd (from ini option sealboxd in {ini}) does not exist" in p.stderr, p.stderr
    # Nowhere: the message names every place it looked.
    ini.write_text(ini.read_text().replace("sealboxd = bin/sealboxd\n", ""))
    p = _pytest(venv, project, temp, SEALBOXD=None, PATH=f"{venv.parent}:/usr/bin:/bin")
    assert p.returncode == 4, f"{p.stdout}\n{p.stderr}"
    for where in ("--sealboxd", str(ini), "SEALBOXD is not set", "/usr/bin:/bin"):
        assert where in p.stderr, (where, p.stderr)
    assert "Traceback" not in p.stderr, p.stderr
    assert _leftovers(temp) == []


def test_a_daemon_that_does_not_start_is_one_error_with_its_log(venv, tmp_path, short_temp):
    project = _project(tmp_path)
    (project / "tests" / "fixtures.yaml").write_text("parameters:\n  - {name: /app/x, type: Strng, value: v}\n")
    temp = short_temp
    for extra in ([], ["-n", "2"]):
        p = _pytest(venv, project, temp, *extra)
        assert p.returncode == 4, f"{extra}\n{p.stdout}\n{p.stderr}"
        out = p.stdout + p.stderr
        assert "Traceback" not in out, out
        assert out.count("did not start") == 1, out
        assert f"{harness.daemon_binary()} did not start: it exited with status" in p.stderr, p.stderr
        # The daemon's own words, from its log.
        assert out.count("type must be String, StringList or SecureString, not 'Strng'") == 1, out
        assert "passed" not in out and "ERROR at setup" not in out, out
        assert _leftovers(temp) == []


def test_an_interrupted_run_removes_its_temp_directory_and_daemon(venv, tmp_path, short_temp):
    project = _project(tmp_path)
    (project / "tests" / "test_interrupt.py").write_text(textwrap.dedent("""\
        import os, signal

        def test_interrupted(sealbox):
            with open(os.environ["PID_FILE"], "w") as f:
                f.write(str(sealbox.pid))
            os.kill(os.getpid(), signal.SIGINT)
        """))
    temp = short_temp
    pid_file = tmp_path / "daemon.pid"
    p = _pytest(venv, project, temp, "tests/test_interrupt.py", PID_FILE=str(pid_file))
    assert p.returncode == 2 and "KeyboardInterrupt" in p.stdout, f"{p.stdout}\n{p.stderr}"
    assert not _alive(int(pid_file.read_text()))
    assert _leftovers(temp) == []


def test_an_interrupt_while_the_daemon_starts_removes_everything(venv, tmp_path, short_temp):
    # A "daemon" that never prints its ready line: pytest is interrupted while it waits.
    fake = tmp_path / "slow-sealboxd"
    fake.write_text("#!/bin/sh\necho $$ > \"$FAKE_PID\"\nexec sleep 60\n")
    fake.chmod(0o755)
    temp = short_temp
    fake_pid = tmp_path / "fake.pid"
    project = _project(tmp_path)
    child = subprocess.Popen([str(venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:benchmark"],
                             cwd=str(project), env=_env(temp, SEALBOXD=str(fake), FAKE_PID=str(fake_pid)),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (fake_pid.exists() and fake_pid.read_text().strip()):
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the fake daemon never started"
            time.sleep(0.05)
        assert len(_leftovers(temp)) == 1
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode != 0, out + err
    assert not _alive(int(fake_pid.read_text()))
    assert _leftovers(temp) == []


def test_ctrl_c_under_xdist_removes_every_daemon_and_temp_directory(venv, tmp_path, short_temp):
    project = _project(tmp_path)
    (project / "tests" / "test_wait.py").write_text(textwrap.dedent("""\
        import os, time

        def _wait(sealbox):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            with open(os.path.join(os.environ["READY_DIR"], worker), "w") as f:
                f.write(str(sealbox.pid))
            time.sleep(60)

        def test_one(sealbox):
            _wait(sealbox)

        def test_two(sealbox):
            _wait(sealbox)
        """))
    ready = tmp_path / "ready"
    ready.mkdir()
    temp = short_temp
    # Its own process group, as a terminal's foreground job: Ctrl-C reaches the controller and the workers.
    child = subprocess.Popen([str(venv), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:benchmark",
                              "-n", "2", "tests/test_wait.py"], cwd=str(project),
                             env=_env(temp, READY_DIR=str(ready)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < 2:
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the workers never started their tests"
            time.sleep(0.05)
        time.sleep(0.2)  # both workers are in time.sleep now
        assert len(_leftovers(temp)) == 3  # the controller's daemon and one per worker
        os.killpg(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode != 0, out + err
    pids = [int(f.read_text()) for f in ready.iterdir()]
    assert [pid for pid in pids if _alive(pid)] == []
    assert _leftovers(temp) == [], (out, err)
