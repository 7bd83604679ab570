"""Payment documents: choose an account and its pending bills, confirm (page or dialog), get a bills-due
document with its own Cuaderno 57 code; the rules on which bills may go in; nobody else sees it."""

import asyncio
import datetime as dt
import html
import re
from typing import Any

from portal import clock, i18n
from portal.banking.cuaderno57 import PaymentCode
from portal.banking.money import format_eur
from portal.db.tables import Account, AccountAccess, Bill, PaymentDocument, PaymentDocumentBill, User
from portal.payment_documents import payable, services
from portal.templating import format_day
from tests.conftest import submit
from tests.integration.imports.import_steps import run
from tests.steps import ADMIN, error_links_nowhere, sign_in
from tests.unit.imports.import_samples import CREDIT_BILL, jsonl, record

ANA_ACCOUNT = "0001000413"


async def pending_bills(account_number: str) -> list[dict[str, Any]]:
    account = await Account.select(Account.id).where(Account.number == account_number).first()
    return (
        await Bill.select()
        .where((Bill.account == account["id"]) & (Bill.status == "pending"))
        .order_by(Bill.due_date)
        .order_by(Bill.id)
    )


def checkbox_ids(page: str) -> list[int]:
    return [int(value) for value in re.findall(r'name="bill" value="(\d+)"', page)]


def error_summary(page: str) -> str:
    return (
        page.split('class="error-summary"')[1].split("</div>")[0] if 'class="error-summary"' in page else ""
    )


async def create(client: Any, bill_ids: list[int], account: str = ANA_ACCOUNT, **extra: str) -> Any:
    return await submit(
        client, "/payment-documents/bills", {"account": account, "bill": [str(i) for i in bill_ids], **extra}
    )


