"""Typed errors. Each carries a message a lab member can act on.

Every failure in ardvc is one of these; the CLI prints ``str(err)`` (and ``err.hint`` when
set) and exits with ``err.exit_code``. Nothing is swallowed: a caller that wants a degraded
result must ask for it explicitly.
"""

from __future__ import annotations


class ArdvcError(Exception):
    """Base of every error ardvc raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


# --- usage and configuration -------------------------------------------------------------


class UsageError(ArdvcError):
    """The request itself is malformed (bad name, bad option combination)."""

    exit_code = 2


class UnsafeNameError(UsageError):
    """A run ID, identifier, repository or file name would escape its folder."""


class ConfigError(ArdvcError):
    """A configuration file or key is invalid."""


class SecretInSharedConfigError(ConfigError):
    """A secret (token, password) was about to be written outside ``config.local``."""


class LabNotFoundError(ArdvcError):
    """No lab workspace where one was expected."""


class WorkspaceExistsError(ArdvcError):
    """``init`` target already holds something that is not an ardvc lab."""


# --- stored files ------------------------------------------------------------------------


class CorruptFileError(ArdvcError):
    """A stored file cannot be decoded (truncated or invalid JSON, wrong schema)."""

    def __init__(
        self,
        path: str,
        reason: str,
        *,
        repo: str | None = None,
        commit: str | None = None,
    ) -> None:
        where = path
        if repo:
            where = f"{repo}:{path}"
        if commit:
            where = f"{where} at {commit[:12]}"
        super().__init__(
            f"corrupt file {where}: {reason}",
            hint="the file in git is unreadable; fix it in a new commit or restore an "
            "earlier version (ardvc never substitutes defaults for unreadable files)",
        )
        self.path = path
        self.reason = reason
        self.repo = repo
        self.commit = commit


class NotFoundError(ArdvcError):
    """Something asked for by name does not exist."""


class AnalysisNotFoundError(NotFoundError):
    """No analysis file for a run ID or uuid in the searched repositories."""


class FileNotInRepoError(NotFoundError):
    """A path does not exist at the asked revision."""

    def __init__(self, path: str, *, repo: str | None = None, rev: str | None = None) -> None:
        where = f"{repo}:{path}" if repo else path
        at = f" at {rev}" if rev else ""
        super().__init__(f"{where} does not exist{at}")
        self.path = path
        self.repo = repo
        self.rev = rev


class RepositoryNotFoundError(NotFoundError):
    """A data repository or the MetaRepo is missing."""


# --- missing scientific inputs (never replaced by zero) -----------------------------------


class MissingInputError(ArdvcError):
    """A value needed for a calculation is absent; Pychron would have used 0 or {}."""


class EmptyProductionError(MissingInputError):
    """A production-ratio file is ``{}``: no interference correction is possible."""


class PositionNotFoundError(MissingInputError):
    """An irradiation level has no such position (so no J)."""


class ChronologyNotFoundError(MissingInputError):
    """An irradiation has no chronology (so no decay factors)."""


# --- git ---------------------------------------------------------------------------------


class GitStoreError(ArdvcError):
    """A git operation failed."""


class MassDeletionError(GitStoreError):
    """A commit would delete more files than ``core.max_deletions`` allows."""


class ConcurrentUpdateError(GitStoreError):
    """The branch moved while a commit was being built; nothing was written."""


class BranchNotFoundError(GitStoreError):
    """A named branch does not exist."""


# --- SQL index ---------------------------------------------------------------------------


class IndexUnavailableError(ArdvcError):
    """The SQL index cannot be reached, opened or locked; the message names its URL with
    the password masked, never the password."""


# --- content-addressed cache --------------------------------------------------------------


class CacheError(ArdvcError):
    """The object cache, a pointer file, or a cache remote cannot do what was asked."""


class CorruptObjectError(CacheError):
    """A cache object's content does not hash to its name (a bit flip, a torn copy)."""

    def __init__(self, oid: str, where: str, actual: str | None = None) -> None:
        got = f" (its content hashes to {actual[:16]}…)" if actual else ""
        super().__init__(
            f"cache object {oid[:16]}… at {where} is corrupt{got}",
            hint="ardvc cache verify --repair removes corrupt objects; then ardvc cache fetch "
            "brings them back from a cache remote, or ardvc add re-adds them from the workspace",
        )
        self.oid = oid
        self.where = where


class ObjectMissingError(CacheError):
    """A pointer names content the cache does not hold."""


class PointerError(CacheError):
    """A ``.ardvc`` pointer file is unreadable or names something impossible."""


class LockTimeoutError(CacheError):
    """A lock stayed busy for longer than the wait allowed."""


class TransferError(CacheError):
    """Some objects could not be moved to or from a cache remote; ``failed`` lists them."""

    def __init__(
        self,
        message: str,
        failed: dict[str, str],
        *,
        hint: str | None = None,
        report: object | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.failed = failed
        self.report = report
        """What did move (a :class:`ardvc.cache.transfer.TransferReport`)."""
