"""argon2id password hashing (argon2-cffi defaults: RFC 9106 low-memory profile).

Hashing takes ~0.1 s of CPU by design, so the async functions run it in a thread (argon2
releases the GIL) and at most a few at a time: logins never stall the event loop."""

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
_slots = asyncio.Semaphore(2)

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so timing does not reveal which logins
    exist. Made on first use: hashing allocates argon2's 64 MiB, which a process that never
    checks a password (a worker, the CLI) should not pay."""
    return _hasher.hash("kinerja-timing-equaliser")


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


async def hash_password_async(password: str) -> str:
    async with _slots:
        return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    async with _slots:
        return await asyncio.to_thread(verify_password, password_hash, password)
