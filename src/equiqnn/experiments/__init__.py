"""Studies as data: validated YAML specs with overrides, cells, runs, tables, figures, reports."""

from equiqnn.experiments.run import run_study
from equiqnn.experiments.spec import ConfigError, StudySpec, apply_overrides, load_spec
from equiqnn.experiments.store import ResultStore

__all__ = ["ResultStore", "ConfigError", "StudySpec", "apply_overrides", "load_spec", "run_study"]
