"""The old organisation models leave network's migration state (issue 12).

Organisations, teams, memberships and partner imports moved from network to accounts
(``accounts/0006`` takes them over, ``network/0006``, ``conversations/0006``, ``referrals/0003``
and ``his/0001`` point their foreign keys at accounts). Only when every app has done so may the
old models leave network's state, and only the top floor may wait for all of them: a network
migration that depended on conversations and referrals would be a loop between floors. Nothing
happens in the database; the tables belong to accounts now.
"""

from django.db import migrations


class ForgetModels(migrations.operations.base.Operation):
    """Remove models of another app from the migration state only (no database change)."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, app_label, names):
        self.app_label = app_label
        self.names = names

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {"app_label": self.app_label, "names": self.names})

    def state_forwards(self, app_label, state):
        for name in self.names:
            state.remove_model(self.app_label, name.lower())

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return f"Forget {', '.join(self.names)} of {self.app_label} (state only)"


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_organisations_from_network"),
        ("network", "0006_organisations_to_accounts"),
        ("conversations", "0006_organisations_in_accounts"),
        ("referrals", "0003_organisations_in_accounts"),
        ("his", "0001_initial"),
    ]

    operations = [
        ForgetModels("network", ["Membership", "PartnerImport", "Team", "Organisation"]),
    ]
