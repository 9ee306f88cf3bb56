"""What-if reductions in isolated repositories: ``ardvc exp run/show/apply/remove``.

An experiment refits and reduces a selection with other settings in its own repository
under ``.ardvc/tmp/exps/<name>/`` (objects borrowed from the lab, never the other way),
compares its ages with the current ones, and commits its results in the lab only when
applied."""

from ardvc.exps.apply import ApplyOptions, apply_experiment
from ardvc.exps.compare import Comparison, compare
from ardvc.exps.run import ExperimentRequest, experiment_settings, run_experiment
from ardvc.exps.store import Applied, Experiment, ExperimentStore

__all__ = [
    "Applied",
    "ApplyOptions",
    "Comparison",
    "Experiment",
    "ExperimentRequest",
    "ExperimentStore",
    "apply_experiment",
    "compare",
    "experiment_settings",
    "run_experiment",
]
