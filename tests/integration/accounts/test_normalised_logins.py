"""Usernames, email addresses and passwords whatever form of Unicode a keyboard or a copy gives: one stored
form of each (NFKC, lower-cased), checked as it will be stored, so a value that grows when lower-cased is
refused next to its field rather than failing at the database; look-alikes of a taken username are
refused; and sign-in finds a user from any form of its name and password."""

from typing import Any

from litestar import Litestar

from portal.db.tables import RegistrationDraft, User
from tests.conftest import submit
from tests.integration.accounts.helpers import (
    ANA,
    MARIA,
    OTHER_IP,
    activation_link,
    browser,
    complete_registration,
    error_messages,
    field_value,
    register_until_check,
    reset_link,
    start_registration,
    submit_sign_in,
    user_row,
)

USERNAME_CHARACTERS = (
    "Your username can only have Latin letters (with or without accents, like á, ñ or ç), digits 0 to 9,"
    " dots, hyphens and underscores: no spaces, and no letters of other alphabets, such as Cyrillic or Greek"
)
USERNAME_LETTER = "Your username must have at least one letter or digit"
USERNAME_TAKEN = "This username is already taken: choose another"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
# "İ" lower-cased is "i" and a combining dot: 40 typed characters are 80, and the column holds 60.
DOTTED_I_NAME = "İ" * 40
DOTTED_I_EMAIL = "İ" * 200 + "@example.com"  # 212 characters, 412 lower-cased (the column holds 254)
# José Núñez, each accented letter typed as one character (NFC) or as a letter and an accent (NFD).
COMPOSED_NAME = "José.Núñez"
DECOMPOSED_NAME = "Jose\u0301.Nu\u0301n\u0303ez"
FULL_WIDTH_NAME = "ＪＯＳＥ\u0301．ＮＵ\u0301Ｎ\u0303ＥＺ"
STORED_NAME = "josé.núñez"
COMPOSED_PASSWORD = "canción de cuna 42"
DECOMPOSED_PASSWORD = "cancio\u0301n de cuna 42"


async def user_details(client: Any, username: str, email: str) -> Any:
    return await submit(
        client, "/register/user-details", {"username": username, "email": email, "privacy": "true"}
    )


async def verified_draft(client: Any) -> None:
    await start_registration(client, "private")
    assert (await submit(client, "/register/bill-details", MARIA)).status_code == 303


async def test_names_that_grow_when_lower_cased_are_refused_next_to_their_fields(
    client: Any, demo: None
) -> None:
    await verified_draft(client)
    response = await user_details(client, DOTTED_I_NAME, DOTTED_I_EMAIL)
    assert response.status_code == 422, response.text[:300]
    assert error_messages(response.text) == [USERNAME_CHARACTERS, EMAIL_FORMAT]
    assert field_value(response.text, "username") == DOTTED_I_NAME  # shown back as typed
    assert field_value(response.text, "email") == DOTTED_I_EMAIL
    response = await user_details(client, "maria.garcia", DOTTED_I_EMAIL)
    assert error_messages(response.text) == [EMAIL_FORMAT]
    # Nothing refused was kept: "Confirm" cannot be reached, nor pressed to any effect.
    check = await client.get("/register/check", follow_redirects=False)
    assert check.headers["location"] == "/register/user-details"
    confirm = await submit(client, "/register/check")
    assert (confirm.status_code, confirm.headers["location"]) == (303, "/register/user-details")
    assert await User.count() == 2  # the demo's


async def test_details_refused_in_another_tab_leave_the_accepted_ones_to_confirm(
    client: Any, demo: None
) -> None:
    """Two tabs of one registration: the user details accepted in the first stay in the draft when the
    second's are refused, so "Confirm" in the first creates the user it showed."""
    await register_until_check(client, "private", MARIA, "maria.garcia", "maria@example.com")
    assert (await user_details(client, DOTTED_I_NAME, DOTTED_I_EMAIL)).status_code == 422
    confirm = await submit(client, "/register/check")
    assert (confirm.status_code, confirm.headers["location"]) == (303, "/register/email-sent")
    assert (await user_row("maria.garcia"))["email"] == "maria@example.com"


