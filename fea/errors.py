"""The one error type the tool raises for bad input or an unsolvable model.

Messages name the file, key or entity and say what to do; the CLI prints them without a traceback.
"""


class FeaError(Exception):
    """Bad input, an ill-posed model or a failed solve, explained for the user."""


class MeshError(FeaError):
    """A mesh that cannot be used (inverted elements, unknown cell types, missing sets)."""


class ConfigError(FeaError):
    """A model, load-case or study file that does not validate."""


class SingularModelError(FeaError):
    """A body or reference point that can still move freely (a rigid-body mode)."""
