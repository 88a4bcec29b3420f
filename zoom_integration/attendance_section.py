"""The Attendance section of a class's Zoom management page (registered in `ZoomIntegrationConfig.ready()`)."""

from attendance.selectors import attendance_for_class, attendance_rows_page

# The page's registrant roster pages with "page".
PAGE_PARAM = "attendance_page"


def attendance_section(*, request, class_session, meeting):
    """Who joined, first join, last leave (and the rest of the attendance report), in a fixed number of queries."""
    attendance = attendance_for_class(class_session=class_session)
    return {
        "template": "zoom_integration/_attendance_section.html",
        "anchor": "attendance",
        "label": "Attendance",
        "context": {
            "attendance": attendance,
            "page": attendance_rows_page(attendance=attendance, number=request.GET.get(PAGE_PARAM)),
            "page_param": PAGE_PARAM,
            "next": request.get_full_path(),
        },
    }
