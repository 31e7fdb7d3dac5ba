from sqlalchemy import func, select

from wirlearn.assessments.models import Assessment
from wirlearn.attendance.models import Attendance
from wirlearn.auth.models import User, UserRole
from wirlearn.extensions import db
from wirlearn.programme.models import Enrollment, Module, Region, Series, Session


def counts():
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Region, User, Series, Module, Session, Enrollment, Attendance, Assessment)
    }


def test_seed_demo_creates_the_wir_programme_and_is_idempotent(app, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@wir-hessen.example" in result.output and "trainer@imap.example" in result.output
    with app.app_context():
        first = counts()
        assert first["Region"] == 33
        coordinators = db.session.scalar(select(func.count()).select_from(UserRole).where(UserRole.role == "coordinator"))
        assert coordinators == 32
        covered = db.session.scalar(
            select(func.count(func.distinct(User.region_id))).join(UserRole).where(UserRole.role == "coordinator")
        )
        assert covered == 32
        assert first["Enrollment"] == 32
        assert 6 <= first["Module"] <= 7
        names = set(db.session.scalars(select(User.display_name)))
        assert {"Ayşe Yılmaz", "Đorđe Petrović", "Nguyễn Thị Hương"} <= names
        assert db.session.scalar(select(func.count()).select_from(Assessment).where(Assessment.attempt > 1)) >= 1
        assert db.session.scalar(select(func.count()).select_from(Assessment).where(Assessment.result == "failed")) >= 3
    again = runner.invoke(args=["seed-demo", "--password", "ein anderes passwort"])
    assert again.exit_code == 0
    assert "nichts geändert" in again.output
    assert again.output.count("coordinator") == 32
    with app.app_context():
        assert counts() == first


def test_demo_logins_work_with_default_password(app, runner, client):
    runner.invoke(args=["seed-demo"])
    for email in ("admin@wir-hessen.example", "trainer@imap.example", "ayse.yilmaz@darmstadt.example"):
        response = client.post("/anmelden", data={"email": email, "password": "wirlearn-demo"})
        assert response.status_code == 302, email
        client.post("/abmelden")
