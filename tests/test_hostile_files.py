"""Files a hostile pull request can add: links out of the tree, FIFOs, devices, huge or oddly encoded
files, names that are not UTF-8, trees too deep to walk. Each is skipped with a one-line note, nothing
outside the tree is read or printed, and the valid template beside it is still reported (exit 1).

Every input is generated here. The command runs in a child process where a mistake would hang or
grow (a FIFO opened, /dev/zero read): the child is limited to 10 s and 500 MB, so the test fails
instead."""
from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from eice_checks.adapters.cli import main
from helpers import FIXTURES

APP = FIXTURES / "cli" / "mixed" / "app.yaml"  # a template with one EICE003 finding, on line 18
FORMATS = ("text", "json", "sarif", "github")
SECRET = "EiceTestSecret" + "9f8e7d6c5b4a3928" * 4  # longer than any excerpt a message may quote
OUTSIDE = "skipped: a symbolic link to outside the scanned tree"
LIMIT_BYTES = 500 * 1024 * 1024


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def run(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command in a child process, at most 10 s and 500 MB; output kept as bytes."""
    return subprocess.run([sys.executable, "-m", "eice_checks", *args], cwd=cwd, capture_output=True,
                          timeout=10, preexec_fn=_limited, env={**os.environ, **(env or {})})


def report(cwd: Path, *args: str) -> tuple[int, dict]:
    proc = run(cwd, "--format", "json", *args)
    assert b"Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout.decode("utf-8"))


def valid_template(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(APP, folder / "app.yaml")


def findings(data: dict) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["file"], f["line"]) for f in data["findings"]]


def notes(data: dict) -> dict[str, str]:
    return {e["file"]: e["message"] for e in data["errors"]}


def test_links_out_of_the_tree_are_skipped_with_a_note(tmp_path):
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    valid_template(tree / "valid")
    valid_template(outside / "stack")  # a template would be found there if the link were followed
    (tree / "main.tf").write_text('resource "aws_vpc" "v" {}\n')  # a module: its tfvars are read
    (outside / "secret.yaml").write_text(f"AWSTemplateFormatVersion: '2010-09-09'\nResources: {SECRET}\n")
    (tree / "x.tf").symlink_to("/proc/self/environ")
    (tree / "y.yaml").symlink_to(outside / "secret.yaml")
    (tree / "zero.json").symlink_to("/dev/zero")
    (tree / "terraform.tfvars").symlink_to("../outside/secret.yaml")
    (tree / "stacks").symlink_to(outside / "stack", target_is_directory=True)
    (tree / "loop.yaml").symlink_to("loop.yaml")
    (tree / "gone.yaml").symlink_to("nowhere.yaml")
    code, data = report(tree, ".")
    assert code == 1
    assert findings(data) == [("EICE003", "valid/app.yaml", 18)]
    assert notes(data) == {
        "x.tf": OUTSIDE, "y.yaml": OUTSIDE, "zero.json": OUTSIDE, "terraform.tfvars": OUTSIDE, "stacks": OUTSIDE,
        "loop.yaml": "skipped: a symbolic link loop",
        "gone.yaml": "skipped: a symbolic link to nothing (its target does not exist)",
    }


def test_a_link_to_a_file_inside_the_tree_is_read_once(tmp_path):
    valid_template(tmp_path / "valid")
    (tmp_path / "copy.yaml").symlink_to("valid/app.yaml")
    (tmp_path / "same").symlink_to("valid", target_is_directory=True)  # inside: not entered, not noted
    code, data = report(tmp_path, ".")
    assert code == 1
    assert len(data["findings"]) == 1 and data["errors"] == []


def test_each_path_is_a_root_and_a_path_that_is_a_link_stays_in_its_directory(tmp_path):
    valid_template(tmp_path / "b")
    (tmp_path / "a").mkdir()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "other.yaml").write_bytes(APP.read_bytes())
    (tmp_path / "a" / "into-b.yaml").symlink_to("../b/app.yaml")  # inside root b: fine, and read once
    (tmp_path / "a" / "into-c.yaml").symlink_to("../c/other.yaml")  # c is not scanned
    code, data = report(tmp_path, "a", "b")
    assert code == 1
    assert len(data["findings"]) == 1
    assert notes(data) == {"a/into-c.yaml": OUTSIDE}
    # a PATH that is itself a link may point anywhere in the directory holding it, not beyond
    (tmp_path / "a" / "up").symlink_to(tmp_path / "c", target_is_directory=True)
    code, data = report(tmp_path / "a", "up")
    assert (code, notes(data)) == (2, {"up": OUTSIDE})


def test_no_output_format_carries_a_secret(tmp_path):
    """The secret is in the environment (/proc/self/environ) and in files outside the tree, where
    followed links would put it into a finding (a template's logical id) or a parse error; inside
    the tree, unparsable files hold it where parse errors quote input."""
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    valid_template(tree / "valid")
    outside.mkdir()
    (outside / "secret.yaml").write_text(APP.read_text().replace("App", SECRET))
    (outside / "secret.tfvars").write_text(f'name = "x" {SECRET}\n')
    (tree / "x.tf").symlink_to("/proc/self/environ")
    (tree / "y.yaml").symlink_to(outside / "secret.yaml")
    (tree / "mod").mkdir()
    (tree / "mod" / "main.tf").write_text('resource "aws_vpc" "v" {}\n')
    (tree / "mod" / "terraform.tfvars").symlink_to(outside / "secret.tfvars")
    (tree / "broken.tf").write_text(f"{SECRET} {{\n")
    (tree / "tag.yaml").write_text(f"AWSTemplateFormatVersion: '2010-09-09'\nResources: !{SECRET}\n")
    (tree / "token.yaml").write_text(f"AWSTemplateFormatVersion: '2010-09-09'\nResources: {{a: @{SECRET}}}\n")
    for fmt in FORMATS:
        proc = run(tree, "--format", fmt, ".", env={"EICE_TEST_SECRET": SECRET})
        assert proc.returncode == 1, (fmt, proc.stderr)
        out = proc.stdout + proc.stderr
        assert b"EICE003" in out and b"tag.yaml" in out
        assert SECRET.encode() not in out, fmt


def test_fifos_sockets_and_devices_are_never_opened(tmp_path):
    valid_template(tmp_path / "valid")
    os.mkfifo(tmp_path / "x.yaml")
    os.mkfifo(tmp_path / "main.tf")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.json"))
        code, data = report(tmp_path, ".")
    assert code == 1
    assert findings(data) == [("EICE003", "valid/app.yaml", 18)]
    assert notes(data) == {"x.yaml": "skipped: a FIFO, not a regular file", "main.tf": "skipped: a FIFO, not a regular file",
                           "s.json": "skipped: a socket, not a regular file"}
    # named on the command line, a device is still refused, and a FIFO is named as one, not waited on
    proc = run(tmp_path, "--var-file", "/dev/zero", ".")
    assert proc.returncode == 2 and b"--var-file /dev/zero: skipped: a character device, not a regular file" in proc.stderr
    for option in ("--config", "--parameters"):
        proc = run(tmp_path, option, "x.yaml", ".")
        assert proc.returncode == 2 and b"a FIFO, not a regular file" in proc.stderr, option


def test_a_file_swapped_for_a_fifo_after_the_check_is_not_waited_on(tmp_path, monkeypatch):
    from eice_checks import files

    os.mkfifo(tmp_path / "x.yaml")
    monkeypatch.setattr(files, "stat_regular", lambda path: None)  # as if it was a regular file when checked
    with pytest.raises(files.UnreadableFile, match="a FIFO, not a regular file"):
        files.FileReader([str(tmp_path)]).read_bytes(str(tmp_path / "x.yaml"))


def test_the_size_limit_bounds_the_read_and_is_configurable(tmp_path):
    from eice_checks import files

    # /proc files report size 0: the read itself stops after the limit
    with pytest.raises(files.UnreadableFile, match="larger than 1 KiB"):
        files.FileReader(max_bytes=1024).read_bytes("/proc/self/maps", confined=False)
    valid_template(tmp_path / "valid")
    with open(tmp_path / "huge.yaml", "wb") as handle:  # sparse: 25 MiB on disk in no time
        handle.write(b"AWSTemplateFormatVersion: '2010-09-09'\n")
        handle.truncate(25 * 1024 * 1024)
    (tmp_path / "big.json").write_text('{"AWSTemplateFormatVersion": "2010-09-09", "x": "' + "a" * 4000 + '"}')
    (tmp_path / "data.json").write_text('{"rows": "' + "a" * 4000 + '"}')  # no template: skipped quietly
    code, data = report(tmp_path, ".")
    assert code == 1 and notes(data) == {"huge.yaml": "skipped: larger than 20 MiB (see --max-file-size)"}
    code, data = report(tmp_path, ".", "--max-file-size", "3K")
    assert code == 1 and findings(data) == [("EICE003", "valid/app.yaml", 18)]
    assert notes(data) == {"huge.yaml": "skipped: larger than 3 KiB (see --max-file-size)",
                           "big.json": "skipped: larger than 3 KiB (see --max-file-size)"}
    (tmp_path / "pyproject.toml").write_text('[tool.eice-checks]\nmax-file-size = "100M"\n')
    code, data = report(tmp_path, ".")
    assert code == 1 and "larger than" not in notes(data).get("huge.yaml", "")


def test_text_in_other_encodings_is_reported_not_misread(tmp_path):
    valid_template(tmp_path / "valid")
    template = APP.read_text()
    (tmp_path / "bom16.yaml").write_bytes(template.encode("utf-16"))
    (tmp_path / "bare16.yaml").write_bytes(template.encode("utf-16-le"))
    (tmp_path / "workflow16.yaml").write_bytes("on: push\njobs: {}\n".encode("utf-16"))  # no template: quiet
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "main.tf").write_bytes('# caf\xe9\nresource "aws_vpc" "v" {}\n'.encode("latin-1"))
    code, data = report(tmp_path, ".")
    assert code == 1 and findings(data) == [("EICE003", "valid/app.yaml", 18)]
    assert [(e["file"], e.get("line"), e["message"]) for e in data["errors"]] == [
        ("bare16.yaml", None, "skipped: UTF-16 text is not read; save it as UTF-8"),
        ("bom16.yaml", None, "skipped: UTF-16 text is not read; save it as UTF-8"),
        ("net/main.tf", 1, "skipped: not UTF-8 text (byte 0xE9); save it as UTF-8"),
    ]


def test_settings_and_parameters_files_in_other_encodings_are_a_clear_error(tmp_path):
    valid_template(tmp_path / "valid")
    (tmp_path / "pyproject.toml").write_bytes('[tool.eice-checks]\nfail-on = "caf\xe9"\n'.encode("latin-1"))
    proc = run(tmp_path, ".")
    assert proc.returncode == 2
    assert proc.stderr.decode().endswith("pyproject.toml:2: cannot read settings: not UTF-8 text (byte 0xE9); save it as UTF-8\n")
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "params.json").write_bytes('[{"ParameterKey": "A", "ParameterValue": "b"}]'.encode("utf-16"))
    proc = run(tmp_path, "--parameters", "params.json", ".")
    assert proc.returncode == 2
    assert b"params.json: cannot read parameters: UTF-16 text is not read; save it as UTF-8" in proc.stderr
    (tmp_path / "settings.toml").write_bytes("[tool.eice-checks]\n".encode("utf-16"))
    proc = run(tmp_path, "--config", "settings.toml", ".")
    assert proc.returncode == 2 and b"cannot read settings: UTF-16 text is not read" in proc.stderr


def test_named_files_outside_the_tree_are_read(tmp_path):
    tree = tmp_path / "tree"
    valid_template(tree)
    (tmp_path / "params.json").write_text('{"Parameters": {"Unused": "x"}}')
    (tmp_path / "settings.toml").write_text('[tool.eice-checks]\nfail-on = "warning"\n')
    code, data = report(tree, "--parameters", "../params.json", "--config", "../settings.toml", ".")
    assert code == 1 and data["errors"] == []


def test_a_very_deep_tree_is_walked_and_what_cannot_be_read_is_reported(tmp_path):
    valid_template(tmp_path / "valid")
    # 600 levels of 11-character names: past PATH_MAX (4096) on the way down, so the bottom cannot
    # even be named; created relative to each parent's descriptor for that reason
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for level in range(600):
            name = f"level{level:06d}"
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
            if level == 100:  # still within reach: read
                shutil.copy(APP, f"/proc/self/fd/{fd}/deep.yaml")
    finally:
        os.close(fd)
    code, data = report(tmp_path, ".")
    assert code == 1
    assert sorted(f[0] for f in findings(data)) == ["EICE003", "EICE003"]
    assert [(len(e["file"]) > 4000, e["message"]) for e in data["errors"]] == [(True, "cannot list the directory: File name too long")]


def test_file_names_that_are_not_utf8_give_valid_output_in_every_format(tmp_path):
    root = os.fsencode(tmp_path)
    valid_template(tmp_path / "valid")
    with open(os.path.join(root, b"\xff\xfe.yaml"), "wb") as handle:
        handle.write(APP.read_bytes())
    with open(os.path.join(root, b"bad\x1b[31m\n::error::x.tf"), "wb") as handle:
        handle.write(b"resource {\n")
    outputs = {fmt: run(tmp_path, "--format", fmt, ".") for fmt in FORMATS}
    for fmt, proc in outputs.items():
        assert proc.returncode == 1, (fmt, proc.stderr)
        text = proc.stdout.decode("utf-8")  # strictly UTF-8
        assert "\x1b" not in text and "\udcff" not in text, fmt
    data = json.loads(outputs["json"].stdout)
    assert sorted(f["file"] for f in data["findings"]) == ["\\xff\\xfe.yaml", "valid/app.yaml"]
    assert [e["file"] for e in data["errors"]] == ["bad\\x1b[31m\\n::error::x.tf"]
    sarif = json.loads(outputs["sarif"].stdout)["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["results"]}
    assert uris == {"%FF%FE.yaml", "valid/app.yaml"}
    github = outputs["github"].stdout.decode().splitlines()
    assert len(github) == 3 and all(line.startswith("::error file=") for line in github)
    # in a property, a line break is percent-encoded (GitHub decodes it back into the real name)
    assert "::error file=bad\\x1b[31m%0A%3A%3Aerror%3A%3Ax.tf,line=1," in outputs["github"].stdout.decode()


def test_a_directory_that_cannot_be_listed_is_reported(tmp_path, monkeypatch, capsys):
    # the tests run as root, which chmod 000 does not stop: the listing is refused here instead
    valid_template(tmp_path / "valid")
    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if os.path.basename(os.fspath(path)) == "locked":
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.chdir(tmp_path)
    assert main(["--format", "json", "."]) == 1
    data = json.loads(capsys.readouterr().out)
    assert findings(data) == [("EICE003", "valid/app.yaml", 18)]
    assert notes(data) == {"locked": "cannot list the directory: Permission denied"}


def test_a_module_directory_linked_from_outside_the_tree_is_not_read(tmp_path):
    tree, outside = tmp_path / "tree", tmp_path / "outside"
    valid_template(tree / "valid")
    outside.mkdir()
    (outside / "main.tf").write_text('resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n')  # broken if read
    (tree / "live").mkdir()
    (tree / "live" / "main.tf").write_text('module "net" {\n  source = "./net"\n}\n')
    (tree / "live" / "net").symlink_to(outside, target_is_directory=True)
    code, data = report(tree, ".")
    assert code == 1 and findings(data) == [("EICE003", "valid/app.yaml", 18)]
    # the link, where the walk meets it; the module call it leaves unknown
    assert notes(data) == {"live/net": OUTSIDE, "live/main.tf": "module.net: its source is outside the scan root; not read"}


def test_a_chain_of_a_thousand_local_modules_neither_recurses_nor_takes_quadratic_time(tmp_path):
    valid_template(tmp_path / "valid")
    for level in range(1500):
        (tmp_path / f"m{level}").mkdir()
        call = f'module "next" {{\n  source = "../m{level + 1}"\n}}\n'
        (tmp_path / f"m{level}" / "main.tf").write_text(call if level < 1499 else 'resource "aws_vpc" "v" {}\n')
    code, data = report(tmp_path, ".")
    assert code == 1 and findings(data) == [("EICE003", "valid/app.yaml", 18)]
