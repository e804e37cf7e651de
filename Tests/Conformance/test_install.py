"""`make install` into a staging root: every file where a Linux admin expects it, with PREFIX
followed inside the units."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_make_install_stages_binaries_units_docs_and_completions(tmp_path):
    stage = tmp_path / "stage"
    result = subprocess.run(
        ["make", "-s", "install", "CONFIGURATION=debug", f"DESTDIR={stage}", "PREFIX=/usr"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    root = stage / "usr"
    for binary in ("sealboxd", "sealbox"):
        path = root / "bin" / binary
        assert path.is_file() and os.access(path, os.X_OK), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o755
    service = (root / "lib/systemd/system/sealboxd.service").read_text()
    assert "ExecStart=/usr/bin/sealboxd " in service, service
    assert "/usr/local" not in service
    assert "ListenStream=/run/sealbox/sealbox.sock" in (root / "lib/systemd/system/sealboxd.socket").read_text()
    assert "u sealbox" in (root / "lib/sysusers.d/sealbox.conf").read_text()
    assert "/run/sealbox" in (root / "lib/tmpfiles.d/sealbox.conf").read_text()
    docs = root / "share/doc/sealbox"
    for name in ("README.md", "operations.md", "api.md", "testing.md", "threat-model.md", "keys.md"):
        assert (docs / name).stat().st_size > 0, name
    bash = (root / "share/bash-completion/completions/sealbox").read_text()
    zsh = (root / "share/zsh/site-functions/_sealbox").read_text()
    fish = (root / "share/fish/vendor_completions.d/sealbox.fish").read_text()
    for script in (bash, zsh, fish):
        assert "sealbox" in script and "rewrap" in script
    # Nothing escaped the staging root.
    assert not any(p.is_symlink() for p in stage.rglob("*"))
