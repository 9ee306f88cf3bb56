"""A data repository: one git repo of per-analysis JSON files in Pychron's layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2

from ardvc.data.analysis import Analysis, locate_files
from ardvc.data.locate import MainFile, main_files, root_json_files
from ardvc.errors import AnalysisNotFoundError, RepositoryNotFoundError, UsageError
from ardvc.formats import paths
from ardvc.formats.irradiation import decode_frozen_flux, frozen_flux_path
from ardvc.formats.kinds import decode_file
from ardvc.formats.names import check_safe_name, prep_repo_name
from ardvc.formats.paths import split_main_path
from ardvc.formats.production import Production, decode_production, frozen_production_path
from ardvc.formats.runid import is_uuid, parse_runid
from ardvc.gitstore import Author, CommitPolicy, GitRepo, commit_files
from ardvc.gitstore.objects import blob_at, lookup

README = "README.md"


def spectrometer_path(spec_sha: str) -> str:
    """Where a data repository keeps the spectrometer file named ``spec_sha``."""
    return f"{check_safe_name(spec_sha, what='spectrometer sha')}.json"


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
    def create(
        cls, parent: Path, name: str, author: Author, policy: CommitPolicy | None = None
    ) -> DataRepo:
        """A new repository named by Pychron's rules, with its ``# <Name>`` README."""
        repo_name = prep_repo_name(name)
        path = parent / repo_name
        if path.exists():
            raise RepositoryNotFoundError(
                f"cannot create repository {repo_name}: {path} already exists"
            )
        git = GitRepo.init(path, policy=policy)
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

    def main_files(self, rev: str | None = None) -> Iterator[MainFile]:
        """Every analysis main file at ``rev``."""
        return main_files(self.git.raw, self.tree(rev))

    def analysis(self, name: str, rev: str | None = None) -> Analysis:
        """An analysis by uuid or run ID at ``rev`` (default: the current branch head).

        Lookup follows Pychron's path rules; a uuid of a repository named by run IDs is
        found by scanning the main files for it.
        """
        commit = self.git.resolve(rev)
        path = self.locate(name, None, str(commit.id))
        if path is None:
            path = self._scan_for(name, commit.tree)
        if path is None:
            raise AnalysisNotFoundError(
                f"no analysis {name!r} in {self.name} at {rev or 'HEAD'} ({str(commit.id)[:12]})",
                hint="check the run ID or uuid, the repository and the revision",
            )
        split = split_main_path(path)
        assert split is not None
        shard, tail = split
        files = locate_files(self.git.raw, commit.tree, shard, tail)
        return Analysis(self.name, str(commit.id), shard + tail, files, self.git.raw)

    def _scan_for(self, name: str, tree: pygit2.Tree) -> str | None:
        """Find a uuid in a run-ID-named repository, or a run ID in a uuid-named one,
        by reading the main files (the SQL index answers this faster)."""
        raw = self.git.raw
        if is_uuid(name):
            needle = name.lower().encode()
            for main in main_files(raw, tree):
                if needle in blob_at(raw, main.blob_id).data:
                    return main.path
            return None
        try:
            wanted = parse_runid(name)
        except UsageError:
            return None
        for main in main_files(raw, tree):
            data = blob_at(raw, main.blob_id).data
            if wanted.identifier.encode() not in data:
                continue
            record = decode_file(None, data, path=main.path, repo=self.name)
            if record.record_id == name:
                return main.path
        return None

    def analyses(self, rev: str | None = None) -> Iterator[Analysis]:
        """Every analysis at ``rev``, undecoded until a value is asked for."""
        commit = self.git.resolve(rev)
        tree = commit.tree
        for main in main_files(self.git.raw, tree):
            files = locate_files(self.git.raw, tree, main.shard, main.tail)
            yield Analysis(self.name, str(commit.id), main.name, files, self.git.raw)

    def count_analyses(self, rev: str | None = None) -> int:
        return sum(1 for _ in self.main_files(rev))

    def root_files(self, rev: str | None = None) -> list[str]:
        return root_json_files(self.tree(rev))

    def frozen_flux(
        self, irradiation: str, rev: str | None = None
    ) -> dict[str, tuple[float, float]] | None:
        """identifier → (J, σJ) frozen into this repository for ``irradiation``, or ``None``.

        A frozen file overrides the MetaRepo's J (format §5.13, §10 step 5)."""
        path = frozen_flux_path(check_safe_name(irradiation, what="irradiation"))
        commit = self.git.resolve(rev)
        blob = lookup(commit.tree, path)
        if not isinstance(blob, pygit2.Blob):
            return None
        return decode_frozen_flux(blob.data, path=path, repo=self.name, commit=str(commit.id))

    def frozen_production(
        self, irradiation: str, level: str, rev: str | None = None
    ) -> Production | None:
        """The production ratios frozen into this repository for a level, or ``None``."""
        path = frozen_production_path(
            check_safe_name(irradiation, what="irradiation"), check_safe_name(level, what="level")
        )
        commit = self.git.resolve(rev)
        blob = lookup(commit.tree, path)
        if not isinstance(blob, pygit2.Blob):
            return None
        return decode_production(blob.data, path=path, repo=self.name, commit=str(commit.id))

    def spectrometer_path(self, spec_sha: str) -> str:
        return spectrometer_path(spec_sha)
