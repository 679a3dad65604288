"""The generic registry behind every extension point: names, lazy entries, refusals, plugins."""

from __future__ import annotations

import pytest

from fer_torch.errors import ConfigError, DataError
from fer_torch.registry import Registry


def test_register_get_names_and_decorator():
    things = Registry("thing")
    things.register("b", 2)

    @things.register("a")
    def make_a():
        return "a"

    assert things.names() == ["a", "b"] and list(things) == ["a", "b"]
    assert things.get("a") is make_a and things.get("b") == 2
    assert "a" in things and "c" not in things


def test_lazy_entry_imports_on_first_get():
    things = Registry("thing")
    things.register("join", "os.path:join")
    assert things.names() == ["join"]
    import os.path

    assert things.get("join") is os.path.join


def test_refusals_are_one_line_errors_of_the_registry_kind():
    things = Registry("data source", DataError)
    things.register("csv", 1)
    with pytest.raises(DataError, match="data source name 'csv' is already registered"):
        things.register("csv", 2)
    with pytest.raises(DataError, match=r"unknown data source 'cvs'; did you mean 'csv'\? choose from csv"):
        things.get("cvs")
    with pytest.raises(DataError, match="must be 'package.module:attribute'"):
        things.register("lazy", "no_colon")
    with pytest.raises(ConfigError, match="non-empty strings"):
        Registry("thing").register("", 1)


def test_unregister_frees_the_name():
    things = Registry("thing")
    things.register("x", 1)
    things.unregister("x")
    things.register("x", 2)
    assert things.get("x") == 2