async def test_look_alikes_of_a_taken_username_are_refused(client: Any, demo: None) -> None:
    await verified_draft(client)
    for typed, problem in (
        ("ａｎａ.ｄｅｍｏ", USERNAME_TAKEN),  # full-width Latin: the same name once normalised
        ("ANA.Demo", USERNAME_TAKEN),
        ("аna.demo", USERNAME_CHARACTERS),  # a Cyrillic "а"
        ("ana.dеmο", USERNAME_CHARACTERS),  # a Cyrillic "е" and a Greek "ο"
        ("...", USERNAME_LETTER),
    ):
        response = await user_details(client, typed, "new@example.com")
        assert response.status_code == 422, typed
        assert error_messages(response.text) == [problem], typed
        assert field_value(response.text, "username") == typed


async def test_names_are_stored_normalised_and_the_check_page_shows_them_so(client: Any, demo: None) -> None:
    await register_until_check(client, "private", MARIA, DECOMPOSED_NAME, "JOSE\u0301@Example.com")
    draft = await RegistrationDraft.select(RegistrationDraft.username, RegistrationDraft.email).first()
    assert draft == {"username": STORED_NAME, "email": "josé@example.com"}
    check = await client.get("/register/check")
    assert STORED_NAME in check.text and "josé@example.com" in check.text
    assert (await submit(client, "/register/check")).headers["location"] == "/register/email-sent"
    assert (await user_row(STORED_NAME))["email"] == "josé@example.com"


async def test_any_form_of_a_name_and_password_signs_in(
    client: Any, app: Litestar, demo: None, worker: Any, mailbox: Any
) -> None:
    """Registered typed composed (NFC), its password created typed decomposed (NFD): signing in with the
    other forms, full-width or in capitals finds the same user and password."""
    await complete_registration(client, "private", MARIA, COMPOSED_NAME, "jose@example.com")
    [message] = await mailbox.wait_for(1)
    link = activation_link(message)
    token = link.split("token=", 1)[1]
    done = await submit(client, "/activate", {"token": token, "password": DECOMPOSED_PASSWORD})
    assert done.headers["location"] == "/account?done=activation"

    for login in (COMPOSED_NAME, DECOMPOSED_NAME, FULL_WIDTH_NAME, "JOSE@EXAMPLE.COM"):
        async with browser(app, OTHER_IP) as device:
            response = await submit_sign_in(device, login, COMPOSED_PASSWORD)
            assert response.status_code == 303, (login, error_messages(response.text))
            home = await device.get("/account")
            assert f"Signed in as {STORED_NAME}" in home.text
    async with browser(app, OTHER_IP) as device:
        wrong = await submit_sign_in(device, DECOMPOSED_NAME, "cancion de cuna 42")  # no accent: another
        assert wrong.status_code == 422


async def test_the_demo_users_sign_in_in_full_width_too(client: Any, demo: None) -> None:
    response = await submit_sign_in(client, "ａｎａ.ｄｅｍｏ", ANA[1])
    assert response.status_code == 303
    assert "Signed in as ana.demo" in (await client.get("/account")).text


async def test_a_password_changed_in_one_form_signs_in_in_the_other(
    client: Any, app: Litestar, demo: None
) -> None:
    assert (await submit_sign_in(client, *ANA)).status_code == 303
    changed = await submit(
        client, "/account/password", {"current_password": ANA[1], "new_password": DECOMPOSED_PASSWORD}
    )
    assert changed.status_code == 303, error_messages(changed.text)
    again = await submit(
        client,
        "/account/password",
        {"current_password": COMPOSED_PASSWORD, "new_password": DECOMPOSED_PASSWORD},
    )
    assert error_messages(again.text) == ["Your new password must be different from your current password"]
    async with browser(app, OTHER_IP) as device:
        assert (await submit_sign_in(device, "ana.demo", COMPOSED_PASSWORD)).status_code == 303


async def test_a_forgotten_password_is_found_from_any_form_of_the_name(
    client: Any, demo: None, worker: Any, mailbox: Any
) -> None:
    await complete_registration(client, "private", MARIA, COMPOSED_NAME, "jose@example.com")
    [activation] = await mailbox.wait_for(1)
    token = activation_link(activation).split("token=", 1)[1]
    await submit(client, "/activate", {"token": token, "password": COMPOSED_PASSWORD})
    response = await submit(client, "/password/forgotten", {"login": DECOMPOSED_NAME.upper()})
    assert response.headers["location"] == "/password/forgotten/sent"
    [_, reset] = await mailbox.wait_for(2, to="jose@example.com")  # not Maria's: told of the activation
    assert reset["To"] == "jose@example.com" and "/password/reset?token=" in reset_link(reset)
