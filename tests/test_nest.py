"""Tests for engine.nest: flatten/pack order, container types, matching and errors."""

import ast
import collections
import pathlib
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import nest

Point = collections.namedtuple("Point", ["x", "y"])
OtherPoint = collections.namedtuple("Point", ["x", "y"])  # Same name and fields.
Pair = collections.namedtuple("Pair", ["x", "y"])


class Leaf:
    """An arbitrary object, standing in for an array or a tensor."""


class MyList(list):
    pass


class FrozenMapping(collections.abc.Mapping):
    """An immutable mapping built from (key, value) pairs, like TF expects."""

    def __init__(self, pairs=()):
        self._data = dict(pairs)

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __eq__(self, other):
        return isinstance(other, FrozenMapping) and self._data == other._data


# is_nested


@pytest.mark.parametrize("value", [[], [1], (), (1, 2), Point(1, 2), {}, {"a": 1},
                                   collections.OrderedDict(a=1), MyList([1]),
                                   collections.defaultdict(list), FrozenMapping()])
def test_is_nested_containers(value):
    assert nest.is_nested(value)


@pytest.mark.parametrize("value", [None, 0, 1.5, True, "ab", b"ab", {1, 2}, Leaf(), Leaf,
                                   range(3), frozenset()])
def test_is_nested_leaves(value):
    assert not nest.is_nested(value)


# flatten


def test_flatten_leaf_is_a_one_item_list():
    leaf = Leaf()
    assert nest.flatten(leaf) == [leaf]
    assert nest.flatten(None) == [None]
    assert nest.flatten("abc") == ["abc"]
    assert nest.flatten(b"abc") == [b"abc"]


def test_flatten_flat_list_returns_a_new_list():
    items = [1, None, "a"]
    flat = nest.flatten(items)
    assert flat == items
    assert flat is not items
    assert nest.flatten((1, 2)) == [1, 2]


def test_flatten_is_depth_first():
    assert nest.flatten([1, [2, (3, [4])], 5]) == [1, 2, 3, 4, 5]


def test_flatten_sorts_dict_keys():
    assert nest.flatten({"b": 2, "a": 1, "c": {"z": 4, "y": 3}}) == [1, 2, 3, 4]


def test_flatten_sorts_ordered_dict_keys_too():
    assert nest.flatten(collections.OrderedDict([("b", 2), ("a", 1)])) == [1, 2]


def test_flatten_namedtuple_in_field_order():
    assert nest.flatten(Point(x=[1, 2], y={"b": 4, "a": 3})) == [1, 2, 3, 4]


def test_flatten_keeps_none_and_strings_as_leaves():
    assert nest.flatten([None, "ab", (None,)]) == [None, "ab", None]


@pytest.mark.parametrize("empty", [[], (), {}, collections.OrderedDict(), [[], {}, ()]])
def test_empty_containers_have_no_leaves(empty):
    assert nest.flatten(empty) == []
    assert nest.pack_sequence_as(empty, []) == empty
    assert type(nest.pack_sequence_as(empty, [])) is type(empty)


def test_flatten_unsortable_keys_groups_by_type_name():
    # builtins.NoneType < builtins.int < builtins.str; ints sorted within their group.
    structure = {"b": "B", 2: "two", None: "none", 1: "one", "a": "A"}
    assert nest.flatten(structure) == ["none", "one", "two", "A", "B"]


def test_flatten_keys_incomparable_within_a_type_keep_insertion_order():
    k1, k2 = Leaf(), Leaf()
    assert nest.flatten({k2: 2, k1: 1}) == [2, 1]
    assert nest.flatten({k1: 1, k2: 2}) == [1, 2]


# pack_sequence_as


def test_pack_round_trips_types_and_order():
    structure = [Point(1, {"b": 2, "a": [3]}), MyList([4]), (5,),
                 collections.OrderedDict([("z", 6), ("y", 7)])]
    packed = nest.pack_sequence_as(structure, nest.flatten(structure))
    assert packed == structure
    assert type(packed[0]) is Point
    assert type(packed[1]) is MyList
    assert list(packed[3]) == ["z", "y"]  # Insertion order of the structure is kept.


def test_pack_puts_values_in_sorted_key_order():
    packed = nest.pack_sequence_as({"b": 0, "a": 0}, ["first", "second"])
    assert packed == {"a": "first", "b": "second"}
    assert list(packed) == ["b", "a"]


