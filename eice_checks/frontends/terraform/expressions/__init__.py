"""Terraform (HCL2 native syntax) expressions: the source text of one attribute's right-hand side.

The Terraform front end parses it into a small syntax tree and evaluates that against a ``Scope``
that resolves root names (``var``, ``local``, resource types...). One job per module:

- ``syntax``: the tree's nodes and ``HclExpressionError``
- ``lexer``, ``parser``: text -> tokens -> tree (``parse_expression``)
- ``scope``: what evaluation reads from (``Scope``, ``Traversable``)
- ``evaluate``: tree + scope -> value (``evaluate``, ``evaluate_source``); never raises
- ``conversions``: Terraform's conversions and comparisons, and how a step fails
- ``functions``: the built-in function library
- ``references``: the traversal paths an expression reads, without evaluating it
"""
