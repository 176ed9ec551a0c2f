"""argon2id password hashing (argon2-cffi defaults: RFC 9106 low-memory profile).

Hashing takes ~0.1 s of CPU by design, so the async functions run it in a thread (argon2
releases the GIL) and at most a few at a time: logins never stall the event loop."""

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so timing does not reveal which logins exist.
_DUMMY_HASH = _hasher.hash("kinerja-timing-equaliser")
_slots = asyncio.Semaphore(2)

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
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