def test_pack_keeps_defaultdict_factory():
    structure = collections.defaultdict(list, {"a": 1})
    packed = nest.pack_sequence_as(structure, [2])
    assert type(packed) is collections.defaultdict
    assert packed == {"a": 2}
    assert packed["missing"] == []


def test_pack_rebuilds_immutable_mapping_from_pairs():
    structure = FrozenMapping([("b", 1), ("a", 2)])
    assert nest.pack_sequence_as(structure, [10, 20]) == FrozenMapping([("a", 10), ("b", 20)])


def test_pack_into_leaf_structure():
    assert nest.pack_sequence_as(None, ["x"]) == "x"
    assert nest.pack_sequence_as(Leaf(), [[1, 2]]) == [1, 2]


@pytest.mark.parametrize("structure, flat, leaves, items", [
    ([1, [2, 3]], [1, 2], "3 leaves", "2 items"),
    ([1, [2, 3]], [1, 2, 3, 4], "3 leaves", "4 items"),
    ([1, 2], [1], "2 leaves", "1 item"),
    (None, [], "1 leaf", "0 items"),
    ({}, [1], "0 leaves", "1 item"),
])
def test_pack_count_mismatch_says_both_counts(structure, flat, leaves, items):
    with pytest.raises(ValueError, match=f"structure has {leaves} but flat_sequence has {items}"):
        nest.pack_sequence_as(structure, flat)


@pytest.mark.parametrize("flat", ["ab", 3, {"a": 1}, None])
def test_pack_rejects_non_sequence_flat_sequence(flat):
    with pytest.raises(TypeError, match="flat_sequence must be a list or tuple; got"):
        nest.pack_sequence_as([1], flat)


def test_pack_mapping_that_cannot_be_rebuilt():
    with pytest.raises(TypeError, match="cannot rebuild a mapping of type builtins.mappingproxy"):
        nest.pack_sequence_as(types.MappingProxyType({"a": 1}), [2])


# assert_same_structure


def test_assert_same_structure_accepts_matching_structures():
    nest.assert_same_structure([1, {"a": (2, None)}], ["x", {"a": ("y", "z")}])
    nest.assert_same_structure(Point(1, 2), OtherPoint(3, 4))
    nest.assert_same_structure({"a": 1}, collections.OrderedDict(a=2))
    nest.assert_same_structure([1], MyList([2]))
    nest.assert_same_structure("abc", 5)


def test_assert_same_structure_names_the_path_of_a_length_mismatch():
    with pytest.raises(ValueError, match=r"at \[1\]\['b'\]: list of length 2 vs list of "
                                         r"length 3"):
        nest.assert_same_structure([0, {"b": [1, 2]}], [0, {"b": [1, 2, 3]}])


def test_assert_same_structure_leaf_vs_container():
    with pytest.raises(ValueError, match=r"at \[0\]\.y: list of length 1 vs leaf of type int"):
        nest.assert_same_structure([Point(1, [2])], [Point(1, 2)])


def test_assert_same_structure_type_mismatch_suggests_check_types():
    with pytest.raises(TypeError, match="list of length 2 vs tuple of length 2.*check_types"):
        nest.assert_same_structure([1, 2], (1, 2))
    with pytest.raises(TypeError, match="namedtuple Point of length 2 vs namedtuple Pair"):
        nest.assert_same_structure(Point(1, 2), Pair(1, 2))
    nest.assert_same_structure([1, 2], (1, 2), check_types=False)
    nest.assert_same_structure(Point(1, 2), Pair(1, 2), check_types=False)


