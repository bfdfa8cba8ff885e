from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from accounts.models import AccessToken, User
from accounts.views import admin_login

admin.site.site_header = "Wharf administration"
admin.site.site_title = "Wharf admin"
admin.site.index_title = "Administration"
# Staff sign in through our own page (rate-limited, username or email) like everyone else.
# Set here because the admin's URLs, built when hub/urls.py loads, bind this attribute.
admin.site.login = admin_login

admin.site.register(User, UserAdmin)


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "description", "scope", "token_start", "created_at", "expires_at",
                    "last_used_at", "revoked_at"]  # fmt: skip
    list_filter = ["scope"]
    search_fields = ["user__username", "description"]
    readonly_fields = ["uuid", "token_start", "token_hash", "created_at", "expires_at",
                       "last_used_at"]  # fmt: skip
