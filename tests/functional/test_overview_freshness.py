"""The programme overview reuses its whole-series figures while nothing changed (so it stays fast
at 10,000 participants), and never shows anything older than the data or the clock: any write,
in any request or process, a session ending and a certificate expiring make it compute afresh."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.progress_data import enrollment_id, record
from wirlearn.audit.models import AuditEvent
from wirlearn.auth.models import User
from wirlearn.core.changes import current_version
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Region, Session
from wirlearn.progress import overview


def test_the_change_counter_counts_committed_writes_only(ctx):
    start = current_version()
    assert start is not None

    db.session.get(Region, 1)  # a read
    db.session.commit()
    assert current_version() == start

    db.session.add(AuditEvent(action="test.read", entity_type="test"))  # the audit trail alone
    db.session.commit()
    assert current_version() == start

    db.session.add(Region(name="Testregion", kind="Landkreis", regierungsbezirk="Kassel"))
    db.session.commit()
    assert current_version() == start + 1

    db.session.execute(update(Region).where(Region.name == "Testregion").values(regierungsbezirk="Gießen"))
    db.session.commit()
    assert current_version() == start + 2

    db.session.get(Region, 1).name = "Wird verworfen"
    db.session.flush()
    db.session.rollback()
    assert current_version() == start + 2

    region = db.session.get(Region, 1)
    region.name = region.name  # set to the same value: nothing changed
    db.session.commit()
    assert current_version() == start + 2


def _overview_page(client, series_id: int) -> str:
    return client.get(f"/programm/reihen/{series_id}").get_data(as_text=True)


def test_a_repeat_view_reuses_the_figures_and_a_change_elsewhere_shows_at_once(app, client, login, factory, admin, trainer):
    anna = factory.user("coordinator", name="Anna Arnold", region="Darmstadt")
    bernd = factory.user("coordinator", name="Bernd Brandt", region="Kassel")
    series = factory.series(trainers=(trainer,), coordinators=(anna, bernd))
    record(app, series, anna)
    login(client, admin)

    page = _overview_page(client, series.id)
    assert "davon 1 ausgeschieden" not in page
    cache = app.extensions[overview.FIGURES_CACHE]
    (first,) = [entry[1] for entry in cache.values()]
    _overview_page(client, series.id)
    (again,) = [entry[1] for entry in cache.values()]
    assert again is first  # nothing changed: not computed again

    # Another request (here: another session, as another worker would) withdraws Bernd.
    with app.app_context():
        db.session.get(Enrollment, enrollment_id(app, series, bernd)).status = "withdrawn"
        db.session.commit()
    page = _overview_page(client, series.id)
    assert "davon 1 ausgeschieden" in page
    (fresh,) = [entry[1] for entry in cache.values()]
    assert fresh is not first
    assert fresh.counts.withdrawn == 1


def test_a_saved_roster_shows_in_the_next_view(app, client, login, factory, admin, trainer):
    anna = factory.user("coordinator", name="Anna Arnold", region="Darmstadt")
    series = factory.series(trainers=(trainer,), coordinators=(anna,))
    login(client, admin)
    before = _overview_page(client, series.id)
    assert "Anna Arnold" in before
    with app.app_context():
        held = overview.series_overview(series.id)
        attended_before = sum(session.attended for session in held.sessions)
    record(app, series, anna)  # attendance and assessments committed elsewhere
    _overview_page(client, series.id)
    with app.test_request_context():
        after = overview.series_overview(series.id)
    assert sum(session.attended for session in after.sessions) > attended_before


def test_the_figures_are_computed_afresh_when_a_session_ends(app, factory, trainer, monkeypatch):
    anna = factory.user("coordinator", name="Anna Arnold", region="Darmstadt")
    series = factory.series(trainers=(trainer,), coordinators=(anna,))
    with app.test_request_context():
        end = max(session.ends_at for session in db.session.scalars(db.select(Session)))
        monkeypatch.setattr(overview, "moment", lambda _today: end - timedelta(minutes=1))
        held_before = sum(summary.held for summary in overview.series_overview(series.id).sessions)
        monkeypatch.setattr(overview, "moment", lambda _today: end)
        held_after = sum(summary.held for summary in overview.series_overview(series.id).sessions)
    assert held_after == held_before + 1


def test_each_language_gets_its_own_figures(app, client, login, factory, admin, trainer):
    anna = factory.user("coordinator", name="Anna Arnold", region="Darmstadt")
    series = factory.series(trainers=(trainer,), coordinators=(anna,))
    record(app, series, anna, results={})  # nothing assessed: something is missing
    with app.app_context():
        db.session.get(User, trainer.id).preferred_locale = "en"
        db.session.commit()
    english_client = app.test_client()
    login(english_client, trainer)
    login(client, admin)
    german = _overview_page(client, series.id)
    assert "Bewertung steht noch aus" in german
    # Nothing is written in between: the English reader must not get the German sentences.
    english = _overview_page(english_client, series.id)
    assert "Bewertung steht noch aus" not in english
    assert "assessment" in english.lower()
