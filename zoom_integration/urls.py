from django.urls import path

app_name = "zoom"

urlpatterns: list = []
