"""argon2id password hashing with explicit parameters.

The parameters are RFC 9106's second recommended option (section 4), for machines
without memory to spare: argon2id, t=3 passes over m=64 MiB with p=4 lanes, a 128-bit
salt and a 256-bit tag. The first option (2 GiB per hash) would let a handful of logins
exhaust an API process; 64 MiB × 3 passes still costs ~0.1 s of CPU per guess while
keeping GPU/ASIC attacks memory-bound. They are written out rather than taken from
argon2-cffi's defaults so a library upgrade cannot change them silently. When they do
change here, every stored hash made with other parameters is rehashed at the owner's next
successful login (auth/service.py).

Hashing takes ~0.1 s of CPU by design, so the async functions run it in a thread (argon2
releases the GIL) and at most two at a time, one per region: logins never stall the event
loop, and a small region's login waits for one check to finish, not for the queue of a big
region's morning logins (the region is the one of the tenant transaction it runs in)."""

import asyncio
import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from kinerja_saas.admission import RegionSlots
from kinerja_saas.auth.errors import AuthError
from kinerja_saas.errors import FieldError
from tenants.context import NoTenant, current_tenant_id

TIME_COST = 3  # passes over memory
MEMORY_COST_KIB = 64 * 1024  # 64 MiB
PARALLELISM = 4  # lanes
HASH_LENGTH = 32  # bytes: 256-bit tag
SALT_LENGTH = 16  # bytes: 128-bit salt

_hasher = PasswordHasher(
    time_cost=TIME_COST,
    memory_cost=MEMORY_COST_KIB,
    parallelism=PARALLELISM,
    hash_len=HASH_LENGTH,
    salt_len=SALT_LENGTH,
    type=Type.ID,
)
_slots = RegionSlots(
    capacity=1,
    anonymous_capacity=2,  # checks outside a region: operators' logins, unknown e-mails
    total=2,
    wait_seconds=15.0,
    busy=AuthError.BUSY,
)

MIN_PASSWORD_LENGTH = 10


def password_problems(password: str, *, email: str, field: str = "password") -> list[FieldError]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldError.of(field, AuthError.TOO_SHORT, min=MIN_PASSWORD_LENGTH))
    elif password.isdigit() or len(set(password)) < 4 or password.lower() == email.lower():
        problems.append(FieldError.of(field, AuthError.TOO_WEAK))
    return problems


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
    """True when the hash was made with other parameters (or another argon2 variant)."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def _region() -> int | None:
    try:
        return current_tenant_id()
    except NoTenant:
        return None


async def hash_password_async(password: str) -> str:
    async with _slots.slot(_region()):
        return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    async with _slots.slot(_region()):
        return await asyncio.to_thread(verify_password, password_hash, password)
