"""Authentication: user accounts, passwords, tokens, and the actor of a request."""
