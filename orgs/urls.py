from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("organizations/new/", views.organization_create_view, name="organization_create"),
    path("organizations/choose/", views.organization_choose_view, name="organization_choose"),
    path("settings/organization/", views.organization_settings_view, name="settings"),
    path("settings/members/", views.members_view, name="members"),
    path("settings/members/<int:membership_id>/remove/", views.member_remove_view, name="member_remove"),
    path("settings/invitations/<int:invitation_id>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
]
