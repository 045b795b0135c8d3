from __future__ import annotations

from django.contrib import admin

from accounts.forms import AdminLoginForm

# The admin's own login page is a way in too: it gets the same limit on guessing as the phone's.
admin.site.login_form = AdminLoginForm
