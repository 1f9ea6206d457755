"""The runner warms a step's post function up while its notebook runs: the post module's
``warm_up`` is called in another thread first, the post itself after it, in the main thread;
a warm-up that fails changes nothing for the step."""

import sys
import textwrap

from helpers import runner
from helpers.pipeline import Step

WEEK = "2025-11-23"

POST_MODULE = """
import threading

CALLS = []


def warm_up():
    CALLS.append(("warm_up", threading.current_thread() is threading.main_thread()))
    {fail}


def post(executed, output_dir, week, lang):
    CALLS.append(("post", threading.current_thread() is threading.main_thread()))
"""


def _post_module(tmp_path, monkeypatch, name: str, fail: str = "") -> None:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(POST_MODULE.format(fail=fail)), "utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))


def test_the_post_modules_warm_up_runs_in_another_thread_before_the_post(
    tmp_ws, notebooks, tmp_path, monkeypatch
):
    _post_module(tmp_path, monkeypatch, "warm_post_ok")
    (tmp_ws.raw / WEEK).mkdir()
    runner.run(
        WEEK,
        ["vi"],
        tmp_ws,
        steps=[Step("02_ok", post="warm_post_ok:post")],
        notebooks_dir=notebooks,
        echo=lambda _: None,
    )
    assert sys.modules["warm_post_ok"].CALLS == [("warm_up", False), ("post", True)]


def test_a_warm_up_that_fails_leaves_the_step_to_run_its_post(
    tmp_ws, notebooks, tmp_path, monkeypatch
):
    _post_module(tmp_path, monkeypatch, "warm_post_fails", fail="raise RuntimeError('cold')")
    (tmp_ws.raw / WEEK).mkdir()
    runner.run(
        WEEK,
        ["vi"],
        tmp_ws,
        steps=[Step("02_ok", post="warm_post_fails:post")],
        notebooks_dir=notebooks,
        echo=lambda _: None,
    )
    assert sys.modules["warm_post_fails"].CALLS == [("warm_up", False), ("post", True)]
