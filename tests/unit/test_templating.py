"""The one Jinja environment: once() renders a partial that is the same for every reader in a language
once, and it sees nothing of the page it is written into; templates are reloaded from disk in development
only."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import markupsafe
import pytest
from jinja2 import DictLoader, FileSystemLoader

from portal import i18n
from portal.settings import Settings
from portal.templating import make_environment


def test_once_renders_a_partial_once_per_language_and_params_and_never_sees_the_page():
    env = make_environment()
    renders = []
    env.globals["counted"] = lambda: renders.append(1) or ""
    env.loader = DictLoader(
        {
            "partial.html": '{{ counted() }}{{ _("Pending") }} {{ status }}'
            "{% if viewer is defined %} {{ viewer }}{% endif %}",
            "page.html": '<p>{{ once("partial.html", status=status) }}</p>',
        }
    )
    page = env.get_template("page.html")
    for language in ("en", "es", "en", "es"):
        with i18n.speaking(language):
            for status in ("<paid>", "<paid>", "overdue"):
                # The page's own variables (the viewer here) never reach the partial.
                html = page.render(status=status, viewer="ana")
                assert html == f"<p>{i18n.gettext('Pending')} {markupsafe.escape(status)}</p>"
    assert len(renders) == 4  # two languages × two statuses


@pytest.mark.parametrize(
    ("environment", "reloads"), [("development", True), ("test", False), ("production", False)]
)
def test_templates_edited_on_disk_are_reloaded_in_development_only(
    environment: str, reloads: bool, tmp_path: Path
) -> None:
    """Outside development a template is compiled once and its file never looked at again (no stat per
    template on every page)."""
    settings = dataclasses.replace(Settings.from_env(), environment=environment)
    env = make_environment(settings)
    env.loader = FileSystemLoader(tmp_path)
    page = tmp_path / "page.html"
    page.write_text("before")
    assert env.get_template("page.html").render() == "before"
    page.write_text("after")
    later = page.stat().st_mtime + 10
    os.utime(page, (later, later))
    assert env.get_template("page.html").render() == ("after" if reloads else "before")
    assert make_environment().auto_reload is False  # PDFs, the sandbox bank: no settings, no reloading
