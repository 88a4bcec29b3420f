from django.urls import path

app_name = "zoom_simulator"

urlpatterns: list = []
