"""Sections of the Zoom management page below pre-registration (polls, AI summary, recordings, attendance).

Each provider(*, request, class_session, meeting) returns {"template": ..., "anchor": ..., "label": ...,
"context": {...}} or None, registered in `ZoomIntegrationConfig.ready()` in the order the page shows them.
`anchor` is the id of the section's outermost element; the page's section index links to it by `label`.
"""

sections = []


def register(provider):
    if provider not in sections:
        sections.append(provider)
    return provider
