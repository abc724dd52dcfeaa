"""Authentication backend whose permissions come from the code-defined roles.

Roles are Django groups kept equal to roles.ROLES by `sync_roles()` after every migrate,
so a person's permissions follow from their group names alone: one small query per
request instead of Django's two permission joins. Superusers keep every permission;
permissions are never granted to single accounts (BIO: rights go to groups).
"""

from django.contrib.auth.backends import ModelBackend

from .roles import ROLES


class RoleBackend(ModelBackend):
    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_group_permissions(user_obj, obj)
        return {perm for code in user_obj.role_codes for perm in ROLES.get(code, (None, None, ()))[2]}

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                user_obj._perm_cache = super().get_all_permissions(user_obj, obj)
            else:
                user_obj._perm_cache = self.get_group_permissions(user_obj)
        return user_obj._perm_cache
