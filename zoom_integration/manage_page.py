"""Sections of the Zoom management page below pre-registration (polls, AI summary, recordings, attendance).

Each provider(*, request, class_session, meeting) returns {"template": ..., "context": {...}} or None,
registered in `ZoomIntegrationConfig.ready()` in the order the page shows them.
"""

sections = []


def register(provider):
    if provider not in sections:
        sections.append(provider)
    return provider
