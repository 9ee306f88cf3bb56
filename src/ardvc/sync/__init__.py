"""Lab-wide synchronisation: remotes, status, push/pull of every repository, the outbox,
offline mode, setting up a workstation from a remote.

Kept free of imports so that ``python -m ardvc.sync.credential`` (git's credential helper,
run for every authenticated request) starts fast.
"""
