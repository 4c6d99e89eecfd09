"""The user type for typing: the one every function that takes ``request.user`` names."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

AnyUser = AbstractBaseUser | AnonymousUser
