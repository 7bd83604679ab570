"""once(): a partial that is the same for every reader in a language is rendered once, and sees nothing of
the page it is written into."""

from __future__ import annotations

import markupsafe
from jinja2 import DictLoader

from portal import i18n
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
