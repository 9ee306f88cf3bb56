"""A data repository: one git repo of per-analysis JSON files in Pychron's layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2

from ardvc.data.locate import MainFile, main_files, root_json_files
from ardvc.errors import AnalysisNotFoundError, RepositoryNotFoundError
from ardvc.formats import paths
from ardvc.formats.names import check_safe_name, prep_repo_name
from ardvc.gitstore import Author, GitRepo, commit_files

README = "README.md"


class DataRepo:
    """Read (at any commit) and write one data repository."""

    def __init__(self, git: GitRepo) -> None:
        self.git = git

    @classmethod
    def open(cls, path: Path) -> DataRepo:
        if not path.is_dir():
            raise RepositoryNotFoundError(f"no data repository at {path}")
        return cls(GitRepo(path))

    @classmethod
    def create(cls, parent: Path, name: str, author: Author) -> DataRepo:
        """A new repository named by Pychron's rules, with its ``# <Name>`` README."""
        repo_name = prep_repo_name(name)
        path = parent / repo_name
        if path.exists():
            raise RepositoryNotFoundError(
                f"cannot create repository {repo_name}: {path} already exists"
            )
        git = GitRepo.init(path)
        commit_files(git, {README: f"# {repo_name}".encode()}, "Initial commit", author)
        return cls(git)

    @property
    def name(self) -> str:
        return self.git.name

    # --- finding files ------------------------------------------------------------------

    def tree(self, rev: str | None = None) -> pygit2.Tree:
        return self.git.tree(rev)

    def locate(self, name: str, modifier: str | None = None, rev: str | None = None) -> str | None:
        """Path of (name, modifier) at ``rev`` by Pychron's fallback chain, or ``None``."""
        tree = self.tree(rev)

        def exists(path: str) -> bool:
            try:
                tree / path
            except KeyError:
                return False
            return True

        return paths.resolve(name, exists, modifier)

    def main_file(self, name: str, rev: str | None = None) -> str:
        path = self.locate(name, None, rev)
        if path is None:
            raise AnalysisNotFoundError(
                f"no analysis {name!r} in {self.name} at {rev or 'HEAD'}",
                hint="check the run ID or uuid, the repository and the revision",
            )
        return path

    def main_files(self, rev: str | None = None) -> Iterator[MainFile]:
        """Every analysis main file at ``rev``."""
        return main_files(self.git.raw, self.tree(rev))

    def count_analyses(self, rev: str | None = None) -> int:
        return sum(1 for _ in self.main_files(rev))

    def root_files(self, rev: str | None = None) -> list[str]:
        return root_json_files(self.tree(rev))

    def spectrometer_path(self, spec_sha: str) -> str:
        return f"{check_safe_name(spec_sha, what='spectrometer sha')}.json"
