from django.urls import path

from . import views

urlpatterns = [
    path("export/", views.history_export, name="history_export"),
]
