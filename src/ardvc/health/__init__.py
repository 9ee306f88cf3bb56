"""Lab health: ``ardvc fsck`` (cross-checks of index, git history and outbox, with
repairs that are verified) and ``ardvc doctor`` (versions, configuration, index, remotes)."""

from ardvc.health.doctor import LAB_CHECKS, doctor
from ardvc.health.findings import Check, CheckResult, DoctorCheck, Finding, LabView
from ardvc.health.fsck import CHECKS, FsckReport, fsck

__all__ = [
    "CHECKS",
    "LAB_CHECKS",
    "Check",
    "CheckResult",
    "DoctorCheck",
    "Finding",
    "FsckReport",
    "LabView",
    "doctor",
    "fsck",
]
