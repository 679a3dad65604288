"""The one error path of every tool: a bad input is one ``error: …`` line on stderr and exit status 2.

Tool modules import only this, argparse and the standard library at the top; torch, Lightning and OpenCV are
imported after the arguments parse, so ``--help`` and argument errors are quick.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from collections.abc import Callable
from typing import NoReturn

from fer_torch.console import VERBOSE_ENV, VERBOSE_OPTION, quiet_console, verbose_requested
from fer_torch.errors import ConfigError, FERError, one_line  # one_line: also the tools' import
from fer_torch.suggest import did_you_mean

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class ToolArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose usage errors go through :func:`run_tool` as one line (no usage block), and
    whose program name is the one the user typed: ``fer-live`` when run as a console script, else ``live.py``.

    Options are never abbreviated (``--dat`` is not ``--data``), and every tool takes ``--verbose``
    (:func:`run_tool` reads it before parsing)."""

    def __init__(self, *args, prog: str | None = None, allow_abbrev: bool = False, **kwargs) -> None:
        super().__init__(*args, prog=console_script() or prog, allow_abbrev=allow_abbrev, **kwargs)
        self.add_argument(VERBOSE_OPTION, action="store_true",
                          help=f"show the library notices and warnings hidden by default (or {VERBOSE_ENV}=1)")

    def parse_known_args(self, args=None, namespace=None):
        self._given = list(sys.argv[1:] if args is None else args)  # for error()'s suggestion
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{message}{self.suggestion(message)} (see {self.prog} --help)")

    def suggestion(self, message: str) -> str:
        """``"; did you mean --data?"`` for the first option that is not one of this parser's: the first
        unrecognized one of ``message``, or, when a required option is missing, one given on the command line."""
        options = [option[2:] for action in self._actions for option in action.option_strings if option[:2] == "--"]
        if message.startswith("unrecognized arguments: "):
            given = message.split()[2:]
        elif message.startswith("the following arguments are required: "):
            given = getattr(self, "_given", [])
        else:
            return ""
        wrong = [arg.split("=", 1)[0][2:] for arg in given if arg.startswith("--")]
        wrong = [name for name in wrong if name not in options]
        return did_you_mean(wrong[0], options, prefix="--") if wrong else ""


class WeightsOption(argparse.Action):
    """``--weights MODEL``; the old spelling ``--checkpoint`` is accepted and announced as deprecated on stderr."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        if option_string == DEPRECATED_WEIGHTS_OPTION:
            print(f"warning: {DEPRECATED_WEIGHTS_OPTION} is deprecated; use --weights", file=sys.stderr, flush=True)
        setattr(namespace, self.dest, values)


class RepeatedWeightsOption(WeightsOption):
    """:class:`WeightsOption` that may be given several times (an ensemble): a list of model files."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        super().__call__(parser, namespace, [*(getattr(namespace, self.dest) or []), values], option_string)


DEPRECATED_WEIGHTS_OPTION = "--checkpoint"


def add_weights_argument(parser: argparse.ArgumentParser, help: str, repeat: bool = False, **kwargs) -> None:
    """The one model-file option of every tool, ``--weights`` (``args.weights``), plus its deprecated hidden
    spelling ``--checkpoint``."""
    action = RepeatedWeightsOption if repeat else WeightsOption
    parser.add_argument("--weights", action=action, metavar="MODEL", help=help, **kwargs)
    parser.add_argument(DEPRECATED_WEIGHTS_OPTION, action=action, dest="weights", help=argparse.SUPPRESS, **kwargs)


def console_script() -> str | None:
    """The console script this process runs as (``fer-live``), or ``None`` (``python tools/live.py``, tests)."""
    invoked = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return invoked if invoked.startswith("fer-") else None


def script_name(tool: str) -> str:
    """The console-script name of a tool: ``inspect_data`` -> ``fer-inspect-data``."""
    return "fer-" + tool.replace("_", "-")


def invoked_as(tool: str) -> list[str]:
    """How the user would start ``tool`` the way this process was started: ``["fer-train"]`` from a console
    script, else ``["python", "tools/train.py"]`` (for the commands a tool prints: resume, evaluate …)."""
    return [script_name(tool)] if console_script() else ["python", f"tools/{tool}.py"]


def describe_os_error(exc: OSError) -> str:
    """``PATH: reason`` for a file the tool could not open, read or write."""
    reason = exc.strerror or type(exc).__name__
    return f"{exc.filename}: {reason.lower()}" if exc.filename else one_line(str(exc) or reason)


def report_error(message: str) -> int:
    """Print ``error: message`` on stderr (one line); returns the exit status of a bad input."""
    print(f"error: {one_line(message)}", file=sys.stderr, flush=True)
    return EXIT_BAD_INPUT


def run_tool(main: Callable[[list[str] | None], int | None], argv: list[str] | None = None) -> int:
    """Run a tool's ``main`` on a quiet console (:func:`~fer_torch.console.quiet_console`, unless ``--verbose``); a
    :class:`FERError` or an unreadable/unwritable file becomes ``error: …`` and exit 2."""
    quiet_console(verbose_requested(sys.argv[1:] if argv is None else argv))
    try:
        code = main(argv)
    except FERError as exc:
        return report_error(str(exc))
    except BrokenPipeError:  # the reader of our output left (`| head`, `| grep -q`): nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 0
    except OSError as exc:
        return report_error(describe_os_error(exc))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return int(code or 0)
