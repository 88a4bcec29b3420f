"""The Attendance section of a class's Zoom management page (registered in `ZoomIntegrationConfig.ready()`)."""

from attendance.selectors import attendance_for_class


def attendance_section(*, request, class_session, meeting):
    """Who joined, first join, last leave (and the rest of the attendance report), in a fixed number of queries."""
    return {
        "template": "zoom_integration/_attendance_section.html",
        "context": {"attendance": attendance_for_class(class_session=class_session), "next": request.get_full_path()},
    }
