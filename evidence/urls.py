from django.urls import path

from . import views

app_name = "evidence"

urlpatterns = [
    path("classes/<int:class_id>/poll-answers/assign/", views.poll_answer_assign_view, name="poll_answer_assign"),
]
