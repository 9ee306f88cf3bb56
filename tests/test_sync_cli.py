"""The sync commands as a user runs them: ``ardvc remote``, ``status``, ``push``, ``pull``,
``share``, ``clone-lab``, ``offline`` and ``credential`` (the last through the installed
console script, as git would run it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner, Result

from ardvc import Lab
from ardvc.cli.main import main
from git_servers import HttpGit, LoopbackServer, daemon_url
from sync_helpers import (
    HTTP_TOKEN,
    HTTP_USER,
    SLOTS,
    bare_repos,
    daemon,
    http,
    new_lab,
    record,
    srv,
)

__all__ = ["daemon", "http", "srv"]  # fixtures


def ardvc(root: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--root", str(root), *args], input=stdin)


def test_remote_status_push_pull_share(tmp_path: Path, srv: Path, http: HttpGit) -> None:
    bare_repos(srv / "lab", "MetaData", "SimLab")
    a = new_lab(tmp_path / "A")
    runs = record(a, 0, slots=SLOTS[:2])
    url = http.git_url + "/lab"
    out = ardvc(a.root, "remote", "add", "origin", url, "--user", HTTP_USER, "--token-stdin",
                stdin=HTTP_TOKEN + "\n")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "MetaData" in out.output and "added" in out.output
    assert HTTP_TOKEN not in a.workspace.config_file.read_text()
    listed = json.loads(ardvc(a.root, "remote", "list", "--json").output)
    assert listed == [{"name": "origin", "url": url, "host": "git", "owner": "", "api_url": "",
                       "user": HTTP_USER, "ssh_command": "", "token": True}]  # fmt: skip
    status = json.loads(ardvc(a.root, "status", "--json").output)
    rows = {r["name"]: r for r in status["repositories"]}
    assert rows["SimLab"]["state"] == "unpublished" and rows["SimLab"]["outbox"] == len(runs)
    assert ardvc(a.root, "status", "--strict").exit_code == 1
    pushed = ardvc(a.root, "push")
    assert pushed.exit_code == 0, pushed.output
    assert "2 outbox entries cleared" in pushed.output
    assert ardvc(a.root, "status", "--fetch", "--strict").exit_code == 0
    # B clones, both record, B shares: pulled first, then pushed, and says where
    cloned = ardvc(tmp_path, "clone-lab", url, str(tmp_path / "B"), "--repos", "SimLab",
                   "--user", HTTP_USER, "--token-stdin", stdin=HTTP_TOKEN)  # fmt: skip
    assert cloned.exit_code == 0, cloned.output
    assert "lab ready" in cloned.output and "index rebuilt" in cloned.output
    b = Lab.open(tmp_path / "B")
    assert {r.uuid for r in b.find()} == {r.uuid for r in runs}
    record(a, 1, slots=SLOTS[:1], day=1)
    assert ardvc(a.root, "push").exit_code == 0
    mine = record(b, 2, slots=SLOTS[:1], day=2)
    refused = ardvc(b.root, "push")
    assert refused.exit_code == 1 and "rejected" in refused.output
    assert "remedy:" in refused.output and "ardvc pull, then ardvc push" in refused.output
    diverged = json.loads(ardvc(b.root, "status", "--json").output)
    assert {r["name"]: r["state"] for r in diverged["repositories"]}["SimLab"] == "diverged"
    shared = ardvc(b.root, "share")
    assert shared.exit_code == 0, shared.output
    assert f"SimLab master → {url}/SimLab.git" in shared.output
    assert "1 outbox entries cleared" in shared.output and "everything is shared" in shared.output
    pulled = ardvc(a.root, "pull", "--json")
    assert pulled.exit_code == 0
    report = json.loads(pulled.output)
    assert report["ok"] and report["lab"][0]["step"] == "index"
    assert mine[0].uuid in {r.uuid for r in Lab.open(a.root).find()}
    for lab in (a, b):
        text = lab.workspace.log_file.read_text()
        assert "ardvc push" in text or "ardvc share" in text
        assert HTTP_TOKEN not in text


def test_offline_commands(tmp_path: Path, srv: Path, daemon: LoopbackServer) -> None:
    bare_repos(srv / "lab", "MetaData", "SimLab")
    a = new_lab(tmp_path / "A")
    record(a, 0, slots=SLOTS[:1])
    assert ardvc(a.root, "remote", "add", "origin", daemon_url(daemon) + "/lab").exit_code == 0
    assert ardvc(a.root, "push").exit_code == 0
    prepared = ardvc(a.root, "offline", "prepare", "--repos", "SimLab")
    assert prepared.exit_code == 0, prepared.output
    assert "offline: SimLab and MetaData ready, 1 analyses in the offline index" in prepared.output
    record(Lab.open(a.root), 1, slots=SLOTS[:1], day=1)
    state = ardvc(a.root, "offline", "status")
    assert "offline since" in state.output and "1 commits in the outbox" in state.output
    refused = ardvc(a.root, "push")
    assert refused.exit_code == 1 and "ardvc offline finish" in refused.output
    finished = ardvc(a.root, "offline", "finish")
    assert finished.exit_code == 0, finished.output
    assert "online again" in finished.output
    assert ardvc(a.root, "offline", "status").output.strip() == "online"


def test_credential_helper_command_and_help(tmp_path: Path) -> None:
    a = new_lab(tmp_path / "A", irradiation=False)
    out = ardvc(a.root, "remote", "add", "origin", "http://127.0.0.1:8/git/lab",
                "--token-stdin", stdin="tok-xyz\n")  # fmt: skip
    assert out.exit_code == 0
    console = shutil.which("ardvc") or str(Path(__file__).parents[1] / ".venv/bin/ardvc")
    done = subprocess.run([console, "--root", str(a.root), "credential", "get"],
                          input="protocol=http\nhost=127.0.0.1:8\npath=git/lab/X.git\n\n",
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert done.stdout == "username=git\npassword=tok-xyz\n"
    for command in (["status"], ["push"], ["pull"], ["share"], ["remote", "add"],
                    ["offline", "prepare"], ["offline", "finish"], ["clone-lab"],
                    ["credential"]):  # fmt: skip
        helped = ardvc(a.root, *command, "--help")
        assert helped.exit_code == 0 and len(helped.output) > 300, command
