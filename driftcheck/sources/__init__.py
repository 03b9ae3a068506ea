"""Declared-pipeline sources: Terraform, CloudFormation and driftcheck's pipeline files.

registry.py is the one registry of what driftcheck reads and decides which source reads each path; each
source lives in its own module or package. This package imports nothing itself, so that a part of one
source (the Terraform evaluator's child process, started before anything else) costs only its own imports.
"""
