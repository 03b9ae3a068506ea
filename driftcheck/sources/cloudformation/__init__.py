"""CloudFormation templates as declared pipelines.

One job per module:

* :mod:`.source`: the source: command-line inputs, ``--stack`` bindings, one declared pipeline per
  ``AWS::ImageBuilder::ImagePipeline`` resource (:class:`CloudFormationSource`);
* :mod:`.parameter_files`: CloudFormation parameter files (``--var-file``);
* :mod:`.api_shape`: a pipeline's resolved ``Properties`` -> the API's field names and types, with lines;
* the evaluator, :class:`Template` in :mod:`.intrinsics`, split by concern: :mod:`.values` (shared
  vocabulary: :data:`NO_VALUE`, :class:`TemplateError`, :class:`TemplateInputs`), :mod:`.sections`
  (Transform, Mappings, Resources), :mod:`.parameters` (values and constraints), :mod:`.conditions`,
  :mod:`.references` (Ref, Fn::GetAtt, pseudo-parameters), :mod:`.functions` (every other intrinsic).

Templates are loaded by :mod:`driftcheck.sources.yaml_tree`, which pipeline files share.
"""

from driftcheck.sources.cloudformation.api_shape import RESOURCE_TYPE, coerce_scalar
from driftcheck.sources.cloudformation.intrinsics import Template
from driftcheck.sources.cloudformation.parameter_files import ParameterFile, StackTags, load_parameter_file
from driftcheck.sources.cloudformation.source import (
    KIND,
    STACK_TAGS_UNKNOWN,
    CloudFormationOptions,
    CloudFormationSource,
    StackBinding,
    is_template,
)
from driftcheck.sources.cloudformation.values import NO_VALUE, TemplateError, TemplateInputs

__all__ = [
    "KIND", "NO_VALUE", "RESOURCE_TYPE", "STACK_TAGS_UNKNOWN", "CloudFormationOptions", "CloudFormationSource",
    "ParameterFile", "StackBinding", "StackTags", "Template", "TemplateError", "TemplateInputs", "coerce_scalar",
    "is_template", "load_parameter_file",
]