async def test_without_javascript_select_confirm_on_a_page_and_get_the_document(
    client: Any, demo: None, settings: Any
) -> None:
    await sign_in(client)
    index = await client.get("/payment-documents/")
    assert index.status_code == 200
    assert "Select the account for which bills are pending" in index.text
    assert "2 pending bills" in index.text  # 0001000413
    assert "Nothing pending" in index.text  # 0001000421

    bills = await pending_bills(ANA_ACCOUNT)
    assert len(bills) == 2
    page = await client.get("/payment-documents/bills", params={"account": ANA_ACCOUNT})
    assert page.status_code == 200
    assert checkbox_ids(page.text) == [bill["id"] for bill in bills]
    assert "checked" not in page.text.split('name="bill"')[1].split(">")[0]

    selected_all = await client.get(
        "/payment-documents/bills", params={"account": ANA_ACCOUNT, "select": "all"}
    )
    assert selected_all.text.count(" checked>") == 2

    response = await create(client, [bill["id"] for bill in bills])
    assert response.status_code == 303
    draft_path = response.headers["location"]
    assert re.fullmatch(r"/payment-documents/drafts/\d+", draft_path)
    total = sum(bill["total_cents"] for bill in bills)
    confirm_page = await client.get(draft_path)
    assert confirm_page.status_code == 200
    assert "Create the bills due document?" in confirm_page.text
    for bill in bills:
        assert bill["number"] in confirm_page.text
    # Nothing has a code yet: a draft is only a kept selection.
    assert await PaymentDocument.count().where(PaymentDocument.payment_reference.is_not_null()) == 0

    done = await submit(client, draft_path)
    assert done.status_code == 303
    match = re.fullmatch(r"/payment-documents/(\d+)\?created=1", done.headers["location"])
    assert match
    document_id = int(match.group(1))
    view = await client.get(done.headers["location"])
    assert view.status_code == 200
    # The button keeps the label QA scripts click ("Bills due") and says what it gives.
    assert "Document created" in view.text and ">Bills due (PDF)</a>" in view.text

    row = await PaymentDocument.select().where(PaymentDocument.id == document_id).first()
    deadline = clock.today() + dt.timedelta(days=settings.issuer.document_days)
    # The deadline is the last day the banks take the code: paid "by" it, not "before" it.
    assert f"pay it at your bank by {format_day(deadline)}." in view.text
    assert f"<dt>Pay by</dt><dd>{format_day(deadline)}</dd>" in view.text
    assert row["status"] == "pending" and row["deadline"] == deadline and row["total_cents"] == total
    code = PaymentCode(
        settings.issuer.code,
        row["payment_suffix"],
        row["payment_reference"],
        row["payment_identification"],
        total,
    )  # raises if the check digits are wrong
    assert code.suffix == settings.issuer.document_suffix and int(code.suffix) >= 500
    assert code.identification == deadline.strftime("%d%m%y") and code.deadline == deadline
    assert code.reference[:11] == f"{document_id:011d}"
    assert code.barcode_digits in view.text

    listing = await client.get("/payment-documents/")
    assert code.reference in listing.text and "Pending" in listing.text

    # Confirming again (double submit, back button) makes nothing new.
    again = await submit(client, draft_path)
    assert again.status_code == 303 and again.headers["location"] == done.headers["location"]
    assert await PaymentDocument.count() == 1
    # The back button to the confirmation page (or a second tab on it): the document it made.
    back = await client.get(draft_path, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == f"/payment-documents/{document_id}"
    # Not for someone who may not see the document.
    await submit(client, "/sign-out")
    await sign_in(client, ADMIN)
    assert (await client.get(draft_path, follow_redirects=False)).status_code == 404


async def test_with_the_dialog_the_document_is_made_in_one_post(client: Any, demo: None) -> None:
    await sign_in(client)
    bills = await pending_bills(ANA_ACCOUNT)
    response = await create(client, [bills[0]["id"]], confirmed="yes")
    assert response.status_code == 303
    assert re.fullmatch(r"/payment-documents/\d+\?created=1", response.headers["location"])
    assert await PaymentDocument.count().where(PaymentDocument.status == "pending") == 1
    assert await PaymentDocument.count().where(PaymentDocument.status == "draft") == 0


async def test_nothing_selected_or_nonsense_ids_is_a_clear_error_that_keeps_the_page(
    client: Any, demo: None
) -> None:
    await sign_in(client)
    for ids in ([], ["abc", "-1", "１"]):
        response = await submit(client, "/payment-documents/bills", {"account": ANA_ACCOUNT, "bill": ids})
        assert response.status_code == 422
        assert "Select at least one bill to pay" in error_summary(response.text)
        assert "<title>Error: " in response.text
        assert len(checkbox_ids(response.text)) == 2
    no_account = await client.get("/payment-documents/bills")
    assert no_account.status_code == 422
    assert "Select the account for which you want to pay bills" in error_summary(no_account.text)


async def test_bills_adding_up_to_more_than_a_payment_code_holds_are_a_clear_error(
    client: Any, demo: None
) -> None:
    """A Cuaderno 57 code holds at most 99.999.999,99 € (10 digits of cents): two bills of 60 million euros
    cannot share one document. Said next to the bills, with or without the dialog; one of them alone can."""
    await sign_in(client)
    bills = await pending_bills(ANA_ACCOUNT)
    await Bill.update({Bill.total_cents: 6_000_000_000}).where(Bill.id.is_in([bill["id"] for bill in bills]))
    for extra in ({}, {"confirmed": "yes"}):
        response = await create(client, [bill["id"] for bill in bills], **extra)
        assert response.status_code == 422, extra
        summary = html.unescape(error_summary(response.text))
        assert (
            "These bills add up to more than 99.999.999,99\xa0€: select fewer bills for one document"
            in summary
        )
        assert sorted(checkbox_ids(response.text)) == sorted(bill["id"] for bill in bills)
    assert await PaymentDocument.count() == 0
    one = await create(client, [bills[0]["id"]], confirmed="yes")
    assert one.status_code == 303


async def test_a_bill_in_a_live_document_cannot_go_in_another_and_the_page_says_why(
    client: Any, demo: None
) -> None:
    await sign_in(client)
    first, second = await pending_bills(ANA_ACCOUNT)
    assert (await create(client, [first["id"]], confirmed="yes")).status_code == 303
    document = await PaymentDocument.select(
        PaymentDocument.payment_reference, PaymentDocument.deadline
    ).first()
    reference, deadline = document["payment_reference"], document["deadline"]

    page = await client.get("/payment-documents/bills", params={"account": ANA_ACCOUNT})
    assert checkbox_ids(page.text) == [second["id"]]
    assert f"In document {reference}" in page.text

    response = await create(client, [first["id"], second["id"]])
    assert response.status_code == 422
    assert f"Bill {first['number']} is already in bills due document {reference}" in error_summary(
        response.text
    )
    assert " checked>" in response.text  # the second bill stays selected
    # Its deadline as every other date of the portal ("16 Dec 2026"), in the page's language.
    assert f"which can be paid until {deadline.day} {deadline:%b} {deadline.year}<" in error_summary(
        response.text
    )
    await submit(client, "/language", {"language": "es", "return_to": "/"})
    refused = error_summary((await create(client, [first["id"], second["id"]])).text)
    with i18n.speaking("es"):
        spanish_day = format_day(deadline)  # "16 dic 2026"
    assert (
        f"La factura {first['number']} ya está en el documento de pago {reference},"
        f" que se puede pagar hasta el {spanish_day}<" in refused
    )


async def test_two_tabs_confirming_overlapping_selections_make_one_document(client: Any, demo: None) -> None:
    await sign_in(client)
    ids = [bill["id"] for bill in await pending_bills(ANA_ACCOUNT)]
    drafts = [(await create(client, ids)).headers["location"] for _ in range(2)]
    results = await asyncio.gather(*(submit(client, path) for path in drafts))
    assert sorted(result.status_code for result in results) == [303, 422]
    refused = next(result for result in results if result.status_code == 422)
    assert "is already in bills due document" in error_summary(refused.text)
    assert await PaymentDocument.count().where(PaymentDocument.status == "pending") == 1


async def test_a_confirmation_page_whose_bills_went_into_another_document_says_so_before_any_press(
    client: Any, demo: None
) -> None:
    """Two tabs, each on the confirmation page of the same bills: once one is confirmed, the other (reloaded,
    or come back to) says why it cannot be, offers no "Create document", and leads back to the bills."""
    await sign_in(client)
    first, second = await pending_bills(ANA_ACCOUNT)
    drafts = [(await create(client, [first["id"], second["id"]])).headers["location"] for _ in range(2)]
    assert (await submit(client, drafts[0])).status_code == 303
    made = await PaymentDocument.select().where(PaymentDocument.status == "pending").first()
    reference = made["payment_reference"]

    stale = await client.get(drafts[1])
    assert stale.status_code == 422 and "<title>Error: Create the bills due document?" in stale.text
    problem = f"Bill {first['number']} is already in bills due document {reference}"
    assert problem in error_summary(stale.text)
    assert "Create document" not in stale.text
    bills_page = f"/payment-documents/bills?account={ANA_ACCOUNT}"
    back = f'<a href="{bills_page}" class="button">Select the bills again</a>'
    assert back in stale.text
    # A page rendered before, pressed now: the same answer.
    pressed = await submit(client, drafts[1])
    assert pressed.status_code == 422 and problem in error_summary(pressed.text)
    assert "Create document" not in pressed.text and back in pressed.text
    assert await PaymentDocument.count().where(PaymentDocument.status == "pending") == 1

    await submit(client, "/language", {"language": "es", "return_to": "/"})
    spanish = (await client.get(drafts[1])).text
    assert f"La factura {first['number']} ya está en el documento de pago {reference}" in spanish
    assert "Vuelva a seleccionar las facturas</a>" in spanish


async def test_a_credit_bill_is_never_offered_nor_accepted_for_a_document(
    client: Any, demo: None, settings: Any
) -> None:
    """A credit bill (total 0 or less) has nothing to pay: the account's pending bills are offered as before,
    and its id sent by hand is refused."""
    credit = record(CREDIT_BILL, number="FA-CREDIT/0002", account=ANA_ACCOUNT)
    assert (await run(jsonl(credit), settings)).rejections == []
    bill = await Bill.select(Bill.id).where(Bill.number == "FA-CREDIT/0002").first()
    await sign_in(client)
    index = await client.get("/payment-documents/")
    assert "2 pending bills" in index.text  # 0001000413, as without it
    page = await client.get("/payment-documents/bills", params={"account": ANA_ACCOUNT})
    assert checkbox_ids(page.text) == [b["id"] for b in await pending_bills(ANA_ACCOUNT)]
    assert bill["id"] not in checkbox_ids(page.text)
    response = await create(client, [bill["id"]])
    assert response.status_code == 422
    assert "no longer pending" in error_summary(response.text)


async def test_a_confirmation_page_whose_bill_was_paid_meanwhile_says_so(client: Any, demo: None) -> None:
    await sign_in(client)
    first, second = await pending_bills(ANA_ACCOUNT)
    draft = (await create(client, [first["id"], second["id"]])).headers["location"]
    await Bill.update({Bill.status: "paid"}).where(Bill.id == first["id"])
    page = await client.get(draft)
    assert page.status_code == 422
    assert "One of the bills you selected is no longer pending" in error_summary(page.text)
    assert "Create document" not in page.text and "Select the bills again" in page.text


async def test_a_form_sent_without_its_account_or_with_one_not_theirs_gets_step_1_again(
    client: Any, demo: None
) -> None:
    """Only a crafted or damaged form does it (the bills page sends its account): the answer is the first
    step with its message, as for the step's own form sent with no account chosen; nothing says whether
    the account exists."""
    await sign_in(client)
    ids = [bill["id"] for bill in await pending_bills(ANA_ACCOUNT)]
    for account in ("", "9999999999", "0001000439"):  # none, nobody's, an account of admin.demo's
        for extra in ({}, {"confirmed": "yes"}):
            response = await create(client, ids, account=account, **extra)
            assert response.status_code == 422, (account, extra)
            assert "Select the account for which you want to pay bills" in error_summary(response.text)
            assert "Select the account for which bills are pending" in response.text
            assert "0001000439" not in response.text
    assert await PaymentDocument.count() == 0


async def test_states_paid_through_the_document_paid_apart_and_expired(client: Any, demo: None) -> None:
    await sign_in(client)
    first, second = await pending_bills(ANA_ACCOUNT)
    await create(client, [first["id"], second["id"]], confirmed="yes")
    document = await PaymentDocument.select().first()
    found = await payable.document_by_reference(document["payment_reference"])
    assert found is not None and found.state == "pending" and found.total_cents == document["total_cents"]
    assert set(found.bill_ids) == {first["id"], second["id"]}

    # Expired: past its deadline, banks refuse it and its bills are free again.
    later = document["deadline"] + dt.timedelta(days=1)
    expired = await payable.document_by_reference(document["payment_reference"], later)
    assert expired is not None and expired.state == "expired"
    bills_later = await services.account_bills(await _viewer("ana.demo"), ANA_ACCOUNT, later)
    assert bills_later is not None and all(bill.selectable for bill in bills_later.bills)

    # One bill paid on its own (the payments flow): the document no longer stands for what is owed.
    await Bill.update({Bill.status: "paid"}).where(Bill.id == first["id"])
    superseded = await payable.document_by_reference(document["payment_reference"])
    assert superseded is not None and superseded.state == "superseded"
    view = await client.get(f"/payment-documents/{document['id']}")
    assert "can no longer be paid" in view.text
    again = await client.get("/payment-documents/bills", params={"account": ANA_ACCOUNT})
    assert checkbox_ids(again.text) == [second["id"]]  # free for a new document

    # Paid through the document: it and every bill in it, together.
    await Bill.update({Bill.status: "pending"}).where(Bill.id == first["id"])
    paid_ids = await payable.mark_document_paid(document["id"], clock.now())
    assert set(paid_ids) == {first["id"], second["id"]}
    assert await Bill.count().where(Bill.id.is_in(list(paid_ids)) & (Bill.status == "paid")) == 2
    paid = await payable.document_by_reference(document["payment_reference"])
    assert paid is not None and paid.state == "paid"
    assert "Paid" in (await client.get("/payment-documents/")).text


async def test_an_expired_or_superseded_document_says_why_in_spanish_too(client: Any, demo: None) -> None:
    await sign_in(client)
    first, second = await pending_bills(ANA_ACCOUNT)
    await create(client, [first["id"], second["id"]], confirmed="yes")
    document = await PaymentDocument.select().first()
    await submit(client, "/language", {"language": "es", "return_to": "/"})
    await PaymentDocument.update({PaymentDocument.deadline: clock.today() - dt.timedelta(days=1)}).where(
        PaymentDocument.id == document["id"]
    )
    expired = html.unescape((await client.get(f"/payment-documents/{document['id']}")).text)
    assert "Los bancos ya no aceptan su código" in expired and "Banks no longer accept" not in expired
    await Bill.update({Bill.status: "paid"}).where(Bill.id == first["id"])
    superseded = html.unescape((await client.get(f"/payment-documents/{document['id']}")).text)
    assert "ya no se puede pagar" in superseded and "can no longer be paid" not in superseded


async def test_with_some_bills_in_a_live_document_the_hint_says_so_and_errors_link_to_the_first_box(
    client: Any, demo: None
) -> None:
    await sign_in(client)
    first, second = await pending_bills(ANA_ACCOUNT)
    assert (await create(client, [first["id"]], confirmed="yes")).status_code == 303
    index = html.unescape((await client.get("/payment-documents/")).text)
    total = format_eur(first["total_cents"] + second["total_cents"])
    assert f"2 pending bills, {total}; 1 of them is already in a bills due document" in index

    refused = await create(client, [])
    assert refused.status_code == 422 and "Select at least one bill to pay" in error_summary(refused.text)
    assert error_links_nowhere(refused.text) == []
    assert f'id="bills" name="bill" value="{second["id"]}"' in refused.text


async def test_with_every_bill_in_a_live_document_there_is_nothing_to_add_and_no_button(
    client: Any, demo: None
) -> None:
    await sign_in(client)
    bills = await pending_bills(ANA_ACCOUNT)
    assert (await create(client, [bill["id"] for bill in bills], confirmed="yes")).status_code == 303
    reference = (await PaymentDocument.select(PaymentDocument.payment_reference).first())["payment_reference"]
    index = html.unescape((await client.get("/payment-documents/")).text)
    assert "Nothing to add: its 2 pending bills are already in bills due documents" in index
    assert "2 pending bills," not in index

    page = (await client.get("/payment-documents/bills", params={"account": ANA_ACCOUNT})).text
    assert "Nothing to add: every pending bill of this account is already in a bills due document" in page
    assert page.count(f"In document {reference}") == 2  # each bill still says where it is
    assert checkbox_ids(page) == []
    assert "Create bills due document" not in page and "Select all" not in page
    assert "Choose another account" in page

    # A page left open in another tab still posts: the answer says why and links to what exists.
    refused = await create(client, [])
    assert refused.status_code == 422 and "Select at least one bill to pay" in error_summary(refused.text)
    assert error_links_nowhere(refused.text) == []
    assert "Create bills due document" not in refused.text

    await submit(client, "/language", {"language": "es", "return_to": "/"})
    spanish = html.unescape((await client.get("/payment-documents/")).text)
    assert "Nada que añadir: sus 2 facturas pendientes ya están en documentos de pago" in spanish


async def test_direct_debit_bills_are_left_out_with_an_explanation(client: Any, demo: None) -> None:
    # Give ana.demo Javier's direct-debit account (as if she administered it).
    user = await User.select(User.id).where(User.username == "ana.demo").first()
    account = await Account.select(Account.id).where(Account.number == "0001000405").first()
    await AccountAccess.insert(AccountAccess(user=user["id"], account=account["id"], role="administrator"))
    await sign_in(client)
    index = await client.get("/payment-documents/")
    assert "Nothing pending: its bills are paid by direct debit" in index.text
    page = await client.get("/payment-documents/bills", params={"account": "0001000405"})
    assert page.status_code == 200
    assert checkbox_ids(page.text) == []
    assert "paid by direct debit, so they are not listed" in page.text
    assert "Account 0001000405 has no pending bills to pay online or at the bank." in page.text
    direct_debit = await Bill.select(Bill.id).where(Bill.account == account["id"]).first()
    response = await create(client, [direct_debit["id"]], account="0001000405")
    assert response.status_code == 422
    assert "no longer pending" in error_summary(response.text)
    await submit(client, "/language", {"language": "es", "return_to": "/"})
    spanish = (await client.get("/payment-documents/bills", params={"account": "0001000405"})).text
    assert "El contrato 0001000405 no tiene facturas pendientes de pago en línea ni en el banco." in spanish


async def test_nobody_else_sees_or_uses_a_document_or_its_draft(client: Any, demo: None, app: Any) -> None:
    from tests.integration.accounts.helpers import browser

    await sign_in(client)
    first, second = await pending_bills(ANA_ACCOUNT)
    draft_path = (await create(client, [first["id"]])).headers["location"]
    document_path = (await create(client, [second["id"]], confirmed="yes")).headers["location"].split("?")[0]

    async with browser(app, "198.51.100.7") as other:
        await sign_in(other, ADMIN)
        for path in (document_path, f"{document_path}/pdf", f"{document_path}/pdf/status", draft_path):
            assert (await other.get(path)).status_code == 404, path
        assert (await submit(other, draft_path)).status_code == 404
        assert (
            await other.get("/payment-documents/bills", params={"account": ANA_ACCOUNT})
        ).status_code == 404
        # Ana's bills posted with the administrator's own account: refused without saying whose they are.
        own = "0001000447"
        response = await create(other, [first["id"]], account=own)
        assert response.status_code == 422
        assert "no longer pending" in error_summary(response.text)
        assert ANA_ACCOUNT not in response.text
        assert ANA_ACCOUNT not in (await other.get("/payment-documents/")).text

    async with browser(app, "198.51.100.8") as anonymous:
        for path in ("/payment-documents/", document_path, draft_path):
            response = await anonymous.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")
    assert await PaymentDocumentBill.count() == 2


async def _viewer(username: str) -> Any:
    from portal.viewer import Viewer

    user = await User.select(User.id, User.kind, User.email).where(User.username == username).first()
    return Viewer(
        user_id=user["id"],
        username=username,
        kind=user["kind"],
        email=user["email"],
        session_id=0,
        expires_at=clock.now() + dt.timedelta(minutes=10),
    )


async def test_a_document_whose_bills_were_each_paid_by_card_shows_paid(
    client: Any, demo: None, settings: Any
) -> None:
    """Each bill paid on its own, by its own code: nothing of the document is owed any more."""
    from tests.integration.payments.helpers import check_page, notification, notify, start_payment

    await sign_in(client)
    bills = await pending_bills(ANA_ACCOUNT)
    await create(client, [bill["id"] for bill in bills], confirmed="yes")
    document = await PaymentDocument.select().first()
    for bill in bills:
        code = {
            "cpr": "9050794",
            "issuer": f"{settings.issuer.code}-{bill['payment_suffix']}",
            "reference": bill["payment_reference"],
            "identification": bill["payment_identification"],
            "amount": f"{bill['total_cents'] // 100},{bill['total_cents'] % 100:02d}",
        }
        order = await start_payment(client, await check_page(client, code))
        await notify(client, notification(order, bill["total_cents"]))
        state = await payable.document_by_reference(document["payment_reference"])
        assert state is not None
        assert state.state == ("paid" if bill is bills[-1] else "superseded")
    view = await client.get(f"/payment-documents/{document['id']}")
    assert "can no longer be paid" not in view.text
    listed = await client.get("/payment-documents/")
    assert document["payment_reference"] in listed.text
    assert re.search(r'class="tag tag--green"[^>]*>\s*Paid', listed.text), listed.text


async def test_without_an_account_chosen_the_message_is_in_spanish_on_the_spanish_pages(
    client: Any, demo: None
) -> None:
    await sign_in(client)
    await submit(client, "/language", {"language": "es", "return_to": "/"})
    no_account = await client.get("/payment-documents/bills")
    assert no_account.status_code == 422
    assert "Seleccione el contrato cuyas facturas quiere pagar" in error_summary(no_account.text)
