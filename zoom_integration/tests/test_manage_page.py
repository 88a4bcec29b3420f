"""The Zoom management page's section index: anchor links to every section, no JavaScript needed."""

import re

from .zoom_events import zoom_class  # noqa: F401  (fixture)


def test_section_index_links_to_every_section_on_the_page(trainer_client, zoom_class):
    html = trainer_client.get(f"/courses/classes/{zoom_class['class_session'].pk}/zoom/").content.decode()

    index = re.search(r'<nav class="section-index" aria-label="Sections of this page">(.*?)</nav>', html, re.S)
    assert index, "the page has a section index"
    links = re.findall(r'<a class="nav-link" href="#([\w-]+)">([^<]+)</a>', index.group(1))
    assert [label for _, label in links] == [
        "Pre-register students",
        "Polls",
        "AI summary",
        "Recordings",
        "Attendance",
    ]
    for anchor, label in links:
        assert html.count(f'id="{anchor}"') == 1, f"{label} links to #{anchor}, which the page must hold once"
    # No script needed: the index is plain links, placed before the sections they jump to.
    assert "<script" not in index.group(1)
    assert html.index("section-index") < html.index('id="preregister"')
