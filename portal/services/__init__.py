"""Use cases. They take a session and plain data, flush, never commit, raise PortalError."""
