"""The accounts journeys: registration (draft → bill check → user details → activation email) and
administrators adding accounts. The bill check both begin with is `bill_check`; sending registration's email
again is `resends`; activation and reset links are `links`; sign-in, sign-out and the forgotten password,
`signing_in`.

Every function takes what it acts on explicitly (a draft token, a viewer, an origin for audit and throttles)
and returns plain values; controllers only parse, call one function and render or redirect.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from asyncpg.exceptions import UniqueViolationError

from portal import audit, clock, i18n
from portal.accounts import addresses, bill_check, forms, throttle, tokens
from portal.accounts.forms import BillDetailsForm, Errors
from portal.accounts.holder_notice import store_holder_notices
from portal.audit import Origin
from portal.db import engine as db_engine
from portal.db import fetch, fetch_one
from portal.db.tables import Account, AccountAccess, RegistrationDraft, Session, User
from portal.db.tables.auth import TokenPurpose
from portal.db.tables.users import AccessRole
from portal.i18n import gettext as _
from portal.i18n import gettext_noop
from portal.notifications import outbox
from portal.notifications.mailer import Mailer
from portal.viewer import Viewer
from portal.web.forms import Outcome, email_problem
from portal.web.sessions import SessionStore
from portal.web.throttle import count_attempt
from portal.web.tokens import token_hash

PRIVACY_POLICY_VERSION = "2026-11"
DRAFT_LIFETIME = dt.timedelta(hours=24)
TOO_MANY_REQUESTS = gettext_noop("Too many requests. Wait an hour and try again")
HOLDER_REGISTERED = gettext_noop(
    "This account is already registered by its holder. Sign in, or use “Forgotten your password?” if you"
    " cannot remember it"
)


@dataclass(frozen=True)
class Draft:
    id: int
    kind: str
    bill: BillDetailsForm
    account_id: int | None
    username: str
    email: str
    online_bill: bool
    privacy_accepted: bool
    user_id: int | None
    """The user it created; None until then, and for good when its email address already had one."""
    completed_at: dt.datetime | None

    @property
    def verified(self) -> bool:
        return self.account_id is not None

    @property
    def completed(self) -> bool:
        return self.completed_at is not None


# --- registration -------------------------------------------------------------------------------------


async def start_registration(kind: str, origin: Origin) -> tuple[str, Outcome]:
    """A new draft for the chosen registration type; its token goes in a cookie."""
    if kind not in forms.REGISTRATION_KINDS:
        return "", Outcome({"kind": _("Select the type of registration")})
    counted = await count_attempt((throttle.REGISTRATION_START_PER_IP, origin.ip))
    if counted.refused:
        await counted.uncount()
        await audit.record("registration.throttled", origin, step="start")
        return "", Outcome({"kind": _(TOO_MANY_REQUESTS)})
    token = secrets.token_urlsafe(32)
    now = clock.now()
    await RegistrationDraft.insert(
        RegistrationDraft(
            token_hash=token_hash(token), kind=kind, created_at=now, expires_at=now + DRAFT_LIFETIME
        )
    )
    return token, Outcome()


async def change_kind(token: str | None, kind: str) -> Outcome:
    """Changing the type after the bill check starts the checks again: the proof depends on the type."""
    if kind not in forms.REGISTRATION_KINDS:
        return Outcome({"kind": _("Select the type of registration")})
    await RegistrationDraft.update({RegistrationDraft.kind: kind, RegistrationDraft.account: None}).where(
        (RegistrationDraft.token_hash == token_hash(token or "")) & RegistrationDraft.user.is_null()
    )
    return Outcome()


async def get_draft(token: str | None) -> Draft | None:
    if not token or len(token) > 100:
        return None
    row = (
        await RegistrationDraft.select()
        .where(
            (RegistrationDraft.token_hash == token_hash(token)) & (RegistrationDraft.expires_at > clock.now())
        )
        .first()
    )
    if row is None:
        return None
    return Draft(
        id=row["id"],
        kind=row["kind"],
        bill=BillDetailsForm(
            row["identity_number"], row["account_number"], row["bill_number"], row["amount"]
        ),
        account_id=row["account"],
        username=row["username"],
        email=row["email"],
        online_bill=row["online_bill"],
        privacy_accepted=row["privacy_accepted"],
        user_id=row["user"],
        completed_at=row["completed_at"],
    )


async def save_bill_details(
    token: str | None, details: BillDetailsForm, origin: Origin, phone: str
) -> Outcome:
    """`phone`: the customer service number, for the message that refuses too many attempts. A draft
    completed (by another tab since this one's page was checked) keeps the details it was completed with."""
    draft = await get_draft(token)
    assert draft is not None
    proof, errors = await bill_check.check(details, draft.kind, origin, phone)
    if proof is not None and draft.kind != "administrator" and await _holder_registered(proof.customer_id):
        errors = {"account_number": _(HOLDER_REGISTERED)}
        proof = None
    await RegistrationDraft.update(
        {
            RegistrationDraft.identity_number: details.identity,
            RegistrationDraft.account_number: details.account_number,
            RegistrationDraft.bill_number: details.bill_number,
            RegistrationDraft.amount: details.amount,
            RegistrationDraft.account: proof.account_id if proof else None,
        }
    ).where((RegistrationDraft.id == draft.id) & RegistrationDraft.completed_at.is_null())
    return Outcome(errors)


async def save_user_details(
    token: str | None, username: str, email: str, online_bill: bool, privacy_accepted: bool, origin: Origin
) -> Outcome:
    """`username` and `email` as typed. The draft keeps them only once accepted, normalised: as the user
    will have them (a refused answer is shown back by the page that refuses it); and never once completed
    (by another tab since this one's page was checked), so that it keeps the address it was sent to."""
    draft = await get_draft(token)
    assert draft is not None
    errors: Errors = {}
    username, email = forms.normalise_login(username), forms.normalise_login(email)
    if problem := forms.username_problem(username) or await _username_taken(username, origin):
        errors["username"] = problem
    # Whether the address already has a user is not said here, or anyone with one bill could test
    # addresses: complete_registration() emails its owner instead.
    if problem := email_problem(email):
        errors["email"] = problem
    if not privacy_accepted:
        errors["privacy"] = _("Read and accept the Privacy Policy to register")
    if errors:
        return Outcome(errors)
    await RegistrationDraft.update(
        {
            RegistrationDraft.username: username,
            RegistrationDraft.email: email,
            RegistrationDraft.online_bill: online_bill,
            RegistrationDraft.privacy_accepted: privacy_accepted,
        }
    ).where((RegistrationDraft.id == draft.id) & RegistrationDraft.completed_at.is_null())
    return Outcome()


async def _username_taken(username: str, origin: Origin) -> str | None:
    """Why the username cannot be had, if it is taken. "Taken" tells that a username exists (a sign-in
    identifier), so a client address gets only so many of those answers; past them, every username gets
    the same refusal for a while, taken or not."""
    counted = await count_attempt((throttle.USERNAME_TAKEN_PER_IP, origin.ip))
    if counted.refused:
        await counted.uncount()
        await audit.record("registration.throttled", origin, step="username")
        return _(TOO_MANY_REQUESTS)
    if not await User.exists().where(User.username == username):
        await counted.uncount()  # only "taken" answers count
        return None
    return _("This username is already taken: choose another")


async def _accounts_to_grant(draft: Draft) -> tuple[list[int], AccessRole]:
    assert draft.account_id is not None
    if draft.kind == "administrator":
        return [draft.account_id], AccessRole.administrator
    account = await Account.select(Account.customer).where(Account.id == draft.account_id).first()
    assert account is not None
    holder_accounts = await Account.select(Account.id).where(Account.customer == account["customer"])
    return [row["id"] for row in holder_accounts], AccessRole.holder


async def complete_registration(token: str | None, mailer: Mailer, origin: Origin, phone: str) -> Outcome:
    """Create the (not yet activated) user with its access, and send the activation email. A second submit
    of the same draft changes nothing. A bill that stopped proving the account since its check sends the
    draft back to the bill check, with why (`phone`: the customer service number, for that message). An
    email address that already has an activated user gets no second one: its owner is told by email, and
    the answer is the same (limits included), so the page does not say which addresses are registered. A
    user of the address that was never activated is replaced (`addresses.release_unactivated`)."""
    # Counted before the transaction, which would hide the count from registrations made at the same moment;
    # taken back if nothing is sent.
    draft = await get_draft(token)
    counted_email = draft.email if draft is not None else ""
    limits = [(throttle.REGISTRATION_PER_IP, origin.ip)]
    if counted_email:
        limits += addresses.email_limits(counted_email)
    counted = await count_attempt(*limits)
    if counted.refused:
        await counted.uncount()
        if throttle.REGISTRATION_PER_IP in counted.over:
            await audit.record("registration.throttled", origin, step="complete")
            return Outcome({"": _(TOO_MANY_REQUESTS)})
        await audit.record("registration.address_throttled", origin)
        return Outcome({"": _(addresses.SEVERAL_EMAILS)})
    outcome, email_id = await _complete_registration(token, mailer, origin, phone, counted_email)
    if email_id is None:
        await counted.uncount()
    else:
        await outbox.enqueue_email(mailer.queue, email_id)  # after the commit: the worker must find it
    return outcome


async def _complete_registration(
    token: str | None, mailer: Mailer, origin: Origin, phone: str, counted_email: str
) -> tuple[Outcome, int | None]:
    """The registration's transaction: what to answer, and the email to send if one was stored.
    `counted_email`: the address whose limits the attempt was counted against."""
    try:
        async with db_engine().transaction():
            rows = await fetch(
                "SELECT id FROM registration_draft WHERE token_hash = {} FOR UPDATE", token_hash(token or "")
            )
            draft = await get_draft(token)
            if not rows or draft is None:
                return Outcome({"draft": _("Your registration has expired. Start again")}), None
            if draft.completed:
                return Outcome(), None
            if not draft.verified:
                return Outcome({"bill": _("Enter the details from your bill")}), None
            if not (draft.username and draft.email and draft.privacy_accepted):
                return Outcome({"user": _("Enter your username and email address")}), None
            if draft.email != counted_email:
                # Another tab's user details landed since the count: this address's limits were not asked.
                return Outcome({"": _(addresses.EMAIL_CHANGED)}), None
            if draft.kind != "administrator" and await _holder_registered(await _lock_holder(draft)):
                # Registered in another browser since this one's bill check.
                return Outcome({"": _(HOLDER_REGISTERED)}), None
            checked, _errors = forms.check_bill_details(draft.bill, draft.kind)
            assert checked is not None and draft.account_id is not None  # the details that verified it
            if errors := await bill_check.proof_holds(checked, draft.account_id, origin, phone):
                await RegistrationDraft.update({RegistrationDraft.account: None}).where(
                    RegistrationDraft.id == draft.id
                )
                return Outcome(errors), None
            await addresses.release_unactivated(draft.email, origin)
            if await User.exists().where(User.email == draft.email):
                email_id = await store_taken_email(draft, mailer)
                await _mark_completed(draft.id, None)
                await audit.record("registration.email_taken", origin, kind=draft.kind)
            else:
                email_id = await _create_user(draft, mailer, origin)
    except UniqueViolationError:
        # Someone took the username or email between the user-details step and now.
        return Outcome(
            {"username": _("This username or email address was taken meanwhile: choose another")}
        ), None
    return Outcome(), email_id


async def _holder_registered(customer_id: int) -> bool:
    """Whether the holder already has a user: a holder registers once (administrators, any number)."""
    return bool(await User.exists().where(User.customer == customer_id))


async def _lock_holder(draft: Draft) -> int:
    """The draft's holder (customer id), locked until the transaction ends: two registrations of one
    holder completed at the same moment take turns, and the second sees the first one's user."""
    row = await fetch_one(
        "SELECT c.id FROM customer c JOIN account a ON a.customer = c.id WHERE a.id = {} FOR UPDATE OF c",
        draft.account_id,
    )
    assert row is not None  # a verified draft's account exists (accounts are never deleted)
    return int(row["id"])


async def _create_user(draft: Draft, mailer: Mailer, origin: Origin) -> int:
    """The user, its access and its activation email (whose outbox id is returned)."""
    account_ids, role = await _accounts_to_grant(draft)
    customer = None
    if role == AccessRole.holder:
        account = await Account.select(Account.customer).where(Account.id == account_ids[0]).first()
        customer = account["customer"] if account else None
    created = await User.insert(
        User(
            username=draft.username,
            email=draft.email,
            kind=draft.kind,
            customer=customer,
            online_bill=draft.online_bill,
            privacy_policy_version=PRIVACY_POLICY_VERSION,
            privacy_accepted_at=clock.now(),
            created_at=clock.now(),
            language=i18n.current(),
        )
    ).returning(User.id)
    user_id = int(created[0]["id"])
    await AccountAccess.insert(
        *(AccountAccess(user=user_id, account=account_id, role=role) for account_id in account_ids)
    )
    if draft.online_bill:
        await Account.update({Account.online_bill: True}).where(Account.id.is_in(account_ids))
    await _mark_completed(draft.id, user_id)
    email_id = await store_activation_email(user_id, draft.username, draft.email, mailer)
    await audit.record(
        "registration.completed", origin, user_id=user_id, kind=draft.kind, accounts=len(account_ids)
    )
    return email_id


async def _mark_completed(draft_id: int, user_id: int | None) -> None:
    await RegistrationDraft.update(
        {RegistrationDraft.user: user_id, RegistrationDraft.completed_at: clock.now()}
    ).where(RegistrationDraft.id == draft_id)


async def store_taken_email(draft: Draft, mailer: Mailer) -> int:
    """The note to the owner of the draft's address, which already had a user: its outbox id (`resends`
    sends it again too)."""
    return await outbox.store_email(
        mailer.env,
        dedupe_key=f"registration_taken:{draft.id}:{secrets.token_hex(8)}",  # one per (re)send
        template="registration_taken",
        to_address=draft.email,
        context={
            "sign_in": mailer.link("/sign-in"),
            "forgotten_password": mailer.link("/password/forgotten"),
        },
    )


async def store_activation_email(user_id: int, username: str, email: str, mailer: Mailer) -> int:
    """A new activation link (the older ones stop working) in an email: its outbox id. Call inside the
    transaction that needs it (`resends` sends one again too)."""
    token_id, token = await tokens.issue(user_id, TokenPurpose.activation)
    return await outbox.store_email(
        mailer.env,
        dedupe_key=f"activation:{token_id}",
        template="activation",
        to_address=email,
        context={
            "username": username,
            "link": mailer.link(f"/activate?token={token}"),
            "hours": int(tokens.LIFETIMES[TokenPurpose.activation].total_seconds() // 3600),
        },
    )


# --- administrators adding accounts -------------------------------------------------------------------


async def add_account(
    viewer: Viewer,
    details: BillDetailsForm,
    sessions: SessionStore,
    current_session: str,
    origin: Origin,
    phone: str,
    mailer: Mailer,
) -> tuple[str | None, str, Outcome]:
    """An administrator proves one more account with its bill details. Their privileges change, so their
    session gets a new id, and the account's holder is told (`holder_notice`). Returns (new session token,
    account number, outcome).

    The same form sent twice at once (a double click, a slow network, two tabs) adds the account once, and
    every answer is the first one's: the browser shows, and keeps the session cookie of, only the last."""
    if not can_add_accounts(viewer):
        raise PermissionError("only administrator users add accounts")
    proof, errors = await bill_check.check(details, "administrator", origin, phone)
    if proof is None:
        return None, "", Outcome(errors)
    # The access and the new session commit together: a twin submit waits at the insert until then, and
    # finds both.
    async with db_engine().transaction():
        if errors := await bill_check.proof_holds(proof.details, proof.account_id, origin, phone):
            return None, "", Outcome(errors)
        added = await fetch(
            'INSERT INTO account_access ("user", account, role, created_at) VALUES ({}, {}, {}, {})'
            ' ON CONFLICT ("user", account) DO NOTHING RETURNING id',
            viewer.user_id,
            proof.account_id,
            AccessRole.administrator.value,
            clock.now(),
        )
        if not added and await Session.exists().where(Session.id == viewer.session_id):
            return None, "", Outcome({"account_number": _("You can already see this account")})
        # Added now, or by a twin submit, which replaced the session both came with: either way this
        # answer needs a session of its own.
        session = await sessions.start(viewer.user_id, replacing=current_session)
        notices = (
            await store_holder_notices(
                viewer.user_id,
                mailer,
                origin,
                occasion=f"access:{added[0]['id']}",
                account_ids=[proof.account_id],
            )
            if added
            else []
        )
    if added:
        await audit.record("account.added", origin, user_id=viewer.user_id, account_id=proof.account_id)
    for email_id in notices:
        await outbox.enqueue_email(mailer.queue, email_id)  # after the commit: the worker must find it
    number = await Account.select(Account.number).where(Account.id == proof.account_id).first()
    return session, number["number"] if number else "", Outcome()


def can_add_accounts(viewer: Viewer) -> bool:
    """Only administrators add accounts: a private or company user sees every account of the holder they
    registered as, new ones too (`imports.writer`)."""
    return viewer.kind == "administrator"


async def purge_drafts() -> None:
    await RegistrationDraft.delete().where(RegistrationDraft.expires_at < clock.now())
