"""``MetaRepo``: reads (see :mod:`ardvc.meta.read`) plus the writers Pychron's editors have.

Each writer reads the branch head, computes the new bytes of exactly the files it changes,
and commits them through :func:`~ardvc.gitstore.commit_files` with Pychron's message
(pychron-format.md §6.3) and ``expected_parent`` = the head it read, so a concurrent writer
causes a ConcurrentUpdateError instead of a lost update. Files whose bytes would not change
are left out; a writer that changes nothing returns a CommitResult whose ``commit`` is None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ardvc.errors import UsageError
from ardvc.formats import jsonio
from ardvc.formats.chronology import ChronologySegment, encode_chronology
from ardvc.formats.holders import HolderKind, Hole, encode_holder, holder_path
from ardvc.formats.irradiation import (
    FluxResult,
    Level,
    PositionUpdate,
    apply_updates,
    empty_level,
    encode_level,
)
from ardvc.formats.names import check_safe_name
from ardvc.formats.production import Ratio, encode_production_map, production_document
from ardvc.gitstore import Author, CommitResult, GitRepo, commit_files
from ardvc.meta.errors import AlreadyExistsError, ProductionNotFoundError
from ardvc.meta.initial import initial_files
from ardvc.meta.read import (
    CHRONOLOGY,
    PRODUCTIONS_MAP,
    MetaReader,
    level_path,
    production_path,
)


class MetaRepo(MetaReader):
    """One lab's MetaRepo: every read at any revision, and the editors' writers."""

    @staticmethod
    def initial_files(name: str) -> dict[str, bytes]:
        """Placeholder contents of a new MetaRepo (see :mod:`ardvc.meta.initial`)."""
        return initial_files(name)

    # --- plumbing -----------------------------------------------------------------------

    def _base(self, branch: str | None) -> tuple[str, str]:
        """(branch, head commit) the writer reads from and commits onto."""
        target = self.git.target_branch(branch)
        if target is None:
            raise UsageError(f"{self.name} has a detached HEAD: name the branch to write on")
        head = self.git.branch_head(target)
        if head is None:
            raise UsageError(
                f"{self.name}:{target} has no commits yet",
                hint="create the MetaRepo's first commit with MetaRepo.initialize",
            )
        return target, head

    def _commit(
        self,
        changes: Mapping[str, bytes],
        message: str,
        author: Author,
        base: tuple[str, str],
        max_deletions: int | None,
    ) -> CommitResult:
        branch, head = base
        changed = {p: b for p, b in changes.items() if self._raw(p, head) != b}
        return commit_files(
            self.git,
            changed,
            message,
            author,
            branch=branch,
            max_deletions=max_deletions,
            expected_parent=head,
        )

    def _level_at(self, irradiation: str, level: str, head: str) -> Level:
        self._require_irradiation(irradiation, head)
        return self.level(irradiation, level, head)

    # --- writers ------------------------------------------------------------------------

    def initialize(self, name: str, author: Author, *, branch: str | None = None) -> CommitResult:
        """First commit of an empty repository: :meth:`initial_files`."""
        target = self.git.target_branch(branch)
        if target is None or self.git.branch_head(target) is not None:
            raise AlreadyExistsError(f"{self.name} already has commits; nothing was written")
        return commit_files(
            self.git, initial_files(name), f"initialized MetaRepo {name}", author, branch=target
        )

    def add_irradiation(
        self,
        name: str,
        author: Author,
        *,
        chronology: Sequence[ChronologySegment] = (),
        branch: str | None = None,
        max_deletions: int | None = None,
    ) -> CommitResult:
        """``<name>/chronology.txt`` (empty unless segments are given) and
        ``<name>/productions.json`` = ``{}``, as Pychron's irradiation editor creates them."""
        check_safe_name(name, what="irradiation name")
        base = self._base(branch)
        if self._tree(name, base[1]) is not None:
            raise AlreadyExistsError(f"{name} already exists in {self.name}")
        changes = {
            f"{name}/{CHRONOLOGY}": encode_chronology(chronology),
            f"{name}/{PRODUCTIONS_MAP}": jsonio.dumps({}),
        }
        return self._commit(changes, f"Added irradiation {name}", author, base, max_deletions)

    def add_level(
        self,
        irradiation: str,
        level: str,
        author: Author,
        *,
        production: str | None = None,
        z: float = 0,
        branch: str | None = None,
        max_deletions: int | None = None,
    ) -> CommitResult:
        """``{"positions": [], "z": 0}``; with ``production``, also the level's entry in
        ``productions.json`` (the production file must exist)."""
        check_safe_name(level, what="level name")
        if level == PRODUCTIONS_MAP.removesuffix(".json"):
            raise UsageError(f"{level!r} cannot be a level name")
        base = self._base(branch)
        self._require_irradiation(irradiation, base[1])
        path = level_path(irradiation, level)
        if self._raw(path, base[1]) is not None:
            raise AlreadyExistsError(f"{irradiation} already has level {level}")
        changes = {path: encode_level(empty_level(path, z))}
        if production is not None:
            changes.update(self._map_change(irradiation, level, production, base[1]))
        message = f"Added level {level} to {irradiation}"
        return self._commit(changes, message, author, base, max_deletions)

    def _map_change(
        self, irradiation: str, level: str, production: str, head: str
    ) -> dict[str, bytes]:
        check_safe_name(production, what="production name")
        if self._raw(production_path(irradiation, production), head) is None:
            raise ProductionNotFoundError(
                f"no production {production!r} in {irradiation}/productions at {head[:12]}",
                hint="write the production first (write_production)",
            )
        path = f"{irradiation}/{PRODUCTIONS_MAP}"
        current = self.production_map(irradiation, head) if self._raw(path, head) else None
        return {path: encode_production_map(current, level, production)}

    def set_level_production(
        self,
        irradiation: str,
        level: str,
        production: str,
        author: Author,
        *,
        branch: str | None = None,
        max_deletions: int | None = None,
    ) -> CommitResult:
        """Point ``level`` at an existing production in ``productions.json``."""
        base = self._base(branch)
        self.level(irradiation, level, base[1])
        changes = self._map_change(irradiation, level, production, base[1])
        return self._commit(changes, f"Edited level {level}", author, base, max_deletions)

    def set_positions(
        self,
        irradiation: str,
        level: str,
        updates: Sequence[PositionUpdate],
        author: Author,
        *,
        message: str = "Labnumber Entry Save",
        branch: str | None = None,
        max_deletions: int | None = None,
    ) -> CommitResult:
        """Set or add positions (identifier as text, J, λK, …); other keys stay as they are."""
        if not updates:
            raise UsageError("no positions to set")
        base = self._base(branch)
        current = self._level_at(irradiation, level, base[1])
        updated = apply_updates(current, updates)
        changes = {current.path: encode_level(updated)}
        return self._commit(changes, message, author, base, max_deletions)

    def write_holder(
        self,
        name: str,
        holes: Sequence[Hole],
        author: Author,
        *,
        kind: HolderKind = "irradiation",
        shape: str | None = None,
        radius: float = 0.0175,
        branch: str | None = None,
        max_deletions: int | None = None,
    ) -> CommitResult:
        """Create or replace a holder geometry (hole ``i`` of ``holes`` gets id ``i + 1``,
        Pychron's implicit numbering); ``shape`` defaults to the hole count."""
        check_safe_name(name, what="holder name")
        if [h.id for h in holes] != [str(i + 1) for i in range(len(holes))]:
            raise UsageError("holder holes must be numbered 1, 2, … in order")
        base = self._base(branch)
        data = encode_holder(shape or str(len(holes)), radius, holes, write_radius=False)
        message = f"Added {kind} holder {name}"
        return self._commit({holder_path(name, kind): data}, message, author, base, max_deletions)

    def save_flux(
        self,
        irradiation: str,
        level: str,
        results: Sequence[FluxResult],
        author: Author,
        *,
        branch: str | None = None,
        max_deletions: int | None = None,
    ) -> CommitResult:
        """Store fitted monitor means (and optionally modelled J) as ``fit flux for <i><l>``."""
        if not results:
            raise UsageError("no flux results to save")
        return self.set_positions(
            irradiation,
            level,
            [r.as_update() for r in results],
            author,
            message=f"fit flux for {irradiation}{level}",
            branch=branch,
            max_deletions=max_deletions,
        )

    def write_chronology(
        self,
        irradiation: str,
        segments: Sequence[ChronologySegment],
        author: Author,
        *,
        branch: str | None = None,
        max_deletions: int | None = None,
    ) -> CommitResult:
        """Replace the irradiation's segments (``updated chronology for <irrad>``)."""
        base = self._base(branch)
        self._require_irradiation(irradiation, base[1])
        changes = {f"{irradiation}/{CHRONOLOGY}": encode_chronology(segments)}
        message = f"updated chronology for {irradiation}"
        return self._commit(changes, message, author, base, max_deletions)

    def write_production(
        self,
        irradiation: str,
        name: str,
        ratios: Mapping[str, Ratio],
        author: Author,
        *,
        reactor: str | None = None,
        branch: str | None = None,
        max_deletions: int | None = None,
    ) -> CommitResult:
        """Create or edit ``<irrad>/productions/<name>.json`` with every ratio ``[v, 1σ]``.

        An existing file keeps its ``name``/``reactor`` keys and JSON style.
        """
        check_safe_name(name, what="production name")
        base = self._base(branch)
        self._require_irradiation(irradiation, base[1])
        path = production_path(irradiation, name)
        style = jsonio.CANONICAL
        document = None
        if self._raw(path, base[1]) is not None:
            current = self.production_file(irradiation, name, base[1])
            style, document = current.style, current.document
        obj = production_document(ratios, reactor=reactor, base=document)
        changes = {path: jsonio.dumps(obj, style)}
        message = f"Edited production {name} for Irradiation {irradiation}"
        return self._commit(changes, message, author, base, max_deletions)


def open_meta(path: str) -> MetaRepo:
    """A MetaRepo over the git repository at ``path``."""
    return MetaRepo(GitRepo(path))
