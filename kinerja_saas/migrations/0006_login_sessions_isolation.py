"""Row-level security on login sessions, and their same-tenant keys."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from tenants.rls import disable_rls, enable_rls

CONSTRAINTS = """
ALTER TABLE login_sessions ADD CONSTRAINT login_sessions_tenant_fk
    FOREIGN KEY (tenant_id) REFERENCES tenants (id);
ALTER TABLE user_accounts ADD CONSTRAINT user_accounts_tenant_id_id_key UNIQUE (tenant_id, id);
ALTER TABLE login_sessions ADD CONSTRAINT login_sessions_user_fk
    FOREIGN KEY (tenant_id, user_id) REFERENCES user_accounts (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE operator_sessions ADD CONSTRAINT operator_sessions_operator_fk
    FOREIGN KEY (operator_id) REFERENCES platform_operators (id) ON DELETE CASCADE;
"""
CONSTRAINTS_REVERSE = """
ALTER TABLE operator_sessions DROP CONSTRAINT operator_sessions_operator_fk;
ALTER TABLE login_sessions DROP CONSTRAINT login_sessions_user_fk;
ALTER TABLE user_accounts DROP CONSTRAINT user_accounts_tenant_id_id_key;
ALTER TABLE login_sessions DROP CONSTRAINT login_sessions_tenant_fk;
"""


class Migration(migrations.Migration):
    dependencies = [("models", "0005_login_sessions")]

    operations = [
        ops.RunSQL(CONSTRAINTS, reverse_sql=CONSTRAINTS_REVERSE),
        ops.RunSQL(enable_rls("login_sessions"), reverse_sql=disable_rls("login_sessions")),
    ]
