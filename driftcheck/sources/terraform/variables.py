"""Root module variables, from every place Terraform reads them, checked as ``terraform plan`` checks them.

Lowest precedence first: TF_VAR_ environment variables, terraform.tfvars(.json), *.auto.tfvars(.json)
in name order, then --var-file and --var in command-line order (each --var is its own generated file,
so a bad value is reported against that variable). A ``--var`` for a variable the root does not
declare is an error (Terraform refuses it); an undeclared name in a variable file is a note, as
Terraform warns about it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from driftcheck.model import InputError, Location
from driftcheck.sources.terraform.modules import Module, display
from driftcheck.sources.terraform.options import auto_var_files
from driftcheck.sources.terraform.syntax import TfExpression, load_tfvars, tfvars_key_lines
from driftcheck.sources.terraform.type_constraints import mismatch, parse_type


@dataclass(frozen=True)
class VarFile:
    """One variable file handed to tfparse: its path, how to show it, and the names it sets."""

    path: Path
    shown: str
    keys: frozenset[str]
    generated: bool = False
    lines: tuple[tuple[str, int], ...] = ()  # (name, line) for each name set, when known


@dataclass(frozen=True)
class RootVariables:
    """The variable files in precedence order, what they set, and what was wrong with them."""

    files: tuple[VarFile, ...]
    errors: tuple[InputError, ...]
    notes: tuple[InputError, ...]

    @property
    def provided(self) -> set[str]:
        return {key for var_file in self.files for key in var_file.keys}


def hcl_string(raw: str) -> str:
    """A string as an HCL literal (no interpolation)."""
    escaped = raw.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("${", "$${").replace("%{", "%%{")
    return f'"{escaped}"'


def collect_variables(
    root: Path,
    shown_root: str,
    root_module: Module,
    var_files: tuple[Path, ...],
    variables: tuple[tuple[str, str], ...],
    workdir: Path,
    foreign: frozenset[str] = frozenset(),
) -> RootVariables:
    """Every variable file for the root, in Terraform's precedence order; unreadable ones are errors."""
    found: list[VarFile] = []
    errors: list[InputError] = []
    notes: list[InputError] = []
    env_vars = {k[7:]: v for k, v in os.environ.items() if k.startswith("TF_VAR_") and len(k) > 7}
    for name, raw in env_vars.items():
        if root_module.variable(name) is not None:  # Terraform ignores TF_VAR_ for undeclared variables
            found.append(_generated(root_module, workdir, name, raw, f"TF_VAR_{name}", len(found)))
    candidates = [(path, display(path, root, shown_root)) for path in auto_var_files(root)]
    candidates += [(Path(path), str(path)) for path in var_files]
    for path, shown in candidates:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            errors.append(InputError(Location(shown), f"cannot read variable file: {reason}"))
            continue
        try:
            values = load_tfvars(path)
        except Exception:  # python-hcl2 is stricter than Terraform in places; tfparse has the last word
            values = {k: TfExpression("") for k in re.findall(r'^"?([A-Za-z_][\w-]*)"?\s*[=:]', text, re.MULTILINE)}
        keys = set(values)
        lines = dict(tfvars_key_lines(text, keys))
        bad = False
        for key in sorted(keys):
            variable = root_module.variable(key)
            if variable is None:
                notes.append(InputError(Location(shown, lines.get(key)), f'value for undeclared variable "{key}" (Terraform ignores it)'))
                continue
            problem = _type_problem(variable, values[key])
            if problem:
                errors.append(InputError(Location(shown, lines.get(key)), f'variable "{key}": {problem}'))
                bad = True
        if bad:
            continue  # Terraform refuses the file: its variables are unknown, never guessed
        declared = frozenset(k for k in keys if root_module.variable(k) is not None)
        found.append(VarFile(Path(os.path.abspath(path)), shown, declared, lines=tuple(lines.items())))
    for name, raw in variables:
        if root_module.variable(name) is None and name in foreign:
            continue  # a parameter of a template checked in the same run
        if root_module.variable(name) is None:
            known = sorted(b.labels[0] for b in root_module.blocks("variable") if b.labels)
            hint = f"; the root module {shown_root} declares: {', '.join(known)}" if known else f"; the root module {shown_root} declares no variables"
            errors.append(InputError(Location(f"--var {name}"), f'undeclared variable "{name}" (terraform plan refuses it){hint}'))
            continue
        generated = _generated(root_module, workdir, name, raw, f"--var {name}", len(found))
        try:
            value = load_tfvars(generated.path).get(name)
        except Exception:
            value = TfExpression("")  # tfparse reports a --var it cannot read
        problem = _type_problem(root_module.variable(name), value)
        if problem:
            errors.append(InputError(Location(f"--var {name}"), f'variable "{name}": {problem}'))
            continue
        found.append(generated)
    return RootVariables(tuple(found), tuple(errors), tuple(notes))


def _type_problem(variable, value) -> str | None:
    """Why a value does not fit the variable's declared type, or None."""
    if variable is None or "type" not in variable.attributes:
        return None
    spec = parse_type(variable.attributes["type"].text)
    problem = mismatch(value, spec) if spec is not None else None
    return f"{problem} (the variable is declared as {variable.attributes['type'].text.strip()} at {variable.location})" if problem else None


def _generated(root_module: Module, workdir: Path, name: str, raw: str, shown: str, index: int) -> VarFile:
    """Write one NAME=VALUE as a .tfvars file: a string for string-typed (or untyped) variables, HCL otherwise."""
    variable = root_module.variable(name)
    var_type = variable.attributes["type"].text.strip() if variable and "type" in variable.attributes else "string"
    if var_type in ("string", "number", "bool"):  # as terraform plan: a primitive (or untyped) variable takes the text, others HCL
        line = f"{name} = {hcl_string(raw)}"
    else:
        line = f"{name} = {raw}"
    path = workdir / f"driftcheck-var-{index}.tfvars"
    path.write_text(line + "\n", encoding="utf-8")
    return VarFile(path, shown, frozenset({name}), generated=True)


def bad_var_file(message: str, tf_root: Path, var_files: list[VarFile]) -> tuple[VarFile, InputError] | None:
    """The variable file tfparse refused, with an error at its file and line; None for any other error."""
    match = re.search(r"failed to load tfvars from (?P<file>.+?): (?:(?P=file):(?P<line>\d+)[,\d-]*: )?(?P<message>.*)", message)
    if not match:
        return None
    refused = os.path.normpath(os.path.join(str(tf_root), match["file"]))
    var_file = next((v for v in var_files if os.path.normpath(str(v.path)) == refused), None)
    if var_file is None:
        return None
    detail = match["message"].strip()
    if var_file.generated:
        return var_file, InputError(Location(var_file.shown), f"invalid value: {detail}")
    line = int(match["line"]) if match["line"] else None
    return var_file, InputError(Location(var_file.shown, line), f"variable file error: {detail}")
