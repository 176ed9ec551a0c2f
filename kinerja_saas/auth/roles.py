from enum import StrEnum


class Role(StrEnum):
    PLATFORM_OPERATOR = "PLATFORM_OPERATOR"
    REGION_ADMIN = "REGION_ADMIN"
    SUPERVISOR = "SUPERVISOR"
    EMPLOYEE = "EMPLOYEE"
    TRAINING_OFFICER = "TRAINING_OFFICER"


REGION_ROLES = frozenset(Role) - {Role.PLATFORM_OPERATOR}

# How messages name a role (Bahasa Indonesia).
ROLE_LABELS: dict[Role, str] = {
    Role.PLATFORM_OPERATOR: "operator platform",
    Role.REGION_ADMIN: "admin wilayah",
    Role.SUPERVISOR: "atasan",
    Role.EMPLOYEE: "pegawai",
    Role.TRAINING_OFFICER: "petugas unit pelatihan",
}