def test_assert_same_structure_compares_keys_even_without_type_checks():
    pattern = r"at the top level: dict with keys \['a'\] vs dict with keys \['b'\]"
    with pytest.raises(ValueError, match=pattern):
        nest.assert_same_structure({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="only in the first: \\['a'\\]"):
        nest.assert_same_structure({"a": 1}, {"b": 1}, check_types=False)


# map_structure


def test_map_structure_single():
    result = nest.map_structure(lambda x: x * 10, Point(1, {"b": [2], "a": 3}))
    assert result == Point(10, {"b": [20], "a": 30})
    assert type(result) is Point


def test_map_structure_several_matches_dict_values_by_key():
    first = {"a": 1, "b": [2, 3]}
    second = collections.OrderedDict([("b", [20, 30]), ("a", 10)])
    assert nest.map_structure(lambda x, y: x + y, first, second) == {"a": 11, "b": [22, 33]}


def test_map_structure_matches_unsortable_keys_by_key():
    k1, k2 = Leaf(), Leaf()
    result = nest.map_structure(lambda x, y: (x, y), {k1: 1, k2: 2}, {k2: "b", k1: "a"})
    assert result == {k1: (1, "a"), k2: (2, "b")}


def test_map_structure_calls_func_in_flatten_order():
    calls = []
    nest.map_structure(calls.append, {"b": 2, "a": [1]})
    assert calls == [1, 2]


def test_map_structure_on_leaf_and_none():
    assert nest.map_structure(lambda x: x is None, None) is True
    assert nest.map_structure(len, "abc") == 3


def test_map_structure_check_types_false_builds_like_the_first():
    assert nest.map_structure(lambda x, y: x + y, [1, 2], (3, 4), check_types=False) == [4, 6]


def test_map_structure_errors():
    with pytest.raises(TypeError, match="func must be callable; got list"):
        nest.map_structure([1], [2])
    with pytest.raises(TypeError, match="got no structures to map over"):
        nest.map_structure(abs)
    with pytest.raises(ValueError, match=r"map_structure: .* at \[1\]: leaf of type int vs"):
        nest.map_structure(lambda x, y: x, [1, 2], [1, [2]])


# Paths


def test_flatten_with_paths():
    structure = {"b": [10, Point(20, 30)], "a": None}
    assert nest.flatten_with_paths(structure) == [
        (("a",), None), (("b", 0), 10), (("b", 1, "x"), 20), (("b", 1, "y"), 30)]
    assert nest.flatten_with_paths(5) == [((), 5)]
    assert nest.flatten_with_paths([]) == []


def test_map_structure_with_paths():
    result = nest.map_structure_with_paths(lambda path, x, y: (path, x + y),
                                           {"a": [1]}, {"a": [2]})
    assert result == {"a": [(("a", 0), 3)]}


# Up to a shallow structure


def test_flatten_up_to_keeps_deeper_subtrees_whole():
    shallow = [0, {"b": 0, "a": 0}]
    tree = [[1, 2], {"a": (3,), "b": {"c": 4}}]
    assert nest.flatten_up_to(shallow, tree) == [[1, 2], (3,), {"c": 4}]
    assert nest.flatten_up_to(None, tree) == [tree]


def test_flatten_up_to_errors():
    with pytest.raises(TypeError, match=r"flatten_up_to: .* at \[1\]: shallow_tree has list"
                                        r" of length 1 but input_tree has leaf of type int"):
        nest.flatten_up_to([0, [0]], [1, 2])
    with pytest.raises(ValueError, match="list of length 2 but input_tree has list of length 3"):
        nest.flatten_up_to([0, 0], [1, 2, 3])
    with pytest.raises(TypeError, match="list of length 1 but input_tree has tuple"):
        nest.flatten_up_to([0], (1,))
    assert nest.flatten_up_to([0], (1,), check_types=False) == [1]


def test_map_structure_up_to():
    shallow = {"a": 0, "b": 0}
    result = nest.map_structure_up_to(shallow, lambda x, y: len(x) + y,
                                      {"a": [1, 2], "b": ()}, {"b": 10, "a": 20})
    assert result == {"a": 22, "b": 10}
    with pytest.raises(TypeError, match=r"as map_structure_up_to\(shallow_tree, func"):
        nest.map_structure_up_to(shallow, None, {"a": 1, "b": 2})


# Module contract


def test_nest_imports_only_the_standard_library():
    # engine.nest and the modules it is split into (engine/nest_*.py) import each other only.
    for path in pathlib.Path(nest.__file__).parent.glob("nest*.py"):
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree)
                    if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        outside = {name.split(".")[0] for name in imported if not name.startswith("engine.nest")}
        assert outside <= {"__future__", "collections", "typing"}, path.name


# Properties

_STRUCTURES = st.recursive(
    st.integers(),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=3), children, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(_STRUCTURES)
def test_pack_inverts_flatten(structure):
    flat = nest.flatten(structure)
    assert nest.pack_sequence_as(structure, flat) == structure
    assert [leaf for _, leaf in nest.flatten_with_paths(structure)] == flat


@settings(max_examples=100, deadline=None)
@given(_STRUCTURES)
def test_map_structure_matches_flatten_then_pack(structure):
    mapped = nest.map_structure(lambda x: x + 1, structure)
    expected = nest.pack_sequence_as(structure, [x + 1 for x in nest.flatten(structure)])
    assert mapped == expected
    nest.assert_same_structure(structure, mapped)
    assert nest.map_structure(lambda x, y: y - x, structure, mapped) == \
        nest.map_structure(lambda x: 1, structure)
