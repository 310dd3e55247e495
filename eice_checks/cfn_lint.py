"""cfn-lint rules for EC2 Instance Connect Endpoints, one per catalog rule:

    cfn-lint --append-rules=eice_checks.cfn_lint -- template.yaml

or ``append_rules: [eice_checks.cfn_lint]`` in ``.cfnlintrc``. cfn-lint's module mode instantiates
each rule class that is an attribute of this module: the classes are generated from the catalog
(id, descriptions, page), so a new catalog rule needs nothing here. Importing this module costs
cfn-lint's rule base class (loaded anyway inside cfn-lint) and the catalog; the engine is imported
when the first template is analysed (``adapters/cfn_lint.py``).
"""
from __future__ import annotations

from typing import Any

from cfnlint.rules import CloudFormationLintRule, RuleMatch

from .adapters.cfn_lint import PlannedMatch, planned_matches
from .analysis.findings import RuleInfo
from .rules import CATALOG

TAGS = ["eice-checks", "ec2-instance-connect-endpoint", "security-groups"]
# Problems with the analysis itself (an internal error, broken settings) concern all our rules:
# one rule reports them, so that they show once.
_REPORTER = CATALOG[0].id


def _rule_match(planned: PlannedMatch) -> RuleMatch:
    extra: dict[str, Any] = {}
    if planned.kind != "finding":  # under cfn-lint's own ids for these (E0002, E0003), as cfn-lint reports them
        from cfnlint.rules.errors import ConfigError, RuleError

        extra["rule"] = ConfigError() if planned.kind == "config" else RuleError()
    if planned.location is not None:
        extra["location"] = planned.location
    return RuleMatch(list(planned.path), planned.message, **extra)


def _rule_class(rule: RuleInfo) -> type:
    def match(self: CloudFormationLintRule, cfn: Any) -> list[RuleMatch]:
        return [_rule_match(p) for p in planned_matches(cfn)
                if p.rule == rule.id or (p.kind != "finding" and rule.id == _REPORTER)]

    name = "".join(part.capitalize() for part in rule.name.split("-"))
    return type(name, (CloudFormationLintRule,), {
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": f"{rule.id} {rule.name}: {rule.title}.",
        "id": rule.cfn_lint_id,
        "shortdesc": f"{rule.name} ({rule.id})",
        "description": rule.title,
        "source_url": rule.page,
        "tags": [*TAGS, rule.id],
        "eice_id": rule.id,
        "match": match,
    })


RULE_CLASSES: tuple[type, ...] = tuple(_rule_class(rule) for rule in CATALOG)
globals().update({cls.__name__: cls for cls in RULE_CLASSES})
__all__ = [cls.__name__ for cls in RULE_CLASSES]
