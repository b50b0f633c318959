"""Background jobs. Each receives ids, opens its own transaction and is safe to run twice."""


def register() -> None:
    """Import the job modules so that the worker knows every task."""
    from portal.jobs import (  # noqa: F401
        cancellations,
        custom_hosts,
        efos,
        invoices,
        mail,
        outbox,
        receipts,
        throttle,  # noqa: F401  (purges expired rate-limit counters)
        transfers,
        webhooks,
    )
