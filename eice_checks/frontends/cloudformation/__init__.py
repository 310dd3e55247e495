"""CloudFormation front end: find templates, load them safely, resolve, and add them to the model."""
from __future__ import annotations

import re
from typing import Any, Callable

from ...limits import Budget, Where
from ...model.builder import ModelBuilder
from ..common import InputError
from .build import TemplateBuilder
from .loader import LineDict, TemplateError, check_resources, load_json, load_yaml
from .resolve import Exports, Resolver, Template

# Cheap look at the text before parsing: YAML/JSON that never mentions a CloudFormation marker is not
# a template (workflow files, k8s manifests, Helm charts, which are often not even valid YAML).
_LOOKS_LIKE_TEMPLATE = re.compile(r"AWSTemplateFormatVersion|[\"']?Type[\"']?\s*:\s*[\"']?(?:AWS|Custom)::")


def looks_like_template(text: str) -> bool:
    return _LOOKS_LIKE_TEMPLATE.search(text) is not None


def load_template(path: str, text: str) -> Template | None:
    """A Template, or None for a file that is not CloudFormation. Raises TemplateError for broken templates."""
    if not looks_like_template(text):
        return None
    body = load_json(text) if text.lstrip().startswith("{") else load_yaml(text)
    return template_from_body(path, body)


def template_from_body(path: str, body: Any) -> Template | None:
    """A Template from a loaded body (ours, or one a host such as cfn-lint decoded and converted to
    LineDict/LineList); None when it is not CloudFormation."""
    if not isinstance(body, LineDict) or not isinstance(body.get("Resources"), LineDict):
        return None
    check_resources(body["Resources"])
    return Template(path, body, body["Resources"])


def add_templates(templates: list[Template], builder: ModelBuilder, errors: list[InputError]) -> None:
    from ...suppressions import from_metadata

    for template in templates:
        builder.model.suppressions.extend(from_metadata(template.path, template.body))
    exports = Exports()
    resolvers = [Resolver(t, exports, budget=Budget.for_template(errors)) for t in templates]
    for resolver in resolvers:
        _collect_exports(resolver, exports)
    for resolver in resolvers:
        try:
            TemplateBuilder(resolver.template, resolver, builder).build()
        except Exception as exc:  # a bug must cost one template, never the scan or a traceback
            errors.append(InputError(resolver.template.path, f"internal error while reading the template: {type(exc).__name__}: {exc}"))
    exports.clear()


def _collect_exports(resolver: Resolver, exports: Exports) -> None:
    outputs = resolver.template.body.get("Outputs")
    if not isinstance(outputs, dict):
        return
    in_progress: set[str] = set()
    naming = Resolver(resolver.template, exports, stack_name_placeholder=True, budget=resolver.budget)
    for key, output in outputs.items():
        if not (isinstance(output, dict) and isinstance(output.get("Export"), dict)):
            continue
        where = (resolver.template.path, outputs.line_of(key), f"Outputs.{key}")
        with resolver.resolving(where[2]), naming.resolving(where[2]):
            if "Condition" in output and resolver.condition(output["Condition"]) is not True:
                continue  # an output that may not exist exports nothing we can rely on
            name = naming.resolve(output["Export"].get("Name"))
        if isinstance(name, str) and "Value" in output:
            exports.add(name, _export_value(resolver, name, output["Value"], in_progress, where))


def _export_value(resolver: Resolver, name: str, value: Any, in_progress: set[str], where: Where) -> Callable[[], Any]:
    def resolve() -> Any:
        if name in in_progress:  # two stacks importing each other's exports
            return resolver.cycle(f"export {name}", where)
        in_progress.add(name)
        try:
            with resolver.resolving(where[2]):
                return resolver.resolve(value)  # once: the value's node is memoised
        finally:
            in_progress.discard(name)
    return resolve


__all__ = ["Template", "TemplateError", "add_templates", "load_template", "looks_like_template", "template_from_body"]
