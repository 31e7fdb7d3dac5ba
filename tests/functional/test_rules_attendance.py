"""The roll call without JavaScript, checked by what is stored and what the trainer sees.

A browser without JavaScript sends the whole form: the checked radio buttons, every note field
and the hidden fields with what the trainer loaded. "Alle anwesend" then fills only the open
rows and saves nothing; the save that follows records exactly what the trainer sees, and a
changed note alone is a change."""

from __future__ import annotations

import re

import pytest

from wirlearn.attendance import services

ROSTER = "/termine/{}/anwesenheit"


def browser_form(html: str) -> dict[str, str]:
    """What a browser without JavaScript submits for the rendered roster form."""
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    for name, value in re.findall(r'<input type="radio"[^>]*name="([^"]+)" value="([^"]+)" checked', html):
        form[name] = value
    for name, value in re.findall(r'<input[^>]*type="text"[^>]*name="(note-\d+)" value="([^"]*)"', html):
        form[name] = value
    return form


def stored(app, session_id: int) -> dict[int, tuple[str | None, str]]:
    with app.app_context():
        return {row.user_id: (row.status, row.note) for row in services.load_roster(session_id).rows}


def checked(html: str, user_id: int) -> str | None:
    match = re.search(rf'name="status-{user_id}" value="(\w+)" checked', html)
    return match.group(1) if match else None


@pytest.fixture
def session_id(programme):
    return programme["main"].session_ids[0]


@pytest.fixture
def roster_page(client, login, trainer, session_id):
    login(client, trainer)
    return lambda: client.get(ROSTER.format(session_id)).get_data(as_text=True)


def save(client, session_id: int, form: dict[str, str], **fields: str):
    return client.post(ROSTER.format(session_id), data=form | {"action": "save"} | fields, follow_redirects=True)


def test_alle_anwesend_fills_only_open_rows_and_keeps_rows_already_marked(
    app, client, roster_page, session_id, coordinator, other_coordinator
):
    save(
        client,
        session_id,
        browser_form(roster_page()),
        **{f"status-{other_coordinator.id}": "excused", f"note-{other_coordinator.id}": "Attest"},
    )
    before = stored(app, session_id)

    response = client.post(ROSTER.format(session_id), data=browser_form(roster_page()) | {"action": "all_present"})
    assert response.status_code == 200
    filled = response.get_data(as_text=True)
    assert "Alle offenen Zeilen sind auf „anwesend“ gesetzt" in filled
    assert (checked(filled, coordinator.id), checked(filled, other_coordinator.id)) == ("present", "excused")
    assert 'value="Attest"' in filled
    assert stored(app, session_id) == before  # filled, not saved

    html = save(client, session_id, browser_form(filled)).get_data(as_text=True)
    assert "Anwesenheit gespeichert (1 geänderter Eintrag)." in html
    assert stored(app, session_id) == {coordinator.id: ("present", ""), other_coordinator.id: ("excused", "Attest")}


def test_alle_anwesend_keeps_a_choice_made_in_the_form_but_not_yet_saved(
    app, client, roster_page, session_id, coordinator, other_coordinator
):
    form = browser_form(roster_page()) | {f"status-{coordinator.id}": "absent", f"note-{coordinator.id}": "krank gemeldet"}
    filled = client.post(ROSTER.format(session_id), data=form | {"action": "all_present"}).get_data(as_text=True)
    assert (checked(filled, coordinator.id), checked(filled, other_coordinator.id)) == ("absent", "present")
    assert stored(app, session_id) == {coordinator.id: (None, ""), other_coordinator.id: (None, "")}

    save(client, session_id, browser_form(filled))
    assert stored(app, session_id) == {coordinator.id: ("absent", "krank gemeldet"), other_coordinator.id: ("present", "")}


def test_alle_anwesend_on_a_complete_list_changes_nothing(app, client, roster_page, session_id, coordinator, other_coordinator):
    save(
        client,
        session_id,
        browser_form(roster_page()),
        **{f"status-{coordinator.id}": "late", f"status-{other_coordinator.id}": "absent"},
    )
    before = stored(app, session_id)
    filled = client.post(ROSTER.format(session_id), data=browser_form(roster_page()) | {"action": "all_present"}).get_data(
        as_text=True
    )
    assert (checked(filled, coordinator.id), checked(filled, other_coordinator.id)) == ("late", "absent")
    html = save(client, session_id, browser_form(filled)).get_data(as_text=True)
    assert "Keine Änderungen – die Liste ist aktuell." in html
    assert stored(app, session_id) == before


def test_a_changed_note_alone_is_saved_and_the_status_stays(app, client, roster_page, session_id, coordinator, other_coordinator):
    save(
        client,
        session_id,
        browser_form(roster_page()),
        **{f"status-{coordinator.id}": "late", f"status-{other_coordinator.id}": "present"},
    )

    html = save(client, session_id, browser_form(roster_page()), **{f"note-{coordinator.id}": "Zug ausgefallen"}).get_data(
        as_text=True
    )
    assert "Anwesenheit gespeichert (1 geänderter Eintrag)." in html
    assert stored(app, session_id) == {coordinator.id: ("late", "Zug ausgefallen"), other_coordinator.id: ("present", "")}
    assert 'value="Zug ausgefallen"' in roster_page()

    # Clearing the note is a change too.
    save(client, session_id, browser_form(roster_page()), **{f"note-{coordinator.id}": ""})
    assert stored(app, session_id)[coordinator.id] == ("late", "")


def test_saving_the_form_unchanged_reports_no_changes(app, client, roster_page, session_id, coordinator, other_coordinator):
    save(
        client, session_id, browser_form(roster_page()), **{f"status-{coordinator.id}": "present", f"note-{coordinator.id}": "ok"}
    )
    before = stored(app, session_id)
    html = save(client, session_id, browser_form(roster_page())).get_data(as_text=True)
    assert "Keine Änderungen – die Liste ist aktuell." in html
    assert stored(app, session_id) == before


def test_a_note_for_an_open_row_asks_for_a_status_and_saves_nothing(app, client, roster_page, session_id, coordinator):
    response = client.post(
        ROSTER.format(session_id), data=browser_form(roster_page()) | {"action": "save", f"note-{coordinator.id}": "kommt später"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte wählen Sie einen Status." in html and 'value="kommt später"' in html
    assert stored(app, session_id)[coordinator.id] == (None, "")
