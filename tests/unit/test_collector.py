"""The scan's collector settings: the caller's are given back, its frozen objects stay frozen, and
what the scan leaves is not walked by the caller's next young-generation collection."""
import gc

from eice_checks.collector import promote_survivors, rare_collections
from eice_checks.config import Config
from eice_checks.engine import run

from helpers import FIXTURES

FOLDER = str(FIXTURES / "rules" / "EICE002" / "terraform")


def test_the_callers_threshold_is_given_back():
    previous = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        assert run([FOLDER], Config()).findings
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*previous)


def test_what_the_scan_leaves_is_promoted_not_left_young():
    """Otherwise the caller's next young-generation collection walks all of it (the report, the model)."""
    previous = gc.get_threshold()
    gc.set_threshold(10**9, 10, 10)  # a caller that collects late: the young count can be read after the scan
    gc.collect()
    try:
        report = run([FOLDER], Config())
        young = gc.get_count()[0]
        assert report.findings
        assert young < 50, young  # without the promotion: hundreds here (the model of the fixture)
    finally:
        gc.set_threshold(*previous)


def test_a_callers_frozen_objects_stay_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with rare_collections():
            promote_survivors()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_nothing_is_promoted_while_the_caller_has_the_collector_off():
    gc.disable()
    try:
        young = [[] for _ in range(50)]  # tracked containers: the young count grows
        before = gc.get_count()[0]
        promote_survivors()
        assert gc.get_count()[0] == before
        del young
    finally:
        gc.enable()


def test_a_cloudformation_scan_leaves_no_reference_cycles_behind():
    """Each template's resolver and builder are freed by reference counting once it is built: a
    cycle through the shared exports held every template's values until a full collection (the
    peak memory of a large scan)."""
    report, left = _scan_and_collect("cloudformation", "cfn_joined_list_exports")
    assert report.findings
    assert not left & {"Resolver", "Exports", "TemplateBuilder", "Budget"}, left


def test_a_terraform_scan_leaves_no_module_tree_behind():
    """A module tree is cyclic while it is evaluated (instances, their values and their children
    name each other); once built it is released, and reference counting frees it: a young
    collection walking the trees was up to a tenth of a scan."""
    report, left = _scan_and_collect("terraform_modules", "remote_module_findings", "tf_asg_mixed_instances_policy")
    assert report.findings
    assert not left & {"ModuleInstance", "ResourceInstance", "ModuleLoader", "Budget", "_Env"}, left


def _scan_and_collect(*names: str):
    """The report of a scan of ``tests/fixtures/resolve/<name>`` folders, and the type names of what
    it left in reference cycles (found by a full collection after it, with the collector off during it)."""
    folders = [str(FIXTURES / "resolve" / name) for name in names]
    gc.collect()
    gc.disable()
    try:
        report = run(folders, Config())
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = {type(o).__name__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    return report, left
