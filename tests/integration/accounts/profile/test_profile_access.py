"""The "Personal details" pages: listed under "Manage your account", only for signed-in users, and every
POST needs its CSRF token."""

from typing import Any

from tests.conftest import csrf_token
from tests.integration.accounts.helpers import ANA, user_row
from tests.integration.accounts.profile.profile_steps import ANA_EMAIL, emails, signed_in

PAGES = ["/account/email", "/account/email/confirm?token=abc", "/account/password", "/account/online-bill"]
POSTS = {
    "/account/email": {"email": "x@example.org", "current_password": ANA[1]},
    "/account/email/confirm": {"token": "abc"},
    "/account/password": {"current_password": ANA[1], "new_password": "lighthouse marmalade 9"},
    "/account/online-bill": {"online_bill": "yes"},
}


async def test_manage_your_account_lists_personal_details(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    page = await client.get("/account/manage")
    section = page.text.split('<section aria-labelledby="personal-details">', 1)[1].split("</section>", 1)[0]
    assert '<h2 id="personal-details">Personal details</h2>' in section
    assert '<a href="/account/email">Change your email address</a>' in section
    assert '<a href="/account/password">Change your password</a>' in section
    assert '<a href="/account/online-bill">Online bill</a>' in section
    for path in ("/account/email", "/account/password", "/account/online-bill"):
        response = await client.get(path)
        assert response.status_code == 200, path


async def test_anonymous_visitors_are_sent_to_sign_in(client: Any, demo: None) -> None:
    for path in PAGES:
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/sign-in?next=%2Faccount%2F"), path
    token = await csrf_token(client)
    for path, data in POSTS.items():
        response = await client.post(path, data={"_csrf_token": token, **data}, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/sign-in", path
    assert await emails() == []


async def test_signed_in_posts_need_the_csrf_token(client: Any, demo: None) -> None:
    await signed_in(client, *ANA)
    for path, data in POSTS.items():
        for form in (data, {"_csrf_token": "forged", **data}):
            response = await client.post(path, data=form, follow_redirects=False)
            assert response.status_code == 403, path
            assert "This form had expired or was sent from elsewhere." in response.text
    assert (await user_row("ana.demo"))["email"] == ANA_EMAIL
    assert await emails() == []
