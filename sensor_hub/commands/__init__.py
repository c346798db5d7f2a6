"""Subcommands of ``posture-hub``; each module has ``register(subparsers)``."""

from __future__ import annotations

import argparse
import math

__all__ = ["positive_float"]


def positive_float(text: str) -> float:
    """argparse type: a finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value
