"""The training CLI's parse errors as one helpful line: the option or config key that was meant, and the config
file a bad key came from. jsonargparse only: no Lightning here."""

from __future__ import annotations

import re
from collections.abc import Iterable

from fer_torch.cli.common import one_line
from fer_torch.cli.config_files import LEFT_OUT_SECTIONS, file_setting
from fer_torch.cli.moved_keys import GUIDE, moved_in_argv
from fer_torch.suggest import close_matches, did_you_mean

HELP_HINT = "(see train.py --help-all)"
UNRECOGNIZED = re.compile(r"unrecognized arguments: (?P<args>.*)")
GROUP_KEY = re.compile(r"Group '(?P<group>[\w.]+)' does not accept (?:option|nested key) '(?P<key>[\w.]+)'")
PARSER_KEY = re.compile(r'Parser key "(?P<key>[\w.]+)"')


def suggestion(message: str, keys: Iterable[str]) -> str:
    """"; did you mean --trainer.max_epochs?" for an unknown option or config key in ``message``, else ""."""
    keys = list(keys)
    if match := UNRECOGNIZED.search(message):
        wrong = [arg[2:].split("=", 1)[0] for arg in match["args"].split() if arg.startswith("--")]
        return did_you_mean(wrong[0], keys, prefix="--") if wrong else ""
    if match := GROUP_KEY.search(message):
        group = match["group"] + "."
        names = [key.removeprefix(group) for key in keys if key.startswith(group)]
        found = close_matches(match["key"], names)
        return f"; did you mean {' or '.join(repr(group + name) for name in found)}?" if found else ""
    return ""


def left_out_section(message: str) -> str | None:
    """"--optimizer is not an option: ..." when ``message`` refuses one of LightningCLI's sections the training CLI
    leaves out (:data:`~fer_torch.cli.config_files.LEFT_OUT_SECTIONS`), else None."""
    if match := UNRECOGNIZED.search(message):
        sections = [arg[2:].split("=", 1)[0].split(".")[0] for arg in match["args"].split() if arg.startswith("--")]
        section = next(iter(sections), None)
        if section in LEFT_OUT_SECTIONS:
            return f"--{section} is not an option: {LEFT_OUT_SECTIONS[section]}"
    return None


def bad_key(message: str) -> str | None:
    """The dotted config key a jsonargparse message is about (``model.arhc``), if it names one."""
    if match := GROUP_KEY.search(message):
        return f"{match['group']}.{match['key']}"
    match = PARSER_KEY.search(message)
    return match["key"] if match else None


def explain_parse_error(message: str, keys: Iterable[str], argv: list[str]) -> str:
    """One line: the config file that set the bad key (when a ``--config`` of ``argv`` did and the command line
    did not), jsonargparse's ``message``, the closest known ``keys`` when one is close, and where to look; or where
    the settings of a left-out section go (:func:`left_out_section`), or where flat options of before the option
    groups moved (:func:`~fer_torch.cli.moved_keys.moved_in_argv`)."""
    if refused := left_out_section(message):
        return refused
    if moved := moved_in_argv(argv):
        return f"{'; '.join(moved)} ({GUIDE})"
    key = bad_key(message)
    configs = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--config"]
    on_command_line = key is not None and any(a == f"--{key}" or a.startswith(f"--{key}=") for a in argv)
    source = file_setting(key, configs) if key and not on_command_line else None
    where = f"{source}: " if source else ""
    return f"{where}{one_line(message)}{suggestion(message, keys)} {HELP_HINT}"
