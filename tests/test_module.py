"""Tests for engine.Module: automatic tracking of variables and submodules, name scopes."""

import pytest

import engine


class Dense(engine.Module):
    def __init__(self, n_in, n_out, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.w = engine.Variable(engine.ones([n_in, n_out]), name="w")
            self.b = engine.Variable(engine.zeros([n_out]), name="b")
            self.count = engine.Variable(0, trainable=False, name="count")

    @engine.Module.with_name_scope
    def __call__(self, x):
        self.last_scope = engine.Variable(0.0, name="probe").name
        return x @ self.w + self.b


class Container(engine.Module):
    def __init__(self):
        super().__init__(name="container")
        self.first = Dense(2, 3, name="first")
        self.listed = [Dense(3, 3, name="listed0"), (Dense(3, 3, name="tupled"),)]
        self.mapping = {"b": {"deep": Dense(3, 1, name="deep")},
                        "a": engine.Variable(1.0, name="loose")}
        self.shared = self.first.w         # the same variable twice
        self.alias = self.first            # the same module twice
        self.config = {"units": 3, "name": "text"}  # plain values are ignored


def test_variables_are_found_in_attributes_lists_tuples_and_dicts():
    model = Container()
    names = sorted(v.name for v in model.variables)
    expected = sorted(["loose:0"] + [f"{m}/{v}:0" for m in
                                     ("first", "listed0", "tupled", "deep")
                                     for v in ("w", "b", "count")])
    assert names == expected
    assert len(model.trainable_variables) == 9
    assert all(v.trainable for v in model.trainable_variables)
    assert len(model.non_trainable_variables) == 4
    assert all(not v.trainable for v in model.non_trainable_variables)


def test_shared_variables_and_modules_are_reported_once():
    model = Container()
    ids = [id(v) for v in model.variables]
    assert len(ids) == len(set(ids))
    subs = model.submodules
    assert len(subs) == 4 and len({id(m) for m in subs}) == 4
    assert {m.name for m in subs} == {"first", "listed0", "tupled", "deep"}
    assert model not in subs


def test_submodules_are_recursive():
    class Outer(engine.Module):
        def __init__(self):
            super().__init__()
            self.inner = Container()

    outer = Outer()
    assert outer.name == "outer"
    assert len(outer.submodules) == 5
    assert len(outer.variables) == 13


def test_attributes_set_later_are_tracked():
    model = Dense(1, 1)
    model.extra = [engine.Variable(2.0)]
    assert len(model.variables) == 4
    del model.extra
    assert len(model.variables) == 3


def test_default_name_and_validation():
    class MyFancyLayer(engine.Module):
        pass

    assert MyFancyLayer().name == "my_fancy_layer"
    assert engine.Module(name="custom").name == "custom"
    assert "custom" in repr(engine.Module(name="custom"))
    with pytest.raises(ValueError, match="not valid"):
        engine.Module(name="bad name!")


def test_name_scope_and_with_name_scope():
    layer = Dense(2, 2, name="dense")
    assert layer.w.name == "dense/w:0"
    assert layer.name_scope.name == "dense"
    out = layer(engine.ones([1, 2]))
    assert out.shape == [1, 2]
    assert layer.last_scope == "dense/probe:0"
    with engine.name_scope("outer"):
        layer(engine.ones([1, 2]))
    assert layer.last_scope == "outer/dense/probe:0"
    assert Dense.__call__.__name__ == "__call__"  # functools.wraps


def test_gradients_through_a_module():
    layer = Dense(2, 1)
    x = engine.constant([[1.0, 2.0]])
    with engine.GradientTape() as tape:
        loss = engine.reduce_sum(layer(x))
    grads = tape.gradient(loss, layer.trainable_variables)
    by_name = {v.name: g for v, g in zip(layer.trainable_variables, grads)}
    assert by_name["dense/w:0"].numpy().ravel().tolist() == [1.0, 2.0]
    assert by_name["dense/b:0"].numpy().tolist() == [1.0]


def test_name_scopes_nest_and_absolute_names_replace():
    with engine.name_scope("a") as outer:
        assert outer == "a/"
        with engine.name_scope("b/c") as inner:
            assert inner == "a/b/c/"
            with engine.name_scope("top/") as absolute:
                assert absolute == "top/"
                assert engine.Variable(1.0, name="v").name == "top/v:0"
            assert engine.Variable(1.0, name="v").name == "a/b/c/v:0"
    assert engine.Variable(1.0, name="v").name == "v:0"
    with pytest.raises(TypeError, match="string"):
        engine.name_scope(3)


def test_a_module_scope_can_be_reentered():
    layer = Dense(1, 1, name="rec")
    with layer.name_scope:
        with layer.name_scope:
            assert engine.Variable(1.0, name="v").name == "rec/rec/v:0"
    assert engine.Variable(1.0, name="v").name == "v:0"
