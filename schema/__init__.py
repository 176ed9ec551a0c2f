"""The GraphQL API (Strawberry): one module per domain, built into one schema."""
