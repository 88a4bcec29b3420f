"""The Attendance section of a class's Zoom management page (registered in `ZoomIntegrationConfig.ready()`)."""

from attendance.selectors import attendance_page_for_class

# The page's registrant roster pages with "page".
PAGE_PARAM = "attendance_page"


def attendance_section(*, request, class_session, meeting):
    """Who joined, first join, last leave (and the rest of the attendance report), in a fixed number of queries:
    the whole class's counts, and only the students of the page shown loaded."""
    attendance = attendance_page_for_class(class_session=class_session, number=request.GET.get(PAGE_PARAM))
    return {
        "template": "zoom_integration/_attendance_section.html",
        "anchor": "attendance",
        "label": "Attendance",
        "context": {
            "attendance": attendance,
            "page": attendance.page,
            "page_param": PAGE_PARAM,
            "next": request.get_full_path(),
        },
    }
