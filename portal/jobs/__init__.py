"""Background jobs. Each receives ids, opens its own transaction and is safe to run twice."""


def register() -> None:
    """Import the job modules so that the worker knows every task."""
    from portal.jobs import cancellations, invoices, mail, outbox, receipts, webhooks  # noqa: F401
