from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """``?page=``, ``API_PAGE_SIZE`` (50) rows a page, with ``count``, ``next`` and
    ``previous`` around ``results``."""

    page_size = settings.API_PAGE_SIZE
