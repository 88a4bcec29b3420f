from django.urls import path

from . import views

app_name = "bookings"

urlpatterns = [
    path("one-to-one/", views.offer_list_view, name="offer_list"),
    path("one-to-one/new/", views.offer_create_view, name="offer_create"),
    path("one-to-one/<int:offer_id>/", views.offer_detail_view, name="offer_detail"),
    path("one-to-one/<int:offer_id>/edit/", views.offer_edit_view, name="offer_edit"),
    path("one-to-one/<int:offer_id>/delete/", views.offer_delete_view, name="offer_delete"),
    path("one-to-one/bookings/<int:booking_id>/cancel/", views.booking_cancel_view, name="booking_cancel"),
    path("book/<str:token>/", views.public_book_view, name="public_book"),
    path("bookings/<str:token>/", views.booking_manage_view, name="manage"),
    path("bookings/<str:token>/cancel/", views.booking_cancel_public_view, name="cancel"),
]
