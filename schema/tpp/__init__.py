"""The TPP API: rule sets, base amounts, the attendance import, the month's computation,
closing and corrections, the employee's statement and the finance export."""
