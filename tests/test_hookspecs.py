import inspect

from cmbot import hookspecs


def test_every_hook_has_a_docstring_saying_when_it_is_called():
    names = hookspecs.all_hook_names()
    assert len(names) >= 9
    for name in names:
        doc = inspect.getdoc(getattr(hookspecs, name))
        assert doc and len(doc) > 40, f"{name} is undocumented"
        assert "called" in doc.lower(), f"{name}'s docstring does not say when it is called"


def test_no_hook_uses_firstresult_because_async_impls_would_always_win():
    for name in hookspecs.all_hook_names():
        opts = getattr(hookspecs, name).cmbot_spec
        assert not opts.get("firstresult"), name
