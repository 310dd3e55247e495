"""Local module calls that Terraform would reject or that lead out of the scan root: a cycle is
reported naming it, and the calls in it are not followed; a source outside the root is unknown, as
a module that was not downloaded, and never read. The rest of the scan goes on."""
from __future__ import annotations

import json
import os

from bounded import VALID_TF, beside_valid, expected, notes, scan_bounded, valid_findings

CALL = 'module "{name}" {{\n  source = "{source}"\n}}\n'


def test_a_module_that_calls_itself(tmp_path):
    # the module is still built (a self-call does not make it a called module); the call is not followed
    root = beside_valid(tmp_path, {"selfish/main.tf": CALL.format(name="again", source="./") + VALID_TF.read_text()})
    report = scan_bounded(root)
    assert valid_findings(report) == expected()
    assert {(f["rule"], f["line"]) for f in report["findings"] if f["file"] == "selfish/main.tf"} == {
        (rule, line + 3) for rule, _, line in expected()}
    assert notes(report) == [
        "selfish/main.tf:1: module.again: module cycle: selfish -> selfish; the calls are not followed"]


def test_two_modules_that_call_each_other_from_a_root(tmp_path):
    files = {
        "live/main.tf": CALL.format(name="a", source="../modules/a"),
        "modules/a/main.tf": CALL.format(name="b", source="../b"),
        "modules/b/main.tf": "\n\n" + CALL.format(name="a", source="../a"),
    }
    report = scan_bounded(beside_valid(tmp_path, files))
    assert valid_findings(report) == expected()
    assert notes(report) == [
        "modules/b/main.tf:3: module.a: module cycle: modules/a -> modules/b -> modules/a; the calls are not followed"]


def test_two_modules_that_call_each_other_and_nothing_else(tmp_path):
    files = {"a/main.tf": CALL.format(name="b", source="../b"), "b/main.tf": CALL.format(name="a", source="../a")}
    report = scan_bounded(beside_valid(tmp_path, files))
    assert valid_findings(report) == expected()
    assert any("module cycle: a -> b -> a" in note for note in notes(report))


def test_sources_outside_the_scan_root_are_not_read(tmp_path):
    # a module there would report (it is the valid one): nothing of it may appear
    outside = tmp_path / "outside"
    (outside / "module").mkdir(parents=True)
    (outside / "module" / "main.tf").write_text(VALID_TF.read_text())
    root = tmp_path / "repo"
    calls = (CALL.format(name="up", source="../../../../../../../../" + str(outside / "module").lstrip("/"))
             + CALL.format(name="absolute", source=str(outside / "module"))
             + CALL.format(name="linked", source="./linked")
             + CALL.format(name="downloaded", source="registry.example/x/y"))
    beside_valid(root, {"live/main.tf": calls})
    os.symlink(outside / "module", root / "live" / "linked")
    manifest = root / "live" / ".terraform" / "modules" / "modules.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"Modules": [{"Key": "downloaded", "Dir": str(outside / "module")}]}))
    report = scan_bounded(root)
    assert {f["file"] for f in report["findings"]} == {"valid/main.tf"}
    assert valid_findings(report) == expected()
    assert notes(report) == [
        "live/linked: skipped: a symbolic link to outside the scanned tree",  # where the walk meets it
        "live/main.tf:1: module.up: its source is outside the scan root; not read",
        "live/main.tf:4: module.absolute: its source is an absolute path and was not downloaded; not read",
        "live/main.tf:7: module.linked: its source is outside the scan root; not read",
    ]  # the manifest's entry outside is left out: like a module that was not downloaded
