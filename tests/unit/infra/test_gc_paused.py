"""PDF renders pause the cyclic garbage collector (portal.infra.pdf.gc_paused); it must always come
back on, and only when the last of overlapping renders (threads of one process) is over."""

from __future__ import annotations

import gc

import pytest

from portal.infra.pdf import gc_paused, render_tagged_pdf


def test_collector_resumes_only_after_the_last_overlapping_render() -> None:
    assert gc.isenabled()
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second render is still running
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_collector_resumes_when_a_render_fails() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        assert not gc.isenabled()
        raise RuntimeError("layout failed")
    assert gc.isenabled()


def test_a_render_leaves_the_collector_on() -> None:
    pdf = render_tagged_pdf("<!doctype html><html lang='en'><title>t</title><p>Receipt</p></html>")
    assert pdf.startswith(b"%PDF-")
    assert gc.isenabled()
