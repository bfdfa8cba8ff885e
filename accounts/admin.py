from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import AccessToken, User

admin.site.register(User, UserAdmin)


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "description", "scope", "token_start", "created_at", "last_used_at",
                    "revoked_at"]  # fmt: skip
    list_filter = ["scope"]
    search_fields = ["user__username", "description"]
    readonly_fields = ["uuid", "token_start", "token_hash", "created_at", "last_used_at"]
