"""The scripts in ``scripts/`` are programs (they train when imported): never collect them."""

collect_ignore_glob = ["scripts/*"]
