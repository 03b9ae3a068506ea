"""``templatefile()``, which tfparse does not evaluate (it returns null), given to it as an inline template.

``templatefile("${path.module}/desc.tpl", { env = "prod" })`` in a pipeline attribute becomes, in the
working copy, a probe local holding the file's text as a heredoc template with each variable bound by a
one-element ``for`` expression (``[for env in [("prod")] : <<EOT ... EOT][0]``), which is exactly what
templatefile renders; the attribute reads that local. Only a literal path (optionally under
``path.module``), a literal object of variables and values that do not use ``each``/``count``/``self``
qualify; anything else stays as it is (and unresolved, as before).
"""

from __future__ import annotations

import re
from pathlib import Path

from driftcheck.errors import SourceError
from driftcheck.sources import files
from driftcheck.sources.terraform.evaluate import PROBE_PREFIX, Probe
from driftcheck.sources.terraform.modules import Scope
from driftcheck.sources.terraform.plan import is_pipeline
from driftcheck.sources.terraform.index_model import Block
from driftcheck.sources.terraform.syntax import index_file

MAX_TEMPLATE_BYTES = 1024 * 1024
_CALL = re.compile(r"\btemplatefile\s*\(")
_PATH = re.compile(r'^"(?:\$\{path\.module\}/)?(?P<path>[^"$%{}\\]+)"$')
_MARKER = "DRIFTCHECK_TEMPLATE_END"


def _call_span(text: str, start: int) -> tuple[int, int, list[str]] | None:
    """(start, end, top-level arguments) of the templatefile( call whose name starts at ``start``."""
    open_at = text.index("(", start)
    depth, quote, args, current = 0, False, [], ""
    for i in range(open_at, len(text)):
        char = text[i]
        if quote:
            current += char
            if char == '"' and text[i - 1] != "\\":
                quote = False
            continue
        if char == '"':
            quote = True
        elif char in "([{":
            depth += 1
            if depth == 1:
                continue
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                args.append(current.strip())
                return start, i + 1, args
        elif char == "," and depth == 1:
            args.append(current.strip())
            current = ""
            continue
        current += char
    return None


_SEQUENCE = re.compile(r"(?<![$%])[$%]\{[^}]*\}")


def _template_literal(template: str) -> str | None:
    """The file's text as an HCL template literal: a quoted string when no ``${}``/``%{}`` sequence spans lines
    (exact, trailing newline or not), else a heredoc when the file ends with a newline; None otherwise."""
    if not any("\n" in m.group(0) for m in _SEQUENCE.finditer(template)):
        pieces, cursor = [], 0
        for match in _SEQUENCE.finditer(template):
            pieces.append(_escape(template[cursor:match.start()]) + match.group(0))
            cursor = match.end()
        return '"' + "".join(pieces) + _escape(template[cursor:]) + '"'
    if template.endswith("\n"):
        return f"<<{_MARKER}\n{template}{_MARKER}\n"
    return None


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _bound_template(template: str, variables: dict[str, str]) -> str | None:
    """The template as a template literal, each variable bound by a one-element for expression."""
    text = _template_literal(template)
    if text is None:
        return None
    for name, value in reversed(list(variables.items())):
        text = f"[for {name} in [({value})] : {text}][0]"
    return text


def inline_templates(scopes: list[Scope], names: dict[tuple[Path, str, int, str], str]) -> tuple[list[Probe], list[tuple[Block, str, str]]]:
    """Probes holding each qualifying templatefile() of a pipeline attribute, and the attribute edits that read them."""
    found_probes: list[Probe] = []
    edits: list[tuple[Block, str, str]] = []
    seen: set[int] = set()
    for scope in scopes:
        directory = scope.module.directory.resolve()
        for block in scope.module.blocks("resource"):
            if not is_pipeline(block) or id(block) in seen:
                continue
            seen.add(id(block))
            for attribute, expr in block.attributes.items():
                text = expr.text
                if not _CALL.search(text) or expr.span[1] <= expr.span[0]:
                    continue
                new_text = _rewrite(text, directory, block, attribute, names, found_probes)
                if new_text != text:
                    edits.append((block, attribute, f"{attribute} = {new_text}"))
    return found_probes, edits


def _rewrite(text: str, directory: Path, block: Block, attribute: str, names: dict, probes: list[Probe]) -> str:
    out, cursor = "", 0
    for match in _CALL.finditer(text):
        if match.start() < cursor:
            continue
        call = _call_span(text, match.start())
        if call is None or len(call[2]) != 2:
            continue
        start, end, (path_arg, vars_arg) = call
        path = _PATH.match(path_arg)
        variables = _literal_object(vars_arg)
        if path is None or variables is None:
            continue
        try:
            template = files.read_text(directory / path["path"], path["path"], limit=MAX_TEMPLATE_BYTES, what="template file")
        except SourceError:
            continue  # Terraform would fail too; the value stays unresolved
        if _MARKER in template:
            continue
        bound = _bound_template(template, variables)
        if bound is None or not _parses(bound):
            continue  # a probe the evaluator could not parse would cost every other probe
        key = (directory, block.location.file, block.location.line, f"template:{attribute}:{start}")
        if key not in names:
            names[key] = f"{PROBE_PREFIX}{len(names)}"
            probes.append(Probe(names[key], directory, bound))
        out += text[cursor:start] + f"local.{names[key]}"
        cursor = end
    return out + text[cursor:]


def _parses(expression: str) -> bool:
    try:
        index_file(Path("template.tf"), "template.tf", f"locals {{\n  driftcheck_template = (\n{expression}\n  )\n}}\n")
    except SourceError:
        return False
    return True


def _literal_object(text: str) -> dict[str, str] | None:
    """The members of an object literal, as expression texts; None when it is not one or uses each/count/self."""
    if not text.startswith("{") or re.search(r"\b(each|count|self)\.", text):
        return None
    try:
        index = index_file(Path("template-vars.tf"), "template-vars.tf", f"locals {{\n  driftcheck_vars = {text}\n}}\n")
    except SourceError:
        return None
    expr = index.blocks[0].attributes.get("driftcheck_vars") if index.blocks else None
    if expr is None or (not expr.members and text.strip("{} \n\t")):
        return None
    if not all(re.fullmatch(r"[A-Za-z_][\w-]*", name) for name in expr.members):
        return None
    return {name: member.text for name, member in expr.members.items()}
