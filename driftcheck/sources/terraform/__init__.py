"""Terraform source: `aws_imagebuilder_image_pipeline` resources, evaluated as Terraform evaluates them.

Evaluation (variables, tfvars, locals, templates, heredocs, functions, conditionals, count, for_each,
dynamic blocks, local modules, terraform.workspace) is done by tfparse, which wraps the Go HCL
evaluator that Trivy uses. Its known traps are handled here:

* an unknown value may come back as a ``{"__attribute__": ...}`` marker, as null, as the raw template
  text, or make a dynamic block vanish; so knownness is decided from the *references* each expression
  makes (python-hcl2 syntax index, see syntax.py), never from the evaluated value;
* a reference to another resource comes back as that block's internal UUID; with ``--state`` it is
  substituted by the attribute's real value, otherwise it is unresolved;
* a syntax error makes tfparse return ``{}``; the error is reported with file and line, and the other
  files are still evaluated;
* ``vars_paths`` are relative to the module directory, and terraform.tfvars / *.auto.tfvars are not
  loaded by tfparse, so they are passed explicitly in Terraform's precedence order.

A declared pipeline block never silently disappears: when its count or for_each cannot be evaluated
it is reported as an error naming what is unknown.

The source itself is :class:`driftcheck.sources.terraform.source.TerraformSource`; this package imports only its
options, so that starting the evaluator early (prefetch.py) does not import the whole source.
"""

from driftcheck.sources.terraform.options import RESOURCE_TYPE, TerraformOptions

__all__ = ["RESOURCE_TYPE", "TerraformOptions"]
