"""``python -m ardvc`` runs the command line."""

from ardvc.cli.main import main

main()
