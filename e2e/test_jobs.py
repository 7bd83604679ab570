"""A job round trip through the live stack: a command enqueues, the worker process runs the task, and
the email it sends arrives at a real SMTP server."""

from typing import Any

from e2e.conftest import LiveStack


def test_test_email_goes_through_the_worker_to_smtp(local_stack: LiveStack, mailbox: Any) -> None:
    result = local_stack.portal("mail", "test", "--to", "qa@example.com")
    assert "Queued test email" in result.stdout
    [message] = mailbox.wait_for_sync(1, to="qa@example.com")
    assert message["Subject"] == "Test message from the Aguas de Ejemplo, S.A. Customer Service Area"
