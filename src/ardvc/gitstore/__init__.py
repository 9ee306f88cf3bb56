"""Git storage on pygit2: reads by path or blob id, index-free atomic commits, history."""

from ardvc.gitstore.commit import Author, CommitResult, CommitStep, commit_files, commit_series
from ardvc.gitstore.history import PathChange, path_history
from ardvc.gitstore.repo import (
    DEFAULT_BRANCH,
    DEFAULT_MAX_DELETIONS,
    CommitPolicy,
    GitRepo,
    TreeFile,
)
from ardvc.gitstore.worktree import WorktreeSync

__all__ = [
    "DEFAULT_BRANCH",
    "DEFAULT_MAX_DELETIONS",
    "Author",
    "CommitPolicy",
    "CommitResult",
    "CommitStep",
    "GitRepo",
    "PathChange",
    "TreeFile",
    "WorktreeSync",
    "commit_files",
    "commit_series",
    "path_history",
]
