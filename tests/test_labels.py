"""Class names, FER2013 label order and folder-name aliases."""

import pytest

from fer_torch.errors import UnknownClassError
from fer_torch.labels import FER2013_CLASSES, canonical_name, canonical_names, fer2013_index, in_fer2013_order, remap_table


def test_fer2013_label_order():
    assert FER2013_CLASSES == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert [fer2013_index(n) for n in FER2013_CLASSES] == list(range(7))


@pytest.mark.parametrize("alias, name", [("Anger", "angry"), ("SURPRISED", "surprise"), ("normal", "neutral"),
                                         (" Happy ", "happy"), ("sadness", "sad"), ("Fearful", "fear")])
def test_aliases_are_case_insensitive(alias, name):
    assert canonical_name(alias) == name


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(UnknownClassError, match=r"unknown class name 'bored'.*angry, disgust"):
        canonical_name("bored")


def test_duplicates_after_aliasing_are_refused():
    with pytest.raises(UnknownClassError, match="duplicate"):
        canonical_names(["happy", "Happiness"])


def test_fer2013_order_and_remap():
    assert in_fer2013_order(["normal", "surprised", "happy"]) == ("happy", "surprise", "neutral")
    assert remap_table(FER2013_CLASSES, ["angry", "happy", "sad", "surprise", "neutral"]) == [0, -1, -1, 1, 2, 3, 4]
