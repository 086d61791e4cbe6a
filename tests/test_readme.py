"""The README's 60-second tour runs as written."""

import linecache
import pathlib
import re

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_readme_tour_runs(capsys):
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no ```python block"
    for k, block in enumerate(blocks):
        # Registered like a notebook cell, so that autograph can read the functions' source.
        filename = f"<README.md block {k}>"
        linecache.cache[filename] = (len(block), None, block.splitlines(True), filename)
        exec(compile(block, filename, "exec"), {"__name__": "readme"})
    out = capsys.readouterr().out
    assert "12.0" in out           # the second derivative of t**3 at 2
    assert "(8, 14, 14, 16)" in out
    assert out.count("loss ") == 3    # engine.print ran on every call of the graph
    assert "['accuracy', 'loss']" in out and "Total params: 131" in out
