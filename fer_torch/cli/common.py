"""Helpers every tool uses: one-line errors with exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable

from fer_torch.errors import FERError

EXIT_BAD_INPUT = 2


def run_tool(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Run a tool's ``main``; a :class:`FERError` or missing file becomes ``error: …`` on stderr and exit 2."""
    try:
        code = main(argv)
    except (FERError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    return int(code or 0)
