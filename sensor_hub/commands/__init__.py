"""Subcommands of ``posture-hub``; each module has ``register(subparsers)``."""
