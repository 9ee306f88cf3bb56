"""Data repositories: the ``Analysis`` record and reading/writing Pychron's layout."""

from ardvc.data.analysis import Analysis, StoredFile
from ardvc.data.repo import DataRepo
from ardvc.data.summary import RepoSummary, repo_summary

__all__ = ["Analysis", "DataRepo", "RepoSummary", "StoredFile", "repo_summary"]
